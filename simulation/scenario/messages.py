"""Error messages for scenario and sweep data: where a pydantic error points, and what it says.

`locate(tree, loc)` finds the (file, line) and readable dotted path of a location in
located data; `message(err, loc, root)` words one pydantic error as 'what is wrong (what
is allowed)', reading the allowed values and ranges from the schema itself (`root` is the
model of the whole file: Scenario, or a sweep file's); `problems_from` does both for every
error of a failed validation. `show`, `clip`, `close` and `num` word values for messages.
"""

from __future__ import annotations

import difflib
import math
import re
from typing import Any, Literal, get_args, get_origin

import annotated_types
from pydantic import BaseModel, ValidationError

from ..errors import Problem, field_name
from .schema import BudgetCut, DebtRelief, DebtSwap, Pandemic, Scenario
from .typeinfo import is_model, is_union, unwrap


def locate(tree: Any, loc: tuple) -> tuple[tuple[str, int], str]:
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
        elif isinstance(key, str) and key in _TAGS:
            continue  # discriminated-union tag in pydantic's location
        elif key == "[key]":
            continue  # a bad key of a mapping: the key itself is the place
        else:
            names.append(field_name(key))
            node = None
    return where, ".".join(names) or "(root)"


_SHOCK_KINDS: dict[str, type[BaseModel]] = {"pandemic": Pandemic, "budget_cut": BudgetCut}
_LEVER_KINDS: dict[str, type[BaseModel]] = {"relief": DebtRelief, "swap": DebtSwap}
_TAGS = {**_SHOCK_KINDS, **_LEVER_KINDS}


def clip(text: str, limit: int = 60) -> str:
    """A user-given string quoted for a message, shortened if long."""
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")


def show(value: Any) -> str:
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


def _type_at(loc: tuple, root: type[BaseModel]) -> tuple[Any, list] | None:
    """The schema type (and its constraints) at a pydantic location under `root`, or None."""
    tp: Any = root
    meta: list = []
    for i, key in enumerate(loc):
        if get_origin(tp) is dict and loc[i + 1:] == ("[key]",):  # a bad key of a mapping
            return unwrap(get_args(tp)[0])
        if is_model(tp):
            info = tp.model_fields.get(key) if isinstance(key, str) else None
            if info is None:
                return None
            tp, meta = unwrap(info.annotation)
            meta = list(info.metadata) + meta
        elif is_union(tp) and key in _TAGS:
            tp, meta = _TAGS[key], []
        elif get_origin(tp) is list and isinstance(key, int):
            tp, meta = unwrap(get_args(tp)[0])
        elif get_origin(tp) is dict and isinstance(key, str):
            tp, meta = unwrap(get_args(tp)[1])
        else:
            return None
    return tp, meta


def num(x: float) -> str:
    """A bound or value for a message: whole numbers in full, others in short form (1e+15)."""
    return str(x) if isinstance(x, int) and not isinstance(x, bool) else f"{x:g}"


def _range(meta: list) -> str:
    lo = next((("<=", m.ge) for m in meta if isinstance(m, annotated_types.Ge)), None) or next(
        (("<", m.gt) for m in meta if isinstance(m, annotated_types.Gt)), None)
    hi = next((("<=", m.le) for m in meta if isinstance(m, annotated_types.Le)), None) or next(
        (("<", m.lt) for m in meta if isinstance(m, annotated_types.Lt)), None)
    if lo and hi:
        return f"{num(lo[1])} {lo[0]} value {hi[0]} {num(hi[1])}"
    if lo:
        return f"value {'>=' if lo[0] == '<=' else '>'} {num(lo[1])}"
    if hi:
        return f"value {hi[0]} {num(hi[1])}"
    return ""


def _describe(tp: Any, meta: list) -> str:
    """What a field accepts, in words: 'a number, 0 <= value <= 1'; '' when anything goes."""
    if tp is Any:
        return ""
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
    if is_model(tp):
        return "a mapping with fields " + ", ".join(tp.model_fields)
    if is_union(tp):
        return "a mapping with kind: " + " or ".join(_SHOCK_KINDS)
    if get_origin(tp) is list:
        inner, _ = unwrap(get_args(tp)[0])
        what = {str: "text", float: "numbers", int: "whole numbers"}.get(inner, "mappings")
        return f"a list of {what}{_count(meta)}"
    if get_origin(tp) is dict:
        inner = _describe(*unwrap(get_args(tp)[1]))
        return f"a mapping{_count(meta)} of name: {inner}" if inner else f"a mapping{_count(meta)}"
    return "see docs/scenarios.md"


def _count(meta: list) -> str:
    """' (1 to 17 items)' from a list's or mapping's length constraints; '' if none."""
    lo = next((m.min_length for m in meta if isinstance(m, annotated_types.MinLen)), 0)
    hi = next((m.max_length for m in meta if isinstance(m, annotated_types.MaxLen)), None)
    return f" ({lo} to {hi} items)" if hi is not None else f" (at least {lo})" if lo else ""


def close(word: Any, options: Any) -> str:
    """'did you mean X? ' for a likely typo; nothing when only digits differ (SDG18 is no SDG8)."""
    match = difflib.get_close_matches(str(word), [str(o) for o in options], n=1, cutoff=0.7)
    if not match or re.sub(r"\d", "", match[0]) == re.sub(r"\d", "", str(word)):
        return ""
    return f"did you mean '{match[0]}'? "


def message(err: dict, loc: tuple, root: type[BaseModel] = Scenario) -> str:
    """One pydantic error of a `root` file (Scenario, a sweep file) as 'what is wrong (what is allowed)'."""
    kind = err["type"]
    shown = show(err.get("input"))
    found = _type_at(loc, root)
    allowed = _describe(*found) if found else ""
    allow = f" (allowed: {allowed})" if allowed else ""
    ctx = err.get("ctx") or {}
    if kind == "extra_forbidden":
        key = str(loc[-1])
        owner = _type_at(loc[:-1], root)
        fields = list(owner[0].model_fields) if owner and is_model(owner[0]) else []
        if key == "remove":
            return "'remove: true' only works in a file with 'extends:', on an item of the parent's list"
        listing = f"allowed: {', '.join(fields)}" if fields else "not a field of this mapping"
        return f"unknown field '{key}' ({close(key, fields)}{listing})"
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
        return f"got {shown}, not an allowed value ({close(err.get('input'), options)}allowed: {allowed})"
    what, kinds = ("debt lever", _LEVER_KINDS) if loc[:1] == ("debt_levers",) else ("shock", _SHOCK_KINDS)
    if kind == "union_tag_invalid":
        return f"unknown {what} kind {str(ctx.get('tag'))!r} (allowed: {', '.join(kinds)})"
    if kind == "union_tag_not_found":
        return f"{what} has no 'kind' (allowed: {', '.join(kinds)})"
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


def problems_from(exc: ValidationError, data: Any, label: str, root: type[BaseModel] = Scenario) -> list[Problem]:
    """The located problems of a failed validation of located `data` against `root`.

    Each points at the line of its key in `data` (file `label` where the data has none).
    """
    problems = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        at = (*loc, "kind") if err["type"] == "union_tag_invalid" else loc
        (file, line), field = locate(data, at)
        problems.append(Problem(label if file == "?" else file, line, field, message(err, loc, root)))
    return problems
