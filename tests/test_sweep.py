"""Sweeps: sweep files with located errors, designs, seeds, executors, failures, storage."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from cli import main
from simulation.errors import InputError
from simulation.experiments.executors import make_executor
from simulation.experiments.sweep import chunks, designs, running, spec
from simulation.experiments.sweep.designs import make_design
from simulation.experiments.sweep.running import prepare, run_sweep
from simulation.experiments.sweep.spec import load_sweep
from simulation.results.sweeps import read_sweep_runs
from simulation.scenario import validate_data as _validate
from simulation.scenario.paths import check_path, lookup, split_path, with_values
from tests.factory import BASELINE

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "scenarios" / "sweeps" / "baseline-sobol.yaml"

SMALL = f"""\
name: small
scenario: {BASELINE}
design: {{method: lhs, samples: 6}}
parameters:
  donors.JPN-ODA.budget_usd: {{low: 1.0e9, high: 3.0e9}}
  governance.leakage_max: {{distribution: uniform, low: 0.1, high: 0.4}}
replications: 3
seed: 11
chunk_runs: 6
"""


def write(tmp_path: Path, text: str, name: str = "sweep.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def problems(path: Path) -> list:
    with pytest.raises(InputError) as info:
        prepare(load_sweep(path))  # prepare: sampled values are checked against the schema
    return info.value.problems


def run(path_or_sweep, out: Path, executor: str = "serial", workers: int = 1, **kw):
    sw = load_sweep(path_or_sweep) if not isinstance(path_or_sweep, spec.Sweep) else path_or_sweep
    run_sweep(sw, out, make_executor(executor, workers), **kw)
    return read_sweep_runs(out)


# --------------------------------------------------------------------------- sweep files


def test_the_shipped_example_validates_and_dry_runs():
    res = CliRunner().invoke(main, ["sweep", str(EXAMPLE), "--dry-run"])
    assert res.exit_code == 0, res.output
    sw = load_sweep(EXAMPLE)
    unit, plan = prepare(sw)
    assert plan.runs == plan.points * 2 * sw.replications
    assert f"= {plan.runs} runs" in res.output
    assert "estimate:" in res.output and "serial" in res.output and "disk:" in res.output
    assert [p.name for p in sw.policies] == ["bilateral", "pooled-20"]
    assert sw.policies[1].base["donors"][0]["pooled_share"] == 0.2
    assert sw.policies[0].base["facility"]["overhead_rate"] == 0.08


def test_a_shipped_sweep_is_found_by_name_from_any_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(main, ["sweep", "pooling", "--dry-run"])
    assert res.exit_code == 0, res.output
    assert "832 points x 3 policies x 4 replications" in res.output
    assert load_sweep("baseline-sobol").name == load_sweep(EXAMPLE).name
    res = CliRunner().invoke(main, ["sweep", "poolng", "--dry-run"])
    assert res.exit_code == 2
    assert "poolng:1: <sweep>: no such file and no shipped sweep of that name (shipped: baseline-sobol, pooling, technology)" \
        in res.output
    assert not (tmp_path / "results").exists()


@pytest.mark.parametrize("text, line, field, message", [
    # unknown top-level key, with the allowed ones listed
    ("scenario: {b}\ndesign: {{method: lhs, samples: 4}}\nparamters: {{}}\n", 3, "paramters", "unknown field"),
    # a parameter path that does not exist in the scenario: reported at its line in the sweep file
    ("scenario: {b}\ndesign: {{method: lhs, samples: 4}}\nparameters:\n  donors.JPN-ODA.budget_usd: {{low: 1, high: 2}}\n"
     "  donors.JPN-ODX.budget_usd: {{low: 1, high: 2}}\n", 5, "parameters.donors.JPN-ODX.budget_usd",
     "no item 'JPN-ODX' in donors of scenario 'baseline' (known ids: JPN-ODA"),
    ("scenario: {b}\ndesign: {{method: lhs, samples: 4}}\nparameters:\n  donors.JPN-ODA.budjet_usd: {{low: 1, high: 2}}\n",
     4, "parameters.donors.JPN-ODA.budjet_usd", "unknown field 'budjet_usd' in donors.JPN-ODA"),
    ("scenario: {b}\ndesign: {{method: lhs, samples: 4}}\nparameters:\n  facility.overhead_rate: {{low: 0, high: 0.1}}\n",
     4, "parameters.facility.overhead_rate", "'facility' is empty in scenario 'baseline'"),
    # distributions
    ("scenario: {b}\ndesign: {{method: lhs, samples: 4}}\nparameters:\n  governance.leakage_max:\n"
     "    low: 0.3\n    high: 0.1\n", 6, "parameters.governance.leakage_max.high", "must be above low"),
    ("scenario: {b}\ndesign: {{method: lhs, samples: 4}}\nparameters:\n  governance.leakage_max: "
     "{{distribution: normal, low: 0.3}}\n", 4, "parameters.governance.leakage_max", "needs 'mean'"),
    ("scenario: {b}\ndesign: {{method: lhs, samples: 4}}\nparameters:\n  governance.leakage_max: "
     "{{distribution: log-uniform, low: 0, high: 0.3}}\n", 4, "parameters.governance.leakage_max.low", "must be > 0"),
    ("scenario: {b}\ndesign: {{method: lhs, samples: 4}}\nparameters:\n  governance.leakage_max: "
     "{{distribution: gaussian, mean: 0.3}}\n", 4, "parameters.governance.leakage_max.distribution", "not an allowed value"),
    # designs
    ("scenario: {b}\ndesign:\n  method: saltelli\n  samples: 48\nparameters:\n  governance.leakage_max: {{low: 0, high: 1}}\n",
     4, "design.samples", "power of 2"),
    ("scenario: {b}\ndesign: {{method: lhs}}\nparameters:\n  governance.leakage_max: {{low: 0, high: 1}}\n",
     2, "design.samples", "needs 'samples'"),
    # a sampled value outside the schema's range is reported before any run, at the parameter's line
    ("scenario: {b}\ndesign: {{method: lhs, samples: 16}}\nparameters:\n  governance.exponent: {{low: 1, high: 2}}\n"
     "  donors.JPN-ODA.budget_usd: {{distribution: normal, mean: 1.0e9, sd: 2.0e9}}\n", 5,
     "parameters.donors.JPN-ODA.budget_usd", "lowest sampled value"),
    # files
    ("scenario: nowhere.yaml\ndesign: {{method: lhs, samples: 4}}\nparameters:\n  a.b: {{low: 0, high: 1}}\n",
     1, "scenario", "scenario file not found"),
    ("scenario: {b}\npolicies: {{a: {b}}}\ndesign: {{method: lhs, samples: 4}}\nparameters:\n  governance.exponent: "
     "{{low: 1, high: 2}}\n", 1, "scenario", "not both"),
    ("scenario: {b}\nset:\n  facility.overhead_rat: 0.1\ndesign: {{method: lhs, samples: 4}}\nparameters:\n"
     "  governance.exponent: {{low: 1, high: 2}}\n", 3, "set.facility.overhead_rat", "'facility' is empty"),
])
def test_sweep_file_errors_are_located(tmp_path, text, line, field, message):
    path = write(tmp_path, text.format(b=BASELINE))
    found = problems(path)
    p = next((p for p in found if p.field == field), None)
    assert p is not None, found
    assert (p.file, p.line) == (str(path), line), found
    assert message in p.message, p.message


def test_cli_reports_a_bad_sweep_file_with_exit_2_and_no_traceback(tmp_path):
    path = write(tmp_path, SMALL.replace("governance.leakage_max", "governance.leakage_maximum"))
    res = CliRunner().invoke(main, ["sweep", str(path), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert (f"{path}:6: parameters.governance.leakage_maximum: unknown field 'leakage_maximum' in governance "
            "of scenario 'baseline' (allowed: leakage_max, exponent)") in res.output
    assert "Traceback" not in res.output and not (tmp_path / "o").exists()


# --------------------------------------------------------------------------- designs


def design_of(tmp_path, design: str, params: str, **extra) -> tuple[spec.Sweep, np.ndarray]:
    more = "".join(f"{k}: {v}\n" for k, v in extra.items())
    sw = load_sweep(write(tmp_path, f"scenario: {BASELINE}\ndesign: {design}\nparameters:\n{params}{more}"))
    return sw, make_design(sw)


TWO = "  governance.leakage_max: {low: 0.1, high: 0.4}\n  governance.exponent: {low: 1, high: 3}\n"


def test_full_grid_takes_every_level_including_the_bounds(tmp_path):
    sw, unit = design_of(tmp_path, "{method: grid, levels: 3}",
                         TWO + "  donors.JPN-ODA.strategy: {values: [needs, priority]}\n")
    assert unit.shape == (3 * 3 * 2, 3)
    table = pd.DataFrame(designs.design_table(sw, unit))
    assert sorted(table["governance.leakage_max"].round(12).unique()) == [0.1, 0.25, 0.4]
    assert sorted(table["governance.exponent"].unique()) == [1.0, 2.0, 3.0]
    assert sorted(table["donors.JPN-ODA.strategy"].unique()) == ["needs", "priority"]
    assert not table.drop(columns="point").filter(regex="^[^u]").duplicated().any()


def test_latin_hypercube_puts_one_point_in_each_stratum(tmp_path):
    _, unit = design_of(tmp_path, "{method: lhs, samples: 20}", TWO)
    for d in range(2):
        assert sorted((unit[:, d] * 20).astype(int)) == list(range(20))


def test_sample_sizes_of_sobol_saltelli_and_morris(tmp_path):
    three = TWO + "  donors.JPN-ODA.overhead_rate: {low: 0.05, high: 0.1}\n"
    assert design_of(tmp_path, "{method: sobol, samples: 16}", three)[1].shape == (16, 3)
    assert design_of(tmp_path, "{method: saltelli, samples: 8}", three)[1].shape == (8 * (3 + 2), 3)
    assert design_of(tmp_path, "{method: saltelli, samples: 8, second_order: true}", three)[1].shape == (8 * 8, 3)
    _, morris = design_of(tmp_path, "{method: morris, samples: 5, levels: 4}", three)
    assert morris.shape == (5 * 4, 3)
    assert set(np.round(morris.ravel() * 3, 9)) <= {0.0, 1.0, 2.0, 3.0}  # on the 4-level grid


def test_designs_are_deterministic_in_the_sweep_seed(tmp_path):
    _, a = design_of(tmp_path, "{method: sobol, samples: 8}", TWO, seed=5)
    _, b = design_of(tmp_path, "{method: sobol, samples: 8}", TWO, seed=5)
    _, c = design_of(tmp_path, "{method: sobol, samples: 8}", TWO, seed=6)
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_distributions_map_the_unit_interval_by_their_inverse_cdf(tmp_path):
    params = ("  donors.JPN-ODA.budget_usd: {distribution: log-uniform, low: 1.0e8, high: 1.0e10}\n"
              "  governance.exponent: {distribution: normal, mean: 2, sd: 0.1}\n"
              "  technologies.precision-agri.trl: {low: 3, high: 6, integer: true}\n")
    sw = load_sweep(write(tmp_path, f"scenario: {BASELINE}\ndesign: {{method: lhs, samples: 4}}\nparameters:\n{params}"))
    logu, normal, trl = sw.parameters
    u = np.array([[0.0], [0.5], [1.0]])
    np.testing.assert_allclose(logu.decode(u)[:, 0], [1e8, 1e9, 1e10])
    np.testing.assert_allclose(normal.decode(u)[:, 0], [2 - 0.309023, 2.0, 2 + 0.309023], atol=1e-6)  # clipped ±3.09 sd
    assert trl.decode(np.array([[0.4]]))[0, 0] == 4.0 and trl.value(trl.decode(np.array([[0.4]]))[0]) == 4
    assert isinstance(trl.value(trl.decode(np.array([[0.4]]))[0]), int)  # whole-number fields stay valid


def test_vector_parameter_spans_several_dimensions_and_sets_a_mapping_in_key_order(tmp_path):
    text = (f"scenario: {BASELINE}\ndesign: {{method: lhs, samples: 4}}\nparameters:\n"
            "  countries.ETH.roadmap_priority: {low: [0.1, 0.1, 0.1, 0.1], high: [0.5, 0.5, 0.5, 0.9]}\n"
            "replications: 1\n")
    sw = load_sweep(write(tmp_path, text))
    assert sw.dims == [f"countries.ETH.roadmap_priority[{i}]" for i in range(4)]
    assert sw.groups == ["countries.ETH.roadmap_priority"] * 4
    runs = run(sw, tmp_path / "o")
    assert len(runs) == 4 and (runs.status == "ok").all()
    p = sw.parameters[0]
    data = with_values(sw.policies[0].base, [(p.parts, [0.1, 0.2, 0.3, 0.4])])
    assert data["countries"][0]["roadmap_priority"] == {"SDG2": 0.1, "SDG3": 0.2, "SDG6": 0.3, "SDG7": 0.4}
    assert sw.policies[0].base["countries"][0]["roadmap_priority"]["SDG2"] == 0.3  # the base is untouched
    bad = write(tmp_path, text.replace("[0.1, 0.1, 0.1, 0.1], high: [0.5, 0.5, 0.5, 0.9]", "[0.1, 0.1], high: [0.5, 0.5]"))
    (p,) = problems(bad)
    assert p.line == 4 and "a vector of 2 values for a mapping of 4 keys (SDG2, SDG3, SDG6, SDG7)" in p.message


# --------------------------------------------------------------------------- runs, seeds, executors


@pytest.fixture(scope="module")
def small_runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("small")
    path = write(tmp, SMALL)
    return path, run(path, tmp / "serial")


def test_every_experiment_runs_once_with_its_parameters_and_seed(small_runs):
    path, runs = small_runs
    sw = load_sweep(path)
    unit = make_design(sw)
    assert len(runs) == 6 * 1 * 3
    assert not runs.duplicated(["policy", "point", "replication"]).any()
    assert set(runs.policy) == {"baseline"} and (runs.status == "ok").all() and runs.error.isna().all()
    assert (runs.seed == 11).all() and sorted(runs.replication.unique()) == [0, 1, 2]
    expected = designs.design_table(sw, unit)["donors.JPN-ODA.budget_usd"]
    np.testing.assert_array_equal(runs.groupby("point")["donors.JPN-ODA.budget_usd"].first().to_numpy(), expected)
    assert runs["donors.JPN-ODA.budget_usd"].between(1e9, 3e9).all()
    for col in ("sdg_index_end", "gap_closure", "cost_per_point_usd", "gini_end", "sdg_index_end@ETH",
                "goal_score_end:SDG3", "overhead_usd"):
        assert runs[col].notna().all(), col
    assert runs.sdg_index_end.between(0, 100).all()
    # replications of a point differ (they have their own seeds)
    assert runs.groupby("point").sdg_index_end.nunique().min() == 3


def test_a_point_reproduces_the_model_run_with_its_derived_seeds(small_runs):
    path, runs = small_runs
    sw = load_sweep(path)
    unit = make_design(sw)
    rt = chunks.runtime(sw)
    assigns, _ = chunks._point_values(rt, unit[4])
    sc = _validate(with_values(sw.policies[0].base, assigns))
    out = chunks._run_outcomes(sc, designs.run_seeds(11, 4, range(1, 2)), rt.outcome_columns)
    row = runs[(runs.point == 4) & (runs.replication == 1)].iloc[0]
    assert out["sdg_index_end"][0] == row.sdg_index_end
    assert sc.donors[0].budget_usd == row["donors.JPN-ODA.budget_usd"]


def test_results_do_not_depend_on_chunking(small_runs, tmp_path):
    path, runs = small_runs
    other = run(write(tmp_path, SMALL.replace("chunk_runs: 6", "chunk_runs: 1000")), tmp_path / "one-chunk")
    assert runs.chunk.nunique() == 3 and other.chunk.nunique() == 1
    pd.testing.assert_frame_equal(runs.drop(columns="chunk"), other.drop(columns="chunk"))


def test_serial_process_and_dask_give_bit_identical_results(small_runs, tmp_path):
    path, serial = small_runs
    process = run(path, tmp_path / "process", "process", 2)
    dask = run(path, tmp_path / "dask", "dask", 2)  # a LocalCluster of 2 workers on 127.0.0.1
    pd.testing.assert_frame_equal(serial, process, check_exact=True)
    pd.testing.assert_frame_equal(serial, dask, check_exact=True)
    assert json.loads((tmp_path / "dask" / "manifest.json").read_text())["executor"]["name"] == "dask"


def _blas_threads(shared, task) -> list[int]:
    from threadpoolctl import threadpool_info

    return sorted({d["num_threads"] for d in threadpool_info() if d["user_api"] == "blas"})


@pytest.mark.parametrize("name", ["process", "dask"])
def test_every_worker_computes_with_one_blas_thread(name):
    """Two workers on two cores: a worker whose BLAS also starts a thread per core competes with
    the other worker (a forked Dask worker inherited the driver's pools: 1.12 ms of CPU a run
    instead of 0.85 on a 10^4-run sweep)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(2, user_api="blas"), make_executor(name, 2) as ex:  # the driver's pools: 2 threads
        found = [r for _, r in ex.map_unordered(_blas_threads, None, range(4))]
    assert found == [[1]] * 4


