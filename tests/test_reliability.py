"""Reliability of results folders under concurrency, crashes and hostile inputs.

Concurrency is tested with real processes: a helper process holds a folder's lock
(as a running sweep does), or creates the target folder while another command runs.
docs/reliability.md lists the guarantees these tests prove.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from simulation.errors import ResultsError
from simulation.experiments.executors import make_executor
from simulation.experiments.sweep.running import run_sweep
from simulation.experiments.sweep.spec import load_sweep
from simulation.results import folders
from simulation.results.folders import atomic_folder
from tests.factory import BASELINE

ROOT = Path(__file__).resolve().parents[1]
TINY = f"""\
name: tiny
scenario: {BASELINE}
design: {{method: lhs, samples: 4}}
parameters:
  governance.leakage_max: {{low: 0.1, high: 0.4}}
replications: 1
seed: 5
chunk_runs: 1
"""

HOLD_LOCK = """
import fcntl, sys
fh = open(sys.argv[1], "a+")
fcntl.lockf(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
print("locked", flush=True)
sys.stdin.read()
"""


class HeldLock:
    """Another process holding `folder/.lock`, as a running sweep does."""

    def __init__(self, folder: Path):
        self.proc = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(folder / ".lock")],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout.readline().strip() == "locked"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.proc.stdin.close()
        self.proc.wait(timeout=300)  # a hang bound, not a race: it exits once stdin closes


@pytest.fixture(scope="module")
def sweep_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("tiny") / "tiny.yaml"
    path.write_text(TINY)
    return path


@pytest.fixture
def sweep_dir(sweep_file, tmp_path):
    out = tmp_path / "sweep"
    run_sweep(load_sweep(sweep_file), out, make_executor("serial"))
    return out


def cli(*args: str):
    return CliRunner().invoke(main, [str(a) for a in args])


# --------------------------------------------------------------------------- locking


def test_sweep_force_refuses_a_folder_whose_lock_another_process_holds(sweep_file, sweep_dir):
    before = sorted(p.name for p in (sweep_dir / "runs").iterdir())
    with HeldLock(sweep_dir):
        res = cli("sweep", sweep_file, "--executor", "serial", "--out", sweep_dir, "--force")
    assert res.exit_code == 2, res.output
    assert f"{sweep_dir}:1: <output>: another sweep is writing to this folder right now" in res.output
    assert sorted(p.name for p in (sweep_dir / "runs").iterdir()) == before
    res = cli("sweep", sweep_file, "--executor", "serial", "--out", sweep_dir, "--force")  # lock released
    assert res.exit_code == 0, res.output


def test_a_refused_resume_leaves_the_running_sweeps_temp_files_alone(sweep_file, sweep_dir):
    part = sweep_dir / "runs" / ".part-000001.parquet.tmp-4242"  # a chunk being written by the running sweep
    part.write_bytes(b"half a chunk")
    with HeldLock(sweep_dir):
        res = cli("sweep", sweep_file, "--executor", "serial", "--out", sweep_dir, "--resume")
        assert res.exit_code == 2 and "another sweep is writing to this folder right now" in res.output
        assert part.read_bytes() == b"half a chunk"
    res = cli("sweep", sweep_file, "--executor", "serial", "--out", sweep_dir, "--resume")
    assert res.exit_code == 0, res.output
    assert not part.exists()  # a killed writer's leftover: removed once the lock is held


# --------------------------------------------------------------------------- swapping into place

MAKE_FOLDER = """
import pathlib, sys
out = pathlib.Path(sys.argv[1])
out.mkdir()
for name in sys.argv[2:]:
    (out / name).write_text("theirs")
"""


def other_process_creates(out: Path, *files: str) -> None:
    subprocess.run([sys.executable, "-c", MAKE_FOLDER, str(out), *files], check=True, timeout=30)


def test_a_folder_created_by_another_process_during_the_work_is_not_replaced(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(ResultsError) as info:
        with atomic_folder(out) as tmp:
            (tmp / "manifest.json").write_text("{}")
            (tmp / "scores.parquet").write_text("ours")
            other_process_creates(out, "manifest.json")  # a second `sdgsim run --out` finished first
    assert (out / "manifest.json").read_text() == "theirs"
    message = str(info.value)
    assert "another process created this folder while this one was running" in message
    kept = [p for p in tmp_path.iterdir() if p.name.startswith("out.unsaved-")]
    assert len(kept) == 1 and str(kept[0]) in message and (kept[0] / "scores.parquet").read_text() == "ours"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["out", kept[0].name])  # no hidden temp left


def test_force_replaces_only_a_results_folder_even_if_it_appears_during_the_work(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(ResultsError) as info:
        with atomic_folder(out, force=True) as tmp:
            (tmp / "manifest.json").write_text("{}")
            other_process_creates(out, "thesis.tex")
    assert (out / "thesis.tex").read_text() == "theirs"
    assert "not an sdgsim results folder" in str(info.value)
    other = tmp_path / "results"
    other_process_creates(other, "manifest.json")
    with atomic_folder(other, force=True) as tmp:
        (tmp / "manifest.json").write_text("ours")
    assert (other / "manifest.json").read_text() == "ours"


def test_force_never_deletes_a_folder_that_is_not_a_results_folder(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.tex").write_text("years of work")
    res = cli("run", BASELINE, "--runs", "2", "--no-report", "--out", out, "--force")
    assert res.exit_code == 2
    assert f"{out}:1: <output>: exists and is not an sdgsim results folder (no manifest.json)" in res.output
    assert (out / "thesis.tex").read_text() == "years of work"
    empty = tmp_path / "empty"
    empty.mkdir()
    res = cli("run", BASELINE, "--runs", "2", "--no-report", "--out", empty, "--force")
    assert res.exit_code == 0, res.output
    res = cli("run", BASELINE, "--runs", "3", "--no-report", "--out", empty, "--force")  # a results folder
    assert res.exit_code == 0, res.output
    assert json.loads((empty / "manifest.json").read_text())["runs"] == 3


# --------------------------------------------------------------------------- crashes


WRITE_AND_HANG = """
import sys, time
from pathlib import Path
from simulation.results.folders import atomic_folder
with atomic_folder(Path(sys.argv[1])) as tmp:
    (tmp / "scores.parquet").write_text("half written")
    print("writing", flush=True)
    time.sleep(60)
"""


def test_temp_folders_of_a_killed_run_are_removed_by_the_next_command(tmp_path):
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-c", WRITE_AND_HANG, str(out)], cwd=ROOT, stdout=subprocess.PIPE,
                            text=True)
    try:
        assert proc.stdout.readline().strip() == "writing"
    finally:
        proc.send_signal(signal.SIGKILL)  # as the OOM killer or `kill -9` would
        proc.wait(timeout=300)
    assert len(list(tmp_path.glob(f".out.tmp-{proc.pid}.*"))) == 1
    alive = tmp_path / f".out.tmp-{os.getpid()}.{folders._HOST}-abcdefgh"  # a temp name of a live process
    alive.mkdir()
    res = cli("run", BASELINE, "--runs", "2", "--no-report", "--out", out)
    assert res.exit_code == 0, res.output
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == [alive.name]


# --------------------------------------------------------------------------- options


@pytest.mark.parametrize("command", ["run", "compare"])
def test_scheduler_without_dask_executor_is_refused(command, tmp_path):
    res = cli(command, BASELINE, "--runs", "2", "--scheduler", "tcp://10.0.0.5:8786", "--out", tmp_path / "o")
    assert res.exit_code == 2
    assert "--scheduler:1: tcp://10.0.0.5:8786: a scheduler address needs --executor dask" in res.output
    assert not (tmp_path / "o").exists()


def test_a_scheduler_that_is_not_an_address_is_a_located_error(tmp_path):
    res = cli("run", BASELINE, "--runs", "2", "--executor", "dask", "--scheduler", "x;y", "--out", tmp_path / "o")
    assert res.exit_code == 2, res.output
    assert "--scheduler:1: x;y: not a Dask scheduler address" in res.output


# --------------------------------------------------------------------------- PPI inputs

INDICATORS = "id,I0,alpha,alpha_prime,beta\na,0.3,0.01,0.005,0.5\nb,0.5,0.01,0.005,0.5\n"


@pytest.mark.parametrize("table, option, cell, message", [
    ("origin,destination,weight\na,b,0.5\nb,a,1e308\n", "--network", "3: weight: 1e+308 is out of range",
     "expected a weight in [-1e+06, 1e+06]; larger ones would overflow"),
    ("program,p1,p2\nx,100,1e308\n", "--expenditure", "2: p2: 1e+308 is out of range",
     "expected a budget in [0, 1e+18]; larger ones would overflow"),
])
def test_ppi_refuses_values_that_would_overflow(tmp_path, table, option, cell, message):
    ind = tmp_path / "ind.csv"
    ind.write_text(INDICATORS)
    other = tmp_path / "other.csv"
    other.write_text(table)
    res = cli("ppi", "run", "-i", ind, option, other, "--runs", "2", "--out", tmp_path / "o")
    assert res.exit_code == 2, res.output
    assert f"{other}:{cell} ({message})" in res.output
    assert not (tmp_path / "o").exists()


# --------------------------------------------------------------------------- special files


def in_time(fn, seconds: float = 10.0):
    """fn() in a daemon thread; fails the test (instead of hanging it) if it blocks."""
    import threading

    box: dict = {}
    thread = threading.Thread(target=lambda: box.update(result=fn()), daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), "blocked reading a special file"
    return box["result"]


def test_a_fifo_is_refused_at_once_as_scenario_extends_listing_and_ppi_table(tmp_path):
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    res = in_time(lambda: cli("validate", fifo))
    assert res.exit_code == 2 and f"{fifo}:1: <file>: is not a regular file" in res.output
    child = tmp_path / "child" / "child.yaml"
    child.parent.mkdir()
    child.write_text(f"extends: {fifo}\nname: child\n")
    res = in_time(lambda: cli("validate", child))
    assert res.exit_code == 2 and "is not a regular file" in res.output, res.output
    res = in_time(lambda: cli("scenarios", tmp_path))
    assert res.exit_code == 0 and "INVALID pipe.yaml:1: <file>: is not a regular file" in res.output
    res = in_time(lambda: cli("ppi", "run", "-i", fifo, "--out", tmp_path / "o"))
    assert res.exit_code == 2 and f"{fifo}:1: <file>: is not a regular file" in res.output


def test_a_symlink_to_dev_zero_is_refused_without_reading_it(tmp_path):
    link = tmp_path / "zero.yaml"
    link.symlink_to("/dev/zero")
    res = in_time(lambda: cli("validate", link))
    assert res.exit_code == 2 and f"{link}:1: <file>: is not a regular file" in res.output
    res = in_time(lambda: cli("ppi", "run", "-i", link, "--out", tmp_path / "o"))
    assert res.exit_code == 2 and "is not a regular file" in res.output


# --------------------------------------------------------------------------- report


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "run"
    res = cli("run", BASELINE, "--runs", "2", "--no-report", "--out", out)
    assert res.exit_code == 0, res.output
    return out


def damaged_copy(run_folder: Path, tmp_path: Path) -> Path:
    import shutil

    out = tmp_path / "copy"
    shutil.copytree(run_folder, out)
    return out


@pytest.mark.parametrize("damage, where", [
    (lambda f: (f / "manifest.json").write_bytes(b'{"kind": "run\xff"}'), "manifest.json:1: <encoding>"),
    (lambda f: (f / "manifest.json").write_text("{"), "manifest.json:1: <json>"),
    (lambda f: ((f / "manifest.json").unlink(), (f / "manifest.json").mkdir()), "manifest.json:1: <file>"),
    (lambda f: (f / "manifest.json").write_text(json.dumps({"kind": ["x"]})), "manifest.json:1: kind"),
    (lambda f: (f / "report.html").mkdir(), "report.html:1: <output>"),
    (lambda f: __import__("pandas").read_parquet(f / "scores.parquet").head(0).to_parquet(f / "scores.parquet"),
     "copy:1: <folder>"),
], ids=["manifest-not-utf8", "manifest-invalid", "manifest-dir", "kind-list", "report-dir", "scores-0-rows"])
def test_report_of_a_damaged_folder_is_a_located_error(run_folder, tmp_path, damage, where):
    folder = damaged_copy(run_folder, tmp_path)
    damage(folder)
    res = cli("report", folder)
    assert res.exit_code == 2, (res.output, res.exception)
    assert where in res.output


@pytest.mark.parametrize("content", [b'{"plots": \xff}', b"[1, 2]"], ids=["not-utf8", "not-an-object"])
def test_report_of_a_sweep_with_a_bad_analysis_index_is_a_located_error(sweep_dir, content):
    (sweep_dir / "analysis.json").write_bytes(content)
    res = cli("report", sweep_dir)
    assert res.exit_code == 2, (res.output, res.exception)
    assert f"{sweep_dir / 'analysis.json'}:1:" in res.output
