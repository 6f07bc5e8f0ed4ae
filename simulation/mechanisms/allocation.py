"""Allocation strategies: how a funder splits its budget over (country, goal) cells.

Every strategy is a pure function with one signature (SALib-style symmetry: adding a
strategy means adding one function and one registry entry):

    strategy(ctx, budget, mask, params) -> allocation

    ctx:        AllocationContext, the observable state (read only)
    budget:     (S, D) USD per replication and funder
    mask:       (D, C, G) bool, cells each funder may fund (each row has a True)
    params:     dict name -> (1|S, D) array, the strategy's parameters per funder (a leading
                replication axis of size 1 where all replications agree)
    allocation: (S, D, C, G) USD, non-negative, zero outside `mask`, and summing over
                (C, G) exactly to `budget` (up to float rounding)

Strategies compute non-negative weights; `normalise` turns weights into money. If all
weights of a funder are zero (e.g. every gap closed), the budget is split equally over
its eligible cells rather than lost.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np


@dataclass(frozen=True)
class AllocationContext:
    """Observable state for allocation decisions. Shapes: S replications, C countries, G goals.

    Only what a real funder could know: the scenario's expected parameters, scores
    observed up to the previous year, published data. `effectiveness` is the expected
    κ_g of the scenario file, never a replication's own draw (the model keeps the
    realised draw for the dynamics), so no strategy can optimise against luck.
    """

    # every field has a leading replication axis: 1|S, of size 1 where all replications agree
    scores: np.ndarray  # (S, C, G) goal scores 0..100
    population: np.ndarray  # (1|S, C) people
    gdp_per_capita: np.ndarray  # (1|S, C) USD per person
    governance: np.ndarray  # (1|S, C) 0..100
    priority: np.ndarray  # (1|S, C, G) roadmap priority, rows sum to 1
    effectiveness: np.ndarray  # (S, G) expected κ_g (the scenario's value, the same in every replication)
    spend_scale: np.ndarray  # (1|S, G) s_g, USD per capita
    retention: np.ndarray  # (1|S, C) 1 - leakage
    other_spend_pc: np.ndarray  # (S, C, G) effective spend per capita already planned
    propensity: np.ndarray | None = None  # (S, D, C, G) learned weights (adaptive donors)
    year_index: int = 0  # years since the scenario's first year (0 in the first year)


SHORT_AXIS = 8
"""Below this length NumPy sums an axis one element after the other (its pairwise sum unrolls in 8s)."""


def sum_goals(a: np.ndarray) -> np.ndarray:
    """Sum over the last (goal) axis: the same numbers as `a.sum(axis=-1)`, several times faster
    for a few goals.

    ufunc.reduce over a short contiguous last axis runs its inner loop once per cell: on
    (100, 32, 134, 4) it took 9 ms against 1.2 ms for adding the four slices, which is also the
    order NumPy adds fewer than SHORT_AXIS numbers in (so the sums are bit-identical). Longer
    axes are left to NumPy's pairwise sum.
    """
    n = a.shape[-1]
    if n >= SHORT_AXIS or n == 0:
        return a.sum(axis=-1)
    out = a[..., 0].copy()
    for g in range(1, n):
        out += a[..., g]
    return out


def normalise(weights: np.ndarray, mask: np.ndarray, budget: np.ndarray, scratch: bool = False) -> np.ndarray:
    """Scale non-negative weights (S|1, D, C, G) so each funder's cells sum to its budget.

    scratch: `weights` is a float array the caller no longer needs, and is overwritten (one
    (S, D, C, G) array fewer; the same numbers).
    """
    w = np.maximum(weights, 0.0, out=weights if scratch else None)
    with np.errstate(invalid="ignore"):  # 0 · inf outside the mask is NaN: made 0 below
        w *= mask.astype(w.dtype)  # zero outside the mask (a masked copyto is ten times slower)
    total = w.sum(axis=(-2, -1), keepdims=True)  # (S|1, D, 1, 1)
    if not np.isfinite(total).all():  # a non-finite weight: 0 · inf is NaN, outside the mask 0 it is
        np.copyto(w, 0.0, where=~mask)
        total = w.sum(axis=(-2, -1), keepdims=True)
    if (total > 0).all():
        w /= total
    else:  # a funder with all-zero weights splits equally over its eligible cells
        uniform = mask / mask.sum(axis=(-2, -1), keepdims=True)
        w = np.where(total > 0, w / np.where(total > 0, total, 1.0), uniform)
    if w.shape[0] == budget.shape[0]:
        w *= budget[..., None, None]
        return w
    return budget[..., None, None] * w


def _p(params: dict[str, np.ndarray], name: str) -> np.ndarray:
    """A per-funder parameter (1|S, D) shaped to broadcast against (S, D, C, G)."""
    return params[name][:, :, None, None]


def _country(x: np.ndarray) -> np.ndarray:
    """A per-country array (1|S, C) shaped to broadcast against (S, D, C, G)."""
    return x[:, None, :, None]


def _cells(x: np.ndarray) -> np.ndarray:
    """A per-cell array (1|S, C, G) shaped to broadcast against (S, D, C, G)."""
    return x[:, None]


def equal(ctx: AllocationContext, budget: np.ndarray, mask: np.ndarray, params: dict) -> np.ndarray:
    """Equal split over eligible cells."""
    return normalise(np.ones((1,) + mask.shape), mask, budget, scratch=True)


def needs(ctx: AllocationContext, budget: np.ndarray, mask: np.ndarray, params: dict) -> np.ndarray:
    """∝ gap^gap_exponent · population^population_exponent · roadmap priority."""
    gap = (100.0 - ctx.scores)[:, None]  # (S, 1, C, G)
    pop = _country(ctx.population)
    w = _power(gap, params["gap_exponent"])  # a new (S, D, C, G) array, scaled in place
    w *= _pow(pop, _p(params, "population_exponent"))
    w *= _cells(ctx.priority)
    return normalise(w, mask, budget, scratch=True)


def _power(base: np.ndarray, exponent: np.ndarray) -> np.ndarray:
    """base (S, 1, C, G) ** exponent (1|S, D) → (S, D, C, G), one power per distinct exponent."""
    if exponent.shape[0] > 1:  # each distinct row of exponents on its replications, as for one scenario
        out = np.empty((base.shape[0], exponent.shape[1]) + base.shape[2:])
        rows, inverse = np.unique(exponent, axis=0, return_inverse=True)
        for r, row in enumerate(rows):
            on = np.flatnonzero(inverse.reshape(-1) == r)
            out[on] = _power(base[on], row[None])
        return out
    values, which = np.unique(exponent[0], return_inverse=True)
    return (base ** values[None, :, None, None])[:, which]


def _pow(base: np.ndarray, exponent: np.ndarray) -> np.ndarray:
    """base (1|S, 1, C, 1) ** exponent (1|S, D, 1, 1) → (1|S, D, C, 1).

    With a replication axis, each distinct (base, exponent) pair of rows is raised exactly as
    for one scenario, (1, 1, C, 1) ** (1, D, 1, 1): NumPy's SIMD `power` can differ in the
    last bit between memory layouts, and a batch of scenarios must give each one's numbers.
    """
    if base.shape[0] == 1 and exponent.shape[0] == 1:
        return base ** exponent
    S = max(base.shape[0], exponent.shape[0])
    out = np.empty((S, exponent.shape[1], base.shape[2], 1))
    done: dict[tuple[bytes, bytes], int] = {}
    for s in range(S):
        b = base[s if base.shape[0] > 1 else 0][None]
        e = exponent[s if exponent.shape[0] > 1 else 0][None]
        key = (b.tobytes(), e.tobytes())
        if key in done:
            out[s] = out[done[key]]
        else:
            out[s] = (b ** e)[0]
            done[key] = s
    return out


def performance(ctx: AllocationContext, budget: np.ndarray, mask: np.ndarray, params: dict) -> np.ndarray:
    """IDA-style: governance^a · population^b · GDP-per-capita^c per country, split by priority."""
    gov = _country(np.maximum(ctx.governance, 1e-9))
    pop = _country(ctx.population)
    inc = _country(np.maximum(ctx.gdp_per_capita, 1e-9))
    w = _pow(gov / 100.0, _p(params, "governance_exponent")) * _pow(pop, _p(params, "population_exponent"))
    w = w * _pow(inc, _p(params, "income_exponent")) * _cells(ctx.priority)
    return normalise(w, mask, budget, scratch=True)


def priority(ctx: AllocationContext, budget: np.ndarray, mask: np.ndarray, params: dict) -> np.ndarray:
    """Roadmap shares: each country's goals by its roadmap priority, countries ∝ population^a."""
    pop = _country(ctx.population)
    w = _cells(ctx.priority) * _pow(pop, _p(params, "population_exponent"))
    return normalise(w, mask, budget, scratch=True)


