"""A naive, idiomatic per-agent Mesa 3 implementation of the sdgsim model.

This is the yardstick for the engine (simulation/model.py + agents.py): the same
dynamics written the way a typical Mesa user would write them — one model per
replication, one `step` per agent, Python loops over countries, goals and technologies
on scalar floats, no array arithmetic across agents. It shares nothing with the engine
but the scenario loader (simulation.scenario) and the random streams (simulation.rng),
so replication i here consumes exactly the numbers replication i of FinancingModel does
and the two must agree to rounding. Every rule is re-implemented from the model's design
and equations in docs/model.md; where the engine has a quirk, it is reproduced and
commented.

    from benchmarks.reference_naive import run_reference
    out = run_reference(scenario, seed=1, runs=3)   # out["scores"]: (runs, T+1, C, G)

Year order (as the engine): budgets → donors allocate and deliver → pooled facility →
private co-finance → research bodies and technology pipelines → transfer partnerships →
countries (capacity, adoption, scores) → adaptive donors learn → record.
"""

from __future__ import annotations

import math
from pathlib import Path

import mesa
import numpy as np

from simulation.model import rng
from simulation.scenario import Pandemic, Scenario, load_scenario, validate_data

ACCOUNTS = ("sources", "spent", "leaked", "overhead", "unspent")
DEFAULTS = {
    "equal": {},
    "needs": {"gap_exponent": 1.0, "population_exponent": 0.5},
    "performance": {"governance_exponent": 4.0, "population_exponent": 1.0, "income_exponent": -0.125},
    "priority": {"population_exponent": 0.0},
    "impact": {"steps": 20.0},
    "adaptive": {"learning_rate": 0.3},
}


# ----------------------------------------------------------------------------- helpers
def zeros(rows: int, cols: int) -> list[list[float]]:
    return [[0.0] * cols for _ in range(rows)]


def normalise(weights: list[list[float]], mask: list[list[bool]], budget: float) -> list[list[float]]:
    """Scale weights so the funder's eligible cells sum to `budget`; equal split if all are zero."""
    C, G = len(mask), len(mask[0])
    w = zeros(C, G)
    total = 0.0
    cells = 0
    for c in range(C):
        for g in range(G):
            if mask[c][g]:
                w[c][g] = max(weights[c][g], 0.0)
                total += w[c][g]
                cells += 1
    out = zeros(C, G)
    for c in range(C):
        for g in range(G):
            if mask[c][g]:
                share = w[c][g] / total if total > 0 else 1.0 / cells
                out[c][g] = budget * share
    return out


class Ledger:
    """Money balance of one replication: balance[t][account]."""

    def __init__(self, years: int):
        self.balance = [[0.0] * len(ACCOUNTS) for _ in range(years)]

    def book(self, t: int, account: str, amount: float) -> None:
        self.balance[t][ACCOUNTS.index(account)] += amount


class Technology:
    """A technology's TRL pipeline (plain state, advanced by the model)."""

    def __init__(self, spec, uniforms: list[float]):
        self.ident = spec.id
        self.trl = spec.trl
        self.deploy_trl = spec.deploy_trl
        self.stage_cost = spec.stage_cost_usd
        self.stage_years = spec.stage_years
        self.success_probability = spec.success_probability
        self.bass_p, self.bass_q, self.base_access = spec.bass_p, spec.bass_q, spec.base_access
        self.progress = 0.0
        self.years_in_stage = 0.0
        self.uniforms = uniforms  # one U[0, 1) draw per year for the stage outcome
        self.offers: list[tuple[ResearchBody, float]] = []

    def deployable(self) -> bool:
        return self.trl >= self.deploy_trl

    def advance(self, t: int) -> None:
        """Take what this year's offers can pay of the stage; finish the stage if funded and old enough."""
        offered = 0.0
        for _, amount in self.offers:
            offered += amount
        active = self.trl < self.deploy_trl
        need = max(self.stage_cost - self.progress, 0.0) if active else 0.0
        spent = min(offered, need)
        bonus = 0.0
        for body, amount in self.offers:
            frac = amount / offered if offered > 0 else 0.0
            body.spent += frac * spent
            bonus += frac * body.collaboration_bonus
        p_success = min(1.0, self.success_probability * (1.0 + bonus))
        self.progress += spent
        if active:
            self.years_in_stage += 1.0
        done = active and self.progress >= self.stage_cost * (1 - 1e-12) and self.years_in_stage >= self.stage_years
        if done:
            if self.uniforms[t] < p_success:
                self.trl += 1
            self.progress = 0.0
            self.years_in_stage = 0.0
        self.offers = []


class Partnership:
    def __init__(self, spec, start_year: int, overhead_rate: float):
        self.tech = spec.technology
        self.recipients = list(dict.fromkeys(spec.recipients))  # a repeated recipient counts once
        self.share = 1.0 / len(self.recipients)
        self.budget = spec.budget_usd
        self.boost = spec.access_boost
        self.start = spec.start_year if spec.start_year is not None else start_year
        self.overhead_rate = overhead_rate


