"""The scenario schema: typed pydantic models of every field, with units and ranges.

Unknown keys are rejected, ranges and finiteness checked (`Strict`). Loading files,
`extends:` and overrides live in scenario.loading; cross-field checks in
scenario.checks; the wording of error messages in scenario.messages.
"""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

SDG_IDS = tuple(f"SDG{i}" for i in range(1, 18))
MAX_ITEMS = 1000
MAX_YEARS = 200

Share = Annotated[float, Field(ge=0.0, le=1.0)]
Usd = Annotated[float, Field(ge=0.0, le=1e15)]
Rate = Annotated[float, Field(ge=-0.5, le=0.5)]
Score = Annotated[float, Field(ge=0.0, le=100.0)]
Ident = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")]
Text = Annotated[str, Field(max_length=2000)]


class Strict(BaseModel):
    """Base of every input model (scenario and sweep files): unknown keys rejected, no type
    coercion, finite numbers only, immutable once validated."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False, frozen=True)


class Goal(Strict):
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
    aid_displacement: Annotated[float, Field(ge=0.0, le=2.0)] = 0.3
    """US$ of its own spending on the goal a government cuts per US$ of an increase in external money
    beyond the path its indicators' trends reflect (decreases are not made up). Health: 0.62, 90 % CI
    0.15-1.09 (Dieleman & Hanlon 2014); 0.43-1.14 (Lu et al. 2010). Other goals: 0.3, an assumption
    (Feyzioglu, Swaroop & Zhu 1998 find loans for agriculture, education and energy fungible), range 0-1."""


class Interlinkage(Strict):
    """Spillover of progress on `source` into `target` (negative = trade-off)."""

    source: str
    target: str
    weight: Annotated[float, Field(ge=-1.0, le=1.0)]


IndicatorId = Annotated[str, Field(min_length=1, max_length=200)]


class PPIGoalScore(Strict):
    """How a goal's score (0–100) comes from PPI indicator levels: 100 · mean of clip((I − lo)/(hi − lo), 0, 1)."""

    indicators: Annotated[list[IndicatorId], Field(min_length=1, max_length=10000)]
    scale: Annotated[list[float], Field(min_length=2, max_length=2)]
    """[lo, hi]: the indicator levels that score 0 and 100."""


class CountryPPI(Strict):
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


class Indicator(Strict):
    """An SDG indicator in natural units (a World Bank WDI code as id), with SDR normalisation.

    Its score is 100·(v − lb)/(ub − lb) (higher is better) or 100·(ub − v)/(ub − lb), clipped
    to [0, 100], with `bounds: [lb, ub]` from the Sustainable Development Report. Its yearly
    change is the country's trend plus what money beyond the trend's level buys
    (simulation/mechanisms/indicators.py; docs/model.md "Indicators").
    """

    id: Ident
    name: Text = ""
    goal: str
    """The SDG goal whose score it feeds."""
    unit: Text = ""
    higher_is_better: bool
    bounds: Annotated[list[Annotated[float, Field(ge=-1e9, le=1e9)]], Field(min_length=2, max_length=2)]
    """[lb, ub]: SDR normalisation bounds (lb scores 0 if higher is better, 100 otherwise)."""
    best: Annotated[float, Field(ge=-1e9, le=1e9)]
    """The value with no gap left (100 % access, 0 deaths): the gap dynamics close toward it."""
    goal_weight: Annotated[float, Field(gt=0.0, le=1.0)]
    """Share of the goal's score this indicator carries (1 / number of the goal's SDR indicators);
    the rest is held at the goal's start score (the goal's unmodelled indicators)."""
    denominator: Literal["population", "births"] = "population"
    """Who the rate counts: all people, or live births (under-5 mortality)."""
    scale: Annotated[float, Field(gt=0.0, le=1e6)] = 100.0
    """Units per person of the denominator: 100 for % of population, 1,000 for per 1,000 births."""
    people: Text = ""
    """What value × denominator / scale counts, e.g. 'people with electricity'."""
    unit_cost_usd: Annotated[float, Field(gt=0.0, le=1e9)]
    """US$ of effective spending beyond the trend's path per person moved (connected, served, fed; per
    under-5 death a year averted) at `cost_reference`."""
    money_share: Share = 1.0
    """Share of the goal's money that works on this indicator."""
    lag_years: Annotated[int, Field(ge=0, le=10)] = 0
    """Years before money shows in the indicator (grids and water systems take time to build)."""
    cost_reference: Annotated[float, Field(ge=-1e9, le=1e9)] | None = None
    """The indicator value (natural units) at which `unit_cost_usd` applies; the next person costs
    unit_cost · (gap_ref / gap)^cost_curvature elsewhere. None: each country's start value."""
    cost_curvature: Annotated[float, Field(ge=0.0, le=5.0)] = 0.5
    """How fast the next person's cost rises as the gap closes (0: constant; 1: cost ∝ 1 / gap, as
    for a death averted by a package whose effect is proportional to mortality)."""
    depreciation: Annotated[float, Field(ge=0.0, le=1.0)] = 0.1
    """Share of what extra money bought that is lost each year without new money: 1 / lifetime for
    connections and water points, most of it for recurring services (health, nutrition)."""
    trend_range: Annotated[list[Annotated[float, Field(ge=-1.0, le=1.0)]],
                           Field(min_length=2, max_length=2)] | None = None
    """[lowest, highest] yearly trend (log gap) that history shows over a decade (`sdgsim calibrate`
    measures it across the history's countries): each replication's trend draw is truncated to it,
    so no run moves faster, or falls back faster, than any country in the history did. None: untruncated."""


