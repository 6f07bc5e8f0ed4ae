"""The scenario library: list shipped scenarios, find one by name, show one fully resolved.

`entries(directory)` reads every `*.yaml` scenario in a folder (default: the shipped
scenarios, installed as package data; see library.py) and orders them as their `extends:` tree, parents
before children. `listing()` renders that tree with one-line descriptions
(`sdgsim scenarios`). `show(name_or_path, sets)` loads a scenario after `extends:` and
`--set`, and renders it as YAML that `sdgsim validate` accepts and that has the same
content hash (`sdgsim show`). `unmatched_sources(scenario)` lists provenance keys of
`sources:` that name no field (the `*` wildcard stands for any one list item or key).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError, Problem
from .library import SHIPPED_DIR, parent_file, shipped_names
from .loading import load_scenario
from .schema import Scenario
from .yamlio import dump_yaml, load_located

DESCRIPTION_WIDTH = 72


@dataclass(frozen=True)
class Entry:
    """One scenario file of a library folder."""

    path: Path
    name: str  # the scenario's `name`, or the file stem if the file does not load
    parent: Path | None  # resolved `extends:` target, None for a root scenario
    depth: int  # levels of `extends:` above it within the folder
    summary: str  # first sentence of the description, or the first problem if invalid
    years: str  # "2020-2030", or "" if invalid
    valid: bool


def one_line(text: str, width: int = DESCRIPTION_WIDTH) -> str:
    """The first sentence of `text` on one line, cut to `width` characters."""
    flat = " ".join(text.split())
    end = flat.find(". ")
    first = flat if end < 0 else flat[: end + 1]
    return first if len(first) <= width else first[: width - 3].rstrip() + "..."


def _parent(path: Path) -> Path | None:
    """The resolved file named by `extends:` in `path`, without validating anything."""
    try:
        data = load_located(path)
    except InputError:
        return None
    parent = data.get("extends") if isinstance(data, dict) else None
    if not isinstance(parent, str) or not parent:
        return None
    try:
        return parent_file(path, parent).resolve()
    except (OSError, ValueError, RuntimeError):  # a name the file system rejects: the loader reports it
        return None


def _resolved(path: Path) -> Path:
    """`path` with symlinks resolved; a symlink loop stays as it is (loading it is a located error)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # RuntimeError: "Symlink loop" (Python < 3.13)
        return path.absolute()


def entries(directory: str | Path | None = None) -> list[Entry]:
    """Every scenario file in `directory`, parents before children (the `extends:` tree)."""
    folder = Path(directory) if directory is not None else SHIPPED_DIR
    if not folder.is_dir():
        raise InputError([Problem(str(folder), 1, "<directory>", "not a folder of scenario files (*.yaml)")])
    files = sorted(_resolved(p) for p in folder.glob("*.yaml") if not p.name.startswith("."))
    parents = {p: _parent(p) for p in files}
    children: dict[Path | None, list[Path]] = {}
    for p in files:
        key = parents[p] if parents[p] in parents else None  # parent outside the folder: a root here
        children.setdefault(key, []).append(p)
    out: list[Entry] = []
    done: set[Path] = set()

    def visit(p: Path, depth: int) -> None:
        if p in done:  # an extends cycle: list each file once
            return
        done.add(p)
        try:
            s = load_scenario(p)
        except InputError as err:
            first = err.problems[0]
            more = f" (+{len(err.problems) - 1} more)" if len(err.problems) > 1 else ""
            out.append(Entry(p, p.stem, parents[p], depth, f"INVALID {Path(first.file).name}:{first.line}: {first.field}: "
                             f"{first.message}{more}", "", False))
        else:
            out.append(Entry(p, s.name, parents[p], depth, one_line(s.description or "(no description)"),
                             f"{s.start_year}-{s.end_year}", True))
        for child in sorted(children.get(p, []), key=lambda c: c.name):
            visit(child, depth + 1)

    for root in [*sorted(children.get(None, []), key=lambda c: c.name), *files]:  # then cycles, unreachable
        visit(root, 0)
    return out


