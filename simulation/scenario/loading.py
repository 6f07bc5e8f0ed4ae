"""Scenario files: typed schema, `extends:` inheritance, `--set` overrides, located errors.

A scenario is a YAML file validated by the pydantic models below (unknown keys rejected,
ranges and finiteness checked), then by cross-reference checks (every goal, country,
donor and technology named exists). Every problem is reported as one line
`FILE:LINE: field.path: what is wrong (what is allowed)` through `InputError`.

Inheritance: `extends: parent.yaml` (path relative to the file; `.yaml` may be left out)
deep-merges the file over its parent. A bare name that is no file next to it names a shipped
scenario (`extends: baseline`), so a user's file in any folder can build on the library.
Mappings merge key by key; lists of items with an `id` merge item by
item (same id → merged, new id → appended, `{id: X, remove: true}` → dropped, an error if
the parent has no X); other lists, and `[]`, replace the parent's list. A cycle (a → b → a) is reported with its
chain. `--set a.b.c=value` applies after inheritance; list items are addressed by their
`id` (`donors.JPN-ODA.budget_usd=2e9`), problems in overrides point at `--set #N`.

Where problems point: a wrong value at the line of its key, an unknown key at its own
line, a missing key at the line of the mapping that lacks it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..errors import InputError, Problem, field_name, join_path
from ..ppi.country_tables import goal_scores, load_country_tables
from .checks import cross_check
from .library import parent_file, shipped_names

# clip and show keep their old local names here so that _load_chain's lines are left as they are
from .messages import clip as _clip
from .messages import close, locate, problems_from
from .messages import show as _show
from .paths import PathError, child_key, known_ids, next_step, split_path
from .schema import Scenario
from .yamlio import LocDict, LocList, load_located, parse_located, to_plain


def _merge(base: Any, over: Any, path: str = "") -> Any:
    """Deep-merge `over` onto `base`, keeping location info from whichever side wins.

    Lists whose items all have an `id` merge item by item; `{id: X, remove: true}` drops
    the parent's item X (an error if the parent has no X). Other lists, and an empty list,
    replace the parent's list (`donors: []` removes every donor).
    """
    if isinstance(base, dict) and isinstance(over, dict):
        out = LocDict(where=getattr(over, "where", ("?", 1)))
        out.locs = dict(getattr(base, "locs", {}))
        out.update(base)
        for key, value in over.items():
            out[key] = _merge(base[key], value, join_path(path, key)) if key in base else value
            if key in getattr(over, "locs", {}):
                out.locs[key] = over.locs[key]
        return out
    if isinstance(base, list) and isinstance(over, list) and over and _all_ids(base) and _all_ids(over):
        out = LocList(where=getattr(over, "where", ("?", 1)))
        index = {item["id"]: i for i, item in enumerate(base)}
        items: list[Any] = list(base)
        locs = [getattr(base, "locs", {}).get(i, out.where) for i in range(len(base))]
        for j, item in enumerate(over):
            loc = getattr(over, "locs", {}).get(j, out.where)
            here = join_path(path, item["id"])
            if _remove_flag(item, here):
                if item["id"] not in index:
                    have = ", ".join(str(it["id"]) for it in base) or "none"
                    where = getattr(item, "locs", {}).get("id", loc)
                    raise InputError([Problem(*where, join_path(here, "id"),
                                              f"no item with id '{item['id']}' in the parent to remove (parent has: {have})")])
                items[index[item["id"]]] = None
                continue
            item = _without(item, "remove")
            if item["id"] in index and items[index[item["id"]]] is not None:
                i = index[item["id"]]
                items[i] = _merge(items[i], item, here)
                locs[i] = loc
            else:
                index[item["id"]] = len(items)
                items.append(item)
                locs.append(loc)
        for item, loc in zip(items, locs):
            if item is not None:
                out.locs[len(out)] = loc
                out.append(item)
        return out
    return over


def _remove_flag(item: Any, path: str) -> bool:
    flag = item.get("remove", False)
    if not isinstance(flag, bool):
        where = getattr(item, "locs", {}).get("remove", getattr(item, "where", ("?", 1)))
        raise InputError([Problem(*where, join_path(path, "remove"), f"got {_show(flag)}, wrong type (allowed: true or false)")])
    return flag


def _without(item: Any, key: str) -> Any:
    if key not in item:
        return item
    out = LocDict({k: v for k, v in item.items() if k != key}, where=getattr(item, "where", ("?", 1)))
    out.locs = {k: v for k, v in getattr(item, "locs", {}).items() if k != key}
    return out


def _all_ids(items: list) -> bool:
    return all(isinstance(it, dict) and isinstance(it.get("id"), str) for it in items)


def _load_chain(path: Path, stack: tuple[Path, ...]) -> Any:
    label = str(path)
    data = load_located(path, label)
    if data is None:
        raise InputError([Problem(label, 1, "(root)", "file is empty (allowed: a scenario mapping with name, start_year, ...)")])
    if not isinstance(data, dict):
        raise InputError([Problem(label, 1, "(root)",
                                  f"got {_show(data)}, not a mapping of fields "
                                  "(allowed: a scenario mapping with name, start_year, ...)")])
    if "extends" not in data:
        return data
    line = data.locs.get("extends", (label, 1))[1]
    parent = data.pop("extends")
    if not isinstance(parent, str) or not parent.strip():
        raise InputError([Problem(label, line, "extends",
                                  f"got {_show(parent)} (allowed: a file name, e.g. extends: baseline.yaml)")])
    try:
        ppath = parent_file(path, parent)
        me, target = path.resolve(), ppath.resolve()
        found, is_dir = target.exists(), target.is_dir()
    except (OSError, ValueError, RuntimeError) as exc:  # NUL in the name, name too long, symlink loop
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise InputError([Problem(label, line, "extends", f"parent scenario {_clip(parent)} cannot be used ({why})")]) from None
    if target in stack or target == me:
        chain = " -> ".join(p.name for p in (*stack, me, target))
        raise InputError([Problem(label, line, "extends", f"cycle in extends chain: {chain} (allowed: a chain without loops)")])
    if len(stack) >= 20:
        raise InputError([Problem(label, line, "extends", "extends chain deeper than 20 files (allowed: at most 20)")])
    if not found:
        raise InputError([Problem(label, line, "extends", f"parent scenario {_clip(parent)} not found (looked for {ppath}; "
                                  "allowed: a file relative to this one, or the name of a shipped scenario: "
                                  f"{', '.join(shipped_names()) or 'none'})")])
    if is_dir:
        raise InputError([Problem(label, line, "extends", f"parent {_clip(parent)} is a directory (allowed: a YAML file)")])
    base = _load_chain(ppath, (*stack, me))
    return _merge(base, data)


def parse_set(expr: str, n: int) -> tuple[list[str], Any]:
    """Parse one `--set field.path=value`; value is read as YAML (number, list, text)."""
    label = f"--set #{n}"
    example = "allowed: field.path=value, e.g. donors.JPN-ODA.budget_usd=2e9"
    if "=" not in expr:
        raise InputError([Problem(label, 1, field_name(expr.strip()) if expr.strip() else "<set>",
                                  f"no '=' in {_clip(expr)} ({example})")])
    key, _, raw = expr.partition("=")
    try:
        parts = split_path(key)
    except PathError as err:
        raise InputError([Problem(label, 1, field_name(key.strip()) if key.strip() else "<set>",
                                  f"field path {_clip(key)} {err.reason} ({example})")]) from None
    path = ".".join(field_name(p) for p in parts)
    if parts[0] == "extends":
        raise InputError([Problem(label, 1, path, "'extends' cannot be set on the command line (allowed: scenario fields)")])
    try:
        value = parse_located(raw, label) if raw.strip() else None
    except InputError as err:
        raise InputError([Problem(label, 1, path, f"value {_clip(raw)} cannot be read: {p.message}")
                          for p in err.problems]) from None
    return parts, value


def apply_set(data: Any, parts: list[str], value: Any, n: int) -> None:
    """Set the field at `parts` to `value` (list items by id or index, see paths.child_key;
    ids with dots see paths.next_step), creating missing mappings on the way; the values set
    point at `--set #n`, line 1."""
    label = f"--set #{n}"
    node = data
    here = ""
    i = 0
    while i < len(parts):
        try:
            part, used = next_step(node, parts, i)
        except PathError as err:
            raise InputError([Problem(label, 1, join_path(here, parts[i]), str(err))]) from None
        i += used
        here = join_path(here, part)
        last = i == len(parts)
        key = child_key(node, part)
        if key is None and isinstance(node, list):
            ids = known_ids(node)
            have = (f"known ids: {', '.join(ids)}" if ids
                    else f"items 0..{len(node) - 1} by index" if node else "the list is empty")
            raise InputError([Problem(label, 1, here, f"no item with id {_clip(part)} ({have})")])
        if key is None:
            raise InputError([Problem(label, 1, here, f"cannot set a field inside {_show(node)} "
                                                      "(allowed: a path through mappings and lists)")])
        if last or (isinstance(node, dict) and node.get(key) is None):
            node[key] = value if last else LocDict(where=(label, 1))
            if hasattr(node, "locs"):
                node.locs[key] = (label, 1)
        if not last:
            node = node[key]


def load_scenario(path: str | Path, sets: list[str] | tuple[str, ...] = ()) -> Scenario:
    """Load, merge, override and validate a scenario file; raise InputError if bad."""
    path = Path(path)
    data = _load_chain(path, ())
    for n, expr in enumerate(sets, 1):
        parts, value = parse_set(expr, n)
        apply_set(data, parts, value, n)
    return validate_data(data, str(path))


def validate_data(data: Any, label: str = "<scenario>", plain: bool = False) -> Scenario:
    """Validate located data (schema, then cross-references); raise InputError if bad.

    `plain`: the data holds plain dicts, lists and values only (no location containers, e.g.
    a validated scenario's model_dump with values assigned), so it need not be copied first.
    """
    if not isinstance(data, dict):
        raise InputError([Problem(label, 1, "(root)", f"got {_show(data)}, not a mapping of scenario fields")])

    def problem(loc: tuple, message: str) -> Problem:
        (file, line), field = locate(data, loc)
        return Problem(label if file == "?" else file, line, field, message)

    if "policies" in data and "design" in data and "parameters" in data:
        raise InputError([problem(("design",), "this is a sweep file, not a scenario (check it with "
                                               "'sdgsim sweep FILE --dry-run')")])

    try:
        scenario = Scenario.model_validate(data if plain else to_plain(data))
    except ValidationError as exc:
        raise InputError(problems_from(exc, data, label)) from None
    problems = [problem(loc, msg) for loc, msg in cross_check(scenario, data)]
    if problems:
        raise InputError(problems)
    if any(c.ppi is not None for c in scenario.countries):
        scenario = resolve_ppi(scenario, data, problem)
    return scenario


def resolve_ppi(s: Scenario, data: Any, problem: Any) -> Scenario:
    """Check the countries' `ppi` blocks against their tables; return the scenario with table
    paths made absolute and the PPI goals' start scores filled in (derived from the indicators'
    initial levels). Table problems are located in the table files."""
    goal_set = set(s.goal_ids)
    problems: list[Problem] = []
    countries = list(s.countries)
    for i, c in enumerate(s.countries):
        p = c.ppi
        if p is None:
            continue
        base = ("countries", i, "ppi")
        bad = len(problems)
        for key in ("programmes", "goal_scores"):
            for g in getattr(p, key):
                if g not in goal_set:
                    problems.append(problem((*base, key, g), f"unknown goal '{g}' (declared: {', '.join(s.goal_ids)})"))
        for g in set(p.goal_scores) - set(p.programmes):
            problems.append(problem((*base, "programmes"), f"no programmes for goal {g} (every goal in goal_scores "
                                                          "needs programmes: how its money is split)"))
        for g in set(p.programmes) - set(p.goal_scores):
            problems.append(problem((*base, "goal_scores"), f"no goal_scores for goal {g} (every goal in programmes "
                                                           "is a PPI goal and needs its indicators and scale)"))
        for g, w in p.programmes.items():
            total = sum(w.values())
            if not w or abs(total - 1.0) > 1e-6:
                problems.append(problem((*base, "programmes", g), f"shares sum to {total:g} (allowed: shares that sum "
                                                                   "to 1, so all the goal's money reaches programmes)"))
        for g, gs in p.goal_scores.items():
            if not gs.scale[0] < gs.scale[1]:
                problems.append(problem((*base, "goal_scores", g, "scale"), f"got {gs.scale}, not [lo, hi] with "
                                                                            "lo < hi"))
        paths = {}
        for key in ("tables", "parameters"):
            (file, _), _ = locate(data, (*base, key))
            raw = Path(getattr(p, key))
            here = Path(file).parent if file != "?" and not file.startswith("--set") else Path.cwd()
            full = raw if raw.is_absolute() else here / raw
            ok = full.is_dir() if key == "tables" else full.is_file()
            if not ok:
                what = "a folder of PPI tables (indicators.csv, ...)" if key == "tables" else "a parameters.csv file"
                problems.append(problem((*base, key), f"{_clip(str(raw))} not found (looked for {full}; allowed: "
                                                      f"{what}, relative to the scenario file)"))
            paths[key] = str(full.resolve()) if ok else str(full)
        if len(problems) > bad:
            continue
        try:
            tab = load_country_tables(paths["tables"], paths["parameters"], p.compat)
        except InputError as err:
            problems.extend(err.problems)
            continue
        ids = {x: k for k, x in enumerate(tab.ids)}
        for g, w in p.programmes.items():
            for name in w:
                if name not in tab.programs:
                    problems.append(problem((*base, "programmes", g, name),
                                            f"unknown programme '{name}' ({close(name, tab.programs)}programmes in "
                                            f"the tables: {', '.join(tab.programs)})"))
        for g, gs in p.goal_scores.items():
            for j, x in enumerate(gs.indicators):
                if x not in ids:
                    problems.append(problem((*base, "goal_scores", g, "indicators", j),
                                            f"unknown indicator '{x}' ({close(x, ids)}see {paths['tables']}/"
                                            "indicators.csv)"))
        if len(problems) > bad:
            continue
        gl = list(p.goal_scores)
        cols = [[ids[x] for x in p.goal_scores[g].indicators] for g in gl]
        derived = goal_scores(tab.spec.I0[None], cols, [tuple(p.goal_scores[g].scale) for g in gl])[0]
        scores = dict(c.scores)
        for g, v in zip(gl, derived):
            v = float(v)
            if g in scores and abs(scores[g] - v) > 1e-6:
                problems.append(problem(("countries", i, "scores", g),
                                        f"got {_show(scores[g])}, but the PPI indicators' initial levels give {v!r} "
                                        "(write that value, or leave the score out: PPI goals' start scores are "
                                        "derived from ppi.goal_scores)"))
            scores[g] = v
        scores = {g: scores[g] for g in s.goal_ids}
        countries[i] = c.model_copy(update={"scores": scores, "ppi": p.model_copy(update=paths)})
    if problems:
        raise InputError(problems)
    return s.model_copy(update={"countries": countries})
