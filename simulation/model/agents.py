"""Mesa agents: countries, donors, research bodies and the pooled facility.

Each agent is a real `mesa.Agent` with an index into the model's arrays; its state is a
view of those arrays (leading replication axis). Decision rules live on the agent
classes as class methods that act on all agents of the type at once, vectorised —
one call per type per year instead of one Python call per agent and element.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from ..mechanisms import allocation, dynamics, indicators, technology

if TYPE_CHECKING:
    from .model import FinancingModel


class Country(mesa.Agent):
    """A recipient country. Views: scores (S, G), adoption (S, K), capacity (S,)."""

    def __init__(self, model: FinancingModel, index: int, ident: str, name: str, pilot: bool):
        super().__init__(model)
        self.index, self.ident, self.name, self.pilot = index, ident, name, pilot

    @property
    def scores(self) -> np.ndarray:
        return self.model.scores[:, self.index]

    @property
    def adoption(self) -> np.ndarray:
        return self.model.adoption[:, self.index]

    @property
    def capacity(self) -> np.ndarray:
        return self.model.capacity[:, self.index]

    @classmethod
    def absorb(cls, m: FinancingModel, t: int, domestic: np.ndarray, external: np.ndarray,
               capacity_gross: np.ndarray, gdp: np.ndarray) -> np.ndarray:
        """Turn this year's money into capacity, adoption and score changes, for all countries.

        domestic (1, C, G) and external (S, C, G): USD reaching each goal (external includes
        private co-finance); capacity_gross: (S, C) USD for capacity building; gdp (C,) USD.
        External money works up to each country's absorption ceiling (the accounts still
        count all of it as spent). Returns the score change (S, C, G).
        """
        gross = domestic + external
        ppi_money = None
        if m.ppi is not None:  # PPI goals of PPI countries: money goes to PPI, not to the dynamics below
            gross, ppi_money = m.ppi.withhold(gross)
            external = external * np.divide(gross, domestic + external, out=np.zeros_like(gross),
                                            where=(domestic + external) > 0)
        keep = m.retention if m.retention.ndim == 2 else m.retention[None, :]
        pop = m.population_at(t)
        effective = gross * keep[..., None]
        outside = indicators.absorbed(external, m.absorption_ceiling(t, gdp)) * keep[..., None]  # external at work
        working = (gross - external) * keep[..., None] + outside
        cb_effective = capacity_gross * keep
        m.ledger.book(t, spent=effective.sum(axis=(1, 2)) + cb_effective.sum(axis=1),
                      leaked=(gross - effective).sum(axis=(1, 2)) + (capacity_gross - cb_effective).sum(axis=1))
        m.capacity = technology.capacity_step(m.capacity, cb_effective / pop, m.cap_scale, m.cap_max)
        deployable = m.trl >= m.deploy_trl
        m.adoption = technology.bass_step(m.adoption, m.bass_p, m.bass_q, m.capacity, m.access[t], deployable)
        multiplier = technology.technology_multiplier(m.adoption, m.efficacy)
        spend_pc = working / pop[..., None] * multiplier
        # the goals' scores (for goals with indicators: their unmodelled remainder) follow the
        # abstract spending dynamics; indicators then set their share of their goals' scores
        gain = dynamics.direct_gain(m.remainder, m.effectiveness, spend_pc, m.spend_scale)
        spill = dynamics.spillover(gain, m.links)
        noise = m.score_noise[:, :, t] if m.score_noise is not None else 0.0
        before = m.scores
        m.remainder = dynamics.next_scores(m.remainder, gain, spill, m.decay, m.hit[t], noise)
        m.scores = m.remainder.copy() if m.n_ind else m.remainder
        if m.n_ind:
            # the trend carries domestic money as it grows with the economy; what moves an indicator
            # beyond it is external money, and what technology adds to all money
            m.indicators_step(t, outside * multiplier + (working - outside) * (multiplier - 1.0), pop)
        if ppi_money is not None:  # PPI models diversion and spillovers itself (simulation/ppi/country.py)
            m.scores = m.ppi.absorb(m, t, ppi_money, m.scores)
            if not m.n_ind:
                m.remainder = m.scores
        return m.scores - before


class Donor(mesa.Agent):
    """A funder (bilateral, multilateral, foundation, private, ...). View: budget (S,)."""

    def __init__(self, model: FinancingModel, index: int, spec):
        super().__init__(model)
        self.index, self.ident, self.kind = index, spec.id, spec.kind
        self.strategy, self.strategy_params = spec.strategy, dict(spec.strategy_params)

    @property
    def budget(self) -> np.ndarray:
        return self.model.donor_budget[:, self.index]

    @classmethod
    def allocate(cls, m: FinancingModel, ctx: allocation.AllocationContext, budget: np.ndarray) -> np.ndarray:
        """Each donor splits `budget` (S, D) over its eligible cells with its strategy → (S, D, C, G).

        Donors sharing a strategy are allocated together in one vectorised call. The result
        is a scratch buffer of the model (every donor's rows are written), valid for this year.
        """
        out = m.buffer("alloc", budget.shape + m.donor_mask.shape[1:])
        for name, idx in m.donor_groups.items():  # donors in agent order; their parameters (n,) or (S, n)
            gctx = ctx
            if name == "adaptive" and m.propensity is not None:  # propensity rows follow the group's order
                gctx = allocation.AllocationContext(**{**ctx.__dict__, "propensity": m.propensity})
            out[:, idx] = allocation.run(name, gctx, budget[:, idx], m.donor_mask[idx], m.donor_params[name])
        return out

    @classmethod
    def learn(cls, m: FinancingModel, progress: np.ndarray, funded: np.ndarray) -> None:
        """Adaptive donors move their propensity towards cells that progressed (PPI-like).

        progress: (S, C, G) score change this year; funded: (S, D, C, G) this year's allocation.
        P ← (1 − η) P + η · progress share over the donor's eligible cells. The model keeps
        P as (S, A, C, G) for its A adaptive donors, in agent order.
        """
        if "adaptive" not in m.donor_groups:
            return
        idx = m.donor_groups["adaptive"]
        eta = m.donor_params["adaptive"]["learning_rate"]  # (A,) or (S, A)
        mask = m.donor_mask[idx]
        if m.propensity is None:  # start from the first year's allocation
            m.propensity = allocation.normalise(funded[:, idx], mask, np.ones((funded.shape[0], len(idx))))
        seen = np.where(mask, np.maximum(progress[:, None], 0.0), 0.0)
        share = allocation.normalise(seen, mask, np.ones(seen.shape[:2]))
        has = seen.sum(axis=(-2, -1), keepdims=True) > 0
        eta = eta[..., None, None]
        m.propensity = np.where(has, (1 - eta) * m.propensity + eta * share, m.propensity)


class Facility(mesa.Agent):
    """The pooled facility ("Partnership in Action"); one agent. View: budget (S,)."""

    def __init__(self, model: FinancingModel, spec):
        super().__init__(model)
        self.ident = "facility"
        self.strategy, self.strategy_params = spec.strategy, dict(spec.strategy_params)

    def allocate(self, ctx: allocation.AllocationContext, budget: np.ndarray) -> np.ndarray:
        """Split the pooled budget (S,) over the facility's cells → (S, 1, C, G)."""
        m = self.model
        return allocation.run(m.fac_strategy, ctx, budget[:, None], m.facility_mask, m.fac_params)


class ResearchBody(mesa.Agent):
    """A research organisation funding technology stages. View: budget (S,)."""

    def __init__(self, model: FinancingModel, index: int, spec):
        super().__init__(model)
        self.index, self.ident, self.joint = index, spec.id, spec.joint

    @classmethod
    def fund(cls, m: FinancingModel, t: int, budget: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Bodies fund their active technologies; pipelines advance. budget (R,) or (S, R) USD.

        Each body spreads its budget over the technologies of its portfolio still below
        their deployment TRL (by portfolio weight); a stage takes at most what it still
        needs. Returns spent (S, R, K) and unspent (S, R).
        """
        active = (m.trl < m.deploy_trl)[:, None, :]  # (S, 1, K)
        w = m.portfolio * active  # (S, R, K)
        wsum = w.sum(axis=-1, keepdims=True)
        offered = budget[..., None] * np.divide(w, wsum, out=np.zeros_like(w), where=wsum > 0)
        offered_k = offered.sum(axis=1)  # (S, K)
        needs = technology.stage_needs(m.progress, m.stage_cost, m.trl, m.deploy_trl)
        spent_k = np.minimum(offered_k, needs)
        frac = np.divide(offered, offered_k[:, None], out=np.zeros_like(offered), where=offered_k[:, None] > 0)
        spent = frac * spent_k[:, None, :]
        bonus = (frac * m.collab_bonus[..., None]).sum(axis=1)
        p_success = np.minimum(1.0, m.success_prob * (1.0 + bonus))
        m.trl, m.progress, m.years_in_stage = technology.advance_pipeline(
            m.trl, m.progress, m.years_in_stage, spent_k, m.stage_cost, m.stage_years, p_success,
            m.research_draw[:, :, t], m.deploy_trl)
        return spent, budget - spent.sum(axis=-1)
