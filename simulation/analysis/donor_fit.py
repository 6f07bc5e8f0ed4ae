"""Donors' allocation rules fitted to the aid record, and scored out of sample.

A donor's record is a `Panel`: its shares of flows over R recipients per year (DAC2a), and what
it could observe about those recipients each year, as the model's own `AllocationContext`
(goal scores, population, income, ...; C = R countries, G goals, one replication). Each
strategy of the model (simulation/mechanisms/allocation.py) is run as the model runs it, with
many candidate parameter sets at once (one pseudo-funder per candidate), and its recipient
shares (summed over goals) are compared with the record:

    fits = fit_panel(panel, fit_until)      # every strategy, parameters by least mean absolute error
    table = skill(panel, fits, fit_until, to)   # share_mae against persistence and needs-only

Fitting reads years <= fit_until only (`Panel.until`). Parameters minimise the mean absolute
error of recipient shares over the fit years by a grid search refined three times around its
best point (deterministic; impact's integer `steps` are all tried). Persistence with drift
(strategy `persistence`) is fitted by rolling origins inside the fit years: from each origin, its
recorded shares moved along the drift of the last `window` years, scored on the next years.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace

import numpy as np
from scipy import optimize

from ..mechanisms import allocation

NOT_IDENTIFIED = {"performance": {"governance_exponent": "no governance data: every recipient has the same "
                                                         "governance, so its exponent cannot change shares"}}
"""Parameters the record cannot identify, kept at the strategy's default (and said so in fit.csv)."""
NOT_FITTED = {"adaptive": "learns from progress the model simulates; its first year is needs(1, 0.5)"}
FITTED = ("equal", "needs", "performance", "priority", "impact", "persistence")
WINDOWS = (2, 3, 4, 5)          # persistence: years of record the drift is measured on
DRIFT_WEIGHTS = np.linspace(0.0, 1.0, 21)
HORIZON = 4                     # persistence: years ahead scored from each rolling origin
GRID, ROUNDS = 9, 3             # points per parameter and refinements of the grid search


@dataclass(frozen=True)
class Panel:
    """One donor's record. Shapes: Y years, R recipients (the panel's countries), G goals.

    shares[y, r]: its share of flows to recipient r in years[y] (rows sum to 1; NaN where the
    year is missing); contexts[y]: what it could observe when deciding years[y] (data up to
    the year before); eligible (R,): recipients it funded in the fit years.
    """

    donor: str
    years: np.ndarray
    recipients: list[str]
    shares: np.ndarray
    contexts: list[allocation.AllocationContext]
    eligible: np.ndarray

    def until(self, year: int) -> Panel:
        """The record up to `year` (nothing later is kept)."""
        keep = self.years <= year
        return replace(self, years=self.years[keep], shares=self.shares[keep],
                       contexts=[c for c, k in zip(self.contexts, keep) if k])


@dataclass(frozen=True)
class Fit:
    """A strategy's fitted parameters for one donor and its in-sample mean absolute error."""

    strategy: str
    params: dict
    in_sample_mae: float
    note: str = ""


def rule_shares(name: str, ctx: allocation.AllocationContext, eligible: np.ndarray,
                candidates: list[dict]) -> np.ndarray:
    """Recipient shares (N, R) of strategy `name` under N parameter sets, run as the model runs it."""
    n, (_, R, G) = len(candidates), ctx.scores.shape
    params = {k: v[None] for k, v in allocation.stack_params(name, candidates).items()}
    if name == "persistence":
        for key in allocation.RECORDED:
            params[key] = np.stack([c[key] for c in candidates])[None]
    mask = np.broadcast_to(eligible[None, :, None], (n, R, G))
    out = allocation.run(name, ctx, np.ones((1, n)), mask, params)
    return out[0].sum(axis=-1)


def _mae(panel: Panel, name: str, candidates: list[dict]) -> np.ndarray:
    """Mean absolute share error (N,) of each candidate over the panel's observed years and eligible
    recipients (those funded in the fit years: recipients first funded later do not change the fit)."""
    err, years = np.zeros(len(candidates)), 0
    for y, ctx in enumerate(panel.contexts):
        obs = panel.shares[y]
        if np.isnan(obs).any():
            continue
        err += np.abs(rule_shares(name, ctx, panel.eligible, candidates) - obs)[:, panel.eligible].mean(axis=1)
        years += 1
    return err / max(years, 1)


def _box(name: str) -> dict[str, tuple[float, float]]:
    skip = NOT_IDENTIFIED.get(name, {})
    return {k: v for k, v in allocation.STRATEGIES[name].params.items() if k not in skip}


