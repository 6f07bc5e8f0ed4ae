"""Every public API function's arguments, checked in one place before it runs.

`@checked` reads the function's signature and type annotations: each argument must be of its
annotated type (`int` a whole number and never a bool, `float` a finite real number, `str | Path`
a path, `Sequence[X]` / `list[X]` / `dict[K, V]` / `tuple[X, Y]` item by item, a class an
instance of it) and, for the counts and fractions named in `RULES`, within its range (`runs`,
`workers`, `batch_size` at least 1, `seed` at least 0, `alpha` a fraction ...). Arguments that
only mean something together (`resume` needs `out`) are declared with `needs`. Anything else
is an `OptionError` naming the argument (`runs:1: runs: got 2.5 (allowed: a whole number, 1 or
more)`), never a bare TypeError or ValueError from deep inside the work.

What only the data can tell (an outcome the sweep does not have, a year outside the scenario)
stays with the function that reads the data.
"""

from __future__ import annotations

import collections.abc as cabc
import functools
import inspect
import math
import numbers
import os
import types
import typing
from dataclasses import dataclass
from typing import Any, Callable, TypeVar

import numpy as np

from ..errors import OptionError, Problem

__all__: list[str] = []  # the API's machinery: it exports no public name of its own

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Whole:
    """A whole number in [low, high] (high None: no upper bound)."""

    low: int
    high: int | None = None

    def problem(self, value: Any) -> str | None:
        """Why `value` is not allowed (None if it is)."""
        if _is_int(value) and value >= self.low and (self.high is None or value <= self.high):
            return None
        allowed = f"{self.low} or more" if self.high is None else f"{self.low} to {self.high:,}"
        return f"got {_shown(value)} (allowed: a whole number, {allowed})"


@dataclass(frozen=True)
class Fraction:
    """A real number strictly between 0 and 1 (or up to 1 inclusive with `closed`)."""

    closed: bool = False

    def problem(self, value: Any) -> str | None:
        """Why `value` is not allowed (None if it is)."""
        if _is_real(value) and 0 < value < 1 or (self.closed and _is_real(value) and value == 1):
            return None
        return f"got {_shown(value)} (allowed: a number between 0 and 1{', 1 included' if self.closed else ''})"


@dataclass(frozen=True)
class AtLeast:
    """A finite real number of at least `low`."""

    low: float

    def problem(self, value: Any) -> str | None:
        """Why `value` is not allowed (None if it is)."""
        if _is_real(value) and value >= self.low:
            return None
        return f"got {_shown(value)} (allowed: a finite number, {self.low:g} or more)"


RULES: dict[str, Whole | Fraction | AtLeast] = {
    "runs": Whole(1), "check_runs": Whole(1), "workers": Whole(1), "batch_size": Whole(1),
    "evaluations": Whole(1, 10_000_000), "window": Whole(1), "points": Whole(2), "resamples": Whole(1),
    "periods": Whole(1), "seed": Whole(0), "fit_until": Whole(0), "to": Whole(0), "start_year": Whole(0),
    "alpha": Fraction(), "worst": Fraction(), "level": Fraction(), "min_coverage": Fraction(closed=True),
    "budget": AtLeast(0.0), "threshold": AtLeast(0.0), "wtp": AtLeast(0.0),
}
"""Ranges of the arguments that have one, by name (the same name means the same thing in every
function). A rule applies to each number of a tuple (`wtp=(low, high)`), never to None."""


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def _is_real(value: Any) -> bool:
    return (isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))
            and math.isfinite(value))


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def conforms(value: Any, tp: Any) -> bool:
    """Whether `value` is of the annotated type `tp` (the types the public API uses)."""
    if tp is Any or tp is inspect.Parameter.empty:
        return True
    if tp is None or tp is type(None):
        return value is None
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        return any(conforms(value, a) for a in args)
    if tp is int:
        return _is_int(value)
    if tp is float:
        return _is_real(value)
    if tp is bool:
        return isinstance(value, (bool, np.bool_))
    if tp is str:
        return isinstance(value, str)
    if tp is os.PathLike or (isinstance(tp, type) and issubclass(tp, os.PathLike)):
        return isinstance(value, os.PathLike)
    if origin is cabc.Callable or tp is cabc.Callable:
        return callable(value)
    if origin in (list, cabc.Sequence):
        return (isinstance(value, list if origin is list else cabc.Sequence) and not isinstance(value, (str, bytes))
                and all(conforms(v, args[0]) for v in value) if args else True)
    if origin is tuple:
        return (isinstance(value, tuple) and len(value) == len(args)
                and all(conforms(v, a) for v, a in zip(value, args)))
    if origin in (dict, cabc.Mapping):
        return isinstance(value, cabc.Mapping) and all(
            conforms(k, args[0]) and conforms(v, args[1]) for k, v in value.items())
    if isinstance(tp, type):
        return isinstance(value, tp)
    return True  # an annotation this checker does not know: the function's own checks apply


