"""Appraise options: the cost-effectiveness of a comparison, the value of information of a sweep.

Appraising options: cost-effectiveness of a comparison (`appraise`) and the value of information
of a sweep (`voi`), with the statistics of `simulation.analysis.appraisal`.

    a = appraise("results/compare", outcome="people_gain:EG.ELC.ACCS.ZS", wtp=(0, 5000))
    a.table        # ce.csv: incremental cost and effect, ICER, dominance, net benefit, P(best)
    a.ceac         # ceac.csv: wtp, option, probability, on_frontier
    a.save("results/compare/appraisal")
    v = voi("results/pooling", outcome="people_gain:EG.ELC.ACCS.ZS")
    v.table        # voi.csv: parameter, evppi, se (first row: (all) = EVPI)
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from .._version import __version__
from ..analysis import appraisal as stats
from ..errors import OptionError, Problem, ResultsError
from ..outcomes.registry import NO_GOAL, REGISTRY, label, metric_problem, outcome_sense, parse
from ..report import appraisal_plots
from ..report.appraisal_html import appraisal_page
from ..report.figures import subplots
from ..report.page_parts import CSS
from ..results.folders import atomic_folder, damaged_folder_errors, read_manifest, write_file_atomic
from .arguments import checked
from .results import read_results
from .runs import ComparisonResult, RunResult
from .sweeps import SweepResult, read_sweep


def _unit(outcome: str) -> str:
    return REGISTRY[parse(outcome)[0]].unit


def _per(unit: str) -> str:
    """'per person', 'per index point', ... (US$ per unit of effect)."""
    return "per person" if unit == "people" else f"per {unit[:-1] if unit.endswith('points') else unit}"


# --------------------------------------------------------------------------- per-run cost and effect of a comparison


def _per_run_values(run: RunResult, outcome: str) -> np.ndarray:
    name, country, key = parse(outcome)
    arr, cs, gs = run.values.values[name]
    return arr[:, cs.index(country), gs.index(key)].astype(float)


def _money_by_source(run: RunResult) -> tuple[pd.DataFrame, bool]:
    """Give the money per run and source.

    Money per run and source (flows, without mobilised private co-finance), and whether it is
    per run (full flows) rather than each source's mean repeated (yearly flows).
    """
    flows = run.flows
    if flows is None:
        return pd.DataFrame(index=range(run.runs)), False
    if "run" in flows.columns:
        by = flows.groupby(["run", "source"], observed=True).amount_usd.sum().unstack(fill_value=0.0)
        return by.reindex(range(run.runs), fill_value=0.0).drop(columns="private", errors="ignore"), True
    mean = flows.groupby("source", observed=True).amount_usd.sum() / flows.runs.max()
    by = pd.DataFrame([mean.to_numpy()] * run.runs, columns=mean.index)
    return by.drop(columns="private", errors="ignore"), False


def _gather(source: ComparisonResult | str | Path) -> tuple[dict, dict, dict, str, list[str], str | None]:
    """Name → RunResult, money put in per run, money by source; the reference; notes; the folder."""
    if isinstance(source, ComparisonResult):
        comp, where = source, str(source.folder) if source.folder else None
    else:
        folder = Path(source)
        man = read_manifest(folder)
        if man.get("kind") != "compare":
            raise ResultsError([Problem(str(folder / "manifest.json"), 1, "kind",
                                        f"not a comparison folder (kind {man.get('kind', 'run')!r}; "
                                        "appraise reads the folder of sdgsim compare)")])
        with damaged_folder_errors(folder):
            comp = read_results(folder)
        where = str(folder)
    runs, money, by, notes = dict(comp.runs), {}, {}, []
    for name, r in runs.items():
        money[name] = r.values.extra_money
        by[name], paired = _money_by_source(r)
        if not paired:
            notes.append("costs by source are means over runs (flows were not kept per run: compare with --flows "
                         "full for paired ones); the total per run is paired")
    return runs, money, by, comp.reference, list(dict.fromkeys(notes)), where


@dataclass
class AppraisalResult:
    """Cost-effectiveness of each option of a comparison against its reference.

    `table` (ce.csv): one row per option (`analysis.appraisal.ce_table`); `ceac` (ceac.csv): wtp,
    option, probability, expected_net_benefit, on_frontier; `per_run`: run, option, cost, effect,
    d_cost, d_effect; `by_source`: mean incremental money per source; `notes`: what the numbers rest on.
    """

    outcome: str
    unit: str
    reference: str
    wtp: tuple[float, float]
    table: pd.DataFrame
    ceac: pd.DataFrame
    per_run: pd.DataFrame
    by_source: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    source: str | None = None

    @property
    def threshold(self) -> float:
        """The willingness to pay at which net benefit and P(best) are stated in `table` (mid-range)."""
        return float(self.table.wtp.iloc[0])

    def summary(self) -> str:
        """Say in a few lines each option's place on the plane, its ICER and the best buy at the threshold."""
        lines = [f"Appraisal of {self.outcome} ({self.unit}) against {self.reference}; cost = money put in "
                 "by every funder (donors, partnership, research and domestic budgets; not mobilised private)."]
        for r in self.table.itertuples():
            if r.option == self.reference:
                continue
            ratio = (f"ICER US${r.icer:,.4g} {_per(self.unit)}" + (f" (95% CI {r.icer_low:,.4g} to {r.icer_high:,.4g})"
                     if np.isfinite(r.icer_low) else " (interval unbounded: the effect may be nil)")
                     if np.isfinite(r.icer) else "no ratio to state")
            lines.append(f"  {r.option}: Δcost US${r.d_cost:,.4g}, Δeffect {r.d_effect:,.4g} {self.unit} — "
                         f"{r.quadrant}; {ratio}; {r.status}.")
        best = self.table.loc[self.table.p_best.idxmax()]
        lines.append(f"At US${self.threshold:,.4g} {_per(self.unit)}, {best.option} is most likely the best buy "
                     f"(P = {best.p_best:.0%} of paired runs).")
        return "\n".join(lines + [f"Note: {n}" for n in self.notes])

    def plot(self, ax=None, kind: str = "plane"):
        """Draw the cost-effectiveness plane (`kind="plane"`) or the acceptability curve (`"ceac"`)."""
        if kind == "ceac":
            return appraisal_plots.draw_ceac(ax, self.ceac, self.unit)
        return appraisal_plots.draw_plane(ax, self.per_run, self.reference, self.unit, self.threshold)

    def save(self, path: str | Path, *, force: bool = False, command: list[str] | None = None) -> Path:
        """Write the appraisal folder.

        Write ce.csv, ceac.csv, runs.csv, by_source.csv, plots/ (PNG + SVG), manifest.json and
        report.html into a new folder (atomically; an existing one only with `force`).
        """
        with atomic_folder(path, force) as tmp:
            self.table.to_csv(tmp / "ce.csv", index=False, float_format="%.6g")
            self.ceac.to_csv(tmp / "ceac.csv", index=False, float_format="%.6g")
            self.per_run.to_csv(tmp / "runs.csv", index=False, float_format="%.8g")
            self.by_source.to_csv(tmp / "by_source.csv", index=False, float_format="%.6g")
            plots = appraisal_plots.draw_all(tmp, self.per_run, self.ceac, self.reference, self.unit, self.unit,
                                             self.threshold)
            man = {"sdgsim_version": __version__, "kind": "appraisal", "source": self.source,
                   "outcome": self.outcome, "unit": self.unit, "reference": self.reference,
                   "wtp": list(self.wtp), "threshold": self.threshold, "notes": self.notes, "plots": plots,
                   "summary": self.summary(), "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                   "command": command}
            (tmp / "manifest.json").write_text(json.dumps(man, indent=2))
            (tmp / "report.html").write_text(appraisal_page(tmp, man, CSS))
        return Path(path)


def _default_range(cost: np.ndarray, effect: np.ndarray, r: int, names: list[str], outcome: str,
                   threshold: float | None, notes: list[str]) -> tuple[float, float]:
    """Choose the acceptability curve's range when none is given (`stats.default_wtp`).

    Widened to hold a given threshold in its middle or below; said in `notes` when it rests on no price.
    """
    chosen = stats.default_wtp(cost, effect, r, names, _per(_unit(outcome)))
    if threshold is not None and threshold > 0 and (chosen is None or threshold > chosen.high / 2):
        return 0.0, 2 * float(threshold)
    if chosen is None:
        raise OptionError([Problem("wtp", 1, "<default>", "no option differs from the reference in both mean money "
                                   "and mean effect, so no willingness-to-pay range can be read from them: give "
                                   "--wtp LOW:HIGH (US$ per unit of effect) or --threshold")])
    if not chosen.price:
        notes.append(f"willingness-to-pay range 0 to US${chosen.high:,.4g}: {chosen.basis}; give --wtp or "
                     "--threshold for your own")
    return chosen.low, chosen.high


@checked
def appraise(comparison: ComparisonResult | str | Path, outcome: str = "people_gain", *,
             wtp: tuple[float, float] | None = None, threshold: float | None = None, points: int = 101,
             level: float = stats.LEVEL, seed: int = 0) -> AppraisalResult:
    """Appraise the cost-effectiveness of every option of a comparison against its reference.

    Cost-effectiveness of every option of a comparison (in memory, or its folder) against its
    reference, per paired run: cost = money put in by every funder over the horizon (as costs.csv's
    extra money: donors, partnership, research and domestic budgets, not the private co-finance
    blended finance mobilises), effect = the registry value `outcome` (NAME[:KEY][@COUNTRY],
    oriented so that more is better; `people_gain` alone takes the scenarios' first indicator).

    `wtp`: the range of willingness to pay (US$ per unit of effect) of the acceptability curve
    (default: 0 to three times the largest ratio that is a price: an ICER against the reference
    or a sequential ICER on the frontier; without one, as every option dominates or is
    dominated, three times the largest |Δcost| / |Δeffect|, said in `notes`; widened to twice
    `threshold` when that is higher; `analysis.appraisal.default_wtp`); `threshold`: the one at
    which net benefit and P(best) are stated (default: the middle of the range).
    """
    runs, money, by, reference, notes, where = _gather(comparison)
    names = list(runs)
    scenarios = [r.scenario for r in runs.values()]
    name, country, key = parse(outcome)
    if name in REGISTRY and REGISTRY[name].by_indicator and key == NO_GOAL and scenarios[0].indicator_ids:
        key = scenarios[0].indicator_ids[0]
        outcome = label(name, country, key)
    why = metric_problem(name, country, key, scenarios)
    if why:
        raise OptionError([Problem("outcome", 1, outcome, why)])
    sense = outcome_sense(outcome, scenarios)
    effect = np.column_stack([_per_run_values(runs[n], outcome) * sense for n in names])
    cost = np.column_stack([money[n] for n in names])
    if not np.isfinite(effect).all() or not np.isfinite(cost).all():
        raise OptionError([Problem("outcome", 1, outcome, "not saved per run in this folder (written by an older "
                                   "sdgsim without the per-run finance table); appraise the comparison in memory: "
                                   "sim.appraise(sim.compare(...)), or run the comparison again")])
    r = names.index(reference)
    low, high = wtp if wtp is not None else _default_range(cost, effect, r, names, outcome, threshold, notes)
    if not (np.isfinite(low) and np.isfinite(high) and 0 <= low < high):
        raise OptionError([Problem("wtp", 1, f"{low}:{high}", "expected 0 <= LOW < HIGH, finite (US$ per unit)")])
    lam = (low + high) / 2 if threshold is None else float(threshold)
    table = stats.ce_table(names, cost, effect, reference, lam, level, seed)
    curve = stats.ceac(names, cost, effect, stats.wtp_grid(low, high, points))
    N = cost.shape[0]
    per_run = pd.DataFrame({"run": np.tile(np.arange(N), len(names)), "option": np.repeat(names, N),
                            "cost": cost.T.reshape(-1), "effect": effect.T.reshape(-1),
                            "d_cost": (cost - cost[:, [r]]).T.reshape(-1),
                            "d_effect": (effect - effect[:, [r]]).T.reshape(-1)})
    sources = sorted({c for b in by.values() for c in b.columns})
    rows = [{"option": n, "source": s,
             "money_usd": float(by[n][s].mean()) if s in by[n] else 0.0,
             "d_money_usd": float(by[n][s].mean() if s in by[n] else 0.0)
             - float(by[reference][s].mean() if s in by[reference] else 0.0)} for n in names for s in sources]
    by_source = pd.DataFrame(rows, columns=["option", "source", "money_usd", "d_money_usd"])
    return AppraisalResult(outcome, _unit(outcome), reference, (float(low), float(high)), table, curve, per_run,
                           by_source, notes, where)


# --------------------------------------------------------------------------- value of information of a sweep


@dataclass
class VoiResult:
    """The value of information for the choice of policy in a sweep.

    `table` (voi.csv): parameter, evppi, se, null (the EVPPI found with the parameter shuffled: the
    method's bias in noise), share_of_evpi, knots; its first row `(all)` is the EVPI;
    values in the outcome's unit, or in US$ when a willingness to pay (`wtp`) prices a cost outcome in.
    """

    outcome: str
    unit: str
    wtp: float | None
    cost: str | None
    table: pd.DataFrame
    policies: list[str]
    best: str
    samples: int
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """Say in words the EVPI and the parameters worth resolving."""
        t = self.table
        total = t.iloc[0]
        lines = [f"Choice among {', '.join(self.policies)} on {self.outcome} ({self.unit}); with today's "
                 f"information choose {self.best}. Perfect information on everything (EVPI): {total.evppi:,.4g} "
                 f"{self.unit} per decision (SE {total.se:,.3g}), over {self.samples} samples."]
        for r in t.iloc[1:].itertuples():
            noise = r.null if np.isfinite(r.null) else 0.0
            worth = ("worth nothing for this choice (within 2 SE of what shuffled values give)"
                     if r.evppi <= noise + 2 * r.se
                     else f"worth {r.evppi:,.4g} {self.unit} (SE {r.se:,.3g}; {r.share_of_evpi:.0%} of the EVPI)")
            lines.append(f"  resolving {r.parameter}: {worth}")
        return "\n".join(lines + [f"Note: {n}" for n in self.notes])

    def plot(self, ax=None):
        """EVPPI per parameter and group (±2 SE) beside the EVPI."""
        return appraisal_plots.draw_voi(ax, self.table, self.unit)

    def save(self, path: str | Path, *, force: bool = False) -> Path:
        """Write voi.csv and its plot.

        voi.csv at `path` (atomically; an existing file only with `force`), and its plot beside it
        (`<stem>.png`, `.svg`).
        """
        path = Path(path)
        if path.exists() and not force:
            raise ResultsError([Problem(str(path), 1, "<output>", "already exists (use --force to replace it)")])
        path.parent.mkdir(parents=True, exist_ok=True)
        write_file_atomic(path, self.table.to_csv(index=False, float_format="%.6g"))
        fig, ax = subplots(figsize=(7, 0.4 * len(self.table) + 1.5))
        self.plot(ax)
        fig.savefig(path.with_suffix(".png"), dpi=110, bbox_inches="tight")
        fig.savefig(path.with_suffix(".svg"), bbox_inches="tight")
        meta = {"outcome": self.outcome, "unit": self.unit, "wtp": self.wtp, "cost": self.cost,
                "policies": self.policies, "best": self.best, "samples": self.samples, "notes": self.notes,
                "summary": self.summary(), "table": path.name}
        write_file_atomic(path.with_suffix(".json"), json.dumps(meta, indent=2))
        return path


@checked
def voi(sweep: SweepResult | str | Path, outcome: str, *, wtp: float | None = None, cost: str | None = None,
        groups: dict[str, list[str]] | None = None, resamples: int = stats.EVPPI_BOOTSTRAP,
        seed: int = 0) -> VoiResult:
    """EVPI and EVPPI (per uncertain parameter and per group) for the choice among a sweep's policies.

    The net benefit of a policy in a run is its `outcome` value (oriented so that more is better),
    or, with `wtp` and `cost` (a US$ outcome column, e.g. overhead_usd), wtp · outcome − cost.
    Samples are (design point, replication) pairs, paired across policies; EVPPI is by regression on
    the sampled parameter values (`analysis.appraisal.evppi`), its SE a bootstrap over design points.
    """
    sr = sweep if isinstance(sweep, SweepResult) else read_sweep(sweep)
    where = str(sr.folder / "manifest.json") if sr.folder else "sweep"
    policies = list(dict.fromkeys(sr.runs.policy))
    if len(policies) < 2:
        raise OptionError([Problem(where, 1, "policies", "the value of information is for a choice: the sweep "
                                   "needs two or more policies")])
    params = [p for p in sr.manifest["columns"]["parameters"] if p in sr.runs.columns]
    if not params:
        raise OptionError([Problem(where, 1, "parameters", "the sweep varies no parameter")])
    for col in (outcome, cost):
        if col is not None and col not in sr.runs.columns:
            known = ", ".join(sr.manifest["columns"]["outcomes"][:8])
            raise OptionError([Problem("outcome" if col == outcome else "cost", 1, col,
                                       f"not a column of this sweep's runs (e.g. {known}, ...)")])
    if cost is not None and wtp is None:
        raise OptionError([Problem("wtp", 1, "wtp", "a cost column needs a willingness to pay to price the effect")])
    ok = sr.runs[sr.runs.status == "ok"]
    sense = sr.manifest.get("senses", {}).get(outcome) or outcome_sense(outcome)
    value = ok[outcome] * sense if wtp is None else wtp * ok[outcome] * sense - (ok[cost] if cost else 0.0)
    wide = ok.assign(_nb=value).pivot_table(index=["point", "replication"], columns="policy", values="_nb",
                                            aggfunc="first")[policies].dropna()
    notes = []
    if len(wide) < len(ok) / len(policies):
        notes.append(f"{int(len(ok) / len(policies) - len(wide))} samples left out: some policy's run failed")
    design = sr.runs.drop_duplicates(["point", "replication"]).set_index(["point", "replication"])[params]
    x = design.loc[wide.index].astype(float)
    x = x.loc[:, x.nunique() > 1]
    for g, members in (groups or {}).items():
        bad = [m for m in members if m not in x.columns]
        if bad or not members:
            raise OptionError([Problem("groups", 1, g, f"unknown or fixed parameter(s) {', '.join(bad) or '(none)'} "
                                       f"(the sweep varies: {', '.join(x.columns)})")])
    nb = wide.to_numpy(float)
    ref = int(np.argmax(nb.mean(axis=0)))
    clusters = wide.index.get_level_values("point").to_numpy()
    table = stats.voi_table(nb, x.reset_index(drop=True), groups, ref, clusters, resamples, seed)
    unit = "US$" if wtp is not None else _unit(outcome)
    if not sr.manifest.get("sweep", {}).get("common_random_numbers", True):
        notes.append("the sweep ran without common random numbers: policies' runs are not paired")
    return VoiResult(outcome, unit, wtp, cost, table, policies, policies[ref], len(nb), notes)


__all__ = ["AppraisalResult", "VoiResult", "appraise", "voi"]