def fit_rule(panel: Panel, name: str) -> Fit:
    """Fit one model strategy's identifiable parameters to a donor's record (years in `panel`)."""
    box = _box(name)
    note = "; ".join(f"{k} kept at {allocation.STRATEGIES[name].defaults[k]:g} ({why})"
                     for k, why in NOT_IDENTIFIED.get(name, {}).items())
    if not box:
        return Fit(name, {}, float(_mae(panel, name, [{}])[0]), note)
    if name == "impact":
        lo, hi = box["steps"]
        cands = [{"steps": float(s)} for s in range(int(lo), int(hi) + 1)]
        err = _mae(panel, name, cands)
        return Fit(name, cands[int(np.argmin(err))], float(err.min()), note)
    names = list(box)
    lo, hi = np.array([box[k][0] for k in names]), np.array([box[k][1] for k in names])
    best, step = (lo + hi) / 2, (hi - lo) / 2
    for _ in range(ROUNDS + 1):
        axes = [np.clip(np.linspace(b - s, b + s, GRID), a, z) for b, s, a, z in zip(best, step, lo, hi)]
        points = np.unique(np.array(list(itertools.product(*axes))), axis=0)
        cands = [dict(zip(names, map(float, p))) for p in points]
        err = _mae(panel, name, cands)
        best, step = points[int(np.argmin(err))], step * 2 / (GRID - 1)
    best, low = _polish(panel, name, names, best, float(err.min()), lo, hi)
    return Fit(name, {k: round(float(v), 4) for k, v in zip(names, best)}, low, note)


def _polish(panel: Panel, name: str, names: list[str], start: np.ndarray, err: float, lo: np.ndarray,
            hi: np.ndarray) -> tuple[np.ndarray, float]:
    """Nelder-Mead within the box from the grid's best point: the zooming grid can settle in a local
    dip of the share error (seen: population exponent 1.67 for a record made with 1.5, error 6e-4),
    which the simplex leaves. Keeps the grid's point unless the simplex finds a lower error."""
    def error(x: np.ndarray) -> float:
        return float(_mae(panel, name, [dict(zip(names, map(float, np.clip(x, lo, hi))))])[0])

    found = optimize.minimize(error, start, method="Nelder-Mead", bounds=list(zip(lo, hi)),
                              options={"xatol": 1e-5, "fatol": 1e-10, "maxfev": 400})
    x = np.clip(found.x, lo, hi)
    return (x, float(found.fun)) if found.fun < err else (start, err)


def drift_record(shares: np.ndarray, years: np.ndarray, origin: int, window: int) -> tuple[np.ndarray, np.ndarray]:
    """Recorded shares at row `origin` and their least-squares yearly drift over the `window` rows to it."""
    rows = slice(origin - window + 1, origin + 1)
    x, s = years[rows].astype(float), shares[rows]
    x = x - x.mean()
    return shares[origin], (x[:, None] * (s - s.mean(axis=0))).sum(axis=0) / (x ** 2).sum()


def drift_forecast(recorded: np.ndarray, drift: np.ndarray, weight: np.ndarray | float, h: int,
                   eligible: np.ndarray) -> np.ndarray:
    """Persistence with drift `h` years after the record: max(share + weight·h·drift, 0), normalised
    over the eligible recipients (the model's `persistence` strategy, allocation.persistence)."""
    w = np.maximum(recorded + np.multiply.outer(np.asarray(weight, float), h * drift), 0.0) * eligible
    total = w.sum(axis=-1, keepdims=True)
    return np.divide(w, total, out=np.broadcast_to(eligible / max(eligible.sum(), 1), w.shape).copy(),
                     where=total > 0)


def fit_persistence(panel: Panel) -> Fit:
    """Persistence with drift: the window and drift weight with the least rolling-origin error."""
    ok = ~np.isnan(panel.shares).any(axis=1)
    shares, years = panel.shares[ok], panel.years[ok]
    best = (np.inf, WINDOWS[0], 0.0)
    for window in WINDOWS:
        errs, n = np.zeros(len(DRIFT_WEIGHTS)), 0
        for origin in range(window - 1, len(years) - 1):
            rec, drift = drift_record(shares, years, origin, window)
            for target in range(origin + 1, min(origin + 1 + HORIZON, len(years))):
                h = int(years[target] - years[origin])
                pred = drift_forecast(rec, drift, DRIFT_WEIGHTS, h, panel.eligible)
                errs += np.abs(pred - shares[target])[:, panel.eligible].mean(axis=1)
                n += 1
        if n and errs.min() / n < best[0] - 1e-12:
            best = (errs.min() / n, window, float(DRIFT_WEIGHTS[int(np.argmin(errs))]))
    err, window, weight = best
    if not np.isfinite(err):
        return Fit("persistence", {"drift_weight": 0.0, "window": 1}, np.nan, "one year of record: no drift")
    return Fit("persistence", {"drift_weight": weight, "window": window}, float(err))