class CountryIndicator(Strict):
    """One indicator of one country: its start value and its fitted trend."""

    value: Annotated[float, Field(ge=-1e9, le=1e9)]
    """Value in the start year (natural units)."""
    trend: Annotated[float, Field(ge=-1.0, le=1.0)] = 0.0
    """Yearly share of the gap closed without extra money, as a log rate (0.05 ≈ 5 % a year)."""
    trend_sd: Annotated[float, Field(ge=0.0, le=1.0)] = 0.0
    """Uncertainty of the trend: each replication draws its trend from N(trend, trend_sd²)."""
    noise_sd: Annotated[float, Field(ge=0.0, le=2.0)] = 0.0
    """Sd of the yearly noise on the log gap."""
    baseline_usd_per_capita: Annotated[float, Field(ge=0.0, le=1e6)] = 0.0
    """External money per capita per year at work on the indicator that its trend already reflects
    (domestic money, growing with the economy, is part of the trend); only external money beyond
    it moves the indicator faster, less slows it."""


class LoanTerms(Strict):
    """The terms of a funder's concessional loans: a grace period with interest only, then equal
    principal instalments up to maturity. Default: IDA's regular credit terms (38 years, 6 of
    grace, 0.75 % service charge; World Bank IDA terms, FY2024)."""

    rate: Annotated[float, Field(ge=0.0, le=0.2)] = 0.0075
    """Yearly interest (or service charge) on the principal outstanding."""
    grace_years: Annotated[int, Field(ge=0, le=50)] = 6
    """Years after disbursement in which only interest is paid."""
    maturity_years: Annotated[int, Field(ge=1, le=60)] = 38
    """Years after disbursement by which the principal is repaid (more than grace_years)."""


class Fiscal(Strict):
    """A government's fiscal position: what it can spend on the goals comes from revenue less
    external public debt service (docs/model.md "Fiscal space")."""

    revenue_share: Annotated[float, Field(gt=0.0, le=1.0)]
    """Government revenue excluding grants, share of GDP in the start year (WDI GC.REV.XGRT.GD.ZS)."""
    revenue_buoyancy: Annotated[float, Field(ge=0.0, le=3.0)] = 1.0
    """Elasticity of revenue to GDP: revenue grows as GDP^buoyancy (1: a constant share of GDP)."""
    debt_service_usd: Annotated[list[Usd], Field(max_length=MAX_YEARS)] = []
    """Public and publicly guaranteed external debt service (principal and interest), US$ a year, from
    `debt_service_from` on (World Bank IDS, actual then scheduled). Before the first and after the last
    year, the nearest year's share of GDP holds. Empty: no external debt service."""
    debt_service_from: Annotated[int, Field(ge=1900, le=2300)] | None = None
    """The year of the first value of `debt_service_usd`. None: the scenario's start year."""
    marginal_share: Share | None = None
    """Share of a change in fiscal space that falls on the modelled goals' spending. None: the goals
    keep their start-year share of fiscal space (a proportional cut or rise)."""
    income_group: Literal["LDC", "LIC", "LMIC", "UMIC"] = "LMIC"
    """For the DAC grant-equivalent of loans: discount rate 9 % (LDC, LIC), 7 % (LMIC), 6 % (UMIC)."""


