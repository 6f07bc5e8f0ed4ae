"""Reliability, third round: the newer commands (discover, optimize, calibrate, the app, the
API), their output locations, locks and inputs.

docs/reliability.md lists the guarantees these tests prove.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import simulation as sim
from cli import main
from simulation.api.search import load_search
from simulation.api.sweeps import SweepResult
from simulation.errors import InputError, OptionError, ResultsError
from simulation.experiments.executors import make_executor
from simulation.experiments.search import running as search_running
from simulation.experiments.sweep.running import run_sweep
from simulation.experiments.sweep.spec import load_sweep
from tests.factory import BASELINE
from tests.processes import interruptible
from tests.test_reliability import HeldLock

ROOT = Path(__file__).resolve().parents[1]
PIA = ROOT / "scenarios" / "partnership-in-action.yaml"

SWEEP = f"""\
name: tiny
policies:
  base: {BASELINE}
design: {{method: lhs, samples: 24}}
parameters:
  governance.leakage_max: {{low: 0.1, high: 0.4}}
  donors.JPN-ODA.budget_usd: {{low: 1.0e9, high: 3.0e9}}
replications: 1
seed: 5
outcomes: [sdg_index_end]
"""

SEARCH = """\
scenario: {scenario}
levers:
  donors.JPN-ODA.pooled_share: {{low: 0.0, high: 0.5}}
{extra_levers}objectives:
  sdg_index_end: {{robustness: mean}}
  adoption_end: {{robustness: worst}}
{constraints}futures:
  count: 1
  parameters:
    governance.leakage_max: {{low: 0.15, high: 0.45}}
