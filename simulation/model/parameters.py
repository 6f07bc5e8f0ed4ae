"""The model's parameters, grouped by entity: built once from a validated scenario, never changed.

`parameters(scenario)` derives every number the model needs from the scenario alone (no
random numbers) into small frozen groups, one per entity: countries, goals, indicators,
donors, the pooled facility, channels, research bodies, technologies, partnerships,
shocks and uncertainty. The model reads them as `p.<group>.<field>`.

Each field says where it is defined whether it may differ between the scenarios of one
batch (a sweep's design points, stacking.py) and where its replication axis goes:

    kappa: np.ndarray = axis(0)          # (G,) → (S, G) when the batch's scenarios differ in it
    decay: np.ndarray = axis(0, pad=1)   # (G,) → (S, 1, G): used only against (S, C, G) state
    hit: np.ndarray = axis(1)            # (T, C, G) → (T, S, C, G): indexed by year first

`axis` is where the replication axis goes (1 for arrays indexed by year first, so that
`x[t]` gives (S, ...)), `pad` how many singleton axes follow it. A field without `axis` is
structure (ids, masks, strategy names, index arrays, shapes): scenarios that differ in it
cannot share a batch (stacking.StructureMismatch).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from ..mechanisms import allocation, channels, dynamics, fiscal
from ..mechanisms import indicators as ind
from ..scenario import Pandemic, Scenario


def axis(at: int = 0, pad: int = 0):
    """A parameter that may differ between the scenarios of a batch: its replication axis goes at
    position `at`, followed by `pad` singleton axes (see the module docstring)."""
    return dataclasses.field(metadata={"axis": at, "pad": pad})


def rule(f: dataclasses.Field) -> tuple[int, int] | None:
    """(axis, pad) of a stackable field, None for structure."""
    return (f.metadata["axis"], f.metadata["pad"]) if "axis" in f.metadata else None


@dataclass(frozen=True)
class Goals:
    ids: list[str]
    kappa: np.ndarray = axis()  # (G,) expected effectiveness κ_g
    spend_scale: np.ndarray = axis()  # (G,) s_g, USD per capita
    decay: np.ndarray = axis(pad=1)  # (G,)
    leverage: np.ndarray = axis()  # (G,) private money per blended dollar
    links: np.ndarray = axis()  # (G, G) interlinkage weights, source → target
    displacement: np.ndarray = axis(pad=1)  # (G,) own spending cut per US$ of an increase in external money


@dataclass(frozen=True)
class Countries:
    ids: list[str]
    population0: np.ndarray = axis()  # (C,) people
    population_growth: np.ndarray = axis()
    gdp0: np.ndarray = axis()  # (C,) USD
    gdp_growth: np.ndarray = axis()
    domestic_share: np.ndarray = axis()
    domestic_path: np.ndarray = axis()  # (C,) the domestic share of GDP the indicators' trends reflect
    governance: np.ndarray = axis()
    retention: np.ndarray = axis()  # (C,) 1 − leakage
    priority: np.ndarray = axis()  # (C, G) rows sum to 1
    capacity0: np.ndarray = axis()
    scores0: np.ndarray = axis()  # (C, G)
    remainder0: np.ndarray = axis()  # (C, G) the part of each score its unmodelled indicators carry
    birth_rate: np.ndarray = axis()  # (C,) live births per person and year
    cap_scale: float = axis(pad=1)
    cap_max: float = axis(pad=1)
    abs_share: float = axis(pad=1)
    abs_ref: float = axis(pad=1)

    def population(self, t: int) -> np.ndarray:
        """(C,) people in year start + t ((S, C) if the batch's scenarios differ in it)."""
        return population(self.population0, self.population_growth, t)


def population(population0: np.ndarray, growth: np.ndarray, t: int | np.ndarray) -> np.ndarray:
    """People in year start + t: population0 · (1 + growth)^t (t (Y, 1) gives every year (Y, C))."""
    return population0 * (1.0 + growth) ** t


@dataclass(frozen=True)
class Donors:
    ids: list[str]
    public: np.ndarray  # (D,) 1.0 for bilateral and multilateral donors
    coordinated: np.ndarray  # (D,) bool
    mask: np.ndarray  # (D, C, G) bool, eligible cells
    groups: dict  # strategy -> (n,) donor indices, in agent order
    base: np.ndarray = axis()  # (D,) USD
    growth: np.ndarray = axis()
    noise_sd: np.ndarray = axis()
    noise_persistence: np.ndarray = axis()  # (D,) AR(1) correlation of budget deviations
    pooled_share: np.ndarray = axis()
    blended_share: np.ndarray = axis()
    capacity_share: np.ndarray = axis()
    overhead_rate: np.ndarray = axis()
    channel_cost: np.ndarray = axis()  # (D,) USD per channel and year
    params: dict = axis()  # strategy -> name -> (n,)


@dataclass(frozen=True)
class Facility:
    exists: bool
    pools: bool  # whether any donor pools money: a facility that never receives any does not run
    strategy: str | None
    coordinated: bool
    mask: np.ndarray  # (1, C, G) bool
    params: dict = axis()  # name -> (1,)
    overhead: np.ndarray = axis()  # (1,)
    channel_cost: np.ndarray = axis()  # (1,)
    blended: np.ndarray = axis()  # (1,) its blended window; NaN: the pooled money's own mix
    capacity: np.ndarray = axis()  # (1,) its capacity window; NaN: the pooled money's own mix
    payout: float = axis()
    lag: float = axis()
    risk: float = axis(pad=2)
    provisioning: float = axis(pad=2)  # guarantee fund held per dollar of private money risk sharing adds
    growth: np.ndarray | None = axis(1)  # (T − 1,) planned growth of its payout


@dataclass(frozen=True)
class Channels:
    """What a channel costs its recipient (used against (S, F, C) flows)."""
    share: float = axis(pad=2)
    reference: float = axis(pad=2)
    elasticity: float = axis(pad=2)
    volatility: float = axis(pad=2)


@dataclass(frozen=True)
class Technologies:
    ids: list[str]
    efficacy: np.ndarray = axis()  # (K, G)
    stage_cost: np.ndarray = axis()
    stage_years: np.ndarray = axis()
    success_prob: np.ndarray = axis()
    deploy_trl: np.ndarray = axis()
    bass_p: np.ndarray = axis(pad=1)
    bass_q: np.ndarray = axis(pad=1)
    trl0: np.ndarray = axis()


@dataclass(frozen=True)
class Research:
    ids: list[str]
    base: np.ndarray = axis()  # (R,) USD
    growth: np.ndarray = axis()
    portfolio: np.ndarray = axis()  # (R, K) weights
    collab_bonus: np.ndarray = axis()


@dataclass(frozen=True)
class Partnerships:
    recipients: np.ndarray  # (P, C) equal shares of the recipients
    funders: list[str]
    access: np.ndarray = axis(1)  # (T, C, K) technology access by year
    budget: np.ndarray = axis(1)  # (T, P) USD
    rate: np.ndarray = axis()  # (P,) the funder's overhead rate


@dataclass(frozen=True)
class Shocks:
    health_goal: np.ndarray  # (T,) goal index, −1 where no pandemic diverts money
    donor_cut: np.ndarray = axis(1)  # (T, D)
    research_cut: np.ndarray = axis(1, pad=1)  # (T,)
    gdp_cut: np.ndarray = axis(1)  # (T, C)
    hit: np.ndarray = axis(1)  # (T, C, G) score points (of the remainder, for goals with indicators)
    diversion: np.ndarray = axis(1)  # (T, C)


@dataclass(frozen=True)
class Uncertainty:
    effectiveness_sd: float = axis(pad=1)
    score_noise_sd: float = axis(pad=3)


@dataclass(frozen=True)
class Indicators:
    """(I,) definitions, (C, I) country values and trends, (T, C, I) shocks, (I, G) goal weights."""
    ids: list[str]
    lb: np.ndarray
    ub: np.ndarray
    best: np.ndarray
    higher: np.ndarray
    floor: np.ndarray
    scale: np.ndarray
    ceiling: np.ndarray
    lag: np.ndarray
    goal: np.ndarray
    births: np.ndarray
    weights: np.ndarray
    goals: np.ndarray  # goal indices carried (in part) by indicators
    unmodelled: np.ndarray  # (G,) 1 − Σ weights
    unit_cost: np.ndarray = axis(pad=1)
    money_share: np.ndarray = axis(pad=1)
    curvature: np.ndarray = axis(pad=1)  # (I,) η: how fast the next person's cost rises as the gap closes
    depreciation: np.ndarray = axis(pad=1)  # (I,) share of the people reached lost each year
    trend_lo: np.ndarray = axis(pad=1)  # (I,) history's range of decade-long trends (NaN: open)
    trend_hi: np.ndarray = axis(pad=1)
    ref_gap: np.ndarray = axis()  # (C, I) the gap at which unit_cost applies
    value0: np.ndarray = axis()
    gap0: np.ndarray = axis()
    norm0: np.ndarray = axis()
    trend0: np.ndarray = axis()
    trend_sd: np.ndarray = axis()
    noise_sd: np.ndarray = axis()
    base_pc: np.ndarray = axis()
    shock: np.ndarray = axis(1)

    @property
    def n(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class Fiscal:
    """Fiscal space (C,) and (T, C), loans by kind of funder, debt levers (mechanisms/fiscal.py)."""
    has: np.ndarray  # (C,) bool: countries whose domestic spending follows fiscal space
    revenue0: np.ndarray = axis()  # (C,) US$ in the start year
    buoyancy: np.ndarray = axis()
    average: np.ndarray = axis()  # (C,) s: the goals' share of fiscal space in the start year
    marginal: np.ndarray = axis()  # (C,) m: their share of a change in it
    path_share: np.ndarray = axis()  # (C,) fiscal space / GDP in the start year
    scheduled: np.ndarray = axis(1)  # (T, C) external debt service due, US$ (IDS)
    donor_loan: np.ndarray = axis()  # (D,) share of grant money lent
    facility_loan: np.ndarray = axis()  # (1,)
    donor_unit: np.ndarray = axis()  # (D, L, 2) principal and interest per US$ lent, k = 1 … L years after
    facility_unit: np.ndarray = axis()  # (1, L, 2)
    donor_ge: np.ndarray = axis()  # (D, C) grant element of each donor's loans to each country (DAC discount rates)
    facility_ge: np.ndarray = axis()  # (1, C)
    relief: np.ndarray = axis(1)  # (T, C) share of scheduled service relieved
    swap: np.ndarray = axis(1)  # (T, C) share swapped
    commitment: np.ndarray = axis(1)  # (T, C) share of the swapped service committed to goals
    swap_cost: np.ndarray = axis(1)  # (T, C) transaction cost, share of the committed money
    swap_goals: np.ndarray = axis(1)  # (T, C, G) how committed money is split over goals (rows sum to 1 or 0)

    @property
    def lends(self) -> bool:
        """Whether any funder of the batch lends (the loans' service is then tracked)."""
        return bool(np.any(self.donor_loan) or np.any(self.facility_loan))


@dataclass(frozen=True)
class Parameters:
    """Every parameter of a scenario, by entity."""
    T: int
    has_ppi: bool
    goals: Goals
    countries: Countries
    donors: Donors
    facility: Facility
    channels: Channels
    technologies: Technologies
    research: Research
    partnerships: Partnerships
    shocks: Shocks
    uncertainty: Uncertainty
    indicators: Indicators
    fiscal: Fiscal


# --------------------------------------------------------------------------- building


def parameters(sc: Scenario) -> Parameters:
    """Everything the model derives from `sc` alone (no random numbers), by entity."""
    T = sc.end_year - sc.start_year
    goals = _goals(sc)
    indicators = _indicators(sc, T)
    donors = _donors(sc)
    countries = _countries(sc, goals, indicators)
    return Parameters(
        T=T, has_ppi=any(c.ppi is not None for c in sc.countries), goals=goals, countries=countries,
        donors=donors, facility=_facility(sc, donors, T), channels=_channels(sc), technologies=_technologies(sc),
        research=_research(sc), partnerships=_partnerships(sc, T), shocks=_shocks(sc, T, indicators),
        uncertainty=Uncertainty(sc.uncertainty.effectiveness_sd, sc.uncertainty.score_noise_sd),
        indicators=indicators, fiscal=_fiscal(sc, T, countries))


def _index(ids) -> dict[str, int]:
    return {x: i for i, x in enumerate(ids)}


def _goals(sc: Scenario) -> Goals:
    gi = _index(sc.goal_ids)
    links = np.zeros((len(gi), len(gi)))
    for link in sc.interlinkages:
        links[gi[link.source], gi[link.target]] += link.weight
    return Goals(sc.goal_ids, kappa=np.array([g.effectiveness for g in sc.goals]),
                 spend_scale=np.array([g.spend_scale_usd_per_capita for g in sc.goals]),
                 decay=np.array([g.decay for g in sc.goals]), leverage=np.array([g.leverage for g in sc.goals]),
                 links=links, displacement=np.array([g.aid_displacement for g in sc.goals]))


def _countries(sc: Scenario, goals: Goals, indicators: Indicators) -> Countries:
    cs, G = sc.countries, len(goals.ids)
    governance = np.array([c.governance for c in cs])
    priority = np.zeros((len(cs), G))
    for i, c in enumerate(cs):
        row = np.array([c.roadmap_priority.get(g, 0.0) for g in goals.ids]) if c.roadmap_priority else np.ones(G)
        priority[i] = row / row.sum()
    scores0, remainder0 = _start_scores(sc, indicators)
    return Countries(
        sc.country_ids, population0=np.array([c.population_m * 1e6 for c in cs]),
        population_growth=np.array([c.population_growth for c in cs]), gdp0=np.array([c.gdp_usd_bn * 1e9 for c in cs]),
        gdp_growth=np.array([c.gdp_growth for c in cs]), domestic_share=np.array([c.domestic_sdg_share for c in cs]),
        domestic_path=np.array([c.domestic_sdg_share if c.domestic_path_share is None else c.domestic_path_share
                                for c in cs]),
        governance=governance,
        retention=1.0 - dynamics.leakage(governance, sc.governance.leakage_max, sc.governance.exponent),
        priority=priority, capacity0=np.array([c.absorptive_capacity for c in cs]), scores0=scores0,
        remainder0=remainder0, birth_rate=np.array([c.birth_rate_per_1000 for c in cs]) / 1000.0,
        cap_scale=sc.capacity.scale_usd_per_capita, cap_max=sc.capacity.max,
        abs_share=sc.absorption.ceiling_share_of_gdp, abs_ref=sc.absorption.reference_capacity)


def _start_scores(sc: Scenario, n: Indicators) -> tuple[np.ndarray, np.ndarray]:
    """(C, G) start scores, and the remainder: the part of each goal's score that its unmodelled
    indicators carry, as their mean score (0-100). It follows the abstract spending dynamics
    (docs/model.md); a goal without indicators is all remainder, one whose indicators carry it
    all has none."""
    start = np.array([[c.scores.get(g, 0.0) for g in sc.goal_ids] for c in sc.countries], float)
    remainder = start.copy()
    if n.n:  # goals whose indicators carry the whole score start from them; the others as given
        covered = n.weights.sum(axis=0)
        full = n.goals[covered[n.goals] > 1 - 1e-9]
        part = n.goals[covered[n.goals] <= 1 - 1e-9]
        start[:, full] = (n.norm0 @ n.weights)[:, full]
        rest = (start - n.norm0 @ n.weights) / np.maximum(1.0 - covered, 1e-9)
        remainder[:, part] = np.clip(rest, 0.0, 100.0)[:, part]
    return start, remainder


def _donors(sc: Scenario) -> Donors:
    ds, C, G = sc.donors, len(sc.country_ids), len(sc.goal_ids)
    ci, gi = _index(sc.country_ids), _index(sc.goal_ids)
    mask = np.zeros((len(ds), C, G), dtype=bool)
    for i, d in enumerate(ds):
        cs = [ci[c] for c in d.eligible_countries] if d.eligible_countries else list(range(C))
        gs = [gi[g] for g in d.goals] if d.goals else list(range(G))
        mask[i][np.ix_(cs, gs)] = True
    groups = {name: np.array([i for i, d in enumerate(ds) if d.strategy == name])
              for name in dict.fromkeys(d.strategy for d in ds)}
    return Donors(
        [d.id for d in ds], public=np.array([d.kind in ("bilateral", "multilateral") for d in ds], dtype=float),
        coordinated=np.array([d.coordinated for d in ds], dtype=bool), mask=mask, groups=groups,
        base=np.array([d.budget_usd for d in ds]), growth=np.array([d.growth for d in ds]),
        noise_sd=np.array([d.noise_sd for d in ds]), noise_persistence=np.array([d.noise_persistence for d in ds]),
        pooled_share=np.array([d.pooled_share for d in ds]),
        blended_share=np.array([d.blended_share for d in ds]), capacity_share=np.array([d.capacity_share for d in ds]),
        overhead_rate=np.array([d.overhead_rate for d in ds]), channel_cost=np.array([d.channel_cost_usd for d in ds]),
        params={name: {**allocation.stack_params(name, [ds[i].strategy_params for i in idx]),
                       **(_recorded([ds[i] for i in idx], ci) if name == "persistence" else {})}
                for name, idx in groups.items()})


def _recorded(ds: list, ci: dict[str, int]) -> dict[str, np.ndarray]:
    """The `persistence` donors' recorded shares and drifts as (n, C) arrays over the scenario's countries."""
    out = {k: np.zeros((len(ds), len(ci))) for k in allocation.RECORDED}
    for i, d in enumerate(ds):
        for key, field in zip(allocation.RECORDED, ("recorded_shares", "share_drift")):
            for c, v in getattr(d, field).items():
                out[key][i, ci[c]] = v
    return out


def _facility(sc: Scenario, donors: Donors, T: int) -> Facility:
    f, C, G = sc.facility, len(sc.country_ids), len(sc.goal_ids)
    mask = np.zeros((1, C, G), dtype=bool)
    if f is None:
        return Facility(False, False, None, False, mask, params={}, overhead=np.zeros(1), channel_cost=np.zeros(1),
                        blended=np.zeros(1), capacity=np.zeros(1), payout=1.0, lag=0.0, risk=0.0, provisioning=0.0,
                        growth=None)
    ci, gi = _index(sc.country_ids), _index(sc.goal_ids)
    pilots = np.array([c.pilot for c in sc.countries])
    cs = [ci[c] for c in f.eligible_countries] if f.eligible_countries else \
        (list(np.flatnonzero(pilots)) if pilots.any() else list(range(C)))
    gs = [gi[g] for g in f.goals] if f.goals else list(range(G))
    mask[0][np.ix_(cs, gs)] = True
    # what it pays out when contributions follow their trend: its payout's planned growth
    trend = donors.base * donors.pooled_share * (1.0 + donors.growth) ** np.arange(T)[:, None]
    trend = np.maximum(trend - np.where(trend > 0, donors.channel_cost, 0.0), 0.0).sum(axis=1)
    planned = channels.scheduled_payout(trend, f.payout_rate, f.start_lag_years)
    growth = np.divide(planned[1:], planned[:-1], out=np.ones(T - 1), where=planned[:-1] > 0)
    return Facility(
        True, any(d.pooled_share > 0 for d in sc.donors), f.strategy, f.coordinated, mask,
        params=allocation.stack_params(f.strategy, [f.strategy_params]), overhead=np.array([f.overhead_rate]),
        channel_cost=np.array([f.channel_cost_usd]), blended=_window(f.blended_share),
        capacity=_window(f.capacity_share), payout=f.payout_rate, lag=f.start_lag_years, risk=f.risk_sharing,
        provisioning=f.guarantee_provisioning, growth=growth)


def _window(share: float | None) -> np.ndarray:
    """(1,) a facility window's share; NaN where the scenario leaves it to the pooled money's own mix."""
    return np.array([np.nan if share is None else share])


def _channels(sc: Scenario) -> Channels:
    ch = sc.channels
    return Channels(ch.recipient_cost_share, ch.reference_flow_usd, ch.cost_elasticity, ch.volatility_cost)


def _technologies(sc: Scenario) -> Technologies:
    tech, gi = sc.technologies, _index(sc.goal_ids)
    efficacy = np.zeros((len(tech), len(gi)))
    for i, k in enumerate(tech):
        for g, e in k.goals.items():
            efficacy[i, gi[g]] = e
    return Technologies(
        [k.id for k in tech], efficacy=efficacy, stage_cost=np.array([k.stage_cost_usd for k in tech]),
        stage_years=np.array([k.stage_years for k in tech]),
        success_prob=np.array([k.success_probability for k in tech]),
        deploy_trl=np.array([k.deploy_trl for k in tech]), bass_p=np.array([k.bass_p for k in tech]),
        bass_q=np.array([k.bass_q for k in tech]), trl0=np.array([k.trl for k in tech]))


def _research(sc: Scenario) -> Research:
    bodies, ki = sc.research_bodies, _index(k.id for k in sc.technologies)
    portfolio = np.zeros((len(bodies), len(ki)))
    for i, r in enumerate(bodies):
        for k, w in r.portfolio.items():
            portfolio[i, ki[k]] = w
    return Research([r.id for r in bodies], base=np.array([r.budget_usd for r in bodies]),
                    growth=np.array([r.growth for r in bodies]), portfolio=portfolio,
                    collab_bonus=np.array([r.collaboration_bonus if r.joint else 0.0 for r in bodies]))


def _partnerships(sc: Scenario, T: int) -> Partnerships:
    """Access (T, C, K) by year, budgets (T, P) and recipients (P, C)."""
    ci, ki, di = _index(sc.country_ids), _index(k.id for k in sc.technologies), _index(d.id for d in sc.donors)
    years = np.arange(sc.start_year, sc.end_year)
    access = np.broadcast_to(np.array([k.base_access for k in sc.technologies]), (T, len(ci), len(ki))).copy()
    P = len(sc.partnerships)
    budget, recipients, rate = np.zeros((T, P)), np.zeros((P, len(ci))), np.zeros(P)
    for p, ps in enumerate(sc.partnerships):
        on = years >= (ps.start_year if ps.start_year is not None else sc.start_year)
        rec = list(dict.fromkeys(ci[c] for c in ps.recipients))  # a repeated recipient counts once
        access[np.ix_(on, rec, [ki[ps.technology]])] += ps.access_boost
        budget[on, p] = ps.budget_usd
        recipients[p, rec] = 1.0 / len(rec)
        rate[p] = sc.donors[di[ps.funder]].overhead_rate if ps.funder else 0.0
    np.clip(access, 0.0, 1.0, out=access)
    return Partnerships(recipients, [ps.funder or ps.id for ps in sc.partnerships], access=access, budget=budget,
                        rate=rate)


def _shocks(sc: Scenario, T: int, n: Indicators) -> Shocks:
    ci, gi, di = _index(sc.country_ids), _index(sc.goal_ids), _index(d.id for d in sc.donors)
    C, G, D = len(ci), len(gi), len(di)
    years = np.arange(sc.start_year, sc.end_year)
    donor_cut, research_cut, gdp_cut = np.zeros((T, D)), np.zeros(T), np.zeros((T, C))
    hit, diversion, health_goal = np.zeros((T, C, G)), np.zeros((T, C)), np.full(T, -1)
    for sh in sc.shocks:
        on = (years >= sh.start_year) & (years < sh.start_year + sh.duration_years)
        if not isinstance(sh, Pandemic):
            ds = [di[d] for d in sh.donors] if sh.donors else list(range(D))
            donor_cut[np.ix_(on, ds)] = 1 - (1 - donor_cut[np.ix_(on, ds)]) * (1 - sh.cut)
            continue
        cs = [ci[c] for c in sh.countries] if sh.countries else list(range(C))
        for g, h in sh.score_hit.items():
            hit[np.ix_(on, cs, [gi[g]])] += h
        donor_cut[on] = 1 - (1 - donor_cut[on]) * (1 - sh.budget_cut)
        research_cut[on] = 1 - (1 - research_cut[on]) * (1 - sh.budget_cut)
        gdp_cut[np.ix_(on, cs)] = 1 - (1 - gdp_cut[np.ix_(on, cs)]) * (1 - sh.gdp_cut)
        if sh.diversion_to_health > 0:
            diversion[np.ix_(on, cs)] = sh.diversion_to_health
            health_goal[on] = gi[sh.health_goal]
    if n.n:  # a shock's score_hit is in points of the goal's score; it acts on the remainder, so scale it
        hit[..., n.goals] /= np.maximum(n.unmodelled[n.goals], 1e-9)
    return Shocks(health_goal, donor_cut=donor_cut, research_cut=research_cut, gdp_cut=gdp_cut, hit=hit,
                  diversion=diversion)


def _indicators(sc: Scenario, T: int) -> Indicators:
    """Arrays of the scenario's indicators (docs/model.md "Indicators"); empty if it has none."""
    defs, C, I = sc.indicators, len(sc.countries), len(sc.indicators)
    gi = _index(sc.goal_ids)
    lb, ub = np.array([d.bounds[0] for d in defs]), np.array([d.bounds[1] for d in defs])
    best, scale = np.array([d.best for d in defs]), np.array([d.scale for d in defs])
    higher = np.array([d.higher_is_better for d in defs], dtype=bool)
    goal = np.array([gi[d.goal] for d in defs], dtype=int)
    weights = np.zeros((I, len(gi)))
    weights[np.arange(I), goal] = [d.goal_weight for d in defs]
    floor = ind.GAP_FLOOR * (ub - lb)
    rows = [[c.indicators[d.id] for d in defs] for c in sc.countries]

    def table(name: str) -> np.ndarray:
        return np.array([[getattr(x, name) for x in row] for row in rows], float).reshape(C, I)

    value0 = table("value")
    gap0 = ind.gap(value0, best, higher, floor)
    ref = np.array([np.nan if d.cost_reference is None else d.cost_reference for d in defs])
    ref_gap = np.where(np.isnan(ref), gap0, ind.gap(np.where(np.isnan(ref), 0.0, ref), best, higher, floor))
    rng_ = [d.trend_range or (np.nan, np.nan) for d in defs]
    return Indicators(
        [d.id for d in defs], lb, ub, best, higher, floor, scale, ind.gap_ceiling(best, higher, scale),
        lag=np.array([d.lag_years for d in defs], dtype=int), goal=goal,
        births=np.array([d.denominator == "births" for d in defs], dtype=bool), weights=weights,
        goals=np.flatnonzero(weights.sum(axis=0) > 0), unmodelled=np.maximum(1.0 - weights.sum(axis=0), 0.0),
        unit_cost=np.array([d.unit_cost_usd for d in defs]), money_share=np.array([d.money_share for d in defs]),
        curvature=np.array([d.cost_curvature for d in defs]), depreciation=np.array([d.depreciation for d in defs]),
        trend_lo=np.array([r[0] for r in rng_], float), trend_hi=np.array([r[1] for r in rng_], float),
        ref_gap=ref_gap.reshape(C, I), value0=value0, gap0=gap0, norm0=ind.normalise(value0, lb, ub, higher),
        trend0=table("trend"), trend_sd=table("trend_sd"), noise_sd=table("noise_sd"),
        base_pc=table("baseline_usd_per_capita"), shock=_indicator_shocks(sc, T))


def _indicator_shocks(sc: Scenario, T: int) -> np.ndarray:
    """(T, C, I) pandemics' indicator shocks (log-gap points)."""
    ci, ii = _index(sc.country_ids), _index(sc.indicator_ids)
    shock = np.zeros((T, len(ci), len(ii)))
    years = np.arange(sc.start_year, sc.end_year)
    for sh in sc.shocks:
        if isinstance(sh, Pandemic) and sh.indicator_shock:
            on = (years >= sh.start_year) & (years < sh.start_year + sh.duration_years)
            cs = [ci[c] for c in sh.countries] if sh.countries else list(range(len(ci)))
            for key, v in sh.indicator_shock.items():
                shock[np.ix_(on, cs, [ii[key]])] += v
    return shock


LOAN_YEARS = 60
"""The longest loan maturity the schema allows (LoanTerms.maturity_years): the length of every schedule."""


def _fiscal(sc: Scenario, T: int, countries: Countries) -> Fiscal:
    """Fiscal space, loans and debt levers (docs/model.md "Fiscal space, loans and debt")."""
    cs, C = sc.countries, len(sc.countries)
    has = np.array([c.fiscal is not None for c in cs], dtype=bool)
    revenue0, buoyancy, marginal = np.zeros(C), np.ones(C), np.zeros(C)
    scheduled = np.zeros((T, C))
    for i, c in enumerate(cs):
        if c.fiscal is not None:
            f = c.fiscal
            first = sc.start_year if f.debt_service_from is None else f.debt_service_from
            scheduled[:, i] = fiscal.debt_schedule(f.debt_service_usd, first, sc.start_year, T, c.gdp_growth)
            revenue0[i], buoyancy[i] = f.revenue_share * countries.gdp0[i], f.revenue_buoyancy
    space0 = revenue0 - scheduled[0] if T else revenue0
    average = np.divide(countries.domestic_share * countries.gdp0, space0, out=np.zeros(C), where=has & (space0 > 0))
    for i, c in enumerate(cs):
        if c.fiscal is not None:
            marginal[i] = average[i] if c.fiscal.marginal_share is None else c.fiscal.marginal_share
    discount = np.array([fiscal.DAC_DISCOUNT[c.fiscal.income_group if c.fiscal else "LMIC"] for c in cs])
    funders = [*sc.donors, *([sc.facility] if sc.facility is not None else [])]
    L = LOAN_YEARS  # every schedule as long as the longest allowed, so that a sweep of terms stacks
    units = np.array([fiscal.loan_schedule(f.loan_terms.rate, f.loan_terms.grace_years,
                                           f.loan_terms.maturity_years, L) for f in funders]).reshape(-1, L, 2)
    ge = fiscal.grant_element(units[:, None], discount[None, :])  # (F, C)
    D = len(sc.donors)
    facility_loan = np.array([sc.facility.loan_share if sc.facility is not None else 0.0])
    return Fiscal(
        has, donor_unit=units[:D], facility_unit=units[D:] if sc.facility is not None else np.zeros((1, L, 2)),
        donor_ge=ge[:D], facility_ge=ge[D:] if sc.facility is not None else np.ones((1, C)),
        revenue0=revenue0, buoyancy=buoyancy, average=average,
        marginal=marginal, path_share=np.divide(space0, countries.gdp0, out=np.zeros(C), where=countries.gdp0 > 0),
        scheduled=scheduled, donor_loan=np.array([d.loan_share for d in sc.donors]), facility_loan=facility_loan,
        **_levers(sc, T))


def _levers(sc: Scenario, T: int) -> dict[str, np.ndarray]:
    """(T, C) shares of scheduled debt service relieved and swapped, the swap's commitment and
    cost, and (T, C, G) the committed money's goals (by roadmap priority among them)."""
    ci, gi = _index(sc.country_ids), _index(sc.goal_ids)
    C, G = len(ci), len(gi)
    out = {k: np.zeros((T, C)) for k in ("relief", "swap", "commitment", "swap_cost")}
    out["swap_goals"] = np.zeros((T, C, G))
    years = np.arange(sc.start_year, sc.end_year)
    for lever in sc.debt_levers:
        on = (years >= lever.start_year) & (years < lever.start_year + lever.duration_years)
        cs = [ci[c] for c in lever.countries]
        if lever.kind == "relief":
            out["relief"][np.ix_(on, cs)] += lever.share
            continue
        out["swap"][np.ix_(on, cs)] += lever.share
        out["commitment"][np.ix_(on, cs)] = lever.commitment
        out["swap_cost"][np.ix_(on, cs)] = lever.transaction_cost
        for c in cs:
            country = sc.countries[c]
            weights = np.zeros(G)
            for g in lever.goals:
                weights[gi[g]] = country.roadmap_priority.get(g, 0.0) if country.roadmap_priority else 1.0
            if weights.sum() <= 0:
                weights[[gi[g] for g in lever.goals]] = 1.0
            out["swap_goals"][on, c] = weights / weights.sum()
    return out
