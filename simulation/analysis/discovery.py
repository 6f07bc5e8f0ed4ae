"""Scenario discovery: where in the uncertainty space do the cases of interest concentrate?

Cases are (policy, design point) pairs with the outcome averaged over their successful
replications. A case is *of interest* when it is among the worst fraction (by the outcome's
direction), or below / above a threshold. Then:

* PRIM (Friedman & Fisher 1999, as in the EMA Workbench): peel off an `alpha` share of the
  remaining cases at the lower or upper end of one parameter (or one category of a discrete
  parameter), whichever leaves the densest box, until fewer than `mass_min` of the cases
  remain; the trajectory records coverage, density and the number of restricted dimensions.
  The chosen box (the densest one with at least `min_coverage` coverage) is pasted (bounds
  widened while density does not drop) and given a quasi-p per restricted dimension: the
  hypergeometric probability of at least as many cases of interest in the box if the
  restriction were dropped (as `ema_workbench.analysis.prim` does). Further boxes are found
  on the cases outside the earlier ones (covering).
* CART (scikit-learn DecisionTreeClassifier): the leaves where cases of interest are denser
  than the base rate, as boxes.
* Feature scoring (scikit-learn ExtraTreesClassifier): impurity importances per parameter.

Written here rather than taken from `ema_workbench` because that package pulls in a large
stack (seaborn, statsmodels, altair, ipyparallel ...) for one algorithm of ~150 lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.stats import hypergeom

from ..extras import require
from ..outcomes.registry import outcome_sense

METHODS = ("prim", "cart")


@dataclass
class Cases:
    """Parameter values per case (numeric columns float, discrete ones text) and which are of interest."""

    x: pd.DataFrame
    y: np.ndarray
    """bool: the case is of interest."""
    outcome: np.ndarray
    rule: str
    ids: pd.DataFrame
    """policy, point per case."""
    selection: str = ""
    """The rule in a file name's words: 'worst-0.2', 'below-0', 'above-minus1.5'."""

    @property
    def base_rate(self) -> float:
        return float(self.y.mean()) if len(self.y) else float("nan")


def make_cases(runs: pd.DataFrame, design: pd.DataFrame, params: list[str], outcome: str, *,
               worst: float | None = None, below: float | None = None, above: float | None = None,
               policy: str | None = None, sense: int | None = None) -> Cases:
    """One case per (policy, point): the outcome's mean over successful replications. `sense`:
    +1 if higher is better (default: the outcome registry's; a sweep's manifest records it)."""
    sense = sense or outcome_sense(outcome)
    ok = runs[runs.status == "ok"]
    if policy is not None:
        ok = ok[ok.policy == policy]
    means = ok.groupby(["policy", "point"], sort=True)[outcome].mean().dropna().reset_index()
    d = design.set_index("point")
    x = d.loc[means.point.to_numpy(), params].reset_index(drop=True)
    v = means[outcome].to_numpy(dtype=float)
    if worst is not None:
        # the worst `worst` share, and every case tied with the last of them: which of equal
        # cases counts as "worst" would otherwise be arbitrary (a constant outcome: all or none)
        k = int(round(worst * len(v)))
        y = np.zeros(len(v), dtype=bool)
        if k > 0:
            cut = np.sort(sense * v, kind="stable")[k - 1]
            y = sense * v <= cut
        rule = f"worst {worst:g} of cases by {outcome} ({'higher' if sense > 0 else 'lower'} is better)"
        selection = f"worst-{_tag(worst)}"
    elif below is not None:
        y, rule, selection = v < below, f"{outcome} < {below:g}", f"below-{_tag(below)}"
    else:
        y, rule, selection = v > above, f"{outcome} > {above:g}", f"above-{_tag(above)}"
    return Cases(x, y, v, rule, means[["policy", "point"]].reset_index(drop=True), selection)


def _tag(x: float) -> str:
    """A number for a file name: 0.2, 1e06, minus1.5 (no sign characters)."""
    return f"{x:g}".replace("-", "minus").replace("+", "")


ID_COLUMNS = ("policy", "point", "replication", "seed", "chunk", "status", "error")


