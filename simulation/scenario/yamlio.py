"""Safe YAML loading that remembers where every value came from.

`load_located(path)` returns plain Python data built from `LocDict` / `LocList`
containers that carry, for each key or index, the `(file, line)` it was read from.
Scenario validation uses those locations to print `FILE:LINE: field.path: message`.

Parsing: libyaml's event parser (PyYAML's if libyaml is missing) feeds an iterative
composer; only YAML's core tags are constructed. Safety: the file size,
the nesting depth and the number of values the document expands to are bounded (so
alias/anchor "billion laughs" bombs fail in milliseconds, before anything is built),
duplicate keys and non-string keys are errors, and bytes that are not UTF-8 are reported
with their line instead of a decoding traceback.

Scalars follow YAML 1.2 where YAML 1.1 surprises users: `1e9` is a number, `yes`/`no`/
`on`/`off` are text (only `true`/`false` are booleans, so a country id `NO` stays text),
`010` is ten and `1:30` is text.
"""

from __future__ import annotations

import bisect
import math
import os
import re
import stat
from pathlib import Path
from typing import Any

import yaml

from ..errors import InputError, Problem, field_name
from ..errors import one_line as _one_line

MAX_FILE_BYTES = 5_000_000
MAX_VALUES = 200_000
MAX_DEPTH = 50
_NUMBER = re.compile(r"^[-+]?(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:[eE][-+]?\d+)?$", re.ASCII)  # YAML numbers: ASCII digits
_DECIMAL = re.compile(r"^[-+]?[0-9][0-9_]*$")
_CORE = "tag:yaml.org,2002:"
_SCALAR_TAGS = {f"{_CORE}{t}" for t in ("null", "bool", "int", "float", "str", "timestamp")}
_COLLECTION_TAGS = {f"{_CORE}map", f"{_CORE}seq"}
_STR, _INT, _BOOL, _FLOAT, _MERGE = (f"{_CORE}{t}" for t in ("str", "int", "bool", "float", "merge"))


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


