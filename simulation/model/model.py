"""FinancingModel: the Mesa model that advances a batch of S replications in lock-step.

State lives in NumPy arrays owned by the model with a leading replication axis
(S × C × G for scores). Agents (see agents.py) are views into these arrays and own the
decision rules; `step()` runs one year, one agent type at a time, in the order of
docs/model.md ("One year"): budgets → allocation (donors, facility) → research → countries
(capacity, adoption, scores) → learning → ledger.

Random numbers are drawn up front from per-replication, per-entity streams (rng.py),
so replication i gives the same result whatever batch it runs in.
"""

from __future__ import annotations

from typing import Sequence

import mesa
import numpy as np

from ..mechanisms import allocation, channels, dynamics
from ..mechanisms import indicators as ind
from ..mechanisms.allocation import AllocationContext
from ..scenario import Pandemic, Scenario
from . import rng, stacking
from .agents import Country, Donor, Facility, ResearchBody
from .ledger import NO_GOAL, Ledger
from .ppi_country import PPICountries


class FinancingModel(mesa.Model):
    """Countries, donors, research bodies and a pooled facility over yearly steps.

    Attributes (S replications, C countries, G goals, D donors, R research bodies,
    K technologies, T years):
        scores (S, C, G), adoption (S, C, K), capacity (S, C), trl (S, K) state;
        history: dict of arrays with a leading year axis (T + 1 entries, start year first);
        ledger: flows and the money balance of every year.
    """

    def __init__(self, scenario: Scenario, seeds: list[np.random.SeedSequence], record_flows: bool = True,
                 variants: Sequence[tuple[dict, int]] | None = None):
        """Replications `seeds` of `scenario`; or, with `variants` (see `batch`), of several
        scenarios of the same structure: (parameters(scenario_i), replications_i) in the order
        of `seeds`, whose numbers may differ (stacking.STACKED)."""
        super().__init__(rng=np.random.default_rng(seeds[0]) if seeds else None)
        self.scenario = sc = scenario
        self.S = S = len(seeds)
        if variants is None:
            self._parameters(sc)
        else:
            if sum(n for _, n in variants) != S:
                raise ValueError("variants' replications must add up to the seeds given")
            self.__dict__.update(stacking.stack([p for p, _ in variants], [n for _, n in variants]))
        T = self.T
        bodies, f = sc.research_bodies, sc.facility

        # random draws, per replication and entity (independent of batching)
        self.budget_noise = rng.draws(seeds, "budget", self.donor_ids, (T,)) if self.donor_noise_sd.any() \
            else np.zeros((S, len(self.donor_ids), T))
        self.research_draw = rng.draws(seeds, "research", self.tech_ids, (T,), dist="uniform")
        sd = self.effectiveness_sd
        z = rng.draws(seeds, "effectiveness", self.goal_ids, ())
        self.effectiveness = self.kappa * np.exp(sd * z - 0.5 * sd**2)  # realised: the dynamics only
        # what a funder can know: the scenario's expected κ (the draw has mean one), never this run's draw
        self.expected_effectiveness = np.broadcast_to(self.kappa, self.effectiveness.shape)
        nsd = self.score_noise_sd
        self.score_noise = nsd * rng.draws(seeds, "score-noise", self.country_ids, (T, len(self.goal_ids))) \
            if np.any(nsd > 0) else None  # (S, C, T, G)
        self._indicator_draws(seeds)

        # state
        C, G, K = len(self.country_ids), len(self.goal_ids), len(self.tech_ids)
        self.remainder = np.broadcast_to(self.remainder0, (S, C, G)).copy()
        self.scores = np.broadcast_to(self.scores0, (S, C, G)).copy()
        self.adoption = np.zeros((S, C, K))
        self.capacity = np.broadcast_to(self.capacity0, (S, C)).copy()
        self.trl = np.broadcast_to(self.trl0, (S, K)).copy()
        self.progress = np.zeros((S, K))
        self.years_in_stage = np.zeros((S, K))
        self.propensity: np.ndarray | None = None  # (S, A, C, G) learned weights of the A adaptive donors
        self.donor_budget = np.zeros((S, len(self.donor_ids)))
        self.facility_reserve = np.zeros(S)  # (S,) money the facility holds for later years

        # agents
        for i, c in enumerate(sc.countries):
            Country(self, i, c.id, c.name, c.pilot)
        for i, d in enumerate(sc.donors):
            Donor(self, i, d)
        for i, r in enumerate(bodies):
            ResearchBody(self, i, r)
        self.facility = Facility(self, f) if f is not None else None
        # Mesa 3.3 numbers agents through a class-level dict keyed by model (mesa.Agent._ids),
        # which keeps every model ever built alive. All agents exist now, so drop our entry.
        getattr(mesa.Agent, "_ids", {}).pop(self, None)

        self.ledger = Ledger(S, T, record_flows)
        self._arrived: dict[str, np.ndarray] = {}  # last year's (S, F, C) flow per channel, per kind of funder
        self.ppi = PPICountries.build(sc, seeds)  # None unless a country has a `ppi:` block
        self._buffers: dict[tuple, np.ndarray] = {}
        self.history = {
            "scores": np.empty((T + 1, S, C, G)), "adoption": np.empty((T + 1, S, C, K)),
            "capacity": np.empty((T + 1, S, C)), "trl": np.empty((T + 1, S, K)),
            "private": np.zeros((T, S)), "public_external": np.zeros((T, S)),
            "indicators": np.empty((T + 1, S, C, self.n_ind)),
            "indicator_money_pc": np.zeros((T, S, C, self.n_ind)),
            "channel_costs": np.zeros((T, S, 2)),  # recipients' transaction costs, volatility losses (USD)
        }
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

    def _parameters(self, sc: Scenario) -> None:
        """Every array the model derives from the scenario alone (no random numbers): the
        `parameters` of a scenario, which `stacking.stack` merges across scenarios."""
        self.T = T = sc.end_year - sc.start_year
        self.goal_ids = gids = sc.goal_ids
        self.country_ids = cids = sc.country_ids
        self.donor_ids = [d.id for d in sc.donors]
        self.tech_ids = [k.id for k in sc.technologies]
        self.body_ids = [r.id for r in sc.research_bodies]
        gi = {g: i for i, g in enumerate(gids)}
        ci = {c: i for i, c in enumerate(cids)}
        ki = {k: i for i, k in enumerate(self.tech_ids)}
        di = {d: i for i, d in enumerate(self.donor_ids)}
        C, G, D, K = len(cids), len(gids), len(self.donor_ids), len(self.tech_ids)
        pilots = np.array([c.pilot for c in sc.countries])

        # goals
        self.kappa = np.array([g.effectiveness for g in sc.goals])
        self.spend_scale = np.array([g.spend_scale_usd_per_capita for g in sc.goals])
        self.decay = np.array([g.decay for g in sc.goals])
        self.leverage = np.array([g.leverage for g in sc.goals])
        self.links = np.zeros((G, G))
        for link in sc.interlinkages:
            self.links[gi[link.source], gi[link.target]] += link.weight

        # countries
        self.population0 = np.array([c.population_m * 1e6 for c in sc.countries])
        self.population_growth = np.array([c.population_growth for c in sc.countries])
        self.gdp0 = np.array([c.gdp_usd_bn * 1e9 for c in sc.countries])
        self.gdp_growth = np.array([c.gdp_growth for c in sc.countries])
        self.domestic_share = np.array([c.domestic_sdg_share for c in sc.countries])
        self.governance = np.array([c.governance for c in sc.countries])
        self.retention = 1.0 - dynamics.leakage(self.governance, sc.governance.leakage_max, sc.governance.exponent)
        self.priority = np.zeros((C, G))
        for i, c in enumerate(sc.countries):
            row = np.array([c.roadmap_priority.get(g, 0.0) for g in gids]) if c.roadmap_priority else np.ones(G)
            self.priority[i] = row / row.sum()
        self.cap_scale, self.cap_max = sc.capacity.scale_usd_per_capita, sc.capacity.max

        # donors
        self.donor_base = np.array([d.budget_usd for d in sc.donors])
        self.donor_growth = np.array([d.growth for d in sc.donors])
        self.donor_noise_sd = np.array([d.noise_sd for d in sc.donors])
        self.pooled_share = np.array([d.pooled_share for d in sc.donors])
        self.blended_share = np.array([d.blended_share for d in sc.donors])
        self.capacity_share = np.array([d.capacity_share for d in sc.donors])
        self.overhead_rate = np.array([d.overhead_rate for d in sc.donors])
        self.public_donor = np.array([d.kind in ("bilateral", "multilateral") for d in sc.donors], dtype=float)
        self.channel_cost = np.array([d.channel_cost_usd for d in sc.donors])
        self.coordinated = np.array([d.coordinated for d in sc.donors], dtype=bool)
        self.donor_mask = np.zeros((D, C, G), dtype=bool)
        for i, d in enumerate(sc.donors):
            cs = [ci[c] for c in d.eligible_countries] if d.eligible_countries else list(range(C))
            gs = [gi[g] for g in d.goals] if d.goals else list(range(G))
            self.donor_mask[i][np.ix_(cs, gs)] = True

        # facility
        f = sc.facility
        self.facility_mask = np.zeros((1, C, G), dtype=bool)
        if f is not None:
            cs = [ci[c] for c in f.eligible_countries] if f.eligible_countries else \
                (list(np.flatnonzero(pilots)) if pilots.any() else list(range(C)))
            gs = [gi[g] for g in f.goals] if f.goals else list(range(G))
            self.facility_mask[0][np.ix_(cs, gs)] = True
        if f is not None:  # what it pays out when contributions follow their trend: its payout's planned growth
            trend = self.donor_base * self.pooled_share * (1.0 + self.donor_growth) ** np.arange(T)[:, None]
            trend = np.maximum(trend - np.where(trend > 0, self.channel_cost, 0.0), 0.0).sum(axis=1)
            planned = channels.scheduled_payout(trend, f.payout_rate, f.start_lag_years)
            self.facility_growth = np.divide(planned[1:], planned[:-1], out=np.ones(T - 1), where=planned[:-1] > 0)

        # technologies and research
        self.efficacy = np.zeros((K, G))
        for i, k in enumerate(sc.technologies):
            for g, e in k.goals.items():
                self.efficacy[i, gi[g]] = e
        tech = sc.technologies
        self.stage_cost = np.array([k.stage_cost_usd for k in tech])
        self.stage_years = np.array([k.stage_years for k in tech])
        self.success_prob = np.array([k.success_probability for k in tech])
        self.deploy_trl = np.array([k.deploy_trl for k in tech])
        self.bass_p = np.array([k.bass_p for k in tech])
        self.bass_q = np.array([k.bass_q for k in tech])
        bodies = sc.research_bodies
        self.body_base = np.array([r.budget_usd for r in bodies])
        self.body_growth = np.array([r.growth for r in bodies])
        self.portfolio = np.zeros((len(bodies), K))
        for i, r in enumerate(bodies):
            for k, w in r.portfolio.items():
                self.portfolio[i, ki[k]] = w
        self.collab_bonus = np.array([r.collaboration_bonus if r.joint else 0.0 for r in bodies])

        # partnerships: access (T, C, K) by year, budgets (T, P) and recipients (P, C)
        years = np.arange(sc.start_year, sc.end_year)
        base_access = np.array([k.base_access for k in tech])
        self.access = np.broadcast_to(base_access, (T, C, K)).copy()
        P = len(sc.partnerships)
        self.partner_budget = np.zeros((T, P))
        self.partner_recipients = np.zeros((P, C))
        self.partner_rate = np.zeros(P)
        for p, ps in enumerate(sc.partnerships):
            on = years >= (ps.start_year if ps.start_year is not None else sc.start_year)
            rec = list(dict.fromkeys(ci[c] for c in ps.recipients))  # a repeated recipient counts once
            self.access[np.ix_(on, rec, [ki[ps.technology]])] += ps.access_boost
            self.partner_budget[on, p] = ps.budget_usd
            self.partner_recipients[p, rec] = 1.0 / len(rec)
            self.partner_rate[p] = sc.donors[di[ps.funder]].overhead_rate if ps.funder else 0.0
        np.clip(self.access, 0.0, 1.0, out=self.access)
        self.partner_funders = [ps.funder or ps.id for ps in sc.partnerships]

        # shocks by year
        self.donor_cut = np.zeros((T, D))
        self.research_cut = np.zeros(T)
        self.gdp_cut = np.zeros((T, C))
        self.hit = np.zeros((T, C, G))
        self.diversion = np.zeros((T, C))
        self.health_goal = np.full(T, -1)
        for sh in sc.shocks:
            on = (years >= sh.start_year) & (years < sh.start_year + sh.duration_years)
            if isinstance(sh, Pandemic):
                cs = [ci[c] for c in sh.countries] if sh.countries else list(range(C))
                for g, h in sh.score_hit.items():
                    self.hit[np.ix_(on, cs, [gi[g]])] += h
                self.donor_cut[on] = 1 - (1 - self.donor_cut[on]) * (1 - sh.budget_cut)
                self.research_cut[on] = 1 - (1 - self.research_cut[on]) * (1 - sh.budget_cut)
                self.gdp_cut[np.ix_(on, cs)] = 1 - (1 - self.gdp_cut[np.ix_(on, cs)]) * (1 - sh.gdp_cut)
                if sh.diversion_to_health > 0:
                    self.diversion[np.ix_(on, cs)] = sh.diversion_to_health
                    self.health_goal[on] = gi[sh.health_goal]
            else:
                ds = [di[d] for d in sh.donors] if sh.donors else list(range(D))
                self.donor_cut[np.ix_(on, ds)] = 1 - (1 - self.donor_cut[np.ix_(on, ds)]) * (1 - sh.cut)

        # scales, uncertainty, start values
        self.effectiveness_sd = sc.uncertainty.effectiveness_sd
        self.score_noise_sd = sc.uncertainty.score_noise_sd
        self.abs_share, self.abs_ref = sc.absorption.ceiling_share_of_gdp, sc.absorption.reference_capacity
        self.capacity0 = np.array([c.absorptive_capacity for c in sc.countries])
        self.trl0 = np.array([k.trl for k in tech])
        self.has_ppi = any(c.ppi is not None for c in sc.countries)
        self.donor_groups = {name: np.array([i for i, d in enumerate(sc.donors) if d.strategy == name])
                             for name in dict.fromkeys(d.strategy for d in sc.donors)}
        self.donor_params = {name: allocation.stack_params(name, [sc.donors[i].strategy_params for i in idx])
                             for name, idx in self.donor_groups.items()}
        self.fac_strategy = f.strategy if f is not None else None
        self.fac_params = allocation.stack_params(f.strategy, [f.strategy_params]) if f is not None else {}
        self.fac_overhead = np.array([f.overhead_rate if f is not None else 0.0])
        self.fac_channel_cost = np.array([f.channel_cost_usd if f is not None else 0.0])
        self.fac_blended = np.array([f.blended_share if f is not None else 0.0])
        self.fac_capacity = np.array([f.capacity_share if f is not None else 0.0])
        self.fac_payout, self.fac_lag, self.fac_risk = (f.payout_rate, f.start_lag_years, f.risk_sharing) \
            if f is not None else (1.0, 0.0, 0.0)
        self.fac_coordinated = f is not None and f.coordinated
        # whether any donor pools money: a facility that never receives any does not run at all
        self.fac_pools = f is not None and any(d.pooled_share > 0 for d in sc.donors)
        ch = sc.channels
        self.ch_share, self.ch_reference = ch.recipient_cost_share, ch.reference_flow_usd
        self.ch_elasticity, self.ch_volatility = ch.cost_elasticity, ch.volatility_cost
        self._indicator_parameters(sc)
        start = np.array([[c.scores.get(g, 0.0) for g in gids] for c in sc.countries], float)
        # remainder: the part of each goal's score that its unmodelled indicators carry, as their
        # mean score (0-100). It follows the abstract spending dynamics (docs/model.md); a goal
        # without indicators is all remainder, a goal whose indicators carry it all has none.
        remainder = start.copy()
        if self.n_ind:  # goals whose indicators carry the whole score start from them; the others as given
            covered = self.ind_weights.sum(axis=0)
            full = self.ind_goals[covered[self.ind_goals] > 1 - 1e-9]
            part = self.ind_goals[covered[self.ind_goals] <= 1 - 1e-9]
            start[:, full] = (self.norm0 @ self.ind_weights)[:, full]
            rest = (start - self.norm0 @ self.ind_weights) / np.maximum(1.0 - covered, 1e-9)
            remainder[:, part] = np.clip(rest, 0.0, 100.0)[:, part]
        self.scores0, self.remainder0 = start, remainder

    def _indicator_parameters(self, sc: Scenario) -> None:
        """Arrays of the scenario's indicators (docs/model.md "Indicators"); empty if it has none.

        (I,) definitions, (C, I) country values and trends, (T, C, I) shocks, (I, G) goal
        weights and (C, G) each goal's share not carried by its indicators (1 − Σ weights).
        """
        T = self.T
        defs = sc.indicators
        self.n_ind = I = len(defs)
        self.ind_ids = [d.id for d in defs]
        C, G = len(self.country_ids), len(self.goal_ids)
        gi = {g: i for i, g in enumerate(self.goal_ids)}
        self.ind_lb = np.array([d.bounds[0] for d in defs])
        self.ind_ub = np.array([d.bounds[1] for d in defs])
        self.ind_best = np.array([d.best for d in defs])
        self.ind_higher = np.array([d.higher_is_better for d in defs], dtype=bool)
        self.ind_floor = ind.GAP_FLOOR * (self.ind_ub - self.ind_lb)
        self.ind_scale = np.array([d.scale for d in defs])
        self.ind_ceiling = ind.gap_ceiling(self.ind_best, self.ind_higher, self.ind_scale)
        self.ind_unit_cost = np.array([d.unit_cost_usd for d in defs])
        self.ind_money_share = np.array([d.money_share for d in defs])
        self.ind_lag = np.array([d.lag_years for d in defs], dtype=int)
        self.ind_goal = np.array([gi[d.goal] for d in defs], dtype=int)
        self.ind_births = np.array([d.denominator == "births" for d in defs], dtype=bool)
        self.ind_weights = np.zeros((I, G))
        self.ind_weights[np.arange(I), self.ind_goal] = [d.goal_weight for d in defs]
        self.ind_goals = np.flatnonzero(self.ind_weights.sum(axis=0) > 0)
        self.birth_rate = np.array([c.birth_rate_per_1000 for c in sc.countries]) / 1000.0
        ci = [[c.indicators[d.id] for d in defs] for c in sc.countries]
        value0 = np.array([[x.value for x in row] for row in ci], float).reshape(C, I)
        trend = np.array([[x.trend for x in row] for row in ci], float).reshape(C, I)
        self.ind_trend0, self.ind_value0 = trend, value0
        self.ind_trend_sd = np.array([[x.trend_sd for x in row] for row in ci], float).reshape(C, I)
        self.ind_noise_sd = np.array([[x.noise_sd for x in row] for row in ci], float).reshape(C, I)
        self.ind_base_pc = np.array([[x.baseline_usd_per_capita for x in row] for row in ci], float).reshape(C, I)
        self.ind_shock = np.zeros((T, C, I))
        years = np.arange(sc.start_year, sc.end_year)
        ii = {d: k for k, d in enumerate(self.ind_ids)}
        cidx = {c: k for k, c in enumerate(self.country_ids)}
        for sh in sc.shocks:
            if isinstance(sh, Pandemic) and sh.indicator_shock:
                on = (years >= sh.start_year) & (years < sh.start_year + sh.duration_years)
                cs = [cidx[c] for c in sh.countries] if sh.countries else list(range(C))
                for key, v in sh.indicator_shock.items():
                    self.ind_shock[np.ix_(on, cs, [ii[key]])] += v
        self.norm0 = ind.normalise(value0, self.ind_lb, self.ind_ub, self.ind_higher)
        self.unmodelled = np.maximum(1.0 - self.ind_weights.sum(axis=0), 0.0)  # (G,)
        # a shock's score_hit is in points of the goal's score; it acts on the remainder, so scale it
        self.hit[..., self.ind_goals] /= np.maximum(self.unmodelled[self.ind_goals], 1e-9)
        self.ind_gap0 = ind.gap(value0, self.ind_best, self.ind_higher, self.ind_floor)

    def _indicator_draws(self, seeds: list[np.random.SeedSequence]) -> None:
        """Indicator state: (S, C, I) each replication's trend draw, gap and value, (S, C, T, I)
        yearly noise, and the money effects waiting for their lag."""
        S, T, I, C = self.S, self.T, self.n_ind, len(self.country_ids)
        self.ind_trend = self.ind_trend0 + self.ind_trend_sd * rng.draws(seeds, "indicator-trend", self.country_ids,
                                                                         (I,)) \
            if I and self.ind_trend_sd.any() else np.broadcast_to(self.ind_trend0, (S, C, I))
        self.ind_noise = (self.ind_noise_sd[..., None, :] * rng.draws(seeds, "indicator-noise", self.country_ids,
                                                                      (T, I))
                          if I and self.ind_noise_sd.any() else None)  # (S, C, T, I)
        self.ind_gap = np.broadcast_to(self.ind_gap0, (S, C, I)).copy()
        self.ind_value = np.broadcast_to(self.ind_value0, (S, C, I)).copy()
        self.ind_pending = np.zeros((int(self.ind_lag.max(initial=0)) + 1, S, C, I))  # money effects waiting for their lag

    def absorption_ceiling(self, t: int, gdp: np.ndarray) -> np.ndarray:
        """(S, C) US$ of external money each country can use this year (grows with capacity)."""
        return self.abs_share * gdp * self.capacity / self.abs_ref

    def indicators_step(self, t: int, effective: np.ndarray, pop: np.ndarray) -> None:
        """Advance the indicators one year and set the scores of the goals they measure.

        effective (S, C, G): this year's external money at work on each goal (after leakage,
        overhead and the absorption ceiling, with what technology adds to all money), USD;
        pop (C,) people. Only money beyond the trend's own level (baseline_usd_per_capita)
        moves an indicator faster than its trend.
        """
        money = effective[..., self.ind_goal] * self.ind_money_share  # (S, C, I)
        self.history["indicator_money_pc"][t] = money / pop[..., None]
        extra = money - self.ind_base_pc * pop[..., None]
        denom = np.where(self.ind_births, (pop * self.birth_rate)[..., None], pop[..., None])
        delta = ind.money_effect(extra, self.ind_unit_cost, denom, self.ind_scale)
        L = len(self.ind_pending)
        self.ind_pending[t % L] = delta
        if L > 1:  # indicator i feels the money of year t − lag_i
            lagged = self.ind_pending[(t - self.ind_lag) % L, :, :, np.arange(self.n_ind)]  # (I, S, C)
            delta = np.moveaxis(lagged, 0, -1) * (t >= self.ind_lag)
        noise = self.ind_noise[:, :, t] if self.ind_noise is not None else 0.0
        self.ind_gap = ind.gap_step(self.ind_gap, self.ind_trend, delta, self.ind_shock[t], noise, self.ind_floor,
                                    self.ind_ceiling)
        self.ind_value = ind.value_of(self.ind_gap, self.ind_best, self.ind_higher)
        norm = ind.normalise(self.ind_value, self.ind_lb, self.ind_ub, self.ind_higher)
        held = self.remainder * self.unmodelled
        self.scores[..., self.ind_goals] = ind.goal_scores(norm, self.ind_weights, held)[..., self.ind_goals]

    # ------------------------------------------------------------------ helpers
    def population_at(self, t: int) -> np.ndarray:
        """(C,) people in year start + t ((S, C) if the batch's scenarios differ in it)."""
        return self.population0 * (1.0 + self.population_growth) ** t

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

    def _deliver(self, t: int, key: str, source_ids: list[str], amounts: dict[str, np.ndarray],
                 rate: np.ndarray, channel_cost: np.ndarray, growth: np.ndarray) -> dict[str, np.ndarray]:
        """Pass funder→country money through channels; record flows.

        A channel loses the funder's overhead (rate and fixed cost), then the recipient's
        transaction cost and what its unpredictability costs (mechanisms/channels.py), all booked
        as overhead; growth (F,) is each funder's planned growth of its flows this year.
        amounts: instrument -> (S, F, C, G) or (S, F, C) gross USD. Returns the net amounts; the
        arrays given are scaled in place (they are recorded in the ledger first).
        """
        flow = sum(a.sum(axis=-1) if a.ndim == 4 else a for a in amounts.values())  # (S, F, C)
        overhead = dynamics.channel_overhead(flow, rate, channel_cost)
        # what arrives costs the recipient to service, and costs more the less it was expected
        arrived = flow - overhead
        recipient = channels.recipient_cost(arrived, self.ch_share, self.ch_reference, self.ch_elasticity)
        volatility = channels.volatility_loss(arrived, self._arrived.get(key), growth, self.ch_volatility)
        friction = recipient + volatility
        capped = np.minimum(friction, arrived)
        self._arrived[key] = arrived
        overhead += capped
        # the two parts of what the recipients lose, in proportion where all that arrived was lost
        part = np.divide(capped, friction, out=np.zeros_like(friction), where=friction > 0)
        self.history["channel_costs"][t, :, 0] += (recipient * part).sum(axis=(1, 2))
        self.history["channel_costs"][t, :, 1] += (volatility * part).sum(axis=(1, 2))
        keep = 1.0 - np.divide(overhead, flow, out=np.zeros_like(flow), where=flow > 0)
        self.ledger.book(t, overhead=overhead.sum(axis=(1, 2)))
        for inst, a in amounts.items():
            goals = self.goal_ids if a.ndim == 4 else NO_GOAL
            self.ledger.flow(f"{key}:{inst}", a, inst, source_ids, self.country_ids, goals)
            a *= keep[..., None] if a.ndim == 4 else keep
        return amounts

    def _split(self, alloc: np.ndarray, blended: np.ndarray, capacity: np.ndarray, mask: np.ndarray):
        """Split an allocation (S, F, C, G) into grant, blended and capacity money.

        blended, capacity: (F,) shares of each funder's allocation. Blended finance is
        taken proportionally from the funder's cells on goals with leverage > 0; what
        those cells cannot hold stays grant. Capacity money is per country (S, F, C).
        The three parts add up to `alloc` exactly. Grant and blended money are scratch
        buffers of the model, valid until the next call.
        """
        keep = (1.0 - capacity)[..., None, None]
        lev_mask = mask & (self.leverage > 0)[..., None, None, :]
        grant = np.multiply(alloc, keep, out=self.buffer("grant", alloc.shape))
        blend = np.multiply(grant, lev_mask, out=self.buffer("blended", alloc.shape))  # available for blending
        avail_total = blend.sum(axis=(-2, -1))
        want = alloc.sum(axis=(-2, -1)) * blended
        ratio = np.divide(np.minimum(want, avail_total), avail_total, out=np.zeros_like(avail_total),
                          where=avail_total > 0)
        blend *= ratio[..., None, None]
        grant -= blend
        cap = alloc.sum(axis=-1) * capacity[..., None]
        return grant, blend, cap

    # ------------------------------------------------------------------ the year
    def step(self) -> None:
        """Advance every replication by one year."""
        t = self.t
        S = self.S
        pop = self.population_at(t)
        gdp = self.gdp0 * (1.0 + self.gdp_growth) ** t * (1.0 - self.gdp_cut[t])
        domestic = dynamics.domestic_spending(gdp, self.domestic_share, self.priority)  # (C, G)

        # 1. budgets
        self.donor_budget = dynamics.donor_budgets(self.donor_base, self.donor_growth, t, self.budget_noise[:, :, t],
                                                   self.donor_noise_sd, self.donor_cut[t])
        body_budget = self.body_base * (1.0 + self.body_growth) ** t * (1.0 - self.research_cut[t])
        partner_budget = self.partner_budget[t]
        total = stacking.total  # sums of arrays that may have a replication axis
        self.ledger.book(t, sources=self.donor_budget.sum(axis=1) + total(domestic, 2) + total(body_budget, 1)
                         + total(partner_budget, 1))
        self.ledger.flow("domestic", np.broadcast_to(domestic, (S,) + domestic.shape[-2:]), "domestic", "domestic",
                         self.country_ids, self.goal_ids)

        # 2. allocation
        retention = self.retention
        ctx = AllocationContext(
            scores=self.scores, population=pop, gdp_per_capita=gdp / pop, governance=self.governance,
            priority=self.priority, effectiveness=self.expected_effectiveness, spend_scale=self.spend_scale,
            retention=retention, other_spend_pc=np.broadcast_to((domestic * retention[..., None] / pop[..., None]),
                                                                self.scores.shape),
            propensity=None)
        pooled = self.donor_budget * self.pooled_share
        bilateral_budget = self.donor_budget - pooled
        bil_blend = dynamics.share_of_rest(self.blended_share, self.pooled_share)
        bil_cap = dynamics.share_of_rest(self.capacity_share, self.pooled_share)
        alloc = Donor.allocate(self, ctx, bilateral_budget) if len(self.donor_ids) else \
            np.zeros((S, 0) + self.scores.shape[1:])

        # 2b. the pooled facility takes contributions, keeps a reserve and plans its payout
        falloc = None
        if self.facility is not None and (pooled.any() or self.facility_reserve.any()):
            pool_cost = np.minimum(pooled, np.where(pooled > 0, self.channel_cost, 0.0))
            self.ledger.book(t, overhead=pool_cost.sum(axis=1))
            self.ledger.flow("pooled", pooled, "pooled", self.donor_ids, "facility", NO_GOAL)
            inflow = (pooled - pool_cost).sum(axis=1)
            paid, self.facility_reserve = channels.reserve_step(self.facility_reserve, inflow, self.fac_payout,
                                                                channels.ramp(t, self.fac_lag))
            self.ledger.book(t, unspent=inflow - paid)  # negative when the reserve pays out more than came in
            falloc = self.facility.allocate(ctx, paid)
        elif pooled.any():  # pragma: no cover - the schema forbids pooling without a facility
            raise ValueError("pooled money without a facility")

        # 2c. coordinated funders (and the facility) adjust their plans to each other's
        members = np.flatnonzero(self.coordinated)
        if falloc is not None and self.fac_coordinated:
            plans = np.concatenate([alloc[:, members], falloc], axis=1)
            mask = np.concatenate([self.donor_mask[members], self.facility_mask])
            plans = channels.coordinate(plans, mask, retention / pop, self.spend_scale)
            alloc[:, members], falloc = plans[:, :len(members)], plans[:, len(members):]
        elif len(members) > 1:
            alloc[:, members] = channels.coordinate(alloc[:, members], self.donor_mask[members], retention / pop,
                                                    self.spend_scale)

        grant, blend, cap = self._split(alloc, bil_blend, bil_cap, self.donor_mask)
        if self.diversion[t].any():
            h = self.health_goal[t]
            moved = grant * self.diversion[t][..., None, :, None]
            moved[..., h] = 0.0
            grant -= moved
            grant[..., h] += moved.sum(axis=-1)
        net = self._deliver(t, "donor", self.donor_ids, {"grant": grant, "blended": blend, "capacity": cap},
                            self.overhead_rate, self.channel_cost, 1.0 + self.donor_growth)
        blended_net = net["blended"].sum(axis=1)
        external = net["grant"].sum(axis=1) + blended_net
        capacity_money = net["capacity"].sum(axis=1)
        mobilising = blended_net
        if falloc is not None:
            fgrant, fblend, fcap = self._split(falloc, self.fac_blended, self.fac_capacity, self.facility_mask)
            fnet = self._deliver(t, "facility", ["facility"], {"grant": fgrant, "blended": fblend, "capacity": fcap},
                                 self.fac_overhead, self.fac_channel_cost,
                                 self.facility_growth[t - 1][..., None] if t else np.ones(1))
            f_blended = fnet["blended"].sum(axis=1)
            external = external + fnet["grant"].sum(axis=1) + f_blended
            capacity_money = capacity_money + fnet["capacity"].sum(axis=1)
            # risk sharing: the facility's pooled first-loss tranche mobilises more per blended dollar
            mobilising = blended_net + f_blended * (1.0 + self.fac_risk)

        # private co-finance mobilised by blended finance
        private = mobilising * self.leverage[..., None, :]
        self.ledger.book(t, sources=private.sum(axis=(1, 2)))
        self.ledger.flow("private", private, "private", "private", self.country_ids, self.goal_ids)
        self.history["private"][t] = private.sum(axis=(1, 2))
        # BLAS rounds a one-row product differently: give it two rows, so a replication's number
        # does not depend on how many replications share its batch
        budgets = self.donor_budget if S > 1 else np.repeat(self.donor_budget, 2, axis=0)
        self.history["public_external"][t] = (budgets @ self.public_donor)[:S] + total(partner_budget, 1)

        # 3. research bodies and technology pipelines
        if len(self.body_ids):
            spent, unspent = ResearchBody.fund(self, t, body_budget)
            self.ledger.book(t, spent=spent.sum(axis=(1, 2)), unspent=unspent.sum(axis=1))
            self.ledger.flow("research", spent, "research", self.body_ids, [f"tech:{k}" for k in self.tech_ids], NO_GOAL)

        # 3b. transfer partnerships: capacity building in recipients
        if partner_budget.any():
            gross = partner_budget[..., None] * self.partner_recipients  # (P, C) or (S, P, C)
            gross = np.broadcast_to(gross, (S,) + gross.shape[-2:])
            overhead = gross * self.partner_rate[..., None]
            self.ledger.book(t, overhead=overhead.sum(axis=(1, 2)))
            self.ledger.flow("transfer", gross, "transfer", self.partner_funders, self.country_ids, NO_GOAL)
            capacity_money = capacity_money + (gross - overhead).sum(axis=1)

        # 4. countries: capacity, adoption, scores and indicators
        progress = Country.absorb(self, t, domestic if domestic.ndim == 3 else domestic[None], external + private,
                                  capacity_money, gdp)

        # 5. learning
        Donor.learn(self, progress, alloc)

        self.t += 1
        self._record(self.t)
        if self.t >= self.T:
            self.running = False

    def run(self) -> FinancingModel:
        while self.running:
            self.step()
        return self


def parameters(scenario: Scenario) -> dict:
    """Everything `FinancingModel` derives from `scenario` alone (no random numbers): the
    arrays `stacking.stack` merges for a batch of several scenarios (FinancingModel.batch)."""
    sheet = object.__new__(FinancingModel)  # only FinancingModel._parameters runs on it: no Mesa state
    sheet._parameters(scenario)
    return vars(sheet)