def outcome_names(runs: pd.DataFrame, manifest: dict) -> list[str]:
    """The outcomes of a sweep's runs table: the manifest's outcome columns, else its numeric
    columns that are neither run identifiers nor parameters."""
    listed = (manifest.get("columns") or {}).get("outcomes") or manifest.get("outcomes")
    if isinstance(listed, list) and listed:
        return [str(o) for o in listed if o in runs.columns and pd.api.types.is_numeric_dtype(runs[o])]
    params = set((manifest.get("columns") or {}).get("parameters") or {})
    return [c for c in runs.columns if c not in ID_COLUMNS and c not in params
            and pd.api.types.is_numeric_dtype(runs[c])]


@dataclass
class Box:
    """A box: per restricted parameter [low, high] (numbers) or the kept values (discrete)."""

    limits: dict[str, list] = field(default_factory=dict)

    def inside(self, x: pd.DataFrame) -> np.ndarray:
        keep = np.ones(len(x), dtype=bool)
        for p, lim in self.limits.items():
            col = x[p]
            if pd.api.types.is_numeric_dtype(col):
                keep &= (col.to_numpy(float) >= lim[0]) & (col.to_numpy(float) <= lim[1])
            else:
                keep &= col.isin(lim).to_numpy()
        return keep

    def without(self, p: str) -> Box:
        return Box({k: v for k, v in self.limits.items() if k != p})


def _stats(inside: np.ndarray, y: np.ndarray, total: int) -> tuple[float, float, int]:
    n = int(inside.sum())
    k = int(y[inside].sum())
    return (k / total if total else float("nan")), (k / n if n else 0.0), n


def _candidates(box: Box, x: pd.DataFrame, inside: np.ndarray, alpha: float):
    """Boxes one peel smaller: per numeric parameter the lower and upper alpha quantile, per
    discrete parameter each remaining category."""
    for p in x.columns:
        col = x[p][inside]
        if pd.api.types.is_numeric_dtype(col):
            v = col.to_numpy(float)
            lo0, hi0 = box.limits.get(p, [-np.inf, np.inf])
            qlo, qhi = np.quantile(v, [alpha, 1 - alpha])
            if 0 < (v > qlo).sum() < len(v):  # a peel must leave some cases (a few equal values: none)
                yield p, Box({**box.limits, p: [float(v[v > qlo].min()), hi0]})
            if 0 < (v < qhi).sum() < len(v):
                yield p, Box({**box.limits, p: [lo0, float(v[v < qhi].max())]})
        else:
            cats = sorted(set(col))
            if len(cats) > 1:
                for c in cats:
                    yield p, Box({**box.limits, p: [k for k in cats if k != c]})


def _paste(box: Box, x: pd.DataFrame, y: np.ndarray, alpha: float) -> Box:
    """Widen restricted numeric bounds by about alpha·n cases while the density does not drop."""
    n_all = len(y)
    improved = True
    while improved:
        improved = False
        inside = box.inside(x)
        dens = y[inside].mean() if inside.any() else 0.0
        step = max(1, int(alpha * inside.sum()))
        best = None
        for p, lim in box.limits.items():
            if not pd.api.types.is_numeric_dtype(x[p]):
                continue
            v = x[p].to_numpy(float)
            others = box.without(p).inside(x)
            below = np.sort(v[others & (v < lim[0])])[::-1][:step]
            above = np.sort(v[others & (v > lim[1])])[:step]
            for new in ([float(below[-1]), lim[1]] if below.size else None,
                        [lim[0], float(above[-1])] if above.size else None):
                if new is None:
                    continue
                cand = Box({**box.limits, p: new})
                ins = cand.inside(x)
                d = y[ins].mean()
                if d >= dens and ins.sum() < n_all and (best is None or d > best[0]):
                    best = (d, cand)
        if best is not None:
            box, improved = best[1], True
    return box


def _bounds_out(box: Box, x: pd.DataFrame) -> dict[str, list]:
    """Bounds of every restricted parameter in its own units (infinite ends at the data range)."""
    out = {}
    for p, lim in box.limits.items():
        if pd.api.types.is_numeric_dtype(x[p]):
            v = x[p].to_numpy(float)
            out[p] = [float(max(lim[0], v.min())), float(min(lim[1], v.max()))]
        else:
            out[p] = list(lim)
    return out


