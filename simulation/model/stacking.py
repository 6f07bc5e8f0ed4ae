"""Stacking the parameters of several scenarios that share a structure into one batch.

A sweep runs many design points whose scenarios differ only in numbers (a donor's budget,
the facility's overhead, governance leakage, ...). `FinancingModel` can advance all their
replications in one batch: it builds each scenario's parameters (parameters.py, no random
numbers involved), and `stack` merges them group by group, field by field:

* a parameter that is the same in every scenario gets a replication axis of size 1 (e.g.
  (1, D) for a donor field), as it does for a batch of one scenario;
* a field declared with `parameters.axis(...)` that differs gets a replication axis: each
  scenario's value repeated over its replications (e.g. (S, D)), where its declaration says;
* anything else that differs (ids, eligibility masks, strategy names, shapes, the number
  of years, index arrays) is structure: `stack` raises StructureMismatch and the caller runs
  those scenarios as separate batches.

Where a stacked parameter is used, the model's arithmetic broadcasts it against the
state's leading replication axis (`x[..., None]` instead of `x[None, :, None]`), so
replication s sees exactly its own scenario's numbers: results are bit-identical to
running each scenario on its own. A numeric scenario field whose parameter is not declared
stackable still works: scenarios that differ in it fall back to separate batches
(tests/test_sweep_vectorised.py checks both ways on every numeric field).
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any, Sequence

import numpy as np

from .parameters import Parameters, rule


class StructureMismatch(ValueError):
    """The scenarios differ in something that cannot get a replication axis."""


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape
                and a.dtype == b.dtype and a.tobytes() == b.tobytes())
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def _stack_leaf(name: str, values: list, counts: np.ndarray, axis: int, pad: int) -> np.ndarray:
    arrays = [np.asarray(v) for v in values]
    first = arrays[0]
    if any(a.shape != first.shape or a.dtype != first.dtype for a in arrays):
        raise StructureMismatch(f"{name}: shapes differ")
    if first.ndim < axis:
        raise StructureMismatch(f"{name}: no axis {axis} to stack after")
    rows = np.repeat(np.stack(arrays), counts, axis=0)  # (S, *shape)
    rows = np.moveaxis(rows, 0, axis)  # the replication axis where the use expects it
    out = rows.reshape(rows.shape[:axis + 1] + (1,) * pad + rows.shape[axis + 1:])
    return np.ascontiguousarray(out)


def _expand(value: Any, axis: int, pad: int) -> Any:
    """A stackable value the same in every scenario: its replication axis, of size 1 (broadcast)."""
    if value is None:
        return None
    if isinstance(value, dict):
        return {k: _expand(v, axis, pad) for k, v in value.items()}
    x = np.asarray(value)
    return x.reshape(x.shape[:axis] + (1,) * (1 + pad) + x.shape[axis:])  # a view


def _merge(name: str, values: list, counts: np.ndarray, rule: tuple[int, int] | None) -> Any:
    first = values[0]
    if all(_same(first, v) for v in values[1:]):
        return first if rule is None else _expand(first, *rule)
    if rule is None:
        raise StructureMismatch(f"{name} differs")
    if isinstance(first, dict):
        if any(not isinstance(v, dict) or v.keys() != first.keys() for v in values):
            raise StructureMismatch(f"{name}: keys differ")
        return {k: _merge(f"{name}.{k}", [v[k] for v in values], counts, rule) for k in first}
    if isinstance(first, (np.ndarray, float, int, np.floating, np.integer)) and not isinstance(first, bool):
        return _stack_leaf(name, values, counts, *rule)
    raise StructureMismatch(f"{name} differs")


@functools.cache
def _layout(cls: type) -> tuple[tuple[str, tuple[int, int] | None, bool], ...]:
    """(name, stacking rule, is a parameter group) of every field of a parameter group class."""
    return tuple((f.name, rule(f), isinstance(f.type, str) and f.type in _GROUPS) for f in dataclasses.fields(cls))


_GROUPS = {f.type for f in dataclasses.fields(Parameters)} - {"int", "bool"}


def _merge_group(name: str, groups: list, counts: np.ndarray) -> Any:
    """One parameter group (or the whole Parameters) of every scenario, merged field by field."""
    changes = {}
    for field, how, group in _layout(type(groups[0])):
        values = [getattr(g, field) for g in groups]
        if group:
            changes[field] = _merge_group(f"{name}{field}.", values, counts)
        else:
            changes[field] = _merge(name + field, values, counts, how)
    return dataclasses.replace(groups[0], **changes)


def stack(params: Sequence[Parameters], counts: Sequence[int]) -> Parameters:
    """Merge the parameters of scenarios run with counts[i] replications each (in order).

    Returns the parameters of the whole batch, every stackable one with its replication axis
    (size 1 where all scenarios agree, so one scenario alone has the same shapes as a batch of
    several); raises StructureMismatch if the scenarios differ in anything not declared
    stackable (or in its shape).
    """
    if len(params) > 1 and any(p.has_ppi for p in params):
        raise StructureMismatch("PPI countries run one scenario per batch")
    return _merge_group("", list(params), np.asarray(counts, dtype=int))


def signature(params: Parameters) -> tuple:
    """A key equal for scenarios that `stack` can merge (the same structure): every parameter
    not declared stackable by value, the stackable ones by type and shape."""
    parts: list[Any] = []

    def add(name: str, v: Any, stacked: bool) -> None:
        if isinstance(v, dict):
            parts.append((name, tuple(v)))
            for k, x in v.items():
                add(k, x, stacked)
        elif isinstance(v, np.ndarray):
            parts.append((v.dtype.num, v.shape) if stacked else (v.dtype.num, v.shape, v.tobytes()))
        elif stacked and isinstance(v, (float, int, np.floating, np.integer)) and not isinstance(v, bool):
            parts.append(type(v))
        else:
            parts.append(repr(v))

    def walk(group: Any, prefix: str) -> None:
        for f in dataclasses.fields(group):
            v = getattr(group, f.name)
            if dataclasses.is_dataclass(v):
                walk(v, f"{prefix}{f.name}.")
            else:
                add(prefix + f.name, v, rule(f) is not None and not params.has_ppi)

    walk(params, "")
    return tuple(parts)


def total(x: np.ndarray) -> np.ndarray:
    """The sum over all but the leading replication axis of a parameter: (1,) or (S,)."""
    return x.reshape(len(x), -1).sum(axis=-1)
