"""Sweeps: sweep files, experimental designs, and running experiments in resumable chunks.

A sweep file (YAML) names the scenario to vary (or several, as *policies*), the
*parameters* to vary by dotted path with their distributions (the uncertainties), a
*design* and a number of *replications* per design point:

    scenario: ../baseline.yaml            # or  policies: {name: FILE | {scenario: FILE, set: {...}}}
    design: {method: saltelli, samples: 64}
    parameters:
      donors.JPN-ODA.budget_usd: {distribution: uniform, low: 1.0e9, high: 3.0e9}
    replications: 4
    seed: 2030

Experiments are design points × policies × replications. Replication r of point p uses
`SeedSequence(seed, spawn_key=(p, r))` whatever the policy (common random numbers across
policies; with `common_random_numbers: true` also across points: key (0, r)), the
chunking, the executor or the number of workers, so results are bit-identical across all
of them. Designs are pure functions `(parameters, spec, seed) -> unit sample (n, dims)`
in the registry `DESIGNS`; each parameter maps the unit interval to its values by its
inverse CDF (grid levels are exact values instead).

Runs are grouped into chunks of whole design points; `run_chunk` (the worker function)
builds and validates each point's scenario, runs its replications together in one
`FinancingModel`, and returns tidy per-run outcomes (one row per run). `run_sweep` feeds
chunks to an executor (executors.py) and streams each finished chunk to the sweep folder
(store.SweepStore); a killed sweep resumes from the chunks already on disk.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import time
import types
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Callable, Literal, Union, get_args, get_origin

import numpy as np
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from pydantic_core import PydanticCustomError

from .scenario import Ident, Scenario, Text, _locate, load_scenario, validate_data
from .yamlio import InputError, LocDict, Problem, load_located, to_plain

MAX_POINTS = 10_000_000
MAX_RUNS = 1_000_000_000
REP_BATCH = 128
"""Replications of one point advanced together in one model (larger groups are split)."""
DESIGN_STREAM = 0x5EED
"""spawn_key of the design's random stream (run seeds use two-element keys (point, rep))."""
NORMAL_CLIP = 0.001
"""Normal parameters map the unit interval through Φ⁻¹ clipped to [0.001, 0.999] (±3.09 sd)."""

# --------------------------------------------------------------------------- outcomes

OUTCOME_SENSE = {
    "sdg_index_end": +1, "sdg_index_change": +1, "gap_closure": +1, "cost_per_point_usd": -1,
    "private_per_public": +1, "gini_end": -1, "adoption_end": +1,
}
"""Scalar outcomes per run and their direction (+1: higher is better, −1: lower is better)."""
DEFAULT_OUTCOMES = ("sdg_index_end", "gap_closure", "cost_per_point_usd", "private_per_public", "gini_end",
                    "adoption_end")
ID_COLUMNS = ("policy", "point", "replication", "seed", "chunk", "status", "error")


def outcome_sense(name: str) -> int:
    """+1 if higher is better for outcome column `name` (per-country/goal columns follow their base)."""
    return OUTCOME_SENSE.get(name.split(":", 1)[0], +1)


def outcome_columns(scenarios: list[Scenario]) -> list[str]:
    """Outcome columns of a sweep's runs: overall scalars, then per country and per goal."""
    cols = ["sdg_index_start", "sdg_index_end", "sdg_index_change", "gap_closure", "cost_per_point_usd",
            "private_per_public", "gini_end", "adoption_end"]
    countries = list(dict.fromkeys(c for s in scenarios for c in s.country_ids))
    goals = list(dict.fromkeys(g for s in scenarios for g in s.goal_ids))
    cols += [f"sdg_index_end:{c}" for c in countries] + [f"gap_closure:{c}" for c in countries]
    cols += [f"goal_end:{g}" for g in goals]
    return cols


# --------------------------------------------------------------------------- the sweep file schema


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


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False, frozen=True)


class ParamSpec(_Strict):
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


class DesignSpec(_Strict):
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


class PolicySpec(_Strict):
    scenario: Annotated[str, Field(min_length=1, max_length=1000)]
    """Scenario file, relative to the sweep file."""
    set: dict[str, Any] = {}
    """Overrides by dotted path, applied after the sweep's own `set` (the policy's levers)."""
    description: Text = ""


class SweepFile(_Strict):
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


_MODEL_AT = {"design": DesignSpec, "parameters": ParamSpec, "policies": PolicySpec}


def _sweep_message(err: dict, loc: tuple) -> str:
    """One pydantic error of a sweep file as 'got X, what is wrong (allowed: ...)'."""
    from .scenario import _show

    kind, shown, ctx = err["type"], _show(err.get("input")), err.get("ctx") or {}
    if kind == "extra_forbidden":
        owner: Any = SweepFile
        if len(loc) >= 2 and loc[0] in _MODEL_AT:
            owner = _MODEL_AT[loc[0]]
        fields = ", ".join(owner.model_fields)
        return f"unknown field '{loc[-1]}' (allowed: {fields})"
    if kind == "missing":
        return "required field is missing"
    if kind == "literal_error":
        return f"got {shown}, not an allowed value (allowed: {ctx.get('expected', '')})"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        lo, hi = ctx.get("ge", ctx.get("gt")), ctx.get("le", ctx.get("lt"))
        return f"got {shown}, out of range (allowed: {'>= ' + str(lo) if lo is not None else '<= ' + str(hi)})"
    if kind == "string_pattern_mismatch":
        return f"got {shown}, not a valid name (allowed: letters, digits and _ . : - starting with a letter or digit)"
    if kind in ("too_short", "too_long"):
        return f"has {ctx.get('actual_length')} items (allowed: {err['msg'].lower()})"
    if kind in ("int_type", "int_from_float", "int_parsing"):
        return f"got {shown}, not a whole number"
    if kind in ("bool_type", "bool_parsing"):
        return f"got {shown} (allowed: true or false)"
    if kind in ("string_type",):
        return f"got {shown} (allowed: text)"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"got {shown} (allowed: a mapping)"
    if kind == "list_type":
        return f"got {shown} (allowed: a list)"
    return f"got {shown}, {' '.join(str(err.get('msg', 'invalid')).split())}"