replications: 1
search: {{population: 4, generations: {generations}}}
seed: 5
"""


def search_file(tmp: Path, *, extra_levers: str = "", constraints: str = "", generations: int = 1,
                name: str = "s.yaml") -> Path:
    path = tmp / name
    path.write_text(SEARCH.format(scenario=PIA, extra_levers=extra_levers, constraints=constraints,
                                  generations=generations))
    return path


@pytest.fixture(scope="module")
def sweep(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("tiny")
    (tmp / "tiny.yaml").write_text(SWEEP)
    run_sweep(load_sweep(tmp / "tiny.yaml"), tmp / "tiny", make_executor("serial"))
    return tmp / "tiny"


def cli(*argv: str):
    return CliRunner().invoke(main, [str(a) for a in argv])


def located(res, text: str) -> None:
    """Exit 2, no traceback, and a FILE:LINE: field: message line containing `text`."""
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output and text in res.output, res.output


# --------------------------------------------------------------------------- 1, 15, 29, 8: discover


def test_discover_never_overwrites_a_file_without_force_nor_writes_into_a_results_folder_not_its_own(sweep, tmp_path):
    manifest = (sweep / "manifest.json").read_bytes()
    args = ["discover", sweep, "--outcome", "sdg_index_end", "--worst", "0.3"]
    located(cli(*args, "--out", sweep / "manifest.json"), "whose files are its own")
    located(cli(*args, "--out", sweep / "manifest.json", "--force"), "whose files are its own")
    assert (sweep / "manifest.json").read_bytes() == manifest
    other = tmp_path / "run"
    other.mkdir()
    (other / "manifest.json").write_text("{}")
    located(cli(*args, "--out", other / "d.json", "--force"), "whose files are its own")
    mine = tmp_path / "mine.json"
    mine.write_text("keep me")
    located(cli(*args, "--out", mine), "exists")
    assert mine.read_text() == "keep me"
    (tmp_path / "x-boxes.csv").write_text("keep me too")
    located(cli(*args, "--out", tmp_path / "x.json"), "x-boxes.csv")
    assert cli(*args, "--out", mine, "--force").exit_code == 0
    assert json.loads(mine.read_text())["kind"] == "discovery"
    located(cli(*args, "--out", "/proc/x"), "/proc/x")
    located(cli(*args, "--out", tmp_path), "is a directory")
    # the sweep's own discovery/ folder is where results go by default; again only with --force
    assert cli(*args).exit_code == 0
    located(cli(*args), "exists")
    assert cli(*args, "--force").exit_code == 0


@pytest.mark.parametrize("outcome", ["policy", "status", "replication", "seed", "error", "point", "chunk",
                                     "governance.leakage_max"])
def test_discover_of_a_column_that_is_not_an_outcome_is_a_located_error(sweep, outcome):
    located(cli("discover", sweep, "--outcome", outcome, "--worst", "0.3"), "not an outcome of this sweep")


@pytest.mark.parametrize("content", [b"garbage{", b"[1, 2]", b'{"results": 3}', None])
def test_discover_with_a_damaged_discovery_index_is_a_located_error(sweep, tmp_path, content):
    copy = tmp_path / "sweep"
    import shutil

    shutil.copytree(sweep, copy)
    shutil.rmtree(copy / "discovery", ignore_errors=True)
    index = copy / "discovery.json"
    index.unlink(missing_ok=True)
    index.mkdir() if content is None else index.write_bytes(content)
    located(cli("discover", copy, "--outcome", "sdg_index_end", "--worst", "0.3"), "discovery.json")
    assert not (copy / "discovery").exists()  # refused before anything was written


def test_discover_selecting_almost_no_case_is_refused_not_rounded_up_to_one(sweep):
    located(cli("discover", sweep, "--outcome", "sdg_index_end", "--worst", "1e-9"), "selects 0 of")


def constant_sweep(n: int = 200) -> SweepResult:
    rng = np.random.default_rng(1)
    design = pd.DataFrame({"point": np.arange(n), "a": rng.random(n), "b": rng.random(n)})
    runs = pd.DataFrame({"policy": "p", "point": np.arange(n), "replication": 0, "status": "ok",
                         "sdg_index_end": 60.0})
    return SweepResult(runs, design, {"plan": {"runs": n}, "outcomes": ["sdg_index_end"]})


def test_discover_on_a_constant_outcome_finds_nothing_to_explain():
    """Which of equal cases are 'the worst 20 %' is arbitrary: they are all in or all out."""
    with pytest.raises(OptionError, match="selects 200 of 200 cases"):
        sim.discover(constant_sweep(), "sdg_index_end", worst=0.2)


def test_discover_counts_ties_at_the_cut_as_the_worst_cases():
    sr = constant_sweep()
    sr.runs.loc[:49, "sdg_index_end"] = 50.0  # 50 clearly worse, the rest tied
    assert sim.discover(sr, "sdg_index_end", worst=0.25).discovery.cases.y.sum() == 50
    with pytest.raises(OptionError, match="selects 200 of 200"):
        sim.discover(sr, "sdg_index_end", worst=0.3)  # the 30 % cut falls among the 150 tied cases


def test_discover_refuses_a_sweep_that_is_still_running_or_was_killed(sweep, tmp_path):
    import shutil

    copy = tmp_path / "sweep"
    shutil.copytree(sweep, copy)
    man = json.loads((copy / "manifest.json").read_text())
    man["plan"]["runs"] += 10  # as if chunks were missing
    (copy / "manifest.json").write_text(json.dumps(man))
    located(cli("discover", copy, "--outcome", "sdg_index_end", "--worst", "0.3"), "sweep is incomplete")
    located(cli("analyze", copy), "sweep is incomplete")


# --------------------------------------------------------------------------- 2, 3, 16, 21: optimize folders


def test_optimize_force_refuses_a_search_folder_another_search_is_writing_to(tmp_path):
    f = search_file(tmp_path)
    out = tmp_path / "out"
    sim.optimize(f, out)
    before = sorted(p.name for p in out.iterdir())
    with HeldLock(out):
        with pytest.raises(ResultsError, match="another sweep is writing"):
            sim.optimize(f, out, force=True)
        with pytest.raises(ResultsError, match="another sweep is writing"):
            sim.optimize(f, out, resume=True)
    assert sorted(p.name for p in out.iterdir()) == before


def test_optimize_force_replaces_a_folder_holding_a_symlink_to_a_folder_whole(tmp_path):
    f = search_file(tmp_path)
    out = tmp_path / "out"
    sim.optimize(f, out)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "precious.txt").write_text("keep")
    (out / "link").symlink_to(elsewhere, target_is_directory=True)
    res = cli("optimize", f, "--out", out, "--force", "--executor", "serial")
    assert res.exit_code == 0, res.output
    assert {"manifest.json", "pareto.csv", "report.html"} <= {p.name for p in out.iterdir()}
    assert not (out / "link").exists() and (elsewhere / "precious.txt").read_text() == "keep"


def test_optimize_resume_reevaluates_a_truncated_or_incomplete_generation_and_refuses_a_folder(tmp_path):
    f = search_file(tmp_path, generations=2)
    whole = sim.optimize(f, tmp_path / "whole")
    gen0 = tmp_path / "whole" / "generations" / "gen-000000.parquet"
    gen0.write_bytes(gen0.read_bytes()[:100])  # truncated
    again = sim.optimize(f, tmp_path / "whole", resume=True)
    assert again.result.resumed_generations == 1
    pd.testing.assert_frame_equal(whole.pareto, again.pareto)
    pd.read_parquet(gen0).drop(columns=["feasible"]).to_parquet(gen0)  # a column missing
    again = sim.optimize(f, tmp_path / "whole", resume=True)
    assert again.result.resumed_generations == 1
    pd.testing.assert_frame_equal(whole.pareto, again.pareto)
    gen0.unlink()
    gen0.mkdir()
    located(cli("optimize", f, "--out", tmp_path / "whole", "--resume", "--executor", "serial"), "is a folder")


def test_optimize_starts_no_more_workers_than_the_population_or_the_cores(tmp_path):
    s = load_search(search_file(tmp_path))
    assert search_running.worker_count(s, 32) == min(4, os.cpu_count() or 1)
    assert search_running.worker_count(s, 4096) <= (os.cpu_count() or 1)
    assert search_running.worker_count(s, 1) == 1


# --------------------------------------------------------------------------- 9, 22: search files


def test_a_lever_that_is_also_an_uncertainty_of_the_futures_is_a_located_error(tmp_path):
    f = search_file(tmp_path, extra_levers="  governance.leakage_max: {low: 0.1, high: 0.2}\n")
    with pytest.raises(InputError, match=r"s.yaml:4: levers.governance.leakage_max: is also an uncertain"):
        load_search(f)
    located(cli("optimize", f, "--out", tmp_path / "o"), "is also an uncertain parameter")
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("constraint, message", [
    ("{sum: [donors.JPN-ODA.pooled_share], max: 0.1, min: 0.5}", "min 0.5 is above max 0.1"),
    ("{sum: [donors.JPN-ODA.pooled_share], min: 0.8}", "at most 0.5 for every lever value, below min 0.8"),
    ("{sum: [donors.JPN-ODA.pooled_share], max: -1}", "at least 0 for every lever value, above max -1"),
])
def test_constraints_no_policy_can_meet_are_located_errors(tmp_path, constraint, message):
    f = search_file(tmp_path, constraints=f"constraints:\n  - {constraint}\n")
    with pytest.raises(InputError, match=message):
        load_search(f)
    located(cli("optimize", f, "--out", tmp_path / "o"), message)
    assert not (tmp_path / "o").exists()


# --------------------------------------------------------------------------- 4, 5, 25: the app's pages

SCRIPT = "<script>alert(1)</script>"


def hostile_scenario(path: Path) -> Path:
    """partnership-in-action with script in every string a page shows."""
    from simulation.scenario import validate_data
    from simulation.scenario.catalog import resolve, to_yaml
    from simulation.scenario.loading import load_scenario

    data = load_scenario(resolve("partnership-in-action")).model_dump(mode="json")
    data["name"] = "evil"
    data["description"] = f"<img src=x onerror=alert(2)> [click](javascript:alert(3)) {SCRIPT}"
    data["facility"]["name"] = SCRIPT
    data["sources"] = {"facility.name": f"{SCRIPT}`</code><script>x</script>"}
    path.write_text(to_yaml(validate_data(data, "evil")))
    return path


def test_the_app_shows_every_scenario_string_as_text_never_as_markup(tmp_path):
    from simulation.app.scenarios_page import describe

    card = describe(hostile_scenario(tmp_path / "evil.yaml"))
    assert "<script" not in card and "<img" not in card and "](javascript" not in card, card
    assert "&lt;script&gt;alert\\(1\\)&lt;/script&gt;" in card  # shown, as text


def test_the_app_neither_lists_nor_opens_a_scenario_outside_its_folders(tmp_path):
    from simulation.app import Folders
    from simulation.app.scenarios_page import library

    folders = Folders.make(tmp_path / "sc", tmp_path / "res")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    hostile_scenario(elsewhere / "evil.yaml")
    (folders.scenarios / "evil.yaml").symlink_to(elsewhere / "evil.yaml")
    assert not any("evil" in label for label in library(folders))
    assert not folders.allows_scenario(folders.scenarios / "evil.yaml")
    assert folders.allows_scenario(ROOT / "scenarios" / "baseline.yaml")


def test_the_app_opens_no_folder_a_comparison_manifest_names_outside_it(tmp_path):
    from simulation.app import Folders

    folders = Folders.make(tmp_path / "sc", tmp_path / "res")
    (tmp_path / "elsewhere" / "run").mkdir(parents=True)
    comp = folders.results / "c"
    comp.mkdir()
    (comp / "manifest.json").write_text(json.dumps({"kind": "compare", "scenarios": [
        {"name": "/".join(["..", "..", "elsewhere", "run"]), "file": "x.yaml"}]}))
    with pytest.raises(InputError, match="not a plain name inside this comparison"):
        folders.confined_results(comp)
    (comp / "ok").mkdir()
    (comp / "manifest.json").write_text(json.dumps({"kind": "compare", "scenarios": [{"name": "ok"}]}))
    assert folders.confined_results(comp) == comp.resolve()


def test_app_messages_name_a_field_as_it_reads():
    from simulation.app.messages import problem_line, problems_alert
    from simulation.errors import Problem

    p = Problem("<app>", 1, "results folder", "exists already")
    assert problem_line(p) == "results folder: exists already"
    assert "\\u0020" not in problems_alert([p]).object
    assert problem_line(Problem("x.yaml", 3, "donors.0.name", "bad")) == "x.yaml:3: donors.0.name: bad"


# --------------------------------------------------------------------------- 18, 30, 20: starting and stopping the app


@pytest.mark.parametrize("host, message", [("::1", "an IPv6 address is not supported"),
                                           ("no.such.host.invalid", "cannot listen there")])
def test_an_address_the_app_cannot_listen_on_is_a_located_error(tmp_path, host, message):
    res = cli("app", "--host", host, "--port", "0", "--results", tmp_path / "r", "--scenarios", tmp_path / "s")
    located(res, f"--host:1: {host}: {message}")


def test_an_app_reachable_from_other_computers_warns_that_it_has_no_authentication(tmp_path):
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-m", "cli", "app", "--host", "0.0.0.0", "--port", "0", "--results",
                             str(tmp_path / "r"), "--scenarios", str(tmp_path / "s")], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert "open http://0.0.0.0:" in proc.stdout.readline()  # ready: the warning came before
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert "warning: the app has no authentication" in proc.stderr.read()


APP_WITH_A_JOB = """
import sys
from pathlib import Path
from simulation.app import Folders
from simulation.app.jobs import Job
folders = Folders.make(sys.argv[1] + "/s", sys.argv[1] + "/r")
root = Path(sys.argv[2]) / "scenarios"
job = Job([str(root / "baseline.yaml"), str(root / "partnership-in-action.yaml")], 5000, 1,
          folders.result_folder("c")).start()
