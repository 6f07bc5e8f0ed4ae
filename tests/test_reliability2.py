"""Reliability, second round: round-trips, hostile folders and paths, size limits, signals.

docs/reliability.md lists the guarantees these tests prove.
"""

from __future__ import annotations

import errno
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import psutil
import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from cli import main
from simulation.experiments.executors import make_executor
from simulation.experiments.sweep.running import run_sweep
from simulation.experiments.sweep.spec import load_sweep
from simulation.results.sweeps import SweepStore
from simulation.scenario import validate_data
from simulation.scenario.catalog import to_yaml
from simulation.scenario.yamlio import parse_located
from tests.factory import BASELINE, scenario, small_dict
from tests.processes import interruptible

ROOT = Path(__file__).resolve().parents[1]

IDENT = st.from_regex(re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,20}", re.ASCII), fullmatch=True)
TRICKY = st.sampled_from(["1e9", "-.5", "E1", "e5", "1_000", "010", "1:30", "0x1F", ".5", "1.", "+1", "NaN",
                          ".inf", "yes", "NO", "null", "~", "true", "2020-01-01", "1e", "-", "#x", "'q", "a: b"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.one_of(TRICKY.filter(lambda s: re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.:-]*", s)), IDENT),
       donor=st.one_of(TRICKY.filter(lambda s: re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.:-]*", s)), IDENT),
       description=st.one_of(TRICKY, st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")),
                                                max_size=30)))
@example(name="1e9", donor="1e9", description="\u0c66")  # a Telugu zero: a digit to a regex's \d, text to YAML
def test_show_output_loads_back_to_the_same_content_hash(name, donor, description):
    data = small_dict()
    data["name"], data["description"] = name, description
    data["donors"][0]["id"] = donor if donor != data["donors"][1]["id"] else donor + "x"
    sc = scenario(data)
    again = validate_data(parse_located(to_yaml(sc), "<shown>"), "<shown>")
    assert again.content_hash() == sc.content_hash()


def test_a_plain_id_like_E1_is_text_and_numbers_stay_numbers():
    data = parse_located("a: E1\nb: e5\nc: 1e9\nd: -.5\ne: 1_000\nf: 1.\n", "<t>")
    assert data == {"a": "E1", "b": "e5", "c": 1e9, "d": -0.5, "e": 1000, "f": 1.0}
    # YAML numbers are written in ASCII digits; other scripts' digits are text (Python's float() takes them)
    assert parse_located("a: \u0c66\nb: \u0661\u0662\nc: \uff11\n", "<t>") == {"a": "\u0c66", "b": "\u0661\u0662", "c": "\uff11"}


# --------------------------------------------------------------------------- damaged sweep folders

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


@pytest.fixture(scope="module")
def sweep_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("tiny") / "tiny.yaml"
    path.write_text(TINY)
    return path


@pytest.fixture(scope="module")
def finished_sweep(sweep_file, tmp_path_factory):
    out = tmp_path_factory.mktemp("done") / "sweep"
    run_sweep(load_sweep(sweep_file), out, make_executor("serial"))
    return out


@pytest.fixture
def sweep_dir(finished_sweep, tmp_path):
    out = tmp_path / "sweep"
    shutil.copytree(finished_sweep, out)
    return out


def cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def resume(sweep_file, out):
    return cli("sweep", sweep_file, "--executor", "serial", "--out", out, "--resume")


def assert_located(res, where: str, field: str):
    assert res.exit_code == 2, res.output
    assert f"{where}:1: {field}: " in res.output, res.output
    assert "Traceback" not in res.output


@pytest.mark.parametrize("damage", ["missing", "truncated", "not parquet"])
def test_resume_of_a_folder_with_a_missing_or_damaged_design_is_a_located_error(sweep_file, sweep_dir, damage):
    design = sweep_dir / "design.parquet"
    if damage == "missing":
        design.unlink()
    elif damage == "truncated":
        design.write_bytes(design.read_bytes()[:100])
    else:
        design.write_text("point,u\n1,2\n")
    assert_located(resume(sweep_file, sweep_dir), sweep_dir / "design.parquet", "<design>")


def test_a_manifest_without_plan_is_a_located_error_for_resume_and_analyze(sweep_file, sweep_dir):
    man = json.loads((sweep_dir / "manifest.json").read_text())
    del man["plan"]
    (sweep_dir / "manifest.json").write_text(json.dumps(man))
    assert_located(resume(sweep_file, sweep_dir), sweep_dir / "manifest.json", "plan")
    assert_located(cli("analyze", sweep_dir), sweep_dir / "manifest.json", "plan")


def test_a_part_file_that_is_a_folder_is_a_located_error(sweep_file, sweep_dir):
    part = sweep_dir / "runs" / "part-000002.parquet"
    part.unlink()
    part.mkdir()
    assert_located(resume(sweep_file, sweep_dir), part, "<chunk>")
    assert part.is_dir()  # never deleted


def test_analyze_and_resume_agree_on_duplicate_and_foreign_part_files(sweep_file, sweep_dir):
    runs = sweep_dir / "runs"
    shutil.copy(runs / "part-000001.parquet", runs / "part-000001 (1).parquet")  # a duplicate: not a chunk name
    shutil.copy(runs / "part-000001.parquet", runs / "part-000009.parquet")  # past the plan's 4 chunks
    assert cli("analyze", sweep_dir, "--no-plots").exit_code == 0  # both ignored, as --resume does
    res = resume(sweep_file, sweep_dir)
    assert res.exit_code == 0 and "Done: 0 runs (resumed: 4 were already done)" in res.output, res.output

    shutil.copy(runs / "part-000000.parquet", runs / "part-000003.parquet")  # another chunk's runs
    assert_located(cli("analyze", sweep_dir, "--force", "--no-plots"), runs / "part-000003.parquet", "<chunk>")
    res = resume(sweep_file, sweep_dir)  # ... is run again
    assert res.exit_code == 0 and "Done: 1 runs (resumed: 3 were already done)" in res.output, res.output
    assert cli("analyze", sweep_dir, "--force", "--no-plots").exit_code == 0


# --------------------------------------------------------------------------- scenario folders


def test_scenarios_of_a_folder_with_a_symlink_loop_lists_them_as_invalid(tmp_path):
    (tmp_path / "a.yaml").symlink_to("b.yaml")
    (tmp_path / "b.yaml").symlink_to("a.yaml")
    (tmp_path / "self.yaml").symlink_to("self.yaml")
    shutil.copy(BASELINE, tmp_path / "ok.yaml")
    (tmp_path / "kid.yaml").write_text("extends: a.yaml\nname: kid\n")
    res = cli("scenarios", tmp_path)
    assert res.exit_code == 0, res.output
    assert "a                    INVALID a.yaml:1: <file>: cannot read file" in res.output
    assert "kid                  INVALID kid.yaml:1: extends:" in res.output
    assert "5 scenarios, 4 invalid" in res.output
    assert_located(cli("show", tmp_path / "a.yaml"), tmp_path / "a.yaml", "<file>")


# --------------------------------------------------------------------------- where results go


def run_cli(out, *more):
    return cli("run", BASELINE, "--runs", "2", "--no-report", "--out", out, *more)


@pytest.mark.parametrize("where", ["under a file", "proc", "sys"])
def test_an_output_folder_that_cannot_be_created_is_refused_before_the_work(tmp_path, where):
    (tmp_path / "afile").write_text("x")
    out = {"under a file": tmp_path / "afile" / "a" / "b", "proc": Path("/proc/sdgsim-x"),
           "sys": Path("/sys/sdgsim-x")}[where]
    res = run_cli(out)
    assert_located(res, out, "<output>")
    assert "SDG index" not in res.output  # refused before running


def test_an_output_folder_in_a_read_only_folder_is_refused_before_the_work(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        if os.access(ro, os.W_OK):
            pytest.skip("running as root: a read-only mode does not stop writing")
        assert_located(run_cli(ro / "x"), ro / "x", "<output>")
    finally:
        ro.chmod(0o755)


def test_out_dot_with_force_is_refused_and_leaves_nothing_behind(tmp_path, monkeypatch):
    here = tmp_path / "here"
    here.mkdir()
    (here / "manifest.json").write_text("{}")  # a results folder, that --force could replace
    monkeypatch.chdir(here)
    for out in (".", "../here", ".."):
        assert_located(run_cli(out, "--force"), out, "<output>")
    assert sorted(p.name for p in here.iterdir()) == ["manifest.json"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["here"]


def test_a_full_disk_while_saving_is_a_located_error_that_keeps_the_summary(tmp_path, monkeypatch):
    def full(*args, **kw):
        raise OSError(errno.ENOSPC, "No space left on device", "scores.parquet")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", full)
    res = run_cli(tmp_path / "out")
    assert_located(res, tmp_path / "out", "<output>")
    assert "the disk is full" in res.output and "SDG index" in res.output  # the run is not lost without a word
    assert list(tmp_path.iterdir()) == []  # no half-written folder


def test_a_full_disk_during_a_sweep_keeps_the_finished_chunks_resumable(sweep_file, tmp_path, monkeypatch):
    out = tmp_path / "sweep"
    real = SweepStore.write_chunk

    def write_chunk(self, chunk, columns):
        if chunk >= 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(self, chunk, columns)

    monkeypatch.setattr(SweepStore, "write_chunk", write_chunk)
    res = cli("sweep", sweep_file, "--executor", "serial", "--out", out)
    assert_located(res, out, "<output>")
    assert "the disk is full; 2 of 4 runs are saved" in res.output
    monkeypatch.undo()
    res = cli("sweep", sweep_file, "--executor", "serial", "--out", out, "--resume")
    assert res.exit_code == 0 and "Done: 2 runs (resumed: 2 were already done)" in res.output, res.output


# --------------------------------------------------------------------------- worker processes and signals

HALF_SENT = """
import os, struct, sys, time
from simulation.experiments.executors import make_executor

def half_sent(shared, task):
    # as if this worker were stopped in the middle of sending its result: the header of a
    # 1000-byte message and only 10 bytes of it
    frame = sys._getframe()
    while "result_queue" not in frame.f_locals:
        frame = frame.f_back
    writer = frame.f_locals["result_queue"]._writer
    writer._send(struct.pack("!i", 1000) + b"x" * 10)
    os.write(1, b"sent\\n")  # one write: the driver's line and this one never interleave
    time.sleep(60)

def report_reading():
    # observable state, not a time: print once the pool's manager thread is inside recv,
    # waiting for the rest of the half-sent message
    import threading
    me = threading.get_ident()
    while True:
        for tid, frame in sys._current_frames().items():
            while tid != me and frame is not None:
                if frame.f_code.co_name == "_recv" and "connection" in frame.f_code.co_filename:
                    os.write(1, b"reading\\n")
                    return
                frame = frame.f_back
        time.sleep(0.01)

if __name__ == "__main__":
    import threading
    threading.Thread(target=report_reading, daemon=True).start()
    with make_executor("process", 1) as ex:
        for _ in ex.map_unordered(half_sent, None, [1]):
            pass
"""

SLEEPERS = """
import os, time
from simulation.experiments.executors import make_executor

def sleep(shared, task):
    os.write(1, f"{os.getpid()}\\n".encode())  # one write: two workers' lines never interleave
    time.sleep(120)

if __name__ == "__main__":
    with make_executor("process", 2) as ex:
        for _ in ex.map_unordered(sleep, None, [1, 2]):
            pass
"""


def start_script(tmp_path, text):
    script = tmp_path / "script.py"
    script.write_text(text)
    return subprocess.Popen(interruptible([sys.executable, str(script)]), cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_ctrl_c_while_a_worker_is_half_way_through_sending_its_result_does_not_hang(tmp_path):
    proc = start_script(tmp_path, HALF_SENT)
    try:
        assert sorted(proc.stdout.readline().strip() for _ in range(2)) == ["reading", "sent"]
        proc.send_signal(signal.SIGINT)  # the manager thread now waits for the other 990 bytes
        proc.wait(timeout=300)  # a hang, not a slow machine: it ends in 1-8 s (load 15 on 2 cores)
    finally:
        proc.kill()
        proc.wait()
    assert "KeyboardInterrupt" in proc.stderr.read()


def test_workers_exit_when_the_driver_is_killed_with_sigkill(tmp_path):
    proc = start_script(tmp_path, SLEEPERS)
    try:
        workers = [psutil.Process(int(proc.stdout.readline())) for _ in range(2)]
    finally:  # the driver dies here even if reading its workers' ids failed (no orphan sleeps on)
        proc.kill()
        proc.wait()

    def gone(p):
        try:
            return p.status() == psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return True

    deadline = time.monotonic() + 300  # a hang bound: the watchdog checks every 0.2 s; the loop ends when they are
    while not all(gone(p) for p in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    alive = [p.pid for p in workers if not gone(p)]
    for pid in alive:
        os.kill(pid, signal.SIGKILL)
    assert not alive, "worker processes outlived their killed driver"


# --------------------------------------------------------------------------- size limits


def huge_scenario_file(tmp_path) -> Path:
    """1000 countries x 1000 donors x 200 years: valid, but its arrays cannot fit in memory."""
    data = small_dict()
    country = data["countries"][2]
    data["countries"] = [{**country, "id": f"C{i:04d}"} for i in range(1000)]
    data["donors"] = [{**data["donors"][0], "id": f"D{i:04d}"} for i in range(1000)]
    data["start_year"], data["end_year"] = 2000, 2199
    path = tmp_path / "huge.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_a_run_that_cannot_fit_in_memory_is_refused_with_its_estimate(tmp_path, monkeypatch):
    huge = huge_scenario_file(tmp_path)
    assert cli("validate", huge).exit_code == 0
    res = cli("run", huge, "--runs", "10", "--out", tmp_path / "out")
    assert res.exit_code == 2, res.output
    assert re.search(r"--runs:1: 10: 10 runs \(1000 countries x 4 goals x 1000 donors x 200 years\) need about "
                     r"[\d.]+ GB of memory .* but [\d.]+ GB is available; .*\(--force-size runs it anyway\)", res.output)
    # streamed runs keep only their outcome values (~2 kB a baseline run): 10^6 runs need ~2.5 GB, so
    # this machine's memory is set to 1 GB for the rest of the test
    from simulation.experiments import sizing

    monkeypatch.setattr(sizing.psutil, "virtual_memory", lambda: SimpleNamespace(available=10**9))
    res = cli("run", BASELINE, "--runs", "1000000", "--out", tmp_path / "out")
    assert res.exit_code == 2 and "--runs:1: 1000000: 1000000 runs" in res.output, res.output
    res = cli("compare", BASELINE, BASELINE, "--runs", "1000000", "--out", tmp_path / "out")
    assert res.exit_code == 2 and "1000000 runs of 2 scenarios" in res.output, res.output
    assert not (tmp_path / "out").exists()


def test_the_size_limit_is_a_typed_library_error_and_force_size_insists(monkeypatch):
    import simulation as sim
    from simulation.experiments import sizing

    monkeypatch.setattr(sizing.psutil, "virtual_memory", lambda: SimpleNamespace(available=1000))
    sc = scenario()
    with pytest.raises(sim.TooLarge) as info:
        sim.run(sc, runs=2)
    assert info.value.available == 1000 and info.value.needed > 1000
    assert "--" not in str(info.value)  # no CLI flag in a library message
    assert sim.run(sc, runs=2, force_size=True).runs == 2


# --------------------------------------------------------------------------- randomly damaged folders

LOCATED = re.compile(r"^\S.*:\d+: \S+: .+$")


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    import simulation as sim

    out = tmp_path_factory.mktemp("run") / "run"
    sim.run(scenario(), runs=2, seed=1).save(out, report=False)
    return out


def damage(folder: Path, data) -> None:
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.name != ".lock")
    victim = data.draw(st.sampled_from(files), label="file")
    how = data.draw(st.sampled_from(["truncate", "delete", "folder", "garbage", "flip"]), label="how")
    raw = victim.read_bytes()
    if how == "truncate":
        victim.write_bytes(raw[: data.draw(st.integers(0, max(0, len(raw) - 1)), label="at")])
    elif how == "delete":
        victim.unlink()
    elif how == "folder":
        victim.unlink()
        victim.mkdir()
    elif how == "garbage":
        victim.write_bytes(data.draw(st.binary(max_size=64), label="bytes"))
    elif raw:
        i = data.draw(st.integers(0, len(raw) - 1), label="byte")
        victim.write_bytes(raw[:i] + bytes([raw[i] ^ 0xFF]) + raw[i + 1:])


def assert_exit_0_or_located(res):
    assert res.exception is None or isinstance(res.exception, SystemExit), res.output
    assert res.exit_code in (0, 2), res.output
    if res.exit_code == 2:
        lines = [ln for ln in res.output.splitlines() if ln.strip()]
        assert lines and all(LOCATED.match(ln) for ln in lines), res.output


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_report_of_a_randomly_damaged_run_folder_exits_0_or_2_with_located_lines(run_folder, tmp_path_factory, data):
    folder = tmp_path_factory.mktemp("damaged") / "run"
    shutil.copytree(run_folder, folder)
    damage(folder, data)
    assert_exit_0_or_located(cli("report", folder))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_analyze_of_a_randomly_damaged_sweep_folder_exits_0_or_2_with_located_lines(finished_sweep, tmp_path_factory,
                                                                                   data):
    folder = tmp_path_factory.mktemp("damaged") / "sweep"
    shutil.copytree(finished_sweep, folder)
    damage(folder, data)
    assert_exit_0_or_located(cli("analyze", folder, "--no-plots"))


# --------------------------------------------------------------------------- fault injection

COMMANDS = {
    "run": ["run", str(BASELINE), "--runs", "8", "--workers", "2", "--batch-size", "1", "--no-report"],
    "compare": ["compare", str(BASELINE), str(BASELINE), "--runs", "4", "--workers", "2"],
    "sweep": ["sweep", "SWEEP", "--executor", "process", "--workers", "2"],
}


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["SIGINT", "SIGKILL"])
@pytest.mark.parametrize("command", list(COMMANDS))
def test_an_interrupted_command_leaves_its_folder_complete_or_absent_and_a_rerun_recovers(
        command, sig, sweep_file, tmp_path):
    rnd = random.Random(f"{command}-{sig}")
    out = tmp_path / "out"
    args = [a.replace("SWEEP", str(sweep_file)) for a in COMMANDS[command]] + ["--out", str(out)]
    proc = subprocess.Popen(interruptible([sys.executable, "-m", "cli", *args]), cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    try:
        while len(psutil.Process(proc.pid).children()) < 2 and proc.poll() is None:  # the workers are up
            time.sleep(0.02)
        time.sleep(rnd.uniform(0, 1.0))
        proc.send_signal(sig)
        proc.wait(timeout=60)
    finally:
        proc.kill()
        proc.wait()
    err = proc.stderr.read()
    assert proc.returncode in (0, 130, -signal.SIGINT, -signal.SIGKILL) and "Traceback" not in err, err
    if command == "sweep":
        assert not out.exists() or (out / "manifest.json").is_file()  # a sweep folder appears complete, or not
        again = cli(*args, "--resume") if out.exists() else cli(*args)
        assert again.exit_code == 0, again.output
        assert json.loads((out / "manifest.json").read_text())["status"] == "complete"
    else:
        assert not out.exists() or (out / "manifest.json").is_file()
        if not out.exists():
            again = cli(*args)
            assert again.exit_code == 0, again.output
        assert (out / "manifest.json").is_file()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out.")] == []  # temp folders cleaned up
