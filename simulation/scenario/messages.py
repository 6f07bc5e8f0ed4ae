"""Error messages for scenario data: where a pydantic error points, and what it says.

`locate(tree, loc)` finds the (file, line) and readable dotted path of a location in
located data; `message(err, loc)` words one pydantic error as 'what is wrong (what is
allowed)', reading the allowed values and ranges from the schema itself.
"""

from __future__ import annotations

import difflib
import math
import re
import types
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import annotated_types
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from ..errors import field_name
from .schema import BudgetCut, Pandemic, Scenario


def _locate(tree: Any, loc: tuple) -> tuple[tuple[str, int], str]:
    """Find (file, line) and a readable dotted path for a pydantic error location.

    A wrong or unknown value points at the line of its key; a missing key at the line
    of the mapping that lacks it. List items are named by their `id`.
    """
    where = getattr(tree, "where", ("?", 1))
    node: Any = tree
    names: list[str] = []
    for key in loc:
        if isinstance(node, list) and isinstance(key, int):
            item = node[key] if 0 <= key < len(node) else None
            names.append(field_name(item["id"]) if isinstance(item, dict) and isinstance(item.get("id"), str) and item["id"]
                         else str(key))
            where = getattr(node, "locs", {}).get(key, where)
            node = item
        elif isinstance(node, dict) and isinstance(key, str) and key in node:
            names.append(field_name(key))
            where = getattr(node, "locs", {}).get(key, where)
            node = node[key]
        elif isinstance(key, str) and key in _SHOCK_KINDS:
            continue  # discriminated-union tag in pydantic's location
        else:
            names.append(field_name(key))
            node = None
    return where, ".".join(names) or "(root)"


_SHOCK_KINDS: dict[str, type[BaseModel]] = {"pandemic": Pandemic, "budget_cut": BudgetCut}


def _clip(text: str, limit: int = 60) -> str:
    """A user-given string quoted for a message, shortened if long."""
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")


def _show(value: Any) -> str:
    """A short, one-line rendering of an input value for messages."""
    if value is None:
        return "an empty value"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value) if not math.isfinite(value) else f"{value:.12g}"
    if isinstance(value, int):
        text = str(value) if abs(value) < 10**40 else f"a {len(str(abs(value)))}-digit number"
        return text
    if isinstance(value, str):
        text = value if len(value) <= 40 else value[:37] + "..."
        return f"text {text!r}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def _unwrap(tp: Any) -> tuple[Any, list]:
    """Strip `Annotated[...]` layers; return (type, constraint metadata)."""
    meta: list = []
    while get_origin(tp) is Annotated:
        tp, *extra = get_args(tp)
        for m in extra:
            meta.extend(m.metadata if isinstance(m, FieldInfo) else [m])
    return tp, meta


def _is_union(tp: Any) -> bool:
    return get_origin(tp) in (Union, types.UnionType)


def _strip_none(tp: Any, meta: list) -> tuple[Any, list]:
    if _is_union(tp):
        arms = [a for a in get_args(tp) if a is not type(None)]
        if len(arms) == 1:
            inner, more = _unwrap(arms[0])
            return inner, meta + more
    return tp, meta


def _type_at(loc: tuple) -> tuple[Any, list] | None:
    """The schema type (and its constraints) at a pydantic location, or None."""
    tp: Any = Scenario
    meta: list = []
    for key in loc:
        tp, meta = _strip_none(tp, meta)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            info = tp.model_fields.get(key) if isinstance(key, str) else None
            if info is None:
                return None
            tp, meta = _unwrap(info.annotation)
            meta = list(info.metadata) + meta
        elif _is_union(tp) and key in _SHOCK_KINDS:
            tp, meta = _SHOCK_KINDS[key], []
        elif get_origin(tp) is list and isinstance(key, int):
            tp, meta = _unwrap(get_args(tp)[0])
        elif get_origin(tp) is dict and isinstance(key, str):
            tp, meta = _unwrap(get_args(tp)[1])
        else:
            return None
    return _strip_none(tp, meta)


def _num(x: float) -> str:
    return f"{x:g}"


def _range(meta: list) -> str:
    lo = next((("<=", m.ge) for m in meta if isinstance(m, annotated_types.Ge)), None) or next(
        (("<", m.gt) for m in meta if isinstance(m, annotated_types.Gt)), None)
    hi = next((("<=", m.le) for m in meta if isinstance(m, annotated_types.Le)), None) or next(
        (("<", m.lt) for m in meta if isinstance(m, annotated_types.Lt)), None)
    if lo and hi:
        return f"{_num(lo[1])} {lo[0]} value {hi[0]} {_num(hi[1])}"
    if lo:
        return f"value {'>=' if lo[0] == '<=' else '>'} {_num(lo[1])}"
    if hi:
        return f"value {hi[0]} {_num(hi[1])}"
    return ""