print(job._p.pid, flush=True)
sys.stdin.read()
"""


def test_the_apps_comparison_process_dies_with_the_app(tmp_path):
    """SIGKILL of the app (it cannot stop its comparison): the comparison process exits too and
    writes nothing, as the CLI's workers do."""
    import signal
    import subprocess
    import sys

    import psutil

    app = subprocess.Popen([sys.executable, "-c", APP_WITH_A_JOB, str(tmp_path), str(ROOT)], cwd=ROOT,
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    child = psutil.Process(int(app.stdout.readline()))
    app.send_signal(signal.SIGKILL)
    app.wait(timeout=300)
    child.wait(timeout=300)  # psutil.TimeoutExpired if it outlives the app (it goes within 0.2 s)
    assert not (tmp_path / "r" / "c").exists()


# --------------------------------------------------------------------------- 6: report.html of a tampered folder


def test_report_of_a_tampered_compare_folder_carries_no_script_and_reads_nothing_outside(tmp_path):
    out = tmp_path / "c"
    res = cli("compare", BASELINE, PIA, "--runs", "2", "--out", out, "--flows", "none")
    assert res.exit_code == 0, res.output
    man = json.loads((out / "manifest.json").read_text())
    man["seed"], man["runs"] = SCRIPT, f"2 {SCRIPT}"
    (out / "manifest.json").write_text(json.dumps(man))
    assert cli("report", out).exit_code == 0
    page = (out / "report.html").read_text()
    assert "<script" not in page and "&lt;script&gt;" in page
    man["scenarios"][1]["name"] = "/".join(["..", "..", "elsewhere"])
    (out / "manifest.json").write_text(json.dumps(man))
    located(cli("report", out), "which is not a folder inside this comparison")


def test_report_of_a_tampered_sweep_or_search_folder_links_and_embeds_only_its_own_files(sweep, tmp_path):
    import shutil

    folder = tmp_path / "sweep"
    shutil.copytree(sweep, folder)
    secret = tmp_path / "secret.csv"
    secret.write_text("secret\nTOP-SECRET-VALUE\n")
    png = next(iter(ROOT.glob("docs/img/*.png")))
    shutil.copy(png, folder / "own.png")
    (folder / "own.svg").write_text("<svg/>")
    (folder / "analysis.json").write_text(json.dumps({
        "notes": [SCRIPT],
        "plots": [{"png": "own.png", "svg": "javascript:alert(1)", "title": SCRIPT},
                  {"png": str(png), "svg": "own.svg"}],
        "tables": [{"file": str(secret), "title": "abs"}, {"file": "../secret.csv", "title": "rel"}]}))
    (folder / "link.csv").symlink_to(secret)
    (folder / "discovery.json").write_text(json.dumps({"results": [
        {"rule": SCRIPT, "table": "link.csv", "plots": [{"png": "own.png", "svg": "JavaScript:alert(2)"}]}]}))
    assert cli("report", folder).exit_code == 0
    page = (folder / "report.html").read_text()
    assert "TOP-SECRET-VALUE" not in page and "href='javascript:" not in page.lower() and "<script" not in page
    assert page.count("<img") == 2  # own.png, once in the analysis and once in the discovery
    (folder / "discovery.json").write_text("[1, 2")
    located(cli("report", folder), "discovery.json")

    search = tmp_path / "search"
    search.mkdir()
    (search / "manifest.json").write_text(json.dumps({"kind": "search", "evaluations": SCRIPT, "futures": SCRIPT,
                                                      "plots": [{"png": "x.png", "svg": "javascript:alert(3)"}]}))
    assert cli("report", search).exit_code == 0
    page = (search / "report.html").read_text()
    assert "<script" not in page and "href='javascript:" not in page and "&lt;script&gt;" in page


# --------------------------------------------------------------------------- 14, 17, 23, 24: history and fit files

HEAD = "country,indicator,year,value\n"


def history(tmp: Path, body: str, header: str = HEAD) -> Path:
    path = tmp / "h.csv"
    path.write_text(header + body, encoding="utf-8")
    return path


@pytest.mark.parametrize("year, value", [("2_015", "41.6"), ("２０１５", "41.6"), ("٢٠١٥", "41.6"),
                                         ("2015", "1_000"), ("2015", "４１"), ("2015", "True"), ("2015", "inf"),
                                         ("2015", "0x10"), ("2015.5", "41.6"), ("2015", "1,5")])
def test_history_numbers_follow_one_rule_ascii_digits_without_separators(tmp_path, year, value):
    from simulation.scenario.history import load_history

    with pytest.raises(InputError, match=r"h.csv:2: (year|value): got"):
        load_history(history(tmp_path, f'KEN,EG.ELC.ACCS.ZS,{year},"{value}"\n'))


def test_a_parquet_history_with_float_years_reads_as_the_same_history(tmp_path):
    from simulation.scenario.history import load_history

    csv = load_history(history(tmp_path, "KEN,EG.ELC.ACCS.ZS,2015,41.6\nKEN,EG.ELC.ACCS.ZS,2016,1e1\n"))
    pd.DataFrame({"country": ["KEN", "KEN"], "indicator": "EG.ELC.ACCS.ZS", "year": [2015.0, 2016.0],
                  "value": [41.6, 10.0]}).to_parquet(tmp_path / "h.parquet")
    parquet = load_history(tmp_path / "h.parquet")
    pd.testing.assert_frame_equal(csv.frame[["country", "indicator", "year", "value"]],
                                  parquet.frame[["country", "indicator", "year", "value"]])


def test_a_history_header_naming_a_column_twice_is_a_located_error(tmp_path):
    from simulation.scenario.history import load_history

    with pytest.raises(InputError, match=r"h.csv:1: <header>: column\(s\) value appear more than once"):
        load_history(history(tmp_path, "KEN,EG.ELC.ACCS.ZS,2015,41.6,99\n", "country,indicator,year,value,value\n"))


def test_a_history_too_large_to_check_is_refused_with_its_estimate_before_it_is_read(tmp_path):
    from simulation.scenario import history as h

    rows = h.MAX_ROWS + 1
    pd.DataFrame({"country": "KEN", "indicator": "X", "year": np.full(rows, 2015), "value": 1.0}).to_parquet(
        tmp_path / "big.parquet")
    assert (tmp_path / "big.parquet").stat().st_size < 1e6  # small on disk, large in memory
    with pytest.raises(InputError, match=r"1,000,001 rows would need about 1.5 GB"):
        h.load_history(tmp_path / "big.parquet")


def fit(tmp: Path, text: str) -> Path:
    path = tmp / "fit.csv"
    path.write_text(text)
    return path


@pytest.mark.parametrize("text, message", [
    ("country,indicator,value\nETH,EG.ELC.ACCS.ZS,True\n", r"fit.csv:2: value: got 'True'"),
    ("country,indicator,value\nETH,EG.ELC.ACCS.ZS,1_0\n", r"fit.csv:2: value: got '1_0'"),
    ("country,indicator,value\nETH,EG.ELC.ACCS.ZS,40\n\nETH,EG.ELC.ACCS.ZS,50\n",
     r"fit.csv:4: indicator: ETH EG.ELC.ACCS.ZS appears twice \(first at line 2"),
    ("country,indicator,value,value\nETH,EG.ELC.ACCS.ZS,40,50\n", r"fit.csv:1: <header>: column\(s\) value appear"),
    ("country,indicator,value\nETH,EG.ELC.ACCS.ZS,40\nXXX,EG.ELC.ACCS.ZS,40\n",
     r"fit.csv:3: country: XXX EG.ELC.ACCS.ZS is not in scenario 'baseline'"),
    ("country,indicator,value,trend_sd\nETH,EG.ELC.ACCS.ZS,40,0.1\nGHA,EG.ELC.ACCS.ZS,40,-1\n",
     r"fit.csv:3: trend_sd: got -1"),
])
def test_fit_files_are_read_by_the_same_rules_and_errors_name_their_row(tmp_path, text, message):
    res = cli("run", BASELINE, "--runs", "2", "--parameters", fit(tmp_path, text), "--out", tmp_path / "o")
    located(res, "")
    assert re.search(message, res.output), res.output
    assert not (tmp_path / "o").exists()


# --------------------------------------------------------------------------- 26, 27: options that contradict or overflow


def test_the_compare_table_names_the_reference_and_each_scenario_in_full(tmp_path):
    long = "partnership-in-action"
    res = cli("compare", PIA, BASELINE, "--runs", "2", "--out", tmp_path / "c", "--flows", "none")
    assert res.exit_code == 0, res.output
    assert f"Verdict vs {long} (" in res.output
    assert "diff vs partnership…" in res.output  # a column header may be cut, visibly


@pytest.mark.parametrize("spec, message", [("sdg_index_end=inf", "a finite number"),
                                           ("sdg_index_end=1e400", "a finite number"),
                                           ("sdg_index_end=inf%", "a finite number")])
def test_a_min_effect_that_would_make_every_verdict_equivalent_is_refused(tmp_path, spec, message):
    located(cli("compare", BASELINE, PIA, "--runs", "2", "--out", tmp_path / "c", "--min-effect", spec), message)


def test_a_min_effect_given_twice_is_refused_not_the_last_one_kept(tmp_path):
    res = cli("compare", BASELINE, PIA, "--runs", "2", "--out", tmp_path / "c", "--min-effect", "sdg_index_end=0.5",
              "--min-effect", "sdg_index_end=2")
    assert res.exit_code == 2 and "given twice" in res.output, res.output


def test_flows_full_with_no_flows_is_a_contradiction_not_none(tmp_path):
    located(cli("run", BASELINE, "--runs", "2", "--out", tmp_path / "o", "--flows", "full", "--no-flows"),
            "contradicts --flows full")
    assert cli("run", BASELINE, "--runs", "2", "--out", tmp_path / "o", "--no-flows").exit_code == 0


@pytest.mark.parametrize("kwargs", [{"workers": 0}, {"batch_size": 0}, {"workers": 2.5}, {"batch_size": True}])
def test_api_counts_of_zero_or_not_whole_are_option_errors(kwargs):
    with pytest.raises(OptionError, match=next(iter(kwargs))):
        sim.run(BASELINE, runs=2, **kwargs)


@pytest.mark.parametrize("kwargs", [{"evaluations": 0}, {"evaluations": -5}, {"resume": True}, {"workers": 0}])
def test_api_search_arguments_that_mean_nothing_are_option_errors(tmp_path, kwargs):
    with pytest.raises(OptionError, match=next(iter(kwargs))):
        sim.optimize(search_file(tmp_path), **kwargs)


def test_optimize_dry_run_estimates_evaluations_runs_and_time_and_writes_nothing(tmp_path):
    f = search_file(tmp_path)
    res = cli("optimize", f, "--dry-run", "--out", tmp_path / "o", "--evaluations", "10000000", "--workers", "32")
    assert res.exit_code == 0, res.output
    assert "4 policies x 2,500,000 generations = 10,000,000 evaluations, each 1 runs" in res.output
    assert "10,000,004 runs" not in res.output and "10,000,001 runs" in res.output
    assert re.search(r"estimate: +\S", res.output) and f"with {min(4, os.cpu_count() or 1)} worker(s)" in res.output
    assert not (tmp_path / "o").exists()


def test_a_search_where_no_policy_is_feasible_says_so_instead_of_nan_ranges(tmp_path):
    import dataclasses

    run = sim.optimize(search_file(tmp_path))
    empty = dataclasses.replace(run.result, pareto=run.result.pareto.iloc[0:0])
    text = type(run)(empty).summary()
    assert "0 non-dominated" in text and "no policy met the constraints" in text and "nan" not in text


# --------------------------------------------------------------------------- 33: Ctrl-C during interpreter shutdown

LATE_CTRL_C = """
import os, signal, sys, threading, time
sys.argv = ["sdgsim", *sys.argv[1:]]
import cli

def late():
    while threading.main_thread().is_alive():  # the command is done: the interpreter shuts down
        time.sleep(0.005)
    os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C while the shutdown waits for this thread
    time.sleep(1.0)

threading.Thread(target=late).start()
cli.main()
"""


@pytest.mark.parametrize("argv, code", [(["validate", str(BASELINE)], 0), (["validate", "no-such.yaml"], 2)])
def test_ctrl_c_during_interpreter_shutdown_keeps_the_commands_exit_code(tmp_path, argv, code):
    """The signal is sent once the main thread has finished (observed, not timed), while the
    shutdown joins a thread: the exit code is the command's, with no traceback."""
    import subprocess
    import sys

    script = tmp_path / "late.py"
    script.write_text(LATE_CTRL_C)
    res = subprocess.run(interruptible([sys.executable, str(script), *argv]), cwd=ROOT, capture_output=True, text=True,
                         timeout=600)
    assert res.returncode == code, res.stderr
    assert "KeyboardInterrupt" not in res.stderr and "Traceback" not in res.stderr, res.stderr


# --------------------------------------------------------------------------- 34: fuzzing the new inputs


def test_the_input_fuzzer_runs_clean_on_a_few_cases_of_each_input():
    """benchmarks/fuzz_inputs.py runs 10^4 cases (2,500 per input); here a few of each, so the
    script itself stays working."""
    import subprocess
    import sys

    res = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "fuzz_inputs.py"), "--examples", "15"],
                         cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stdout + res.stderr[-3000:]
    assert [line.split()[0] for line in res.stdout.splitlines()] == ["history", "fit", "search", "app"]


