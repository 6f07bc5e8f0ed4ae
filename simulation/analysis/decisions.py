"""Decisions: is a scenario (or a policy at a sweep point) better, worse, equivalent, or can we not tell?

One vocabulary for `sdgsim compare` (a verdict per row of comparison.csv), `sdgsim analyze` (a class
per sweep point, shared out in contrasts.csv), the report and the app. A decision needs three things,
all defined here:

* the smallest effect that matters, `min_effect`: given by the user (`--min-effect`, a number in
  the outcome's unit or "5%" of the reference's mean), else the outcome registry's default
  (`Outcome.default_min_effect`: relative ones scale with the reference's own value, deaths counted
  over live births have their own). Never below a floor of 1e-9 of the reference's size (at least
  1e-9): a difference of rounding noise is never called a decision;
* the interval of the paired difference (replication i of both sides shares its random streams, so
  the per-replication differences cancel the noise both share): `paired_interval` (Student's t on
  the per-replication differences, or a percentile bootstrap for comparisons), `t_interval` from a
  mean, standard deviation and count (sweep points, where the replications that both ran vary);
* the class of an interval oriented so that + is better (`classify`): `better` when the whole
  interval lies above +min_effect, `worse` when below −min_effect, `equivalent` when within
  ±min_effect, else `inconclusive` (it straddles ±min_effect, or there is no interval: fewer than
  two paired replications). A sweep's contrasts.csv names the same classes `clearly_better`,
  `clearly_equivalent`, `clearly_worse` and `undecided` (`POINT_CLASS`), its columns since it had them.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from ..outcomes.registry import ALL, REGISTRY, label, parse, partial_spec_problem

LEVEL = 0.95
"""Confidence level of every decision interval."""
MIN_PAIRED = 2
"""Fewest paired replications that give an interval."""
FLOOR = 1e-9
"""Smallest effect that matters, at least: this share of the reference's size (and of 1)."""
BOOTSTRAP_RESAMPLES = 4000
BLOCK = 1 << 21
"""Numbers (float64) in one block of rows x resamples: a bootstrap works block by block, so its
memory does not grow with the rows times the resamples."""

BETTER, WORSE, EQUIVALENT, INCONCLUSIVE, REFERENCE = "better", "worse", "equivalent", "inconclusive", "reference"
VERDICTS = (BETTER, WORSE, EQUIVALENT, INCONCLUSIVE, REFERENCE)
"""A comparison row's verdict (`reference` for the reference's own rows)."""
POINT_CLASS = {BETTER: "clearly_better", EQUIVALENT: "clearly_equivalent", WORSE: "clearly_worse",
               INCONCLUSIVE: "undecided"}
"""A verdict as a sweep's contrasts name it, in the order of their share columns."""
POINT_CLASSES = tuple(POINT_CLASS.values())
SAYS = {BETTER: "clearly better", WORSE: "clearly worse", EQUIVALENT: "equivalent", INCONCLUSIVE: "inconclusive"}
"""A verdict in a sentence."""

VERDICT_HELP = (f"Verdict against the smallest effect that matters (min effect): better / worse = the whole "
                f"{LEVEL:.0%} CI of the difference lies beyond ± min effect; equivalent = inside ± min effect; "
                "inconclusive = neither. P(better by ≥ min) = share of paired runs better by more than the min effect.")


# --------------------------------------------------------------------------- the smallest effect that matters


def min_effect_problems(min_effects: dict[str, float | str], scenarios=()) -> list[tuple[str, str]]:
    """(name, why) for each `min_effects` entry that names no outcome, or (given the scenarios)
    a goal, indicator or country they do not have, or has a bad value."""
    out = []
    for spec, v in min_effects.items():
        name, country, key = parse(spec)
        if name not in REGISTRY:
            out.append((spec, f"unknown outcome (allowed: {', '.join(REGISTRY)})"))
            continue
        if scenarios and (why := partial_spec_problem(name, country, key, scenarios)):
            out.append((spec, why))
            continue
        try:
            x = float(str(v)[:-1]) if isinstance(v, str) and v.endswith("%") else float(v)
        except ValueError:
            out.append((spec, f"got {v!r} (allowed: a number in the outcome's unit, or a share like 5%)"))
            continue
        if not 0 <= x < float("inf"):  # inf (or 1e400) would make every verdict "equivalent"
            out.append((spec, f"got {v!r} (allowed: a finite number, 0 or more)"))
    return out


def given_min_effect(outcome: str, country: str, key: str, given: dict[str, float | str]) -> float | str | None:
    """The most specific of `given` for one value (NAME:KEY@COUNTRY, NAME:KEY, NAME@COUNTRY, NAME), or None."""
    for spec in (label(outcome, country, key), label(outcome, ALL, key), label(outcome, country), outcome):
        if spec in given:
            return given[spec]
    return None


