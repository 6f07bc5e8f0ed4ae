"""The app's rules without a browser: paths stay inside its folders, a variant is written as a
file that extends its parent, validated with the CLI's located messages, never over a file."""

from __future__ import annotations

import html
import re

import pytest

from simulation.app import Folders
from simulation.app import levers as lv
from simulation.app.folders import check_name, inside
from simulation.errors import InputError
from simulation.scenario.catalog import resolve
from simulation.scenario.loading import load_scenario


@pytest.fixture
def folders(tmp_path):
    return Folders.make(tmp_path / "sc", tmp_path / "res")


@pytest.mark.parametrize("bad", ["../x", "/etc/passwd", ".hidden", "a/b", "", "a..b", "x" * 81, "a b"])
def test_names_that_could_escape_or_hide_are_refused(bad, folders):
    with pytest.raises(InputError):
        check_name(bad)
    with pytest.raises(InputError):
        folders.scenario_file(bad)


def test_resolved_paths_must_stay_inside(tmp_path, folders):
    (folders.results / "link").symlink_to(tmp_path)
    with pytest.raises(InputError):
        inside(folders.results, "link/sc")
    with pytest.raises(InputError):
        folders.existing_result("../sc")
    assert inside(folders.results, "a") == folders.results / "a"


def test_variant_extends_its_parent_and_changes_only_levers(folders):
    parent_file = resolve("partnership-in-action")
    parent = load_scenario(parent_file)
    new = lv.levers(parent)
    new.donors["JPN-ODA"]["pooled_share"] = 0.5
    data = lv.derived_data(parent_file, lv.levers(parent), new, "bigger-pool", "", folders)
    assert data == {"extends": "partnership-in-action", "name": "bigger-pool",
                    "donors": [{"id": "JPN-ODA", "pooled_share": 0.5}]}
    target = folders.scenario_file("bigger-pool")
    path = lv.save(lv.to_text(data), target)
    s = load_scenario(path)
    assert {d.id: d.pooled_share for d in s.donors}["JPN-ODA"] == 0.5
    with pytest.raises(InputError, match="exists already"):
        lv.save(lv.to_text(data), target)
    assert [p.name for p in folders.scenarios.iterdir()] == ["bigger-pool.yaml"]  # no draft left behind


def test_a_bad_lever_gives_the_clis_located_problem_for_the_target_file(folders):
    parent_file = resolve("partnership-in-action")
    parent = load_scenario(parent_file)
    new = lv.levers(parent)
    new.donors["JPN-ODA"]["pooled_share"] = 1.5
    target = folders.scenario_file("too-much")
    _, problems = lv.check(lv.to_text(lv.derived_data(parent_file, lv.levers(parent), new, "too-much", "", folders)), target)
    assert len(problems) == 1
    p = problems[0]
    assert p.file == str(target) and p.line > 1 and p.field == "donors.JPN-ODA.pooled_share"
    assert "maximum" in p.message
    assert not target.exists()


def test_a_cancelled_run_leaves_nothing_and_frees_its_folder(folders):
    import time

    from simulation.app.jobs import Job

    out = folders.result_folder("cancel-me")
    job = Job([str(resolve("baseline")), str(resolve("partnership-in-action"))], 3000, 1, out).start()
    with pytest.raises(InputError, match="another run"):
        Job([str(resolve("baseline"))], 2, 1, out).start()
    while job.poll() == "running" and job.done_runs == 0:  # until the first runs are done: an observed state
        time.sleep(0.1)
    assert job.done_runs > 0 and job.fraction < 1
    job.cancel()
    assert job.state == "cancelled"
    assert list(folders.results.iterdir()) == []


