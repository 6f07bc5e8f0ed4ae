"""Scenario files: typed schema, `extends:` inheritance, `--set` overrides, located errors.

A scenario is a YAML file validated by the pydantic models below (unknown keys rejected,
ranges and finiteness checked), then by cross-reference checks (every goal, country,
donor and technology named exists). Every problem is reported as one line
`FILE:LINE: field.path: what is wrong (what is allowed)` through `InputError`.

Inheritance: `extends: parent.yaml` (path relative to the file) deep-merges the file
over its parent. Mappings merge key by key; lists of items with an `id` merge item by
item (same id → merged, new id → appended, `{id: X, remove: true}` → dropped, an error if
the parent has no X); other lists, and `[]`, replace the parent's list. A cycle (a → b → a) is reported with its
chain. `--set a.b.c=value` applies after inheritance; list items are addressed by their
`id` (`donors.JPN-ODA.budget_usd=2e9`), problems in overrides point at `--set #N`.

Where problems point: a wrong value at the line of its key, an unknown key at its own
line, a missing key at the line of the mapping that lacks it.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
import re
import types
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import annotated_types
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.fields import FieldInfo

from .yamlio import InputError, LocDict, LocList, Problem, field_name, join_path, load_located, parse_located, to_plain

SDG_IDS = tuple(f"SDG{i}" for i in range(1, 18))
MAX_ITEMS = 1000
MAX_YEARS = 200

Share = Annotated[float, Field(ge=0.0, le=1.0)]
Usd = Annotated[float, Field(ge=0.0, le=1e15)]
Rate = Annotated[float, Field(ge=-0.5, le=0.5)]
Score = Annotated[float, Field(ge=0.0, le=100.0)]
Ident = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")]
Text = Annotated[str, Field(max_length=2000)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False, frozen=True)


class Goal(_Strict):
    """An SDG goal and how money turns into progress on it."""

    id: Literal[SDG_IDS]  # type: ignore[valid-type]
    name: Text = ""
    effectiveness: Share = 0.08
    """κ_g: share of the gap to 100 closed per year at saturating spend."""
    spend_scale_usd_per_capita: Annotated[float, Field(gt=0.0, le=1e6)] = 50.0
    """s_g: effective spend per capita (USD/yr) at which 63 % of κ_g is reached."""
    decay: Share = 0.002
    """δ_g: share of the score lost per year without upkeep."""
    leverage: Annotated[float, Field(ge=0.0, le=100.0)] = 0.0
    """Private USD mobilised per USD of blended public finance (revenue potential)."""
    target_score: Annotated[float, Field(gt=0.0, le=100.0)] = 100.0


class Interlinkage(_Strict):
    """Spillover of progress on `source` into `target` (negative = trade-off)."""

    source: str
    target: str
    weight: Annotated[float, Field(ge=-1.0, le=1.0)]


IndicatorId = Annotated[str, Field(min_length=1, max_length=200)]


class PPIGoalScore(_Strict):
    """How a goal's score (0–100) comes from PPI indicator levels: 100 · mean of clip((I − lo)/(hi − lo), 0, 1)."""

    indicators: Annotated[list[IndicatorId], Field(min_length=1, max_length=10000)]
    scale: Annotated[list[float], Field(min_length=2, max_length=2)]
    """[lo, hi]: the indicator levels that score 0 and 100."""


class CountryPPI(_Strict):
    """PPI (Policy Priority Inference) dynamics for some of a country's goals (docs/ppi.md)."""

    tables: Annotated[str, Field(min_length=1, max_length=1000)]
    """Folder of `sdgsim ppi` tables (indicators.csv; network.csv, expenditure.csv, relations.csv
    optional), relative to the scenario file that names it."""
    parameters: Annotated[str, Field(min_length=1, max_length=1000)]
    """A calibration's parameters.csv (id, alpha, alpha_prime, beta), relative to the scenario file."""
    periods_per_year: Annotated[int, Field(ge=1, le=366)] = 1
    compat: Literal["3.0.7", "fixed"] = "3.0.7"
    usd_per_budget_unit: Annotated[float, Field(gt=0.0, le=1e15)]
    """USD per unit of the calibration's expenditure table (β is unit-specific)."""
    programmes: dict[str, dict[str, Share]]
    """goal -> {programme: share}: how the money reaching a goal is split over programmes (shares sum to 1)."""
    goal_scores: dict[str, PPIGoalScore]
    """goal -> indicators and scale: the PPI goals (the same goals as `programmes`)."""


