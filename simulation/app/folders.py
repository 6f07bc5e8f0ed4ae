"""The app's two folders and the one rule for every path a page names: it stays inside them.

A page never passes a path to the file system as typed: a name is checked against a short
pattern (letters, digits, `.`, `_`, `-`; no leading dot) and the joined path is resolved
(symlinks followed) and must lie inside its folder. Anything else is an `InputError` with a
located problem, which the pages show as a message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError, Problem

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,79}")


def check_name(name: str, field: str = "name") -> str:
    """`name` stripped, if it is a plain file or folder name (no separators, no leading dot)."""
    name = (name or "").strip()
    if not NAME.fullmatch(name) or ".." in name:
        raise InputError([Problem("<app>", 1, field, f"'{name}' is not a plain name (allowed: letters, digits, "
                                                     "'.', '_' and '-', starting with a letter or digit, at most 80)")])
    return name


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

    def result_folders(self, kind: str | None = None) -> list[str]:
        """Folders under the results folder with a manifest.json (one or two levels deep), by name;
        `kind` keeps only those whose manifest says so ("compare", "sweep", ...)."""
        import json

        out = []
        for man in sorted([*self.results.glob("*/manifest.json"), *self.results.glob("*/*/manifest.json")]):
            rel = man.parent.relative_to(self.results)
            if any(part.startswith(".") for part in rel.parts):
                continue
            if kind is not None:
                try:
                    if json.loads(man.read_text()).get("kind") != kind:
                        continue
                except (OSError, ValueError):
                    continue
            out.append(rel.as_posix())
        return out
