"""Where the shipped scenarios are, and which file an `extends:` value names.

The shipped scenarios live in the repository's top-level `scenarios/` folder; pyproject.toml
installs that folder as the package `simulation.shipped` (and `scenarios/sweeps/` as
`simulation.shipped.sweeps`), so an installed sdgsim finds them with importlib.resources from
any working folder. A source checkout that is not installed uses the folder itself.
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path

REPO_SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def _shipped_dir() -> Path:
    """The folder of the shipped scenarios (installed package data, else the checkout's)."""
    try:
        return Path(str(importlib.resources.files("simulation.shipped"))).resolve()
    except ModuleNotFoundError:  # running from a source checkout that is not installed
        return REPO_SCENARIOS


SHIPPED_DIR = _shipped_dir()


def shipped_names() -> list[str]:
    """The names (file stems) of the shipped scenarios."""
    if not SHIPPED_DIR.is_dir():
        return []
    return sorted(p.stem for p in SHIPPED_DIR.glob("*.yaml") if not p.name.startswith("."))


def shipped_scenario(name: str) -> Path | None:
    """The shipped scenario file called `name` (`baseline` or `baseline.yaml`), or None if `name`
    is not a bare name or no shipped scenario has it."""
    if not name or "/" in name or "\\" in name or name.startswith("."):
        return None
    stem = name[:-5] if name.endswith(".yaml") else name
    candidate = SHIPPED_DIR / f"{stem}.yaml"
    return candidate if candidate.is_file() else None


def parent_file(child: Path, name: str) -> Path:
    """The file that `extends: name` in `child` refers to.

    `name` (or `name.yaml`) relative to the child's folder if it exists; otherwise the shipped
    scenario of that name if `name` is a bare name; otherwise `name` relative to the child's
    folder, which does not exist (the caller reports it). May raise OSError or ValueError for
    names the file system rejects (NUL, too long).
    """
    here = child.parent / name
    if here.exists():
        return here
    if not name.endswith((".yaml", ".yml")):
        with_suffix = child.parent / f"{name}.yaml"
        if with_suffix.exists():
            return with_suffix
    return shipped_scenario(name) or here
