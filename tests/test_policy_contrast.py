"""A policy difference as the outcome of `discover` and `analyze` (issue 28, item 6): "B − A"
per sweep point, from the paired replications, with located errors for unknown policies."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import cli
import simulation as sim
from simulation.analysis.contrast import Contrast, contrast_runs, parse_contrast
from simulation.api.sweeps import SweepResult
from simulation.errors import OptionError

POLICIES = ["bilateral", "pooled-20", "pooled-20-coordinated"]


def paired_sweep(n=400, reps=3, seed=5):
    """Pooling beats bilateral aid where a > 0.4 (by 10 · (a − 0.4) people); every (point,
    replication) shares a large noise term across policies (common random numbers), so each
    policy's own outcome hides the region but the paired difference shows it."""
    rng = np.random.default_rng(seed)
    u = rng.random((n, 2))
    design = pd.DataFrame({"point": np.arange(n), "a": u[:, 0], "b": u[:, 1], "u:a": u[:, 0], "u:b": u[:, 1]})
    rows = []
    for r in range(reps):
        shared = rng.normal(0, 20, n)
        effect = {"bilateral": 0.0, "pooled-20": 10 * (u[:, 0] - 0.4), "pooled-20-coordinated": 12 * (u[:, 0] - 0.3)}
        for pol in POLICIES:
            y = 1000 + shared + effect[pol] + rng.normal(0, 0.5, n)
            rows.append(pd.DataFrame({"policy": pol, "point": np.arange(n), "replication": r, "status": "ok",
                                      "error": "", "people_gain:EG.ELC.ACCS.ZS": y, "sdg_index_end": y / 20}))
    runs = pd.concat(rows, ignore_index=True)
    man = {"kind": "sweep", "name": "paired", "plan": {"runs": len(runs), "points": n, "policies": len(POLICIES),
                                                       "replications": reps, "points_per_chunk": n, "chunks": 1},
           "policies": POLICIES, "outcomes": ["people_gain:EG.ELC.ACCS.ZS", "sdg_index_end"],
           "columns": {"parameters": ["a", "b"], "outcomes": ["people_gain:EG.ELC.ACCS.ZS", "sdg_index_end"]},
           "design": {"method": "random", "dims": ["a", "b"], "problem": {}}, "seed": 1, "status": "complete"}
    return SweepResult(runs, design, man)


@pytest.mark.parametrize("spec, expected", [
    ("pooled-20 - bilateral", ("pooled-20", "bilateral")),
    ("pooled-20 − bilateral", ("pooled-20", "bilateral")),
    ("pooled-20-bilateral", ("pooled-20", "bilateral")),
    ("pooled-20-coordinated-bilateral", ("pooled-20-coordinated", "bilateral")),
    ("bilateral - pooled-20-coordinated", ("bilateral", "pooled-20-coordinated")),
])
def test_a_contrast_reads_policy_names_that_contain_hyphens(spec, expected):
    assert parse_contrast(spec, POLICIES) == Contrast(*expected)


@pytest.mark.parametrize("spec, message", [
    ("pooled-20 - nope", "unknown policy 'nope'"),
    ("pooled", "not a difference of two policies"),
    ("bilateral - bilateral", "minus itself"),
])
def test_a_bad_contrast_is_a_located_error(spec, message):
    with pytest.raises(OptionError) as err:
        parse_contrast(spec, POLICIES)
    p = err.value.problems[0]
    assert p.file == "contrast" and f"'{spec}'" in p.message and message in p.message and "bilateral" in p.message


def test_b_minus_a_is_the_difference_of_the_two_policies_paired_runs():
    sr = paired_sweep()
    col = "people_gain:EG.ELC.ACCS.ZS"
    d = contrast_runs(sr.runs, [col], Contrast("pooled-20", "bilateral"))
    wide = sr.runs.pivot_table(index=["point", "replication"], columns="policy", values=col)
    expected = (wide["pooled-20"] - wide["bilateral"]).to_numpy()
    assert (d.policy == "pooled-20 − bilateral").all() and len(d) == len(expected)
    np.testing.assert_array_equal(d.set_index(["point", "replication"])[col].to_numpy(), expected)
    # analyze: the pseudo-policy's point means are the means of the paired differences
    a = sim.analyze(sr, outcomes=[col], contrast="pooled-20 - bilateral")
    pts = a.frames["points"].set_index("point")
    assert set(pts.policy) == {"pooled-20 − bilateral"} and a.contrast == Contrast("pooled-20", "bilateral")
    np.testing.assert_allclose(pts[col].to_numpy(), (wide["pooled-20"] - wide["bilateral"]).groupby("point").mean())