class Country(Strict):
    id: Ident
    name: Text = ""
    pilot: bool = False
    population_m: Annotated[float, Field(gt=0.0, le=1e5)]
    population_growth: Rate = 0.0
    gdp_usd_bn: Annotated[float, Field(ge=0.0, le=1e6)]
    gdp_growth: Rate = 0.0
    domestic_sdg_share: Share = 0.0
    """Share of GDP spent domestically on the modelled goals."""
    domestic_path_share: Share | None = None
    """The domestic share of GDP that the indicators' trends reflect (history's spending path): domestic
    money above it moves the indicators as any extra money does, less slows them. None: equal to
    `domestic_sdg_share` (no domestic money beyond the path)."""
    roadmap_priority: dict[str, Share] = {}
    """Relative priority of each goal in the national STI roadmap (normalised)."""
    governance: Score = 50.0
    """Government effectiveness, 0–100; drives leakage and `performance` allocation."""
    absorptive_capacity: Share = 0.3
    scores: dict[str, Score]
    """SDG goal scores (0–100) in the start year; one per declared goal (PPI goals: optional, derived)."""
    ppi: CountryPPI | None = None
    """PPI dynamics for the goals in ppi.goal_scores (their scores come from PPI indicators)."""
    indicators: dict[str, CountryIndicator] = {}
    """Indicator id -> start value and trend; one per declared indicator."""
    birth_rate_per_1000: Annotated[float, Field(gt=0.0, le=100.0)] = 30.0
    """Crude birth rate (live births per 1,000 people a year): the denominator of under-5 mortality."""
    fiscal: Fiscal | None = None
    """Revenue and debt service: domestic spending on the goals follows fiscal space (revenue less debt
    service). None: domestic spending stays `domestic_sdg_share` of GDP."""


class Donor(Strict):
    id: Ident
    name: Text = ""
    kind: Literal["bilateral", "multilateral", "foundation", "private", "research", "think-tank"] = "bilateral"
    budget_usd: Usd
    growth: Rate = 0.0
    noise_sd: Annotated[float, Field(ge=0.0, le=1.0)] = 0.0
    """Sd of the budget's log deviation from its trend (mean-one log-normal)."""
    noise_persistence: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.0
    """Year-to-year correlation of those deviations (AR(1)): aid budgets move in spells, not independent
    years (DAC members 2000-2023: median 0.56, 10th-90th percentile 0.26-0.74). 0: independent years."""
    strategy: str = "needs"
    strategy_params: dict[str, float] = {}
    eligible_countries: list[str] | None = None
    goals: list[str] | None = None
    recorded_shares: dict[str, Share] = {}
    """Strategy `persistence`: the donor's recorded share of its flows to each country (DAC2a, the last
    year of the record; `sdgsim donors fit`). Countries left out get 0."""
    share_drift: dict[str, Annotated[float, Field(ge=-1.0, le=1.0)]] = {}
    """Strategy `persistence`: each country's recorded yearly change of that share (share points per year)."""
    pooled_share: Share = 0.0
    """Share of the budget routed into the pooled facility."""
    blended_share: Share = 0.0
    """Share of the bilateral budget (what the donor does not pool) given as blended finance
    (mobilises private money). What it pools follows the facility's windows."""
    capacity_share: Share = 0.0
    """Share of the bilateral budget (what the donor does not pool) spent on capacity building."""
    overhead_rate: Share = 0.08
    channel_cost_usd: Usd = 0.0
    """Fixed yearly cost of each donor→country channel with a positive flow."""
    coordinated: bool = False
    """Shares its yearly plans with the facility and the other coordinated funders and moves money
    away from cells they already fund (docs/model.md "Pooled funds")."""
    loan_share: Share = 0.0
    """Share of its grant money given as concessional loans instead (on `loan_terms`): loans add to
    the recipient's debt service in later years."""
    loan_terms: LoanTerms = LoanTerms()