# --------------------------------------------------------------------------- 31: a real Dask cluster


class _Client:
    """A Dask client whose workers answer the version check as given (an exception: that worker failed)."""

    def __init__(self, answers):
        self.answers = answers

    def run(self, fn, *args, on_error="raise"):
        assert on_error == "return"
        return self.answers

    def wait_for_workers(self, n_workers, timeout=None):
        pass  # the workers are there (they answer)

    def scheduler_info(self):
        return {"workers": {w: {"nthreads": 1} for w in self.answers}}


def test_a_worker_lost_while_the_sweep_checks_its_workers_is_not_an_import_error():
    from simulation import __version__
    from simulation.experiments.executors import DaskExecutor

    ex = DaskExecutor(1, "tcp://127.0.0.1:1")
    ex.client = _Client({"tcp://a": __version__, "tcp://b": OSError("Stream is closed")})
    ex._check_workers()  # the lost worker is left to Dask; the sweep goes on with the others
    ex.client = _Client({"tcp://a": __version__, "tcp://b": ModuleNotFoundError("No module named 'simulation'")})
    with pytest.raises(OptionError, match=r"a Dask worker \(tcp://b\) cannot import sdgsim"):
        ex._check_workers()
    ex.client = _Client({"tcp://b": OSError("Stream is closed")})
    with pytest.raises(OptionError, match="no Dask worker answered"):
        ex._check_workers()


