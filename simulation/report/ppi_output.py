"""Results folders of `sdgsim ppi run` and `sdgsim ppi calibrate`: Parquet, CSV, PNG, manifest.

Folders are written atomically (store.atomic_folder: built in a temporary sibling and
renamed into place) and never overwrite an existing folder without `force`.

run folder:   manifest.json, final.parquet (run, indicator, I_final, gamma_mean,
              success_rate), means.parquet (period, indicator, I, G, S, P, C, F; mean
              over runs), series.parquet (run, period, indicator, I, G, S) and
              allocations.parquet (run, period, indicator, P, C, F) with --keep series,
              summary.csv, final.png, trajectories.png
calibration:  manifest.json, parameters.csv (PPI's columns, usable as --params),
              history.csv, fit.png
"""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from .._version import __version__
from ..ppi.calibration import CalibrationResult
from ..ppi.engine import PPIResult
from ..ppi.tables import PPIInputs
from ..results.folders import atomic_folder
from .figures import subplots

BLUE, ORANGE, GREY = "#1f5fa8", "#d9822b", "#4d4d4d"


def manifest(kind: str, inputs: PPIInputs, *, seed: int | None, options: dict, started: datetime,
             command: list[str] | None = None, extra: dict | None = None) -> dict:
    import matplotlib as mpl
    import scipy

    return {
        "sdgsim_version": __version__,
        "kind": kind,
        "model": "Policy Priority Inference 3.0.7 dynamics (simulation.ppi)",
        "seed": seed,
        "seeding": "run r uses numpy.random.SeedSequence(seed) child r (spawn_key=(r,)) driving an SFC64 generator",
        "inputs": inputs.files,
        "options": options,
        "indicators": len(inputs.ids),
        "started": started.isoformat(timespec="seconds"),
        "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": command if command is not None else sys.argv,
        "versions": {"python": sys.version.split()[0], "numpy": np.__version__, "pandas": pd.__version__,
                     "scipy": scipy.__version__, "matplotlib": mpl.__version__},
        **(extra or {}),
    }


def summary_frame(result: PPIResult, inputs: PPIInputs) -> pd.DataFrame:
    """Per indicator: I0, final level (mean, 5th and 95th percentiles over runs), mean γ, growth share."""
    I0 = np.asarray(inputs.kwargs["I0"], dtype=float)
    fin = result.I_final
    inst = np.zeros(result.N, dtype=bool)
    inst[result.instrumental] = True
    return pd.DataFrame({
        "indicator": inputs.ids, "instrumental": inst.astype(int), "I0": I0,
        "final_mean": fin.mean(axis=0), "final_p05": np.percentile(fin, 5, axis=0),
        "final_p95": np.percentile(fin, 95, axis=0), "change_mean": fin.mean(axis=0) - I0,
        "gamma_mean": result.gamma_mean.mean(axis=0), "success_rate": result.success_rate.mean(axis=0),
        "runs": result.runs,
    })


def _final_plot(summary: pd.DataFrame, path: Path) -> None:
    s = summary.sort_values("change_mean").reset_index(drop=True)
    h = max(3.0, 0.22 * len(s) + 1.2)
    fig, ax = subplots(figsize=(7.5, min(h, 30)))
    y = np.arange(len(s))
    ax.hlines(y, s.final_p05, s.final_p95, color=BLUE, alpha=0.35, lw=4, label="90 % of runs")
    ax.scatter(s.I0, y, color=GREY, s=14, label="I0", zorder=3)
    ax.scatter(s.final_mean, y, color=BLUE, s=18, label="final (mean)", zorder=4)
    ax.set_yticks(y, s.indicator, fontsize=7 if len(s) > 40 else 8)
    ax.set_xlabel("indicator level")
    ax.set_title(f"Initial and final levels ({int(s.runs.iloc[0])} runs)")
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(axis="x", alpha=0.3)
    fig.savefig(path, dpi=110, bbox_inches="tight")


