"""The model's invariants and behaviours, as docs/model.md states them."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulation.experiments.replications import run_scenario
from simulation.model import ACCOUNTS, FinancingModel, rng
from tests.factory import baseline, mean_scores, no_noise, run_model, scenario, small_dict


def _account(m: FinancingModel, name: str) -> np.ndarray:
    return m.ledger.balance[..., ACCOUNTS.index(name)]


# ---------------------------------------------------------------- invariants


def test_money_is_conserved_every_year_in_the_baseline():
    m = run_model(baseline(), runs=8)
    assert m.ledger.imbalance().max() < 1e-9
    assert (_account(m, "sources") > 0).all()


def test_money_is_conserved_with_pooling_blending_partnerships_and_shocks():
    d = small_dict()
    d["facility"] = {"overhead_rate": 0.03, "channel_cost_usd": 5e5, "blended_share": 0.3}
    d["donors"][0]["pooled_share"] = 0.4
    d["donors"].append({"id": "D3", "budget_usd": 1e8, "strategy": "impact", "pooled_share": 1.0})
    d["donors"].append({"id": "D4", "budget_usd": 2e8, "strategy": "adaptive", "capacity_share": 0.3})
    d["partnerships"] = [{"id": "P1", "technology": "T1", "provider": "R1", "recipients": ["AAA", "CCC"],
                          "funder": "D1", "budget_usd": 4e6, "access_boost": 0.4}]
    d["shocks"] = [{"kind": "pandemic", "start_year": 2021, "duration_years": 2, "score_hit": {"SDG3": 3},
                    "budget_cut": 0.2, "gdp_cut": 0.05, "diversion_to_health": 0.3},
                   {"kind": "budget_cut", "start_year": 2024, "donors": ["D2"], "cut": 0.5}]
    m = run_model(scenario(d), runs=6)
    assert m.ledger.imbalance().max() < 1e-9
    assert _account(m, "overhead").min() > 0


@st.composite
def random_scenarios(draw):
    d = small_dict()
    strategies = ["equal", "needs", "performance", "priority", "impact", "adaptive"]
    for donor in d["donors"]:
        donor["strategy"] = draw(st.sampled_from(strategies))
        donor["budget_usd"] = draw(st.floats(0, 5e9))
        pooled = draw(st.floats(0, 1))
        blended = draw(st.floats(0, 1 - pooled))
        donor["pooled_share"] = pooled
        donor["blended_share"] = blended
        donor["capacity_share"] = draw(st.floats(0, 1 - pooled - blended))
        donor["overhead_rate"] = draw(st.floats(0, 1))
        donor["channel_cost_usd"] = draw(st.sampled_from([0.0, 1e6, 1e9]))
    d["facility"] = {"overhead_rate": draw(st.floats(0, 0.5)), "blended_share": draw(st.floats(0, 1)),
                     "strategy": draw(st.sampled_from([s for s in strategies if s != "adaptive"]))}
    for c in d["countries"]:
        c["governance"] = draw(st.floats(0, 100))
        c["domestic_sdg_share"] = draw(st.floats(0, 0.3))
        c["scores"] = {g: draw(st.floats(0, 100)) for g in c["scores"]}
    d["interlinkages"] = [{"source": "SDG7", "target": "SDG6", "weight": draw(st.floats(-1, 1))},
                          {"source": "SDG2", "target": "SDG3", "weight": draw(st.floats(-1, 1))}]
    d["uncertainty"] = {"effectiveness_sd": draw(st.floats(0, 1)), "score_noise_sd": draw(st.floats(0, 5))}
    if draw(st.booleans()):
        d["shocks"] = [{"kind": "pandemic", "start_year": 2021, "duration_years": draw(st.integers(1, 3)),
                        "score_hit": {"SDG3": draw(st.floats(0, 20))}, "budget_cut": draw(st.floats(0, 1)),
                        "diversion_to_health": draw(st.floats(0, 1))}]
    return scenario(d)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(random_scenarios())
def test_conservation_bounds_and_allocation_hold_for_random_scenarios(sc):
    m = FinancingModel(sc, rng.replication_seeds(3, 3), record_flows=True)
    m.run()
    assert m.ledger.imbalance().max() < 1e-9, "money is conserved every year"
    s = m.history["scores"]
    assert np.isfinite(s).all() and s.min() >= 0.0 and s.max() <= 100.0, "scores stay in [0, 100]"
    a = m.history["adoption"]
    assert a.min() >= 0.0 and a.max() <= 1.0
    flows = m.ledger.flows_frame(np.arange(3), sc.years[:-1])
    assert (flows.amount_usd >= 0).all(), "allocations are non-negative"


def test_donor_flows_sum_to_donor_budgets():
    d = small_dict()
    d["facility"] = {"overhead_rate": 0.03}
    d["donors"][0]["pooled_share"] = 0.3
    sc = scenario(d)
    m = run_model(sc, runs=3, record_flows=True)
    flows = m.ledger.flows_frame(np.arange(3), sc.years[:-1])
    donors = flows[flows.source.isin(["D1", "D2"])]
    paid = donors.groupby(["run", "year", "source"]).amount_usd.sum().unstack()
    # D1's budget = base · 1.02^t · lognormal noise; recompute from the model's own draws
    for t, year in enumerate(sc.years[:-1]):
        budget = m.p.donors.base * (1 + m.p.donors.growth) ** t * np.exp(
            m.p.donors.noise_sd * m.budget_noise[:, :, t] - 0.5 * m.p.donors.noise_sd**2)
        got = paid.xs(year, level="year")[["D1", "D2"]].to_numpy()
        np.testing.assert_allclose(got, budget, rtol=1e-12)


def test_same_seed_gives_identical_results_and_other_seed_differs():
    sc = baseline()
    a = run_scenario(sc, runs=5, seed=11)
    b = run_scenario(sc, runs=5, seed=11)
    c = run_scenario(sc, runs=5, seed=12)
    assert np.array_equal(a.scores, b.scores) and np.array_equal(a.balance, b.balance)
    assert a.flows.equals(b.flows)
    assert not np.array_equal(a.scores, c.scores)


def test_results_do_not_depend_on_batch_size_workers_or_executor():
    sc = baseline()
    one = run_scenario(sc, runs=7, seed=5, batch_size=7, record_flows=False)
    small = run_scenario(sc, runs=7, seed=5, batch_size=2, record_flows=False)
    procs = run_scenario(sc, runs=7, seed=5, batch_size=3, workers=2, record_flows=False)
    dask = run_scenario(sc, runs=7, seed=5, batch_size=4, workers=2, executor="dask", record_flows=False)
    flows_a = run_scenario(sc, runs=5, seed=5, batch_size=5).flows
    flows_b = run_scenario(sc, runs=5, seed=5, batch_size=2, workers=2).flows
    assert flows_a.equals(flows_b), "the flows table, rows and order, does not depend on batching"
    for other in (small, procs, dask):
        assert np.array_equal(one.scores, other.scores)
        assert np.array_equal(one.balance, other.balance)
        assert np.array_equal(one.adoption, other.adoption)


def test_replication_i_is_the_same_inside_a_larger_run():
    """Replication i of N runs equals replication i alone (SeedSequence(seed).spawn(N)[i])."""
    sc = baseline()
    full = run_scenario(sc, runs=4, seed=9, record_flows=False)
    seeds = rng.replication_seeds(9, 4)
    alone = FinancingModel(sc, [seeds[2]], record_flows=False).run()
    assert np.array_equal(full.scores[2], alone.history["scores"][:, 0])


def test_replication_seeds_are_the_spawned_children():
    """A batch's seeds are built directly, yet equal SeedSequence(seed).spawn(runs)[start:stop]."""
    for seed in (0, 9, 2**63 - 1):
        spawned = np.random.SeedSequence(seed).spawn(12)
        for start, stop in ((0, 12), (5, 9), (11, 12), (3, 40)):
            direct = rng.replication_seeds(seed, 12, start, stop)
            assert len(direct) == len(spawned[start:stop])
            for a, b in zip(direct, spawned[start:stop]):
                assert (a.entropy, a.spawn_key, a.pool_size) == (b.entropy, b.spawn_key, b.pool_size)
                assert np.array_equal(a.generate_state(8), b.generate_state(8))


