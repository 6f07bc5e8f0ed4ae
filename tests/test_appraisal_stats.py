"""Appraisal statistics against cases with known answers: dominance, ICERs, acceptability,
EVPI in closed form, and EVPPI by regression (Strong, Oakley & Brennan 2014)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from simulation.analysis import appraisal as ap


def test_frontier_marks_strict_and_extended_dominance():
    # A (0, 0) reference; B (10, 1): ICER 10; C (40, 2): ICER 30 after B; D (25, 1.2): dearer than B
    # per unit, cheaper than C (extended: the mix of B and C beats it); E costs more than C for less
    cost = np.array([0.0, 10.0, 40.0, 25.0, 50.0])
    effect = np.array([0.0, 1.0, 2.0, 1.2, 1.5])
    status, icer = ap.frontier(cost, effect)
    assert list(status) == [ap.FRONTIER, ap.FRONTIER, ap.FRONTIER, ap.EXTENDED, ap.STRICT]
    assert np.isnan(icer[0]) and icer[1] == pytest.approx(10.0) and icer[2] == pytest.approx(30.0)
    assert np.isnan(icer[3]) and np.isnan(icer[4])


def test_identical_options_keep_only_the_first_on_the_frontier():
    status, _ = ap.frontier(np.array([1.0, 1.0]), np.array([2.0, 2.0]))
    assert list(status) == [ap.FRONTIER, ap.STRICT]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 100), st.floats(0, 10)), min_size=2, max_size=6, unique=True))
def test_frontier_icers_increase_and_no_frontier_option_is_dominated(points):
    cost, effect = np.array(points).T
    status, icer = ap.frontier(cost, effect)
    on = np.flatnonzero(status == ap.FRONTIER)
    seq = icer[on][np.argsort(cost[on])]
    seq = seq[np.isfinite(seq)]
    assert np.all(np.diff(seq) >= -1e-9)
    for i in on:
        assert not any((cost[j] <= cost[i]) and (effect[j] >= effect[i]) and (cost[j] < cost[i] or effect[j] > effect[i])
                       for j in range(len(cost)))


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(2, 5), st.floats(1, 1e4))
def test_acceptability_sums_to_one_at_every_wtp(seed, options, top):
    rng = np.random.default_rng(seed)
    cost, effect = rng.normal(size=(50, options)) * 100, rng.normal(size=(50, options))
    effect[:, 0] = effect[:, 1]  # ties are shared
    cost[:, 0] = cost[:, 1]
    t = ap.ceac([f"o{i}" for i in range(options)], cost, effect, ap.wtp_grid(0, top, 11))
    assert np.allclose(t.groupby("wtp").probability.sum(), 1.0)
    assert (t.groupby("wtp").on_frontier.sum() == 1).all()


def test_acceptability_goes_from_cheapest_to_most_effective():
    rng = np.random.default_rng(1)
    n = 4000
    cost = np.column_stack([np.zeros(n), 100 + rng.normal(0, 10, n)])
    effect = np.column_stack([np.zeros(n), 2 + rng.normal(0, 0.5, n)])
    t = ap.ceac(["a", "b"], cost, effect, np.array([0.0, 50.0, 1000.0]))
    p = t[t.option == "b"].probability.to_numpy()
    assert p[0] == 0 and 0.3 < p[1] < 0.7 and p[2] > 0.99  # ICER 50: a coin toss there


def _means(points):
    """One run per option at the given (cost, effect) means: (1, D) arrays."""
    cost, effect = np.array(points, dtype=float).T
    return cost[None, :], effect[None, :]


def test_the_default_wtp_range_holds_a_cheaper_but_less_effective_options_ratio():
    # the reference (0, 0); an option US$94,600 cheaper per death a year it gives up: a price (the
    # baseline is the better buy above it), so the curve must reach past it, not stop at US$1
    cost, effect = _means([(0.0, 0.0), (-65e6, -686.0)])
    chosen = ap.default_wtp(cost, effect, 0, ["baseline", "triangular"], "per death")
    assert chosen.price and chosen.high == pytest.approx(3 * 65e6 / 686)
    assert "triangular" in chosen.basis


def test_the_default_wtp_range_reaches_the_frontiers_last_switch():
    # B against the reference: 10 per unit; C against B: 990 / 0.01 = 99,000 per unit, far above
    # C's own ratio to the reference (~990): the best buy changes there, so the range holds it
    cost, effect = _means([(0.0, 0.0), (10.0, 1.0), (1000.0, 1.01)])
    chosen = ap.default_wtp(cost, effect, 0)
    assert chosen.high == pytest.approx(3 * 990 / 0.01)


def test_with_no_price_the_default_range_weighs_money_and_effect_and_says_so():
    # every option dearer and less effective: no ratio is a price; the range is three times the
    # largest |Δcost| / |Δeffect| (1.47e9 / 1010 per death), not 0-1
    cost, effect = _means([(0.0, 0.0), (1.47e9, -1010.0), (2e8, -50.0)])
    chosen = ap.default_wtp(cost, effect, 0, ["baseline", "pia", "other"], "per death")
    assert not chosen.price
    assert chosen.high == pytest.approx(3 * max(1.47e9 / 1010, 2e8 / 50))
    assert "dominates" in chosen.basis and "other" in chosen.basis


def test_no_default_range_when_no_option_differs_in_money_and_effect():
    assert ap.default_wtp(*_means([(5.0, 1.0), (5.0, 2.0)]), 0) is None  # same money
    assert ap.default_wtp(*_means([(5.0, 1.0), (7.0, 1.0)]), 0) is None  # same effect


# money in US$ and effects in people or points: nothing between 0 and a millionth is a real difference
# (with an effect of 1e-297 the test's own net benefit at 1e6 times the range overflows)
_measured = st.floats(-1e3, 1e3).filter(lambda x: x == 0 or abs(x) >= 1e-6)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(-1e6, 1e6), _measured), min_size=2, max_size=6, unique=True))
@example([(0.0, 0.0), (1.0, 2.225073858507e-311)])  # US$1 for a subnormal effect: the ratio overflows, no range
def test_beyond_the_default_range_the_best_buy_no_longer_changes(points):
    cost, effect = _means(points)
    chosen = ap.default_wtp(cost, effect, 0)
    if chosen is None:
        return
    assert 0 <= chosen.low < chosen.high
    best = lambda lam: ap.net_benefit(cost, effect, lam)[0]  # noqa: E731
    top = best(chosen.high).max()
    far = best(chosen.high * 1e6)
    winners_far = set(np.flatnonzero(far >= far.max() - 1e-9 * abs(far.max())))
    # whichever option is best far beyond the range is already best (or tied) at its top
    assert any(best(chosen.high)[k] >= top - 1e-6 * max(1.0, abs(top)) for k in winners_far)


def test_icer_interval_covers_the_ratio_and_is_undefined_when_the_effect_may_be_nil():
    rng = np.random.default_rng(2)
    dc, de = 100 + rng.normal(0, 20, 500), 2 + rng.normal(0, 0.5, 500)
    lo, hi = ap.icer_interval(dc, de)
    assert lo < dc.mean() / de.mean() < hi and hi - lo < 10
    nil = rng.normal(0, 1, 500)
    assert np.isnan(ap.icer_interval(dc, nil - nil.mean() + 0.01)).all()  # effect 0.01 ± 0.09


def test_ce_table_states_incremental_means_and_net_benefit():
    rng = np.random.default_rng(3)
    n = 300
    cost = np.column_stack([rng.normal(50, 5, n), rng.normal(80, 5, n)])
    effect = np.column_stack([rng.normal(1, 0.1, n), rng.normal(2, 0.1, n)])
    t = ap.ce_table(["a", "b"], cost, effect, "a", wtp=40.0).set_index("option")
    b = t.loc["b"]
    assert b.d_cost == pytest.approx((cost[:, 1] - cost[:, 0]).mean())
    assert b.icer == pytest.approx(b.d_cost / b.d_effect)
    assert b.d_net_benefit == pytest.approx(40 * b.d_effect - b.d_cost)
    assert t.loc["a"].status == ap.FRONTIER and np.isnan(t.loc["a"].icer)
    assert t.p_best.sum() == pytest.approx(1.0)


@settings(max_examples=15, deadline=None)
@given(st.floats(-2, 2), st.floats(0.2, 3), st.integers(0, 2**32 - 1))
def test_evpi_of_two_normal_options_matches_the_closed_form(mu, sigma, seed):
    x = np.random.default_rng(seed).normal(mu, sigma, 200_000)
    nb = np.column_stack([np.zeros_like(x), x])
    assert ap.evpi(nb) == pytest.approx(ap.evpi_normal(mu, sigma), abs=5 * sigma / np.sqrt(len(x)))


def _two_options(n: int, seed: int):
    """Option b beats a by θ1 + noise; θ2 does not enter."""
    rng = np.random.default_rng(seed)
    t1, t2 = rng.uniform(-1, 1, n), rng.uniform(-1, 1, n)
    nb = np.column_stack([np.zeros(n), t1 + 0.05 * rng.normal(size=n)])
    return nb, t1, t2


def test_evppi_of_a_parameter_that_decides_alone_equals_the_evpi():
    nb, t1, _ = _two_options(3000, 4)
    e = ap.evppi(nb, t1, resamples=50)
    assert e.value == pytest.approx(ap.evpi(nb), rel=0.05)
    assert e.value == pytest.approx(0.25, rel=0.05)  # E[max(0, θ1)] for θ1 ~ U(-1, 1)


def test_evppi_of_a_parameter_that_does_not_change_the_choice_is_zero_within_its_se():
    nb, _, t2 = _two_options(3000, 5)
    e = ap.evppi(nb, t2, resamples=100)
    assert e.value <= 2 * e.se + 1e-3
    assert e.value < 0.02 * ap.evpi(nb)


def test_evppi_of_a_nonlinear_effect_is_found_by_the_spline():
    rng = np.random.default_rng(6)
    n = 3000
    t = rng.uniform(-1, 1, n)
    nb = np.column_stack([np.zeros(n), t ** 2 - 0.3 + 0.05 * rng.normal(size=n)])  # b wins at both ends
    e = ap.evppi(nb, t, resamples=0)
    exact = np.maximum(t ** 2 - 0.3, 0).mean() - max((t ** 2 - 0.3).mean(), 0)
    assert e.value == pytest.approx(exact, rel=0.1)
    assert max(e.knots[0]) >= 3


def test_evppi_of_a_group_captures_an_interaction():
    rng = np.random.default_rng(7)
    n = 3000
    a, b = rng.uniform(-1, 1, n), rng.uniform(-1, 1, n)
    nb = np.column_stack([np.zeros(n), a * b])  # neither alone says anything
    alone = ap.evppi(nb, a, resamples=0).value
    both = ap.evppi(nb, np.column_stack([a, b]), resamples=0).value
    assert both == pytest.approx(ap.evpi(nb), rel=0.05) and alone < 0.1 * both


def test_voi_table_has_the_evpi_first_and_ranks_the_rest():
    import pandas as pd

    nb, t1, t2 = _two_options(1500, 8)
    t = ap.voi_table(nb, pd.DataFrame({"noise": t2, "decider": t1}), groups={"both": ["noise", "decider"]},
                     resamples=20)
    assert list(t.parameter[:1]) == ["(all)"]
    assert list(t.parameter[1:]) == ["both", "decider", "noise"] or list(t.parameter[1:]) == ["decider", "both", "noise"]
    assert (t.evppi[1:] <= t.evppi[0] * 1.05).all()
    noise = t.set_index("parameter").loc["noise"]
    assert noise.evppi <= noise.null + 2 * noise.se and np.isnan(t.null[0])


def test_the_null_evppi_of_a_shuffled_decider_is_small():
    nb, t1, _ = _two_options(2000, 10)
    assert ap.null_evppi(nb, t1) < 0.05 * ap.evppi(nb, t1, resamples=0).value


def test_cluster_bootstrap_resamples_whole_clusters_and_is_seeded():
    nb, t1, _ = _two_options(400, 9)
    clusters = np.repeat(np.arange(100), 4)
    a = ap.evppi(nb, t1, clusters=clusters, resamples=30, seed=3)
    b = ap.evppi(nb, t1, clusters=clusters, resamples=30, seed=3)
    assert a.se == b.se and a.se > 0
