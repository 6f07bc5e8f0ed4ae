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
        [sys.executable, "-m", "cli", "sweep", str(sweep_file), "--executor", "process", "--workers", "2",
         "--out", str(out)],
        cwd=ROOT, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def wait_for_parts(proc: subprocess.Popen, out: Path, n: int, timeout: float = 60.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        parts = len(list((out / "runs").glob("part-*.parquet"))) if (out / "runs").exists() else 0
        if parts >= n:
            return parts
        if proc.poll() is not None:
            pytest.fail(f"sweep ended before it could be stopped: {proc.communicate()}")
        time.sleep(0.005)
    pytest.fail("sweep wrote no chunks in time")


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
    proc = start(sweep_file, out)
    try:
        wait_for_parts(proc, out, 5)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the driver and its worker processes, at once
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    deadline = time.monotonic() + 10
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
    proc = start(sweep_file, out)
    try:
        wait_for_parts(proc, out, 3)
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C reaches the whole foreground process group
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130, err.decode()
    assert "Interrupted:" in err.decode() and "--resume --out" in err.decode()
    assert "Traceback" not in err.decode()
    deadline = time.monotonic() + 5
    while not group_gone(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert group_gone(proc.pid)  # no worker process left running
    man = json.loads((out / "manifest.json").read_text())
    assert man["status"] == "interrupted" and 0 < man["runs_done"] < TOTAL

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