def marginal_gain(ctx: AllocationContext, spend_pc: np.ndarray) -> np.ndarray:
    """d(score gain)/d(USD) at effective spend per capita `spend_pc` (S, D|1, C, G)."""
    gap = (100.0 - ctx.scores)[:, None]
    kappa = ctx.effectiveness[:, None, None, :]
    scale = ctx.spend_scale[:, None, None, :]
    per_usd = _country(ctx.retention / ctx.population)
    return _gain_per_usd(gap, kappa, per_usd, scale, spend_pc)


def _gain_per_usd(gap, kappa, per_usd, scale, spend_pc):
    """(100 − I) · κ_g · (retention / population) / s_g · exp(−s / s_g), elementwise."""
    return gap * kappa * per_usd / scale * np.exp(-spend_pc / scale)


def impact(ctx: AllocationContext, budget: np.ndarray, mask: np.ndarray, params: dict) -> np.ndarray:
    """Greedy: the budget in `steps` equal chunks, each to the cell of largest marginal gain.

    Each funder plans against the spending already planned (`ctx.other_spend_pc`),
    including its own earlier chunks; funders plan independently of each other and each
    uses its own `steps`. A chunk changes the marginal gain of one cell only, so after
    the first full evaluation only the chosen cells are re-evaluated.
    """
    steps = params["steps"].astype(int)  # (1|S, D) each funder's own number of chunks
    S, D = budget.shape
    C, G = mask.shape[1:]
    alloc = np.zeros((S, D, C * G))
    chunk = budget / steps
    per_usd = ctx.retention / ctx.population  # (1|S, C)
    gain = marginal_gain(ctx, ctx.other_spend_pc[:, None])  # (S, 1, C, G): nothing of theirs planned yet
    gain = np.where(mask.reshape(1, D, C * G), gain.reshape(S, 1, C * G), -np.inf)
    s_idx, d_idx = np.meshgrid(np.arange(S), np.arange(D), indexing="ij")
    per_usd, scale = np.broadcast_to(per_usd, (S, C)), np.broadcast_to(ctx.spend_scale, (S, G))  # views
    for i in range(steps.max(initial=0)):
        best = gain.argmax(axis=-1)  # (S, D) flat cell c·G + g
        alloc[s_idx, d_idx, best] += np.where(i < steps, chunk, 0.0)  # funders past their steps are done
        c, g = np.divmod(best, G)
        spend = ctx.other_spend_pc[s_idx, c, g] + alloc[s_idx, d_idx, best] * per_usd[s_idx, c]
        gain[s_idx, d_idx, best] = _gain_per_usd(100.0 - ctx.scores[s_idx, c, g], ctx.effectiveness[s_idx, g],
                                                 per_usd[s_idx, c], scale[s_idx, g], spend)
    return alloc.reshape(S, D, C, G)