# --------------------------------------------------------------------------- resolved sweep


@dataclass(frozen=True)
class Parameter:
    """A varied parameter: its path, distribution and design dimensions (columns)."""

    path: str
    spec: ParamSpec
    line: int
    size: int
    """Number of design dimensions (vector length; 1 for scalars and discrete choices)."""
    vector: bool

    @property
    def parts(self) -> list[str]:
        return self.path.split(".")

    @property
    def dist(self) -> str:
        return self.spec.distribution or ("discrete" if self.spec.values is not None else "uniform")

    @property
    def dims(self) -> list[str]:
        """Column names of this parameter's dimensions."""
        if self.vector and self.dist != "discrete":
            return [f"{self.path}[{i}]" for i in range(self.size)]
        return [self.path]

    @property
    def numeric(self) -> bool:
        if self.dist != "discrete":
            return True
        return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in self.spec.values)

    def _vec(self, name: str) -> np.ndarray:
        v = getattr(self.spec, name)
        return np.broadcast_to(np.asarray(v, dtype=float), (self.size,))

    def decode(self, u: np.ndarray) -> np.ndarray:
        """Unit sample (n, dims) → values: float (n, dims), or object (n,) for discrete."""
        d = self.dist
        if d == "discrete":
            vals = self.spec.values
            idx = np.minimum((u[:, 0] * len(vals)).astype(np.int64), len(vals) - 1)
            out = np.empty(len(idx), dtype=object)
            for i, j in enumerate(idx):
                out[i] = vals[j]
            return out
        if d == "uniform":
            lo, hi = self._vec("low"), self._vec("high")
            x = lo + u * (hi - lo)
        elif d == "log-uniform":
            lo, hi = np.log(self._vec("low")), np.log(self._vec("high"))
            x = np.exp(lo + u * (hi - lo))
        else:
            from scipy.special import ndtri  # Φ⁻¹, without importing all of scipy.stats

            x = self._vec("mean") + self._vec("sd") * ndtri(np.clip(u, NORMAL_CLIP, 1 - NORMAL_CLIP))
        return np.rint(x) if self.spec.integer else x

    def value(self, decoded_row: Any) -> Any:
        """The plain value to write into a scenario for one decoded row."""
        if self.dist == "discrete":
            v = decoded_row
            return list(v) if isinstance(v, list) else v
        row = np.asarray(decoded_row, dtype=float)
        conv = (lambda x: int(x)) if self.spec.integer else float
        return [conv(x) for x in row] if self.vector else conv(row[0])

    def columns(self, u: np.ndarray) -> dict[str, np.ndarray]:
        """Stored columns for a unit sample: numbers as float64, other choices as text."""
        x = self.decode(u)
        if self.dist == "discrete":
            if self.numeric:
                return {self.path: np.array([float(v) for v in x])}
            return {self.path: np.array([v if isinstance(v, str) else json.dumps(v) for v in x], dtype=object)}
        return {name: x[:, i].astype(float) for i, name in enumerate(self.dims)}

    def grid_units(self, default_levels: int) -> list[np.ndarray]:
        """Unit-interval levels per dimension of a full grid (exact bounds and every value)."""
        if self.dist == "discrete":
            n = len(self.spec.values)
            return [(np.arange(n) + 0.5) / n]
        levels = self.spec.levels or default_levels
        if self.dist == "normal":
            return [(np.arange(levels) + 0.5) / levels] * self.size
        return [np.linspace(0.0, 1.0, levels)] * self.size


@dataclass
class Policy:
    """One scenario of the sweep (a policy): its data after `set`, before the parameters."""

    name: str
    scenario_file: str
    base: dict
    scenario: Scenario
    overrides: dict

    @property
    def scenario_hash(self) -> str:
        return self.scenario.content_hash()


