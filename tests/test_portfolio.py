"""`sdgsim portfolio`: every affordable combination simulated with common random numbers, the best
by expected outcome, never one over the budget; located errors for a bad file."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import simulation as sim
from cli import main
from simulation.errors import InputError
from tests.factory import ROOT

PILOTS = ROOT / "scenarios" / "portfolios" / "pilots.yaml"
SMALL = 7.5e7  # pooling (5e7) and coordination (2e7) fit; the budget increases do not


@pytest.fixture(scope="module")
def small():
    return sim.portfolio("pilots", budget=SMALL, runs=4)


def test_only_combinations_within_the_budget_are_simulated_or_chosen(small):
    t = small.table
    assert set(t.portfolio) == {"(none)", "pooling", "coordination", "pooling+coordination"}
    assert (t.cost_usd <= SMALL).all() and t.best.sum() == 1
    opts = small.options.set_index("option")
    assert opts.loc["jpn-budget", "p_in_best"] == 0 and not opts.loc["jpn-budget", "affordable"]
    assert t.p_best.sum() == pytest.approx(1.0)
    assert "exceed the budget" in small.notes[0]


def test_the_chosen_portfolio_has_the_highest_expected_outcome_and_runs_are_paired(small):
    t = small.table.set_index("portfolio")
    assert small.chosen == t["mean"].idxmax()  # people_gain: more is better
    assert t.loc["(none)", "d_mean"] == 0
    none = sim.run("baseline", runs=4, seed=0, flows="none")
    gain = none.outcomes.query("outcome == 'people_gain' and country == 'ALL' and goal == 'EG.ELC.ACCS.ZS'")
    assert np.allclose(small.values["(none)"], gain.value)  # the base scenario, run for run


def test_results_do_not_depend_on_the_workers(small):
    two = sim.portfolio("pilots", budget=SMALL, runs=4, workers=2, executor="process")
    pd.testing.assert_frame_equal(small.values, two.values)


def test_options_that_set_one_field_differently_cannot_be_combined(tmp_path):
    text = PILOTS.read_text().replace("../baseline.yaml", str(ROOT / "scenarios" / "baseline.yaml"))
    text = text.replace("donors.IND-DPA.budget_usd: 3.6e8", "donors.JPN-ODA.budget_usd: 1.7e9")
    bad = tmp_path / "bad.yaml"
    bad.write_text(text)
    with pytest.raises(InputError) as err:
        sim.portfolio(bad)
    [p] = err.value.problems
    assert p.file == str(bad) and p.field == "options.ind-budget.set.donors.JPN-ODA.budget_usd"
    assert text.splitlines()[p.line - 1].strip().startswith("donors.JPN-ODA.budget_usd: 1.7e9")


def test_sdgsim_portfolio_writes_its_tables_and_never_overwrites(tmp_path):
    out = tmp_path / "p"
    args = ["portfolio", "pilots", "--budget", "2e7", "--runs", "3", "--out", str(out)]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    assert {"portfolios.csv", "options.csv", "runs.csv", "report.html", "manifest.json"} <= {p.name for p in out.iterdir()}
    assert (out / "plots" / "portfolio.svg").is_file()
    assert CliRunner().invoke(main, args).exit_code == 2
    bad = CliRunner().invoke(main, ["portfolio", "pilots", "--outcome", "nope", "--out", str(tmp_path / "q")])
    assert bad.exit_code == 2 and "nope" in bad.output
