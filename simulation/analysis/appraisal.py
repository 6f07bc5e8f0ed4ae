"""Appraisal statistics: cost-effectiveness under uncertainty and the value of information.

Pure functions on per-run numbers (no files, no model): every option (scenario or policy) has a
cost and an effect per paired run (replication i of every option shares its random streams), and
the statistics of health technology assessment are computed from them.

* Incremental cost and effect of each option against a reference, per paired run, with
  Student-t intervals of their means (`ce_table`).
* The cost-effectiveness frontier (`frontier`): options strictly dominated (another costs no more
  and achieves at least as much, one of them strictly) and extendedly dominated (a mix of two
  other options would achieve more for the same money: its incremental ratio is above that of
  the next more effective option) are marked; the others get their sequential incremental
  cost-effectiveness ratio (ICER) against the next cheaper option on the frontier (Briggs,
  Claxton & Sculpher 2006, ch. 4; Drummond et al. 2015).
* ICERs against the reference with a percentile-bootstrap interval over paired runs; no interval
  when the bootstrap's incremental effect crosses zero often enough to make the ratio unbounded
  (the acceptability curve then says more than a ratio).
* Net benefit at a willingness to pay λ per unit of effect: NB = λ · effect − cost (`net_benefit`).
* The cost-effectiveness acceptability curve (`ceac`): at each λ, the share of paired runs in
  which each option has the highest net benefit (ties shared), so the probabilities sum to 1;
  and its frontier, the option with the highest expected net benefit (Fenwick, Claxton & Sculpher
  2001; Barton, Briggs & Fenwick 2008).
* The expected value of perfect information (`evpi`): E[max_d NB_d] − max_d E[NB_d], what
  removing all uncertainty before choosing would be worth per decision.
* The expected value of partial perfect information (`evppi`) for a parameter or a group, by the
  regression method of Strong, Oakley & Brennan (2014): each option's net benefit, relative to the
  reference, is regressed on the parameter(s) with a smoother, and EVPPI = E[max_d g_d(θ)] −
  max_d E[g_d(θ)] on the fitted values g. The smoother here is a restricted (natural) cubic
  regression spline per parameter, its number of knots (none, a line, 3 to 6 knots at quantiles)
  chosen by generalised cross-validation as mgcv chooses a GAM's smoothness; a group adds the
  pairwise products of its parameters' linear terms (interactions). The standard error is a
  bootstrap over the samples (or over clusters of them, e.g. a sweep's design points, whose
  replications share their parameters), with the smoothness fixed at the one chosen.

Everything is in the effect's unit when `wtp` is not given (then "net benefit" is the effect
itself, and cost plays no part) and in money at λ otherwise. Seeded: same inputs, same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

LEVEL = 0.95
BOOTSTRAP = 2000
"""Resamples for the ICER intervals."""
EVPPI_BOOTSTRAP = 200
"""Resamples for the standard error of an EVPPI."""
KNOTS = (0, 1, 3, 4, 5, 6)
"""Smoothers tried per parameter: 0 = constant (no effect), 1 = a straight line, k ≥ 3 = a natural
cubic spline with k knots at quantiles (k − 1 degrees of freedom)."""

NULL_PERMUTATIONS = 5
"""Shuffles of a parameter for the EVPPI found in noise (`null_evppi`)."""

STRICT, EXTENDED, FRONTIER, REFERENCE = "dominated", "extendedly dominated", "frontier", "reference"


# --------------------------------------------------------------------------- incremental cost and effect


def _t_interval(x: np.ndarray, level: float = LEVEL) -> tuple[float, float]:
    x = np.asarray(x, dtype=float)
    n = len(x)
    if n < 2:
        return (np.nan, np.nan)
    m, s = x.mean(), x.std(ddof=1)
    if s == 0:
        return (float(m), float(m))
    h = stats.t.ppf(0.5 + level / 2, n - 1) * s / np.sqrt(n)
    return (float(m - h), float(m + h))


def icer_interval(d_cost: np.ndarray, d_effect: np.ndarray, level: float = LEVEL, resamples: int = BOOTSTRAP,
                  seed: int = 0) -> tuple[float, float]:
    """Percentile-bootstrap interval of ΔC̄ / ΔĒ over paired runs; (nan, nan) when the resampled
    ΔĒ has the other sign than its mean in more than (1 − level) / 2 of resamples (the ratio is then
    unbounded), or is zero."""
    d_cost, d_effect = np.asarray(d_cost, float), np.asarray(d_effect, float)
    n = len(d_cost)
    if n < 2 or d_effect.mean() == 0:
        return (np.nan, np.nan)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n, size=(resamples, n))
    be, bc = d_effect[idx].mean(axis=1), d_cost[idx].mean(axis=1)
    if (np.sign(be) != np.sign(d_effect.mean())).mean() > (1 - level) / 2:
        return (np.nan, np.nan)
    ratio = bc / np.where(be == 0, np.nan, be)
    lo, hi = np.nanpercentile(ratio, [50 * (1 - level), 50 * (1 + level)])
    return (float(lo), float(hi))


def frontier(cost: np.ndarray, effect: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Dominance and sequential ICERs of options with mean costs and effects (higher effect better).

    Returns (status, icer): status per option is `frontier`, `dominated` (another option costs no
    more and achieves no less, one of them strictly; of identical options the first is kept) or
    `extendedly dominated`; icer is the ratio to the next cheaper option on the frontier (NaN for
    the cheapest frontier option and for dominated ones)."""
    cost, effect = np.asarray(cost, float), np.asarray(effect, float)
    n = len(cost)
    status = np.full(n, FRONTIER, dtype=object)
    for i in range(n):
        for j in range(n):
            if i == j:
                continue
            no_worse = cost[j] <= cost[i] and effect[j] >= effect[i]
            strictly = cost[j] < cost[i] or effect[j] > effect[i]
            if no_worse and (strictly or j < i):
                status[i] = STRICT
                break
    icer = np.full(n, np.nan)
    alive = [i for i in np.lexsort((-effect, cost)) if status[i] == FRONTIER]  # by cost, then effect
    changed = True
    while changed:  # drop the option whose ICER exceeds that of the next more effective one
        changed = False
        ratios = [(cost[b] - cost[a]) / (effect[b] - effect[a]) for a, b in zip(alive, alive[1:])]
        for k in range(len(ratios) - 1):
            if ratios[k] > ratios[k + 1]:
                status[alive[k + 1]] = EXTENDED
                del alive[k + 1]
                changed = True
                break
    for a, b in zip(alive, alive[1:]):
        icer[b] = (cost[b] - cost[a]) / (effect[b] - effect[a])
    return status, icer