CLUSTER_SWEEP = f"""\
name: cluster
policies:
  base: {BASELINE}
design: {{method: lhs, samples: 30}}
parameters:
  governance.leakage_max: {{low: 0.1, high: 0.4}}
replications: 2
seed: 3
chunk_runs: 2
outcomes: [sdg_index_end]
"""


@pytest.fixture
def dask_cluster(tmp_path):
    """`dask scheduler` and two `dask worker` processes on 127.0.0.1, as docs/cluster.md says to
    start them: (the scheduler's address, the worker commands' processes)."""
    import shutil
    import signal
    import subprocess
    import sys
    import time

    pytest.importorskip("distributed")
    dask_cli = shutil.which("dask", path=str(Path(sys.executable).parent))
    if dask_cli is None:
        pytest.skip("the dask command is not installed")
    info = tmp_path / "scheduler.json"
    procs = [subprocess.Popen([dask_cli, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                               "--scheduler-file", str(info)], cwd=ROOT, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)]
    try:
        deadline = time.monotonic() + 120
        address = None
        while address is None and time.monotonic() < deadline:  # the file is written, not renamed, into place
            try:
                address = json.loads(info.read_text())["address"]
            except (OSError, ValueError, KeyError):
                time.sleep(0.1)
        assert address, "the scheduler wrote no address in 120 s"
        for _ in range(2):
            procs.append(subprocess.Popen([dask_cli, "worker", address, "--nthreads", "1", "--nworkers", "1",
                                           "--no-dashboard", "--host", "127.0.0.1"], cwd=ROOT,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                          start_new_session=True))
        from distributed import Client

        with Client(address, timeout="120s") as client:  # both workers registered: an observed state
            client.wait_for_workers(2, timeout=300)
        yield address, procs[1:]
    finally:
        for p in procs:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            p.wait()