class Country(_Strict):
    id: Ident
    name: Text = ""
    pilot: bool = False
    population_m: Annotated[float, Field(gt=0.0, le=1e5)]
    population_growth: Rate = 0.0
    gdp_usd_bn: Annotated[float, Field(ge=0.0, le=1e6)]
    gdp_growth: Rate = 0.0
    domestic_sdg_share: Share = 0.0
    """Share of GDP spent domestically on the modelled goals."""
    roadmap_priority: dict[str, Share] = {}
    """Relative priority of each goal in the national STI roadmap (normalised)."""
    governance: Score = 50.0
    """Government effectiveness, 0–100; drives leakage and `performance` allocation."""
    absorptive_capacity: Share = 0.3
    scores: dict[str, Score]
    """SDG goal scores (0–100) in the start year; one per declared goal (PPI goals: optional, derived)."""
    ppi: CountryPPI | None = None
    """PPI dynamics for the goals in ppi.goal_scores (their scores come from PPI indicators)."""


class Donor(_Strict):
    id: Ident
    name: Text = ""
    kind: Literal["bilateral", "multilateral", "foundation", "private", "research", "think-tank"] = "bilateral"
    budget_usd: Usd
    growth: Rate = 0.0
    noise_sd: Annotated[float, Field(ge=0.0, le=1.0)] = 0.0
    strategy: str = "needs"
    strategy_params: dict[str, float] = {}
    eligible_countries: list[str] | None = None
    goals: list[str] | None = None
    pooled_share: Share = 0.0
    """Share of the budget routed into the pooled facility."""
    blended_share: Share = 0.0
    """Share of the bilateral budget given as blended finance (mobilises private money)."""
    capacity_share: Share = 0.0
    """Share of the bilateral budget spent on capacity building."""
    overhead_rate: Share = 0.08
    channel_cost_usd: Usd = 0.0
    """Fixed yearly cost of each donor→country channel with a positive flow."""


class Facility(_Strict):
    """The pooled facility ("Partnership in Action")."""

    name: Text = "Pooled facility"
    strategy: str = "priority"
    strategy_params: dict[str, float] = {}
    eligible_countries: list[str] | None = None
    """Default: the pilot countries (all countries if none is a pilot)."""
    goals: list[str] | None = None
    overhead_rate: Share = 0.03
    channel_cost_usd: Usd = 0.0
    blended_share: Share = 0.0


class Technology(_Strict):
    id: Ident
    name: Text = ""
    goals: dict[str, Annotated[float, Field(ge=0.0, le=10.0)]]
    """Efficacy multiplier per goal: spend is worth (1 + adoption · efficacy) times more."""
    trl: Annotated[int, Field(ge=1, le=9)] = 4
    deploy_trl: Annotated[int, Field(ge=1, le=9)] = 7
    stage_cost_usd: Usd = 5e6
    """Funding needed to finish one TRL stage."""
    stage_years: Annotated[float, Field(ge=0.0, le=50.0)] = 2.0
    success_probability: Share = 0.6
    bass_p: Share = 0.03
    bass_q: Share = 0.38
    base_access: Share = 0.2


class ResearchBody(_Strict):
    id: Ident
    name: Text = ""
    host: Text = ""
    budget_usd: Usd
    growth: Rate = 0.0
    portfolio: dict[str, Annotated[float, Field(ge=0.0, le=1e6)]]
    """Relative weight of each technology in the body's spending."""
    joint: bool = False
    """A joint (e.g. India–Japan) body: success probability × (1 + collaboration_bonus)."""
    collaboration_bonus: Share = 0.0