def test_policies_share_random_numbers_and_common_random_numbers_span_points(tmp_path):
    text = (f"policies: {{a: {BASELINE}, b: {BASELINE}}}\ndesign: {{method: random, samples: 3}}\nparameters:\n"
            "  donors.JPN-ODA.budget_usd: {values: [1.5e9]}\nreplications: 2\nseed: 4\n")
    runs = run(write(tmp_path, text), tmp_path / "indep")
    a, b = (runs[runs.policy == p].reset_index(drop=True) for p in "ab")
    assert np.array_equal(a.sdg_index_end, b.sdg_index_end)  # the same seeds for every policy
    assert runs[runs.replication == 0].sdg_index_end.nunique() == 3  # but new seeds at each point
    crn = run(write(tmp_path, text + "common_random_numbers: true\n", "crn.yaml"), tmp_path / "crn")
    assert crn[crn.replication == 0].sdg_index_end.nunique() == 1  # same parameters, same streams: same result
    assert crn[crn.point == 0].sdg_index_end.nunique() == 2


# --------------------------------------------------------------------------- failures and storage


def test_points_that_are_invalid_together_are_recorded_as_failed_runs(tmp_path):
    text = (f"scenario: {BASELINE}\nset: {{facility: {{}}}}\ndesign: {{method: lhs, samples: 12}}\nparameters:\n"
            "  donors.JPN-ODA.capacity_share: {low: 0, high: 0.85}\n"
            "  donors.JPN-ODA.blended_share: {low: 0, high: 0.95}\nreplications: 2\nseed: 3\n")
    runs = run(write(tmp_path, text), tmp_path / "o")
    total = runs["donors.JPN-ODA.capacity_share"] + runs["donors.JPN-ODA.blended_share"]
    failed = runs.status == "failed"
    assert failed.any() and (~failed).any() and len(runs) == 24
    assert (failed == (total > 1 + 1e-12)).all()
    assert runs[failed].error.str.contains("invalid scenario: donors.JPN-ODA.blended_share").all()
    assert runs[failed].sdg_index_end.isna().all() and runs[~failed].sdg_index_end.notna().all()


