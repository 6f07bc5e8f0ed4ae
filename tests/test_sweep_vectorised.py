"""Sweeps advance many design points in one batch: results bit-identical to one batch per point.

FinancingModel with `variants` (stacking.py) gives every parameter that differs between
the scenarios of a batch a replication axis; anything structural makes the scenarios run
as separate batches. These tests vary every numeric field of two scenarios with every
mechanism on (the baseline with a pooled facility, and a synthetic one) and compare
each output array of the batched run with the scenario run alone, with numpy.array_equal.
"""

from __future__ import annotations

import copy
import dataclasses
import sys
from functools import lru_cache

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulation.experiments.sweep import chunks
from simulation.experiments.sweep.designs import run_seeds
from simulation.experiments.sweep.running import prepare
from simulation.experiments.sweep.spec import load_sweep
from simulation.model import FinancingModel, RunArrays, StructureMismatch, parameters, result_arrays, rng, signature
from simulation.model.parameters import rule
from simulation.outcomes.metrics import scenario_key
from simulation.outcomes.registry import column_values, outcome_columns
from simulation.scenario import load_scenario, validate_data

from .factory import BASELINE, ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
from synthetic import make_scenario  # noqa: E402


def _baseline_data() -> dict:
    data = load_scenario(BASELINE).model_dump()
    data["facility"] = {"name": "Pooled", "strategy": "needs", "overhead_rate": 0.03, "channel_cost_usd": 1e5,
                        "blended_share": 0.1}
    data["donors"][0]["pooled_share"] = 0.2
    data["uncertainty"] = {"effectiveness_sd": 0.1, "score_noise_sd": 0.2}
    return data


BASES = {
    "baseline": _baseline_data,
    "synthetic": lambda: make_scenario(countries=6, goals=5, donors=8, bodies=3, technologies=4, years=8, seed=4),
}


