"""The engine agrees with an independent, naive per-agent Mesa implementation.

benchmarks/reference_naive.py re-implements the model with Python loops, one agent and
one replication at a time, sharing only the scenario loader and the random streams with
the engine. Replication i of both must give the same goal scores and the same money
balance to 1e-9 relative — an end-to-end check of every mechanism of the engine.
"""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.reference_naive import run_reference, without_indicators
from benchmarks.synthetic import STRATEGY_CYCLE, make_scenario
from simulation.errors import InputError
from simulation.experiments.replications import run_scenario
from simulation.scenario import BudgetCut, Pandemic, Scenario, validate_data
from tests.factory import baseline

RTOL = 1e-9


def baseline_scores_only() -> Scenario:
    """The baseline without its indicators (reference_naive.without_indicators)."""
    return without_indicators(baseline(), "baseline without indicators")


def small_synthetic(**shape):
    spec = dict(countries=6, goals=5, donors=6, bodies=3, technologies=4, years=8, seed=0) | shape
    return validate_data(make_scenario(**spec), "<synthetic>")


def assert_agree(ref: dict, eng) -> None:
    np.testing.assert_allclose(ref["scores"], eng.scores, rtol=RTOL, atol=RTOL)
    # money: every account to 1e-9 of that year's sources (an account can be ~0, e.g. unspent)
    sources = eng.balance[..., :1]
    assert ref["balance"].shape == eng.balance.shape
    assert np.all(np.abs(ref["balance"] - eng.balance) <= RTOL * sources)
    np.testing.assert_allclose(ref["adoption"], eng.adoption, rtol=RTOL, atol=1e-12)
    np.testing.assert_allclose(ref["capacity"], eng.capacity, rtol=RTOL)
    np.testing.assert_array_equal(ref["trl"], eng.trl)
    assert np.all(np.abs(ref["private"] - eng.private) <= RTOL * sources[..., 0])


def test_synthetic_scenario_exercises_every_mechanism():
    sc = small_synthetic()
    assert {d.strategy for d in sc.donors} == set(STRATEGY_CYCLE)
    assert sc.facility is not None and any(d.pooled_share > 0 for d in sc.donors)
    f = sc.facility
    assert f.capacity_share > 0 and f.payout_rate < 1 and f.start_lag_years > 0 and f.risk_sharing > 0
    assert f.coordinated and sum(d.coordinated for d in sc.donors) >= 1
    assert any(d.blended_share > 0 for d in sc.donors) and any(g.leverage > 0 for g in sc.goals)
    assert any(d.capacity_share > 0 for d in sc.donors) and any(d.noise_sd > 0 for d in sc.donors)
    assert any(r.joint and r.collaboration_bonus > 0 for r in sc.research_bodies)
    assert {k.trl >= k.deploy_trl for k in sc.technologies} == {True, False}
    assert any(p.budget_usd > 0 for p in sc.partnerships)
    assert {type(s) for s in sc.shocks} == {Pandemic, BudgetCut}
    assert {link.weight > 0 for link in sc.interlinkages} == {True, False}
    assert sc.uncertainty.effectiveness_sd > 0 and sc.uncertainty.score_noise_sd > 0


def test_engine_matches_naive_reference_on_the_baseline_scores_only():
    sc = baseline_scores_only()
    ref = run_reference(sc, seed=7, runs=3)
    eng = run_scenario(sc, runs=3, seed=7, record_flows=False)
    assert_agree(ref, eng)
    # the replications really differ (noise is drawn), so agreement is not trivial
    assert not np.allclose(ref["scores"][0], ref["scores"][1])


def test_engine_matches_naive_reference_on_a_small_synthetic_scenario():
    sc = small_synthetic()
    ref = run_reference(sc, seed=3, runs=3)
    eng = run_scenario(sc, runs=3, seed=3, record_flows=False)
    assert_agree(ref, eng)
    # the mechanisms were live: a pandemic year lowered the health goal somewhere, money was
    # mobilised, and some technology moved up a TRL
    assert eng.private.sum() > 0
    assert (np.diff(eng.trl, axis=1) > 0).any()
    assert (eng.adoption[:, -1] > 0).any()


def test_engine_matches_reference_with_impact_donors_of_different_steps():
    # 12 donors: two impact donors, one with the default 20 steps and one with 12
    sc = small_synthetic(countries=8, goals=6, donors=12, bodies=4, technologies=6, years=6, seed=4)
    steps = sorted(d.strategy_params.get("steps", 20.0) for d in sc.donors if d.strategy == "impact")
    assert steps == [12.0, 20.0]
    ref = run_reference(sc, seed=9, runs=2)
    eng = run_scenario(sc, runs=2, seed=9, record_flows=False)
    assert_agree(ref, eng)


def test_replication_i_of_the_reference_is_replication_i_of_the_engine():
    sc = small_synthetic()
    eng = run_scenario(sc, runs=3, seed=5, record_flows=False)
    ref = run_reference(sc, seed=5, runs=3, first=2, count=1)
    np.testing.assert_allclose(ref["scores"][0], eng.scores[2], rtol=RTOL, atol=RTOL)
    with pytest.raises(AssertionError):  # and not replication 1
        np.testing.assert_allclose(ref["scores"][0], eng.scores[1], rtol=RTOL, atol=RTOL)


def test_a_scenario_without_donors_research_or_technologies_runs_and_matches():
    # regression: Donor.learn looked up mesa's agents_by_type[Donor], a KeyError with no donors
    sc = small_synthetic(countries=3, goals=2, donors=0, bodies=0, technologies=0, years=3)
    ref = run_reference(sc, seed=2, runs=2)
    eng = run_scenario(sc, runs=2, seed=2, record_flows=False)
    assert_agree(ref, eng)
    assert (np.diff(eng.scores, axis=1) != 0).any()


def test_a_partnership_listing_a_recipient_twice_still_conserves_money():
    # regression: the budget was split 1/len(recipients) over the distinct recipients only
    data = make_scenario(countries=6, goals=5, donors=6, bodies=3, technologies=4, years=4)
    first = data["partnerships"][0]
    first["recipients"] = [first["recipients"][0], *first["recipients"]]
    with pytest.raises(InputError, match="listed twice"):  # files may not do this any more ...
        validate_data(data, "<synthetic>")
    sc = Scenario.model_validate(data)  # ... but the model stays safe if handed such a scenario
    eng = run_scenario(sc, runs=2, seed=1, record_flows=False)
    b = eng.balance
    assert np.all(np.abs(b[..., 0] - b[..., 1:].sum(axis=-1)) <= 1e-9 * b[..., 0])
    assert_agree(run_reference(sc, seed=1, runs=2), eng)


def test_engine_matches_reference_when_the_facility_keeps_the_pooled_moneys_own_mix():
    # the facility's windows left unset: each year they are the contributors' shares weighted by
    # what each pooled (funding.windows); and a cash-funded guarantee behind its risk sharing
    data = make_scenario(countries=6, goals=5, donors=6, bodies=3, technologies=4, years=6, seed=2)
    del data["facility"]["blended_share"], data["facility"]["capacity_share"]
    data["facility"]["guarantee_provisioning"] = 1.0
    sc = validate_data(data, "<synthetic>")
    assert sc.facility.blended_share is None and any(d.pooled_share > 0 and d.blended_share > 0 for d in sc.donors)
    ref = run_reference(sc, seed=4, runs=2)
    eng = run_scenario(sc, runs=2, seed=4, record_flows=False)
    assert_agree(ref, eng)