def test_a_worker_that_raises_records_failed_runs_and_the_sweep_goes_on(tmp_path, monkeypatch):
    real, real_stacked = chunks._run_outcomes, chunks._run_stacked

    def flaky(sc, seeds, columns):
        if seeds[0].spawn_key[0] == 2:
            raise RuntimeError("boom at point 2")
        return real(sc, seeds, columns)

    def flaky_stacked(items, columns):  # a batch with point 2 raises; its points re-run one by one
        if any(seeds[0].spawn_key[0] == 2 for _, seeds, _ in items):
            raise RuntimeError("boom in a batch")
        return real_stacked(items, columns)

    monkeypatch.setattr(chunks, "_run_outcomes", flaky)
    monkeypatch.setattr(chunks, "_run_stacked", flaky_stacked)
    runs = run(write(tmp_path, SMALL), tmp_path / "o")
    assert len(runs) == 18
    bad = runs[runs.status == "failed"]
    assert set(bad.point) == {2} and len(bad) == 3
    assert (bad.error == "RuntimeError: boom at point 2").all()
    man = json.loads((tmp_path / "o" / "manifest.json").read_text())
    assert man["status"] == "complete" and man["runs_done"] == 18


def test_the_folder_holds_a_manifest_design_and_one_file_per_chunk(small_runs, tmp_path):
    path, _ = small_runs
    out = tmp_path / "o"
    run(path, out)
    man = json.loads((out / "manifest.json").read_text())
    sw = load_sweep(path)
    assert man["kind"] == "sweep" and man["status"] == "complete" and man["seed"] == 11
    assert man["fingerprint"] == sw.fingerprint()
    assert man["policies"]["baseline"]["scenario_hash"] == sw.policies[0].scenario.content_hash()
    assert man["design"]["method"] == "lhs" and man["design"]["points"] == 6
    assert man["plan"]["chunks"] == 3 and man["runs_total"] == 18
    assert "sdgsim_version" in man and "SALib" in man["versions"]
    assert sorted(p.name for p in (out / "runs").iterdir()) == [f"part-00000{i}.parquet" for i in range(3)]
    design = pd.read_parquet(out / "design.parquet")
    assert list(design.columns[:3]) == ["point", "donors.JPN-ODA.budget_usd", "governance.leakage_max"]
    assert (out / "sweep.yaml").read_text() == path.read_text()


