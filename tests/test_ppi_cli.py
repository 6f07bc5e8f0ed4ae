"""`sdgsim ppi run` / `sdgsim ppi calibrate` on PPI-style CSV tables."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from cli import main

IDS = ["water", "health", "energy", "hunger", "gov_qm", "school"]


def write_csv(path: Path, header: list[str], rows: list[list]) -> Path:
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


@pytest.fixture()
def tables(tmp_path: Path) -> dict[str, Path]:
    rng = np.random.default_rng(0)
    I0 = np.array([0.3, 0.5, 0.4, 0.6, 0.55, 0.35])
    IF = I0 + np.array([0.1, 0.08, -0.05, 0.12, 0.05, 0.07])
    rows = []
    for i, name in enumerate(IDS):
        rows.append([name, I0[i], IF[i], [0.6, 0.55, 0.3, 0.7, 0.5, 0.6][i], 0 if name == "school" else 1,
                     IF[i] + 0.1 if IF[i] > I0[i] else I0[i] + 0.05, "" if name == "school" else 0.6,
                     "" if name == "school" else 0.5, 1.0, 0.004, 0.001, 0.05])
    t = {"indicators": write_csv(tmp_path / "indicators.csv",
                                 ["id", "I0", "IF", "success_rate", "instrumental", "goal", "qm", "rl", "Imax", "alpha",
                                  "alpha_prime", "beta"], rows)}
    t["network"] = write_csv(tmp_path / "network.csv", ["origin", "destination", "weight"],
                             [["energy", "water", 0.3], ["water", "health", 0.4], ["hunger", "health", -0.2],
                              ["health", "school", 0.5]])
    T = 15
    t["expenditure"] = write_csv(tmp_path / "expenditure.csv", ["program", *[str(2010 + k) for k in range(T)]],
                                 [[p, *np.round(rng.random(T) * 20 + 10, 2)] for p in ("wash", "health", "energy")])
    t["relations"] = write_csv(tmp_path / "relations.csv", ["indicator", "program"],
                               [["water", "wash"], ["health", "health"], ["health", "wash"], ["energy", "energy"],
                                ["hunger", "health"], ["gov_qm", "energy"]])
    return t


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def table_args(t: dict[str, Path]) -> list[str]:
    return ["-i", str(t["indicators"]), "--network", str(t["network"]), "--expenditure", str(t["expenditure"]),
            "--relations", str(t["relations"])]


def test_calibrate_then_run_with_the_calibrated_parameters(tables, tmp_path):
    cal = tmp_path / "cal"
    r = invoke("ppi", "calibrate", *table_args(tables), "--runs", "40", "--check-runs", "200", "-o", str(cal))
    assert r.exit_code == 0, r.output
    assert "goodness of fit on" in r.output
    params = pd.read_csv(cal / "parameters.csv")
    assert list(params.columns) == ["id", "alpha", "alpha_prime", "beta", "T", "error_alpha", "error_beta",
                                    "GoF_alpha", "GoF_beta"]
    assert list(params.id) == IDS and (params[["alpha", "alpha_prime", "beta"]] >= 0).all().all()
    man = json.loads((cal / "manifest.json").read_text())
    assert man["kind"] == "ppi-calibration" and man["seed"] == 0 and man["periods"] == 15
    sha = hashlib.sha256(tables["indicators"].read_bytes()).hexdigest()
    assert man["inputs"]["indicators"]["sha256"] == sha and "numpy" in man["versions"]
    assert (cal / "fit.png").stat().st_size > 1000 and (cal / "history.csv").exists()

    out = tmp_path / "run"
    r = invoke("ppi", "run", *table_args(tables), "--params", str(cal / "parameters.csv"), "-n", "30", "-s", "4",
               "-o", str(out))
    assert r.exit_code == 0, r.output
    final = pd.read_parquet(out / "final.parquet")
    assert len(final) == 30 * len(IDS) and set(final.indicator) == set(IDS)
    series = pd.read_parquet(out / "series.parquet")
    assert len(series) == 30 * 15 * len(IDS)
    alloc = pd.read_parquet(out / "allocations.parquet")
    assert set(alloc.indicator) == set(IDS) - {"school"}  # collateral indicators get no allocation
    # budgets are spent in full: allocations of period t+1 sum to the expenditure of period t
    bud = pd.read_csv(tables["expenditure"]).drop(columns="program").sum().to_numpy()
    spent = alloc[alloc.run == 0].groupby("period").P.sum().to_numpy()
    np.testing.assert_allclose(spent[1:], bud[:-1], rtol=1e-9)
    man = json.loads((out / "manifest.json").read_text())
    assert man["seed"] == 4 and man["runs"] == 30 and set(man["inputs"]) == {"indicators", "params", "network",
                                                                             "expenditure", "relations"}
    for name in ("summary.csv", "final.png", "trajectories.png", "means.parquet"):
        assert (out / name).stat().st_size > 0

    # same seed, same results; an existing folder needs --force
    r = invoke("ppi", "run", *table_args(tables), "--params", str(cal / "parameters.csv"), "-n", "30", "-s", "4",
               "-o", str(out))
    assert r.exit_code == 2 and "already exists" in r.output
    again = tmp_path / "again"
    invoke("ppi", "run", *table_args(tables), "--params", str(cal / "parameters.csv"), "-n", "30", "-s", "4",
           "--keep", "final", "-o", str(again))
    pd.testing.assert_frame_equal(pd.read_parquet(again / "final.parquet"), final)
    assert not (again / "series.parquet").exists()


def test_run_with_parameters_in_the_indicator_table_and_endogenous_monitoring(tables, tmp_path):
    out = tmp_path / "r"
    r = invoke("ppi", "run", "-i", str(tables["indicators"]), "--periods", "12", "--qm-indicator", "gov_qm", "-n",
               "20", "--keep", "mean", "--compat", "fixed", "-o", str(out))
    assert r.exit_code == 0, r.output
    means = pd.read_parquet(out / "means.parquet")
    assert means.period.max() == 11
    gov = means[means.indicator == "gov_qm"].I
    assert ((gov >= 0) & (gov <= 1)).all()
    assert json.loads((out / "manifest.json").read_text())["compat"] == "fixed"


def edit(path: Path, line: int, column: str, value: str) -> None:
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df.loc[line - 2, column] = value
    df.to_csv(path, index=False)


@pytest.mark.parametrize("table, line, column, value, expected", [
    ("indicators", 3, "I0", "abc", "indicators.csv:3: I0: 'abc' is not a number"),
    ("indicators", 4, "id", "water", "indicators.csv:4: id: duplicate id 'water' (first at line 2)"),
    ("indicators", 2, "instrumental", "2", "indicators.csv:2: instrumental: 2 must be 1 (instrumental) or 0"),
    ("indicators", 5, "Imax", "0.1", "indicators.csv:5: Imax: 0.1 is below I0 = 0.6"),
    ("indicators", 6, "qm", "1.5", "indicators.csv:6: qm: 1.5 is out of range"),
    ("network", 3, "origin", "nowhere", "network.csv:3: origin: unknown indicator 'nowhere'"),
    ("network", 2, "weight", "", "network.csv:2: weight: missing value"),
    ("expenditure", 3, "2012", "-5", "expenditure.csv:3: 2012: -5 is out of range (expected a budget in [0, 1e+18]"),
    ("relations", 4, "program", "defence", "relations.csv:4: program: unknown programme 'defence'"),
    ("relations", 2, "indicator", "school", "relations.csv:2: indicator: 'school' is collateral"),
])
def test_bad_tables_give_file_line_column_errors_and_exit_2(tables, tmp_path, table, line, column, value, expected):
    edit(tables[table], line, column, value)
    r = invoke("ppi", "run", *table_args(tables), "-n", "5", "-o", str(tmp_path / "x"))
    assert r.exit_code == 2
    assert expected in r.output, r.output
    assert "Traceback" not in r.output and not (tmp_path / "x").exists()


def test_table_level_problems_are_located(tables, tmp_path):
    out = str(tmp_path / "x")
    r = invoke("ppi", "run", *table_args(tables), "--periods", "10", "-o", out)
    assert r.exit_code == 2 and "expenditure.csv:1: <header>: 15 period columns but --periods 10" in r.output
    df = pd.read_csv(tables["indicators"]).drop(columns=["beta"])
    df.to_csv(tables["indicators"], index=False)
    r = invoke("ppi", "run", "-i", str(tables["indicators"]), "-o", out)
    assert r.exit_code == 2 and "indicators.csv:1: beta: missing column 'beta'" in r.output
    r = invoke("ppi", "calibrate", "-i", str(tmp_path / "missing.csv"), "-o", out)
    assert r.exit_code == 2 and "missing.csv:1: <file>: indicators table not found" in r.output
    (tmp_path / "empty.csv").write_text("")
    r = invoke("ppi", "calibrate", "-i", str(tmp_path / "empty.csv"), "-o", out)
    assert r.exit_code == 2 and "empty.csv:1: <header>: empty file" in r.output