def net_benefit(cost: np.ndarray, effect: np.ndarray, wtp: float | np.ndarray) -> np.ndarray:
    """λ · effect − cost, in money; broadcast over λ (`wtp` (W,) → (W, *cost.shape))."""
    wtp = np.asarray(wtp, dtype=float)
    return wtp.reshape(wtp.shape + (1,) * np.ndim(cost)) * np.asarray(effect, float) - np.asarray(cost, float)


def ce_table(options: list[str], cost: np.ndarray, effect: np.ndarray, reference: str, wtp: float,
             level: float = LEVEL, seed: int = 0) -> pd.DataFrame:
    """One row per option: mean cost and effect, incremental ones against `reference` with t
    intervals over paired runs, the ICER against the reference with its bootstrap interval, the
    dominance status and sequential ICER on the frontier, the incremental net benefit at `wtp`
    with its interval, and P(highest net benefit at `wtp`).

    `cost`, `effect`: (N, options), effect oriented so that more is better."""
    cost, effect = np.asarray(cost, float), np.asarray(effect, float)
    r = options.index(reference)
    status, seq = frontier(cost.mean(axis=0), effect.mean(axis=0))
    nb = net_benefit(cost, effect, wtp)
    p_best = best_shares(nb)
    rows = []
    for k, name in enumerate(options):
        dc, de = cost[:, k] - cost[:, r], effect[:, k] - effect[:, r]
        dnb = nb[:, k] - nb[:, r]
        # a ratio means something only as a price (more for more, or savings per unit given up)
        ratio = dc.mean() / de.mean() if dc.mean() * de.mean() > 0 else np.nan
        lo, hi = icer_interval(dc, de, level, seed=seed + k) if k != r and np.isfinite(ratio) else (np.nan, np.nan)
        rows.append({
            "option": name, "runs": len(dc), "cost": cost[:, k].mean(), "effect": effect[:, k].mean(),
            "d_cost": dc.mean(), "d_cost_low": _t_interval(dc, level)[0], "d_cost_high": _t_interval(dc, level)[1],
            "d_effect": de.mean(), "d_effect_low": _t_interval(de, level)[0],
            "d_effect_high": _t_interval(de, level)[1], "corr": _corr(dc, de),
            "quadrant": "" if k == r else quadrant(dc.mean(), de.mean()),
            "icer": np.nan if k == r else ratio, "icer_low": lo, "icer_high": hi,
            "status": status[k], "icer_frontier": seq[k],
            "wtp": wtp, "d_net_benefit": dnb.mean(), "d_net_benefit_low": _t_interval(dnb, level)[0],
            "d_net_benefit_high": _t_interval(dnb, level)[1], "p_best": p_best[k], "reference": reference,
        })
    return pd.DataFrame(rows)