# ----------------------------------------------------------------------------- agents
class Country(mesa.Agent):
    """A recipient country: goal scores, technology adoption, absorptive capacity (scalars)."""

    def __init__(self, model: NaiveModel, index: int, spec, noise: list[list[float]] | None):
        super().__init__(model)
        m = model
        self.index, self.ident, self.pilot = index, spec.id, spec.pilot
        self.population0 = spec.population_m * 1e6
        self.population_growth = spec.population_growth
        self.gdp0 = spec.gdp_usd_bn * 1e9
        self.gdp_growth = spec.gdp_growth
        self.domestic_share = spec.domestic_sdg_share
        self.domestic_path = spec.domestic_sdg_share if spec.domestic_path_share is None else spec.domestic_path_share
        self.governance = spec.governance
        gov = min(max(spec.governance, 0.0), 100.0)
        self.retention = 1.0 - m.leakage_max * (1.0 - gov / 100.0) ** m.leakage_exponent
        if spec.roadmap_priority:
            row = [spec.roadmap_priority.get(g, 0.0) for g in m.goal_ids]
        else:
            row = [1.0] * m.G
        total = sum(row)
        self.priority = [x / total for x in row]
        self.scores = [spec.scores[g] for g in m.goal_ids]
        self.adoption = [0.0] * m.K
        self.capacity = spec.absorptive_capacity
        self.noise = noise  # (T, G) score noise in points, or None
        self.fiscal = self._fiscal(spec, m.scenario.start_year) if spec.fiscal is not None else None

    def _fiscal(self, spec, start_year: int) -> tuple[float, float, float, float, list[float], int, float]:
        """Fiscal space (docs/model.md "Fiscal space, loans and debt"), without loans or debt levers:
        revenue0, buoyancy, s (the goals' share of start-year fiscal space), m, the service list, its
        first year, and fiscal space / GDP in the start year."""
        f = spec.fiscal
        first = start_year if f.debt_service_from is None else f.debt_service_from
        revenue0 = f.revenue_share * self.gdp0
        space0 = revenue0 - self._service(f.debt_service_usd, first, start_year)
        share = self.domestic_share * self.gdp0 / space0
        marginal = share if f.marginal_share is None else f.marginal_share
        return revenue0, f.revenue_buoyancy, share, marginal, list(f.debt_service_usd), first, space0 / self.gdp0

    def _service(self, values: list[float], first: int, year: int) -> float:
        """Scheduled debt service in `year`: the list's value, or the nearest one at GDP's growth."""
        if not values:
            return 0.0
        k = min(max(year - first, 0), len(values) - 1)
        return values[k] * (1.0 + self.gdp_growth) ** (year - (first + k))

    def domestic_total(self, t: int) -> float:
        """This year's domestic spending on the goals: a share of GDP, or from fiscal space."""
        if self.fiscal is None:
            return self.gdp * self.domestic_share
        revenue0, buoyancy, share, marginal, values, first, path_share = self.fiscal
        space = revenue0 * (self.gdp / self.gdp0) ** buoyancy - self._service(values, first, self.model.scenario.start_year + t)
        path = path_share * self.gdp
        return max(share * path + marginal * (space - path), 0.0)

    def prepare(self) -> None:
        """This year's people, GDP and domestic SDG spending; empty the inboxes."""
        m, t = self.model, self.model.t
        self.population = self.population0 * (1.0 + self.population_growth) ** t
        self.gdp = self.gdp0 * (1.0 + self.gdp_growth) ** t * (1.0 - m.gdp_cut(t, self.index))
        self.gdp_per_capita = self.gdp / self.population
        self.domestic = [self.domestic_total(t) * p for p in self.priority]
        self.planned_spend_pc = [d * self.retention / self.population for d in self.domestic]
        self.external = [0.0] * m.G
        self.blended = [0.0] * m.G
        self.private = [0.0] * m.G
        self.capacity_money = 0.0
        for d in self.domestic:
            m.ledger.book(t, "sources", d)

    def receive(self, grant: list[float], blended: list[float], capacity: float, mobilising: float = 1.0) -> None:
        """mobilising: private money per blended dollar relative to the goal's leverage (a facility's
        risk sharing raises it)."""
        for g in range(self.model.G):
            self.external[g] += grant[g] + blended[g]
            self.blended[g] += blended[g] * mobilising
        self.capacity_money += capacity

    def mobilise_private(self) -> None:
        """Blended finance brings private co-finance at each goal's leverage ratio."""
        m = self.model
        for g in range(m.G):
            self.private[g] = self.blended[g] * m.leverage[g]
            m.ledger.book(m.t, "sources", self.private[g])

    def step(self) -> None:
        """Money → capacity, adoption and goal scores."""
        m, t = self.model, self.model.t
        G, K = m.G, m.K
        keep = self.retention
        effective = [0.0] * G
        for g in range(G):
            gross = self.domestic[g] + self.external[g] + self.private[g]
            effective[g] = gross * keep
            m.ledger.book(t, "spent", effective[g])
            m.ledger.book(t, "leaked", gross - effective[g])
        # external money beyond the absorption ceiling does little: A·(1 − exp(−X/A))
        outside = sum(self.external[g] + self.private[g] for g in range(G))
        ceiling = m.absorb_share * self.gdp * self.capacity / m.absorb_ref
        used = ceiling * -math.expm1(-outside / ceiling) if ceiling > 0 else 0.0
        ratio = used / outside if outside > 0 else 1.0
        working = [(self.domestic[g] + (self.external[g] + self.private[g]) * ratio) * keep for g in range(G)]
        # technologies act on the money they are deployed with: external money at work and domestic
        # money above the path the trends reflect
        above = max(self.domestic_share - self.domestic_path, 0.0) * self.gdp * keep
        deployed = [(self.external[g] + self.private[g]) * ratio * keep + above * self.priority[g] for g in range(G)]
        cb = self.capacity_money * keep
        m.ledger.book(t, "spent", cb)
        m.ledger.book(t, "leaked", self.capacity_money - cb)

        # capacity building with diminishing returns
        self.capacity += max(m.cap_max - self.capacity, 0.0) * -math.expm1(-(cb / self.population) / m.cap_scale)

        # Bass diffusion of deployable technologies
        for k, tech in enumerate(m.technologies):
            if tech.deployable():
                x = self.adoption[k]
                access = tech.base_access
                for p in m.partnerships:
                    if p.tech == tech.ident and m.year(t) >= p.start and self.ident in p.recipients:
                        access += p.boost
                access = min(max(access, 0.0), 1.0)
                rate = (tech.bass_p + tech.bass_q * x) * (1.0 - x) * self.capacity * access
                self.adoption[k] = min(max(x + rate, 0.0), 1.0)

        # spending → score gains, spillovers, decay, shocks, noise
        gain = [0.0] * G
        for g in range(G):
            multiplier = 1.0
            for k in range(K):
                multiplier += self.adoption[k] * m.efficacy[k][g]
            spend_pc = (working[g] + deployed[g] * (multiplier - 1.0)) / self.population
            gain[g] = (100.0 - self.scores[g]) * m.effectiveness[g] * -math.expm1(-spend_pc / m.spend_scale[g])
        new = [0.0] * G
        for g in range(G):
            spill = 0.0
            for h in range(G):
                spill += gain[h] * m.links[h][g]
            noise = self.noise[t][g] if self.noise is not None else 0.0
            score = self.scores[g]
            value = score + gain[g] + spill - m.decay[g] * score - m.hit(t, self.index, g) + noise
            new[g] = min(max(value, 0.0), 100.0)
        self.progress = [new[g] - self.scores[g] for g in range(G)]
        self.scores = new


