"""`sdgsim run` and the results folder contract."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from cli import main
from simulation.results.folders import atomic_folder
from tests.factory import BASELINE


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("r") / "base"
    res = CliRunner().invoke(main, ["run", str(BASELINE), "--runs", "12", "--seed", "3", "--out", str(out)])
    assert res.exit_code == 0, res.output
    return out, res.output


def test_run_report_names_each_indicator_and_gives_its_people_beside_summary_csv(run_dir):
    out, _ = run_dir
    html = (out / "report.html").read_text()
    section = html.split("<h2>People, all countries</h2>", 1)[1].split("<h2>", 1)[0]
    summary = pd.read_csv(out / "summary.csv").set_index(["country", "metric"])
    for ind, name in (("EG.ELC.ACCS.ZS", "Access to electricity"), ("SH.DYN.MORT", "Under-5 mortality")):
        row = next(r for r in section.split("<tr>") if f"({ind})" in r)
        assert name.lower() in row.lower(), row
        gain = summary.loc[("ALL", f"people_gain:{ind}"), "mean"]
        shown = f"{gain / 1e6:.2f} m" if abs(gain) >= 1e6 else f"{gain:,.0f}"
        last = row.split("</td>")[-2]  # "better off than in 2020": mean [90 % interval]
        assert last.split(">")[-1].startswith(shown + " ["), (shown, row)


def test_run_writes_the_results_folder_of_the_design(run_dir):
    out, _ = run_dir
    names = {p.name for p in out.iterdir()}
    assert {"manifest.json", "scores.parquet", "flows.parquet", "summary.csv", "balance.parquet",
            "report.html"} <= names
    assert (out / "plots" / "fan_chart.png").exists()
    scores = pd.read_parquet(out / "scores.parquet")
    assert list(scores.columns) == ["run", "year", "country", "goal", "score"]
    assert scores.run.nunique() == 12 and scores.year.min() == 2020 and scores.year.max() == 2030
    assert scores.score.between(0, 100).all()
    flows = pd.read_parquet(out / "flows.parquet")  # default detail: yearly sums over the runs
    assert list(flows.columns) == ["year", "source", "recipient", "goal", "instrument", "amount_usd", "runs"]
    assert (flows.amount_usd > 0).all() and (flows.runs == 12).all()
    assert {"grant", "domestic", "research"} <= set(flows.instrument)
    assert json.loads((out / "manifest.json").read_text())["flows"] == "yearly"


def test_manifest_records_what_is_needed_to_reproduce(run_dir):
    out, _ = run_dir
    man = json.loads((out / "manifest.json").read_text())
    assert man["seed"] == 3 and man["runs"] == 12
    assert len(man["scenario_hash"]) == 64
    assert man["scenario"]["name"] == "baseline"
    for key in ("sdgsim_version", "started", "finished", "command", "versions"):
        assert key in man


def test_start_scores_equal_the_scenario_and_balance_reconciles(run_dir):
    out, _ = run_dir
    scores = pd.read_parquet(out / "scores.parquet")
    start = scores[(scores.year == 2020) & (scores.country == "ETH") & (scores.goal == "SDG7")].score
    assert (start == 34.1).all()  # scenarios/baseline.yaml: SDR 2023 series, data year 2020
    bal = pd.read_parquet(out / "balance.parquet").pivot_table(index=["run", "year"], columns="account",
                                                               values="amount_usd")
    uses = bal[["spent", "leaked", "overhead", "unspent"]].sum(axis=1)
    np.testing.assert_allclose(uses, bal["sources"], rtol=1e-9)


def test_summary_table_is_printed_and_matches_summary_csv(run_dir):
    out, output = run_dir
    summary = pd.read_csv(out / "summary.csv")
    eth = summary[(summary.country == "ETH") & (summary.metric == "sdg_index_end")].iloc[0]
    assert f"{eth['mean']:.1f}" in output
    assert "90% interval" in output and "ETH" in output and "all (mean)" in output
    # the printed end index is the mean over runs of the mean over goals
    scores = pd.read_parquet(out / "scores.parquet")
    end = scores[(scores.year == 2030) & (scores.country == "ETH")].groupby("run").score.mean().mean()
    assert eth["mean"] == pytest.approx(end)


def test_run_refuses_to_overwrite_without_force_and_keeps_the_old_folder(run_dir):
    out, _ = run_dir
    before = (out / "scores.parquet").read_bytes()
    res = CliRunner().invoke(main, ["run", str(BASELINE), "--runs", "2", "--out", str(out)])
    assert res.exit_code == 2
    assert "already exists" in res.output and "--force" in res.output
    assert (out / "scores.parquet").read_bytes() == before


def test_force_replaces_the_folder(tmp_path):
    out = tmp_path / "x"
    runner = CliRunner()
    assert runner.invoke(main, ["run", str(BASELINE), "--runs", "2", "--out", str(out)]).exit_code == 0
    (out / "stale.txt").write_text("old")
    res = runner.invoke(main, ["run", str(BASELINE), "--runs", "3", "--out", str(out), "--force", "--no-flows"])
    assert res.exit_code == 0, res.output
    assert not (out / "stale.txt").exists() and not (out / "flows.parquet").exists()
    assert json.loads((out / "manifest.json").read_text())["runs"] == 3
    assert [p.name for p in tmp_path.iterdir()] == ["x"], "no temporary folders left behind"


def test_set_override_changes_the_run_and_is_recorded(tmp_path):
    out = tmp_path / "o"
    res = CliRunner().invoke(main, ["run", str(BASELINE), "--runs", "2", "--out", str(out), "--no-flows",
                                    "--set", "donors.JPN-ODA.budget_usd=9e9"])
    assert res.exit_code == 0, res.output
    man = json.loads((out / "manifest.json").read_text())
    assert man["overrides"] == ["donors.JPN-ODA.budget_usd=9e9"]
    jpn = [d for d in man["scenario"]["donors"] if d["id"] == "JPN-ODA"][0]
    assert jpn["budget_usd"] == 9e9


def test_a_failure_while_writing_leaves_nothing_half_written(tmp_path):
    target = tmp_path / "res"
    target.mkdir()
    (target / "manifest.json").write_text("{}")  # a results folder: force may replace it
    (target / "keep.txt").write_text("precious")
    with pytest.raises(RuntimeError):
        with atomic_folder(target, force=True) as tmp:
            (tmp / "scores.parquet").write_text("partial")
            raise RuntimeError("disk full")
    assert (target / "keep.txt").read_text() == "precious"
    assert [p.name for p in tmp_path.iterdir()] == ["res"]


def test_help_teaches_with_examples():
    res = CliRunner().invoke(main, ["run", "--help"])
    assert res.exit_code == 0
    assert "Examples:" in res.output and "--runs" in res.output and "--force" in res.output
