"""Reading schema types: strip `Annotated[...]` and `X | None` down to the type that matters.

Shared by scenario.paths (which field a dotted path reaches) and scenario.messages (what
a field allows, for error messages), for scenario and sweep schemas alike; `field_range` gives a
number field's bounds to code that must apply them before a scenario exists (sdgsim new).
"""

from __future__ import annotations

import types
from dataclasses import dataclass
from typing import Annotated, Any, Union, get_args, get_origin

import annotated_types
from pydantic import BaseModel
from pydantic.fields import FieldInfo


def unwrap(tp: Any) -> tuple[Any, list]:
    """Strip `Annotated[...]` layers and optionality (`X | None`); return (type, constraint metadata).

    A union of several types (e.g. the shock kinds) is returned as it is.
    """
    meta: list = []
    while True:
        if get_origin(tp) is Annotated:
            tp, *extra = get_args(tp)
            for m in extra:
                meta.extend(m.metadata if isinstance(m, FieldInfo) else [m])
        elif is_union(tp):
            arms = [a for a in get_args(tp) if a is not type(None)]
            if len(arms) != 1:
                return tp, meta
            tp = arms[0]
        else:
            return tp, meta


def is_union(tp: Any) -> bool:
    return get_origin(tp) in (Union, types.UnionType)


def is_model(tp: Any) -> bool:
    """Whether `tp` is a schema model (a mapping with fixed fields)."""
    return isinstance(tp, type) and issubclass(tp, BaseModel)


@dataclass(frozen=True)
class Range:
    """A number field's bounds as the schema states them: `x in r`, and `str(r)` ('0 < value <= 1')."""

    low: float | None = None
    low_open: bool = False
    high: float | None = None
    high_open: bool = False

    def __contains__(self, x: float) -> bool:
        above = self.low is None or (x > self.low if self.low_open else x >= self.low)
        below = self.high is None or (x < self.high if self.high_open else x <= self.high)
        return bool(above and below)

    def __str__(self) -> str:
        lo = "" if self.low is None else f"{self.low:g} {'<' if self.low_open else '<='} "
        hi = "" if self.high is None else f" {'<' if self.high_open else '<='} {self.high:g}"
        return f"{lo}value{hi}"


def field_range(model: type[BaseModel], name: str) -> Range:
    """The bounds of number field `name` of schema `model` (gt/ge/lt/le of its Field)."""
    info = model.model_fields[name]
    meta = list(info.metadata) + unwrap(info.annotation)[1]
    got = {type(m): m for m in meta if isinstance(m, (annotated_types.Gt, annotated_types.Ge, annotated_types.Lt,
                                                      annotated_types.Le))}
    gt, ge = got.get(annotated_types.Gt), got.get(annotated_types.Ge)
    lt, le = got.get(annotated_types.Lt), got.get(annotated_types.Le)
    return Range(gt.gt if gt else ge.ge if ge else None, gt is not None,
                 lt.lt if lt else le.le if le else None, lt is not None)
