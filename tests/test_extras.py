"""A lean install: what only one feature needs comes with an extra, and a missing extra is named.

Each command that needs an extra is run in a fresh process in which the extra's modules cannot
be imported (`sys.modules[name] = None`, as if they were not installed): it must print one
line naming the extra and how to install it, exit 2, write nothing, and show no traceback. The
library raises `MissingExtra` (an `InputError`) worded without command-line flags. The base
install itself (no numba, no panel) is measured by hand in a fresh venv (README.md, "Install").
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from simulation.errors import InputError, MissingExtra
from simulation.experiments.executors import make_executor
from simulation.experiments.sweep.running import run_sweep
from simulation.experiments.sweep.spec import load_sweep
from simulation.extras import EXTRAS, require
from tests.factory import BASELINE
from tests.test_ppi_cli import table_args, tables  # noqa: F401  (a fixture: PPI tables in tmp_path)

ROOT = Path(__file__).resolve().parents[1]
PPI_SCENARIO = ROOT / "tests" / "data" / "ppi_country" / "scenario.yaml"
SWEEP = f"""\
name: tiny
policies:
  base: {BASELINE}
design: {{method: lhs, samples: 6}}
parameters:
  governance.leakage_max: {{low: 0.1, high: 0.4}}
replications: 1
seed: 5
outcomes: [sdg_index_end]
"""


def without(extra: str, *argv: str) -> subprocess.CompletedProcess:
    """`sdgsim ARGV` in a fresh process where the modules of `extra` are not importable."""
    block = "".join(f"sys.modules[{m!r}] = None; " for m in EXTRAS[extra].modules)
    code = f"import sys; {block}import cli; cli.main([*sys.argv[1:]], prog_name='sdgsim')"
    return subprocess.run([sys.executable, "-c", code, *argv], cwd=ROOT, capture_output=True, text=True, timeout=300)


def line_for(command: str, extra: str) -> str:
    missing = ", ".join(EXTRAS[extra].modules)
    return f"{command} needs the '{extra}' extra (missing: {missing}): pip install 'sdgsim[{extra}]'"


@pytest.fixture(scope="module")
def sweep_folder(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("tiny")
    (tmp / "tiny.yaml").write_text(SWEEP)
    run_sweep(load_sweep(tmp / "tiny.yaml"), tmp / "tiny", make_executor("serial"))
    return tmp / "tiny"


def commands(tmp: Path, sweep: Path | None, ppi_tables: dict[str, Path]) -> dict[str, tuple[str, str, list[str]]]:
    """name -> (extra, the command as the message names it, argv)."""
    out = str(tmp / "out")
    return {
        "app": ("app", "sdgsim app", ["app", "--port", "0", "--results", str(tmp / "r"), "--scenarios", out]),
        "ppi run": ("ppi", "sdgsim ppi run", ["ppi", "run", *table_args(ppi_tables), "-n", "4", "-o", out]),
        "ppi calibrate": ("ppi", "sdgsim ppi calibrate",
                          ["ppi", "calibrate", *table_args(ppi_tables), "--runs", "4", "-o", out]),
        "run with a ppi country": ("ppi", "sdgsim run", ["run", str(PPI_SCENARIO), "--runs", "2", "--out", out]),
        "sweep of a ppi country": ("ppi", "sdgsim sweep", ["sweep", str(tmp / "tiny-ppi.yaml"), "--out", out]),
        "sweep --executor dask": ("dask", "sdgsim sweep --executor dask",
                                  ["sweep", str(tmp / "tiny.yaml"), "--executor", "dask", "--out", out]),
        "optimize": ("search", "sdgsim optimize",
                     ["optimize", str(ROOT / "scenarios" / "searches" / "pia-levers.yaml"), "--out", out]),
        "discover": ("search", "sdgsim discover",
                     ["discover", str(sweep), "--outcome", "sdg_index_end", "--worst", "0.3"]),
    }


NAMES = ["app", "ppi run", "ppi calibrate", "run with a ppi country", "sweep of a ppi country", "sweep --executor dask",
         "optimize", "discover"]


@pytest.mark.parametrize("name", NAMES)
def test_a_command_whose_extra_is_missing_names_it_in_one_line_and_exits_2(name, tmp_path, tables,  # noqa: F811
                                                                           request):
    (tmp_path / "tiny.yaml").write_text(SWEEP)
    (tmp_path / "tiny-ppi.yaml").write_text(SWEEP.replace(str(BASELINE), str(PPI_SCENARIO)))
    sweep = request.getfixturevalue("sweep_folder") if name == "discover" else None
    extra, command, argv = commands(tmp_path, sweep, tables)[name]
    before = sorted(p.name for p in sweep.iterdir()) if sweep else []
    res = without(extra, *argv)
    assert res.returncode == 2, res.stdout + res.stderr[-3000:]
    assert res.stderr.splitlines() == [line_for(command, extra)] and res.stdout == "", res.stdout + res.stderr[-3000:]
    assert not (tmp_path / "out").exists() and not (tmp_path / "r").exists()  # stopped before writing anything
    if sweep:
        assert sorted(p.name for p in sweep.iterdir()) == before


def test_commands_of_the_base_install_run_without_any_extra(tmp_path):
    """run (and its report) needs no extra: with every extra blocked it still works."""
    block = "".join(f"sys.modules[{m!r}] = None; " for e in EXTRAS.values() for m in e.modules)
    code = f"import sys; {block}import cli; cli.main([*sys.argv[1:]], prog_name='sdgsim')"
    res = subprocess.run([sys.executable, "-c", code, "run", "baseline", "--runs", "3", "--out", str(tmp_path / "b")],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    assert (tmp_path / "b" / "summary.csv").is_file()


@pytest.mark.parametrize("extra", sorted(EXTRAS))
def test_the_library_raises_a_typed_error_without_command_line_flags(extra, monkeypatch):
    for m in EXTRAS[extra].modules:
        monkeypatch.setitem(sys.modules, m, None)
    with pytest.raises(MissingExtra) as err:
        require(extra)
    assert isinstance(err.value, InputError) and err.value.extra == extra
    assert f"pip install 'sdgsim[{extra}]'" in str(err.value) and "--" not in str(err.value)
    assert str(err.value).count("\n") == 0


def test_the_dask_executor_is_refused_when_it_is_made(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(MissingExtra, match=r"the dask executor needs the 'dask' extra \(missing: distributed\)"):
        make_executor("dask", 2)


def test_a_missing_extra_raised_in_a_worker_process_unpickles_whole():
    import pickle

    err = pickle.loads(pickle.dumps(MissingExtra("ppi", "the PPI model", ["numba"])))
    assert (err.extra, err.feature, err.modules, str(err)) == (
        "ppi", "the PPI model", ["numba"], str(MissingExtra("ppi", "the PPI model", ["numba"])))