@dataclass
class Sweep:
    """A validated sweep file with its scenarios resolved."""

    file: str
    spec: SweepFile
    name: str
    policies: list[Policy]
    parameters: list[Parameter]
    text: str = ""

    @property
    def dims(self) -> list[str]:
        return [d for p in self.parameters for d in p.dims]

    @property
    def groups(self) -> list[str] | None:
        """SALib groups (one per parameter) when a parameter spans several dimensions."""
        if all(len(p.dims) == 1 for p in self.parameters):
            return None
        return [p.path for p in self.parameters for _ in p.dims]

    @property
    def replications(self) -> int:
        return self.spec.replications

    @property
    def seed(self) -> int:
        return self.spec.seed

    @property
    def outcomes(self) -> list[str]:
        return list(self.spec.outcomes or DEFAULT_OUTCOMES)

    def fingerprint(self) -> str:
        """Hash of everything that determines the runs: the sweep definition and each scenario."""
        blob = json.dumps({"sweep": self.spec.model_dump(mode="json"),
                           "scenarios": {p.name: p.scenario_hash for p in self.policies}},
                          sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()

    def problem(self) -> dict:
        """SALib problem over the unit cube (parameters are mapped by their own inverse CDF)."""
        dims = self.dims
        out = {"num_vars": len(dims), "names": dims, "bounds": [[0.0, 1.0]] * len(dims)}
        if self.groups:
            out["groups"] = self.groups
        return out


# --------------------------------------------------------------------------- paths in scenarios


def _unwrap(tp: Any) -> Any:
    while True:
        if get_origin(tp) is Annotated:
            tp = get_args(tp)[0]
        elif get_origin(tp) in (Union, types.UnionType):
            arms = [a for a in get_args(tp) if a is not type(None)]
            if len(arms) != 1:
                return tp
            tp = arms[0]
        else:
            return tp


def _child_type(tp: Any, key: str, node: Any) -> Any:
    """The schema type one step down from `tp` (a model, list or mapping type)."""
    tp = _unwrap(tp)
    if get_origin(tp) in (Union, types.UnionType):  # e.g. shocks: pick the arm that has these keys
        arms = [_unwrap(a) for a in get_args(tp)]
        keys = set(node) if isinstance(node, dict) else set()
        tp = next((a for a in arms if isinstance(a, type) and issubclass(a, BaseModel) and keys <= set(a.model_fields)),
                  arms[0])
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        info = tp.model_fields.get(key)
        return info.annotation if info else None
    if get_origin(tp) in (list, dict):
        return get_args(tp)[-1]
    return None


def _fields_of(tp: Any, node: Any) -> list[str] | None:
    """Field names if `tp` is a schema model (fixed keys), None for a free mapping."""
    tp = _unwrap(tp)
    if get_origin(tp) in (Union, types.UnionType):
        return sorted(node) if isinstance(node, dict) else []
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return list(tp.model_fields)
    return None


def _find_item(items: list, part: str) -> int | None:
    idx = next((i for i, it in enumerate(items) if isinstance(it, dict) and it.get("id") == part), None)
    if idx is None and part.isdigit() and int(part) < len(items):
        idx = int(part)
    return idx


def check_path(data: dict, path: str, scenario_name: str) -> str | None:
    """Why dotted `path` does not name a field of the scenario `data`, or None if it does.

    Fields the schema allows but the file leaves at their default exist (model_dump has
    them); inside free mappings (strategy_params, roadmap_priority) a new key is allowed.
    """
    parts = path.split(".")
    if any(not p for p in parts):
        return "a path is dot-separated names, e.g. donors.JPN-ODA.budget_usd"
    node: Any = data
    tp: Any = Scenario
    here = ""
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        if node is None:
            return (f"'{here}' is empty in scenario '{scenario_name}'; give it a value first "
                    f"(e.g. set: {{{here}: {{}}}})")
        if isinstance(node, list):
            idx = _find_item(node, part)
            if idx is None:
                ids = [str(it.get("id")) for it in node if isinstance(it, dict) and "id" in it]
                known = f"known ids: {', '.join(ids)}" if ids else f"{len(node)} items, by index"
                return f"no item '{part}' in {here} of scenario '{scenario_name}' ({known})"
            child = node[idx]
        elif isinstance(node, dict):
            fields = _fields_of(tp, node)
            if part not in node:
                if fields is None and last:
                    return None  # a new key in a free mapping
                where = f"in {here}" if here else "at the top level"
                allowed = f"allowed: {', '.join(fields)}" if fields else "no such key"
                return f"unknown field '{part}' {where} of scenario '{scenario_name}' ({allowed})"
            child = node[part]
        else:
            return f"'{here}' is a single value in scenario '{scenario_name}'; it has no field '{part}'"
        tp = _child_type(tp, part, node if isinstance(node, dict) else child)
        here = f"{here}.{part}" if here else part
        node = child
    return None


def assign(data: Any, parts: list[str], value: Any, copy_path: bool = False) -> None:
    """Set the field at `parts` (list items by id or index) to `value`, in place.

    With `copy_path`, the containers along the path are copied first (shallow), so data
    shared with other points is never modified: a cheap alternative to a deep copy.
    """
    node = data
    for depth, part in enumerate(parts):
        key = _find_item(node, part) if isinstance(node, list) else part
        if depth == len(parts) - 1:
            old = node[key] if isinstance(node, list) or key in node else None
            if isinstance(old, dict) and isinstance(value, list):  # a vector over a mapping's keys, in order
                if len(value) != len(old):
                    raise ValueError(f"vector of {len(value)} values for a mapping of {len(old)} keys")
                value = dict(zip(old, value))
            node[key] = value
        else:
            if copy_path:
                child = node[key]
                node[key] = list(child) if isinstance(child, list) else dict(child)
            node = node[key]


def lookup(data: Any, parts: list[str]) -> Any:
    """The value at an existing path (see check_path), or None."""
    node = data
    for part in parts:
        if isinstance(node, list):
            idx = _find_item(node, part)
            node = node[idx] if idx is not None else None
        elif isinstance(node, dict):
            node = node.get(part)
        else:
            return None
    return node


def with_values(base: dict, assigns: list[tuple[list[str], Any]]) -> dict:
    """A copy of scenario data `base` with each (path parts, value) assigned; `base` is untouched."""
    data = dict(base)
    for parts, value in assigns:
        assign(data, parts, value, copy_path=True)
    return data


# --------------------------------------------------------------------------- loading


def _problems_from(exc: ValidationError, tree: Any, label: str) -> list[Problem]:
    out = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        (file, line), fieldpath = _locate(tree, loc)
        out.append(Problem(label if file == "?" else file, line, fieldpath, _sweep_message(err, loc)))
    return out


def _line(tree: Any, *keys: Any) -> int:
    return _locate(tree, keys)[0][1]


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, list):
        body = ", ".join(_short(v) for v in value[:6])
        return f"[{body}{', ...' if len(value) > 6 else ''}]"
    return repr(value) if isinstance(value, str) else str(value)