# ---------------------------------------------------------------- behaviours


def test_zero_money_leaves_only_decay():
    d = no_noise(small_dict())
    for c in d["countries"]:
        c["domestic_sdg_share"] = 0.0
    for donor in d["donors"]:
        donor["budget_usd"] = 0.0
    d["research_bodies"][0]["budget_usd"] = 0.0
    sc = scenario(d)
    m = run_model(sc, runs=2)
    s = m.history["scores"]
    decay = np.array([g.decay for g in sc.goals])
    years = np.arange(s.shape[0])[:, None, None, None]
    expected = s[0][None] * (1 - decay) ** years
    np.testing.assert_allclose(s, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("strategy", ["equal", "priority", "performance"])
def test_more_money_never_lowers_any_score_with_fixed_allocation_rules(strategy):
    """With non-negative interlinkages and a state-independent rule, every score rises with money."""
    lo, hi = small_dict(), small_dict()
    for d, mult in ((lo, 1.0), (hi, 3.0)):
        for donor in d["donors"]:
            donor["strategy"] = strategy
            donor["budget_usd"] *= mult
    a, b = run_model(scenario(lo), runs=6), run_model(scenario(hi), runs=6)
    diff = b.history["scores"] - a.history["scores"]  # paired by replication (common random numbers)
    assert diff.min() >= -1e-9
    assert diff[-1].mean() > 0.1


@pytest.mark.parametrize("strategy", ["needs", "impact", "adaptive"])
def test_more_money_never_lowers_expected_scores_with_adaptive_rules(strategy):
    lo, hi = small_dict(), small_dict()
    for d, mult in ((lo, 1.0), (hi, 2.0)):
        for donor in d["donors"]:
            donor["strategy"] = strategy
            donor["budget_usd"] *= mult
    a, b = run_model(scenario(lo), runs=20), run_model(scenario(hi), runs=20)
    gain = mean_scores(b) - mean_scores(a)
    assert gain.min() >= -0.05, "no goal of any country is expected to lose more than noise"
    assert gain[-1].mean(axis=-1).min() > 0, "every country's index gains"


def test_a_pandemic_lowers_sdg3_and_budgets():
    base = small_dict()
    shocked = small_dict()
    shocked["shocks"] = [{"kind": "pandemic", "start_year": 2020, "duration_years": 2,
                          "score_hit": {"SDG3": 4.0}, "budget_cut": 0.15, "diversion_to_health": 0.2}]
    a, b = run_model(scenario(base), runs=10), run_model(scenario(shocked), runs=10)
    g3 = scenario(base).goal_ids.index("SDG3")
    drop = mean_scores(a)[2, :, g3] - mean_scores(b)[2, :, g3]  # 2022 scores, after 2020 and 2021
    assert (drop > 6.0).all(), drop
    assert (_account(b, "sources")[:2] < _account(a, "sources")[:2]).all(), "budgets are cut in shock years"


def test_diversion_moves_aid_to_health_during_the_shock_only():
    d = small_dict()
    d["shocks"] = [{"kind": "pandemic", "start_year": 2021, "duration_years": 1, "diversion_to_health": 0.5}]
    base, shocked = scenario(small_dict()), scenario(d)
    fa = run_model(base, runs=2, record_flows=True).ledger.flows_frame(np.arange(2), base.years[:-1])
    fb = run_model(shocked, runs=2, record_flows=True).ledger.flows_frame(np.arange(2), base.years[:-1])

    def health_share(f, year):
        g = f[(f.instrument == "grant") & (f.year == year) & f.source.isin(["D1", "D2"])]
        return g[g.goal == "SDG3"].amount_usd.sum() / g.amount_usd.sum()

    assert health_share(fb, 2021) > health_share(fa, 2021) + 0.2
    assert health_share(fb, 2020) == pytest.approx(health_share(fa, 2020))


def test_pooling_lowers_overhead():
    frag, pooled = small_dict(), small_dict()
    for d in (frag, pooled):
        d["facility"] = {"overhead_rate": 0.03, "channel_cost_usd": 5e5}
    for donor in pooled["donors"]:
        donor["pooled_share"] = 0.7
    a, b = run_model(scenario(frag), runs=4), run_model(scenario(pooled), runs=4)
    np.testing.assert_array_less(_account(b, "overhead"), _account(a, "overhead"))


def test_blended_finance_mobilises_private_money_at_the_leverage_ratio():
    d = no_noise(small_dict())
    d["donors"] = [{"id": "D1", "budget_usd": 1e9, "strategy": "equal", "blended_share": 0.5,
                    "overhead_rate": 0.0, "goals": ["SDG7"]}]
    d["channels"] = {"recipient_cost_share": 0.0}  # what reaches the country is what was given
    sc = scenario(d)
    m = run_model(sc, runs=1, record_flows=True)
    f = m.ledger.flows_frame(np.arange(1), sc.years[:-1])
    y = f[f.year == 2020]
    blended = y[y.instrument == "blended"].amount_usd.sum()
    private = y[y.instrument == "private"].amount_usd.sum()
    assert blended == pytest.approx(5e8)
    assert private == pytest.approx(5e8 * 2.0)  # SDG7 leverage 2.0


def test_adoption_follows_an_s_curve():
    d = no_noise(small_dict())
    d["end_year"] = 2060
    d["technologies"] = [{"id": "T1", "goals": {"SDG7": 0.5}, "trl": 7, "bass_p": 0.01, "bass_q": 0.5,
                          "base_access": 1.0}]
    d["research_bodies"] = []
    for c in d["countries"]:
        c["absorptive_capacity"] = 1.0
    m = run_model(scenario(d), runs=1)
    x = m.history["adoption"][:, 0, 0, 0]
    dx = np.diff(x)
    assert (dx >= 0).all() and x[-1] > 0.95
    peak = int(dx.argmax())
    assert 3 < peak < len(dx) - 3, "slow start, fast middle, saturation"
    assert (np.diff(dx[: peak + 1]) > 0).all() and (np.diff(dx[peak:]) < 0).all()
    # the inflection is where Bass puts it: X* = (q - p) / (2q)
    assert x[peak - 1] <= (0.5 - 0.01) / (2 * 0.5) <= x[peak + 1]


def test_technology_moves_up_trl_stages_when_funded():
    d = no_noise(small_dict())
    d["technologies"] = [{"id": "T1", "goals": {"SDG7": 0.5}, "trl": 3, "deploy_trl": 7, "stage_cost_usd": 1e6,
                          "stage_years": 2, "success_probability": 1.0}]
    d["research_bodies"] = [{"id": "R1", "budget_usd": 5e6, "portfolio": {"T1": 1}}]
    m = run_model(scenario(d), runs=2)
    trl = m.history["trl"][:, 0, 0]
    assert list(trl) == [3, 3, 4, 4, 5, 5, 6, 6, 7]  # one stage every 2 years, then deployable
    d["technologies"][0]["success_probability"] = 0.0
    m0 = run_model(scenario(d), runs=2)
    assert (m0.history["trl"] == 3).all()


def test_joint_research_bodies_succeed_more_often():
    def share_deployed(joint: bool) -> float:
        d = no_noise(small_dict())
        d["end_year"] = 2026
        d["technologies"] = [{"id": "T1", "goals": {"SDG7": 0.5}, "trl": 5, "stage_cost_usd": 1e6,
                              "stage_years": 1, "success_probability": 0.4}]
        d["research_bodies"] = [{"id": "R1", "budget_usd": 5e6, "portfolio": {"T1": 1}, "joint": joint,
                                 "collaboration_bonus": 0.5}]
        m = run_model(scenario(d), runs=400)
        return float((m.history["trl"][-1] >= 7).mean())

    solo, joint = share_deployed(False), share_deployed(True)
    assert joint > solo + 0.1


def test_transfer_partnerships_raise_adoption_in_recipients():
    d = no_noise(small_dict())
    d["technologies"][0]["trl"] = 7
    plain = scenario(d)
    d["partnerships"] = [{"id": "P1", "technology": "T1", "provider": "R1", "recipients": ["AAA"],
                          "funder": "D1", "budget_usd": 5e6, "access_boost": 0.6}]
    with_p = scenario(d)
    a, b = run_model(plain, runs=2), run_model(with_p, runs=2)
    xa, xb = a.history["adoption"][-1, :, :, 0], b.history["adoption"][-1, :, :, 0]
    assert (xb[:, 0] > xa[:, 0] + 0.01).all()
    # CCC is not a recipient: only second-order effects (donors re-target as AAA improves)
    np.testing.assert_allclose(xb[:, 2], xa[:, 2], rtol=1e-3)


def test_capacity_building_raises_absorptive_capacity_with_diminishing_returns():
    caps = []
    for share in (0.0, 0.2, 0.4):
        d = no_noise(small_dict())
        for donor in d["donors"]:
            donor["capacity_share"] = share
        caps.append(run_model(scenario(d), runs=1).history["capacity"][-1, 0])
    caps = np.array(caps)
    assert (caps[1] > caps[0]).all() and (caps[2] > caps[1]).all()
    assert ((caps[2] - caps[1]) < (caps[1] - caps[0])).all()


def test_worse_governance_leaks_more():
    good, bad = no_noise(small_dict()), no_noise(small_dict())
    for c in good["countries"]:
        c["governance"] = 90
    for c in bad["countries"]:
        c["governance"] = 20
    a, b = run_model(scenario(good), runs=1), run_model(scenario(bad), runs=1)
    assert _account(b, "leaked").sum() > 3 * _account(a, "leaked").sum()
    assert mean_scores(b)[-1].mean() < mean_scores(a)[-1].mean()


def test_negative_interlinkage_is_a_trade_off():
    syn, trade = no_noise(small_dict()), no_noise(small_dict())
    syn["interlinkages"] = []
    trade["interlinkages"] = [{"source": "SDG7", "target": "SDG6", "weight": -0.5}]
    a, b = run_model(scenario(syn), runs=1), run_model(scenario(trade), runs=1)
    g6 = 2
    assert (mean_scores(b)[-1, :, g6] < mean_scores(a)[-1, :, g6]).all()


def test_uncertainty_spreads_outcomes_and_zero_uncertainty_does_not():
    d = no_noise(small_dict())
    for k in d["technologies"]:
        k["success_probability"] = 1.0  # research outcomes are the other source of randomness
    m = run_model(scenario(d), runs=5)
    assert np.ptp(m.history["scores"][-1], axis=0).max() == 0.0
    d["uncertainty"] = {"effectiveness_sd": 0.3, "score_noise_sd": 0.0}
    m = run_model(scenario(d), runs=5)
    assert np.ptp(m.history["scores"][-1], axis=0).max() > 0.1


# ---------------------------------------------------------------- Mesa


def test_every_entity_is_one_mesa_agent_holding_its_index():
    from simulation.model.agents import Country, Donor, Facility, ResearchBody

    d = small_dict()
    d["facility"] = {"overhead_rate": 0.03}
    d["donors"][0]["pooled_share"] = 0.4
    sc = scenario(d)
    m = FinancingModel(sc, rng.replication_seeds(1, 2))
    by_type = {t: [(a.index, a.ident) for a in agents] for t, agents in m.agents_by_type.items()}
    assert by_type[Country] == list(enumerate(sc.country_ids))
    assert by_type[Donor] == list(enumerate(d.id for d in sc.donors))
    assert by_type[ResearchBody] == list(enumerate(r.id for r in sc.research_bodies))
    assert by_type[Facility] == [(0, "facility")]
    assert sorted(a.unique_id for a in m.agents) == list(range(1, len(m.agents) + 1))


def test_a_finished_model_is_freed():
    """Mesa 3.3 numbers agents in a class-level dict keyed by model; ours forget a model that is gone."""
    import gc
    import weakref

    m = FinancingModel(baseline(), rng.replication_seeds(1, 2)).run()
    ref = weakref.ref(m)
    del m
    gc.collect()
    assert ref() is None


def test_the_model_draws_nothing_from_mesas_generators():
    """Every draw comes from rng.py's per-replication streams (replication i gives the same numbers
    in any batch); Mesa's model.random and model.rng are not seeded by us, so nothing may use them."""
    import re
    from pathlib import Path

    import simulation.model as pkg

    uses = {p.name: re.findall(r"\b(?:self|m|model)\.(?:rng|random)\b", p.read_text())
            for p in Path(pkg.__file__).parent.glob("*.py")}
    assert not {k: v for k, v in uses.items() if v}
