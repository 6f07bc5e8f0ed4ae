"""Dotted paths into scenario data (`donors.JPN-ODA.budget_usd`): check, read and assign.

List items are addressed by their `id` (or index). Used by sweeps and search files to
vary fields of a scenario, and by `--set`-style overrides.

An id or key that itself contains dots (World Bank codes such as `SH.DYN.MORT`) is
written in brackets, `indicators[SH.DYN.MORT].unit_cost_usd`, or plainly,
`indicators.SH.DYN.MORT.unit_cost_usd`: then the names are joined back into the one id
of that list (or key of that mapping) they spell; if they could spell two, the path is
ambiguous and the message asks for brackets.
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


class Exact(str):
    """One step of a path written in brackets (`[SH.DYN.MORT]`): one id or key, dots and all."""

    __slots__ = ()


class PathError(ValueError):
    """A path that cannot be read (bad brackets) or names two things at once; `reason` is the
    message without the path (e.g. 'has an empty name')."""

    def __init__(self, message: str, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason or message


def split_path(path: str) -> list[str]:
    """The steps of a path: dot-separated names, each possibly followed by bracketed ids.

    `indicators[SH.DYN.MORT].unit_cost_usd` -> ['indicators', Exact('SH.DYN.MORT'),
    'unit_cost_usd']; `a.b.c` -> ['a', 'b', 'c']. Raise PathError for an empty name,
    an unclosed or empty bracket, or text straight after a `]`.
    """
    parts: list[str] = []
    i, n = 0, len(path)

    def bad(reason: str) -> PathError:
        return PathError(f"path {path!r} {reason} (e.g. donors.JPN-ODA.budget_usd or "
                         "indicators[SH.DYN.MORT].unit_cost_usd)", reason)
    while True:
        j = i
        while j < n and path[j] not in ".[]":
            j += 1
        name = path[i:j].strip()
        if name:
            parts.append(name)
        elif j >= n or path[j] != "[":
            raise bad("has an empty name")
        while j < n and path[j] == "[":
            k = path.find("]", j + 1)
            if k < 0:
                raise bad("has a '[' without its ']'")
            inner = path[j + 1:k].strip()
            if not inner:
                raise bad("has empty brackets")
            parts.append(Exact(inner))
            j = k + 1
        if j >= n:
            return parts
        if path[j] != ".":
            raise bad(f"has {path[j]!r} where a '.' or the end was expected")
        i = j + 1


def _has(node: Any, name: str) -> bool:
    if isinstance(node, list):
        return find_item(node, name) is not None
    return isinstance(node, dict) and name in node


def next_step(node: Any, parts: list[str], i: int) -> tuple[str, int]:
    """The name of the step that starts at `parts[i]` inside `node`, and how many parts it spans.

    A bracketed step is one name; plain names are joined by dots into the one id of a
    list item (or key of a mapping) they spell, e.g. SH, DYN, MORT -> SH.DYN.MORT. No
    match: the single name (the caller reports it or makes a new key). Raise PathError
    if the names could spell two ids.
    """
    part = parts[i]
    if isinstance(part, Exact) or not isinstance(node, (list, dict)):
        return part, 1
    matches = []
    for j in range(i + 1, len(parts) + 1):
        if j > i + 1 and isinstance(parts[j - 1], Exact):
            break
        name = ".".join(parts[i:j])
        if _has(node, name):
            matches.append((name, j - i))
    if len(matches) > 1:
        names = " and ".join(repr(m) for m, _ in matches)
        longest = matches[-1][0]
        raise PathError(f"'{'.'.join(parts[i:i + matches[-1][1]])}' could name {names}; "
                        f"write the id in brackets, e.g. [{longest}]")
    return matches[0] if matches else (part, 1)


def resolve_steps(data: Any, parts: list[str]) -> list[str]:
    """`parts` with the plain names that spell one dotted id joined into that id (see next_step)."""
    out: list[str] = []
    node, i = data, 0
    while i < len(parts):
        name, used = next_step(node, parts, i)
        out.append(Exact(name) if used > 1 else name)
        i += used
        key = child_key(node, name)
        if key is None or (isinstance(node, dict) and key not in node):
            out += parts[i:]
            break
        node = node[key]
    return out


def render(parts: list[str]) -> str:
    """A path from its steps: dotted, with ids that contain dots in brackets."""
    out = ""
    for part in parts:
        if "." in part or "[" in part or "]" in part:
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


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
    try:
        parts = resolve_steps(data, split_path(path))
    except PathError as err:
        return str(err)
    node: Any = data
    tp: Any = Scenario
    here, steps = "", []
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
                hint = ("; an id with dots can also go in brackets, e.g. "
                        f"{here}[{next(i for i in ids if '.' in i)}]" if any("." in i for i in ids) else "")
                return f"no item '{part}' in {here} of scenario '{scenario_name}' ({known}{hint})"
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
        steps.append(part)
        here = render(steps)
        node = child
    return None


def assign(data: Any, parts: list[str], value: Any, copy_path: bool = False) -> None:
    """Set the field at `parts` (list items by id or index) to `value`, in place.

    With `copy_path`, the containers along the path are copied first (shallow), so data
    shared with other points is never modified: a cheap alternative to a deep copy.
    """
    parts = resolve_steps(data, parts)
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
    try:
        parts = resolve_steps(data, parts)
    except PathError:
        return None
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