def _check_param(path: str, p: ParamSpec) -> tuple[list[tuple[tuple, str]], int, bool]:
    """Cross-field checks of one parameter: (problems as (subkey, message), size, vector)."""
    out: list[tuple[tuple, str]] = []
    dist = p.distribution or ("discrete" if p.values is not None else "uniform")
    need = {"uniform": ("low", "high"), "log-uniform": ("low", "high"), "normal": ("mean", "sd"),
            "discrete": ("values",)}[dist]
    for name in ("low", "high", "mean", "sd", "values"):
        given = getattr(p, name) is not None
        if name in need and not given:
            out.append(((), f"a {dist} parameter needs '{name}' (needs: {', '.join(need)})"))
        elif given and name not in need:
            out.append(((name,), f"'{name}' does not apply to a {dist} parameter (it takes: {', '.join(need)})"))
    if out:
        return out, 1, False
    if dist == "discrete":
        vals = p.values
        vec = [v for v in vals if isinstance(v, list)]
        if vec and len(vec) != len(vals):
            out.append((("values",), "mix of lists and single values (allowed: all single values or all lists)"))
        if vec and len({len(v) for v in vec}) > 1:
            out.append((("values",), "lists of different lengths (all vector values must have one length)"))
        if p.size is not None:
            out.append((("size",), "size does not apply to discrete values (give lists as values for vectors)"))
        if p.integer:
            out.append((("integer",), "integer does not apply to discrete values"))
        return out, 1, bool(vec)
    bounds = {n: getattr(p, n) for n in need}
    lengths = {len(v) for v in bounds.values() if isinstance(v, list)}
    if len(lengths) > 1:
        out.append(((need[0],), f"vector bounds of different lengths {sorted(lengths)}"))
        return out, 1, True
    vector = bool(lengths) or p.size is not None
    size = next(iter(lengths)) if lengths else (p.size or 1)
    if p.size is not None and lengths and size != p.size:
        out.append((("size",), f"size {p.size} differs from the length {size} of the bounds"))
    arr = {n: np.broadcast_to(np.asarray(v, dtype=float), (size,)) for n, v in bounds.items()}
    if dist in ("uniform", "log-uniform"):
        if np.any(arr["low"] >= arr["high"]):
            out.append((("high",), f"high {_short(bounds['high'])} must be above low {_short(bounds['low'])}"))
        if dist == "log-uniform" and np.any(arr["low"] <= 0):
            out.append((("low",), f"got {_short(bounds['low'])}; a log-uniform low must be > 0"))
    elif np.any(arr["sd"] <= 0):
        out.append((("sd",), f"got {_short(bounds['sd'])}; sd must be > 0"))
    return out, size, vector


def load_sweep(path: str | Path) -> Sweep:
    """Load and validate a sweep file and the scenarios it names; raise InputError if bad.

    Checks: the schema (unknown keys, types, ranges), each parameter's distribution,
    the design's needs, that every `set` and parameter path names a field of every
    policy's scenario, and that the lowest and highest sampled value of each parameter
    gives a valid scenario (so out-of-range samples are reported before any run).
    """
    path = Path(path)
    label = str(path)
    tree = load_located(path, label)
    if tree is None:
        raise InputError([Problem(label, 1, "(root)", "file is empty (expected a sweep: scenario, design, parameters)")])
    if not isinstance(tree, dict):
        raise InputError([Problem(label, 1, "(root)", "expected a mapping with scenario, design and parameters")])
    policies_raw = tree.get("policies")
    if isinstance(policies_raw, dict):  # `name: FILE` is short for `name: {scenario: FILE}`
        for key, val in list(policies_raw.items()):
            if isinstance(val, str):
                short = LocDict({"scenario": val}, where=policies_raw.locs.get(key, tree.where))
                short.locs["scenario"] = policies_raw.locs.get(key, tree.where)
                policies_raw[key] = short
    params_raw = tree.get("parameters")
    if isinstance(params_raw, dict):  # `path: [a, b, c]` is short for `path: {values: [a, b, c]}`
        for key, val in list(params_raw.items()):
            if isinstance(val, list):
                short = LocDict({"values": val}, where=params_raw.locs.get(key, tree.where))
                short.locs["values"] = params_raw.locs.get(key, tree.where)
                params_raw[key] = short
    try:
        spec = SweepFile.model_validate(to_plain(tree))
    except ValidationError as exc:
        raise InputError(_problems_from(exc, tree, label)) from None

    problems: list[Problem] = []

    def add(keys: tuple, fieldpath: str, message: str) -> None:
        problems.append(Problem(label, _line(tree, *keys), fieldpath, message))

    # parameters
    parameters: list[Parameter] = []
    for ppath, p in spec.parameters.items():
        errs, size, vector = _check_param(ppath, p)
        for sub, msg in errs:
            add(("parameters", ppath, *sub), ".".join(("parameters", ppath, *sub)), msg)
        parameters.append(Parameter(ppath, p, _line(tree, "parameters", ppath), size, vector))
    # design
    d = spec.design
    if d.method != "grid" and d.samples is None:
        add(("design",), "design.samples", f"the {d.method} design needs 'samples' ({_SAMPLES_HELP[d.method]})")
    if d.method == "grid" and d.samples is not None:
        add(("design", "samples"), "design.samples", "a grid has no 'samples' (its size is the product of levels)")
    if d.method in ("sobol", "saltelli") and d.samples and d.samples & (d.samples - 1):
        lo = 1 << (d.samples.bit_length() - 1)
        add(("design", "samples"), "design.samples",
            f"got {d.samples}; Sobol' sequences need a power of 2 (e.g. {lo} or {lo * 2})")
    if d.method not in ("grid", "morris") and d.levels is not None:
        add(("design", "levels"), "design.levels", f"levels apply to grid and morris designs, not {d.method}")
    if d.second_order and d.method != "saltelli":
        add(("design", "second_order"), "design.second_order", "second_order applies to the saltelli design only")
    if not problems:
        n_points = design_size(d, parameters)
        if n_points > MAX_POINTS:
            add(("design",), "design", f"{n_points} design points (allowed: at most {MAX_POINTS})")
        elif n_points * spec.replications * (len(spec.policies) if spec.policies else 1) > MAX_RUNS:
            add(("replications",), "replications", f"more than {MAX_RUNS} runs in total")
    # scenarios / policies
    if (spec.scenario is None) == (spec.policies is None):
        add((), "scenario", "give either 'scenario: FILE' or 'policies: {name: FILE, ...}', not both or neither")
    if problems:
        raise InputError(problems)

    sources: list[tuple[str, str, dict, tuple]] = []  # name, file, overrides, keys for lines
    if spec.scenario is not None:
        sources.append(("", spec.scenario, {}, ("scenario",)))
    else:
        for name, pol in spec.policies.items():
            sources.append((name, pol.scenario, pol.set, ("policies", name)))
    loaded: dict[Path, Scenario] = {}
    policies: list[Policy] = []
    for name, sfile, overrides, keys in sources:
        spath = (path.parent / sfile)
        key_line = (*keys, "scenario") if keys[0] == "policies" else keys
        if not spath.is_file():
            add(key_line, ".".join(str(k) for k in key_line), f"scenario file not found: {spath}")
            continue
        if spath.resolve() not in loaded:
            loaded[spath.resolve()] = load_scenario(spath)  # errors are located in the scenario file
        base_sc = loaded[spath.resolve()]
        data = base_sc.model_dump()
        ok = True
        for where, sets in ((("set",), spec.set), ((*keys, "set"), overrides)):
            for spath_key, value in sets.items():
                why = check_path(data, spath_key, base_sc.name)
                if why:
                    add((*where, spath_key), ".".join((*map(str, where), spath_key)), why)
                    ok = False
                    continue
                assign(data, spath_key.split("."), to_plain(value))
        if not ok:
            continue
        pname = name or base_sc.name
        try:
            sc = validate_data(copy.deepcopy(data), f"{label} ({pname})")
        except InputError as err:
            for pr in err.problems:
                add(keys, ".".join(map(str, keys)), f"after 'set', scenario '{pname}' is invalid: {pr.field}: {pr.message}")
            continue
        # the validated scenario's own data: every schema field present, defaults filled in
        policies.append(Policy(pname, str(spath), sc.model_dump(), sc, {**spec.set, **overrides}))
    if problems:
        raise InputError(problems)

    for p in parameters:
        for pol in policies:
            why = check_path(pol.base, p.path, pol.scenario.name)
            target = lookup(pol.base, p.parts) if not why else None
            if not why and p.vector and isinstance(target, dict) and len(target) != _vector_len(p):
                why = (f"a vector of {_vector_len(p)} values for a mapping of {len(target)} keys "
                       f"({', '.join(target)}) in scenario '{pol.scenario.name}' (give one value per key, in that order)")
            if why:
                add(("parameters", p.path), f"parameters.{p.path}", why)
                break
    known = outcome_columns([p.scenario for p in policies])
    for i, name in enumerate(spec.outcomes or []):
        if name not in known:
            add(("outcomes", i), f"outcomes.{i}", f"unknown outcome '{name}' (known: {', '.join(known[:12])}, ...)")
    if problems:
        raise InputError(problems)
    return Sweep(label, spec, spec.name or path.stem, policies, parameters, path.read_text(encoding="utf-8-sig"))


