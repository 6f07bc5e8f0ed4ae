"""The code's shape: layers point one way, no import cycles, small modules, a clean namespace.

`lint-imports` checks the layer contracts in pyproject.toml; this file also checks what
import-linter does not: no cycle between any two modules (imports inside functions
included), no module over 600 lines, and that `import simulation` changes no global state.
"""

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
    it uses when it runs (it took 3.1 s to print the help when `import simulation` loaded the
    whole API, matplotlib and scikit-learn included; 0.1 s now)."""
    code = ("import sys, cli, simulation; "
            "print(sorted(m for m in ('numpy', 'pandas', 'scipy', 'mesa', 'matplotlib', 'sklearn', 'pyarrow', "
            "'numba', 'distributed') if m in sys.modules)); "
            "print(simulation.model.FinancingModel.__name__, simulation.run.__module__)")  # loaded when used
    res = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert res.stdout.split("\n")[:2] == ["[]", "FinancingModel simulation.api.runs"], res.stdout + res.stderr[-2000:]


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
    assert packages == set(simulation._PACKAGES)  # every subpackage is reachable as simulation.<name>
    with pytest.raises(AttributeError, match="no attribute 'runn'"):
        simulation.runn  # noqa: B018 - a mistyped name still fails as it should
