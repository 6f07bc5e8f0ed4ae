"""The app's two folders and the one rule for every path a page names: it stays inside them.

A page never passes a path to the file system as typed: a name is checked against a short
pattern (letters, digits, `.`, `_`, `-`; no leading dot) and the joined path is resolved
(symlinks followed) and must lie inside its folder. Anything else is an `InputError` with a
located problem, which the pages show as a message.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError, Problem
from ..scenario.catalog import SHIPPED_DIR, extends_chain

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,79}")


def check_name(name: str, field: str = "name") -> str:
    """`name` stripped, if it is a plain file or folder name (no separators, no leading dot)."""
    name = (name or "").strip()
    if not NAME.fullmatch(name) or ".." in name:
        raise InputError([Problem("<app>", 1, field, f"'{name}' is not a plain name (allowed: letters, digits, "
                                                     "'.', '_' and '-', starting with a letter or digit, at most 80)")])
    return name


def _within(root: Path, target: Path) -> bool:
    return target == root or root in target.parents


def inside(root: Path, path: str | Path, field: str = "path") -> Path:
    """`path` (relative to `root`, or absolute) resolved, if it lies inside `root`."""
    root = root.resolve()
    p = Path(path)
    target = (p if p.is_absolute() else root / p).resolve()
    if target != root and root not in target.parents:
        raise InputError([Problem("<app>", 1, field, f"'{path}' is outside the app's folder {root}")])
    return target


@dataclass(frozen=True)
class Folders:
    """Where the app reads and writes: user scenarios and results (both created if missing)."""

    scenarios: Path
    results: Path

    @classmethod
    def make(cls, scenarios: str | Path, results: str | Path) -> Folders:
        s, r = Path(scenarios).resolve(), Path(results).resolve()
        for p in (s, r):
            p.mkdir(parents=True, exist_ok=True)
        return cls(s, r)

    def scenario_file(self, name: str) -> Path:
        """A new scenario file `NAME.yaml` in the scenarios folder (the name checked)."""
        stem = check_name(name[:-5] if name.endswith(".yaml") else name, "file name")
        return inside(self.scenarios, f"{stem}.yaml", "file name")

    def result_folder(self, name: str) -> Path:
        """A results folder `NAME` in the results folder (the name checked)."""
        return inside(self.results, check_name(name, "results folder"), "results folder")

    def existing_result(self, name: str) -> Path:
        """An existing folder under the results folder (a name or a relative path of names)."""
        parts = [check_name(part, "results folder") for part in Path(name).parts]
        path = inside(self.results, Path(*parts) if parts else ".", "results folder")
        if not path.is_dir():
            raise InputError([Problem("<app>", 1, "results folder", f"'{name}' is not a folder under {self.results}")])
        return path

    def allows_scenario(self, path: str | Path) -> bool:
        """True if scenario file `path` and every file it extends lie (symlinks resolved) in
        the app's scenarios folder or among the shipped scenarios: a symlink in the folder that
        leads elsewhere, or an `extends:` out of both, is neither listed nor opened."""
        roots = (self.scenarios, SHIPPED_DIR.resolve())
        return all(any(_within(root, p.resolve()) for root in roots) for p in extends_chain(Path(path)))

    def confined_results(self, folder: Path) -> Path:
        """`folder` (a results folder of the app) after checking that every folder its
        manifest names (a comparison's scenario runs) is a plain name inside it."""
        folder = inside(self.results, folder, "results folder")
        try:
            man = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return folder  # read_results reports a missing or damaged manifest, located
        scenarios = man.get("scenarios", []) if isinstance(man, dict) else []
        for s in scenarios if isinstance(scenarios, list) else []:
            name = s.get("name") if isinstance(s, dict) else s
            if not isinstance(name, str) or not NAME.fullmatch(name) or ".." in name:
                raise InputError([Problem(str(folder / "manifest.json"), 1, "scenarios",
                                          f"names the folder {name!r}, which is not a plain name inside this "
                                          "comparison; the app opens nothing outside its results folder")])
            inside(folder, name, "results folder")
        return folder

    def result_folders(self, kind: str | None = None) -> list[str]:
        """Folders under the results folder with a manifest.json (one or two levels deep), by name;
        `kind` keeps only those whose manifest says so ("compare", "sweep", ...)."""
        out = []
        for man in sorted([*self.results.glob("*/manifest.json"), *self.results.glob("*/*/manifest.json")]):
            rel = man.parent.relative_to(self.results)
            if any(part.startswith(".") for part in rel.parts) or not _within(self.results, man.resolve()):
                continue
            if kind is not None:
                try:
                    if json.loads(man.read_text()).get("kind") != kind:
                        continue
                except (OSError, ValueError):
                    continue
            out.append(rel.as_posix())
        return out