def test_a_sweep_on_a_real_dask_cluster_is_bit_identical_to_serial_and_survives_a_killed_worker(tmp_path,
                                                                                               dask_cluster):
    """One worker is killed with SIGKILL once the sweep has written chunks."""
    import signal
    import subprocess
    import sys
    import time

    import psutil

    from simulation.results.sweeps import read_sweep_runs

    address, workers = dask_cluster
    (tmp_path / "s.yaml").write_text(CLUSTER_SWEEP)
    run_sweep(load_sweep(tmp_path / "s.yaml"), tmp_path / "serial", make_executor("serial"))
    sweep = subprocess.Popen([sys.executable, "-m", "cli", "sweep", str(tmp_path / "s.yaml"), "--executor", "dask",
                              "--scheduler", address, "--out", str(tmp_path / "dask")], cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        runs = tmp_path / "dask" / "runs"
        while sweep.poll() is None and len(list(runs.glob("part-*.parquet")) if runs.exists() else []) < 3:
            time.sleep(0.02)  # polls an observable state (chunk files), with no deadline of its own
        assert sweep.poll() is None, "the sweep ended before a worker could be killed"
        # the worker process (the nanny's child) of the first `dask worker`: SIGKILL, as a lost machine
        victims = psutil.Process(workers[0].pid).children(recursive=True) or [psutil.Process(workers[0].pid)]
        for v in victims:
            v.send_signal(signal.SIGKILL)
        out, err = sweep.communicate(timeout=600)
        assert sweep.returncode == 0, out + err[-3000:]
    finally:
        if sweep.poll() is None:
            sweep.kill()
            sweep.communicate()
    key = ["policy", "point", "replication"]
    a = read_sweep_runs(tmp_path / "serial").sort_values(key, ignore_index=True)
    b = read_sweep_runs(tmp_path / "dask").sort_values(key, ignore_index=True)
    cols = [c for c in a.columns if c != "chunk"]
    pd.testing.assert_frame_equal(a[cols], b[cols])


def test_optimize_on_a_real_dask_cluster_is_bit_identical_to_serial(tmp_path, dask_cluster):
    """`sdgsim optimize --executor dask --scheduler ADDR`, as sweep has: the same generations
    and Pareto set as a serial search, value for value."""
    address, _ = dask_cluster
    f = search_file(tmp_path, generations=2)
    serial = sim.optimize(f, tmp_path / "serial", executor="serial")
    res = cli("optimize", f, "--executor", "dask", "--scheduler", address, "--out", tmp_path / "dask")
    assert res.exit_code == 0, res.output
    assert json.loads((tmp_path / "dask" / "manifest.json").read_text())["executor"]["name"] == "dask"
    dask = sim.read_results(tmp_path / "dask")
    pd.testing.assert_frame_equal(serial.pareto, dask.pareto, check_exact=True)
    for gen in ("gen-000000.parquet", "gen-000001.parquet"):
        pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "serial" / "generations" / gen),
                                      pd.read_parquet(tmp_path / "dask" / "generations" / gen), check_exact=True)
    located(cli("optimize", f, "--executor", "process", "--scheduler", address, "--out", tmp_path / "x"),
            "a scheduler address needs --executor dask")