def adaptive(ctx: AllocationContext, budget: np.ndarray, mask: np.ndarray, params: dict) -> np.ndarray:
    """∝ learned propensity (updated by the Donor agents from observed progress; PPI-like)."""
    if ctx.propensity is None:
        return needs(ctx, budget, mask, {**params, "gap_exponent": np.ones((1, mask.shape[0])),
                                         "population_exponent": np.full((1, mask.shape[0]), 0.5)})
    return normalise(ctx.propensity, mask, budget)


def persistence(ctx: AllocationContext, budget: np.ndarray, mask: np.ndarray, params: dict) -> np.ndarray:
    """Persistence with drift: the donor's recorded share of each country, moved along its recorded
    yearly drift, split over the country's goals by roadmap priority.

    share_c(h) = max(recorded_share_c + drift_weight · h · share_drift_c, 0), h = offset + year_index
    the years since the record. `recorded_share` and `share_drift` are (1|S, D, C) (a scenario's
    donors' `recorded_shares` and `share_drift`; without them an equal split); drift_weight 0 is pure persistence.
    """
    none = np.zeros((1,) + mask.shape[:2])  # no record: every share 0, an equal split over eligible cells
    h = params["offset"] + ctx.year_index  # (1|S, D)
    share = params.get("recorded_share", none) + (params["drift_weight"] * h)[..., None] * params.get("share_drift", none)
    w = np.maximum(share, 0.0)[..., None] * _cells(ctx.priority)  # (1|S, D, C, G)
    return normalise(w, mask, budget, scratch=True)