def test_a_failed_run_drops_its_pair_only():
    sr = paired_sweep(n=20, reps=2)
    runs = sr.runs.copy()
    runs.loc[(runs.policy == "bilateral") & (runs.point == 3) & (runs.replication == 1), "status"] = "error"
    d = contrast_runs(runs, ["sdg_index_end"], Contrast("pooled-20", "bilateral"))
    assert len(d) == 39 and not ((d.point == 3) & (d.replication == 1)).any()


def test_discover_finds_where_pooling_beats_bilateral_aid_only_in_the_difference():
    sr = paired_sweep()
    col = "people_gain:EG.ELC.ACCS.ZS"
    d = sim.discover(sr, col, contrast="pooled-20 - bilateral", below=0)
    box = d.to_json()["boxes"][0]
    assert 0.3 < box["bounds"]["a"][1] <= 0.44 and box["density"] > 0.9 and "b" not in box["bounds"]
    assert d.discovery.policy == "pooled-20 − bilateral" and "pooled-20 − bilateral" in d.summary()
    # each policy's own outcome is dominated by the shared noise: no such box there
    own = sim.discover(sr, col, policy="pooled-20", below=1000)
    assert not own.discovery.boxes or own.discovery.boxes[0]["density"] < 0.8


def test_discover_refuses_a_policy_and_a_contrast_together():
    with pytest.raises(OptionError, match="not both"):
        sim.discover(paired_sweep(n=30), "sdg_index_end", contrast="pooled-20 - bilateral", policy="pooled-20",
                     below=0)


def test_the_commands_take_a_contrast_and_say_where_a_bad_one_is_wrong(tmp_path):
    folder = paired_sweep(n=60).save(tmp_path / "sweep")
    runner = CliRunner()
    bad = runner.invoke(cli.main, ["discover", str(folder), "--outcome", "sdg_index_end", "--below", "0",
                                   "--contrast", "pooled-20 - unilateral"])
    assert bad.exit_code == 2 and "--contrast:1: contrast: unknown policy 'unilateral' in 'pooled-20 - unilateral'" in bad.output
    bad = runner.invoke(cli.main, ["analyze", str(folder), "--contrast", "pooled-2 - bilateral"])
    assert bad.exit_code == 2 and "unknown policy 'pooled-2'" in bad.output
    ok = runner.invoke(cli.main, ["analyze", str(folder), "--outcome", "sdg_index_end", "--contrast",
                                  "pooled-20 - bilateral", "--no-plots"])
    assert ok.exit_code == 0, ok.output
    pts = pd.read_csv(folder / "contrasts" / "pooled-20-minus-bilateral" / "analysis" / "points.csv")
    assert set(pts.policy) == {"pooled-20 − bilateral"} and not (folder / "analysis").exists()
    found = runner.invoke(cli.main, ["discover", str(folder), "--outcome", "sdg_index_end", "--below", "0",
                                     "--contrast", "pooled-20 - bilateral"])
    assert found.exit_code == 0, found.output
    assert (folder / "discovery" / "sdg_index_end-below-0-prim-pooled-20-minus-bilateral.json").is_file()


def test_discover_above_after_below_on_one_outcome_keeps_both_and_replaces_only_with_force(tmp_path):
    folder = paired_sweep(n=60).save(tmp_path / "sweep")
    runner = CliRunner()
    args = ["discover", str(folder), "--outcome", "sdg_index_end", "--contrast", "pooled-20 - bilateral"]
    for rule in (["--below", "0"], ["--above", "0"], ["--above", "-0.05"], ["--worst", "0.2"]):
        res = runner.invoke(cli.main, [*args, *rule])
        assert res.exit_code == 0, res.output
    names = {p.name for p in (folder / "discovery").glob("*.json")}
    assert names == {f"sdg_index_end-{s}-prim-pooled-20-minus-bilateral.json"
                     for s in ("below-0", "above-0", "above-minus0.05", "worst-0.2")}
    listed = json.loads((folder / "discovery.json").read_text())["results"]
    assert len(listed) == 4 and len({e["rule"] for e in listed}) == 4  # the report lists each rule once
    again = runner.invoke(cli.main, [*args, "--above", "0"])
    assert again.exit_code == 2 and "exists (replace it with --force" in again.output
    assert runner.invoke(cli.main, [*args, "--above", "0", "--force"]).exit_code == 0


def test_a_contrast_that_splits_two_ways_asks_for_spaces():
    with pytest.raises(OptionError, match="ambiguous.*'a - b-c' or 'a-b - c'"):
        parse_contrast("a-b-c", ["a", "b-c", "a-b", "c"])
    assert parse_contrast("a-b - c", ["a", "b-c", "a-b", "c"]) == Contrast("a-b", "c")
