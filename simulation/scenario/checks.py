"""Cross-field checks of a scenario: references, uniqueness, consistency."""

from __future__ import annotations

from typing import Any

from ..mechanisms.allocation import STRATEGIES
from ..mechanisms.fiscal import debt_schedule
from .messages import close, locate, num, show
from .schema import MAX_YEARS, Pandemic, Scenario


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
                line = locate(data, (name, first[it.id], "id"))[0][1] if data is not None else None
                where = f"first at line {line}; " if line else ""
                out.append(((name, i, "id"), f"duplicate id '{it.id}' ({where}ids must be unique in {name})"))
            first.setdefault(it.id, i)

    def need(ref: str, known: set[str], loc: tuple, what: str, listing: str | None = None) -> None:
        if ref not in known:
            names = listing or ", ".join(sorted(known)) or "none"
            hint = "" if what == "goal" else close(ref, known)  # SDG12 is no typo of SDG2
            out.append((loc, f"unknown {what} '{ref}' ({hint}declared: {names})"))

    for i, link in enumerate(s.interlinkages):
        need(link.source, goal_set, ("interlinkages", i, "source"), "goal", goal_list)
        need(link.target, goal_set, ("interlinkages", i, "target"), "goal", goal_list)
        if link.source == link.target:
            out.append((("interlinkages", i, "target"), "a goal cannot link to itself"))
    covered = covered_goals(s)
    for i, c in enumerate(s.countries):
        for g in goals:
            if g not in c.scores and not (c.ppi is not None and g in c.ppi.goal_scores) and g not in covered:
                out.append((("countries", i, "scores"), f"missing score for goal {g} (every declared goal needs a start score)"))
        for g in c.scores:
            need(g, goal_set, ("countries", i, "scores", g), "goal", goal_list)
        for g in c.roadmap_priority:
            need(g, goal_set, ("countries", i, "roadmap_priority", g), "goal", goal_list)
        if c.roadmap_priority and sum(c.roadmap_priority.values()) <= 0:
            out.append((("countries", i, "roadmap_priority"), "priorities must not all be zero"))

    def check_strategy(name: str, params: dict, loc: tuple) -> None:
        if name not in STRATEGIES:
            out.append(((*loc, "strategy"),
                        f"unknown strategy '{name}' ({close(name, STRATEGIES)}allowed: {', '.join(STRATEGIES)})"))
            return
        allowed = STRATEGIES[name].params
        for p, v in params.items():
            if p not in allowed:
                out.append(((*loc, "strategy_params", p),
                            (f"unknown parameter for strategy '{name}' "
                             f"({close(p, allowed)}allowed: {', '.join(allowed) or 'none'})")))
            elif not (allowed[p][0] <= v <= allowed[p][1]):
                lo, hi = allowed[p]
                side = "below the minimum" if v < lo else "above the maximum"
                out.append(((*loc, "strategy_params", p), f"got {show(v)}, {side} (allowed: {num(lo)} <= value <= {num(hi)})"))

    for i, d in enumerate(s.donors):
        check_strategy(d.strategy, d.strategy_params, ("donors", i))
        for j, c in enumerate(d.eligible_countries or []):
            need(c, countries, ("donors", i, "eligible_countries", j), "country")
        for j, g in enumerate(d.goals or []):
            need(g, goal_set, ("donors", i, "goals", j), "goal", goal_list)
        for key in ("recorded_shares", "share_drift"):
            for c in getattr(d, key):
                need(c, countries, ("donors", i, key, c), "country")
        if d.eligible_countries is not None and not d.eligible_countries:
            out.append((("donors", i, "eligible_countries"), "empty list; omit the field to allow every country"))
        if d.goals is not None and not d.goals:
            out.append((("donors", i, "goals"), "empty list; omit the field to allow every goal"))
        if d.pooled_share > 0 and s.facility is None:
            out.append((("donors", i, "pooled_share"), "pooled_share > 0 but the scenario has no 'facility'"))
        if d.blended_share + d.capacity_share > 1 + 1e-12:
            out.append((("donors", i, "blended_share"),
                        (f"blended_share + capacity_share = {d.blended_share + d.capacity_share:g}, more than "
                         "the bilateral budget (allowed: a sum of at most 1)")))
    if s.facility is not None:
        f = s.facility
        check_strategy(f.strategy, f.strategy_params, ("facility",))
        donor_only = {"adaptive": "only donors learn", "persistence": "only donors have a recorded allocation"}
        if f.strategy in donor_only:
            out.append((("facility", "strategy"),
                        f"the facility cannot use '{f.strategy}' ({donor_only[f.strategy]}; allowed: "
                        f"{', '.join(n for n in STRATEGIES if n not in donor_only)})"))
        if (f.blended_share or 0.0) + (f.capacity_share or 0.0) > 1 + 1e-12:
            out.append((("facility", "blended_share"),
                        f"blended_share + capacity_share = {f.blended_share + f.capacity_share:g}, more than "
                        "what the facility pays out (allowed: a sum of at most 1)"))
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
    out += fiscal_checks(s)
    for key in s.sources:
        if not key.strip():
            out.append((("sources",), "source keys must be field paths"))
    out += indicator_checks(s)
    out += group_checks(s)
    return out