def fit_panel(panel: Panel, fit_until: int) -> list[Fit]:
    """Every fitted strategy of the model for one donor, on its record up to `fit_until` only."""
    past = panel.until(fit_until)
    return [fit_persistence(past) if name == "persistence" else fit_rule(past, name) for name in FITTED]


def forecast(panel: Panel, fit: Fit, fit_until: int, year: int) -> np.ndarray:
    """A fitted rule's recipient shares (R,) for `year` > fit_until, from the record up to fit_until."""
    if fit.strategy == "persistence":
        past = panel.until(fit_until)
        ok = np.flatnonzero(~np.isnan(past.shares).any(axis=1))
        window = min(int(fit.params["window"]), len(ok))
        rec, drift = drift_record(past.shares[ok], past.years[ok], len(ok) - 1, window) if window > 1 else \
            (past.shares[ok[-1]], np.zeros(len(panel.recipients)))
        return drift_forecast(rec, drift, fit.params["drift_weight"], int(year - past.years[ok[-1]]), panel.eligible)
    ctx = panel.contexts[int(np.flatnonzero(panel.years == year)[0])]
    return rule_shares(fit.strategy, ctx, panel.eligible, [fit.params])[0]


def skill(panel: Panel, fits: list[Fit], fit_until: int, to: int) -> list[dict]:
    """Out-of-sample mean absolute error of recipient shares per fitted rule, on the same rows as
    persistence (the last record year <= fit_until held) and needs-only (needs at its defaults)."""
    past = panel.until(fit_until)
    last = past.shares[np.flatnonzero(~np.isnan(past.shares).any(axis=1))[-1]]
    rows = [y for y, year in enumerate(panel.years) if fit_until < year <= to and not np.isnan(panel.shares[y]).any()]
    if not rows:
        return []
    obs = panel.shares[rows]
    needs = np.stack([rule_shares("needs", panel.contexts[y], panel.eligible, [{}])[0] for y in rows])
    persistence_mae, needs_mae = float(np.abs(last - obs).mean()), float(np.abs(needs - obs).mean())
    out = []
    for f in fits:
        pred = np.stack([forecast(panel, f, fit_until, int(panel.years[y])) for y in rows])
        out.append({"donor": panel.donor, "strategy": f.strategy, "share_mae": float(np.abs(pred - obs).mean()),
                    "persistence_mae": persistence_mae, "needs_mae": needs_mae, "years": len(rows),
                    "recipients": len(panel.recipients)})
    return out


def sector_skill(panel: Panel, fit_until: int, to: int) -> dict | None:
    """Goal shares (a panel whose `recipients` are goals): persistence with drift fitted up to
    `fit_until`, scored on the years after it against holding the last fitted year and an equal split."""
    fit = fit_persistence(panel.until(fit_until))
    rows = [y for y, year in enumerate(panel.years) if fit_until < year <= to and not np.isnan(panel.shares[y]).any()]
    if not rows or not np.isfinite(fit.in_sample_mae):
        return None
    obs = panel.shares[rows]
    past = panel.until(fit_until)
    last = past.shares[np.flatnonzero(~np.isnan(past.shares).any(axis=1))[-1]]
    pred = np.stack([forecast(panel, fit, fit_until, int(panel.years[y])) for y in rows])
    return {"donor": panel.donor, "share_mae": float(np.abs(pred - obs).mean()),
            "persistence_mae": float(np.abs(last - obs).mean()), "equal_mae": float(np.abs(1 / obs.shape[1] - obs).mean()),
            "drift_weight": fit.params["drift_weight"], "window": fit.params["window"], "years": len(rows),
            "goals": obs.shape[1]}


def best_rule(rows: list[dict]) -> tuple[str, bool]:
    """The rule with the least out-of-sample error, and whether it beats persistence; a donor for
    which no rule does gets persistence with drift."""
    best = min(rows, key=lambda r: (r["share_mae"], r["strategy"]))
    beats = beats_persistence(best)
    return (best["strategy"] if beats else "persistence"), beats


def beats_persistence(row: dict) -> bool:
    """Whether a rule's error is below persistence's by more than float rounding (1e-9 relative)."""
    return row["share_mae"] < row["persistence_mae"] * (1 - 1e-9)