def _leaves(data, path=()):
    """(path, value) of every numeric field (booleans and text excluded)."""
    if isinstance(data, dict):
        for k, v in data.items():
            yield from _leaves(v, (*path, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from _leaves(v, (*path, i))
    elif isinstance(data, (int, float)) and not isinstance(data, bool):
        yield path, data


def _with(data: dict, changes: dict) -> dict:
    out = copy.deepcopy(data)
    for path, value in changes.items():
        node = out
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
    return out


def _field(path: tuple) -> str:
    return ".".join(str(x) for x in path if not isinstance(x, int))


def _candidates(value):
    if isinstance(value, int):
        return [value + 1, value - 1]
    if value == 0:
        return [0.05, 0.01, 1.0]
    return [value * 0.7, value * 1.2, value + 0.01, value - 0.01]


@lru_cache(maxsize=None)
def _variants(name: str) -> tuple[dict, list[tuple[tuple, object]]]:
    """The base data and, for every numeric field, a valid different value (if one is found)."""
    data = BASES[name]()
    found = []
    for path, value in _leaves(data):
        for v in _candidates(value):
            try:
                validate_data(_with(data, {path: v}))
            except Exception:  # noqa: BLE001 - not a valid value here: try the next one
                continue
            found.append((path, v))
            break
    return data, found


def _assert_batch_equals_alone(groups, record_flows=False):
    """Run the (scenario, seeds) groups in one batch and each alone; every array identical."""
    batch = FinancingModel.batch(groups, record_flows=record_flows).run()
    arrays = result_arrays(batch)
    a = 0
    for sc, seeds in groups:
        alone = result_arrays(FinancingModel(sc, seeds, record_flows=record_flows).run())
        b = a + len(seeds)
        for key, value in alone.items():
            assert np.array_equal(arrays[key][a:b], value, equal_nan=True), (sc.name, key)
        a = b


@pytest.mark.parametrize("name", sorted(BASES))
def test_every_numeric_field_either_stacks_bit_identically_or_falls_back(name):
    data, found = _variants(name)
    assert len(found) > 100
    base = validate_data(data)
    key = signature(parameters(base))
    stackable, structural = [], []
    for path, v in found:
        sc = validate_data(_with(data, {path: v}))
        (stackable if signature(parameters(sc)) == key else structural).append((path, sc))
    # all stackable variants at once, each differing from the base in one field; 2 replications each
    groups = [(base, rng.replication_seeds(7, 2))] + [(sc, run_seeds(7, i + 1, range(2))) for i, (_, sc) in
                                                       enumerate(stackable)]
    _assert_batch_equals_alone(groups)
    for path, sc in structural:  # these are refused together, and run_many runs them apart
        with pytest.raises(StructureMismatch):
            FinancingModel.batch([(base, rng.replication_seeds(1, 1)), (sc, rng.replication_seeds(1, 1))])
    if structural:
        items = [(base, rng.replication_seeds(3, 2))] + [(sc, rng.replication_seeds(3, 2)) for _, sc in structural[:5]]
        together = chunks.run_many(items, ("sdg_index_end", "adoption_end"))
        for (sc, seeds), res in zip(items, together):
            alone = chunks._run_outcomes(sc, seeds, ("sdg_index_end", "adoption_end"))
            assert all(np.array_equal(res[c], alone[c]) for c in alone)
    stacked_fields = {_field(p) for p, _ in stackable}
    present = {_field(p) for p, _ in found}
    # what a sweep typically varies: funders, the facility, countries, goals, technologies, shocks
    for field in ("donors.budget_usd", "donors.overhead_rate", "donors.pooled_share", "donors.growth",
                  "donors.blended_share", "donors.capacity_share", "donors.channel_cost_usd",
                  "facility.overhead_rate", "facility.channel_cost_usd", "facility.blended_share",
                  "governance.leakage_max", "governance.exponent", "countries.population_m",
                  "countries.gdp_usd_bn", "countries.governance", "countries.absorptive_capacity",
                  "goals.effectiveness", "goals.spend_scale_usd_per_capita", "goals.decay",
                  "technologies.bass_q", "uncertainty.score_noise_sd", "capacity.max", "absorption.reference_capacity",
                  "facility.payout_rate", "facility.start_lag_years", "facility.risk_sharing", "facility.capacity_share",
                  "channels.recipient_cost_share", "channels.reference_flow_usd", "channels.cost_elasticity",
                  "channels.volatility_cost"):
        assert field in stacked_fields or field not in present, field
    assert not any(p[0] in ("donors", "facility", "governance", "goals", "capacity", "absorption", "uncertainty",
                            "channels", "countries", "technologies", "research_bodies", "partnerships")
                   for p, _ in structural), [p for p, _ in structural]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
@pytest.mark.parametrize("name", sorted(BASES))
def test_random_subsets_of_parameters_stack_bit_identically(name, data):
    base, found = _variants(name)
    n = len(found)
    picks = data.draw(st.lists(st.sets(st.integers(0, n - 1), min_size=1, max_size=6), min_size=2, max_size=4))
    reps = data.draw(st.lists(st.integers(1, 3), min_size=len(picks), max_size=len(picks)))
    common = data.draw(st.booleans())
    items = []
    for p, (chosen, r) in enumerate(zip(picks, reps)):
        try:
            sc = validate_data(_with(base, {found[i][0]: found[i][1] for i in chosen}))
        except Exception:  # noqa: BLE001 - jointly invalid: leave this one out
            continue
        items.append((sc, run_seeds(11, p, range(r), common)))
    columns = ("sdg_index_end", "adoption_end", "cost_per_point_usd", "gini_end")
    together = chunks.run_many(items, columns)  # structural differences fall back on their own
    for (sc, seeds), res in zip(items, together):
        alone = chunks._run_outcomes(sc, seeds, columns)
        assert all(np.array_equal(res[c], alone[c], equal_nan=True) for c in columns)
    same = [it for it in items if signature(parameters(it[0])) == signature(parameters(items[0][0]))]
    if len(same) > 1:
        _assert_batch_equals_alone(same, record_flows="yearly")


def test_strategy_parameters_may_differ_per_point():
    data = make_scenario(countries=5, goals=4, donors=12, bodies=2, technologies=3, years=6, seed=2)
    params = {"needs": {"gap_exponent": 2.0, "population_exponent": 0.8}, "performance": {"income_exponent": 0.3},
              "priority": {"population_exponent": 1.1}, "impact": {"steps": 7.0}, "adaptive": {"learning_rate": 0.9}}
    groups = [(validate_data(data), rng.replication_seeds(5, 2))]
    for i, d in enumerate(data["donors"]):
        if d["strategy"] in params:
            groups.append((validate_data(_with(data, {("donors", i, "strategy_params"): params[d["strategy"]]})),
                           run_seeds(5, i, range(2))))
    groups.append((validate_data(_with(data, {("facility", "strategy_params"): {"population_exponent": 1.7}})),
                   rng.replication_seeds(6, 3)))
    _assert_batch_equals_alone(groups)


def test_structure_that_differs_runs_as_separate_batches():
    data = _baseline_data()
    base = validate_data(data)
    other = [validate_data(_with(data, {("donors", 0, "strategy"): "equal"})),
             validate_data(_with(data, {("donors", 1, "eligible_countries"): ["ETH", "KEN"]})),
             validate_data({k: v for k, v in data.items() if k != "facility"} | {
                 "donors": [{**d, "pooled_share": 0.0} for d in data["donors"]]}),
             validate_data(_with(data, {("end_year",): data["end_year"] - 1}))]
    for sc in other:
        with pytest.raises(StructureMismatch):
            FinancingModel.batch([(base, rng.replication_seeds(1, 2)), (sc, rng.replication_seeds(1, 2))])
    items = [(sc, rng.replication_seeds(2, 3)) for sc in [base, *other, base]]
    full = [(sc, s, parameters(sc)) for sc, s in items]
    batches = chunks._batches(full, cap=128)
    assert sorted(map(sorted, batches)) == [[0, 5], [1], [2], [3], [4]]
    columns = ("sdg_index_end", "gini_end")
    for (sc, seeds), res in zip(items, chunks.run_many(items, columns)):
        alone = chunks._run_outcomes(sc, seeds, columns)
        assert all(np.array_equal(res[c], alone[c]) for c in columns)


def test_batches_respect_the_replication_cap():
    base = validate_data(_baseline_data())
    p = parameters(base)
    items = [(base, [None] * r, p) for r in (50, 50, 50, 200, 10, 60)]
    batches = chunks._batches(items, cap=128)
    assert [i for b in batches for i in b] == list(range(6))
    for b in batches:
        assert len(b) == 1 or sum(len(items[i][1]) for i in b) <= 128
    assert all(len(b) == 1 for b in chunks._batches(items, cap=0))


@pytest.mark.parametrize("name, common", [("baseline-sobol", True), ("baseline-sobol", False), ("pooling", True)])
def test_the_shipped_sweeps_give_the_same_rows_batched_or_point_by_point(name, common):
    sweep = load_sweep(ROOT / "scenarios" / "sweeps" / f"{name}.yaml")
    unit, plan = prepare(sweep)
    rt = dataclasses.replace(chunks.runtime(sweep), common=common)
    for c in ((0, plan.chunks - 1) if name == "baseline-sobol" else (1,)):
        a, b = plan.bounds(c)
        task = chunks.ChunkTask(c, a, unit[a:b])
        batched = chunks.run_chunk(rt, task)
        alone = chunks.run_chunk(dataclasses.replace(rt, batch_points=False), task)
        assert batched.keys() == alone.keys()
        for k in batched:
            if k in rt.outcome_columns:
                assert np.array_equal(np.array(batched[k]), np.array(alone[k]), equal_nan=True), k
            else:
                assert batched[k] == alone[k], k
        assert set(batched["status"]) == {"ok"}


def test_draws_of_repeated_seeds_are_those_of_each_seed():
    seeds = [*run_seeds(3, 0, range(3), True), *run_seeds(3, 5, range(3), True), *run_seeds(3, 1, range(2))]
    got = rng.draws(seeds, "budget", ["a", "b"], (4,))
    for s, seq in enumerate(seeds):
        for e, ident in enumerate(["a", "b"]):
            assert np.array_equal(got[s, e], rng.stream(seq, "budget", ident).standard_normal(4))


def _stackable(group, prefix=""):
    """(name, value, (axis, pad)) of every field of the parameter groups declared stackable."""
    for f in dataclasses.fields(group):
        value = getattr(group, f.name)
        if dataclasses.is_dataclass(value):
            yield from _stackable(value, f"{prefix}{f.name}.")
        elif rule(f) is not None:
            yield prefix + f.name, value, rule(f)


def test_every_stackable_parameter_is_numeric_with_room_for_its_replication_axis():
    """Each parameter group declares, field by field, where a batch's replication axis goes;
    a field declared stackable is numbers (or a dict of them) with that axis among its own."""
    p = parameters(validate_data(_baseline_data()))
    found = list(_stackable(p))
    assert {"goals.kappa", "donors.base", "facility.overhead", "channels.elasticity", "shocks.hit",
            "indicators.base_pc"} <= {name for name, _, _ in found}
    for name, value, (at, pad) in found:
        leaves = value.values() if isinstance(value, dict) else [value]
        for leaf in leaves:
            leaf = leaf.values() if isinstance(leaf, dict) else [leaf]
            for x in leaf:
                assert np.asarray(x).dtype.kind in "fiu", name
                assert np.ndim(x) >= at, name


def _report(name):  # pragma: no cover - a helper to look at which fields fall back
    data, found = _variants(name)
    key = signature(parameters(validate_data(data)))
    return sorted({_field(p) for p, v in found
                   if signature(parameters(validate_data(_with(data, {p: v})))) != key})


@pytest.mark.parametrize("name", sorted(BASES))
def test_outcomes_read_nothing_of_a_scenario_beyond_its_scenario_key(name):
    """Sweeps summarise the runs of scenarios with equal scenario_key together: a field outside
    the key must not change any outcome computed from the same runs."""
    data, found = _variants(name)
    base = validate_data(data)
    arrays = result_arrays(FinancingModel(base, rng.replication_seeds(1, 3), record_flows=False).run())
    columns = tuple(outcome_columns([base]))
    ref = column_values(RunArrays(scenario=base, seed=0, **arrays), columns)
    key = scenario_key(base)
    for path, v in found:
        sc = validate_data(_with(data, {path: v}))
        if scenario_key(sc) != key:
            continue
        got = column_values(RunArrays(scenario=sc, seed=0, **arrays), columns)
        assert all(np.array_equal(got[c], ref[c], equal_nan=True) for c in columns), path


def test_a_search_evaluates_a_policy_in_all_futures_as_one_model_per_future_would():
    from simulation.experiments.search import running as search_running
    from simulation.experiments.search.spec import load_search
    from simulation.scenario.paths import with_values

    rt = search_running.runtime(load_search(ROOT / "scenarios" / "searches" / "pia-levers.yaml"))
    row = np.random.default_rng(0).random(sum(len(p.dims) for p in rt.levers))
    got = search_running.evaluate_policy(rt, (0, row))
    assigns = search_running.decode_levers(rt.levers, row)[0]
    for f, fut in enumerate(rt.futures):
        sc = validate_data(with_values(rt.base, [*assigns, *fut]))
        alone = chunks._run_outcomes(sc, run_seeds(rt.seed, f, range(rt.replications)), rt.outcomes)
        assert np.array_equal(got["values"][f], [alone[c].mean() for c in rt.outcomes])
