"""Mesa agents: countries, donors, the pooled facility and research bodies.

One `mesa.Agent` per entity of the scenario, holding its id and its index into the model's
arrays (state lives there, with a leading replication axis); the model finds them by type
(`model.agents_by_type[Donor]`). Each type owns its decision rule as a class method that acts
on every agent of the type at once, vectorised: the model's year calls it once per type
(docs/architecture.md "Mesa" says why not one call per agent).
"""

from __future__ import annotations

import itertools
import weakref
from typing import TYPE_CHECKING

import mesa
import numpy as np

from ..mechanisms import allocation, technology

if TYPE_CHECKING:
    from .model import FinancingModel


class _Numbers(weakref.WeakKeyDictionary):
    """Agent numbers per model that forget a model once it is gone.

    Mesa 3.3 numbers a model's agents from a dict of counters keyed by model on the Agent class
    (`Agent._ids`), which keeps every model ever built alive (fixed in later Mesa releases, which
    count in the model). Our agents look their counter up here instead: Mesa still gives them
    their `unique_id` (1, 2, ... per model), and a finished model can be freed.
    """

    def __getitem__(self, model):
        try:
            return super().__getitem__(model)
        except KeyError:
            counter = itertools.count(1)
            self[model] = counter
            return counter


class Entity(mesa.Agent):
    """An entity of the scenario: its id and its index into the model's arrays."""

    _ids = _Numbers()

    def __init__(self, model: FinancingModel, index: int, ident: str):
        super().__init__(model)
        self.index, self.ident = index, ident


class Country(Entity):
    """A recipient country: row `index` of the model's country axis. What money does there is
    simulation/model/impact.py (the countries' phase of the year)."""


class Donor(Entity):
    """A funder (bilateral, multilateral, foundation, private, ...) with its allocation strategy."""

    def __init__(self, model: FinancingModel, index: int, ident: str, strategy: str):
        super().__init__(model, index, ident)
        self.strategy = strategy

    @classmethod
    def allocate(cls, m: FinancingModel, ctx: allocation.AllocationContext, budget: np.ndarray) -> np.ndarray:
        """Each donor splits `budget` (S, D) over its eligible cells with its strategy → (S, D, C, G).

        Donors sharing a strategy are allocated together in one vectorised call. The result
        is a scratch buffer of the model (every donor's rows are written), or the one strategy's
        own new array when all donors share it; valid for this year.
        """
        d = m.p.donors
        shape = budget.shape + d.mask.shape[1:]
        out = None if len(d.groups) == 1 else m.buffer("alloc", shape)
        for name, idx in d.groups.items():  # donors in agent order; their parameters (1|S, n)
            gctx = ctx
            if name == "adaptive" and m.propensity is not None:  # propensity rows follow the group's order
                gctx = allocation.AllocationContext(**{**ctx.__dict__, "propensity": m.propensity})
            alloc = allocation.run(name, gctx, budget[:, idx], d.mask[idx], d.params[name])
            if out is None and alloc.shape == shape and alloc.flags.c_contiguous:
                return alloc  # one strategy (idx = every donor in order): no copy into the buffer
            out = m.buffer("alloc", shape) if out is None else out
            out[:, idx] = alloc
        return out

    @classmethod
    def learn(cls, m: FinancingModel, progress: np.ndarray, funded: np.ndarray) -> None:
        """Adaptive donors move their propensity towards cells that progressed (PPI-like).

        progress: (S, C, G) score change this year; funded: (S, D, C, G) this year's allocation.
        P ← (1 − η) P + η · progress share over the donor's eligible cells. The model keeps
        P as (S, A, C, G) for its A adaptive donors, in agent order.
        """
        d = m.p.donors
        if "adaptive" not in d.groups:
            return
        idx = d.groups["adaptive"]
        eta = d.params["adaptive"]["learning_rate"]  # (1|S, A)
        mask = d.mask[idx]
        if m.propensity is None:  # start from the first year's allocation
            m.propensity = allocation.normalise(funded[:, idx], mask, np.ones((funded.shape[0], len(idx))))
        seen = np.where(mask, np.maximum(progress[:, None], 0.0), 0.0)
        share = allocation.normalise(seen, mask, np.ones(seen.shape[:2]))
        has = seen.sum(axis=(-2, -1), keepdims=True) > 0
        eta = eta[..., None, None]
        m.propensity = np.where(has, (1 - eta) * m.propensity + eta * share, m.propensity)


class Facility(Entity):
    """The pooled facility ("Partnership in Action"): a funder whose budget is what donors pool,
    with a reserve and its own windows; one agent."""

    def __init__(self, model: FinancingModel, strategy: str):
        super().__init__(model, 0, "facility")
        self.strategy = strategy

    @classmethod
    def allocate(cls, m: FinancingModel, ctx: allocation.AllocationContext, budget: np.ndarray) -> np.ndarray:
        """Split the facility's payout (S, 1) over its cells with its strategy → (S, 1, C, G)."""
        f = m.p.facility
        return allocation.run(f.strategy, ctx, budget, f.mask, f.params)


class ResearchBody(Entity):
    """A research organisation funding technology stages."""

    @classmethod
    def fund(cls, m: FinancingModel, t: int, budget: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Bodies fund their active technologies; pipelines advance. budget (1|S, R) USD.

        Each body spreads its budget over the technologies of its portfolio still below
        their deployment TRL (by portfolio weight); a stage takes at most what it still
        needs. Returns spent (S, R, K) and unspent (S, R).
        """
        k, r = m.p.technologies, m.p.research
        active = (m.trl < k.deploy_trl)[:, None, :]  # (S, 1, K)
        w = r.portfolio * active  # (S, R, K)
        wsum = w.sum(axis=-1, keepdims=True)
        offered = budget[..., None] * np.divide(w, wsum, out=np.zeros_like(w), where=wsum > 0)
        offered_k = offered.sum(axis=1)  # (S, K)
        needs = technology.stage_needs(m.progress, k.stage_cost, m.trl, k.deploy_trl)
        spent_k = np.minimum(offered_k, needs)
        frac = np.divide(offered, offered_k[:, None], out=np.zeros_like(offered), where=offered_k[:, None] > 0)
        spent = frac * spent_k[:, None, :]
        bonus = (frac * r.collab_bonus[..., None]).sum(axis=1)
        p_success = np.minimum(1.0, k.success_prob * (1.0 + bonus))
        m.trl, m.progress, m.years_in_stage = technology.advance_pipeline(
            m.trl, m.progress, m.years_in_stage, spent_k, k.stage_cost, k.stage_years, p_success,
            m.research_draw[:, :, t], k.deploy_trl)
        return spent, budget - spent.sum(axis=-1)