def _trajectory_plot(result: PPIResult, ids: list[str], path: Path, top: int = 12) -> None:
    mean = result.mean("I")  # (N, T)
    change = np.abs(mean[:, -1] - mean[:, 0])
    pick = np.argsort(-change)[:top]
    k = len(pick)
    cols = min(4, k)
    rows = -(-k // cols)
    fig, axes = subplots(rows, cols, figsize=(3.0 * cols, 2.3 * rows), squeeze=False, sharex=True)
    t = np.arange(result.T)
    band = result._series is not None
    if band:
        I = result.tsI
    for ax, i in zip(axes.flat, pick):
        if band:
            lo, hi = np.percentile(I[:, i, :], [5, 95], axis=0)
            ax.fill_between(t, lo, hi, color=BLUE, alpha=0.2, lw=0)
        ax.plot(t, mean[i], color=BLUE, lw=1.5)
        ax.set_title(ids[i][:28], fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[k:]:
        ax.axis("off")
    fig.suptitle(f"Indicators with the largest mean change: mean{' and 90 % band' if band else ''} over "
                 f"{result.runs} runs", fontsize=9)
    fig.supxlabel("period", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110, bbox_inches="tight")


def _tidy_series(result: PPIResult, ids: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    R, T, N = result.runs, result.T, result.N
    inst = result.instrumental
    ser = result._series
    idx = np.array(ids, dtype=object)
    full = pd.DataFrame({
        "run": np.repeat(np.arange(R), T * N), "period": np.tile(np.repeat(np.arange(T), N), R),
        "indicator": np.tile(idx, R * T),
        "I": ser["I"].reshape(-1), "G": ser["G"].reshape(-1), "S": ser["S"].reshape(-1)})
    n = len(inst)
    alloc = pd.DataFrame({
        "run": np.repeat(np.arange(R), T * n), "period": np.tile(np.repeat(np.arange(T), n), R),
        "indicator": np.tile(idx[inst], R * T),
        "P": ser["P"].reshape(-1), "C": ser["C"].reshape(-1), "F": ser["F"].reshape(-1)})
    return full, alloc


def _means_frame(result: PPIResult, ids: list[str]) -> pd.DataFrame:
    T, N = result.T, result.N
    out = {"period": np.repeat(np.arange(T), N), "indicator": np.tile(np.array(ids, dtype=object), T)}
    for name in ("I", "G", "S"):
        out[name] = result.mean(name).T.reshape(-1)
    for name in ("P", "C", "F"):
        full = np.full((T, N), np.nan)
        full[:, result.instrumental] = result.mean(name).T
        out[name] = full.reshape(-1)
    return pd.DataFrame(out)


def write_run(result: PPIResult, inputs: PPIInputs, out: str | Path, *, force: bool, options: dict,
              started: datetime, command: list[str] | None = None) -> tuple[Path, pd.DataFrame]:
    """Write the results folder of a PPI run atomically; returns (folder, summary)."""
    out = Path(out)
    summary = summary_frame(result, inputs)
    with atomic_folder(out, force) as tmp:
        R, N = result.runs, result.N
        pd.DataFrame({"run": np.repeat(np.arange(R), N), "indicator": np.tile(np.array(inputs.ids, dtype=object), R),
                      "I_final": result.I_final.reshape(-1), "gamma_mean": result.gamma_mean.reshape(-1),
                      "success_rate": result.success_rate.reshape(-1)}).to_parquet(tmp / "final.parquet", index=False)
        if result.keep in ("series", "mean"):
            _means_frame(result, inputs.ids).to_parquet(tmp / "means.parquet", index=False)
            _trajectory_plot(result, inputs.ids, tmp / "trajectories.png")
        if result.keep == "series":
            full, alloc = _tidy_series(result, inputs.ids)
            full.to_parquet(tmp / "series.parquet", index=False)
            alloc.to_parquet(tmp / "allocations.parquet", index=False)
        summary.to_csv(tmp / "summary.csv", index=False, float_format="%.6g")
        _final_plot(summary, tmp / "final.png")
        man = manifest("ppi-run", inputs, seed=result.seed, options=options, started=started, command=command,
                       extra={"runs": result.runs, "periods": result.T, "compat": result.compat})
        (tmp / "manifest.json").write_text(json.dumps(man, indent=2))
    return out, summary


def _fit_plot(res: CalibrationResult, inputs: PPIInputs, path: Path) -> None:
    fig, (a1, a2) = subplots(1, 2, figsize=(11, 4.2))
    IF = inputs.IF
    sim = IF - res.error_alpha
    a1.scatter(IF, sim, color=BLUE, s=16)
    lo, hi = float(min(IF.min(), sim.min())), float(max(IF.max(), sim.max()))
    a1.plot([lo, hi], [lo, hi], color=GREY, lw=1, ls="--")
    a1.set_xlabel("empirical final value IF")
    a1.set_ylabel("simulated final value (mean)")
    a1.set_title(f"Final values ({res.check_runs} independent runs)", fontsize=10)
    a1.grid(alpha=0.3)
    x = np.arange(len(res.alphas))
    a2.bar(x - 0.2, res.gof_alpha, width=0.4, color=BLUE, label="GoF final value")
    a2.bar(x + 0.2, res.gof_beta, width=0.4, color=ORANGE, label="GoF success rate")
    a2.axhline(res.threshold, color=GREY, ls="--", lw=1, label=f"threshold {res.threshold:g}")
    a2.set_ylim(min(0.0, float(np.min([res.gof_alpha, res.gof_beta]))) - 0.02, 1.02)
    a2.set_xlabel("indicator")
    a2.set_title(f"Goodness of fit per indicator (worst {res.worst_gof:.3f})", fontsize=10)
    if len(x) <= 40:
        a2.set_xticks(x, inputs.ids, rotation=90, fontsize=7)
    a2.legend(fontsize=8, loc="lower left")
    a2.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110, bbox_inches="tight")


def write_calibration(res: CalibrationResult, inputs: PPIInputs, out: str | Path, *, force: bool, options: dict,
                      started: datetime, command: list[str] | None = None) -> Path:
    """Write the results folder of a calibration atomically."""
    out = Path(out)
    with atomic_folder(out, force) as tmp:
        frame = res.to_frame()
        frame.insert(0, "id", inputs.ids)
        frame.to_csv(tmp / "parameters.csv", index=False, float_format="%.10g")
        pd.DataFrame(res.history).to_csv(tmp / "history.csv", index=False, float_format="%.6g")
        _fit_plot(res, inputs, tmp / "fit.png")
        man = manifest("ppi-calibration", inputs, seed=res.seed, options=options, started=started, command=command,
                       extra={"periods": res.T, "iterations": res.iterations, "runs_simulated": res.runs_simulated,
                              "check_runs": res.check_runs, "worst_gof": res.worst_gof, "converged": res.converged,
                              "seconds": round(res.seconds, 3)})
        (tmp / "manifest.json").write_text(json.dumps(man, indent=2))
    return out
