"""Run folders: a run's tidy tables, its summary and its manifest, written atomically.

Layout: manifest.json, scores.parquet (run, year, country, goal, score), flows.parquet
(run, year, source, recipient, goal, instrument, amount_usd), balance.parquet (run,
year, account, amount_usd), adoption.parquet, summary.csv.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from .._version import __version__
from .folders import atomic_folder, versions


def manifest(result, *, scenario_file: str | None, sets: list[str], started: datetime,
             command: list[str] | None = None, extra: dict | None = None) -> dict:
    sc = result.scenario
    return {
        "sdgsim_version": __version__,
        "kind": "run",
        "scenario_name": sc.name,
        "scenario_file": scenario_file,
        "scenario_hash": sc.content_hash(),
        "overrides": list(sets),
        "seed": result.seed,
        "runs": result.runs,
        "seeding": "numpy.random.SeedSequence(seed).spawn(runs)[i] for replication i",
        "started": started.isoformat(timespec="seconds"),
        "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": command if command is not None else sys.argv,
        "versions": versions(),
        "scenario": sc.model_dump(mode="json"),
        **(extra or {}),
    }


def write_run(result, summary: pd.DataFrame, out: str | Path, *, force: bool, scenario_file: str | None,
              sets: list[str], started: datetime, command: list[str] | None = None) -> Path:
    """Write a run's results folder atomically and return its path."""
    out = Path(out)
    with atomic_folder(out, force) as tmp:
        result.scores_frame().to_parquet(tmp / "scores.parquet", index=False)
        result.balance_frame().to_parquet(tmp / "balance.parquet", index=False)
        result.adoption_frame().to_parquet(tmp / "adoption.parquet", index=False)
        if result.scenario.indicators:
            result.indicators_frame().to_parquet(tmp / "indicators.parquet", index=False)
        if result.flows is not None:
            result.flows.to_parquet(tmp / "flows.parquet", index=False)
        summary.to_csv(tmp / "summary.csv", index=False, float_format="%.6g")
        man = manifest(result, scenario_file=scenario_file, sets=sets, started=started, command=command)
        (tmp / "manifest.json").write_text(json.dumps(man, indent=2, sort_keys=False))
    return out