def listing(directory: str | Path | None = None) -> str:
    """The library as a table: name (indented under its parent), years, description."""
    rows = entries(directory)
    folder = Path(directory) if directory is not None else SHIPPED_DIR
    if not rows:
        return f"No scenario files (*.yaml) in {folder}"
    names = ["  " * e.depth + e.name for e in rows]
    w = max(len(n) for n in names)
    lines = [f"Scenarios in {folder} (children are indented under the scenario they extend):", ""]
    lines += [f"{n:<{w}}  {e.years:<9}  {e.summary}" for n, e in zip(names, rows)]
    bad = sum(not e.valid for e in rows)
    lines += ["", f"{len(rows)} scenarios" + (f", {bad} invalid (run: sdgsim validate FILE)" if bad else "")
              + ".  Show one resolved: sdgsim show NAME [--set PATH=VALUE]"]
    return "\n".join(lines)


def resolve(name_or_path: str, directory: str | Path | None = None, kind: str = "scenario") -> Path:
    """A scenario file: `name_or_path` itself if it is a file, else a library scenario by name
    (from `directory`, default the shipped scenarios; `kind` names what is looked for in errors)."""
    path = Path(name_or_path)
    if path.is_file():
        return path
    folder = Path(directory) if directory is not None else SHIPPED_DIR
    stem = path.name[:-5] if path.name.endswith(".yaml") else path.name
    candidate = folder / f"{stem}.yaml"
    if path.parent == Path(".") and candidate.is_file():
        return candidate
    if path.suffix in (".yaml", ".yml") or path.parent != Path("."):
        return path  # a file name: the loader says what is wrong with it (not found, a folder, ...)
    if directory is None:
        known = shipped_names()
    else:
        known = sorted(p.stem for p in folder.glob("*.yaml") if not p.name.startswith(".")) if folder.is_dir() else []
    raise InputError([Problem(name_or_path, 1, f"<{kind}>", f"no such file and no shipped {kind} of that name "
                              f"(shipped: {', '.join(known) or 'none'})")])


def extends_chain(path: Path) -> list[Path]:
    """`path` and the files it extends, child first (stops at a cycle or a missing file)."""
    chain = [path]
    parent = _parent(path.resolve())
    while parent is not None and parent.is_file() and parent not in [c.resolve() for c in chain]:
        chain.append(parent)
        parent = _parent(parent)
    return chain


def to_yaml(scenario: Scenario) -> str:
    """The scenario, every field spelled out, as YAML that loads back to the same scenario."""
    data: dict[str, Any] = scenario.model_dump(mode="json")
    return dump_yaml(data)


def show(name_or_path: str, sets: list[str] | tuple[str, ...] = (), directory: str | Path | None = None) -> str:
    """The fully resolved scenario (after `extends:` and `--set`) as commented YAML."""
    path = resolve(name_or_path, directory)
    scenario = load_scenario(path, sets)
    chain = " <- ".join(p.name for p in extends_chain(path))
    head = [f"# {scenario.name}: resolved from {chain}"]
    head += [f"#   --set {s}" for s in sets]
    head.append(f"# content hash {scenario.content_hash()}")
    return "\n".join(head) + "\n" + to_yaml(scenario)


def _paths(node: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every field path of plain data; list items are named by their `id`, else by index."""
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, str(k)))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            label = v["id"] if isinstance(v, dict) and isinstance(v.get("id"), str) else str(i)
            out += _paths(v, (*prefix, label))
    return out


def unmatched_sources(scenario: Scenario) -> list[str]:
    """Keys of `scenario.sources` that name no field of the scenario (`*` = any one component)."""
    data = scenario.model_dump(mode="json")
    data.pop("sources", None)
    paths = _paths(data)
    return [key for key in scenario.sources if not any(_names(key.split("."), [str(c) for c in p]) for p in paths)]


def _names(parts: list[str], path: list[str]) -> bool:
    """Whether key components `parts` name a prefix of field path `path`: `*` is any one
    component, and an id with dots (an indicator code such as SN.ITK.DEFC.ZS) spans several."""
    if not parts:
        return True
    if not path:
        return False
    if parts[0] == "*":
        return _names(parts[1:], path[1:])
    n = path[0].count(".") + 1
    return ".".join(parts[:n]) == path[0] and _names(parts[n:], path[1:])