def quasi_p(box: Box, x: pd.DataFrame, y: np.ndarray) -> dict[str, float]:
    """Per restricted parameter: P(at least the box's count of cases of interest) if that
    restriction were dropped (hypergeometric, as the EMA Workbench's quasi-p)."""
    inside = box.inside(x)
    n, k = int(inside.sum()), int(y[inside].sum())
    out = {}
    for p in box.limits:
        wider = box.without(p).inside(x)
        out[p] = float(hypergeom.sf(k - 1, int(wider.sum()), int(y[wider].sum()), n))
    return out


def prim(x: pd.DataFrame, y: np.ndarray, *, alpha: float = 0.05, mass_min: float = 0.05, min_coverage: float = 0.5,
         total: int | None = None) -> dict:
    """One PRIM box with its peeling trajectory (see the module docstring)."""
    total = int(y.sum()) if total is None else total
    box = Box()
    inside = np.ones(len(y), dtype=bool)
    traj = []

    def record(b: Box, ins: np.ndarray) -> None:
        cov, dens, n = _stats(ins, y, total)
        traj.append({"step": len(traj), "coverage": cov, "density": dens, "mass": n / len(y), "cases": n,
                     "restricted": len(b.limits), "box": b})

    record(box, inside)
    while inside.sum() / len(y) > mass_min:
        best = None
        for _, cand in _candidates(box, x, inside, alpha):
            ins = cand.inside(x)
            if not ins.any() or ins.sum() >= inside.sum():
                continue
            key = (y[ins].mean(), ins.sum())
            if best is None or key > best[0]:
                best = (key, cand, ins)
        if best is None:
            break
        _, box, inside = best
        record(box, inside)
    eligible = [t for t in traj if t["coverage"] >= min_coverage] or traj[:1]
    chosen = max(eligible, key=lambda t: (t["density"], t["coverage"]))
    pasted = _paste(chosen["box"], x, y, alpha)
    ins = pasted.inside(x)
    cov, dens, n = _stats(ins, y, total)
    trajectory = [{k: v for k, v in t.items() if k != "box"} for t in traj]
    return {"coverage": cov, "density": dens, "mass": n / len(y), "cases": n, "step": chosen["step"],
            "restricted": len(pasted.limits), "bounds": _bounds_out(pasted, x),
            "quasi_p": quasi_p(pasted, x, y), "trajectory": trajectory, "_box": pasted}


def prim_boxes(cases: Cases, *, alpha: float = 0.05, mass_min: float = 0.05, min_coverage: float = 0.5,
               max_boxes: int = 3) -> list[dict]:
    """Boxes by covering: each next box is found on the cases outside the earlier ones, and
    kept while it is denser than the base rate."""
    x, y = cases.x, cases.y
    total = int(y.sum())
    left = np.ones(len(y), dtype=bool)
    boxes = []
    while len(boxes) < max_boxes and y[left].sum() > 0 and left.sum() >= 10:
        b = prim(x[left].reset_index(drop=True), y[left], alpha=alpha, mass_min=mass_min,
                 min_coverage=min_coverage, total=total)
        if not b["restricted"] or b["density"] <= cases.base_rate:
            break
        inside = np.zeros(len(y), dtype=bool)
        inside[np.flatnonzero(left)] = b["_box"].inside(x[left].reset_index(drop=True))
        left &= ~inside
        boxes.append(b)
    return boxes