def min_effect(outcome: str, key: str, reference, births=frozenset(), given: float | str | None = None):
    """The smallest effect that matters for the value `outcome` (a registry name) under `key`, where
    the reference's value is `reference` (a number, or an array: one per row or point, same shape out).

    `given` (a number in the outcome's unit, or "5%" of |reference|) overrides the registry's default;
    an outcome the registry does not know has none. Never below `FLOOR` × max(|reference|, 1).
    """
    size = np.abs(np.asarray(reference, dtype=float))
    if isinstance(given, str) and given.endswith("%"):
        m = float(given[:-1]) / 100 * size
    elif given is not None:
        m = np.full_like(size, float(given))
    elif outcome in REGISTRY:
        m = REGISTRY[outcome].default_min_effect(key, reference, births)
    else:
        m = np.zeros_like(size)
    return np.maximum(m, FLOOR * np.maximum(size, 1.0))


def column_min_effect(column: str, reference, births=frozenset()):
    """`min_effect` of a sweep's outcome column (NAME or NAME:KEY; the registry's default)."""
    name, _, key = parse(column)
    return min_effect(name, key, reference, births)


# --------------------------------------------------------------------------- the interval of the paired difference


def t_interval(mean, sd, n, level: float = LEVEL) -> tuple[np.ndarray, np.ndarray]:
    """Student's t interval of a mean from its sample's standard deviation (ddof=1) and size n:
    NaN where n < MIN_PAIRED; with no spread at all the interval is the mean itself."""
    mean, sd, n = np.asarray(mean, dtype=float), np.asarray(sd, dtype=float), np.asarray(n)
    ok = n >= MIN_PAIRED
    with np.errstate(invalid="ignore", divide="ignore"):
        se = sd / np.sqrt(np.maximum(n, 1))
        half = np.where(ok, stats.t.ppf(0.5 + level / 2, np.maximum(n - 1, 1)) * se, np.nan)
    return mean - half, mean + half


def paired_interval(d: np.ndarray, method: str = "t", level: float = LEVEL,
                    rng: np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Interval of the mean of each row of d (rows × N: per-replication differences, or values), NaN-free
    rows expected: "t" (`t_interval`) or "bootstrap" (percentile bootstrap of the mean,
    BOOTSTRAP_RESAMPLES resamples from `rng`). NaN for N < MIN_PAIRED."""
    d = np.asarray(d, dtype=float)
    n = d.shape[-1]
    mean = d.mean(axis=-1)
    if n < MIN_PAIRED:
        return np.full_like(mean, np.nan), np.full_like(mean, np.nan)
    if method == "t":
        return t_interval(mean, d.std(axis=-1, ddof=1), n, level)
    if method == "bootstrap":
        rng = rng or np.random.default_rng(0)
        rows = d.reshape(-1, n)
        boot = np.empty((rows.shape[0], BOOTSTRAP_RESAMPLES))
        step = max(1, BLOCK // max(1, rows.size))  # resamples per block (drawn in order: the same numbers)
        for b in range(0, BOOTSTRAP_RESAMPLES, step):
            idx = rng.integers(0, n, size=(min(step, BOOTSTRAP_RESAMPLES - b), n))
            boot[:, b:b + len(idx)] = rows[:, idx].mean(axis=-1)
        lo, hi = np.percentile(boot, [50 * (1 - level), 50 * (1 + level)], axis=-1)
        return lo.reshape(d.shape[:-1]), hi.reshape(d.shape[:-1])
    raise ValueError(f"unknown interval method {method!r} (allowed: t, bootstrap)")


# --------------------------------------------------------------------------- the class of an interval


def orient(low, high, sense) -> tuple[np.ndarray, np.ndarray]:
    """An interval of a difference turned so that + is better (`sense`: +1 or −1, or an array of them)."""
    low, high, sense = np.asarray(low, dtype=float), np.asarray(high, dtype=float), np.asarray(sense)
    return np.where(sense > 0, low, -high), np.where(sense > 0, high, -low)


def classify(lo, hi, m) -> np.ndarray:
    """better / worse / equivalent / inconclusive from the oriented interval [lo, hi] of the difference
    (positive = better) and the smallest effect that matters m (≥ 0); a NaN interval is inconclusive."""
    lo, hi, m = np.broadcast_arrays(np.asarray(lo, dtype=float), np.asarray(hi, dtype=float),
                                    np.asarray(m, dtype=float))
    with np.errstate(invalid="ignore"):
        return np.select([lo > m, hi < -m, (lo >= -m) & (hi <= m)], [BETTER, WORSE, EQUIVALENT],
                         INCONCLUSIVE).astype(object)
