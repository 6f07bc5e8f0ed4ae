"""A killed or interrupted sweep resumes with no duplicate and no missing run.

The sweeps run in a real `python -m cli sweep` subprocess with two worker processes;
the test kills its whole process group with SIGKILL (or sends SIGINT, as Ctrl-C in a
terminal does) once a few chunks are on disk, then resumes and compares with an
uninterrupted run.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from cli import main
from simulation.experiments.executors import make_executor
from simulation.experiments.sweep.running import run_sweep
from simulation.experiments.sweep.spec import load_sweep
from simulation.results.sweeps import read_sweep_runs
from tests.factory import BASELINE
from tests.processes import interruptible

ROOT = Path(__file__).resolve().parents[1]
SWEEP = f"""\
name: resumable
scenario: {BASELINE}
design: {{method: lhs, samples: 60}}
parameters:
  donors.JPN-ODA.budget_usd: {{low: 1.0e9, high: 3.0e9}}
  governance.leakage_max: {{low: 0.1, high: 0.4}}
replications: 2
seed: 8
chunk_runs: 2
"""
TOTAL = 120
CHUNKS = 60


@pytest.fixture(scope="module")
def sweep_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("resume") / "resumable.yaml"
    path.write_text(SWEEP)
    return path


@pytest.fixture(scope="module")
def reference_dir(sweep_file, tmp_path_factory):
    out = tmp_path_factory.mktemp("ref") / "ref"
    run_sweep(load_sweep(sweep_file), out, make_executor("serial"))
    return out


@pytest.fixture(scope="module")
def reference(reference_dir):
    return read_sweep_runs(reference_dir)


def start(sweep_file: Path, out: Path) -> subprocess.Popen:
    return subprocess.Popen(
        interruptible([sys.executable, "-m", "cli", "sweep", str(sweep_file), "--executor", "process", "--workers", "2",
                       "--out", str(out)]),
        cwd=ROOT, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def count_parts(out: Path) -> int:
    return len(list((out / "runs").glob("part-*.parquet"))) if (out / "runs").exists() else 0


def freeze_midway(proc: subprocess.Popen, out: Path, n: int, timeout: float = 600.0) -> int | None:
    """Wait for n chunk files, then stop the sweep's whole process group (SIGSTOP, as Ctrl-Z does).

    Returns the number of chunk files if the frozen sweep has at least half of its chunks still
    to run: a signal sent now reaches it mid-sweep, whenever this process gets to send it (SIGCONT
    then lets the sweep act on it). Returns None if the sweep got further first: on a loaded
    machine this test process can be kept off the CPU for longer than the rest of the sweep takes
    (about 1.7 s), and a signal would then arrive after the work, not during it; the caller starts
    a new sweep.
    """
    deadline = time.monotonic() + timeout
    while count_parts(out) < n:
        if proc.poll() is not None:
            if proc.returncode == 0 and count_parts(out) == CHUNKS:
                return None  # finished while this process was waiting for the CPU
            pytest.fail(f"sweep ended before it could be stopped: {proc.communicate()}")
        if time.monotonic() > deadline:
            pytest.fail("sweep wrote no chunks in time")
        time.sleep(0.005)
    os.killpg(proc.pid, signal.SIGSTOP)
    parts = count_parts(out)
    return parts if parts <= CHUNKS // 2 else None


def stop_midway(sweep_file: Path, out: Path, n: int, sig: int) -> tuple[subprocess.Popen, int, bytes]:
    """Start the sweep into `out`, send `sig` to its process group once it has written n chunk
    files (and at most half of them), and wait for it to end: (process, chunk files when the
    signal was sent, its stderr). Up to 3 sweeps, if the first ones ran to the end too fast."""
    for _ in range(3):
        shutil.rmtree(out, ignore_errors=True)
        proc = start(sweep_file, out)
        try:
            parts = freeze_midway(proc, out, n)
            if parts is not None:
                os.killpg(proc.pid, sig)
                os.killpg(proc.pid, signal.SIGCONT)  # the signal is delivered as the group goes on
                _, err = proc.communicate(timeout=300)  # a hang bound
                return proc, parts, err
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.communicate()
    pytest.fail("each of 3 sweeps ran past its half-way point before it could be stopped")


def group_gone(pgid: int) -> bool:
    """No live process of the group is left (an exited, not yet reaped one does not count)."""
    import psutil

    for proc in psutil.process_iter(["status"]):
        try:
            if os.getpgid(proc.pid) == pgid and proc.info["status"] != psutil.STATUS_ZOMBIE:
                return False
        except (ProcessLookupError, psutil.Error):
            continue
    return True


def check_complete(out: Path, reference: pd.DataFrame) -> None:
    runs = read_sweep_runs(out)
    assert len(runs) == TOTAL
    assert not runs.duplicated(["policy", "point", "replication"]).any()
    pd.testing.assert_frame_equal(runs.drop(columns="chunk"), reference.drop(columns="chunk"), check_exact=True)
    man = json.loads((out / "manifest.json").read_text())
    assert man["status"] == "complete" and man["runs_done"] == TOTAL


def test_a_sweep_killed_with_sigkill_resumes_with_no_duplicate_and_no_missing_run(sweep_file, reference, tmp_path):
    out = tmp_path / "killed"
    proc, _, _ = stop_midway(sweep_file, out, 5, signal.SIGKILL)  # the driver and its workers, at once
    assert proc.returncode == -signal.SIGKILL
    deadline = time.monotonic() + 300  # a hang bound; the loop ends as soon as the group is gone
    while not group_gone(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.01)
    done = len(list((out / "runs").glob("part-*.parquet")))
    assert 5 <= done < CHUNKS
    assert json.loads((out / "manifest.json").read_text())["status"] == "running"
    (out / "runs" / ".part-000059.parquet.tmp-999").write_bytes(b"half a file")  # what a kill mid-write leaves

    res = CliRunner().invoke(main, ["sweep", str(sweep_file), "--executor", "serial", "--out", str(out), "--resume"])
    assert res.exit_code == 0, res.output
    assert f"Done: {TOTAL - done * 2} runs (resumed: {done * 2} were already done), 0 failed" in res.output
    assert not list((out / "runs").glob(".part-*"))
    check_complete(out, reference)


def test_ctrl_c_stops_cleanly_and_leaves_a_resumable_folder(sweep_file, reference, tmp_path):
    out = tmp_path / "interrupted"
    # Ctrl-C reaches the whole foreground process group
    proc, parts, err = stop_midway(sweep_file, out, 3, signal.SIGINT)
    assert proc.returncode == 130, err.decode()
    assert "Interrupted:" in err.decode() and "--resume --out" in err.decode()
    assert "Traceback" not in err.decode()
    deadline = time.monotonic() + 300  # a hang bound; the loop ends as soon as the group is gone
    while not group_gone(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert group_gone(proc.pid)  # no worker process left running
    man = json.loads((out / "manifest.json").read_text())
    assert man["status"] == "interrupted" and 2 * parts <= man["runs_done"] < TOTAL

    res = CliRunner().invoke(main, ["sweep", str(sweep_file), "--executor", "process", "--workers", "2",
                                    "--out", str(out), "--resume"])
    assert res.exit_code == 0, res.output
    check_complete(out, reference)


def test_resume_of_a_finished_sweep_runs_nothing(sweep_file, reference_dir, reference, tmp_path):
    out = tmp_path / "done"
    shutil.copytree(reference_dir, out)
    before = {p.name: p.stat().st_mtime_ns for p in (out / "runs").iterdir()}
    res = CliRunner().invoke(main, ["sweep", str(sweep_file), "--executor", "serial", "--out", str(out), "--resume"])
    assert res.exit_code == 0 and f"Done: 0 runs (resumed: {TOTAL} were already done)" in res.output
    assert {p.name: p.stat().st_mtime_ns for p in (out / "runs").iterdir()} == before
    check_complete(out, reference)


def test_resume_reruns_a_damaged_chunk_file(sweep_file, reference_dir, reference, tmp_path):
    out = tmp_path / "damaged"
    shutil.copytree(reference_dir, out)
    victim = sorted((out / "runs").glob("part-*.parquet"))[3]
    victim.write_bytes(victim.read_bytes()[:40])  # truncated, e.g. a disk filled up during a copy
    run_sweep(load_sweep(sweep_file), out, make_executor("serial"), resume=True)
    check_complete(out, reference)
