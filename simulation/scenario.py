"""Scenario files: typed schema, `extends:` inheritance, `--set` overrides, located errors.

A scenario is a YAML file validated by the pydantic models below (unknown keys rejected,
ranges and finiteness checked), then by cross-reference checks (every goal, country,
donor and technology named exists). Every problem is reported as one line
`FILE:LINE: field.path: what is wrong (what is allowed)` through `InputError`.

Inheritance: `extends: parent.yaml` (path relative to the file) deep-merges the file
over its parent. Mappings merge key by key; lists of items with an `id` merge item by
item (same id → merged, new id → appended, `{id: X, remove: true}` → dropped); other
lists are replaced. `--set a.b.c=value` applies after inheritance; list items are
addressed by their `id` (`donors.JPN-ODA.budget_usd=2e9`).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .yamlio import InputError, LocDict, LocList, Problem, load_located, parse_located, to_plain

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
    """SDG goal scores (0–100) in the start year; one per declared goal."""


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


def _merge(base: Any, over: Any) -> Any:
    """Deep-merge `over` onto `base`, keeping location info from whichever side wins."""
    if isinstance(base, dict) and isinstance(over, dict):
        out = LocDict(where=getattr(over, "where", ("?", 1)))
        out.locs = dict(getattr(base, "locs", {}))
        out.update(base)
        for key, value in over.items():
            out[key] = _merge(base[key], value) if key in base else value
            if key in getattr(over, "locs", {}):
                out.locs[key] = over.locs[key]
        return out
    if isinstance(base, list) and isinstance(over, list) and _all_ids(base) and _all_ids(over):
        out = LocList(where=getattr(over, "where", ("?", 1)))
        index = {item["id"]: i for i, item in enumerate(base)}
        items = list(base)
        locs = [getattr(base, "locs", {}).get(i, out.where) for i in range(len(base))]
        for j, item in enumerate(over):
            loc = getattr(over, "locs", {}).get(j, out.where)
            if item["id"] in index:
                i = index[item["id"]]
                items[i] = _merge(items[i], item)
                locs[i] = loc
            else:
                index[item["id"]] = len(items)
                items.append(item)
                locs.append(loc)
        for i, (item, loc) in enumerate(
            (it, lc) for it, lc in zip(items, locs) if not (isinstance(it, dict) and it.get("remove") is True)
        ):
            out.append(item)
            out.locs[i] = loc
        return out
    return over


def _all_ids(items: list) -> bool:
    return all(isinstance(it, dict) and isinstance(it.get("id"), str) for it in items)


def _load_chain(path: Path, stack: tuple[Path, ...]) -> Any:
    label = str(path)
    data = load_located(path, label)
    if data is None:
        raise InputError([Problem(label, 1, "(root)", "file is empty (expected a scenario mapping with name, start_year, ...)")])
    if not isinstance(data, dict):
        raise InputError([Problem(label, 1, "(root)", f"expected a mapping of fields, got {type(data).__name__}")])
    parent = data.pop("extends", None)
    if parent is None:
        return data
    line = data.locs.get("extends", (label, 1))[1]
    if not isinstance(parent, str) or not parent:
        raise InputError([Problem(label, line, "extends", "must be a file name (e.g. extends: baseline.yaml)")])
    ppath = (path.parent / parent).resolve()
    if ppath in stack or ppath == path.resolve():
        chain = " -> ".join(str(p.name) for p in (*stack, path.resolve(), ppath))
        raise InputError([Problem(label, line, "extends", f"cycle in extends chain: {chain}")])
    if len(stack) > 20:
        raise InputError([Problem(label, line, "extends", "extends chain deeper than 20 files")])
    if not ppath.exists():
        raise InputError([Problem(label, line, "extends", f"parent scenario '{parent}' not found (looked for {ppath})")])
    base = _load_chain(ppath, (*stack, path.resolve()))
    merged = _merge(base, data)
    return merged


def parse_set(expr: str, n: int) -> tuple[list[str], Any]:
    """Parse one `--set field.path=value`; value is read as YAML (number, list, text)."""
    label = f"--set #{n}"
    if "=" not in expr:
        raise InputError([Problem(label, 1, expr, "expected field.path=value (e.g. donors.JPN-ODA.budget_usd=2e9)")])
    key, _, raw = expr.partition("=")
    parts = [p for p in key.strip().split(".")]
    if not key.strip() or any(not p for p in parts):
        raise InputError([Problem(label, 1, key or "(empty)", "field path must be dot-separated names, e.g. facility.overhead_rate")])
    value = parse_located(raw, label) if raw.strip() else None
    return parts, value


def apply_set(data: Any, parts: list[str], value: Any, n: int) -> None:
    label = f"--set #{n}"
    node = data
    for depth, part in enumerate(parts):
        here = ".".join(parts[: depth + 1])
        last = depth == len(parts) - 1
        if isinstance(node, list):
            idx = next((i for i, it in enumerate(node) if isinstance(it, dict) and it.get("id") == part), None)
            if idx is None and part.isdigit() and int(part) < len(node):
                idx = int(part)
            if idx is None:
                ids = [str(it.get("id")) for it in node if isinstance(it, dict)]
                raise InputError([Problem(label, 1, here, f"no item with id '{part}' (have: {', '.join(ids) or 'none'})")])
            if last:
                node[idx] = value
                node.locs[idx] = (label, 1)
            else:
                node = node[idx]
        elif isinstance(node, dict):
            if last:
                node[part] = value
                node.locs[part] = (label, 1)
            else:
                if part not in node or node[part] is None:
                    node[part] = LocDict(where=(label, 1))
                    node.locs[part] = (label, 1)
                node = node[part]
        else:
            raise InputError([Problem(label, 1, here, f"cannot set inside a {type(node).__name__} value")])


def _locate(tree: Any, loc: tuple) -> tuple[tuple[str, int], str]:
    """Find (file, line) and a readable dotted path for a pydantic error location."""
    where = getattr(tree, "where", ("?", 1))
    node: Any = tree
    names: list[str] = []
    for key in loc:
        if isinstance(node, list) and isinstance(key, int):
            item = node[key] if key < len(node) else None
            names.append(str(item["id"]) if isinstance(item, dict) and isinstance(item.get("id"), str) else str(key))
            where = node.locs.get(key, where) if hasattr(node, "locs") else where
            node = item
        elif isinstance(node, dict) and isinstance(key, str) and key in node:
            names.append(key)
            where = node.locs.get(key, where) if hasattr(node, "locs") else where
            node = node[key]
        elif isinstance(key, str) and key in {"pandemic", "budget_cut"}:
            continue  # discriminated-union tag in pydantic's location
        else:
            names.append(str(key))
            node = None
    return where, ".".join(names) or "(root)"


_SCALAR_HINT = {
    "float_type": "a number",
    "int_type": "a whole number",
    "string_type": "text",
    "bool_type": "true or false",
    "dict_type": "a mapping",
    "list_type": "a list",
}


def _message(err: dict, model_fields: list[str] | None) -> str:
    kind = err["type"]
    value = err.get("input")
    shown = repr(value) if not isinstance(value, (dict, list)) else type(value).__name__
    if len(shown) > 60:
        shown = shown[:57] + "..."
    if kind == "extra_forbidden":
        allowed = f" (allowed: {', '.join(model_fields)})" if model_fields else ""
        return f"unknown field{allowed}"
    if kind == "missing":
        return "required field is missing"
    if kind == "finite_number":
        return f"got {shown}; must be a finite number (not NaN or infinity)"
    if kind in _SCALAR_HINT:
        return f"got {shown}; must be {_SCALAR_HINT[kind]}"
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        ctx = err.get("ctx", {})
        return f"got {shown}; {err['msg'].lower()} (allowed range {_range_text(ctx)})"
    if kind == "literal_error":
        return f"got {shown}; {err['msg'].replace('Input should be', 'must be')}"
    if kind == "union_tag_invalid":
        return f"unknown shock kind {shown} (allowed: pandemic, budget_cut)"
    if kind == "union_tag_not_found":
        return "shock needs a 'kind' (allowed: pandemic, budget_cut)"
    if kind == "string_pattern_mismatch":
        return f"got {shown}; ids use letters, digits and _ . : - and start with a letter or digit"
    if kind in ("too_long", "too_short"):
        return f"{err['msg']}"
    return f"got {shown}; {err['msg']}"


def _range_text(ctx: dict) -> str:
    lo = ctx.get("ge", ctx.get("gt"))
    hi = ctx.get("le", ctx.get("lt"))
    if lo is not None and hi is not None:
        return f"{lo}..{hi}"
    if lo is not None:
        return f">= {lo}" if "ge" in ctx else f"> {lo}"
    return f"<= {hi}" if "le" in ctx else f"< {hi}"


def _fields_at(loc: tuple) -> list[str] | None:
    """The allowed field names of the model that owns an unknown key at `loc`."""
    model: Any = Scenario
    for key in loc[:-1]:
        if isinstance(key, int) or model is None:
            continue
        if key in {"pandemic", "budget_cut"}:
            model = Pandemic if key == "pandemic" else BudgetCut
            continue
        field = getattr(model, "model_fields", {}).get(key)
        if field is None:
            return None
        model = _inner_model(field.annotation)
    return list(getattr(model, "model_fields", {}).keys()) or None


def _inner_model(annotation: Any) -> Any:
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _inner_model(arg)
        if found is not None:
            return found
    meta = getattr(annotation, "__origin__", None)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if meta is not None:
        return _inner_model(meta)
    return None


def load_scenario(path: str | Path, sets: list[str] | tuple[str, ...] = ()) -> Scenario:
    """Load, merge, override and validate a scenario file; raise InputError if bad."""
    path = Path(path)
    data = _load_chain(path, ())
    for n, expr in enumerate(sets, 1):
        parts, value = parse_set(expr, n)
        apply_set(data, parts, value, n)
    return validate_data(data, str(path))


def validate_data(data: Any, label: str = "<scenario>") -> Scenario:
    if not isinstance(data, dict):
        raise InputError([Problem(label, 1, "(root)", "expected a mapping of scenario fields")])
    try:
        scenario = Scenario.model_validate(to_plain(data))
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            (file, line), field = _locate(data, err["loc"])
            problems.append(Problem(file if file != "?" else label, line, field, _message(err, _fields_at(err["loc"]))))
        raise InputError(problems) from None
    problems = [
        Problem(*(_locate(data, loc)[0]), _locate(data, loc)[1], msg) for loc, msg in cross_check(scenario)
    ]
    if problems:
        raise InputError(problems)
    return scenario


def cross_check(s: Scenario) -> list[tuple[tuple, str]]:
    """Checks that span fields: references, uniqueness, consistency. Returns (loc, message)."""
    out: list[tuple[tuple, str]] = []
    goals = s.goal_ids
    goal_set = set(goals)
    countries = set(s.country_ids)
    donors = {d.id for d in s.donors}
    techs = {t.id for t in s.technologies}
    bodies = {r.id for r in s.research_bodies}
    goal_list = ", ".join(goals)

    if s.end_year <= s.start_year:
        out.append((("end_year",), f"got {s.end_year}; must be after start_year {s.start_year}"))
    elif s.end_year - s.start_year > MAX_YEARS:
        out.append((("end_year",), f"horizon of {s.end_year - s.start_year} years is too long (at most {MAX_YEARS})"))

    for name, items in (("goals", s.goals), ("countries", s.countries), ("donors", s.donors),
                        ("technologies", s.technologies), ("research_bodies", s.research_bodies),
                        ("partnerships", s.partnerships)):
        seen: set[str] = set()
        for i, it in enumerate(items):
            if it.id in seen:
                out.append(((name, i, "id"), f"duplicate id '{it.id}' (ids must be unique in {name})"))
            seen.add(it.id)

    def need(ref: str, known: set[str], loc: tuple, what: str, listing: str | None = None) -> None:
        if ref not in known:
            out.append((loc, f"unknown {what} '{ref}' (declared: {listing or ', '.join(sorted(known)) or 'none'})"))

    for i, link in enumerate(s.interlinkages):
        need(link.source, goal_set, ("interlinkages", i, "source"), "goal", goal_list)
        need(link.target, goal_set, ("interlinkages", i, "target"), "goal", goal_list)
        if link.source == link.target:
            out.append((("interlinkages", i, "target"), "a goal cannot link to itself"))
    for i, c in enumerate(s.countries):
        for g in goals:
            if g not in c.scores:
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
            out.append(((*loc, "strategy"), f"unknown strategy '{name}' (allowed: {', '.join(STRATEGIES)})"))
            return
        allowed = STRATEGIES[name].params
        for p, v in params.items():
            if p not in allowed:
                out.append(((*loc, "strategy_params", p), f"unknown parameter for '{name}' (allowed: {', '.join(allowed) or 'none'})"))
            elif not (allowed[p][0] <= v <= allowed[p][1]):
                out.append(((*loc, "strategy_params", p), f"got {v}; allowed range {allowed[p][0]}..{allowed[p][1]}"))

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
                        f"pooled_share + blended_share + capacity_share = {d.pooled_share + d.blended_share + d.capacity_share:g} (at most 1)"))
    if s.facility is not None:
        f = s.facility
        check_strategy(f.strategy, f.strategy_params, ("facility",))
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
    for i, sh in enumerate(s.shocks):
        if not (s.start_year <= sh.start_year <= s.end_year):
            out.append((("shocks", i, "start_year"), f"got {sh.start_year}; must lie in {s.start_year}..{s.end_year}"))
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

