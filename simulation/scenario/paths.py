"""Dotted paths into scenario data (`donors.JPN-ODA.budget_usd`): check, read and assign.

List items are addressed by their `id` (or index). Used by sweeps and search files to
vary fields of a scenario, and by `--set`-style overrides.
"""

from __future__ import annotations

from typing import Any, get_args, get_origin

from .schema import Scenario
from .typeinfo import is_model, is_union, unwrap


def _child_type(tp: Any, key: str, node: Any) -> Any:
    """The schema type one step down from `tp` (a model, list or mapping type)."""
    tp = unwrap(tp)[0]
    if is_union(tp):  # e.g. shocks: pick the arm that has these keys
        arms = [unwrap(a)[0] for a in get_args(tp)]
        keys = set(node) if isinstance(node, dict) else set()
        tp = next((a for a in arms if is_model(a) and keys <= set(a.model_fields)), arms[0])
    if is_model(tp):
        info = tp.model_fields.get(key)
        return info.annotation if info else None
    if get_origin(tp) in (list, dict):
        return get_args(tp)[-1]
    return None


def _fields_of(tp: Any, node: Any) -> list[str] | None:
    """Field names if `tp` is a schema model (fixed keys), None for a free mapping."""
    tp = unwrap(tp)[0]
    if is_union(tp):
        return sorted(node) if isinstance(node, dict) else []
    if is_model(tp):
        return list(tp.model_fields)
    return None


def find_item(items: list, part: str) -> int | None:
    """The index of the list item named `part`: by its `id`, else by a (decimal) index; None if none."""
    idx = next((i for i, it in enumerate(items) if isinstance(it, dict) and it.get("id") == part), None)
    if idx is None and part.isascii() and part.isdigit() and int(part) < len(items):
        idx = int(part)
    return idx


def known_ids(items: list) -> list[str]:
    """The `id`s of a list's items, for 'no such item' messages."""
    return [str(it.get("id")) for it in items if isinstance(it, dict) and "id" in it]


def child_key(node: Any, part: str) -> int | str | None:
    """One step of a dotted path: the key of `part` in `node`.

    A list item's index (see find_item), a mapping's key (present or not); None when a
    list has no such item or `node` is a single value.
    """
    if isinstance(node, list):
        return find_item(node, part)
    if isinstance(node, dict):
        return part
    return None


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
            idx = find_item(node, part)
            if idx is None:
                ids = known_ids(node)
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
        key = child_key(node, part)
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
        key = child_key(node, part)
        if key is None:
            return None
        node = node.get(key) if isinstance(node, dict) else node[key]
    return node


def with_values(base: dict, assigns: list[tuple[list[str], Any]]) -> dict:
    """A copy of scenario data `base` with each (path parts, value) assigned; `base` is untouched."""
    data = dict(base)
    for parts, value in assigns:
        assign(data, parts, value, copy_path=True)
    return data
