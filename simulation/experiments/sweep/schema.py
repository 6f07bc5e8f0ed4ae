"""The sweep file schema (pydantic): parameters, design, policies.

Its errors are worded by scenario.messages (`problems_from(..., SweepFile)`), like a scenario's.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field
from pydantic_core import PydanticCustomError

from ...scenario import Ident, Strict, Text

MAX_POINTS = 10_000_000
MAX_RUNS = 1_000_000_000
REP_BATCH = 128
"""Replications of one point advanced together in one model (larger groups are split)."""
DESIGN_STREAM = 0x5EED
"""spawn_key of the design's random stream (run seeds use two-element keys (point, rep))."""
NORMAL_CLIP = 0.001
"""Normal parameters map the unit interval through Φ⁻¹ clipped to [0.001, 0.999] (±3.09 sd)."""

def _number(v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise PydanticCustomError("number", "must be a finite number or a list of finite numbers")
    return float(v)


def _num_or_vec(v: Any) -> float | list[float]:
    if isinstance(v, list):
        if not 1 <= len(v) <= 1000:
            raise PydanticCustomError("vector", "a vector must have 1 to 1000 numbers")
        return [_number(x) for x in v]
    return _number(v)


def _discrete_values(v: Any) -> list:
    if not isinstance(v, list) or not 1 <= len(v) <= 10_000:
        raise PydanticCustomError("values", "must be a list of 1 to 10000 values")
    out = []
    for x in v:
        if isinstance(x, list):
            out.append(_num_or_vec(x))
        elif isinstance(x, (str, bool)) or (isinstance(x, (int, float)) and math.isfinite(x)):
            out.append(x)
        else:
            raise PydanticCustomError("values", "values must be numbers, text, true/false or lists of numbers")
    return out


NumOrVec = Annotated[Any, BeforeValidator(_num_or_vec)]


class ParamSpec(Strict):
    """One varied parameter. Bounds given as lists (or `size: n`) make it a vector parameter."""

    distribution: Literal["uniform", "log-uniform", "normal", "discrete"] | None = None
    """Default: discrete if `values` is given, else uniform."""
    low: NumOrVec | None = None
    high: NumOrVec | None = None
    mean: NumOrVec | None = None
    sd: NumOrVec | None = None
    values: Annotated[Any, BeforeValidator(_discrete_values)] | None = None
    size: Annotated[int, Field(ge=1, le=1000)] | None = None
    """Length of a vector parameter whose bounds are scalars (e.g. one budget per year)."""
    levels: Annotated[int, Field(ge=2, le=1000)] | None = None
    """Grid levels of this parameter (grid design; default: the design's `levels`)."""
    integer: bool = False
    """Round sampled values to whole numbers (for whole-number fields such as trl)."""


class DesignSpec(Strict):
    method: Literal["grid", "lhs", "sobol", "saltelli", "morris", "random"]
    samples: Annotated[int, Field(ge=1, le=MAX_POINTS)] | None = None
    """Points (lhs, sobol, random), base samples N (saltelli: N·(D+2) points, or N·(2D+2) with
    second_order) or trajectories (morris: N·(D+1) points)."""
    levels: Annotated[int, Field(ge=2, le=1000)] | None = None
    """Levels per parameter: grid (default 3) and morris (default 4)."""
    second_order: bool = False
    """saltelli: also sample for second-order Sobol' indices."""
    scramble: bool = True
    """sobol, saltelli: Owen-scrambled Sobol' sequence (seeded by the sweep seed)."""


class PolicySpec(Strict):
    scenario: Annotated[str, Field(min_length=1, max_length=1000)]
    """Scenario file, relative to the sweep file."""
    set: dict[str, Any] = {}
    """Overrides by dotted path, applied after the sweep's own `set` (the policy's levers)."""
    description: Text = ""


class SweepFile(Strict):
    name: Ident | None = None
    """Default: the sweep file's name without extension."""
    description: Text = ""
    scenario: Annotated[str, Field(min_length=1, max_length=1000)] | None = None
    policies: Annotated[dict[Ident, PolicySpec], Field(min_length=1, max_length=100)] | None = None
    set: dict[str, Any] = {}
    """Overrides by dotted path applied to every scenario before the parameters."""
    design: DesignSpec
    parameters: Annotated[dict[str, ParamSpec], Field(min_length=1, max_length=1000)]
    replications: Annotated[int, Field(ge=1, le=100_000)] = 1
    seed: Annotated[int, Field(ge=0, le=2**63 - 1)] = 0
    common_random_numbers: bool = False
    """Use the same random streams at every design point (replication r of any point uses the
    seeds of point 0), so differences between points come from the parameters alone;
    recommended for Sobol' and Morris indices of a stochastic model."""
    outcomes: list[str] | None = None
    """Outcome columns analysed by `sdgsim analyze` (default: the overall ones)."""
    chunk_runs: Annotated[int, Field(ge=1, le=1_000_000)] | None = None
    """Runs per stored chunk (rounded to whole design points); default: automatic."""