def _describe(tp: Any, meta: list) -> str:
    """What a field accepts, in words: 'a number, 0 <= value <= 1'."""
    if tp is bool:
        return "true or false"
    if tp in (int, float):
        base = "a whole number" if tp is int else "a number"
        rng = _range(meta)
        return f"{base}, {rng}" if rng else base
    if tp is str:
        if any(getattr(m, "pattern", None) for m in meta):
            return "an id of letters, digits and _ . : - starting with a letter or digit"
        return "text"
    if get_origin(tp) is Literal:
        return "one of " + ", ".join(str(a) for a in get_args(tp))
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return "a mapping with fields " + ", ".join(tp.model_fields)
    if _is_union(tp):
        return "a mapping with kind: " + " or ".join(_SHOCK_KINDS)
    if get_origin(tp) is list:
        inner, _ = _unwrap(get_args(tp)[0])
        what = {str: "text", float: "numbers", int: "whole numbers"}.get(inner, "mappings")
        sizes = [m for m in meta if isinstance(m, (annotated_types.MinLen, annotated_types.MaxLen))]
        lo = next((m.min_length for m in sizes if isinstance(m, annotated_types.MinLen)), 0)
        hi = next((m.max_length for m in sizes if isinstance(m, annotated_types.MaxLen)), None)
        count = f" ({lo} to {hi} items)" if hi is not None else f" (at least {lo})" if lo else ""
        return f"a list of {what}{count}"
    if get_origin(tp) is dict:
        return "a mapping of name: " + _describe(*_unwrap(get_args(tp)[1]))
    return "see docs/scenarios.md"


def _close(word: Any, options: Any) -> str:
    """'did you mean X? ' for a likely typo; nothing when only digits differ (SDG18 is no SDG8)."""
    match = difflib.get_close_matches(str(word), [str(o) for o in options], n=1, cutoff=0.7)
    if not match or re.sub(r"\d", "", match[0]) == re.sub(r"\d", "", str(word)):
        return ""
    return f"did you mean '{match[0]}'? "


def _message(err: dict, loc: tuple) -> str:
    """One pydantic error as 'what is wrong (what is allowed)'."""
    kind = err["type"]
    shown = _show(err.get("input"))
    found = _type_at(loc)
    allowed = _describe(*found) if found else ""
    allow = f" (allowed: {allowed})" if allowed else ""
    ctx = err.get("ctx") or {}
    if kind == "extra_forbidden":
        key = str(loc[-1])
        owner = _type_at(loc[:-1])
        fields = list(owner[0].model_fields) if owner and isinstance(owner[0], type) and issubclass(owner[0], BaseModel) else []
        if key == "remove":
            return "'remove: true' only works in a file with 'extends:', on an item of the parent's list"
        listing = f"allowed: {', '.join(fields)}" if fields else "not a field of this mapping"
        return f"unknown field '{key}' ({_close(key, fields)}{listing})"
    if kind == "missing":
        return f"required field is missing{allow}"
    if kind == "finite_number":
        return f"got {shown}, not a finite number{allow}"
    if kind in ("greater_than_equal", "greater_than"):
        return f"got {shown}, below the minimum{allow}"
    if kind in ("less_than_equal", "less_than"):
        return f"got {shown}, above the maximum{allow}"
    if kind == "literal_error":
        options = get_args(found[0]) if found and get_origin(found[0]) is Literal else ()
        return f"got {shown}, not an allowed value ({_close(err.get('input'), options)}allowed: {allowed})"
    if kind == "union_tag_invalid":
        return f"unknown shock kind {str(ctx.get('tag'))!r} (allowed: {', '.join(_SHOCK_KINDS)})"
    if kind == "union_tag_not_found":
        return f"shock has no 'kind' (allowed: {', '.join(_SHOCK_KINDS)})"
    if kind == "string_pattern_mismatch":
        return f"got {shown}, not a valid id{allow}"
    if kind == "string_too_short":
        return f"must not be empty{allow}"
    if kind == "string_too_long":
        return f"text of {len(str(err.get('input')))} characters is too long (allowed: at most {ctx.get('max_length')})"
    if kind in ("too_short", "too_long"):
        return f"has {ctx.get('actual_length')} items{allow}"
    if kind.endswith(("_type", "_parsing")):
        return f"got {shown}, wrong type{allow}"
    return f"got {shown}: {_one_line(err.get('msg', 'invalid'))}{allow}"


def _one_line(text: str) -> str:
    return " ".join(str(text).split())