def _vector_len(p: Parameter) -> int:
    if p.dist == "discrete":
        return len(next(v for v in p.spec.values if isinstance(v, list)))
    return p.size


def check_values(sweep: Sweep, unit: np.ndarray) -> None:
    """Check the lowest and highest sampled value of each parameter (every value of a
    discrete one) against each policy's schema; raise InputError at the parameter's line."""
    problems: list[Problem] = []
    col = 0
    for p in sweep.parameters:
        k = len(p.dims)
        u = unit[:, col:col + k]
        col += k
        if p.dist == "discrete":
            idx = np.unique(np.minimum((u[:, 0] * len(p.spec.values)).astype(int), len(p.spec.values) - 1))
            cands = [(p.value(p.spec.values[i]), "value") for i in idx]
        elif len(u):
            cands = [(p.value(p.decode(u.min(axis=0, keepdims=True))[0]), "lowest sampled value"),
                     (p.value(p.decode(u.max(axis=0, keepdims=True))[0]), "highest sampled value")]
        else:
            cands = []
        done = False
        for value, what in cands:
            for pol in sweep.policies:
                data = copy.deepcopy(pol.base)
                assign(data, p.parts, value)
                try:
                    validate_data(data, pol.name)
                except InputError as err:
                    first = err.problems[0]
                    problems.append(Problem(sweep.file, p.line, f"parameters.{p.path}",
                                            f"{what} {_short(value)} makes policy '{pol.name}' invalid: "
                                            f"{first.field}: {first.message}"))
                    done = True
                    break
            if done:
                break
    if problems:
        raise InputError(problems)


# --------------------------------------------------------------------------- designs

_SAMPLES_HELP = {
    "lhs": "number of points", "sobol": "number of points, a power of 2", "random": "number of points",
    "saltelli": "base samples N, a power of 2; N·(D+2) points", "morris": "number of trajectories; N·(D+1) points",
    "grid": "",
}


def design_size(d: DesignSpec, parameters: list[Parameter]) -> int:
    """Number of design points, without sampling."""
    D = sum(len(p.dims) for p in parameters)
    G = len(parameters) if any(len(p.dims) > 1 for p in parameters) else D
    if d.method == "grid":
        return math.prod(len(u) for p in parameters for u in p.grid_units(d.levels or 3))
    if d.method == "saltelli":
        return d.samples * ((2 * G + 2) if d.second_order else (G + 2))
    if d.method == "morris":
        return d.samples * (G + 1)
    return d.samples


def _grid(sweep: Sweep, seed: int) -> np.ndarray:
    axes = [u for p in sweep.parameters for u in p.grid_units(sweep.spec.design.levels or 3)]
    mesh = np.meshgrid(*axes, indexing="ij")
    return np.stack([m.reshape(-1) for m in mesh], axis=1)


def _qmc(engine: Any, d: int, seed: int, **kw: Any) -> Any:
    try:
        return engine(d, rng=np.random.default_rng(seed), **kw)
    except TypeError:  # scipy < 1.15
        return engine(d, seed=np.random.default_rng(seed), **kw)


def _lhs(sweep: Sweep, seed: int) -> np.ndarray:
    from scipy.stats import qmc

    return _qmc(qmc.LatinHypercube, len(sweep.dims), seed).random(sweep.spec.design.samples)