def _described(tp: Any) -> str:
    """Say an annotation in words for a message: `int | None` -> `a whole number or None`."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_described(a) for a in args)
    if tp is type(None):
        return "None"
    if tp is int:
        return "a whole number"
    if tp is float:
        return "a finite number"
    if origin is not None:
        return str(tp).replace("typing.", "").replace("collections.abc.", "").replace("pathlib.", "")
    return getattr(tp, "__name__", str(tp))


def problems_of(name: str, value: Any, tp: Any) -> list[Problem]:
    """Return the problems of one argument: its type, then its range (RULES)."""
    rule = RULES.get(name)
    if not conforms(value, tp):  # the rule says it best where there is one (a whole number, 1 or more)
        why = rule.problem(value) if rule is not None and not isinstance(value, (tuple, type(None))) else None
        return [Problem(name, 1, name, why or f"got {_shown(value)} (allowed: {_described(tp)})")]
    if rule is None or value is None:
        return []
    numbers_ = value if isinstance(value, tuple) else (value,)
    why = next((w for w in map(rule.problem, numbers_) if w), None)
    return [Problem(name, 1, name, why)] if why else []


def _annotation(fn: Callable[..., Any], annotation: Any) -> Any:
    """Return a parameter's annotation as a type (a string one evaluated in the function's module)."""
    return eval(annotation, fn.__globals__) if isinstance(annotation, str) else annotation  # noqa: S307


def checked(fn: F | None = None, *, needs: dict[str, str] | None = None) -> F:
    """Check a public function's arguments (annotations, RULES, `needs`) before it runs.

    Parameters
    ----------
    fn : callable
        The function (the decorator may also be called with only `needs`).
    needs : dict, optional
        `{"resume": "out"}`: a true `resume` needs an `out` that is not None.

    Returns
    -------
    callable
        The function, raising `OptionError` for arguments that are not allowed; its
        `check_arguments(*args, **kwargs)` returns those problems without running it.

    """
    if fn is None:
        return functools.partial(checked, needs=needs)  # type: ignore[return-value]
    sig = inspect.signature(fn)
    hints: dict[str, Any] = {}

    def check_arguments(*args: Any, **kwargs: Any) -> list[Problem]:
        if len(hints) < len(sig.parameters):  # on first use: annotations may name classes defined after fn
            hints.update({name: _annotation(fn, p.annotation) for name, p in sig.parameters.items()})
        try:
            bound = sig.bind(*args, **kwargs)
        except TypeError as err:
            return [Problem(fn.__name__, 1, "<arguments>", str(err))]
        found = [p for name, value in bound.arguments.items()
                 for p in problems_of(name, value, hints.get(name, Any))]
        for flag, other in (needs or {}).items():
            if bound.arguments.get(flag) and bound.arguments.get(other) is None:
                found.append(Problem(flag, 1, flag, f"{flag}=True needs {other}= (a results folder)"))
        return found

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        found = check_arguments(*args, **kwargs)
        if found:
            raise OptionError(found)
        return fn(*args, **kwargs)

    wrapper.check_arguments = check_arguments  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]