def group_checks(s: Scenario) -> list[tuple[tuple, str]]:
    """`groups:` names only the scenario's countries, each once; a group's name is no country id,
    and a shipped group's name (data.groups(): gpp, ldc, ssf, lic, ...) only for exactly that
    group's members among the scenario's countries (what `--group ldc` stores)."""
    if not s.groups:
        return []
    from .. import data  # the country table (pandas) only for a scenario with groups: validate stays light

    out: list[tuple[tuple, str]] = []
    ids = s.country_ids
    countries = set(ids)
    shipped = data.groups()
    for name, members in s.groups.items():
        if name in countries:
            out.append((("groups", name), f"group '{name}' has a country's id (allowed: a name no country has)"))
        elif name.lower() in shipped:
            own = [c for c in data.group_members(name) if c in countries]
            if sorted(set(members)) != sorted(own):
                out.append((("groups", name),
                            f"'{name}' is a shipped group ({shipped[name.lower()][0]}: {', '.join(own) or 'none'} "
                            "of these countries); list exactly those, or give your group another name"))
        if not members:
            out.append((("groups", name), "empty group (allowed: one or more of the scenario's country ids)"))
        for j, c in enumerate(members):
            if c not in countries:
                out.append((("groups", name, j), f"unknown country '{c}' ({close(c, countries)}declared: "
                                                  f"{', '.join(ids)})"))
            elif c in members[:j]:
                out.append((("groups", name, j), f"'{c}' is listed twice (list each country once)"))
    return out


def covered_goals(s: Scenario) -> set[str]:
    """Goals whose indicators carry their whole score (weights summing to 1): start scores derived."""
    weight: dict[str, float] = {}
    for ind in s.indicators:
        weight[ind.goal] = weight.get(ind.goal, 0.0) + ind.goal_weight
    return {g for g, w in weight.items() if w > 1 - 1e-9}