class Facility(Strict):
    """The pooled facility ("Partnership in Action")."""

    name: Text = "Pooled facility"
    strategy: str = "priority"
    strategy_params: dict[str, float] = {}
    eligible_countries: list[str] | None = None
    """Default: the pilot countries (all countries if none is a pilot)."""
    goals: list[str] | None = None
    overhead_rate: Share = 0.08
    """The facility's own cost per dollar it pays out: a UN multi-partner trust fund charges a 1 %
    administrative-agent fee and its participating organisations 7 % indirect costs (about 8 % in
    all); the Global Fund's operating expenses are about 7 % of what it invests a year (docs/model.md,
    evidence table: range 0.02-0.10)."""
    channel_cost_usd: Usd = 0.0
    blended_share: Share | None = None
    """Share of what the facility pays out given as blended finance (its blended window). Unset: the
    pooled money keeps its own mix, the contributions' blended shares weighted by what each donor pools."""
    capacity_share: Share | None = None
    """Share of what the facility pays out spent on capacity building (its capacity window). Unset: the
    pooled money's own mix, as blended_share."""
    payout_rate: Annotated[float, Field(ge=0.05, le=1.0)] = 0.6
    """Share of the money it holds (reserve plus this year's contributions) that the facility pays
    out each year; the rest stays in its reserve. 1 = no reserve; 1/3 ≈ a pledge spread over a
    three-year replenishment cycle (IDA, Global Fund). Smooths what recipients receive."""
    start_lag_years: Annotated[float, Field(ge=0.0, le=10.0)] = 1.0
    """Years a new facility takes to reach full disbursement: in its k-th year (k = 0, 1, ...) it
    pays out min(1, (k + 1)/(lag + 1)) of its payout. 0 = an existing fund."""
    risk_sharing: Annotated[float, Field(ge=0.0, le=2.0)] = 0.25
    """Relative rise in the private money each blended dollar of the facility mobilises, because a
    first-loss tranche pooled over many funders and countries covers more deals (0 = none)."""
    guarantee_provisioning: Share = 0.5
    """Share of the private money its risk sharing adds that the facility must hold idle in a
    guarantee fund (the provisioning rate of a budgetary guarantee: 9 % for EU macro-financial
    loans, 35 % for EFSI, 50 % for the EFSD Guarantee Fund; 1 = a cash-funded first-loss tranche).
    What it holds is not paid out within the horizon, so risk sharing costs as well as helps."""
    coordinated: bool = True
    """Plans with the coordinated donors (see Donor.coordinated)."""
    loan_share: Share = 0.0
    """Share of its grant money given as concessional loans (see Donor.loan_share)."""
    loan_terms: LoanTerms = LoanTerms()


class Technology(Strict):
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


class ResearchBody(Strict):
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


class Partnership(Strict):
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


class Pandemic(Strict):
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
    indicator_shock: dict[str, Annotated[float, Field(ge=-5.0, le=5.0)]] = {}
    """Indicator id -> log-gap change per shock year (+0.05: the gap grows by 5 %)."""
    health_goal: str = "SDG3"


class BudgetCut(Strict):
    kind: Literal["budget_cut"]
    start_year: int
    duration_years: Annotated[int, Field(ge=1, le=MAX_YEARS)] = 1
    donors: list[str] | None = None
    cut: Share


Shock = Annotated[Pandemic | BudgetCut, Field(discriminator="kind")]


class DebtRelief(Strict):
    """Rescheduling or relief: a share of the countries' scheduled external debt service is not due
    in the lever's years; the fiscal space it frees is spent as the budget is (Fiscal.marginal_share)."""

    kind: Literal["relief"]
    countries: Annotated[list[str], Field(min_length=1, max_length=MAX_ITEMS)]
    """Countries with a `fiscal:` block."""
    start_year: int
    duration_years: Annotated[int, Field(ge=1, le=MAX_YEARS)] = 1
    share: Share
    """Share of the scheduled debt service relieved in each lever year."""


class DebtSwap(Strict):
    """A debt-for-SDG swap: a share of the scheduled debt service is cancelled against the debtor's
    commitment to spend `commitment` of it on `goals` (ring-fenced, on top of its budget); structuring
    and monitoring the swap cost `transaction_cost` of the committed money. The rest of the freed money
    is relief."""

    kind: Literal["swap"]
    countries: Annotated[list[str], Field(min_length=1, max_length=MAX_ITEMS)]
    start_year: int
    duration_years: Annotated[int, Field(ge=1, le=MAX_YEARS)] = 1
    share: Share
    """Share of the scheduled debt service cancelled in each lever year."""
    commitment: Share = 1.0
    """Share of the cancelled debt service the debtor commits to the goals (Debt2Health: 0.5)."""
    goals: Annotated[list[str], Field(min_length=1, max_length=17)]
    """Goals the committed money goes to, split by the country's roadmap priorities among them."""
    transaction_cost: Annotated[float, Field(ge=0.0, le=0.5)] = 0.05
    """Share of the committed money lost to structuring, trust-fund set-up and monitoring."""