class Funder(mesa.Agent):
    """Shared by donors and the facility: allocate with a strategy, split, deliver."""

    strategy: str
    params: dict[str, float]
    mask: list[list[bool]]
    propensity: list[list[float]] | None = None
    arrived: list[float] | None = None  # last year's flow reaching each country
    plan: list[list[float]] | None = None  # this year's allocation
    coordinated: bool = False

    def weights(self) -> list[list[float]]:
        """Allocation weights per (country, goal) for the proportional strategies."""
        m = self.model
        name, p = self.strategy, self.params
        out = zeros(m.C, m.G)
        for c, country in enumerate(m.countries):
            for g in range(m.G):
                if name == "equal":
                    w = 1.0
                elif name == "needs" or (name == "adaptive" and self.propensity is None):
                    if name == "adaptive":  # adaptive starts as needs with the default exponents
                        a, b = 1.0, 0.5
                    else:
                        a, b = p["gap_exponent"], p["population_exponent"]
                    w = (100.0 - country.scores[g]) ** a * country.population ** b * country.priority[g]
                elif name == "performance":
                    gov = max(country.governance, 1e-9)
                    inc = max(country.gdp_per_capita, 1e-9)
                    w = (gov / 100.0) ** p["governance_exponent"] * country.population ** p["population_exponent"]
                    w = w * inc ** p["income_exponent"] * country.priority[g]
                elif name == "priority":
                    w = country.priority[g] * country.population ** p["population_exponent"]
                elif name == "adaptive":
                    w = self.propensity[c][g]
                else:
                    raise ValueError(f"unknown strategy {name}")
                out[c][g] = w
        return out

    def impact(self, budget: float) -> list[list[float]]:
        """Greedy: `steps` equal chunks, each to the eligible cell of largest marginal gain per USD."""
        m = self.model
        steps = int(self.params["steps"])
        alloc = zeros(m.C, m.G)
        chunk = budget / steps
        for _ in range(steps):
            best, best_gain = None, -math.inf
            for c, country in enumerate(m.countries):
                per_usd = country.retention / country.population
                for g in range(m.G):
                    if not self.mask[c][g]:
                        continue
                    spend_pc = country.planned_spend_pc[g] + alloc[c][g] * per_usd
                    scale = m.spend_scale[g]
                    gain = ((100.0 - country.scores[g]) * m.expected_effectiveness[g] * per_usd / scale
                            * math.exp(-spend_pc / scale))
                    if gain > best_gain:
                        best, best_gain = (c, g), gain
            alloc[best[0]][best[1]] += chunk
        return alloc

    def allocate(self, budget: float) -> list[list[float]]:
        if self.strategy == "impact":
            return self.impact(budget)
        return normalise(self.weights(), self.mask, budget)

    def split(self, alloc, blended_share: float, capacity_share: float):
        """Grant, blended (on goals with leverage, proportionally) and capacity money per country."""
        m = self.model
        keep = 1.0 - capacity_share
        avail = zeros(m.C, m.G)
        avail_total = 0.0
        total = 0.0
        for c in range(m.C):
            for g in range(m.G):
                total += alloc[c][g]
                if self.mask[c][g] and m.leverage[g] > 0:
                    avail[c][g] = alloc[c][g] * keep
                    avail_total += avail[c][g]
        want = total * blended_share
        ratio = min(want, avail_total) / avail_total if avail_total > 0 else 0.0
        grant, blend, capacity = zeros(m.C, m.G), zeros(m.C, m.G), [0.0] * m.C
        for c in range(m.C):
            row_total = 0.0
            for g in range(m.G):
                blend[c][g] = avail[c][g] * ratio
                grant[c][g] = alloc[c][g] * keep - blend[c][g]
                row_total += alloc[c][g]
            capacity[c] = row_total * capacity_share
        return grant, blend, capacity

    def deliver(self, grant, blend, capacity, overhead_rate: float, channel_cost: float, growth: float,
                mobilising: float = 1.0) -> None:
        """Each funder→country channel keeps its overhead and costs the recipient its transaction cost;
        what arrives waits in the model's inbox (NaiveModel.settle) until every funder has sent, since
        a surprise is measured on the recipient's total aid (against what it planned on: last year's
        flow of each channel times the funder's planned growth; a new channel is no surprise)."""
        m = self.model
        ch = m.scenario.channels
        arrived_now = []
        for c in range(m.C):
            flow = sum(grant[c]) + sum(blend[c]) + capacity[c]
            fixed = channel_cost if flow > 0 else 0.0
            overhead = min(flow, overhead_rate * flow + fixed)
            arrived = flow - overhead
            cost = ch.recipient_cost_share * ch.reference_flow_usd * (arrived / ch.reference_flow_usd) \
                ** ch.cost_elasticity if arrived > 0 else 0.0
            previous = self.arrived[c] if self.arrived is not None else 0.0
            planned = previous * growth if previous > 0 else arrived
            m.inbox.append((c, flow, overhead, arrived, min(cost, arrived), planned, grant[c], blend[c], capacity[c],
                            mobilising))
            arrived_now.append(arrived)
        self.arrived = arrived_now