def indicator_checks(s: Scenario) -> list[tuple[tuple, str]]:
    """Indicators: their goals exist, weights add up, every country has a start value for each."""
    out: list[tuple[tuple, str]] = []
    goals = set(s.goal_ids)
    ids = s.indicator_ids
    weight: dict[str, float] = {}
    for i, ind in enumerate(s.indicators):
        if ind.goal not in goals:
            out.append((("indicators", i, "goal"), f"unknown goal '{ind.goal}' (declared: {', '.join(s.goal_ids)})"))
        lb, ub = ind.bounds
        if not lb < ub:
            out.append((("indicators", i, "bounds"), f"got [{lb:g}, {ub:g}], not [lb, ub] with lb < ub"))
        if ind.trend_range is not None and not ind.trend_range[0] <= ind.trend_range[1]:
            lo, hi = ind.trend_range
            out.append((("indicators", i, "trend_range"), f"got [{lo:g}, {hi:g}], not [lowest, highest] with "
                                                          "lowest <= highest"))
        if ind.trend_range is not None and not ind.trend_range[0] <= ind.trend_range[1]:
            lo, hi = ind.trend_range
            out.append((("indicators", i, "trend_range"), f"got [{lo:g}, {hi:g}], not [lowest, highest] with "
                                                          "lowest <= highest"))
        weight[ind.goal] = weight.get(ind.goal, 0.0) + ind.goal_weight
    for g, w in weight.items():
        if w > 1 + 1e-9:
            i = next(k for k, ind in enumerate(s.indicators) if ind.goal == g)
            out.append((("indicators", i, "goal_weight"), f"the goal_weights of {g}'s indicators sum to {w:g} "
                                                          "(allowed: at most 1, the whole goal score)"))
    for c, country in enumerate(s.countries):
        for key in country.indicators:
            if key not in ids:
                out.append((("countries", c, "indicators", key),
                            f"unknown indicator '{key}' ({close(key, ids)}declared: {', '.join(ids) or 'none'})"))
        for ind in s.indicators:
            own = country.indicators.get(ind.id)
            lo, hi = min(0.0, ind.best), max(ind.scale, ind.best)
            if own is not None and not lo <= own.value <= hi:  # 250 % access: 297 M people of 120 M
                out.append((("countries", c, "indicators", ind.id, "value"),
                            f"got {own.value:g}, outside {lo:g}-{hi:g} ({ind.unit or 'its unit'}, the range "
                            "its scale allows)"))
            if ind.id not in country.indicators:
                out.append((("countries", c, "indicators"), f"no start value for indicator {ind.id} "
                                                            "(every declared indicator needs one per country)"))
    for i, sh in enumerate(s.shocks):
        for key in getattr(sh, "indicator_shock", {}):
            if key not in ids:
                out.append((("shocks", i, "indicator_shock", key),
                            f"unknown indicator '{key}' (declared: {', '.join(ids) or 'none'})"))
    return out


def fiscal_checks(s: Scenario) -> list[tuple[tuple, str]]:
    """Fiscal blocks, loan terms and debt levers: loans repaid after their grace, fiscal space
    positive in the start year, levers naming countries with a fiscal block and declared goals."""
    out: list[tuple[tuple, str]] = []
    for name, funder in [*((("donors", i), d) for i, d in enumerate(s.donors)),
                         *([(("facility",), s.facility)] if s.facility is not None else [])]:
        terms = funder.loan_terms
        if terms.maturity_years <= terms.grace_years:
            out.append(((*name, "loan_terms", "maturity_years"),
                        f"got {terms.maturity_years}, not after grace_years {terms.grace_years} "
                        f"(allowed: more than {terms.grace_years} years)"))
    fiscal = {c.id for c in s.countries if c.fiscal is not None}
    for i, c in enumerate(s.countries):
        f = c.fiscal
        if f is None:
            continue
        service = float(start_debt_service(s, c))
        revenue = f.revenue_share * c.gdp_usd_bn * 1e9
        if revenue - service <= 0:
            out.append((("countries", i, "fiscal", "revenue_share"),
                        f"revenue ({revenue:.4g} US$) does not exceed the start year's debt service ({service:.4g} US$): "
                        "no fiscal space to spend (allowed: revenue above debt service)"))
    for i, lever in enumerate(s.debt_levers):
        if not (s.start_year <= lever.start_year <= s.end_year):
            out.append((("debt_levers", i, "start_year"),
                        f"got {lever.start_year}, outside the simulated years (allowed: {s.start_year} to {s.end_year})"))
        for j, cid in enumerate(lever.countries):
            if cid not in fiscal:
                known = ", ".join(sorted(fiscal)) or "none"
                out.append((("debt_levers", i, "countries", j),
                            f"'{cid}' has no fiscal block, so no debt service to relieve (countries with one: {known})"))
        for j, g in enumerate(getattr(lever, "goals", [])):
            if g not in s.goal_ids:
                out.append((("debt_levers", i, "goals", j),
                            f"unknown goal '{g}' (declared: {', '.join(s.goal_ids)})"))
    return out


def start_debt_service(s: Scenario, country) -> float:
    """A country's external debt service in the start year, US$ (its fiscal block's schedule)."""
    f = country.fiscal
    first = s.start_year if f.debt_service_from is None else f.debt_service_from
    return float(debt_schedule(f.debt_service_usd, first, s.start_year, 1, country.gdp_growth)[0])