def test_the_pooled_fund_levers_reach_the_variant(folders):
    """Every facility lever the form shows is written when changed, and checked like the CLI's."""
    parent_file = resolve("partnership-in-action")
    parent = load_scenario(parent_file)
    new = lv.levers(parent)
    assert set(new.facility) == set(lv.FACILITY_LEVERS)
    new.facility.update(payout_rate=0.9, risk_sharing=0.5, start_lag_years=0.0, capacity_share=0.1,
                        coordinated=not parent.facility.coordinated)
    data = lv.derived_data(parent_file, lv.levers(parent), new, "fast-payout", "", folders)
    assert data["facility"] == {"payout_rate": 0.9, "risk_sharing": 0.5, "start_lag_years": 0.0,
                                "capacity_share": 0.1, "coordinated": not parent.facility.coordinated}
    s = load_scenario(lv.save(lv.to_text(data), folders.scenario_file("fast-payout")))
    assert (s.facility.payout_rate, s.facility.risk_sharing, s.facility.start_lag_years) == (0.9, 0.5, 0.0)
    new.facility["payout_rate"] = 0.01  # below the allowed 0.05
    target = folders.scenario_file("too-slow")
    _, problems = lv.check(lv.to_text(lv.derived_data(parent_file, lv.levers(parent), new, "too-slow", "", folders)), target)
    assert [p.field for p in problems] == ["facility.payout_rate"] and not target.exists()


def test_the_compare_page_opens_a_comparison_and_charts_the_registrys_weighted_index(folders, tmp_path):
    import numpy as np

    import simulation as sim
    from simulation.app.charts import fan_chart
    from simulation.app.compare_page import ComparePage

    c = sim.compare(["baseline", "partnership-in-action"], runs=3, seed=2)
    folder = c.save(folders.results / "cmp")
    page = ComparePage(folders)
    page.open(folder)
    assert set(page.scores) == {"baseline", "partnership-in-action"} and page.indicators["baseline"] is not None
    fig = fan_chart(page.scores)
    median = next(r.data_source.data["median"] for r in fig.renderers if "median" in r.data_source.data)
    index = c.runs["baseline"].outcomes.query("outcome == 'sdg_index_end' and country == 'ALL'").value
    assert np.isclose(median[-1], np.median(index))  # the population-weighted index, not the plain mean
    assert fig.yaxis[0].axis_label and fig.xaxis[0].axis_label


def test_the_variant_form_reads_its_parents_levers_once_per_parent_not_per_keystroke(folders, monkeypatch):
    pytest.importorskip("panel")
    from simulation.app.scenarios_page import ScenariosPage

    page = ScenariosPage(folders)
    pia = str(resolve("partnership-in-action"))
    page.pick.value = pia
    reads = []
    real = lv.levers
    monkeypatch.setattr(lv, "levers", lambda s: reads.append(s.name) or real(s))
    for typed in ("b", "bi", "big", "bigger-pool"):  # each keystroke checks the form again
        page.name.value_input = typed
    (did, key), w = next((k, w) for k, w in page.donor_inputs.items() if k[1] == "pooled_share")
    w.value = 0.5
    assert reads == []
    assert "bigger-pool" in page.preview.object and f"id: {did}" in page.preview.object  # the form still follows
    assert page.status.objects and "Valid" in page.status.objects[0].object
    page.pick.value = str(resolve("baseline"))
    assert reads == ["baseline"]  # a new parent: read once


@pytest.mark.parametrize("content", ["name: x\n<script>alert(1)</script>\n", "a ``` b\n````\n<img src=x onerror=1>",
                                     "# Made with `sdgsim app`\nextends: baseline\n"])
def test_a_file_shown_whole_keeps_its_lines_and_is_never_markup(content):
    """The variant's YAML and a sweep's summary are shown as fenced code: every line kept (a <pre>
    in Markdown showed the YAML on one line), nothing in it rendered, whatever backticks it holds."""
    pytest.importorskip("panel")
    import panel as pn

    from simulation.app.messages import code_block

    block = code_block(content, "yaml")
    page = html.unescape(pn.pane.Markdown(block)._transform_object(block)["object"])  # the HTML the browser gets
    assert "<script" not in page and "<img" not in page  # shown as text, never elements
    shown = html.unescape(re.sub(r"<[^>]+>", "", page))  # what the reader sees
    assert shown.strip("\n") == content.rstrip("\n")  # every line, as written
