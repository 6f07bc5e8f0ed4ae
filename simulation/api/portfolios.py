"""Portfolios under a budget: which options to fund together (`portfolio`).

p = portfolio("scenarios/portfolios/pilots.yaml", budget=2e9, outcome="people_gain:EG.ELC.ACCS.ZS")
p.table        # portfolios.csv: every combination within the budget, its cost, mean outcome, P(best)
p.options      # options.csv: how often each option is in the best portfolio of a run
p.save("results/pilots")
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from .._version import __version__
from ..analysis.appraisal import best_shares
from ..errors import OptionError, Problem
from ..experiments.portfolio import NONE, PortfolioSpec, load_portfolio
from ..experiments.replications import run_scenario
from ..outcomes import metrics
from ..outcomes.registry import NO_GOAL, REGISTRY, column_values, label, metric_problem, outcome_sense, parse
from ..report.figures import save, stable_color, subplots
from ..report.page_parts import CSS
from ..results.folders import atomic_folder
from ..scenario.catalog import resolve
from ..scenario.library import SHIPPED_DIR
from .arguments import checked


@dataclass
class PortfolioResult:
    """Every combination of options that fits the budget, simulated with common random numbers.

    `table` (portfolios.csv): portfolio, options, cost_usd (the file's costs), money_usd (the
    model's extra money against the base, mean), mean, ci_low, ci_high, p05, p50, p95 of the outcome,
    d_mean, d_ci_low, d_ci_high (paired difference to funding nothing),
    p_best (share of runs in which it is the best affordable portfolio), best (the one chosen: the
    highest expected outcome). `options` (options.csv): option, cost_usd, in_chosen, p_in_best.
    `values`: run × portfolio, the outcome (oriented as the registry says, not flipped).
    """

    name: str
    outcome: str
    unit: str
    budget: float
    runs: int
    seed: int
    table: pd.DataFrame
    options: pd.DataFrame
    values: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    @property
    def chosen(self) -> str:
        """The best portfolio by expected outcome within the budget."""
        return str(self.table.loc[self.table.best, "portfolio"].iloc[0])

    def summary(self) -> str:
        """Say which portfolio is chosen, its outcome's distribution, and how often each option is in the best."""
        t = self.table.set_index("portfolio")
        c = t.loc[self.chosen]
        lines = [f"{len(t)} portfolios within US${self.budget:,.4g} simulated ({self.runs} paired runs each) on "
                 f"{self.outcome} ({self.unit}).",
                 f"Best by expected outcome: {self.chosen} (cost US${c.cost_usd:,.4g}): mean {c['mean']:,.6g} "
                 f"(95% CI {c.ci_low:,.6g} to {c.ci_high:,.6g}; 90% of runs {c.p05:,.6g} to {c.p95:,.6g}); "
                 f"best in {c.p_best:.0%} of runs."]
        if NONE in t.index and self.chosen != NONE:
            lines.append(f"Against funding nothing (paired runs): {c.d_mean:+,.6g} {self.unit} "
                         f"(95% CI {c.d_ci_low:+,.6g} to {c.d_ci_high:+,.6g}).")
        lines.append("Share of runs in which each option is in the best portfolio: " + ", ".join(
            f"{r.option} {r.p_in_best:.0%}" for r in self.options.itertuples()) + ".")
        return "\n".join(lines + [f"Note: {n}" for n in self.notes])

    def plot(self, ax=None):
        """Draw the outcome's distribution over runs for the chosen portfolio and for funding nothing."""
        if ax is None:
            _, ax = subplots(figsize=(7, 4))
        for name in dict.fromkeys([self.chosen, NONE]):
            if name in self.values.columns:
                ax.hist(self.values[name], bins=30, alpha=0.55, label=name, color=stable_color(name))
        ax.set_xlabel(f"{self.outcome} ({self.unit})")
        ax.set_ylabel("runs")
        ax.legend(frameon=False, fontsize=8)
        return ax

    def save(self, path: str | Path, *, force: bool = False, command: list[str] | None = None) -> Path:
        """Write the portfolio folder.

        portfolios.csv, options.csv, runs.csv, plots/portfolio (PNG + SVG), manifest.json and
        report.html in a new folder (atomically; an existing one only with `force`).
        """
        with atomic_folder(path, force) as tmp:
            self.table.to_csv(tmp / "portfolios.csv", index=False, float_format="%.6g")
            self.options.to_csv(tmp / "options.csv", index=False, float_format="%.6g")
            self.values.rename_axis("run").reset_index().to_csv(tmp / "runs.csv", index=False, float_format="%.8g")
            fig, ax = subplots(figsize=(7, 4))
            self.plot(ax)
            save(fig, tmp / "plots", "portfolio")
            man = {"sdgsim_version": __version__, "kind": "portfolio", "name": self.name, "outcome": self.outcome,
                   "budget_usd": self.budget, "runs": self.runs, "seed": self.seed, "chosen": self.chosen,
                   "summary": self.summary(), "notes": self.notes, "command": command,
                   "created": datetime.now(timezone.utc).isoformat(timespec="seconds")}
            (tmp / "manifest.json").write_text(json.dumps(man, indent=2))
            body = (f"<h1>sdgsim portfolio: {self.name}</h1><div class=headline>"
                    + "<br>".join(self.summary().splitlines()) + "</div>"
                    + self.table.to_html(index=False, float_format=lambda x: f"{x:,.4g}")
                    + self.options.to_html(index=False, float_format=lambda x: f"{x:,.4g}")
                    + "<p class=muted>Plot: plots/portfolio.svg. Methods: docs/appraisal.md.</p>")
            (tmp / "report.html").write_text(f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
                                             f"<title>sdgsim portfolio</title><style>{CSS}</style></head>"
                                             f"<body>{body}</body></html>")
        return Path(path)


@checked
def portfolio(file: PortfolioSpec | str | Path, *, budget: float | None = None, outcome: str | None = None,
              runs: int | None = None, seed: int | None = None, workers: int = 1, executor: str | None = None,
              progress: Callable[[int], None] | None = None) -> PortfolioResult:
    """Choose the options to fund together within a budget.

    Simulate every combination of a portfolio file's options that fits the budget (the base
    scenario with all the chosen options' changes; replication i of every combination shares its
    random streams), and pick the best by expected `outcome` (NAME[:KEY][@COUNTRY], its registry
    direction). `budget`, `outcome`, `runs`, `seed` default to the file's. Identical results for any
    executor and number of workers.
    """
    spec = (file if isinstance(file, PortfolioSpec)
            else load_portfolio(resolve(str(file), SHIPPED_DIR / "portfolios", kind="portfolio")))
    budget = spec.spec.budget_usd if budget is None else float(budget)
    outcome = outcome or spec.spec.outcome
    runs = runs or spec.spec.runs
    seed = spec.spec.seed if seed is None else seed
    if budget is None or not np.isfinite(budget) or budget < 0:
        raise OptionError([Problem("budget", 1, "budget", "a budget in US$ (>= 0) is needed: --budget or "
                                   "budget_usd in the file")])
    if not outcome:
        raise OptionError([Problem("outcome", 1, "outcome", "an outcome is needed: --outcome or outcome in the file")])
    combos = spec.combinations(budget)
    base = spec.portfolio(())
    name, country, key = parse(outcome)
    if name in REGISTRY and REGISTRY[name].by_indicator and key == NO_GOAL and base.scenario.indicator_ids:
        outcome = label(name, country, base.scenario.indicator_ids[0])
    why = metric_problem(*parse(outcome)[:1], *parse(outcome)[1:], [base.scenario])
    if why:
        raise OptionError([Problem("outcome", 1, outcome, why)])
    sense = outcome_sense(outcome, [base.scenario])
    vals, money, made = {}, {}, []
    for combo in combos:
        p = spec.portfolio(combo)
        res = run_scenario(p.scenario, runs=runs, seed=seed, workers=workers, record_flows="none",
                           progress=progress, executor=executor)
        vals[p.name] = column_values(res, [outcome])[outcome]
        money[p.name] = metrics.extra_money(res)
        made.append(p)
    names = [p.name for p in made]
    V = np.column_stack([vals[n] for n in names])  # (N, portfolios)
    oriented = V * sense
    p_best = best_shares(oriented)
    means = V.mean(axis=0)
    chosen = int(np.argmax(oriented.mean(axis=0)))
    sd = V.std(axis=0, ddof=1)
    half = 1.96 * sd / np.sqrt(runs)
    q = np.percentile(V, [5, 50, 95], axis=0)
    d = V - V[:, [0]]  # paired difference to funding nothing (the first combination)
    d_half = 1.96 * d.std(axis=0, ddof=1) / np.sqrt(runs)
    table = pd.DataFrame({
        "portfolio": names, "options": [len(p.options) for p in made], "cost_usd": [p.cost_usd for p in made],
        "money_usd": [float((money[n] - money[names[0]]).mean()) for n in names],
        "mean": means, "ci_low": means - half, "ci_high": means + half, "p05": q[0], "p50": q[1], "p95": q[2],
        "d_mean": d.mean(axis=0), "d_ci_low": d.mean(axis=0) - d_half, "d_ci_high": d.mean(axis=0) + d_half,
        "p_best": p_best, "best": np.arange(len(names)) == chosen})
    top = oriented == oriented.max(axis=1, keepdims=True)
    share = top / top.sum(axis=1, keepdims=True)  # ties shared
    opts = []
    for o, spec_o in spec.spec.options.items():
        member = np.array([o in p.options for p in made])
        opts.append({"option": o, "cost_usd": spec_o.cost_usd, "in_chosen": bool(member[chosen]),
                     "p_in_best": float(share[:, member].sum(axis=1).mean()),
                     "affordable": bool(spec_o.cost_usd <= budget)})
    notes = [] if len(combos) == 2 ** len(spec.spec.options) else \
        [f"{2 ** len(spec.spec.options) - len(combos)} combinations exceed the budget and were not simulated"]
    return PortfolioResult(spec.name, outcome, REGISTRY[name].unit, budget, runs, seed, table, pd.DataFrame(opts),
                           pd.DataFrame(V, columns=names), notes)


__all__ = ["PortfolioResult", "portfolio"]