class Partnership(_Strict):
    """A (South-South / triangular) transfer partnership for one technology."""

    id: Ident
    technology: str
    provider: str
    recipients: list[str]
    funder: str | None = None
    budget_usd: Usd = 0.0
    """Yearly capacity-building budget, split equally over recipients."""
    access_boost: Share = 0.3
    start_year: int | None = None


class Pandemic(_Strict):
    kind: Literal["pandemic"]
    start_year: int
    duration_years: Annotated[int, Field(ge=1, le=MAX_YEARS)] = 1
    countries: list[str] | None = None
    score_hit: dict[str, Annotated[float, Field(ge=0.0, le=100.0)]] = {}
    """Points lost per shock year, per goal."""
    budget_cut: Share = 0.0
    """Share of donor and research budgets cut in shock years."""
    gdp_cut: Share = 0.0
    diversion_to_health: Share = 0.0
    """Share of donors' bilateral grants moved to the health goal in shock years."""
    health_goal: str = "SDG3"


class BudgetCut(_Strict):
    kind: Literal["budget_cut"]
    start_year: int
    duration_years: Annotated[int, Field(ge=1, le=MAX_YEARS)] = 1
    donors: list[str] | None = None
    cut: Share


Shock = Annotated[Pandemic | BudgetCut, Field(discriminator="kind")]


class GovernanceParams(_Strict):
    leakage_max: Share = 0.3
    """Leakage at governance 0; leakage = leakage_max · (1 − governance/100)^exponent."""
    exponent: Annotated[float, Field(gt=0.0, le=10.0)] = 1.0


class CapacityParams(_Strict):
    scale_usd_per_capita: Annotated[float, Field(gt=0.0, le=1e6)] = 2.0
    """Capacity spend per capita (USD/yr) that closes 63 % of the gap to `max`."""
    max: Share = 1.0


class Uncertainty(_Strict):
    effectiveness_sd: Annotated[float, Field(ge=0.0, le=2.0)] = 0.0
    """Log-sd of a per-replication multiplier on each goal's effectiveness."""
    score_noise_sd: Annotated[float, Field(ge=0.0, le=20.0)] = 0.0
    """Sd (points) of yearly noise on each score change."""


class Scenario(_Strict):
    name: Ident
    description: Text = ""
    start_year: Annotated[int, Field(ge=1900, le=2200)]
    end_year: Annotated[int, Field(ge=1900, le=2300)]
    goals: Annotated[list[Goal], Field(min_length=1, max_length=17)]
    interlinkages: Annotated[list[Interlinkage], Field(max_length=289)] = []
    countries: Annotated[list[Country], Field(min_length=1, max_length=MAX_ITEMS)]
    donors: Annotated[list[Donor], Field(max_length=MAX_ITEMS)] = []
    facility: Facility | None = None
    technologies: Annotated[list[Technology], Field(max_length=MAX_ITEMS)] = []
    research_bodies: Annotated[list[ResearchBody], Field(max_length=MAX_ITEMS)] = []
    partnerships: Annotated[list[Partnership], Field(max_length=MAX_ITEMS)] = []
    shocks: Annotated[list[Shock], Field(max_length=100)] = []
    governance: GovernanceParams = GovernanceParams()
    capacity: CapacityParams = CapacityParams()
    uncertainty: Uncertainty = Uncertainty()
    sources: dict[str, Text] = {}
    """Provenance: field path → source and year."""

    # -- convenience -------------------------------------------------------------
    @property
    def goal_ids(self) -> list[str]:
        return [g.id for g in self.goals]

    @property
    def country_ids(self) -> list[str]:
        return [c.id for c in self.countries]

    @property
    def years(self) -> list[int]:
        return list(range(self.start_year, self.end_year + 1))

    def content_hash(self) -> str:
        blob = json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()