def _corr(x: np.ndarray, y: np.ndarray) -> float:
    if len(x) < 2 or x.std() == 0 or y.std() == 0:
        return np.nan
    return float(np.corrcoef(x, y)[0, 1])


def quadrant(d_cost: float, d_effect: float) -> str:
    """Where a mean incremental point lies on the plane, in words."""
    if d_effect >= 0 and d_cost <= 0:
        return "cheaper and at least as effective (dominant)"
    if d_effect <= 0 and d_cost >= 0:
        return "dearer and no more effective (dominated)"
    if d_effect > 0:
        return "more effective at a higher cost"
    return "cheaper but less effective"


# --------------------------------------------------------------------------- acceptability


def best_shares(nb: np.ndarray) -> np.ndarray:
    """(..., N, D) net benefits → (..., D) share of runs in which each option is best (ties shared)."""
    nb = np.asarray(nb, float)
    top = nb == nb.max(axis=-1, keepdims=True)
    return (top / top.sum(axis=-1, keepdims=True)).mean(axis=-2)


def ceac(options: list[str], cost: np.ndarray, effect: np.ndarray, wtps: np.ndarray) -> pd.DataFrame:
    """Acceptability curve: wtp, option, probability (of the highest net benefit; sums to 1 at each
    wtp), expected_net_benefit, and on_frontier (the option with the highest expected net benefit
    at that wtp: the acceptability frontier)."""
    wtps = np.asarray(wtps, float)
    nb = net_benefit(cost, effect, wtps)  # (W, N, D)
    prob = best_shares(nb)  # (W, D)
    enb = nb.mean(axis=1)
    best = enb.argmax(axis=1)
    D = len(options)
    return pd.DataFrame({
        "wtp": np.repeat(wtps, D), "option": np.tile(np.array(options, dtype=object), len(wtps)),
        "probability": prob.reshape(-1), "expected_net_benefit": enb.reshape(-1),
        "on_frontier": (best[:, None] == np.arange(D)[None]).reshape(-1),
    })


def wtp_grid(low: float, high: float, points: int = 101) -> np.ndarray:
    """Willingness-to-pay values from low to high, evenly spaced."""
    return np.linspace(low, high, points)


WTP_SPAN = 3.0
"""The default acceptability curve runs from 0 to this many times the price read from the means."""