# --------------------------------------------------------------------------- 19: API arguments, checked in one place

BAD_CALLS = [
    ("run", (BASELINE,), {"runs": 2.5}, "runs"), ("run", (BASELINE,), {"runs": "10"}, "runs"),
    ("run", (BASELINE,), {"runs": True}, "runs"), ("run", (BASELINE,), {"seed": -1}, "seed"),
    ("run", (BASELINE,), {"seed": 1.5}, "seed"), ("run", (BASELINE,), {"seed": "abc"}, "seed"),
    ("analyze", (None,), {}, "source"), ("read_results", (None,), {}, "path"),
    ("discover", ("sweep", "sdg_index_end"), {"alpha": 1.5, "below": "60"}, "alpha"),
    ("discover", ("sweep", "sdg_index_end"), {"alpha": 1.5, "below": "60"}, "below"),
    ("optimize", ("s.yaml",), {"seed": -1}, "seed"),
    ("calibrate", (BASELINE, "h.csv"), {"fit_until": "2019"}, "fit_until"),
    ("backtest", (BASELINE, "h.csv", 2015, 2019), {"runs": 0}, "runs"),
    ("compare", ([BASELINE],), {"workers": 0}, "workers"), ("run", (BASELINE,), {"batch_size": 0}, "batch_size"),
    ("optimize", ("s.yaml",), {"evaluations": 0}, "evaluations"),
    ("optimize", ("s.yaml",), {"evaluations": -5}, "evaluations"),
    ("optimize", ("s.yaml",), {"resume": True}, "resume"), ("run_sweep", ("s.yaml",), {"resume": True}, "resume"),
]


@pytest.mark.parametrize("name, args, kwargs, argument", BAD_CALLS)
def test_bad_api_arguments_are_option_errors_naming_the_argument(name, args, kwargs, argument):
    with pytest.raises(OptionError) as err:
        getattr(sim, name)(*args, **kwargs)
    assert any(p.field == argument and p.file == argument for p in err.value.problems), err.value


def public_functions() -> list:
    import inspect

    import simulation.api as api

    return [getattr(api, n) for n in api.__all__ if inspect.isfunction(getattr(api, n))]