def read_regular_file(path: Path, label: str, limit: int, what: str) -> bytes:
    """The bytes of `path`, which must be a regular file of at most `limit` bytes.

    The file is opened without blocking and checked with fstat before reading, so a FIFO,
    a device such as /dev/zero (also behind a symlink) or a directory is refused at once,
    and no more than `limit` bytes are ever read.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise InputError([Problem(label, 1, "<file>", "file not found")]) from None
    except IsADirectoryError:
        raise InputError([Problem(label, 1, "<file>", f"is a directory (allowed: {what})")]) from None
    except OSError as exc:
        raise InputError([Problem(label, 1, "<file>", f"cannot read file ({exc.strerror or exc})")]) from None
    st = os.fstat(fd)
    problem = ("is a directory (allowed: {what})" if stat.S_ISDIR(st.st_mode) else
               "is not a regular file (a device, pipe or socket; allowed: {what})" if not stat.S_ISREG(st.st_mode)
               else "file is {size} bytes (allowed: at most {limit})" if st.st_size > limit else None)
    if problem:  # checked before fdopen, which refuses a directory with its own exception
        os.close(fd)
        raise InputError([Problem(label, 1, "<file>", problem.format(what=what, size=st.st_size, limit=limit))])
    with os.fdopen(fd, "rb") as fh:
        try:
            raw = fh.read(limit + 1)
        except OSError as exc:
            raise InputError([Problem(label, 1, "<file>", f"cannot read file ({exc.strerror or exc})")]) from None
    if len(raw) > limit:  # grew since fstat
        raise InputError([Problem(label, 1, "<file>", f"file is over {limit} bytes (allowed: at most {limit})")])
    return raw


def _read_text(path: Path, label: str) -> str:
    raw = read_regular_file(path, label, MAX_FILE_BYTES, "a YAML file")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(
            [Problem(label, line, "<encoding>", f"byte 0x{raw[exc.start]:02x} is not valid UTF-8 (save the file as UTF-8)")]
        ) from None


_Parser = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's event parser when built in: ~10x faster
_NON_PRINTABLE = yaml.reader.Reader.NON_PRINTABLE


class _Fail(Exception):
    def __init__(self, line: int, message: str, field: str = "<syntax>"):
        self.line, self.message, self.field = line, message, field


class _Lines:
    """Line numbers as editors count them: only '\\n' ends a line.

    YAML parsers also break lines at U+0085, U+2028 and U+2029, so their marks' line
    numbers can run ahead of the file's; marks' character indexes are mapped instead.
    """

    def __init__(self, text: str):
        self.breaks = [m.start() for m in re.finditer("\n", text)]
        self.last = _last_line(text)

    def at(self, mark: Any) -> int:
        """1-based line of a mark; the end of the stream counts as the last line."""
        return min(bisect.bisect_left(self.breaks, mark.index) + 1, self.last)


def _compose(text: str, lines: _Lines) -> yaml.Node | None:
    """Compose the single YAML document in `text` into a node graph, without recursion.

    Like PyYAML's composer (anchors, aliases, tag resolution) but iterative, so nesting
    is refused past MAX_DEPTH with a line number instead of exhausting the stack.
    """
    resolver = yaml.resolver.Resolver()
    loader = _Parser(text)
    anchors: dict[str, yaml.Node] = {}
    stack: list[yaml.Node] = []
    pending: list[yaml.Node | None] = []  # per open mapping: a key waiting for its value
    root: yaml.Node | None = None
    made = 0
    try:
        loader.get_event()  # StreamStart
        if loader.check_event(yaml.StreamEndEvent):
            return None
        loader.get_event()  # DocumentStart
        while root is None or stack:
            event = loader.get_event()
            line = lines.at(event.start_mark)
            if isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                node = stack.pop()
                pending.pop()
                node.end_mark = event.end_mark
                continue
            made += 1
            if made > MAX_VALUES:  # a big flat file: stop before composing all of it
                raise _Fail(line, f"document has more than {MAX_VALUES} values (allowed: at most that many)", "(root)")
            if isinstance(event, yaml.AliasEvent):
                if event.anchor not in anchors:
                    raise _Fail(line, f"alias '*{event.anchor}' has no anchor '&{event.anchor}' before it")
                node = anchors[event.anchor]
            else:
                if event.anchor is not None and event.anchor in anchors:
                    first = lines.at(anchors[event.anchor].start_mark)
                    raise _Fail(line, f"duplicate anchor '&{event.anchor}' (first at line {first}; anchors must be unique)")
                tag = event.tag
                if isinstance(event, yaml.ScalarEvent):
                    if tag is None or tag == "!":
                        tag = resolver.resolve(yaml.ScalarNode, event.value, event.implicit)
                        if tag == _STR and event.implicit[0] and _NUMBER.match(event.value):
                            tag = _FLOAT  # YAML 1.1 reads '1e9' as text; users (and YAML 1.2) mean a number
                    node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, style=event.style or None)
                else:
                    if len(stack) >= MAX_DEPTH:
                        raise _Fail(line, f"nesting deeper than {MAX_DEPTH} levels")
                    kind = yaml.SequenceNode if isinstance(event, yaml.SequenceStartEvent) else yaml.MappingNode
                    if tag is None or tag == "!":
                        tag = resolver.resolve(kind, None, event.implicit)
                    node = kind(tag, [], event.start_mark, None, flow_style=event.flow_style)
                if event.anchor is not None:
                    anchors[event.anchor] = node
            if not stack:
                root = node
            elif isinstance(stack[-1], yaml.SequenceNode):
                stack[-1].value.append(node)
            elif pending[-1] is None:
                pending[-1] = node
            else:
                stack[-1].value.append((pending[-1], node))
                pending[-1] = None
            if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
                stack.append(node)
                pending.append(None)
        loader.get_event()  # DocumentEnd
        if not loader.check_event(yaml.StreamEndEvent):
            line = lines.at(loader.peek_event().start_mark)
            raise _Fail(line, "a second YAML document ('---') (allowed: one document per file)")
        return root
    finally:
        loader.dispose()


def _last_line(text: str) -> int:
    return max(1, text.count("\n") + (0 if text.endswith("\n") else 1))


def _yaml_message(exc: yaml.MarkedYAMLError, text: str, lines: _Lines) -> str:
    problem = _one_line(exc.problem or "")
    context = _one_line(exc.context or "")
    mark, cmark = exc.problem_mark, exc.context_mark
    if mark is not None:
        start = text.rfind("\n", 0, mark.index) + 1
        if "tab" in problem or "\t" in text[start: mark.index + 1]:
            return "tab character where YAML expects spaces (indent with spaces, not tabs)"
    if "nesting depth" in problem:
        return f"nesting deeper than {MAX_DEPTH} levels"
    what = f"invalid YAML: {problem or context}"
    if context and problem:
        what += f" ({context}" + (f" that starts at line {lines.at(cmark)})" if cmark else ")")
    return what


def parse_located(text: str, label: str) -> Any:
    """Parse YAML text into located plain data; raise InputError on any problem."""
    bad = _NON_PRINTABLE.search(text)
    if bad:
        line = text[: bad.start()].count("\n") + 1
        ch = bad.group()
        what = "NUL character (is this a binary file?)" if ch == "\x00" else f"character U+{ord(ch):04X} is not allowed in YAML"
        raise InputError([Problem(label, line, "<syntax>", f"{what} (allowed: printable text; remove control characters)")])
    lines = _Lines(text)
    try:
        node = _compose(text, lines)
    except _Fail as exc:
        raise InputError([Problem(label, min(exc.line, _last_line(text)), exc.field, exc.message)]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = min(lines.at(mark), _last_line(text)) if mark else 1
        raise InputError([Problem(label, line, "<syntax>", _yaml_message(exc, text, lines))]) from None
    except yaml.YAMLError as exc:
        raise InputError([Problem(label, 1, "<syntax>", f"invalid YAML: {_one_line(str(exc))}")]) from None
    if node is None:
        return None
    builder = _Builder(label, lines)
    builder.measure(node, None, None, 0)
    return builder.build(node, None, None)


def load_located(path: str | Path, label: str | None = None) -> Any:
    """Read and parse a YAML file into located data."""
    path = Path(path)
    label = label or str(path)
    return parse_located(_read_text(path, label), label)


def _key_text(node: yaml.Node) -> str:
    return node.value if isinstance(node, yaml.ScalarNode) else "?"


def _item_name(node: yaml.Node, index: int) -> str:
    """A list item is named by its `id` (as `--set` addresses it), else by its index."""
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == "id" and isinstance(v, yaml.ScalarNode) and v.value:
                return v.value
    return str(index)


# A field path while building: None for the root, else (parent path, raw name). It is
# only turned into text (`_render`) when a problem is reported.
_Path = Any


def _render(path: _Path) -> str:
    names: list[str] = []
    while path is not None:
        path, name = path
        names.append(field_name(name))
    return ".".join(reversed(names)) or "(root)"


def _shown(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:37] + "...")


class _Builder:
    """Turns a composed node graph into LocDict / LocList / scalars, with located errors."""

    def __init__(self, label: str, lines: _Lines):
        self.label = label
        self.line = lambda node: lines.at(node.start_mark)
        self.sizes: dict[int, int] = {}
        self.heights: dict[int, int] = {}
        self.active: set[int] = set()
        self.scalar = yaml.constructor.SafeConstructor()

    def fail(self, at: yaml.Node, path: _Path, message: str) -> None:
        raise InputError([Problem(self.label, self.line(at), _render(path), message)])

    def measure(self, node: yaml.Node, path: _Path, at: yaml.Node | None, depth: int) -> int:
        """Number of values the node expands to (aliases counted each time), memoised.

        Runs before anything is built, so an alias bomb costs one pass over its distinct
        nodes. Recursive aliases and nesting built up through aliases are caught here too.
        """
        at = at or node
        if isinstance(node, yaml.ScalarNode):
            return 1
        key = id(node)
        if key not in self.sizes:
            if key in self.active:
                self.fail(at, path, "recursive YAML alias (an anchor used inside itself)")
            if depth > MAX_DEPTH:
                self.fail(at, path, f"nesting deeper than {MAX_DEPTH} levels")
            self.active.add(key)
            total, height = 1, 0
            seq = isinstance(node, yaml.SequenceNode)
            for i, pair in enumerate(node.value):
                child, child_at = (pair, pair) if seq else (pair[1], pair[0])
                if isinstance(child, yaml.ScalarNode):
                    total += 2
                    height = max(height, 1)
                else:
                    name = _item_name(child, i) if seq else _key_text(child_at)
                    total += 1 + self.measure(child, (path, name), child_at, depth + 1)
                    height = max(height, self.heights[id(child)] + 1)
                if total > MAX_VALUES:
                    self.fail(at, path, f"document expands to more than {MAX_VALUES} values "
                                        "(YAML alias/anchor bomb?; allowed: at most that many)")
            self.active.discard(key)
            self.sizes[key], self.heights[key] = total, height
        if depth + self.heights[key] > MAX_DEPTH:
            self.fail(at, path, f"nesting deeper than {MAX_DEPTH} levels (through aliases)")
        return self.sizes[key]

    def build(self, node: yaml.Node, path: _Path, at: yaml.Node | None) -> Any:
        """Build plain located data; `at` is the node errors point at (a value's key)."""
        at = at or node
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node, path, at)
        if node.tag not in _COLLECTION_TAGS:
            self.fail(at, path, f"YAML tag {node.tag!r} is not allowed (allowed: plain mappings and lists)")
        label = self.label
        where = (label, self.line(node))
        if isinstance(node, yaml.SequenceNode):
            out = LocList(where=where)
            for i, child in enumerate(node.value):
                out.locs[i] = (label, self.line(child))
                out.append(self.build(child, (path, _item_name(child, i)), child))
            return out
        out = LocDict(where=where)
        for knode, vnode in node.value:
            if knode.tag == _MERGE:
                self.fail(knode, path, "YAML merge keys ('<<') are not supported (use 'extends:' instead)")
            if not isinstance(knode, yaml.ScalarNode):
                self.fail(knode, path, "a mapping key must be a plain name (allowed: text such as 'budget_usd')")
            key = self._scalar(knode, path, knode)
            if not isinstance(key, (str, int)) or isinstance(key, bool):
                self.fail(knode, path, f"mapping key {key!r} is not a name (allowed: text such as 'budget_usd')")
            key = str(key)
            here = (path, key)
            if key in out:
                self.fail(knode, here, f"duplicate key '{key}' (first at line {out.locs[key][1]}; each key once)")
            out.locs[key] = (label, self.line(knode))
            out[key] = self.build(vnode, here, knode)
        return out

    def _scalar(self, node: yaml.ScalarNode, path: _Path, at: yaml.Node) -> Any:
        tag, text = node.tag, node.value
        if tag == _STR:
            return text
        if tag not in _SCALAR_TAGS:
            self.fail(at, path, f"YAML tag {tag!r} is not allowed (allowed: plain values)")
        plain = node.style is None
        if plain and tag == _BOOL and text.lower() not in ("true", "false"):
            return text  # YAML 1.2: yes/no/on/off are text
        if plain and tag == _INT and ":" in text:
            return text  # YAML 1.2: no sexagesimal numbers
        try:
            if plain and tag == _INT and _DECIMAL.match(text):
                value: Any = int(text.replace("_", ""))  # YAML 1.2: 010 is ten, not octal eight
            else:
                value = self.scalar.construct_object(node, deep=True)
        except ValueError as exc:
            if "digits" in str(exc):
                self.fail(at, path, f"number with {len(text)} digits is too large (allowed: a finite number)")
            self.fail(at, path, f"cannot read value {_shown(text)} (allowed: a number, text, true/false)")
        except (yaml.YAMLError, OverflowError, TypeError):
            self.fail(at, path, f"cannot read value {_shown(text)} (allowed: a number, text, true/false)")
        if isinstance(value, float) and math.isinf(value) and plain and not text.lower().lstrip("+-").startswith(".inf"):
            self.fail(at, path, f"number {text[:40]} is too large (allowed: a finite number, at most about 1.8e308)")
        if not isinstance(value, (str, int, float, bool, type(None))):
            value = str(value)  # timestamps etc. become text
        return value


class _Dumper(yaml.SafeDumper):
    """Writes text that this module reads back as numbers ('1e9', '-.5') in quotes."""


_Dumper.add_implicit_resolver(_FLOAT, _NUMBER, list("-+0123456789."))


def dump_yaml(data: Any) -> str:
    """Plain data as block YAML that parse_located reads back to the same values."""
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100, default_flow_style=None)


def to_plain(data: Any) -> Any:
    """Strip location containers (deep copy to plain dict/list)."""
    if isinstance(data, dict):
        return {k: to_plain(v) for k, v in data.items()}
    if isinstance(data, list):
        return [to_plain(v) for v in data]
    return data