class Donor(Funder):
    """A donor: yearly budget, part pooled, the rest allocated bilaterally by its strategy."""

    def __init__(self, model: NaiveModel, index: int, spec, noise: list[float] | None):
        super().__init__(model)
        self.index, self.ident, self.kind, self.spec = index, spec.id, spec.kind, spec
        self.strategy = spec.strategy
        self.params = {**DEFAULTS[spec.strategy], **spec.strategy_params}
        self.base, self.growth, self.noise_sd = spec.budget_usd, spec.growth, spec.noise_sd
        self.noise = noise  # (T,) standard normal, or None without budget noise
        if noise is not None and spec.noise_persistence:  # persistent shocks: AR(1) with unit sd every year
            rho, u = spec.noise_persistence, []
            for t, z in enumerate(noise):
                u.append(z if t == 0 else rho * u[-1] + math.sqrt(1.0 - rho * rho) * z)
            self.noise = u
        self.pooled_share, self.overhead_rate, self.channel_cost = spec.pooled_share, spec.overhead_rate, \
            spec.channel_cost_usd
        # the shares are of the bilateral budget (what the donor does not pool)
        self.blended_share, self.capacity_share = spec.blended_share, spec.capacity_share
        self.pooled = 0.0
        cs = set(spec.eligible_countries) if spec.eligible_countries else set(model.country_ids)
        gs = set(spec.goals) if spec.goals else set(model.goal_ids)
        self.mask = [[c in cs and g in gs for g in model.goal_ids] for c in model.country_ids]
        self.propensity = None
        self.funded = None
        self.coordinated = spec.coordinated

    def set_budget(self) -> None:
        m, t = self.model, self.model.t
        trend = self.base * (1.0 + self.growth) ** t * (1.0 - m.donor_cut(t, self.ident))
        z = self.noise[t] if self.noise is not None else 0.0
        self.budget = trend * math.exp(self.noise_sd * z - 0.5 * self.noise_sd ** 2)
        m.ledger.book(t, "sources", self.budget)

    def contribute(self) -> None:
        """Pay the pooled share into the facility (less the channel's fixed cost) and plan the rest."""
        m, t = self.model, self.model.t
        pooled = self.pooled = self.budget * self.pooled_share
        if pooled > 0 and m.facility is not None:
            cost = min(pooled, self.channel_cost)
            m.ledger.book(t, "overhead", cost)
            m.facility.inflow += pooled - cost
            m.facility.active = True
        self.plan = self.allocate(self.budget - pooled)

    def step(self) -> None:
        """Split the (coordinated) plan into instruments, divert in a pandemic, deliver."""
        m, t = self.model, self.model.t
        alloc = self.plan
        self.funded = alloc
        grant, blend, capacity = self.split(alloc, self.blended_share, self.capacity_share)
        h = m.health_goal(t)
        if h is not None:  # pandemic: part of each country's grants moves to the health goal
            for c in range(m.C):
                share = m.diversion(t, c)
                moved = 0.0
                for g in range(m.G):
                    if g != h:
                        amount = grant[c][g] * share
                        grant[c][g] -= amount
                        moved += amount
                grant[c][h] += moved
        self.deliver(grant, blend, capacity, self.overhead_rate, self.channel_cost, 1.0 + self.growth)

    def learn(self) -> None:
        """Adaptive donors move their propensity towards cells that progressed (PPI-like)."""
        m = self.model
        if self.propensity is None:  # start from the first year's allocation
            self.propensity = normalise(self.funded, self.mask, 1.0)
        seen = zeros(m.C, m.G)
        total = 0.0
        for c, country in enumerate(m.countries):
            for g in range(m.G):
                if self.mask[c][g]:
                    seen[c][g] = max(country.progress[g], 0.0)
                    total += seen[c][g]
        if total > 0:
            share = normalise(seen, self.mask, 1.0)
            eta = self.params["learning_rate"]
            for c in range(m.C):
                for g in range(m.G):
                    self.propensity[c][g] = (1 - eta) * self.propensity[c][g] + eta * share[c][g]


