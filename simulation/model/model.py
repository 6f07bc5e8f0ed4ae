"""FinancingModel: the Mesa model that advances a batch of S replications in lock-step.

State lives in NumPy arrays owned by the model with a leading replication axis (S × C × G
for scores); parameters, built once from the scenario, are grouped by entity in `self.p`
(parameters.py). Agents (agents.py) hold their index into the arrays and own the decision
rules of their type. `step()` runs one year as the named phases of docs/model.md "One year":

    budgets → plans (donors, the facility's pool, coordination) → delivery (one path for every
    funder) → private co-finance → research → partnerships → countries (impact.py) → learning

Random numbers are drawn up front from per-replication, per-entity streams (rng.py), so
replication i gives the same result whatever batch it runs in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import mesa
import numpy as np

from ..mechanisms import uncertainty
from ..scenario import Scenario
from . import fiscal, funding, impact, rng, stacking
from .agents import Country, Donor, Facility, ResearchBody
from .ledger import NO_GOAL, Ledger
from .parameters import Parameters, parameters
from .ppi_country import PPICountries


@dataclass
class Year:
    """What every phase of one year reads: t (0 = start year), people and GDP (1|S, C), domestic
    spending (1|S, C, G) USD; the budgets phase adds research bodies' (1|S, R) and partnerships'
    (1|S, P) budgets. (1|S: a replication axis of size 1 where the batch's scenarios agree.)"""
    t: int
    population: np.ndarray
    gdp: np.ndarray
    domestic: np.ndarray
    body_budget: np.ndarray | None = None
    partner_budget: np.ndarray | None = None


@dataclass
class Delivered:
    """Money delivered to the countries this year (S, C, G) USD, by use."""
    external: np.ndarray  # grants and blended finance
    capacity: np.ndarray  # (S, C) capacity building
    mobilising: np.ndarray  # blended money, weighted by how much private money it mobilises


class FinancingModel(mesa.Model):
    """Countries, donors, research bodies and a pooled facility over yearly steps.

    Attributes (S replications, C countries, G goals, D donors, R research bodies,
    K technologies, T years):
        p: the scenario's parameters by entity (parameters.Parameters);
        scores (S, C, G), adoption (S, C, K), capacity (S, C), trl (S, K) state;
        history: dict of arrays with a leading year axis (T + 1 entries, start year first);
        ledger: flows and the money balance of every year.

    Mesa's own random generators (its `random` and `rng`) are not used: every draw comes
    from rng.py's per-replication streams.
    """

    def __init__(self, scenario: Scenario, seeds: list[np.random.SeedSequence], record_flows: bool = True,
                 variants: Sequence[tuple[Parameters, int]] | None = None):
        """Replications `seeds` of `scenario`; or, with `variants` (see `batch`), of several
        scenarios of the same structure: (parameters(scenario_i), replications_i) in the order
        of `seeds`, whose numbers may differ (parameters.axis)."""
        super().__init__()
        self.scenario = scenario
        self.S = len(seeds)
        variants = variants or [(parameters(scenario), self.S)]
        if sum(n for _, n in variants) != self.S:
            raise ValueError("variants' replications must add up to the seeds given")
        # every stackable parameter with its leading replication axis (1 where the scenarios agree)
        self.p = stacking.stack([p for p, _ in variants], [n for _, n in variants])
        self.T = self.p.T
        self._draw(seeds)
        self._state()
        self._make_agents(scenario)
        self.ledger = Ledger(self.S, self.T, record_flows)
        self.arrived: dict[str, np.ndarray] = {}  # last year's (S, F, C) flow per channel, per kind of funder
        self.ppi = PPICountries.build(scenario, seeds)  # None unless a country has a `ppi:` block
        self._buffers: dict[tuple, np.ndarray] = {}
        self._make_history()
        self._record(0)
        self.t = 0

    @classmethod
    def batch(cls, groups: Sequence[tuple[Scenario, list[np.random.SeedSequence]]],
              record_flows: bool | str = False) -> FinancingModel:
        """One model advancing every (scenario, seeds) group in one batch, replications in the
        order given; the scenarios must share their structure (else stacking.StructureMismatch).

        Replication i of group g gives exactly what `FinancingModel(scenario_g, seeds_g)` gives.
        """
        seeds = [s for _, ss in groups for s in ss]
        variants = [(parameters(sc), len(ss)) for sc, ss in groups]
        return cls(groups[0][0], seeds, record_flows, variants=variants)

    # ------------------------------------------------------------------ set-up
    def _draw(self, seeds: list[np.random.SeedSequence]) -> None:
        """Every random number of the run, per replication and entity (independent of batching)."""
        p, S, T = self.p, self.S, self.T
        d, u, n = p.donors, p.uncertainty, p.indicators
        C, I = len(p.countries.ids), n.n
        # persistent budget shocks (AR(1), unit sd every year; independent years where persistence is 0)
        self.budget_noise = uncertainty.ar1(rng.draws(seeds, "budget", d.ids, (T,)), 1.0, d.noise_persistence) \
            if d.noise_sd.any() else np.zeros((S, len(d.ids), T))
        self.research_draw = rng.draws(seeds, "research", p.technologies.ids, (T,), dist="uniform")
        sd = u.effectiveness_sd
        z = rng.draws(seeds, "effectiveness", p.goals.ids, ())
        self.effectiveness = p.goals.kappa * np.exp(sd * z - 0.5 * sd**2)  # realised: the dynamics only
        # what a funder can know: the scenario's expected κ (the draw has mean one), never this run's draw
        self.expected_effectiveness = np.broadcast_to(p.goals.kappa, self.effectiveness.shape)
        nsd = u.score_noise_sd
        self.score_noise = nsd * rng.draws(seeds, "score-noise", p.countries.ids, (T, len(p.goals.ids))) \
            if np.any(nsd > 0) else None  # (S, C, T, G)
        # each replication's trend, within the range of decade-long trends history shows
        self.ind_trend = uncertainty.truncated_normal(n.trend0, n.trend_sd, rng.draws(
            seeds, "indicator-trend", p.countries.ids, (I,)), n.trend_lo, n.trend_hi) \
            if I and n.trend_sd.any() else np.broadcast_to(n.trend0, (S, C, I))
        self.ind_noise = (n.noise_sd[..., None, :] * rng.draws(seeds, "indicator-noise", p.countries.ids, (T, I))
                          if I and n.noise_sd.any() else None)  # (S, C, T, I)

    def _state(self) -> None:
        """The state at the start year, every array with its leading replication axis."""
        p, S = self.p, self.S
        c, n = p.countries, p.indicators
        C, G, K, I = len(c.ids), len(p.goals.ids), len(p.technologies.ids), n.n
        self.remainder = np.broadcast_to(c.remainder0, (S, C, G)).copy()
        self.scores = np.broadcast_to(c.scores0, (S, C, G)).copy()
        self.adoption = np.zeros((S, C, K))
        self.capacity = np.broadcast_to(c.capacity0, (S, C)).copy()
        self.trl = np.broadcast_to(p.technologies.trl0, (S, K)).copy()
        self.progress = np.zeros((S, K))
        self.years_in_stage = np.zeros((S, K))
        self.propensity: np.ndarray | None = None  # (S, A, C, G) learned weights of the A adaptive donors
        self.donor_budget = np.zeros((S, len(p.donors.ids)))
        self.facility_reserve = np.zeros(S)  # (S,) money the facility holds for later years
        self.facility_guarantee = np.zeros(S)  # (S,) money its risk sharing holds idle in a guarantee fund
        self.ind_gap = np.broadcast_to(n.gap0, (S, C, I)).copy()
        self.ind_trend_gap = self.ind_gap.copy()  # the gap on the trend alone (money on its path)
        self.ind_reached = np.zeros((S, C, I))  # people reached (or lost) by money above (below) the path
        self.ind_value = np.broadcast_to(n.value0, (S, C, I)).copy()
        self.ind_pending = np.zeros((int(n.lag.max(initial=0)) + 1, S, C, I))  # money effects waiting for their lag
        f = p.fiscal  # loans' principal and interest due by year (until the last loan's maturity), principal owed
        self.loan_due = np.zeros((S, C, self.T + f.donor_unit.shape[-2] + 1, 2)) if f.lends else None
        self.loan_outstanding = np.zeros((S, C))  # principal each country still owes

    def _make_agents(self, sc: Scenario) -> None:
        """One Mesa agent per entity, in scenario order (agents_by_type gives them by type)."""
        for i, c in enumerate(sc.countries):
            Country(self, i, c.id)
        for i, d in enumerate(sc.donors):
            Donor(self, i, d.id, d.strategy)
        for i, r in enumerate(sc.research_bodies):
            ResearchBody(self, i, r.id)
        if sc.facility is not None:
            Facility(self, sc.facility.strategy)

    def _make_history(self) -> None:
        S, T, p = self.S, self.T, self.p
        C, G, K, I = len(p.countries.ids), len(p.goals.ids), len(p.technologies.ids), p.indicators.n
        self.history = {
            "scores": np.empty((T + 1, S, C, G)), "adoption": np.empty((T + 1, S, C, K)),
            "capacity": np.empty((T + 1, S, C)), "trl": np.empty((T + 1, S, K)),
            "private": np.zeros((T, S)), "public_external": np.zeros((T, S)),
            "indicators": np.empty((T + 1, S, C, I)), "indicator_money_pc": np.zeros((T, S, C, I)),
            "channel_costs": np.zeros((T, S, 2)),  # recipients' transaction costs, volatility losses (USD)
            "fiscal": np.zeros((T, S, C, len(fiscal.FIELDS))),  # debt service, fiscal space, ... (fiscal.py)
        }
        self.history["fiscal"][..., ~p.fiscal.has, :3] = np.nan  # no fiscal block: no debt service, space, relief

    # ------------------------------------------------------------------ helpers
    def buffer(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        """A scratch array (uninitialised) reused from year to year.

        The (S, D, C, G) arrays of a large batch are tens of MB; allocating fresh ones every
        year costs more in page faults than the arithmetic that fills them.
        """
        key = (name, shape)
        if key not in self._buffers:
            self._buffers[key] = np.empty(shape)
        return self._buffers[key]

    def _record(self, t: int) -> None:
        h = self.history
        h["scores"][t], h["adoption"][t], h["capacity"][t], h["trl"][t] = \
            self.scores, self.adoption, self.capacity, self.trl
        h["indicators"][t] = self.ind_value

    # ------------------------------------------------------------------ the year
    def step(self) -> None:
        """Advance every replication by one year: the phases of docs/model.md "One year", in order."""
        year = self._year()
        funding.budgets(self, year)  # 1. budgets
        plans = funding.plans(self, year)  # 2. allocation: donors, the facility's pool, coordination
        delivered = self._deliver(year, plans)  # 3. channels and overhead, every funder alike
        private = self._private(year, delivered)  # 4. private co-finance
        self._research(year)  # 5. research bodies and technology pipelines
        capacity = self._partnerships(year, delivered.capacity)  # 6. transfer partnerships
        progress = impact.countries_step(self, year, year.domestic, delivered.external + private,
                                         capacity)  # 7. countries
        Donor.learn(self, progress, plans["donor"][1])  # 8. learning
        self.t += 1
        self._record(self.t)
        if self.t >= self.T:
            self.running = False

    def run(self) -> FinancingModel:
        while self.running:
            self.step()
        return self

    def _year(self) -> Year:
        c, t = self.p.countries, self.t
        gdp = c.gdp0 * (1.0 + c.gdp_growth) ** t * (1.0 - self.p.shocks.gdp_cut[t])
        return Year(t, c.population(t), gdp, fiscal.domestic(self, t, gdp))

    def _deliver(self, year: Year, plans: dict) -> Delivered:
        """Every funder's plan, split into its windows and sent through its channels, then delivered
        together (the recipients' volatility losses are on their total aid); the sums over funders
        (donors first, then the facility)."""
        sent = [funding.send(self, year.t, who, alloc) for who, alloc in plans.values()]
        external = capacity = mobilising = None
        for s, net in zip(sent, funding.deliver(self, year.t, sent)):
            b = net["blended"].sum(axis=1) if s.who.blended.any() else np.zeros(self.scores.shape)  # else zeros
            mob = b if s.who.risk is None else b * (1.0 + s.who.risk)  # risk sharing: a first-loss tranche
            g, cap = net["grant"].sum(axis=1), net["capacity"].sum(axis=1)
            if "loan" in net:
                g = g + net["loan"].sum(axis=1)
            external = g + b if external is None else external + g + b
            capacity = cap if capacity is None else capacity + cap
            mobilising = mob if mobilising is None else mobilising + mob
        return Delivered(external, capacity, mobilising)

    def _private(self, year: Year, delivered: Delivered) -> np.ndarray:
        """Private co-finance mobilised by blended finance (S, C, G), a new source of money."""
        t, S = year.t, self.S
        private = delivered.mobilising * self.p.goals.leverage[..., None, :]
        self.ledger.book(t, sources=private.sum(axis=(1, 2)))
        self.ledger.flow("private", private, "private", "private", self.p.countries.ids, self.p.goals.ids)
        self.history["private"][t] = private.sum(axis=(1, 2))
        # BLAS rounds a one-row product differently: give it two rows, so a replication's number
        # does not depend on how many replications share its batch
        budgets = self.donor_budget if S > 1 else np.repeat(self.donor_budget, 2, axis=0)
        self.history["public_external"][t] = (budgets @ self.p.donors.public)[:S] + \
            stacking.total(year.partner_budget)
        return private

    def _research(self, year: Year) -> None:
        """Research bodies fund their technologies' stages (ResearchBody.fund)."""
        if not len(self.p.research.ids):
            return
        spent, unspent = ResearchBody.fund(self, year.t, year.body_budget)
        self.ledger.book(year.t, spent=spent.sum(axis=(1, 2)), unspent=unspent.sum(axis=1))
        self.ledger.flow("research", spent, "research", self.p.research.ids,
                         [f"tech:{k}" for k in self.p.technologies.ids], NO_GOAL)

    def _partnerships(self, year: Year, capacity: np.ndarray) -> np.ndarray:
        """Transfer partnerships' budgets build capacity in their recipients (less the funder's
        overhead); returns all capacity-building money (S, C)."""
        budget, ps = year.partner_budget, self.p.partnerships
        if not budget.any():
            return capacity
        gross = budget[..., None] * ps.recipients  # (1|S, P, C)
        gross = np.broadcast_to(gross, (self.S,) + gross.shape[-2:])
        overhead = gross * ps.rate[..., None]
        self.ledger.book(year.t, overhead=overhead.sum(axis=(1, 2)))
        self.ledger.flow("transfer", gross, "transfer", ps.funders, self.p.countries.ids, NO_GOAL)
        return capacity + (gross - overhead).sum(axis=1)