def _sobol(sweep: Sweep, seed: int) -> np.ndarray:
    from scipy.stats import qmc

    d = sweep.spec.design
    return _qmc(qmc.Sobol, len(sweep.dims), seed, scramble=d.scramble).random_base2(int(math.log2(d.samples)))


def _random(sweep: Sweep, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).random((sweep.spec.design.samples, len(sweep.dims)))


def _saltelli(sweep: Sweep, seed: int) -> np.ndarray:
    from SALib.sample import sobol as salib_sobol

    d = sweep.spec.design
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return salib_sobol.sample(sweep.problem(), d.samples, calc_second_order=d.second_order,
                                  scramble=d.scramble, seed=seed)


def _morris(sweep: Sweep, seed: int) -> np.ndarray:
    from SALib.sample import morris as salib_morris

    d = sweep.spec.design
    return salib_morris.sample(sweep.problem(), d.samples, num_levels=d.levels or 4, seed=seed)


DESIGNS: dict[str, Callable[[Sweep, int], np.ndarray]] = {
    "grid": _grid, "lhs": _lhs, "sobol": _sobol, "saltelli": _saltelli, "morris": _morris, "random": _random,
}
"""Design registry: method → (sweep, seed) -> unit sample (points, dims) in [0, 1]."""


def design_seed(seed: int) -> int:
    return int(np.random.SeedSequence(seed, spawn_key=(DESIGN_STREAM,)).generate_state(1)[0])


def make_design(sweep: Sweep) -> np.ndarray:
    """The sweep's unit design (points, dims), deterministic in the sweep seed."""
    unit = np.asarray(DESIGNS[sweep.spec.design.method](sweep, design_seed(sweep.seed)), dtype=float)
    return np.clip(unit, 0.0, 1.0)


def design_table(sweep: Sweep, unit: np.ndarray) -> dict[str, np.ndarray]:
    """Columns of design.parquet: point, each parameter column, and the unit sample u:<dim>."""
    cols: dict[str, np.ndarray] = {"point": np.arange(len(unit), dtype=np.int64)}
    col = 0
    for p in sweep.parameters:
        k = len(p.dims)
        cols.update(p.columns(unit[:, col:col + k]))
        col += k
    for i, name in enumerate(sweep.dims):
        cols[f"u:{name}"] = unit[:, i]
    return cols


def run_seeds(seed: int, point: int, reps: range, common: bool = False) -> list[np.random.SeedSequence]:
    """Seeds of replications `reps` of design point `point`: SeedSequence(seed, spawn_key=(point, r)),
    or (0, r) at every point with common random numbers. Independent of policy and chunking."""
    key = 0 if common else point
    return [np.random.SeedSequence(seed, spawn_key=(key, r)) for r in reps]


# --------------------------------------------------------------------------- plan and chunks