class Facility(Funder):
    """The pooled facility: allocates the pooled money by its strategy, with its own windows and overhead."""

    def __init__(self, model: NaiveModel, spec):
        super().__init__(model)
        self.ident = "facility"
        self.strategy = spec.strategy
        self.params = {**DEFAULTS[spec.strategy], **spec.strategy_params}
        self.spec = spec
        self.overhead_rate, self.channel_cost, self.blended_share = spec.overhead_rate, spec.channel_cost_usd, \
            spec.blended_share
        self.coordinated = spec.coordinated
        if spec.eligible_countries:
            cs = set(spec.eligible_countries)
        else:
            pilots = {c.id for c in model.scenario.countries if c.pilot}
            cs = pilots or set(model.country_ids)
        gs = set(spec.goals) if spec.goals else set(model.goal_ids)
        self.mask = [[c in cs and g in gs for g in model.goal_ids] for c in model.country_ids]
        self.inflow, self.reserve, self.active = 0.0, 0.0, False
        # what it would pay out each year if contributions followed their trends (the plannable part)
        self.scheduled, reserve = [], 0.0
        for t in range(model.T):
            inflow = 0.0
            for d in model.scenario.donors:
                x = d.budget_usd * d.pooled_share * (1.0 + d.growth) ** t
                inflow += max(x - d.channel_cost_usd, 0.0) if x > 0 else 0.0
            held = reserve + inflow
            self.scheduled.append(held * spec.payout_rate * min(1.0, (t + 1.0) / (spec.start_lag_years + 1.0)))
            reserve = held - self.scheduled[-1]

    def contribute(self) -> None:
        """Pay out a share of what the facility holds (less in its first years), keep the rest, plan."""
        m, t = self.model, self.model.t
        self.active = self.active or self.reserve > 0
        if not self.active:
            return
        held = self.reserve + self.inflow
        paid = held * self.spec.payout_rate * min(1.0, (t + 1.0) / (self.spec.start_lag_years + 1.0))
        self.reserve = held - paid
        m.ledger.book(t, "unspent", self.inflow - paid)
        self.plan = self.allocate(paid)

    def windows(self) -> tuple[float, float]:
        """Its blended and capacity shares; one the scenario leaves unset is the pooled money's own mix
        (the contributors' shares weighted by what each pooled this year, or by their pooled trend
        budgets in a year nothing came in)."""
        donors = self.model.donors
        weights = [d.pooled for d in donors]
        if sum(weights) <= 0:
            weights = [d.base * d.pooled_share for d in donors]
        total = sum(weights)

        def own(attr: str) -> float:
            return sum(w * getattr(d.spec, attr) for w, d in zip(weights, donors)) / total if total > 0 else 0.0

        b = self.spec.blended_share if self.spec.blended_share is not None else own("blended_share")
        k = self.spec.capacity_share if self.spec.capacity_share is not None else own("capacity_share")
        return b, min(k, 1.0 - b)

    def step(self) -> None:
        if not self.active:
            return
        t = self.model.t
        growth = self.scheduled[t] / self.scheduled[t - 1] if t and self.scheduled[t - 1] > 0 else 1.0
        blended_share, capacity_share = self.windows()
        grant, blend, capacity = self.split(self.plan, blended_share, capacity_share)
        m, r, p = self.model, self.spec.risk_sharing, self.spec.guarantee_provisioning
        for c in range(m.C):  # the guarantee fund risk sharing needs: p·r·L per dollar delivered, held idle
            for g in range(m.G):
                x = p * r * m.leverage[g]
                held = blend[c][g] * x / (1.0 + x)
                blend[c][g] -= held
                m.ledger.book(t, "unspent", held)
        self.deliver(grant, blend, capacity, self.overhead_rate, self.channel_cost, growth, 1.0 + r)
        self.inflow, self.active = 0.0, False


