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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError
from scipy.special import ndtri  # Φ⁻¹, without importing all of scipy.stats

from ...errors import InputError, Problem
from ...outcomes.groups import Extra, with_groups
from ...outcomes.registry import DEFAULT_OUTCOMES, metric_problem, outcome_columns, parse
from ...scenario import Scenario, load_scenario, validate_data
from ...scenario.catalog import resolve
from ...scenario.library import SHIPPED_DIR
from ...scenario.messages import locate, problems_from
from ...scenario.paths import assign, check_path, lookup, resolve_steps, split_path
from ...scenario.yamlio import LocDict, load_located, to_plain
from .designs import SAMPLES_HELP, design_size
from .schema import MAX_POINTS, MAX_RUNS, NORMAL_CLIP, ParamSpec, SweepFile


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
        return split_path(self.path)

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

    @staticmethod
    def load(path: str | Path) -> Sweep:
        """The validated sweep file at `path` (or the shipped sweep of that name) with its scenarios
        (see load_sweep)."""
        return load_sweep(path)

    def fingerprint(self) -> str:
        """Hash of everything that determines the runs and their stored columns: the sweep
        definition, each scenario and the outcome columns (so a folder written with other
        outcome columns is not resumed into)."""
        blob = json.dumps({"sweep": self.spec.model_dump(mode="json"),
                           "scenarios": {p.name: p.scenario_hash for p in self.policies},
                           "outcome_columns": outcome_columns([p.scenario for p in self.policies])},
                          sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()

    def problem(self) -> dict:
        """SALib problem over the unit cube (parameters are mapped by their own inverse CDF)."""
        dims = self.dims
        out = {"num_vars": len(dims), "names": dims, "bounds": [[0.0, 1.0]] * len(dims)}
        if self.groups:
            out["groups"] = self.groups
        return out


def _line(tree: Any, *keys: Any) -> int:
    return locate(tree, keys)[0][1]


def shorten(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, list):
        body = ", ".join(shorten(v) for v in value[:6])
        return f"[{body}{', ...' if len(value) > 6 else ''}]"
    return repr(value) if isinstance(value, str) else str(value)


def check_param(path: str, p: ParamSpec) -> tuple[list[tuple[tuple, str]], int, bool]:
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
            out.append((("high",), f"high {shorten(bounds['high'])} must be above low {shorten(bounds['low'])}"))
        if dist == "log-uniform" and np.any(arr["low"] <= 0):
            out.append((("low",), f"got {shorten(bounds['low'])}; a log-uniform low must be > 0"))
    elif np.any(arr["sd"] <= 0):
        out.append((("sd",), f"got {shorten(bounds['sd'])}; sd must be > 0"))
    return out, size, vector


def load_sweep(path: str | Path, groups: Extra = ()) -> Sweep:
    """Load and validate a sweep file (or a shipped sweep by name: `pooling`) and the scenarios it
    names; raise InputError if bad.

    Checks: the schema (unknown keys, types, ranges), each parameter's distribution,
    the design's needs, that every `set` and parameter path names a field of every
    policy's scenario, and that the lowest and highest sampled value of each parameter
    gives a valid scenario (so out-of-range samples are reported before any run).
    `groups`: more country groups for every policy (as `outcomes.groups.with_groups`; `--group`).
    """
    path = resolve(str(path), SHIPPED_DIR / "sweeps", kind="sweep")  # a file, or a shipped sweep by name
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
        raise InputError(problems_from(exc, tree, label, SweepFile)) from None

    problems: list[Problem] = []

    def add(keys: tuple, fieldpath: str, message: str) -> None:
        problems.append(Problem(label, _line(tree, *keys), fieldpath, message))

    # parameters
    parameters: list[Parameter] = []
    for ppath, p in spec.parameters.items():
        errs, size, vector = check_param(ppath, p)
        for sub, msg in errs:
            add(("parameters", ppath, *sub), ".".join(("parameters", ppath, *sub)), msg)
        parameters.append(Parameter(ppath, p, _line(tree, "parameters", ppath), size, vector))
    # design
    d = spec.design
    if d.method != "grid" and d.samples is None:
        add(("design",), "design.samples", f"the {d.method} design needs 'samples' ({SAMPLES_HELP[d.method]})")
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
    own: dict[str, list[tuple[str, Any]]] = {}  # sweep-wide set path -> each policy's own value there
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
        ok = _own_settings(data, spec.set, overrides, name or base_sc.name, own, keys, tree, add)
        for where, sets in ((("set",), spec.set), ((*keys, "set"), overrides)):
            for spath_key, value in sets.items():
                why = check_path(data, spath_key, base_sc.name)
                if why:
                    add((*where, spath_key), ".".join((*map(str, where), spath_key)), why)
                    ok = False
                    continue
                assign(data, split_path(spath_key), to_plain(value))
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
    for skey, values in own.items():
        if any(v != values[0][1] for _, v in values[1:]):
            mine = "; ".join(f"'{n}' has {_brief(v)}" for n, v in values)
            add(("set", skey), f"set.{skey}",
                f"the policies set {skey} differently ({mine}); a sweep-wide set would override each "
                "policy's own setting (give it in each policy's set, or leave it out)")
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
    if groups:  # --group: each policy's scenario keeps the groups, so every point's runs report them
        try:
            for pol in policies:
                pol.scenario = with_groups(pol.scenario, groups)
                pol.base = pol.scenario.model_dump()
        except InputError as err:
            problems += err.problems
            raise InputError(problems) from None
    scenarios = [p.scenario for p in policies]
    known = outcome_columns(scenarios)
    for i, name in enumerate(spec.outcomes or []):
        if name not in known:
            why = metric_problem(*parse(name), scenarios)
            why = f"outcome '{name}': {why}" if why else f"'{name}' is not stored per sweep run"
            add(("outcomes", i), f"outcomes.{i}", f"{why} (sweep outcomes: {', '.join(known[:12])}, ...)")
    if problems:
        raise InputError(problems)
    return Sweep(label, spec, spec.name or path.stem, policies, parameters, path.read_text(encoding="utf-8-sig"))


def _brief(value: Any) -> str:
    if value is None:
        return "none"
    return "its own settings" if isinstance(value, dict) else shorten(value)


def _own_settings(data: dict, sweep_set: dict, overrides: dict, pname: str,
                  own: dict[str, list[tuple[str, Any]]], keys: tuple, tree: Any, add: Any) -> bool:
    """Record one policy's own value at each sweep-wide `set` path (in `own`) and report a
    sweep-wide path that the policy's own `set` also sets (or sets inside); False if any."""
    ok = True
    for skey in sweep_set:
        if check_path(data, skey, pname):
            continue  # reported where the set is applied
        sparts = resolve_steps(data, split_path(skey))
        own.setdefault(skey, []).append((pname, lookup(data, sparts)))
        for okey in overrides:
            oparts = resolve_steps(data, split_path(okey)) if not check_path(data, okey, pname) else split_path(okey)
            n = min(len(sparts), len(oparts))
            if sparts[:n] == oparts[:n]:
                add(("set", skey), f"set.{skey}",
                    f"collides with policy '{pname}''s own set {okey} (line {_line(tree, *keys, 'set', okey)}); "
                    "a sweep-wide set may not override a policy's setting (give it in each policy's set instead)")
                ok = False
    return ok


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
                                            f"{what} {shorten(value)} makes policy '{pol.name}' invalid: "
                                            f"{first.field}: {first.message}"))
                    done = True
                    break
            if done:
                break
    if problems:
        raise InputError(problems)
