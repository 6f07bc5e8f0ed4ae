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
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from simulation.errors import ResultsError
from simulation.experiments.executors import make_executor
from simulation.experiments.sweep.running import run_sweep
from simulation.experiments.sweep.spec import load_sweep
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
        self.proc.wait(timeout=10)


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