# --------------------------------------------------------------------------- loading


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
    ppath = path.parent / parent
    try:
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
        raise InputError([Problem(label, line, "extends", f"parent scenario {_clip(parent)} not found (looked for {ppath})")])
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
    parts = [p.strip() for p in key.split(".")]
    if any(not p for p in parts):
        raise InputError([Problem(label, 1, field_name(key.strip()) if key.strip() else "<set>",
                                  f"field path {_clip(key)} has an empty name ({example})")])
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
    label = f"--set #{n}"
    node = data
    here = ""
    for depth, part in enumerate(parts):
        here = join_path(here, part)
        last = depth == len(parts) - 1
        if isinstance(node, list):
            idx = next((i for i, it in enumerate(node) if isinstance(it, dict) and it.get("id") == part), None)
            if idx is None and part.isascii() and part.isdigit() and int(part) < len(node):
                idx = int(part)
            if idx is None:
                ids = [str(it.get("id")) for it in node if isinstance(it, dict) and "id" in it]
                have = (f"known ids: {', '.join(ids)}" if ids
                        else f"items 0..{len(node) - 1} by index" if node else "the list is empty")
                raise InputError([Problem(label, 1, here, f"no item with id {_clip(part)} ({have})")])
            if last:
                node[idx] = value
                if hasattr(node, "locs"):
                    node.locs[idx] = (label, 1)
            else:
                node = node[idx]
        elif isinstance(node, dict):
            if last:
                node[part] = value
                if hasattr(node, "locs"):
                    node.locs[part] = (label, 1)
            else:
                if part not in node or node[part] is None:
                    node[part] = LocDict(where=(label, 1))
                    if hasattr(node, "locs"):
                        node.locs[part] = (label, 1)
                node = node[part]
        else:
            raise InputError([Problem(label, 1, here, f"cannot set a field inside {_show(node)} "
                                                      "(allowed: a path through mappings and lists)")])


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


# --------------------------------------------------------------------------- messages

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


def load_scenario(path: str | Path, sets: list[str] | tuple[str, ...] = ()) -> Scenario:
    """Load, merge, override and validate a scenario file; raise InputError if bad."""
    path = Path(path)
    data = _load_chain(path, ())
    for n, expr in enumerate(sets, 1):
        parts, value = parse_set(expr, n)
        apply_set(data, parts, value, n)
    return validate_data(data, str(path))


