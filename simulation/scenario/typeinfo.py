"""Reading schema types: strip `Annotated[...]` and `X | None` down to the type that matters.

Shared by scenario.paths (which field a dotted path reaches) and scenario.messages (what
a field allows, for error messages), for scenario and sweep schemas alike.
"""

from __future__ import annotations

import types
from typing import Annotated, Any, Union, get_args, get_origin

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
