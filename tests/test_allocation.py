"""Allocation strategies: each is a pure function that splits budgets exactly over eligible cells."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from simulation.mechanisms.allocation import STRATEGIES, AllocationContext, allocate, marginal_gain, normalise

S, D, C, G = 3, 4, 5, 4


def make_ctx(rs: np.random.Generator, **over) -> AllocationContext:
    pri = rs.random((C, G)) + 0.05
    base = dict(
        scores=rs.uniform(10, 90, (S, C, G)), population=rs.uniform(1e6, 1e8, C),
        gdp_per_capita=rs.uniform(300, 8000, C), governance=rs.uniform(20, 95, C),
        priority=pri / pri.sum(axis=1, keepdims=True), effectiveness=rs.uniform(0.02, 0.1, (S, G)),
        spend_scale=rs.uniform(10, 60, G), retention=rs.uniform(0.7, 1.0, C),
        other_spend_pc=rs.uniform(0, 40, (S, C, G)), propensity=None,
    )
    base.update(over)
    for name in ("population", "gdp_per_capita", "governance", "priority", "spend_scale", "retention"):
        base[name] = base[name][None]  # a leading replication axis, of size 1: every replication agrees
    return AllocationContext(**base)


masks = hnp.arrays(bool, (D, C, G), elements=st.booleans()).filter(lambda m: m.any(axis=(1, 2)).all())


@pytest.mark.parametrize("name", list(STRATEGIES))
@settings(max_examples=25, deadline=None, derandomize=True)
@given(mask=masks, seed=st.integers(0, 2**32 - 1),
       budget=hnp.arrays(float, (S, D), elements=st.floats(0, 1e10)))
def test_every_strategy_is_non_negative_inside_the_mask_and_sums_to_the_budget(name, mask, seed, budget):
    ctx = make_ctx(np.random.default_rng(seed))
    if name == "adaptive" and seed % 2:
        ctx = make_ctx(np.random.default_rng(seed), propensity=np.random.default_rng(seed).random((S, D, C, G)))
    out = allocate(name, ctx, budget, mask, [{}] * D)
    assert out.shape == (S, D, C, G)
    assert (out >= 0).all()
    assert (out[:, ~mask] == 0).all()
    np.testing.assert_allclose(out.sum(axis=(-2, -1)), budget, rtol=1e-12, atol=1e-6)


def test_equal_splits_evenly_over_eligible_cells():
    mask = np.zeros((1, C, G), bool)
    mask[0, :2, :2] = True
    out = allocate("equal", make_ctx(np.random.default_rng(0)), np.full((S, 1), 100.0), mask, [{}])
    np.testing.assert_allclose(out[:, 0, :2, :2], 25.0)


def test_needs_gives_more_to_bigger_gaps():
    rs = np.random.default_rng(1)
    scores = np.full((S, C, G), 50.0)
    scores[:, 0, :] = 20.0  # country 0 is furthest from target
    ctx = make_ctx(rs, scores=scores, population=np.full(C, 1e7), priority=np.full((C, G), 1 / G))
    out = allocate("needs", ctx, np.ones((S, 1)), np.ones((1, C, G), bool), [{}])
    per_country = out.sum(axis=-1)[:, 0]
    assert (per_country[:, 0] > per_country[:, 1:].max(axis=1)).all()
    # gap exponent 0 and population exponent 0 → priority only → equal here
    flat = allocate("needs", ctx, np.ones((S, 1)), np.ones((1, C, G), bool),
                    [{"gap_exponent": 0.0, "population_exponent": 0.0}])
    np.testing.assert_allclose(flat, 1 / (C * G))


def test_performance_rewards_governance_like_ida():
    rs = np.random.default_rng(2)
    gov = np.array([90.0, 45.0, 45.0, 45.0, 45.0])
    ctx = make_ctx(rs, governance=gov, population=np.full(C, 1e7), gdp_per_capita=np.full(C, 1000.0))
    out = allocate("performance", ctx, np.ones((S, 1)), np.ones((1, C, G), bool), [{}])
    per_country = out.sum(axis=-1)[0, 0]
    assert per_country[0] / per_country[1] == pytest.approx(2.0**4)  # governance^4


def test_priority_follows_roadmap_shares():
    rs = np.random.default_rng(3)
    ctx = make_ctx(rs)
    out = allocate("priority", ctx, np.full((S, 1), 1.0), np.ones((1, C, G), bool), [{}])
    np.testing.assert_allclose(out[:, 0], np.broadcast_to(ctx.priority / C, (S, C, G)))


def test_impact_puts_money_where_the_marginal_gain_is_largest():
    rs = np.random.default_rng(4)
    ctx = make_ctx(rs)
    mask = np.ones((1, C, G), bool)
    one = allocate("impact", ctx, np.full((S, 1), 1e3), mask, [{"steps": 1}])
    gain = marginal_gain(ctx, ctx.other_spend_pc[:, None]).reshape(S, -1)
    assert (one.reshape(S, -1).argmax(axis=-1) == gain.argmax(axis=-1)).all()
    # with many chunks the greedy plan beats equal split in expected first-year gain
    many = allocate("impact", ctx, np.full((S, 1), 1e9), mask, [{"steps": 50}])
    eq = allocate("equal", ctx, np.full((S, 1), 1e9), mask, [{}])

    def gain_of(a):
        pc = ctx.other_spend_pc + a[:, 0] * (ctx.retention / ctx.population)[:, :, None]
        return ((100 - ctx.scores) * ctx.effectiveness[:, None] * -np.expm1(-pc / ctx.spend_scale)).sum()

    assert gain_of(many) > gain_of(eq)


def test_adaptive_follows_its_learned_propensity():
    rs = np.random.default_rng(5)
    prop = np.zeros((S, 1, C, G))
    prop[:, :, 2, 1] = 3.0
    prop[:, :, 4, 0] = 1.0
    out = allocate("adaptive", make_ctx(rs, propensity=prop), np.full((S, 1), 100.0), np.ones((1, C, G), bool), [{}])
    np.testing.assert_allclose(out[:, 0, 2, 1], 75.0)
    np.testing.assert_allclose(out[:, 0, 4, 0], 25.0)


def test_all_zero_weights_fall_back_to_an_equal_split_not_a_loss():
    rs = np.random.default_rng(6)
    ctx = make_ctx(rs, scores=np.full((S, C, G), 100.0))  # every gap closed: needs weights are all zero
    out = allocate("needs", ctx, np.full((S, 1), 40.0), np.ones((1, C, G), bool), [{}])
    np.testing.assert_allclose(out, 40.0 / (C * G))


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")  # inf / inf where a funder has inf weights
@settings(max_examples=50, deadline=None, derandomize=True)
@given(mask=masks, weights=hnp.arrays(float, (S, D, C, G), elements=st.sampled_from([0.0, 0.5, 3.0, np.inf, np.nan])))
def test_normalise_in_place_gives_the_same_numbers_and_ignores_what_lies_outside_the_mask(mask, weights):
    # scratch=True overwrites the weights (the strategies' own temporaries); cells outside the mask count
    # as zero whatever they hold, even inf or NaN (0 · inf is NaN: the masked fallback), exactly as
    # zeroing them first would
    budget = np.full((S, D), 60.0)
    w = np.where(mask, np.maximum(weights, 0.0), 0.0)
    total = w.sum(axis=(-2, -1), keepdims=True)
    uniform = mask / mask.sum(axis=(-2, -1), keepdims=True)
    expected = np.where(total > 0, w / np.where(total > 0, total, 1.0), uniform) * budget[..., None, None]
    np.testing.assert_array_equal(normalise(weights.copy(), mask, budget), expected)
    np.testing.assert_array_equal(normalise(weights.copy(), mask, budget, scratch=True), expected)