@dataclass(frozen=True)
class WtpRange:
    """A default willingness-to-pay range and what it was read from, in words (for the notes)."""

    low: float
    high: float
    basis: str
    price: bool
    """True when `high` rests on a ratio that is a price (where the best buy can change)."""


def default_wtp(cost: np.ndarray, effect: np.ndarray, reference: int, options: list[str] | None = None,
                per: str = "per unit") -> WtpRange | None:
    """The acceptability curve's default range: 0 to WTP_SPAN times a price read from the mean
    costs and effects, or None when they give none.

    1. The largest ratio that is a price: an option's ICER against the reference (more effect for
       more money, or money saved per unit given up) or a sequential ICER of the frontier (where
       the option with the highest expected net benefit changes). The range then holds every λ
       at which the best buy changes, with room on either side.
    2. Without one (one option dominates every other in the means: the best buy is the same at
       every λ, only the acceptability probabilities move), the largest |ΔC̄| / |ΔĒ| of an option
       against the reference: the λ at which its difference in effect is worth its difference
       in money, so that both weigh in the range.
    3. None: no option differs from the reference in both mean money and mean effect.
    """
    names = options or [f"option {k + 1}" for k in range(cost.shape[1])]
    mc, me = cost.mean(axis=0), effect.mean(axis=0)
    dc, de = mc - mc[reference], me - me[reference]
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        ratio = dc / de
    # a ratio whose range would overflow (an effect difference next to nothing) states no price
    usable = lambda v: np.isfinite(WTP_SPAN * v)  # noqa: E731
    prices = {k: ratio[k] for k in range(len(dc)) if dc[k] * de[k] > 0 and usable(ratio[k])}
    _, seq = frontier(mc, me)
    steps = {k: float(seq[k]) for k in range(len(seq)) if seq[k] > 0 and usable(seq[k])}
    if prices or steps:
        k, v = max([*prices.items(), *steps.items()], key=lambda kv: kv[1])
        how = "its ICER against the reference" if prices.get(k) == v else "its sequential ICER on the frontier"
        return WtpRange(0.0, WTP_SPAN * v, f"{WTP_SPAN:g} times the largest ratio ({names[k]}, {how}: "
                                            f"US${v:,.4g} {per})", True)
    scales = {k: abs(ratio[k]) for k in range(len(dc)) if de[k] != 0 and dc[k] != 0 and usable(abs(ratio[k]))}
    if not scales:
        return None
    k = max(scales, key=scales.get)
    v = scales[k]
    return WtpRange(0.0, WTP_SPAN * v,
                    f"no option's mean cost and effect give a ratio that is a price (each dominates or is "
                    f"dominated), so the best buy is the same at every willingness to pay; the range is "
                    f"{WTP_SPAN:g} times the largest difference in money per difference in effect "
                    f"({names[k]}: US${v:,.4g} {per}), where money and effect both weigh", False)


# --------------------------------------------------------------------------- value of information


def evpi(nb: np.ndarray) -> float:
    """E[max_d NB_d] − max_d E[NB_d] over samples: nb (S, D)."""
    nb = np.asarray(nb, float)
    return float(nb.max(axis=1).mean() - nb.mean(axis=0).max())


def evpi_normal(mu: float, sigma: float) -> float:
    """EVPI of choosing between 0 and X ~ N(mu, sigma²): E[max(0, X)] − max(0, mu)."""
    z = mu / sigma
    return float(mu * stats.norm.cdf(z) + sigma * stats.norm.pdf(z) - max(0.0, mu))


def _spline(x: np.ndarray, knots: np.ndarray) -> np.ndarray:
    """Restricted cubic spline basis (Harrell; linear beyond the outer knots): x and K − 2 columns."""
    K = len(knots)
    scale = (knots[-1] - knots[0]) ** 2 or 1.0
    cols = [x]
    p = lambda u: np.maximum(u, 0.0) ** 3
    for j in range(K - 2):
        cols.append((p(x - knots[j]) - p(x - knots[-2]) * (knots[-1] - knots[j]) / (knots[-1] - knots[-2])
                     + p(x - knots[-1]) * (knots[-2] - knots[j]) / (knots[-1] - knots[-2])) / scale)
    return np.column_stack(cols)