def test_an_existing_folder_is_replaced_only_with_force(small_runs, tmp_path):
    path, _ = small_runs
    out = tmp_path / "o"
    out.mkdir()
    (out / "manifest.json").write_text("{}")  # a results folder (--force never replaces other folders)
    (out / "keep.txt").write_text("x")
    res = CliRunner().invoke(main, ["sweep", str(path), "--executor", "serial", "--out", str(out)])
    assert res.exit_code == 2 and "already exists" in res.output and (out / "keep.txt").exists()
    res = CliRunner().invoke(main, ["sweep", str(path), "--executor", "serial", "--out", str(out), "--force"])
    assert res.exit_code == 0, res.output
    assert not (out / "keep.txt").exists() and "Done: 18 runs, 0 failed" in res.output


def test_resume_refuses_a_folder_of_a_changed_sweep(small_runs, tmp_path):
    path, _ = small_runs
    out = tmp_path / "o"
    run(path, out)
    changed = write(tmp_path, SMALL.replace("seed: 11", "seed: 12"), "changed.yaml")
    res = CliRunner().invoke(main, ["sweep", str(changed), "--executor", "serial", "--out", str(out), "--resume"])
    assert res.exit_code == 2 and "changed since this folder was started" in res.output


def test_dry_run_writes_nothing(small_runs, tmp_path):
    path, _ = small_runs
    res = CliRunner().invoke(main, ["sweep", str(path), "--dry-run", "--out", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    assert "6 points x 1 policies x 3 replications = 18 runs, in 3 chunks" in res.output
    assert not (tmp_path / "o").exists()
    est = running.estimate(load_sweep(path), *reversed(prepare(load_sweep(path))))
    assert est["runs"] == 18 and est["rate_serial"] > 0 and est["bytes"] > 0 and math.isfinite(est["seconds_serial"])


def test_a_chunk_whose_task_dies_is_left_for_resume(small_runs, tmp_path, monkeypatch):
    path, reference = small_runs
    real = chunks.run_chunk

    def dies_on_chunk_1(rt, task):
        if task.chunk == 1:
            raise OSError("worker lost")
        return real(rt, task)

    monkeypatch.setattr(running, "run_chunk", dies_on_chunk_1)
    out = tmp_path / "o"
    with pytest.raises(running.SweepIncomplete) as info:
        run(path, out)
    assert info.value.lost == [(1, "OSError: worker lost")] and info.value.done == 12
    man = json.loads((out / "manifest.json").read_text())
    assert man["status"] == "incomplete" and man["lost_chunks"] == [{"chunk": 1, "error": "OSError: worker lost"}]
    monkeypatch.setattr(running, "run_chunk", real)
    pd.testing.assert_frame_equal(run(path, out, resume=True), reference)


def test_a_worker_keeps_no_model_after_a_chunk_so_memory_stays_bounded(small_runs):
    import gc

    from simulation.model import FinancingModel

    path, _ = small_runs
    sw = load_sweep(path)
    unit, plan = prepare(sw)
    for c in range(plan.chunks):
        a, b = plan.bounds(c)
        chunks.run_chunk(chunks.runtime(sw), chunks.ChunkTask(c, a, unit[a:b]))
    gc.collect()
    # type(), not isinstance(): a dead weakref.proxy among the objects would raise ReferenceError
    assert not [o for o in gc.get_objects() if issubclass(type(o), FinancingModel)]


# --------------------------------------------------------------------------- paths and set in the scenario's vocabulary


def test_paths_address_ids_with_dots_plainly_or_in_brackets(tmp_path):
    text = (f"scenario: {BASELINE}\ndesign: {{method: lhs, samples: 4}}\nparameters:\n"
            "  indicators.SH.DYN.MORT.unit_cost_usd: {low: 4000, high: 6000}\n"
            "  indicators[SH.H2O.BASW.ZS].unit_cost_usd: {low: 100, high: 200}\n"
            "  countries.ETH.indicators[EG.ELC.ACCS.ZS].value: {low: 50, high: 55}\n"
            "  countries.GHA.indicators.SN.ITK.DEFC.ZS.value: {low: 5, high: 6}\n")
    sw = load_sweep(write(tmp_path, text))
    unit, _ = prepare(sw)
    data = with_values(sw.policies[0].base, [(p.parts, 1234.0) for p in sw.parameters])
    ind = {i["id"]: i["unit_cost_usd"] for i in data["indicators"]}
    assert ind["SH.DYN.MORT"] == ind["SH.H2O.BASW.ZS"] == 1234.0 and ind["EG.ELC.ACCS.ZS"] == 400
    eth = next(c for c in data["countries"] if c["id"] == "ETH")
    gha = next(c for c in data["countries"] if c["id"] == "GHA")
    assert eth["indicators"]["EG.ELC.ACCS.ZS"]["value"] == gha["indicators"]["SN.ITK.DEFC.ZS"]["value"] == 1234.0
    assert sw.dims[1] == "indicators[SH.H2O.BASW.ZS].unit_cost_usd"  # columns keep the path as written


def test_a_path_that_could_name_two_dotted_ids_asks_for_brackets():
    data = {"indicators": [{"id": "A.B", "x": 1}, {"id": "A.B.C", "x": 2}]}
    why = check_path(data, "indicators.A.B.C.x", "s")
    assert "'A.B.C' could name 'A.B' and 'A.B.C'; write the id in brackets, e.g. [A.B.C]" in why
    assert check_path(data, "indicators[A.B.C].x", "s") is None
    assert lookup(data, split_path("indicators[A.B].x")) == 1


def test_an_unknown_item_among_dotted_ids_suggests_brackets(tmp_path):
    text = (f"scenario: {BASELINE}\ndesign: {{method: lhs, samples: 4}}\nparameters:\n"
            "  indicators.SH.DYN.MORTX.unit_cost_usd: {low: 4000, high: 6000}\n")
    [p] = problems(write(tmp_path, text))
    assert (p.line, p.field) == (4, "parameters.indicators.SH.DYN.MORTX.unit_cost_usd")
    assert "no item 'SH' in indicators" in p.message and "in brackets, e.g. indicators[SN.ITK.DEFC.ZS]" in p.message


def test_a_sweep_wide_set_that_collides_with_a_policys_own_set_is_a_located_error(tmp_path):
    text = (f"set:\n  donors.JPN-ODA.pooled_share: 0.0\npolicies:\n  bilateral: {BASELINE}\n  pooled:\n"
            f"    scenario: {BASELINE}\n    set:\n      donors.JPN-ODA.pooled_share: 0.2\n"
            "design: {method: lhs, samples: 4}\nparameters:\n  governance.exponent: {low: 1, high: 2}\n")
    [p] = problems(write(tmp_path, text))
    assert (p.line, p.field) == (2, "set.donors.JPN-ODA.pooled_share")
    assert "collides with policy 'pooled''s own set donors.JPN-ODA.pooled_share (line 8)" in p.message
    whole = text.replace("set:\n  donors.JPN-ODA.pooled_share: 0.0\n", "set:\n  donors.JPN-ODA: {id: JPN-ODA}\n", 1)
    found = problems(write(tmp_path, whole, "whole.yaml"))  # setting the whole donor collides too
    assert any(p.field == "set.donors.JPN-ODA" and "collides with policy 'pooled'" in p.message for p in found), found


def test_a_sweep_wide_set_over_a_field_the_policies_differ_in_is_a_located_error(tmp_path):
    other = tmp_path / "leaky.yaml"
    other.write_text(f"extends: {os.path.relpath(BASELINE, tmp_path)}\nname: leaky\ngovernance: {{leakage_max: 0.5}}\n")
    text = (f"set:\n  governance.leakage_max: 0.3\npolicies:\n  base: {BASELINE}\n  leaky: leaky.yaml\n"
            "design: {method: lhs, samples: 4}\nparameters:\n  governance.exponent: {low: 1, high: 2}\n")
    [p] = problems(write(tmp_path, text))
    assert (p.line, p.field) == (2, "set.governance.leakage_max")
    assert "the policies set governance.leakage_max differently ('base' has 0.3; 'leaky' has 0.5)" in p.message
    assert "override each policy's own setting" in p.message
    same = text.replace("leaky: leaky.yaml", f"other: {BASELINE}")
    assert load_sweep(write(tmp_path, same, "same.yaml")).policies[1].base["governance"]["leakage_max"] == 0.3