@dataclass(frozen=True)
class Plan:
    """How the experiments are cut into chunks of whole design points."""

    points: int
    policies: int
    replications: int
    points_per_chunk: int

    @property
    def runs_per_point(self) -> int:
        return self.policies * self.replications

    @property
    def runs(self) -> int:
        return self.points * self.runs_per_point

    @property
    def chunks(self) -> int:
        return -(-self.points // self.points_per_chunk)

    def bounds(self, chunk: int) -> tuple[int, int]:
        a = chunk * self.points_per_chunk
        return a, min(a + self.points_per_chunk, self.points)

    def chunk_runs(self, chunk: int) -> int:
        a, b = self.bounds(chunk)
        return (b - a) * self.runs_per_point

    @staticmethod
    def make(points: int, policies: int, replications: int, chunk_runs: int | None) -> Plan:
        per_point = policies * replications
        total = points * per_point
        if chunk_runs is None:  # about 16+ chunks for parallelism, at most ~1000 runs per file
            chunk_runs = min(1000, max(per_point, -(-total // 16)))
        return Plan(points, policies, replications, max(1, chunk_runs // per_point))


@dataclass(frozen=True)
class Runtime:
    """What a worker needs to run any chunk (picklable, sent with each task)."""

    policies: tuple[tuple[str, dict], ...]
    parameters: tuple[Parameter, ...]
    seed: int
    replications: int
    outcome_columns: tuple[str, ...]
    common: bool = False


@dataclass(frozen=True)
class ChunkTask:
    chunk: int
    first_point: int
    unit: np.ndarray
    """(points in chunk, dims) unit sample rows."""

    @property
    def runs_hint(self) -> int:
        return len(self.unit)


def _point_values(rt: Runtime, unit_row: np.ndarray) -> tuple[list[tuple[list[str], Any]], dict[str, Any]]:
    """Values to assign for one point, and the stored parameter columns for it."""
    assigns, cols, col = [], {}, 0
    for p in rt.parameters:
        k = len(p.dims)
        u = unit_row[None, col:col + k]
        col += k
        assigns.append((p.parts, p.value(p.decode(u)[0])))
        for name, arr in p.columns(u).items():
            cols[name] = arr[0]
    return assigns, cols


def warm_up() -> None:
    """Import what running a chunk needs, so the first chunk of a worker does not pay for it
    (forked workers inherit the imports of the driver; Dask workers call this at start)."""
    from scipy.special import ndtri  # noqa: F401

    from . import metrics, model, runner  # noqa: F401


def _run_outcomes(sc: Scenario, seeds: list[np.random.SeedSequence], columns: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Run replications `seeds` of scenario `sc` together; per-run outcome arrays (S,)."""
    from . import metrics
    from .model import FinancingModel
    from .runner import RunResult, result_arrays

    m = FinancingModel(sc, seeds, record_flows=False).run()
    res = RunResult(scenario=sc, seed=0, **result_arrays(m))
    r = metrics.per_run(res)
    S = len(seeds)
    start, end = r["overall"][:, 0], r["overall"][:, -1]
    out = {c: np.full(S, np.nan) for c in columns}
    out.update({
        "sdg_index_start": start, "sdg_index_end": end, "sdg_index_change": end - start,
        "gap_closure": metrics.gap_closure(start, end, metrics.index_target(sc)), "cost_per_point_usd": r["cost_per_point_usd"],
        "private_per_public": r["private_per_public"], "gini_end": r["gini_end"], "adoption_end": r["adoption_end"],
    })
    for c, cid in enumerate(sc.country_ids):
        out[f"sdg_index_end:{cid}"] = r["index"][:, -1, c]
        out[f"gap_closure:{cid}"] = r["gap_closure"][:, c]
    for g, gid in enumerate(sc.goal_ids):
        out[f"goal_end:{gid}"] = r["goal_end"][:, :, g].mean(axis=1)
    return {c: np.asarray(out[c], dtype=float) for c in columns}


def _error_text(exc: BaseException) -> str:
    if isinstance(exc, InputError):
        return "invalid scenario: " + "; ".join(f"{p.field}: {p.message}" for p in exc.problems)
    return f"{type(exc).__name__}: {exc}"


def run_chunk(rt: Runtime, task: ChunkTask) -> dict[str, list]:
    """Run every experiment of one chunk; return its rows as columns (the worker function).

    A point whose scenario is invalid, or whose model raises, gives failed rows (status
    'failed', the error text, NaN outcomes); the other points of the chunk still run.
    """
    rows: dict[str, list] = {c: [] for c in ID_COLUMNS}
    param_rows: dict[str, list] = {}
    outs: dict[str, list] = {c: [] for c in rt.outcome_columns}
    R = rt.replications
    for i, unit_row in enumerate(task.unit):
        point = task.first_point + i
        assigns, pcols = _point_values(rt, unit_row)
        for name, data in rt.policies:
            for a in range(0, R, REP_BATCH):
                reps = range(a, min(a + REP_BATCH, R))
                try:
                    sc = validate_data(with_values(data, assigns), f"{name} point {point}")
                    res = _run_outcomes(sc, run_seeds(rt.seed, point, reps, rt.common), rt.outcome_columns)
                    status, error = "ok", None
                except Exception as exc:  # noqa: BLE001 - recorded as failed runs; the sweep goes on
                    res = {c: np.full(len(reps), np.nan) for c in rt.outcome_columns}
                    status, error = "failed", _error_text(exc)
                n = len(reps)
                rows["policy"] += [name] * n
                rows["point"] += [point] * n
                rows["replication"] += list(reps)
                rows["seed"] += [rt.seed] * n
                rows["chunk"] += [task.chunk] * n
                rows["status"] += [status] * n
                rows["error"] += [error] * n
                for k, v in pcols.items():
                    param_rows.setdefault(k, []).extend([v] * n)
                for c in rt.outcome_columns:
                    outs[c].extend(res[c].tolist())
    return {**rows, **param_rows, **outs}


def runtime(sweep: Sweep) -> Runtime:
    return Runtime(tuple((p.name, p.base) for p in sweep.policies), tuple(sweep.parameters), sweep.seed,
                   sweep.replications, tuple(outcome_columns([p.scenario for p in sweep.policies])),
                   sweep.spec.common_random_numbers)


def param_columns(sweep: Sweep) -> dict[str, str]:
    """Stored parameter columns and their type ('float' or 'string')."""
    out = {}
    for p in sweep.parameters:
        kind = "float" if p.numeric else "string"
        for name in p.dims:
            out[name] = kind
    return out


# --------------------------------------------------------------------------- running


class SweepInterrupted(Exception):
    """Ctrl-C: the finished chunks are saved; `--resume` completes the sweep."""

    def __init__(self, done: int, total: int, out: Path):
        self.done, self.total, self.out = done, total, out
        super().__init__(f"interrupted after {done} of {total} runs")


class SweepIncomplete(Exception):
    """Some chunks could not run at all (their task died, not a run in them): the others are
    saved, and `--resume` retries exactly the missing chunks."""

    def __init__(self, lost: list[tuple[int, str]], done: int, total: int, out: Path):
        self.lost, self.done, self.total, self.out = lost, done, total, out
        super().__init__(f"{len(lost)} chunks could not run (first: chunk {lost[0][0]}: {lost[0][1]})")


@dataclass
class SweepResult:
    out: Path
    runs: int
    done_before: int
    failed: int
    seconds: float
    executor: str
    workers: int
    resumed: bool = False
    extra: dict = field(default_factory=dict)


def prepare(sweep: Sweep) -> tuple[np.ndarray, Plan]:
    """Sample the design, check its values against the schema, and cut it into chunks."""
    unit = make_design(sweep)
    check_values(sweep, unit)
    plan = Plan.make(len(unit), len(sweep.policies), sweep.replications, sweep.spec.chunk_runs)
    return unit, plan


def run_sweep(sweep: Sweep, out: str | Path, executor: Any, *, resume: bool = False, force: bool = False,
              progress: Callable[[int, int], None] | None = None, command: list[str] | None = None,
              prepared: tuple[np.ndarray, Plan] | None = None) -> SweepResult:
    """Run (or resume) a sweep into folder `out` with `executor` (executors.make_executor).

    progress(done_runs, total_runs) is called once when the workers are ready and after each chunk.
    A run that raises is stored as a failed run (status, error) and the sweep goes on; a
    chunk whose task dies as a whole is left out and SweepIncomplete is raised at the end.
    On Ctrl-C the folder is left resumable and SweepInterrupted is raised.
    """
    from .store import SweepStore

    out = Path(out)
    t0 = time.perf_counter()
    rt = runtime(sweep)
    warm_up()
    failed = 0
    lost: list[tuple[int, str]] = []
    store = None
    running = False  # set once this process holds the folder and marked it running
    try:
        with executor:  # first: an unreachable scheduler fails before anything is written
            store = SweepStore.open(out, sweep, resume=resume, force=force, command=command,
                                    prepare=lambda: prepared or prepare(sweep))
            plan, unit = store.plan, store.unit
            with store.lock():
                done = store.done_chunks()
                done_runs = before = sum(plan.chunk_runs(c) for c in done)
                store.set_status("running", executor=executor.describe())
                running = True
                if progress:  # workers are up: the clock of the progress bar starts here
                    progress(done_runs, plan.runs)
                tasks = (ChunkTask(c, plan.bounds(c)[0], unit[slice(*plan.bounds(c))])
                         for c in range(plan.chunks) if c not in done)
                for task, result in executor.map_unordered(run_chunk, rt, tasks):
                    if isinstance(result, BaseException):  # the task itself died (a lost worker, ...)
                        lost.append((task.chunk, _error_text(result)))
                        continue
                    failed += sum(1 for s in result["status"] if s != "ok")
                    store.write_chunk(task.chunk, result)
                    done_runs += plan.chunk_runs(task.chunk)
                    if progress:
                        progress(done_runs, plan.runs)
    except KeyboardInterrupt:
        if not running:
            raise
        store.set_status("interrupted")
        raise SweepInterrupted(sum(plan.chunk_runs(c) for c in store.done_chunks()), plan.runs, out) from None
    except BaseException:
        if running:
            store.set_status("interrupted")
        raise
    if lost:
        store.set_status("incomplete", lost_chunks=[{"chunk": c, "error": e} for c, e in lost[:100]])
        raise SweepIncomplete(lost, done_runs, plan.runs, out)
    store.set_status("complete")
    return SweepResult(out, plan.runs, before, failed, time.perf_counter() - t0, executor.name, executor.workers,
                       resumed=before > 0)


def estimate(sweep: Sweep, plan: Plan, unit: np.ndarray, workers: int = 1) -> dict:
    """Calibrate on the first design point: runs/s, seconds and bytes for the whole sweep."""
    import io

    import pyarrow.parquet as pq

    from .store import chunk_table

    rt = runtime(sweep)
    R = min(sweep.replications, REP_BATCH)
    small = Runtime(rt.policies, rt.parameters, rt.seed, R, rt.outcome_columns, rt.common)
    run_chunk(small, ChunkTask(0, 0, unit[:1]))  # warm-up (imports, caches)
    t = time.perf_counter()
    runs = 0
    rows: dict[str, list] = {}
    for i in range(len(unit)):  # the first points, for at least half a second
        part = run_chunk(small, ChunkTask(0, i, unit[i:i + 1]))
        rows = {k: rows.get(k, []) + v for k, v in part.items()}
        runs += R * len(rt.policies)
        if time.perf_counter() - t > 0.5:
            break
    rate = runs / (time.perf_counter() - t)

    def size(n: int) -> int:
        buf = io.BytesIO()
        pq.write_table(chunk_table({k: v[:n] for k, v in rows.items()}, param_columns(sweep), rt.outcome_columns),
                       buf)
        return len(buf.getvalue())

    per_file = size(1)  # footer, schema and column metadata of one chunk file
    per_run = max(1.0, (size(runs) - per_file) / max(1, runs - 1))
    seconds = plan.runs / rate
    return {"runs": plan.runs, "rate_serial": rate, "seconds_serial": seconds,
            "seconds_parallel": seconds / max(1, workers), "workers": workers,
            "bytes": int(per_run * plan.runs + per_file * plan.chunks + 16 * unit.size + 20_000),
            "calibration_runs": runs}


# --------------------------------------------------------------------------- text for the CLI


def _human_bytes(n: float) -> str:
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} TB"  # pragma: no cover


def _human_seconds(s: float) -> str:
    if s < 90:
        return f"{s:.0f} s"
    if s < 5400:
        return f"{s / 60:.0f} min"
    return f"{s / 3600:.1f} h"


def describe(sweep: Sweep, plan: Plan) -> str:
    """What a sweep will run: policies, parameters, design and the number of runs."""
    d = sweep.spec.design
    design = {"saltelli": f"{d.samples} base samples", "morris": f"{d.samples} trajectories",
              "grid": "full grid"}.get(d.method, f"{d.samples} samples")
    lines = [f"sweep {sweep.name} ({sweep.file})",
             f"  policies:    {', '.join(p.name for p in sweep.policies)}",
             f"  parameters:  {len(sweep.parameters)} ({len(sweep.dims)} design dimensions)"]
    for p in sweep.parameters:
        s = p.spec
        rng = {"uniform": f"uniform {_short(s.low)}..{_short(s.high)}",
               "log-uniform": f"log-uniform {_short(s.low)}..{_short(s.high)}",
               "normal": f"normal mean {_short(s.mean)}, sd {_short(s.sd)}",
               "discrete": f"one of {_short(s.values)}"}[p.dist]
        size = f" (vector of {p.size})" if p.vector and p.dist != "discrete" else ""
        lines.append(f"    {p.path}: {rng}{size}")
    seeds = "common random numbers across points" if sweep.spec.common_random_numbers else "independent per point"
    lines += [f"  design:      {d.method}, {design} -> {plan.points} points",
              f"  runs:        {plan.points} points x {plan.policies} policies x {plan.replications} replications"
              f" = {plan.runs} runs, in {plan.chunks} chunks of <= {plan.points_per_chunk * plan.runs_per_point} runs",
              f"  seed:        {sweep.seed} ({seeds})"]
    return "\n".join(lines)


def estimate_text(est: dict, executor: str) -> str:
    par = "" if executor == "serial" or est["workers"] <= 1 else \
        f", about {_human_seconds(est['seconds_parallel'])} with {est['workers']} {executor} workers (ideal scaling)"
    return (f"  estimate:    {_human_seconds(est['seconds_serial'])} serial (calibrated: {est['rate_serial']:.0f} runs/s "
            f"over {est['calibration_runs']} runs on this machine){par}\n"
            f"  disk:        about {_human_bytes(est['bytes'])}")