def _codes(x: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({c: (x[c] if pd.api.types.is_numeric_dtype(x[c]) else x[c].astype("category").cat.codes)
                         for c in x.columns})


def cart_boxes(cases: Cases, *, seed: int = 0, max_depth: int = 3, min_leaf: float = 0.05) -> list[dict]:
    """Leaves of a classification tree where cases of interest are denser than the base rate."""
    require("search")
    from sklearn.tree import DecisionTreeClassifier

    x, y = cases.x, cases.y
    xc = _codes(x)
    tree = DecisionTreeClassifier(max_depth=max_depth, min_samples_leaf=max(2, int(min_leaf * len(y))),
                                  random_state=seed).fit(xc.to_numpy(float), y)
    t = tree.tree_
    total = int(y.sum())
    boxes = []

    def walk(node: int, limits: dict) -> None:
        if t.children_left[node] == -1:
            box = Box(limits)
            ins = box.inside(x)
            cov, dens, n = _stats(ins, y, total)
            if dens > cases.base_rate:
                boxes.append({"coverage": cov, "density": dens, "mass": n / len(y), "cases": n,
                              "restricted": len(limits), "bounds": _bounds_out(box, x),
                              "quasi_p": quasi_p(box, x, y), "_box": box})
            return
        p, thr = x.columns[t.feature[node]], float(t.threshold[node])
        col = x[p]
        if pd.api.types.is_numeric_dtype(col):
            lo, hi = limits.get(p, [-np.inf, np.inf])
            v = col.to_numpy(float)
            left_hi = float(v[v <= thr].max()) if (v <= thr).any() else thr
            right_lo = float(v[v > thr].min()) if (v > thr).any() else thr
            walk(t.children_left[node], {**limits, p: [lo, min(hi, left_hi)]})
            walk(t.children_right[node], {**limits, p: [max(lo, right_lo), hi]})
        else:
            cats = list(col.astype("category").cat.categories)
            kept = limits.get(p, cats)
            walk(t.children_left[node], {**limits, p: [c for i, c in enumerate(cats) if i <= thr and c in kept]})
            walk(t.children_right[node], {**limits, p: [c for i, c in enumerate(cats) if i > thr and c in kept]})

    walk(0, {})
    return sorted(boxes, key=lambda b: (-b["density"], -b["coverage"]))


def feature_scores(cases: Cases, seed: int = 0) -> pd.DataFrame:
    """ExtraTrees impurity importances per parameter, largest first."""
    if cases.y.all() or not cases.y.any():
        return pd.DataFrame({"parameter": list(cases.x.columns), "importance": np.nan})
    require("search")
    from sklearn.ensemble import ExtraTreesClassifier

    et = ExtraTreesClassifier(n_estimators=250, random_state=seed, min_samples_leaf=2)
    et.fit(_codes(cases.x).to_numpy(float), cases.y)
    out = pd.DataFrame({"parameter": list(cases.x.columns), "importance": et.feature_importances_})
    return out.sort_values("importance", ascending=False, ignore_index=True)


@dataclass
class Discovery:
    """The result of scenario discovery: boxes, the first box's trajectory, feature scores."""

    cases: Cases
    method: str
    boxes: list[dict]
    scores: pd.DataFrame
    outcome: str
    policy: str | None

    @property
    def base_rate(self) -> float:
        return self.cases.base_rate

    @property
    def trajectory(self) -> pd.DataFrame:
        t = self.boxes[0].get("trajectory", []) if self.boxes else []
        return pd.DataFrame(t, columns=["step", "coverage", "density", "mass", "cases", "restricted"])

    @property
    def box_table(self) -> pd.DataFrame:
        """One row per box and restricted parameter: bounds (or kept values) and quasi-p."""
        rows = []
        for i, b in enumerate(self.boxes):
            for p, lim in b["bounds"].items():
                num = len(lim) == 2 and all(isinstance(v, float) for v in lim)
                rows.append({"box": i + 1, "coverage": b["coverage"], "density": b["density"], "parameter": p,
                             "low": lim[0] if num else np.nan, "high": lim[1] if num else np.nan,
                             "values": "" if num else " | ".join(map(str, lim)), "quasi_p": b["quasi_p"][p]})
        return pd.DataFrame(rows, columns=["box", "coverage", "density", "parameter", "low", "high", "values",
                                           "quasi_p"])

    def to_json(self) -> dict:
        boxes = [{k: v for k, v in b.items() if k != "_box"} for b in self.boxes]
        return {"kind": "discovery", "method": self.method, "outcome": self.outcome, "policy": self.policy,
                "rule": self.cases.rule, "cases": int(len(self.cases.y)), "cases_of_interest": int(self.cases.y.sum()),
                "base_rate": self.base_rate, "boxes": boxes, "trajectory": self.trajectory.to_dict("records"),
                "feature_scores": self.scores.to_dict("records")}


def discover_cases(cases: Cases, *, method: str = "prim", outcome: str = "", policy: str | None = None,
                   alpha: float = 0.05, min_coverage: float = 0.5, seed: int = 0) -> Discovery:
    """PRIM or CART boxes and feature scores for prepared cases."""
    require("search")  # scikit-learn: checked before any work, whatever the method and cases
    if method == "prim":
        boxes = prim_boxes(cases, alpha=alpha, min_coverage=min_coverage)
    else:
        boxes = cart_boxes(cases, seed=seed)
    return Discovery(cases, method, boxes, feature_scores(cases, seed), outcome, policy)
