"""Who gains and who loses (issue 28, item 3): every comparison splits its people and money
differences by country, group and funder, and warns when an option's gain in some countries is
mostly a loss in others."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import simulation as sim
import simulation.scenario.catalog
from simulation.analysis.attribution import (
    FUNDER_MONEY,
    MONEY_RECEIVED,
    SHIFT_THRESHOLD,
    offsets,
    shift_warnings,
    split,
    totals,
)
from simulation.outcomes.registry import ALL

POOLED = """
extends: {base}
name: pooled
description: Japan and India pool 20 % of their aid into a needs-based facility that does not serve Nigeria.
facility: {{name: Pooled facility, strategy: needs, eligible_countries: [ETH, GHA, IND, KEN, SRB, UKR, RWA, TZA, UGA]}}
donors:
  - {{id: JPN-ODA, pooled_share: 0.2}}
  - {{id: IND-DPA, pooled_share: 0.2}}
"""


def _pooled_file(folder) -> str:
    path = folder / "pooled.yaml"
    path.write_text(POOLED.format(base=sim.scenario.catalog.resolve("baseline")))
    return str(path)


@settings(deadline=None)
@given(arrays(float, st.tuples(st.integers(1, 8), st.integers(2, 12)),
              elements=st.floats(-1e7, 1e7, allow_nan=False)))
def test_gainers_minus_losers_is_the_net_change_in_every_run(d):
    gainers, losers, net = totals(d)
    np.testing.assert_allclose(net, d.sum(axis=0))  # net: every country's change
    np.testing.assert_allclose(gainers - losers, net, rtol=1e-9, atol=1e-9 * (1 + np.abs(d).sum()))


@settings(max_examples=200, deadline=None)  # pandas under a loaded machine: no timing
@given(st.integers(1, 10**7), st.integers(0, 2 * 10**7))
def test_the_shift_warning_fires_exactly_when_losses_offset_half_the_gains(gain, loss):
    # one country gains `gain` people in every run, another loses `loss`
    d = np.array([[gain] * 4, [-loss] * 4], dtype=float)
    t = split(d, ["AAA", "BBB"], {}, 0.95, scenario="option", reference="ref", outcome="people_gain:X",
              period="in 2030")
    fired = shift_warnings(t)
    assert bool(fired) == (2 * loss >= gain) == offsets(gain, loss)
    if fired:
        assert "AAA" in fired[0] and "BBB" in fired[0] and f"{SHIFT_THRESHOLD:.0%}" in fired[0]


def test_offsets_at_the_threshold_itself():
    assert offsets(100.0, 50.0) and not offsets(100.0, np.nextafter(50.0, 0))
    assert not offsets(0.0, 10.0) and not offsets(-5.0, 10.0)  # no gain: nothing to offset
    assert offsets(10.0, 3.0, threshold=0.3) and not offsets(10.0, 2.99, threshold=0.3)


@pytest.fixture(scope="module")
def pooled(tmp_path_factory):
    """The baseline against Japan and India pooling 20 % of their aid, every run's flows kept."""
    pool = _pooled_file(tmp_path_factory.mktemp("pool"))
    return sim.compare(["baseline", pool], runs=12, seed=3, flows="full", groups={"pilots": ["ETH", "GHA", "KEN"]})


def test_the_net_people_change_is_the_comparisons_all_countries_difference(pooled):
    a, t = pooled.attribution, pooled.table
    net = a[(a.by == "total") & (a["where"] == "net") & a.outcome.str.startswith("people_")]
    assert len(net) == 2 * len(sim.load_scenario("baseline").indicators)
    for r in net.itertuples():
        name, key = r.outcome.split(":")
        row = t[(t.scenario == "pooled") & (t.outcome == name) & (t.goal == key) & (t.country == ALL)].iloc[0]
        assert r.diff_mean == pytest.approx(row.diff_mean, rel=1e-9, abs=1e-6)
        assert r.diff_ci_low == pytest.approx(row.diff_ci_low, rel=1e-6, abs=1e-6)


def test_a_group_is_the_sum_of_its_countries(pooled):
    a = pooled.attribution
    for outcome, g in a[a.by.isin(["country", "group"])].groupby("outcome"):
        members = g[(g.by == "country") & g["where"].isin(["ETH", "GHA", "KEN"])].diff_mean.sum()
        assert g[(g.by == "group") & (g["where"] == "pilots")].diff_mean.iloc[0] == pytest.approx(members, rel=1e-9,
                                                                                                     abs=1e-6)


