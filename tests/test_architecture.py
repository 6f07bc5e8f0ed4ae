"""The code's shape: layers point one way, no import cycles, small modules, a clean namespace.

`lint-imports` checks the layer contracts in pyproject.toml; this file also checks what
import-linter does not: no cycle between any two modules (imports inside functions
included), no module over 600 lines, and that `import simulation` changes no global state.
"""

import ast
import subprocess
import sys
from pathlib import Path

import grimp
import networkx as nx
import pytest

import simulation

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
MAX_LINES = 600
MAX_FUNCTION_LINES = 60
"""Longest function (docstring included) in the model and mechanisms packages."""


def test_layer_contracts_hold():
    res = subprocess.run([str(BIN / "lint-imports")], cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-2000:]


def test_no_import_cycles_between_modules():
    graph = grimp.build_graph("simulation", exclude_type_checking_imports=True)
    g = nx.DiGraph()
    for m in graph.modules:
        for dep in graph.find_modules_directly_imported_by(m):
            g.add_edge(m, dep)
    # a package importing its own submodules (its __init__) is not a cycle of code
    cycles = [c for c in nx.simple_cycles(g) if not any(a.startswith(b + ".") or b.startswith(a + ".")
                                                         for a in c for b in c if a != b)]
    assert not cycles, cycles[:5]


def test_no_module_is_over_600_lines():
    long = {str(p.relative_to(ROOT)): n for p in [*ROOT.glob("simulation/**/*.py"), ROOT / "cli.py"]
            if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not long, long


def function_lengths(folder: Path) -> dict[str, int]:
    """file:function -> lines (first line of its definition to its last) of every function in `folder`."""
    out = {}
    for path in sorted(folder.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                out[f"{path.relative_to(ROOT)}:{node.name}"] = node.end_lineno - node.lineno + 1
    return out


def test_function_lengths_are_measured():
    lengths = function_lengths(ROOT / "simulation" / "model")
    assert lengths["simulation/model/model.py:step"] > 5 and len(lengths) > 50


@pytest.mark.parametrize("package", ["model", "mechanisms"])
def test_no_function_of_the_model_core_is_over_60_lines(package):
    """The model's year, its phases and its mechanisms stay readable one function at a time."""
    long = {k: n for k, n in function_lengths(ROOT / "simulation" / package).items() if n > MAX_FUNCTION_LINES}
    assert not long, long


def test_ruff_passes():
    res = subprocess.run([str(BIN / "ruff"), "check", "simulation", "cli.py", "tests", "benchmarks"], cwd=ROOT,
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stdout[-3000:]


def test_importing_simulation_leaves_matplotlib_alone():
    code = ("import matplotlib, sys; before = matplotlib.get_backend(); import simulation; "
            "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot imported'; "
            "assert matplotlib.get_backend() == before, 'backend changed'; print('ok')")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={"MPLBACKEND": "svg", "PATH": ""})
    assert res.stdout.strip() == "ok", res.stderr[-2000:]


@pytest.mark.parametrize("name", simulation.__all__)
def test_public_names_are_importable(name):
    assert getattr(simulation, name) is not None


def test_the_command_line_starts_without_the_engine():
    """`sdgsim --help` and `import simulation` load no numerical library: each command loads what
    it uses when it runs (it took 2.7 s to print the help when `import simulation` loaded the
    whole API, matplotlib and scikit-learn included; 0.1 s now)."""
    code = ("import sys, cli, simulation; "
            "print(sorted(m for m in ('numpy', 'pandas', 'scipy', 'mesa', 'matplotlib', 'sklearn', 'pyarrow', "
            "'numba', 'distributed') if m in sys.modules)); "
            "print(simulation.model.FinancingModel.__name__, simulation.run.__module__, "
            "simulation.api.search.load_search.__name__, simulation.shipped.__name__)")  # loaded when used
    res = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert res.stdout.split("\n")[:2] == ["[]", "FinancingModel simulation.api.runs load_search simulation.shipped"], (
        res.stdout + res.stderr[-2000:])


COMMANDS_ON_FILES = {  # each command with a missing file (M) or folder (D) where it reads one
    "validate": "validate M", "show": "show M", "run": "run M", "compare": "compare M M", "sweep": "sweep M",
    "analyze": "analyze D", "report": "report D", "discover": "discover D --outcome sdg_index_end --worst 0.2",
    "optimize": "optimize M", "calibrate": "calibrate M --history M --fit-until 2015",
    "backtest": "backtest M --history M --fit-until 2015 --to 2020", "ppi run": "ppi run --indicators M",
    "data import": "data import M",
}


@pytest.mark.parametrize("command", COMMANDS_ON_FILES)
def test_every_command_reports_a_missing_input_as_bad_input_in_a_fresh_process(command, tmp_path):
    """Each command finds what it needs by importing it, not through what an earlier import
    happened to load (`sdgsim optimize` once reached its loader as `sim.api.search`, which
    exists only after something has imported that module: in a fresh process it crashed)."""
    argv = [a.replace("M", str(tmp_path / "missing.yaml")) if a == "M" else
            str(tmp_path / "missing-folder") if a == "D" else a for a in COMMANDS_ON_FILES[command].split()]
    res = subprocess.run([sys.executable, "-m", "cli", *argv], cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 2 and "missing" in res.stderr and "Traceback" not in res.stderr, res.stderr[-2000:]


def test_every_public_name_is_loaded_from_the_api_module_that_exports_it():
    import importlib

    from simulation import api

    assert sorted(api.MODULES) == sorted(api.__all__) == sorted(n for n in simulation.__all__ if n in api.MODULES)
    for name, module in api.MODULES.items():
        value = getattr(simulation, name)
        assert value is getattr(api, name)
        assert value is getattr(importlib.import_module(f"simulation.api.{module}"), name), name
    assert set(api.MODULES) <= set(dir(simulation))
    packages = {p.name for p in (ROOT / "simulation").iterdir() if (p / "__init__.py").is_file()} - {"api"}
    assert packages <= set(simulation._PACKAGES)  # every subpackage is reachable as simulation.<name>
    assert set(api.SUBMODULES) == {p.stem for p in (ROOT / "simulation" / "api").glob("*.py")} - {"__init__"}
    with pytest.raises(AttributeError, match="no attribute 'runn'"):
        simulation.runn  # noqa: B018 - a mistyped name still fails as it should