PLACEHOLDERS = {"scenario": str(BASELINE), "scenarios": [str(BASELINE)], "history": "h.csv", "fit_until": 2019,
                "to": 2022, "comparison": "c", "sweep": "s", "source": "s", "outcome": "sdg_index_end",
                "search": "s.yaml", "file": "p.yaml", "path": "p", "folder": "f", "name_or_path": "baseline",
                "name": "placeholder"}
"""Valid-looking values for the required arguments: the checks refuse the hostile one before any
of these is used (no file named here exists)."""
COUNTS = {"runs": 1, "workers": 1, "batch_size": 1, "evaluations": 1, "window": 1, "resamples": 1, "points": 2,
          "seed": 0}


def alternatives(annotation: str) -> set[str]:
    """The top-level alternatives of an annotation string: `dict[str, float | str] | None` ->
    {`dict[str, float | str]`, `None`}."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(annotation):
        depth += ch == "["
        depth -= ch == "]"
        if depth == 0 and annotation.startswith(" | ", i):
            parts.append(annotation[start:i])
            start = i + 3
    return {*parts, annotation[start:]}


def wrong_for(annotation: str, name: str, value) -> bool:
    """Whether `value` is certainly not allowed for an argument annotated `annotation`."""
    import math

    kinds = alternatives(annotation)
    containers = any(k.startswith(("Sequence", "list", "dict", "tuple", "Callable")) for k in kinds)
    if value is None:
        return "None" not in kinds
    if isinstance(value, bool):
        return "bool" not in kinds
    if isinstance(value, int):
        return not kinds & {"int", "float"} or (name in COUNTS and value < COUNTS[name])
    if isinstance(value, float):
        return "float" not in kinds or not math.isfinite(value) or name in COUNTS
    if isinstance(value, str):
        return "str" not in kinds and not kinds & {"Sequence[str]"}  # a str is a sequence of str, refused too
    return not containers  # bytes, object(): no container or callable annotation takes them


def hostile_calls():
    import inspect

    from hypothesis import strategies as st

    targets = [(fn, p.name, p.annotation) for fn in public_functions()
               for p in inspect.signature(fn).parameters.values()]
    values = st.one_of(st.none(), st.booleans(), st.integers(-10, 3), st.integers(-2**70, 2**70),
                       st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=4),
                       st.sampled_from([b"x", object(), 1e400, -0.0, 2.5]))
    return st.tuples(st.sampled_from(targets), values).filter(lambda t: wrong_for(t[0][2], t[0][1], t[1]))


def test_every_public_function_refuses_hostile_arguments_with_the_packages_own_error():
    """Any public function (simulation.api.__all__), any argument, any value of the wrong type or
    out of range: an OptionError naming that argument, raised before any work (the placeholders
    of the other arguments name files that do not exist), never a bare TypeError or ValueError."""
    import inspect

    from hypothesis import HealthCheck, given, settings

    @settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
    @given(hostile_calls())
    def check(call):
        (fn, name, _), value = call
        required = {p.name: PLACEHOLDERS[p.name] for p in inspect.signature(fn).parameters.values()
                    if p.default is inspect.Parameter.empty and p.name != name}
        with pytest.raises(OptionError) as err:
            fn(**required, **{name: value})
        assert any(p.field == name for p in err.value.problems), (fn.__name__, name, value, err.value)

    check()


# --------------------------------------------------------------------------- 24: errors at the row of the file


def test_a_calibrated_value_the_scenario_refuses_is_located_at_the_history_row_that_gave_it(tmp_path):
    """A birth rate of 500 per 1,000 in history was `baseline.yaml (calibrated):1`."""
    body = "".join(f"KEN,EG.ELC.ACCS.ZS,{y},{50 + y - 2010}\n" for y in range(2010, 2020))
    path = history(tmp_path, body + "KEN,SP.DYN.CBRT.IN,2018,30\nKEN,SP.DYN.CBRT.IN,2019,500\n")
    with pytest.raises(InputError) as err:
        sim.calibrate(BASELINE, path, 2019)
    assert [str(p) for p in err.value.problems] == [
        f"{path}:13: value: KEN SP.DYN.CBRT.IN 2019 gives the calibrated scenario's "
        "countries.KEN.birth_rate_per_1000: got 500, above the maximum (allowed: a number, 0 < value <= 100)"]
    res = cli("calibrate", BASELINE, "--history", path, "--fit-until", "2019", "--out", tmp_path / "c")
    located(res, f"{path}:13: value: KEN SP.DYN.CBRT.IN 2019")
    assert "(calibrated)" not in res.output


@pytest.mark.parametrize("value, line", [("250", "fit.csv:3: value: got 250, outside 0-100"),
                                         ("-20", "fit.csv:3: value: got -20, outside 0-100")])
def test_a_fit_file_value_outside_its_indicators_range_is_located_at_its_row(tmp_path, value, line):
    """250 % access gave Ethiopia 297 M people with electricity; the error names the fit file's row."""
    text = f"country,indicator,value\nKEN,EG.ELC.ACCS.ZS,40\nETH,EG.ELC.ACCS.ZS,{value}\n"
    res = cli("run", BASELINE, "--runs", "2", "--parameters", fit(tmp_path, text), "--out", tmp_path / "o")
    located(res, line)
    assert "with fit.csv:1" not in res.output and not (tmp_path / "o").exists()
