"""Packaging: the shipped scenarios are package data, `extends:` takes a shipped scenario's name,
results follow the user's umask.

The wheel test builds with pip (offline: the build requirement comes from pip's cache or index)
in a copy of the sources, so that it leaves no build/ or *.egg-info behind in the checkout. A full
install into a fresh virtual environment takes minutes (the dependencies); it is checked by hand
(README.md, "Install": the base install and `[all]`, their sizes and times). Which dependencies
the base leaves to extras is checked here; what a missing extra does, in tests/test_extras.py.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
import tomllib
import zipfile
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner
from setuptools import find_namespace_packages

from cli import main
from simulation.errors import InputError
from simulation.extras import EXTRAS
from simulation.scenario import catalog, load_scenario
from simulation.scenario.library import SHIPPED_DIR, shipped_names
from tests.test_ppi_cli import tables  # noqa: F401  (a fixture: PPI tables in tmp_path)

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = sorted(p.relative_to(ROOT / "scenarios").as_posix() for p in (ROOT / "scenarios").rglob("*.yaml"))


def test_every_package_under_simulation_is_listed_in_pyproject() -> None:
    """pyproject.toml lists the packages by hand (simulation.shipped lives elsewhere); a new
    subpackage that is not listed would be missing from wheels."""
    conf = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(conf["packages"])
    found = {p for p in find_namespace_packages(str(ROOT), include=["simulation", "simulation.*"])
             if "__pycache__" not in p}
    assert found <= listed
    shipped = set(conf["package-dir"])
    assert listed - found == shipped
    assert {k: v for k, v in conf["package-dir"].items()} == {
        k: "scenarios" + k.removeprefix("simulation.shipped").replace(".", "/") for k in shipped}
    folders = {p.parent for p in (ROOT / "scenarios").rglob("*") if p.suffix in (".yaml", ".csv")}
    assert {"simulation.shipped" + ("." + f.relative_to(ROOT / "scenarios").as_posix().replace("/", ".")
                                    if f != ROOT / "scenarios" else "") for f in folders} <= shipped


def test_the_wheel_contains_the_shipped_scenarios_and_builds_without_warnings(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md", "cli.py"):
        shutil.copy2(ROOT / name, src / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("simulation", "scenarios"):
        shutil.copytree(ROOT / name, src / name, ignore=ignore)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}  # else "byte-compiling is disabled"
    out = subprocess.run([sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "-w", str(tmp_path / "w"),
                          "-v", "--disable-pip-version-check"], capture_output=True, text=True, env=env, timeout=300)
    log = out.stdout + out.stderr
    assert out.returncode == 0, log[-3000:]
    build = [line for line in log.splitlines() if "Location 'file:" not in line]  # this machine's pip config
    warned = [line for line in build if "warn" in line.lower() or "deprecat" in line.lower()]
    assert warned == [], "\n".join(warned)
    [wheel] = (tmp_path / "w").glob("sdgsim-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {f"simulation/shipped/{n}" for n in SHIPPED} <= names
    assert "simulation/shipped/baseline.yaml" in names and "simulation/shipped/sweeps/baseline-sobol.yaml" in names
    assert "simulation/shipped/portfolios/pilots.yaml" in names
    assert "cli.py" in names and "simulation/scenario/library.py" in names
    evidence = {f"simulation/data/evidence/{p.name}" for p in (ROOT / "simulation/data/evidence").iterdir()
                if p.suffix in (".parquet", ".json", ".md")}
    assert len(evidence) >= 9 and evidence <= names  # the evidence base ships as package data
    assert not any(n.startswith(("tests/", "scenarios/")) for n in names)
    meta = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert "License-Expression: MIT" in meta


def test_shipped_scenarios_are_found_by_name() -> None:
    assert SHIPPED_DIR.is_dir() and (SHIPPED_DIR / "baseline.yaml").is_file()
    assert "baseline" in shipped_names() and "partnership-in-action" in shipped_names()
    assert catalog.resolve("baseline") == SHIPPED_DIR / "baseline.yaml"


def test_a_user_file_anywhere_extends_a_shipped_scenario_by_name(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    mine = tmp_path / "elsewhere" / "mine.yaml"
    mine.parent.mkdir()
    mine.write_text("extends: baseline\nname: mine\ndonors:\n  - {id: JPN-ODA, budget_usd: 4.0e9}\n")
    got = load_scenario(mine)
    base = load_scenario(SHIPPED_DIR / "baseline.yaml")
    want = base.model_copy(update={"name": "mine", "donors": [
        d.model_copy(update={"budget_usd": 4.0e9}) if d.id == "JPN-ODA" else d for d in base.donors]})
    assert got == want
    assert got.content_hash() == want.content_hash()
    assert [p.name for p in catalog.extends_chain(mine)] == ["mine.yaml", "baseline.yaml"]
    res = CliRunner().invoke(main, ["validate", str(mine)])
    assert res.exit_code == 0, res.output
    # `extends: baseline.yaml` names the shipped file too, when there is none next to it
    (tmp_path / "elsewhere" / "two.yaml").write_text("extends: baseline.yaml\nname: mine\n")
    assert load_scenario(tmp_path / "elsewhere" / "two.yaml").countries == base.countries


def test_a_file_next_to_the_user_file_wins_over_the_shipped_one(tmp_path: Path) -> None:
    (tmp_path / "baseline.yaml").write_text(f"extends: {SHIPPED_DIR / 'baseline.yaml'}\nname: local-base\n")
    (tmp_path / "child.yaml").write_text("extends: baseline\nname: child\n")
    (tmp_path / "child2.yaml").write_text("extends: baseline.yaml\nname: child2\n")
    assert [p.name for p in catalog.extends_chain(tmp_path / "child.yaml")] == ["child.yaml", "baseline.yaml",
                                                                               "baseline.yaml"]
    for name in ("child.yaml", "child2.yaml"):
        chain = catalog.extends_chain(tmp_path / name)
        assert chain[1].resolve() == (tmp_path / "baseline.yaml").resolve()
    assert load_scenario(tmp_path / "child.yaml").name == "child"


def test_an_unknown_name_is_a_located_error_that_mentions_shipped_names(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("name: s\nextends: no-such-scenario\n")
    with pytest.raises(InputError) as err:
        load_scenario(path)
    [p] = err.value.problems
    assert (p.file, p.line, p.field) == (str(path), 2, "extends")
    assert "not found" in p.message and "shipped scenario" in p.message and "baseline" in p.message
    for bad in ("sub/baseline", "../baseline"):  # a path, not a bare name: never the shipped file
        path.write_text(f"name: s\nextends: {bad}\n")
        with pytest.raises(InputError, match="not found"):
            load_scenario(path)


@contextmanager
def umask(mask: int):
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def modes(folder: Path) -> dict[str, int]:
    """Permission bits of `folder` and everything in it, by relative path."""
    out = {".": stat.S_IMODE(folder.stat().st_mode)}
    for p in folder.rglob("*"):
        out[p.relative_to(folder).as_posix()] = stat.S_IMODE(p.stat().st_mode)
    return out


@pytest.mark.parametrize("mask,folder_mode,file_mode", [(0o022, 0o755, 0o644), (0o027, 0o750, 0o640)],
                         ids=["umask022", "umask027"])
def test_run_results_follow_the_umask(tmp_path: Path, mask: int, folder_mode: int, file_mode: int) -> None:
    out = tmp_path / "results" / "base"
    with umask(mask):
        res = CliRunner().invoke(main, ["run", "baseline", "--runs", "3", "--seed", "1", "--out", str(out)])
        assert res.exit_code == 0, res.output
        rebuilt = CliRunner().invoke(main, ["report", str(out)])  # report.html rewritten in place
        assert rebuilt.exit_code == 0, rebuilt.output
    got = modes(out)
    assert {"report.html", "manifest.json", "summary.csv", "scores.parquet", "plots", "plots/fan_chart.png",
            "plots/fan_chart.svg"} <= set(got)
    want = {name: folder_mode if (out / name).is_dir() else file_mode for name in got}
    assert got == want
    assert stat.S_IMODE((tmp_path / "results").stat().st_mode) == folder_mode
    assert not [p for p in (tmp_path / "results").iterdir() if p.name.startswith(".")]  # no temporary left


def test_ppi_results_follow_the_umask(tables, tmp_path: Path) -> None:  # noqa: F811
    out = tmp_path / "ppi"
    with umask(0o022):
        res = CliRunner().invoke(main, ["ppi", "run", "-i", str(tables["indicators"]), "--periods", "6", "-n", "5",
                                        "-o", str(out)])
        assert res.exit_code == 0, res.output
    got = modes(out)
    assert {"manifest.json", "summary.csv", "final.png"} <= set(got)
    assert got == {name: 0o755 if (out / name).is_dir() else 0o644 for name in got}


def _requirement_name(req: str) -> str:
    return re.split(r"[\[<>=!~; ]", req, maxsplit=1)[0].lower()


def test_the_base_install_leaves_out_what_only_one_feature_needs() -> None:
    """numba (about 210 MB with llvmlite, PPI only), panel/bokeh (about 150 MB, the app only), dask,
    scikit-learn and pymoo come with an extra; SALib stays in the base (sweep designs, analyze)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    base = {_requirement_name(r) for r in project["dependencies"]}
    assert not base & {"numba", "llvmlite", "panel", "bokeh", "dask", "distributed", "scikit-learn", "pymoo"}
    assert {"mesa", "numpy", "pandas", "salib", "matplotlib", "pyarrow"} <= base
    extras = project["optional-dependencies"]
    named = {name: {_requirement_name(r) for r in reqs} for name, reqs in extras.items()}
    assert named["ppi"] == {"numba"} and named["app"] == {"panel"} and named["dask"] == {"dask"}
    assert named["search"] == {"scikit-learn", "pymoo"}
    assert "dask[distributed]" in extras["dask"][0]
    assert set(EXTRAS) == set(extras) - {"all", "dev"}  # simulation/extras.py checks for each of them
    assert extras["all"] == [f"sdgsim[{','.join(['ppi', 'app', 'dask', 'search'])}]"]
    assert "policy-priority-inference" in named["dev"] and not any("policy-priority" in r for r in base)


def test_make_demo_and_make_test_install_every_extra() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert '-m pip install --quiet -e ".[all,dev]"' in makefile
