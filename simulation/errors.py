"""Typed errors of the library. None of them mentions a command-line flag.

Every error about user input carries its located problems (`Problem`: file, line,
dotted field path, message) so that any front end (the CLI, the app, a notebook) can
print them as `FILE:LINE: field.path: message`. The CLI turns `InputError` into those
lines and exit code 2.

    InputError              bad input of any kind (base class)
    ├── ScenarioError       a scenario file, or an override of one
    ├── SweepFileError      a sweep file
    ├── ResultsError        a results folder that is damaged, busy or of the wrong kind
    │   └── FolderExists    the output folder exists and replacing it was not asked for
    ├── OptionError         an argument given to an API function (an outcome name, ...)
    └── MissingExtra        an optional part of sdgsim that is not installed (simulation/extras.py)
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

_PLAIN_NAME = re.compile(r'^[^\s"\[\]]+$')


def field_name(key: Any) -> str:
    """One path component as printed: plain names as they are, odd ones JSON-quoted.

    Whitespace and control characters are escaped so that a field path is always one
    token (`FILE:LINE: field.path: message` stays machine-readable).
    """
    key = str(key)
    if _PLAIN_NAME.match(key) and key.isprintable():
        return key
    text = json.dumps(key, ensure_ascii=False)
    return "".join(f"\\u{ord(ch):04x}" if ch.isspace() or not ch.isprintable() else ch for ch in text)


def join_path(base: str, key: Any) -> str:
    """`base.key` with `key` made printable; the empty base is the document root."""
    name = field_name(key)
    return f"{base}.{name}" if base else name


def one_line(text: str) -> str:
    """Whitespace runs (incl. line breaks) become one space; other control characters are escaped."""
    text = " ".join(str(text).split())
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


@dataclass(frozen=True)
class Problem:
    """One located problem in an input: `FILE:LINE: field.path: message`."""

    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        field = self.field if self.field and not any(ch.isspace() for ch in self.field) else field_name(self.field or "(root)")
        return f"{self.file}:{max(int(self.line), 1)}: {field}: {one_line(self.message) or 'invalid'}"


class InputError(Exception):
    """Bad user input: one or more located problems."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class ScenarioError(InputError):
    """A scenario file (or an override of one) is invalid."""


class SweepFileError(InputError):
    """A sweep file is invalid."""


class ResultsError(InputError):
    """A results folder is damaged, busy, or not of the expected kind."""


class FolderExists(ResultsError):
    """The output folder exists and replacing it was not asked for (`force=False`)."""

    def __init__(self, path: object):
        super().__init__([Problem(str(path), 1, "<output>",
                                  "results folder already exists (replace it with force, or choose another folder)")])


class OptionError(InputError):
    """An argument of an API call is not allowed (an unknown outcome, a bad reference, ...)."""


class TooLarge(OptionError):
    """A run's estimated memory exceeds what is available.

    A run's estimated memory (bytes `needed`) exceeds what is `available`; the API's
    `force_size=True` runs it anyway.
    """

    def __init__(self, problems: list[Problem], needed: int, available: int):
        super().__init__(problems)
        self.needed, self.available = needed, available


class MissingExtra(InputError):
    """A feature needs an optional part of sdgsim that is not installed.

    Its extra (`pip install 'sdgsim[EXTRA]'`) adds it. `extra` names it, `feature` says what needs it,
    `modules` are the top-level modules that could not be found.
    """

    def __init__(self, extra: str, feature: str, modules: list[str]):
        self.extra, self.feature, self.modules = extra, feature, list(modules)
        super().__init__([Problem("<install>", 1, f"extras.{extra}",
                                  f"{feature} needs the '{extra}' extra (missing: {', '.join(self.modules)}): "
                                  f"pip install 'sdgsim[{extra}]'")])

    def __reduce__(self):  # a worker process raises it too: it must unpickle whole
        return (type(self), (self.extra, self.feature, self.modules))


class HistoryError(InputError):
    """A history file is unreadable or has bad rows."""


class ParametersError(InputError):
    """A parameters file (fit.csv, `--parameters`) is unreadable or does not fit the scenario."""


class SweepInterrupted(Exception):
    """Ctrl-C: the finished chunks are saved; `--resume` completes the sweep."""

    def __init__(self, done: int, total: int, out: object):
        self.done, self.total, self.out = done, total, out
        super().__init__(f"interrupted after {done} of {total} runs")


class SweepIncomplete(Exception):
    """Some chunks of a sweep could not run at all.

    Some chunks could not run at all (their task died, not a run in them): the others are
    saved, and `--resume` retries exactly the missing chunks.
    """

    def __init__(self, lost: list[tuple[int, str]], done: int, total: int, out: object):
        self.lost, self.done, self.total, self.out = lost, done, total, out
        super().__init__(f"{len(lost)} chunks could not run (first: chunk {lost[0][0]}: {lost[0][1]})")


class SearchInterrupted(Exception):
    """Ctrl-C during a search: the finished generations are saved; resume continues."""

    def __init__(self, generations: int):
        super().__init__(f"interrupted after {generations} generations")
        self.generations = generations


def for_file(problems: list[Problem], path: object) -> list[Problem]:
    """Name the scenario file in problems that come from overrides.

    Name the scenario file in problems that come from overrides (which apply to every
    file given), so a run over several files says which one an override broke.
    """
    return [Problem(f"{p.file} (for {path})", p.line, p.field, p.message) if p.file.startswith("--set") else p
            for p in problems]