class ResearchBody(mesa.Agent):
    """A research body spreading its budget over the unfinished technologies of its portfolio."""

    def __init__(self, model: NaiveModel, spec):
        super().__init__(model)
        self.ident = spec.id
        self.base, self.growth = spec.budget_usd, spec.growth
        self.portfolio = dict(spec.portfolio)
        self.collaboration_bonus = spec.collaboration_bonus if spec.joint else 0.0
        self.spent = 0.0

    def offer(self) -> None:
        m, t = self.model, self.model.t
        self.budget = self.base * (1.0 + self.growth) ** t * (1.0 - m.research_cut(t))
        m.ledger.book(t, "sources", self.budget)
        self.spent = 0.0
        weights = {k: w for k, w in self.portfolio.items() if not m.tech_by_id[k].deployable()}
        total = sum(weights.values())
        if total > 0:
            for k, w in weights.items():
                m.tech_by_id[k].offers.append((self, self.budget * (w / total)))

    def settle(self) -> None:
        m = self.model
        m.ledger.book(m.t, "spent", self.spent)
        m.ledger.book(m.t, "unspent", self.budget - self.spent)


# ----------------------------------------------------------------------------- model
class NaiveModel(mesa.Model):
    """One replication of a scenario, stepped agent by agent."""

    def __init__(self, scenario: Scenario, seq: np.random.SeedSequence):
        super().__init__(rng=np.random.default_rng(seq))
        self.scenario = sc = scenario
        self.T = T = sc.end_year - sc.start_year
        self.goal_ids = sc.goal_ids
        self.country_ids = sc.country_ids
        self.C, self.G, self.K = len(sc.countries), len(sc.goals), len(sc.technologies)
        gi = {g: i for i, g in enumerate(self.goal_ids)}
        self.t = 0

        self.leakage_max, self.leakage_exponent = sc.governance.leakage_max, sc.governance.exponent
        self.cap_scale, self.cap_max = sc.capacity.scale_usd_per_capita, sc.capacity.max
        self.absorb_share, self.absorb_ref = sc.absorption.ceiling_share_of_gdp, sc.absorption.reference_capacity
        self.spend_scale = [g.spend_scale_usd_per_capita for g in sc.goals]
        self.decay = [g.decay for g in sc.goals]
        self.leverage = [g.leverage for g in sc.goals]
        self.links = zeros(self.G, self.G)
        for link in sc.interlinkages:
            self.links[gi[link.source]][gi[link.target]] += link.weight
        sd = sc.uncertainty.effectiveness_sd
        self.expected_effectiveness = [g.effectiveness for g in sc.goals]  # what allocators may know
        self.effectiveness = []
        for g in sc.goals:  # per-replication multiplier on κ_g, mean 1
            z = float(rng.stream(seq, "effectiveness", g.id).standard_normal())
            self.effectiveness.append(g.effectiveness * math.exp(sd * z - 0.5 * sd ** 2))
        self.efficacy = zeros(self.K, self.G)
        for k, tech in enumerate(sc.technologies):
            for g, e in tech.goals.items():
                self.efficacy[k][gi[g]] = e

        self.technologies = [Technology(k, rng.stream(seq, "research", k.id).random(T).tolist())
                             for k in sc.technologies]
        self.tech_by_id = {k.ident: k for k in self.technologies}
        overhead = {d.id: d.overhead_rate for d in sc.donors}
        self.partnerships = [Partnership(p, sc.start_year, overhead[p.funder] if p.funder else 0.0)
                             for p in sc.partnerships]

        nsd = sc.uncertainty.score_noise_sd
        self.countries = []
        for i, c in enumerate(sc.countries):
            noise = None
            if nsd > 0:
                z = rng.stream(seq, "score-noise", c.id).standard_normal((T, self.G))
                noise = [[nsd * z[t][g] for g in range(self.G)] for t in range(T)]
            self.countries.append(Country(self, i, c, noise))
        self.donors = []
        for i, d in enumerate(sc.donors):
            noise = rng.stream(seq, "budget", d.id).standard_normal(T).tolist() if d.noise_sd > 0 else None
            self.donors.append(Donor(self, i, d, noise))
        self.bodies = [ResearchBody(self, r) for r in sc.research_bodies]
        self.facility = Facility(self, sc.facility) if sc.facility is not None else None
        getattr(mesa.Agent, "_ids", {}).pop(self, None)  # Mesa 3.3 would keep every model alive

        self.ledger = Ledger(T)
        self.inbox = []  # what funders sent this year, waiting for `settle`
        self.history = {"scores": [], "adoption": [], "capacity": [], "trl": [], "private": []}
        self.record()

    def coordinate(self) -> None:
        """Each coordinated funder scales its plan in a cell by exp(−s_other/s_g), s_other the
        effective money per capita the other coordinated funders plan there, and re-spreads its
        budget over its cells in proportion (one round, from the announced plans)."""
        members = [d for d in self.donors if d.coordinated]
        if self.facility is not None and self.facility.active and self.facility.coordinated:
            members.append(self.facility)
        if len(members) < 2:
            return
        new = []
        for f in members:
            w, budget, wsum = zeros(self.C, self.G), 0.0, 0.0
            for c, country in enumerate(self.countries):
                per_usd = country.retention / country.population
                for g in range(self.G):
                    others = sum(o.plan[c][g] for o in members if o is not f) * per_usd
                    w[c][g] = f.plan[c][g] * math.exp(-others / self.spend_scale[g])
                    budget += f.plan[c][g]
                    wsum += w[c][g]
            if wsum > 0:
                w = [[(x * budget / wsum if f.mask[c][g] else 0.0) for g, x in enumerate(row)]
                     for c, row in enumerate(w)]
            elif budget > 0:
                w = f.plan
            new.append(w)
        for f, w in zip(members, new):
            f.plan = w

    # shocks, looked up year by year
    def settle(self) -> None:
        """What every channel delivers: its flow less the funder's overhead, the recipient's transaction
        cost and the channel's share (by amount) of what the surprise in its recipient's total aid
        costs: min(1, λ v²) of the total, v = total / planned − 1 capped at ±1."""
        lam = self.scenario.channels.volatility_cost
        total, planned = [0.0] * self.C, [0.0] * self.C
        for c, _, _, arrived, _, plan, *_ in self.inbox:
            total[c] += arrived
            planned[c] += plan
        for c, flow, overhead, arrived, cost, _, grant, blend, capacity, mobilising in self.inbox:
            if lam > 0 and planned[c] > 0 and total[c] > 0:
                v = max(-1.0, min(1.0, total[c] / planned[c] - 1.0))
                cost += total[c] * min(lam * v * v, 1.0) * arrived / total[c]
            overhead += min(cost, arrived)
            keep = 1.0 - overhead / flow if flow > 0 else 1.0
            self.ledger.book(self.t, "overhead", overhead)
            self.countries[c].receive([x * keep for x in grant], [x * keep for x in blend], capacity * keep,
                                      mobilising)
        self.inbox = []

    def year(self, t: int) -> int:
        return self.scenario.start_year + t

    def _active(self, t: int):
        y = self.year(t)
        return [sh for sh in self.scenario.shocks if sh.start_year <= y < sh.start_year + sh.duration_years]

    def _pandemic_countries(self, sh) -> list[str]:
        return list(dict.fromkeys(sh.countries)) if sh.countries else self.country_ids

    def donor_cut(self, t: int, donor: str) -> float:
        cut = 0.0
        for sh in self._active(t):
            if isinstance(sh, Pandemic):
                cut = 1 - (1 - cut) * (1 - sh.budget_cut)
            elif not sh.donors or donor in sh.donors:
                cut = 1 - (1 - cut) * (1 - sh.cut)
        return cut

    def research_cut(self, t: int) -> float:
        cut = 0.0
        for sh in self._active(t):
            if isinstance(sh, Pandemic):
                cut = 1 - (1 - cut) * (1 - sh.budget_cut)
        return cut

    def gdp_cut(self, t: int, c: int) -> float:
        cut = 0.0
        for sh in self._active(t):
            if isinstance(sh, Pandemic) and self.country_ids[c] in self._pandemic_countries(sh):
                cut = 1 - (1 - cut) * (1 - sh.gdp_cut)
        return cut

    def hit(self, t: int, c: int, g: int) -> float:
        points = 0.0
        for sh in self._active(t):
            if isinstance(sh, Pandemic) and self.country_ids[c] in self._pandemic_countries(sh):
                points += sh.score_hit.get(self.goal_ids[g], 0.0)
        return points

    def health_goal(self, t: int) -> int | None:
        """Goal receiving diverted grants this year (the last diverting pandemic's), or None."""
        goal = None
        for sh in self._active(t):
            if isinstance(sh, Pandemic) and sh.diversion_to_health > 0:
                goal = self.goal_ids.index(sh.health_goal)
        return goal

    def diversion(self, t: int, c: int) -> float:
        share = 0.0
        for sh in self._active(t):
            if isinstance(sh, Pandemic) and sh.diversion_to_health > 0 \
                    and self.country_ids[c] in self._pandemic_countries(sh):
                share = sh.diversion_to_health
        return share

    def record(self) -> None:
        h = self.history
        h["scores"].append([list(c.scores) for c in self.countries])
        h["adoption"].append([list(c.adoption) for c in self.countries])
        h["capacity"].append([c.capacity for c in self.countries])
        h["trl"].append([k.trl for k in self.technologies])

    def step(self) -> None:
        t = self.t
        countries = self.agents_by_type[Country] if self.countries else None
        donors = self.agents_by_type[Donor] if self.donors else None
        bodies = self.agents_by_type[ResearchBody] if self.bodies else None
        # 1. budgets and domestic spending
        if countries:
            countries.do("prepare")
        if donors:
            donors.do("set_budget")
        # 2. donors pool and plan; the facility plans its payout; coordinated funders adjust; delivery
        if donors:
            donors.do("contribute")
        if self.facility is not None:
            self.facility.contribute()
        self.coordinate()
        if donors:
            donors.do("step")
        if self.facility is not None:
            self.facility.step()
        self.settle()
        countries.do("mobilise_private")
        self.history["private"].append(sum(sum(c.private) for c in self.countries))
        # 3. research bodies and technology pipelines
        if bodies:
            bodies.do("offer")
            for tech in self.technologies:
                tech.advance(t)
            bodies.do("settle")
        # 3b. transfer partnerships pay for capacity building in recipients
        for p in self.partnerships:
            if p.budget > 0 and self.year(t) >= p.start:
                self.ledger.book(t, "sources", p.budget)
                for c in p.recipients:
                    gross = p.budget * p.share
                    overhead = gross * p.overhead_rate
                    self.ledger.book(t, "overhead", overhead)
                    self.countries[self.country_ids.index(c)].capacity_money += gross - overhead
        # 4. countries turn money into progress
        countries.do("step")
        # 5. adaptive donors learn from this year's progress
        if donors:
            donors.select(lambda d: d.strategy == "adaptive").do("learn")
        self.t += 1
        self.record()
        if self.t >= self.T:
            self.running = False


