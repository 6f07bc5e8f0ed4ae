"""Dotted paths into scenario data (`donors.JPN-ODA.budget_usd`): check, read and assign.

List items are addressed by their `id` (or index). Used by sweeps and search files to
vary fields of a scenario, and by `--set`-style overrides.
"""

from __future__ import annotations

import types
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel

from .schema import Scenario


def _unwrap(tp: Any) -> Any:
    while True:
        if get_origin(tp) is Annotated:
            tp = get_args(tp)[0]
        elif get_origin(tp) in (Union, types.UnionType):
            arms = [a for a in get_args(tp) if a is not type(None)]
            if len(arms) != 1:
                return tp
            tp = arms[0]
        else:
            return tp


def _child_type(tp: Any, key: str, node: Any) -> Any:
    """The schema type one step down from `tp` (a model, list or mapping type)."""
    tp = _unwrap(tp)
    if get_origin(tp) in (Union, types.UnionType):  # e.g. shocks: pick the arm that has these keys
        arms = [_unwrap(a) for a in get_args(tp)]
        keys = set(node) if isinstance(node, dict) else set()
        tp = next((a for a in arms if isinstance(a, type) and issubclass(a, BaseModel) and keys <= set(a.model_fields)),
                  arms[0])
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        info = tp.model_fields.get(key)
        return info.annotation if info else None
    if get_origin(tp) in (list, dict):
        return get_args(tp)[-1]
    return None


def _fields_of(tp: Any, node: Any) -> list[str] | None:
    """Field names if `tp` is a schema model (fixed keys), None for a free mapping."""
    tp = _unwrap(tp)
    if get_origin(tp) in (Union, types.UnionType):
        return sorted(node) if isinstance(node, dict) else []
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return list(tp.model_fields)
    return None


def _find_item(items: list, part: str) -> int | None:
    idx = next((i for i, it in enumerate(items) if isinstance(it, dict) and it.get("id") == part), None)
    if idx is None and part.isdigit() and int(part) < len(items):
        idx = int(part)
    return idx


def check_path(data: dict, path: str, scenario_name: str) -> str | None:
    """Why dotted `path` does not name a field of the scenario `data`, or None if it does.

    Fields the schema allows but the file leaves at their default exist (model_dump has
    them); inside free mappings (strategy_params, roadmap_priority) a new key is allowed.
    """
    parts = path.split(".")
    if any(not p for p in parts):
        return "a path is dot-separated names, e.g. donors.JPN-ODA.budget_usd"
    node: Any = data
    tp: Any = Scenario
    here = ""
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        if node is None:
            return (f"'{here}' is empty in scenario '{scenario_name}'; give it a value first "
                    f"(e.g. set: {{{here}: {{}}}})")
        if isinstance(node, list):
            idx = _find_item(node, part)
            if idx is None:
                ids = [str(it.get("id")) for it in node if isinstance(it, dict) and "id" in it]
                known = f"known ids: {', '.join(ids)}" if ids else f"{len(node)} items, by index"
                return f"no item '{part}' in {here} of scenario '{scenario_name}' ({known})"
            child = node[idx]
        elif isinstance(node, dict):
            fields = _fields_of(tp, node)
            if part not in node:
                if fields is None and last:
                    return None  # a new key in a free mapping
                where = f"in {here}" if here else "at the top level"
                allowed = f"allowed: {', '.join(fields)}" if fields else "no such key"
                return f"unknown field '{part}' {where} of scenario '{scenario_name}' ({allowed})"
            child = node[part]
        else:
            return f"'{here}' is a single value in scenario '{scenario_name}'; it has no field '{part}'"
        tp = _child_type(tp, part, node if isinstance(node, dict) else child)
        here = f"{here}.{part}" if here else part
        node = child
    return None


def assign(data: Any, parts: list[str], value: Any, copy_path: bool = False) -> None:
    """Set the field at `parts` (list items by id or index) to `value`, in place.

    With `copy_path`, the containers along the path are copied first (shallow), so data
    shared with other points is never modified: a cheap alternative to a deep copy.
    """
    node = data
    for depth, part in enumerate(parts):
        key = _find_item(node, part) if isinstance(node, list) else part
        if depth == len(parts) - 1:
            old = node[key] if isinstance(node, list) or key in node else None
            if isinstance(old, dict) and isinstance(value, list):  # a vector over a mapping's keys, in order
                if len(value) != len(old):
                    raise ValueError(f"vector of {len(value)} values for a mapping of {len(old)} keys")
                value = dict(zip(old, value))
            node[key] = value
        else:
            if copy_path:
                child = node[key]
                node[key] = list(child) if isinstance(child, list) else dict(child)
            node = node[key]


def lookup(data: Any, parts: list[str]) -> Any:
    """The value at an existing path (see check_path), or None."""
    node = data
    for part in parts:
        if isinstance(node, list):
            idx = _find_item(node, part)
            node = node[idx] if idx is not None else None
        elif isinstance(node, dict):
            node = node.get(part)
        else:
            return None
    return node


def with_values(base: dict, assigns: list[tuple[list[str], Any]]) -> dict:
    """A copy of scenario data `base` with each (path parts, value) assigned; `base` is untouched."""
    data = dict(base)
    for parts, value in assigns:
        assign(data, parts, value, copy_path=True)
    return data