def _term(x: np.ndarray, k: int) -> np.ndarray:
    """The columns of one parameter's smoother with k knots (0: none; 1: linear)."""
    if k == 0:
        return np.empty((len(x), 0))
    if k == 1 or np.unique(x).size < 2 * k:
        return x[:, None] if k else np.empty((len(x), 0))
    knots = np.quantile(x, np.linspace(0.05, 0.95, k)) if k > 3 else np.quantile(x, [0.1, 0.5, 0.9])
    if np.unique(knots).size < k:
        return x[:, None]
    return _spline(x, knots)


def _design(x: np.ndarray, ks: tuple[int, ...]) -> np.ndarray:
    """Intercept, each parameter's smoother, and for a group the products of their linear terms."""
    z = (x - x.mean(axis=0)) / np.where(x.std(axis=0) > 0, x.std(axis=0), 1.0)
    cols = [np.ones((len(x), 1))] + [_term(z[:, j], k) for j, k in enumerate(ks)]
    live = [j for j, k in enumerate(ks) if k]
    cols += [(z[:, a] * z[:, b])[:, None] for i, a in enumerate(live) for b in live[i + 1:]]
    return np.hstack(cols)


def _fit(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """Least-squares fitted values and the GCV score n·RSS / (n − p)²."""
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    fitted = X @ beta
    n, p = X.shape
    rss = float(((y - fitted) ** 2).sum())
    return fitted, n * rss / max(n - p, 1) ** 2


def _smoothness(x: np.ndarray, y: np.ndarray) -> tuple[int, ...]:
    """Knots per parameter chosen by GCV, one parameter at a time (backfitting-style coordinate search)."""
    m = x.shape[1]
    ks = [0] * m
    best = _fit(_design(x, tuple(ks)), y)[1]
    for _ in range(2):  # two sweeps over the parameters settle the choice in practice
        for j in range(m):
            for k in KNOTS:
                trial = tuple(ks[:j] + [k] + ks[j + 1:])
                score = _fit(_design(x, trial), y)[1]
                if score < best - 1e-12 * abs(best):
                    best, ks = score, list(trial)
    return tuple(ks)


def _evppi_fitted(g: np.ndarray) -> float:
    """EVPPI from fitted incremental net benefits g (S, D) (the reference's column is 0)."""
    return float(g.max(axis=1).mean() - g.mean(axis=0).max())


@dataclass
class Evppi:
    """An EVPPI with its bootstrap standard error, and the smoothers chosen (knots per parameter,
    per option other than the reference)."""

    value: float
    se: float
    knots: list[tuple[int, ...]]


def evppi(nb: np.ndarray, x: np.ndarray, reference: int = 0, clusters: np.ndarray | None = None,
          resamples: int = EVPPI_BOOTSTRAP, seed: int = 0) -> Evppi:
    """EVPPI of the parameter(s) `x` (S,) or (S, m) for the choice among the options of `nb` (S, D),
    by Strong, Oakley & Brennan's regression method (module docstring), with a bootstrap standard
    error over samples, or over `clusters` (S,) labels when samples share parameters."""
    nb = np.asarray(nb, float)
    x = np.asarray(x, float).reshape(len(nb), -1)
    inc = nb - nb[:, [reference]]
    others = [d for d in range(nb.shape[1]) if d != reference]
    knots = [_smoothness(x, inc[:, d]) for d in others]

    def value(rows: np.ndarray) -> float:
        g = np.zeros((len(rows), nb.shape[1]))
        for d, ks in zip(others, knots):
            g[:, d] = _fit(_design(x[rows], ks), inc[rows, d])[0]
        return _evppi_fitted(g)

    S = len(nb)
    est = value(np.arange(S))
    rng = np.random.default_rng(seed)
    if clusters is None:
        draws = [rng.integers(0, S, S) for _ in range(resamples)]
    else:
        labels, inverse = np.unique(clusters, return_inverse=True)
        members = [np.flatnonzero(inverse == i) for i in range(len(labels))]
        draws = [np.concatenate([members[i] for i in rng.integers(0, len(labels), len(labels))])
                 for _ in range(resamples)]
    boot = np.array([value(rows) for rows in draws]) if resamples else np.array([np.nan])
    return Evppi(max(est, 0.0), float(np.std(boot, ddof=1)) if resamples > 1 else np.nan, knots)


def evpi_se(nb: np.ndarray, clusters: np.ndarray | None = None, resamples: int = EVPPI_BOOTSTRAP,
            seed: int = 0) -> float:
    """Bootstrap standard error of `evpi(nb)` (over samples, or over `clusters`)."""
    nb = np.asarray(nb, float)
    rng = np.random.default_rng(seed)
    S = len(nb)
    if clusters is None:
        return float(np.std([evpi(nb[rng.integers(0, S, S)]) for _ in range(resamples)], ddof=1))
    labels, inverse = np.unique(clusters, return_inverse=True)
    members = [np.flatnonzero(inverse == i) for i in range(len(labels))]
    vals = [evpi(nb[np.concatenate([members[i] for i in rng.integers(0, len(labels), len(labels))])])
            for _ in range(resamples)]
    return float(np.std(vals, ddof=1))


def null_evppi(nb: np.ndarray, x: np.ndarray, reference: int = 0, permutations: int = NULL_PERMUTATIONS,
               seed: int = 0) -> float:
    """The EVPPI the regression finds in noise: its mean over `permutations` of the parameter
    values (which then carry no information). The regression method's upward bias is about this
    size when the options are close; an EVPPI is worth something only clearly above it."""
    rng = np.random.default_rng(seed)
    x = np.asarray(x, float).reshape(len(nb), -1)
    return float(np.mean([evppi(nb, x[rng.permutation(len(x))], reference, resamples=0).value
                          for _ in range(permutations)]))


def voi_table(nb: np.ndarray, params: pd.DataFrame, groups: dict[str, list[str]] | None = None,
              reference: int = 0, clusters: np.ndarray | None = None, resamples: int = EVPPI_BOOTSTRAP,
              seed: int = 0) -> pd.DataFrame:
    """parameter, evppi, se, null, share_of_evpi, knots: the first row `(all)` is the EVPI; then
    one row per column of `params` (S rows, aligned with `nb`) and per named group, ranked by EVPPI;
    `null` is the EVPPI found with the parameter(s) shuffled (`null_evppi`)."""
    total = evpi(nb)
    rows = [{"parameter": "(all)", "evppi": total, "se": evpi_se(nb, clusters, resamples, seed), "null": np.nan,
             "share_of_evpi": 1.0 if total > 0 else np.nan, "knots": ""}]
    items = [(c, [c]) for c in params.columns] + list((groups or {}).items())
    for i, (name, cols) in enumerate(items):
        x = params[cols].to_numpy(float)
        e = evppi(nb, x, reference, clusters, resamples, seed + 1 + i)
        rows.append({"parameter": name, "evppi": e.value, "se": e.se,
                     "null": null_evppi(nb, x, reference, seed=seed + 1 + i) if resamples else np.nan,
                     "share_of_evpi": e.value / total if total > 0 else np.nan,
                     "knots": ";".join(",".join(map(str, k)) for k in e.knots)})
    head, rest = pd.DataFrame(rows[:1]), pd.DataFrame(rows[1:])
    if len(rest):
        rest = rest.sort_values("evppi", ascending=False, kind="stable")
    return pd.concat([head, rest], ignore_index=True)