def without_indicators(scenario: Scenario, label: str = "without indicators") -> Scenario:
    """`scenario` without its indicators: this reference implements the goal-score and money
    mechanisms, not the indicator dynamics (which have their own tests, tests/test_indicators.py),
    and a scenario's indicators feed its goal scores in the engine."""
    data = scenario.model_dump()
    data["indicators"] = []
    for c in data["countries"]:
        c["indicators"] = {}
    return validate_data(data, label)


def _as_scenario(scenario) -> Scenario:
    if isinstance(scenario, Scenario):
        return scenario
    if isinstance(scenario, (str, Path)):
        return load_scenario(scenario)
    return validate_data(scenario, "<reference>")


def run_reference(scenario, seed: int, runs: int, first: int = 0, count: int | None = None) -> dict:
    """Replications first..first+count-1 of a `runs`-replication run with `seed`, one model each.

    scenario: a Scenario, a path or a scenario dict. Returns arrays with a leading
    replication axis: scores (N, T+1, C, G), adoption (N, T+1, C, K), capacity (N, T+1, C),
    trl (N, T+1, K), private (N, T) and balance (N, T, 5) in ACCOUNTS order.
    """
    sc = _as_scenario(scenario)
    seqs = rng.replication_seeds(seed, runs)[first:first + (runs - first if count is None else count)]
    out: dict[str, list] = {k: [] for k in ("scores", "adoption", "capacity", "trl", "private", "balance")}
    for seq in seqs:
        model = NaiveModel(sc, seq)
        while model.running:
            model.step()
        for k in ("scores", "adoption", "capacity", "trl", "private"):
            out[k].append(model.history[k])
        out["balance"].append(model.ledger.balance)
    K = len(sc.technologies)
    arrays = {k: np.array(v, dtype=float) for k, v in out.items()}
    if K == 0:  # keep the documented shapes when there are no technologies
        N, Y, C = len(seqs), sc.end_year - sc.start_year + 1, len(sc.countries)
        arrays["adoption"] = np.zeros((N, Y, C, 0))
        arrays["trl"] = np.zeros((N, Y, 0))
    return arrays
