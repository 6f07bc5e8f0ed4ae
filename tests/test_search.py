"""Scenario discovery (PRIM/CART on a synthetic sweep) and robust policy search (NSGA-II):
reproducible serial vs parallel, resumable, located errors."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import cli
import simulation as sim
from simulation.analysis.discovery import discover_cases, make_cases
from simulation.api.search import load_search
from simulation.api.sweeps import SweepResult
from simulation.errors import SearchInterrupted

ROOT = Path(__file__).resolve().parents[1]


def synthetic_sweep(n=600, seed=3):
    """Failure when a < 0.3 and b > 0.6 (c is noise); 2 replications per point."""
    rng = np.random.default_rng(seed)
    u = rng.random((n, 3))
    design = pd.DataFrame({"point": np.arange(n), "a": u[:, 0], "b": 10 * u[:, 1], "c": u[:, 2],
                           "u:a": u[:, 0], "u:b": u[:, 1], "u:c": u[:, 2]})
    fail = (u[:, 0] < 0.3) & (u[:, 1] > 0.6)
    rows = []
    for r in range(2):
        y = 60 + rng.normal(0, 0.3, n) - 5 * fail
        rows.append(pd.DataFrame({"policy": "p", "point": np.arange(n), "replication": r, "status": "ok",
                                  "sdg_index_end": y}))
    runs = pd.concat(rows, ignore_index=True)
    man = {"plan": {"runs": len(runs)}, "outcomes": ["sdg_index_end"]}
    return SweepResult(runs, design, man), fail


def test_prim_recovers_a_known_failure_region():
    sr, fail = synthetic_sweep()
    d = sim.discover(sr, "sdg_index_end", below=57.5)
    assert d.base_rate == pytest.approx(fail.mean(), abs=0.01)
    b = d.to_json()["boxes"][0]
    assert set(b["bounds"]) == {"a", "b"}
    assert b["bounds"]["a"][1] == pytest.approx(0.3, abs=0.03)
    assert b["bounds"]["b"][0] == pytest.approx(6.0, abs=0.3)
    assert b["coverage"] > 0.9 and b["density"] > 0.9
    assert all(p < 1e-6 for p in b["quasi_p"].values())
    assert len(d.trajectory) > 5 and {"coverage", "density", "restricted"} <= set(d.trajectory.columns)


def test_worst_fraction_cart_and_feature_scores():
    sr, fail = synthetic_sweep()
    params = ["a", "b", "c"]
    cases = make_cases(sr.runs, sr.design, params, "sdg_index_end", worst=fail.mean())
    assert cases.y.sum() == round(fail.mean() * len(fail))
    d = discover_cases(cases, method="cart", outcome="sdg_index_end")
    assert d.boxes[0]["density"] > 0.9 and d.boxes[0]["bounds"]["a"][1] == pytest.approx(0.3, abs=0.03)
    assert list(d.scores.parameter[:2]) in (["a", "b"], ["b", "a"])


def test_discovery_saves_json_and_plots(tmp_path):
    import matplotlib
    matplotlib.use("Agg")
    sr, _ = synthetic_sweep()
    d = sim.discover(sr, "sdg_index_end", worst=0.2)
    d.plot()
    path = d.save(tmp_path / "d.json")
    import json
    out = json.loads(path.read_text())
    assert {"base_rate", "boxes", "trajectory"} <= set(out) and {"coverage", "density", "bounds"} <= set(out["boxes"][0])
    assert (tmp_path / "d-box.png").is_file() and (tmp_path / "d-trajectory.svg").is_file()


SMALL = """
scenario: {scenario}
levers:
  donors.JPN-ODA.pooled_share: {{low: 0.0, high: 0.5}}
  donors.IND-DPA.pooled_share: {{low: 0.0, high: 0.5}}
  facility.strategy: [priority, needs]
objectives:
  sdg_index_end: {{robustness: mean}}
  adoption_end: {{robustness: worst}}
constraints:
  - {{sum: [donors.JPN-ODA.pooled_share, donors.IND-DPA.pooled_share], max: 0.6}}
futures:
  count: 2
  parameters:
    governance.leakage_max: {{low: 0.15, high: 0.45}}
replications: 1
search: {{population: 8, generations: 3}}
seed: 5
"""


@pytest.fixture
def small_search(tmp_path):
    f = tmp_path / "small.yaml"
    f.write_text(SMALL.format(scenario=ROOT / "scenarios" / "partnership-in-action.yaml"))
    return f


def test_optimize_same_pareto_serial_parallel_and_resumed(small_search, tmp_path):
    serial = sim.optimize(small_search, executor="serial")
    assert len(serial.pareto) >= 2
    assert serial.convergence.generation.tolist() == [0, 1, 2]
    parallel = sim.optimize(small_search, tmp_path / "par", executor="process", workers=2)
    pd.testing.assert_frame_equal(serial.pareto, parallel.pareto)
    assert (tmp_path / "par" / "pareto.csv").is_file() and (tmp_path / "par" / "report.html").is_file()

    def stop(gen, total):
        if gen == 2:
            raise KeyboardInterrupt

    with pytest.raises(SearchInterrupted):
        sim.optimize(small_search, tmp_path / "res", executor="serial", progress=stop)
    assert len(list((tmp_path / "res" / "generations").glob("*.parquet"))) == 2
    resumed = sim.optimize(small_search, tmp_path / "res", executor="serial", resume=True)
    assert resumed.result.resumed_generations == 2
    pd.testing.assert_frame_equal(serial.pareto, resumed.pareto)
    other = sim.optimize(small_search, seed=6)
    assert not other.evaluations[["u:0"]].equals(serial.evaluations[["u:0"]])


def test_shipped_search_file_loads():
    s = load_search(ROOT / "scenarios" / "searches" / "pia-levers.yaml")
    assert len(s.levers) == 4 and len(s.objectives) == 3


@pytest.mark.parametrize("text, expected", [
    ("levers:\n  donors.JPN-ODX.pooled_share: {low: 0, high: 0.5}\n", ":3: levers.donors.JPN-ODX.pooled_share: no item"),
    ("levers:\n  donors.JPN-ODA.pooled_share: {low: 0.5, high: 0.1}\n", ":3: levers.donors.JPN-ODA.pooled_share.high:"),
    ("objectives:\n  sdg_index_endd: {robustness: mean}\n", ":3: objectives.sdg_index_endd: unknown outcome"),
    ("objectives:\n  sdg_index_end: {robustness: percentile}\n", ":3: objectives.sdg_index_end: robustness: percentile"),
    ("bogus: 1\n", ":2: bogus: unknown field 'bogus'"),
    ("constraints:\n  - {sum: [donors.JPN-ODA.nothing], max: 1}\n", ":3: constraints.0.sum.0:"),
])
def test_bad_search_files_give_located_errors(tmp_path, text, expected):
    base = {"levers": "levers:\n  donors.JPN-ODA.pooled_share: {low: 0, high: 0.5}\n",
            "objectives": "objectives:\n  sdg_index_end: {robustness: mean}\n",
            "futures": "futures: {count: 2, parameters: {governance.leakage_max: {low: 0.15, high: 0.45}}}\n"}
    key = text.split(":")[0]
    parts = [f"scenario: {ROOT / 'scenarios' / 'baseline.yaml'}\n", text]
    parts += [v for k, v in base.items() if k != key]
    f = tmp_path / "bad.yaml"
    f.write_text("".join(parts))
    res = CliRunner().invoke(cli.main, ["optimize", str(f), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2, res.output
    assert f"{f}{expected}" in res.output, res.output