DebtLever = Annotated[DebtRelief | DebtSwap, Field(discriminator="kind")]


class GovernanceParams(Strict):
    leakage_max: Share = 0.3
    """Leakage at governance 0; leakage = leakage_max · (1 − governance/100)^exponent."""
    exponent: Annotated[float, Field(gt=0.0, le=10.0)] = 1.0


class CapacityParams(Strict):
    scale_usd_per_capita: Annotated[float, Field(gt=0.0, le=1e6)] = 2.0
    """Capacity spend per capita (USD/yr) that closes 63 % of the gap to `max`."""
    max: Share = 1.0


class Absorption(Strict):
    """How much external money a country can put to use in a year (a smooth ceiling)."""

    ceiling_share_of_gdp: Annotated[float, Field(gt=0.0, le=2.0)] = 0.15
    """External money a country with reference capacity absorbs before returns fall off, as a
    share of GDP (aid-absorption thresholds of 15-45 % of GDP: Feeny & McGillivray 2011)."""
    reference_capacity: Annotated[float, Field(gt=0.0, le=1.0)] = 0.5
    """Absorptive capacity at which the ceiling is `ceiling_share_of_gdp`; it scales with capacity."""


class Channels(Strict):
    """What a funder→country channel costs the recipient, and what unpredictable money costs it."""

    recipient_cost_share: Annotated[float, Field(ge=0.0, le=0.5)] = 0.05
    """Recipient-side transaction cost (missions, reports, separate project units) of a channel
    carrying `reference_flow_usd` a year, as a share of that flow."""
    reference_flow_usd: Annotated[float, Field(gt=0.0, le=1e13)] = 1.0e7
    cost_elasticity: Annotated[float, Field(ge=0.0, le=1.0)] = 0.5
    """The cost grows as flow^elasticity: 0 = a fixed cost per channel, 1 = a flat rate."""
    volatility_cost: Annotated[float, Field(ge=0.0, le=20.0)] = 4.0
    """λ: a recipient whose total aid departs by a share v from what it planned on (last year's flows
    times each funder's planned growth) loses λ·v² of it (at most all), shared among its channels.
    4 ≈ 15-20 % of aid lost at the coefficient of variation typical of aid (Kharas 2008)."""


class Uncertainty(Strict):
    effectiveness_sd: Annotated[float, Field(ge=0.0, le=2.0)] = 0.0
    """Log-sd of a per-replication multiplier on each goal's effectiveness."""
    score_noise_sd: Annotated[float, Field(ge=0.0, le=20.0)] = 0.0
    """Sd (points) of yearly noise on each score change."""


class Scenario(Strict):
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
    debt_levers: Annotated[list[DebtLever], Field(max_length=100)] = []
    """Debt relief and debt-for-SDG swaps (countries with a `fiscal:` block)."""
    indicators: Annotated[list[Indicator], Field(max_length=200)] = []
    """Indicators in natural units; a goal with indicators takes its score from them."""
    absorption: Absorption = Absorption()
    channels: Channels = Channels()
    governance: GovernanceParams = GovernanceParams()
    capacity: CapacityParams = CapacityParams()
    uncertainty: Uncertainty = Uncertainty()
    sources: dict[str, Text] = {}
    """Provenance: field path → source and year."""
    groups: Annotated[dict[Ident, Annotated[list[Ident], Field(max_length=MAX_ITEMS)]],
                      Field(max_length=100)] = {}
    """Named country groups (name -> country ids): every per-country outcome, comparison row,
    cost and sweep column also exists per group (docs/scenarios.md, "Country groups")."""

    # -- convenience -------------------------------------------------------------
    @property
    def goal_ids(self) -> list[str]:
        return [g.id for g in self.goals]

    @property
    def country_ids(self) -> list[str]:
        return [c.id for c in self.countries]

    @property
    def indicator_ids(self) -> list[str]:
        return [i.id for i in self.indicators]

    @property
    def years(self) -> list[int]:
        return list(range(self.start_year, self.end_year + 1))

    def content_hash(self) -> str:
        data = self.model_dump(mode="json")
        if not data["groups"]:  # groups came later: a scenario without them keeps its old hash
            del data["groups"]
        blob = json.dumps(data, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()
