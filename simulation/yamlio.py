"""Safe YAML loading that remembers where every value came from.

`load_located(path)` returns plain Python data built from `LocDict` / `LocList`
containers that carry, for each key or index, the `(file, line)` it was read from.
Scenario validation uses those locations to print `FILE:LINE: field.path: message`.

Safety: only YAML's core tags are constructed (SafeLoader's composer), the file size
and the number of constructed values are bounded (so alias/anchor "billion laughs"
bombs fail fast), duplicate keys and non-string keys are errors, and bytes that are not
UTF-8 are reported with their line instead of a decoding traceback.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

MAX_FILE_BYTES = 5_000_000
MAX_VALUES = 200_000
_NUMBER = re.compile(r"^[-+]?(\d[\d_]*)?(\.\d*)?([eE][-+]?\d+)?$")


@dataclass(frozen=True)
class Problem:
    """One located problem in an input file."""

    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.field}: {self.message}"


class InputError(Exception):
    """Bad user input: one or more located problems (CLI exit code 2)."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class LocDict(dict):
    """A dict that remembers the (file, line) of each key and of itself."""

    def __init__(self, *args: Any, where: tuple[str, int] = ("?", 1), **kw: Any):
        super().__init__(*args, **kw)
        self.where = where
        self.locs: dict[Any, tuple[str, int]] = {}


class LocList(list):
    """A list that remembers the (file, line) of each item and of itself."""

    def __init__(self, *args: Any, where: tuple[str, int] = ("?", 1)):
        super().__init__(*args)
        self.where = where
        self.locs: dict[int, tuple[str, int]] = {}


def _read_text(path: Path, label: str) -> str:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError([Problem(label, 1, "<file>", "file not found")]) from None
    except IsADirectoryError:
        raise InputError([Problem(label, 1, "<file>", "is a directory, expected a YAML file")]) from None
    except OSError as exc:
        raise InputError([Problem(label, 1, "<file>", f"cannot read file ({exc.strerror})")]) from None
    if len(raw) > MAX_FILE_BYTES:
        raise InputError([Problem(label, 1, "<file>", f"file is {len(raw)} bytes (at most {MAX_FILE_BYTES} allowed)")])
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(
            [Problem(label, line, "<encoding>", f"byte 0x{raw[exc.start]:02x} is not valid UTF-8 (save the file as UTF-8)")]
        ) from None


def parse_located(text: str, label: str) -> Any:
    """Parse YAML text into located plain data; raise InputError on any problem."""
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise InputError([Problem(label, line, "<syntax>", "NUL character in file (is this a binary file?)")])
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        what = exc.problem or str(exc)
        if "\t" in what or "'\\t'" in what:
            what += " (tabs are not allowed for indentation in YAML; use spaces)"
        raise InputError([Problem(label, line, "<syntax>", f"invalid YAML: {what}")]) from None
    except yaml.YAMLError as exc:
        raise InputError([Problem(label, 1, "<syntax>", f"invalid YAML: {exc}")]) from None
    except RecursionError:
        raise InputError([Problem(label, 1, "<syntax>", "YAML nesting too deep")]) from None
    if node is None:
        return None
    builder = _Builder(label)
    return builder.build(node)


def load_located(path: str | Path, label: str | None = None) -> Any:
    """Read and parse a YAML file into located data."""
    path = Path(path)
    label = label or str(path)
    return parse_located(_read_text(path, label), label)


class _Builder:
    def __init__(self, label: str):
        self.label = label
        self.count = 0
        self.active: set[int] = set()
        self.scalar = yaml.constructor.SafeConstructor()

    def fail(self, node: yaml.Node, field: str, message: str) -> None:
        raise InputError([Problem(self.label, node.start_mark.line + 1, field, message)])

    def build(self, node: yaml.Node, path: str = "(root)", depth: int = 0) -> Any:
        self.count += 1
        if self.count > MAX_VALUES:
            self.fail(node, path, f"document expands to more than {MAX_VALUES} values (YAML alias/anchor bomb?)")
        if depth > 50:
            self.fail(node, path, "nesting deeper than 50 levels")
        where = (self.label, node.start_mark.line + 1)
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node, path)
        if id(node) in self.active:
            self.fail(node, path, "recursive YAML alias")
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                out = LocList(where=where)
                for i, child in enumerate(node.value):
                    out.locs[i] = (self.label, child.start_mark.line + 1)
                    out.append(self.build(child, f"{path}[{i}]", depth + 1))
                return out
            if isinstance(node, yaml.MappingNode):
                out = LocDict(where=where)
                for knode, vnode in node.value:
                    if knode.tag == "tag:yaml.org,2002:merge":
                        self.fail(knode, path, "YAML merge keys ('<<') are not supported; use 'extends:' instead")
                    if not isinstance(knode, yaml.ScalarNode):
                        self.fail(knode, path, "mapping keys must be plain names")
                    key = self._scalar(knode, path)
                    if not isinstance(key, (str, int)) or isinstance(key, bool):
                        self.fail(knode, path, f"mapping key {key!r} must be a name")
                    key = str(key)
                    if key in out:
                        self.fail(knode, f"{path}.{key}", f"duplicate key '{key}' (first at line {out.locs[key][1]})")
                    out.locs[key] = (self.label, knode.start_mark.line + 1)
                    out[key] = self.build(vnode, f"{path}.{key}", depth + 1)
                return out
        finally:
            self.active.discard(id(node))
        self.fail(node, path, f"unsupported YAML node {node.tag}")  # pragma: no cover

    def _scalar(self, node: yaml.ScalarNode, path: str) -> Any:
        if node.tag.startswith("tag:yaml.org,2002:") and node.tag.rsplit(":", 1)[1] in (
            "null", "bool", "int", "float", "str", "timestamp",
        ):
            try:
                value = self.scalar.construct_object(node, deep=True)
            except (yaml.YAMLError, ValueError, OverflowError) as exc:
                self.fail(node, path, f"cannot read value {node.value!r}: {exc}")
        else:
            self.fail(node, path, f"YAML tag {node.tag!r} is not allowed (plain values only)")
        # PyYAML follows YAML 1.1, where '1e9' is a string; users mean a number.
        if isinstance(value, str) and node.style is None and _NUMBER.match(value) and any(ch.isdigit() for ch in value):
            try:
                value = float(value.replace("_", ""))
            except ValueError:
                pass
        if isinstance(value, float) and not math.isfinite(value):
            return value  # kept; the schema rejects non-finite numbers with a located message
        if not isinstance(value, (str, int, float, bool, type(None))):
            value = str(value)  # timestamps etc. become text
        return value


def to_plain(data: Any) -> Any:
    """Strip location containers (deep copy to plain dict/list)."""
    if isinstance(data, dict):
        return {k: to_plain(v) for k, v in data.items()}
    if isinstance(data, list):
        return [to_plain(v) for v in data]
    return data