def validate_data(data: Any, label: str = "<scenario>") -> Scenario:
    """Validate located data (schema, then cross-references); raise InputError if bad."""
    if not isinstance(data, dict):
        raise InputError([Problem(label, 1, "(root)", f"got {_show(data)}, not a mapping of scenario fields")])

    def problem(loc: tuple, message: str) -> Problem:
        (file, line), field = _locate(data, loc)
        return Problem(label if file == "?" else file, line, field, message)

    if "policies" in data and "design" in data and "parameters" in data:
        raise InputError([problem(("design",), "this is a sweep file, not a scenario (check it with "
                                               "'sdgsim sweep FILE --dry-run')")])

    try:
        scenario = Scenario.model_validate(to_plain(data))
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            at = (*loc, "kind") if err["type"] == "union_tag_invalid" else loc
            problems.append(problem(at, _message(err, loc)))
        raise InputError(problems) from None
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
    from .ppi.country import goal_scores, load_country_tables  # local: heavy, and only for PPI scenarios

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
            (file, _), _ = _locate(data, (*base, key))
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
                                            f"unknown programme '{name}' ({_close(name, tab.programs)}programmes in "
                                            f"the tables: {', '.join(tab.programs)})"))
        for g, gs in p.goal_scores.items():
            for j, x in enumerate(gs.indicators):
                if x not in ids:
                    problems.append(problem((*base, "goal_scores", g, "indicators", j),
                                            f"unknown indicator '{x}' ({_close(x, ids)}see {paths['tables']}/"
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


def cross_check(s: Scenario, data: Any = None) -> list[tuple[tuple, str]]:
    """Checks that span fields: references, uniqueness, consistency. Returns (loc, message).

    `data` (the located input) is only used to name the line of a duplicate's first use.
    """
    out: list[tuple[tuple, str]] = []
    goals = s.goal_ids
    goal_set = set(goals)
    countries = set(s.country_ids)
    donors = {d.id for d in s.donors}
    techs = {t.id for t in s.technologies}
    bodies = {r.id for r in s.research_bodies}
    goal_list = ", ".join(goals)

    if s.end_year <= s.start_year:
        out.append((("end_year",), f"got {s.end_year}, not after start_year {s.start_year} (allowed: a year > {s.start_year})"))
    elif s.end_year - s.start_year > MAX_YEARS:
        out.append((("end_year",), f"horizon of {s.end_year - s.start_year} years is too long (allowed: at most {MAX_YEARS})"))

    for name, items in (("goals", s.goals), ("countries", s.countries), ("donors", s.donors),
                        ("technologies", s.technologies), ("research_bodies", s.research_bodies),
                        ("partnerships", s.partnerships)):
        first: dict[str, int] = {}
        for i, it in enumerate(items):
            if it.id in first:
                line = _locate(data, (name, first[it.id], "id"))[0][1] if data is not None else None
                where = f"first at line {line}; " if line else ""
                out.append(((name, i, "id"), f"duplicate id '{it.id}' ({where}ids must be unique in {name})"))
            first.setdefault(it.id, i)

    def need(ref: str, known: set[str], loc: tuple, what: str, listing: str | None = None) -> None:
        if ref not in known:
            names = listing or ", ".join(sorted(known)) or "none"
            hint = "" if what == "goal" else _close(ref, known)  # SDG12 is no typo of SDG2
            out.append((loc, f"unknown {what} '{ref}' ({hint}declared: {names})"))

    for i, link in enumerate(s.interlinkages):
        need(link.source, goal_set, ("interlinkages", i, "source"), "goal", goal_list)
        need(link.target, goal_set, ("interlinkages", i, "target"), "goal", goal_list)
        if link.source == link.target:
            out.append((("interlinkages", i, "target"), "a goal cannot link to itself"))
    for i, c in enumerate(s.countries):
        for g in goals:
            if g not in c.scores and not (c.ppi is not None and g in c.ppi.goal_scores):
                out.append((("countries", i, "scores"), f"missing score for goal {g} (every declared goal needs a start score)"))
        for g in c.scores:
            need(g, goal_set, ("countries", i, "scores", g), "goal", goal_list)
        for g in c.roadmap_priority:
            need(g, goal_set, ("countries", i, "roadmap_priority", g), "goal", goal_list)
        if c.roadmap_priority and sum(c.roadmap_priority.values()) <= 0:
            out.append((("countries", i, "roadmap_priority"), "priorities must not all be zero"))
    from .allocation import STRATEGIES  # local: allocation does not import scenario

    def check_strategy(name: str, params: dict, loc: tuple) -> None:
        if name not in STRATEGIES:
            out.append(((*loc, "strategy"),
                        f"unknown strategy '{name}' ({_close(name, STRATEGIES)}allowed: {', '.join(STRATEGIES)})"))
            return
        allowed = STRATEGIES[name].params
        for p, v in params.items():
            if p not in allowed:
                out.append(((*loc, "strategy_params", p),
                            (f"unknown parameter for strategy '{name}' "
                             f"({_close(p, allowed)}allowed: {', '.join(allowed) or 'none'})")))
            elif not (allowed[p][0] <= v <= allowed[p][1]):
                lo, hi = allowed[p]
                side = "below the minimum" if v < lo else "above the maximum"
                out.append(((*loc, "strategy_params", p), f"got {_show(v)}, {side} (allowed: {_num(lo)} <= value <= {_num(hi)})"))

    for i, d in enumerate(s.donors):
        check_strategy(d.strategy, d.strategy_params, ("donors", i))
        for j, c in enumerate(d.eligible_countries or []):
            need(c, countries, ("donors", i, "eligible_countries", j), "country")
        for j, g in enumerate(d.goals or []):
            need(g, goal_set, ("donors", i, "goals", j), "goal", goal_list)
        if d.eligible_countries is not None and not d.eligible_countries:
            out.append((("donors", i, "eligible_countries"), "empty list; omit the field to allow every country"))
        if d.goals is not None and not d.goals:
            out.append((("donors", i, "goals"), "empty list; omit the field to allow every goal"))
        if d.pooled_share > 0 and s.facility is None:
            out.append((("donors", i, "pooled_share"), "pooled_share > 0 but the scenario has no 'facility'"))
        if d.pooled_share + d.blended_share + d.capacity_share > 1 + 1e-12:
            out.append((("donors", i, "pooled_share"),
                        (f"pooled_share + blended_share + capacity_share = "
                         f"{d.pooled_share + d.blended_share + d.capacity_share:g}, more than the whole budget "
                         "(allowed: a sum of at most 1)")))
    if s.facility is not None:
        f = s.facility
        check_strategy(f.strategy, f.strategy_params, ("facility",))
        if f.strategy == "adaptive":
            out.append((("facility", "strategy"),
                        "the facility cannot use 'adaptive' (only donors learn; allowed: "
                        f"{', '.join(n for n in STRATEGIES if n != 'adaptive')})"))
        for j, c in enumerate(f.eligible_countries or []):
            need(c, countries, ("facility", "eligible_countries", j), "country")
        for j, g in enumerate(f.goals or []):
            need(g, goal_set, ("facility", "goals", j), "goal", goal_list)
    for i, t in enumerate(s.technologies):
        if not t.goals:
            out.append((("technologies", i, "goals"), "a technology must serve at least one goal"))
        for g in t.goals:
            need(g, goal_set, ("technologies", i, "goals", g), "goal", goal_list)
    for i, r in enumerate(s.research_bodies):
        for k in r.portfolio:
            need(k, techs, ("research_bodies", i, "portfolio", k), "technology")
    for i, p in enumerate(s.partnerships):
        need(p.technology, techs, ("partnerships", i, "technology"), "technology")
        need(p.provider, bodies, ("partnerships", i, "provider"), "research body")
        if p.funder is not None:
            need(p.funder, donors, ("partnerships", i, "funder"), "donor")
        if p.budget_usd > 0 and p.funder is None:
            out.append((("partnerships", i, "funder"), "a partnership with budget_usd > 0 needs a funder (a donor id)"))
        if not p.recipients:
            out.append((("partnerships", i, "recipients"), "list at least one recipient country"))
        for j, c in enumerate(p.recipients):
            need(c, countries, ("partnerships", i, "recipients", j), "country")
            if c in p.recipients[:j]:
                out.append((("partnerships", i, "recipients", j), f"'{c}' is listed twice (list each recipient once)"))
    for i, sh in enumerate(s.shocks):
        if not (s.start_year <= sh.start_year <= s.end_year):
            out.append((("shocks", i, "start_year"),
                        f"got {sh.start_year}, outside the simulated years (allowed: {s.start_year} to {s.end_year})"))
        if isinstance(sh, Pandemic):
            for g in sh.score_hit:
                need(g, goal_set, ("shocks", i, "score_hit", g), "goal", goal_list)
            if sh.diversion_to_health > 0:
                need(sh.health_goal, goal_set, ("shocks", i, "health_goal"), "goal", goal_list)
            for j, c in enumerate(sh.countries or []):
                need(c, countries, ("shocks", i, "countries", j), "country")
        else:
            for j, d in enumerate(sh.donors or []):
                need(d, donors, ("shocks", i, "donors", j), "donor")
    for key in s.sources:
        if not key.strip():
            out.append((("sources",), "source keys must be field paths"))
    return out