def test_money_received_is_what_the_funders_send_each_country(pooled):
    a = pooled.attribution
    received = a[(a.outcome == MONEY_RECEIVED) & (a.by == "country")].set_index("where").diff_mean
    funders = a[(a.outcome == FUNDER_MONEY)]
    assert funders.interval.eq("t").all() and np.isfinite(funders.diff_ci_low).all()  # per-run flows: intervals
    for country, x in received.items():
        sent = funders[funders.to == country].diff_mean.sum()
        # funder rows under one dollar are left out: at most a dollar each
        assert sent == pytest.approx(x, abs=len(funders) + 1.0)
    # pooling moves Japan's and India's money into the facility
    to_pool = funders[funders.to.str.contains("facility", case=False)]
    assert (to_pool[to_pool["where"].isin(["JPN-ODA", "IND-DPA"])].diff_mean > 0).all() and len(to_pool)


def test_yearly_flows_give_exact_means_without_intervals(pooled, tmp_path):
    c = sim.compare(["baseline", _pooled_file(tmp_path)], runs=12, seed=3, flows="yearly", out=tmp_path / "c")
    full = pooled.attribution.set_index(["outcome", "by", "where", "to"])
    yearly = c.attribution[c.attribution.outcome == MONEY_RECEIVED].set_index(["outcome", "by", "where", "to"])
    assert yearly.diff_ci_low.isna().all() and yearly.interval.str.startswith("none").all()
    np.testing.assert_allclose(yearly.diff_mean, full.loc[yearly.index].diff_mean, rtol=1e-9, atol=1e-3)
    assert (tmp_path / "c" / "attribution.csv").is_file()
    back = sim.read_results(tmp_path / "c")
    pd.testing.assert_frame_equal(back.attribution, c.attribution, check_dtype=False)
    assert back.shifts == c.shifts
    assert "Who gains and who loses" in (tmp_path / "c" / "report.html").read_text()


def test_a_shift_smaller_than_the_smallest_effect_that_matters_is_not_warned_about():
    d = np.array([[5_000.0] * 4, [-4_000.0] * 4])
    t = split(d, ["AAA", "BBB"], {}, 0.95, scenario="option", reference="ref", outcome="people_gain:X",
              period="in 2030")
    assert shift_warnings(t, floors={"people_gain:X": 5_000.0})
    assert not shift_warnings(t, floors={"people_gain:X": 5_001.0})


def test_every_row_says_when_it_is_counted_and_the_headline_leads_with_the_totals(pooled):
    from simulation.analysis.comparison import headline
    from simulation.report.text import comparison_table

    t = pooled.table.set_index(["scenario", "outcome", "country", "goal"]).period
    assert t["pooled", "people_years_gain", ALL, "SH.DYN.MORT"] == "over 2021–2030"
    assert t["pooled", "money_usd", ALL, "-"] == "over 2021–2030"
    assert t["pooled", "people_gain", ALL, "SH.DYN.MORT"] == "a year in 2030"
    assert t["pooled", "people_gain", "KEN", "EG.ELC.ACCS.ZS"] == "in 2030"
    said = headline(pooled.comparison)
    totals_at, horizon_at, index_at = (said.index(x) for x in ("over 2021–2030, all countries", "At the horizon",
                                                                "Index:"))
    assert totals_at < said.index("Money: pooled puts in") < horizon_at < index_at
    assert "under-5 deaths averted in total" in said or "more under-5 deaths in total" in said
    assert "a year in 2030" in comparison_table(pooled.comparison, "people_gain", ALL, "SH.DYN.MORT").splitlines()[0]


def test_the_attribution_does_not_depend_on_batch_size_or_workers(pooled, tmp_path):
    again = sim.compare(["baseline", _pooled_file(tmp_path)], runs=12, seed=3, flows="full", batch_size=5, workers=2,
                        executor="process", groups={"pilots": ["ETH", "GHA", "KEN"]}, out=tmp_path / "c")
    pd.testing.assert_frame_equal(again.attribution, pooled.attribution, check_exact=True)
    assert again.shifts == pooled.shifts