@dataclass(frozen=True)
class Strategy:
    fn: Callable[..., np.ndarray]
    params: dict[str, tuple[float, float]]  # name -> allowed (low, high)
    defaults: dict[str, float]
    summary: str


STRATEGIES: dict[str, Strategy] = {
    "equal": Strategy(equal, {}, {}, "equal split over eligible cells"),
    "needs": Strategy(needs, {"gap_exponent": (0.0, 5.0), "population_exponent": (0.0, 2.0)},
                      {"gap_exponent": 1.0, "population_exponent": 0.5},
                      "∝ gap^a · population^b · roadmap priority"),
    "performance": Strategy(performance, {"governance_exponent": (0.0, 10.0), "population_exponent": (0.0, 2.0),
                                          "income_exponent": (-2.0, 2.0)},
                            {"governance_exponent": 4.0, "population_exponent": 1.0, "income_exponent": -0.125},
                            "IDA-style ∝ governance^4 · population · GDP-per-capita^-0.125"),
    "priority": Strategy(priority, {"population_exponent": (0.0, 2.0)}, {"population_exponent": 0.0},
                         "roadmap shares per country"),
    "impact": Strategy(impact, {"steps": (1.0, 200.0)}, {"steps": 20.0},
                       "greedy largest marginal score gain per dollar"),
    "adaptive": Strategy(adaptive, {"learning_rate": (0.0, 1.0)}, {"learning_rate": 0.3},
                         "learns from observed progress (starts as needs)"),
    "persistence": Strategy(persistence, {"drift_weight": (0.0, 1.0), "offset": (0.0, 50.0)},
                            {"drift_weight": 0.0, "offset": 1.0},
                            "recorded recipient shares moved along their recorded drift (docs/model.md)"),
}
RECORDED = ("recorded_share", "share_drift")
"""Per-country parameters (D, C) of `persistence`, from the donors' `recorded_shares` and `share_drift`."""


def stack_params(name: str, per_funder: list[dict[str, float]]) -> dict[str, np.ndarray]:
    """Per-funder parameter dicts → name -> (D,) arrays, filling defaults."""
    spec = STRATEGIES[name]
    return {p: np.array([d.get(p, spec.defaults[p]) for d in per_funder], dtype=float) for p in spec.defaults}


def allocate(name: str, ctx: AllocationContext, budget: np.ndarray, mask: np.ndarray,
             per_funder: list[dict[str, float]]) -> np.ndarray:
    """Run strategy `name` for a group of funders."""
    return run(name, ctx, budget, mask, {k: v[None] for k, v in stack_params(name, per_funder).items()})


def run(name: str, ctx: AllocationContext, budget: np.ndarray, mask: np.ndarray,
        params: dict[str, np.ndarray]) -> np.ndarray:
    """Run strategy `name` for a group of funders with stacked parameters (see `stack_params`),
    each (1|S, D): with a leading replication axis, of size 1 where all replications agree."""
    return STRATEGIES[name].fn(ctx, budget, mask, params)
