"""Search files: levers, objectives, constraints and the futures to be robust over.

    scenario: ../partnership-in-action.yaml
    levers:                                    # what the decision maker sets (dotted paths)
      donors.JPN-ODA.pooled_share: {low: 0.0, high: 0.5}
      facility.strategy: [priority, needs, performance]
    objectives:                                # outcomes (registry) and a robustness measure
      sdg_index_end: {robustness: mean}
      cost_per_point_usd: {robustness: percentile, percentile: 90}
    constraints:
      - {sum: [donors.JPN-ODA.pooled_share, donors.IND-DPA.pooled_share], max: 0.6}
    futures:                                   # sampled uncertainties (Latin hypercube)
      count: 8
      parameters:
        governance.leakage_max: {low: 0.15, high: 0.45}
    replications: 2
    search: {population: 12, generations: 6}
    seed: 7

Errors are located like sweep files (FILE:LINE: field: message).
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ...errors import InputError, Problem
from ...outcomes.registry import outcome_columns, outcome_sense
from ...scenario import Ident, Scenario, Text, load_scenario, validate_data
from ...scenario.messages import locate as _locate
from ...scenario.messages import problems_from
from ...scenario.paths import assign, check_path, lookup, split_path
from ...scenario.yamlio import LocDict, load_located, to_plain
from ..sweep.schema import ParamSpec
from ..sweep.spec import Parameter, check_param
from ..sweep.spec import shorten as _short

ROBUSTNESS = ("mean", "percentile", "worst", "regret")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False, frozen=True)


class ObjectiveSpec(_Strict):
    robustness: Literal["mean", "percentile", "worst", "regret"] = "mean"
    """Across futures: the mean, a percentile, the worst value, or the largest regret against
    the scenario as written (its own lever values) in the same future."""
    percentile: Annotated[float, Field(ge=0, le=100)] | None = None
    direction: Literal["max", "min"] | None = None
    """Default: the outcome registry's direction."""


class ConstraintSpec(_Strict):
    sum: Annotated[list[str], Field(min_length=1, max_length=100)]
    """Dotted scenario paths whose values (after the levers) are added up."""
    max: float | None = None
    min: float | None = None


class FuturesSpec(_Strict):
    count: Annotated[int, Field(ge=1, le=10_000)]
    parameters: Annotated[dict[str, ParamSpec], Field(min_length=1, max_length=1000)]


class AlgorithmSpec(_Strict):
    algorithm: Literal["nsga2"] = "nsga2"
    population: Annotated[int, Field(ge=4, le=10_000)] = 20
    generations: Annotated[int, Field(ge=1, le=100_000)] = 10


class SearchFile(_Strict):
    name: Ident | None = None
    description: Text = ""
    scenario: Annotated[str, Field(min_length=1, max_length=1000)]
    set: dict[str, Any] = {}
    levers: Annotated[dict[str, ParamSpec], Field(min_length=1, max_length=1000)]
    objectives: Annotated[dict[str, ObjectiveSpec], Field(min_length=1, max_length=20)]
    constraints: list[ConstraintSpec] = []
    futures: FuturesSpec
    replications: Annotated[int, Field(ge=1, le=10_000)] = 1
    search: AlgorithmSpec = AlgorithmSpec()
    seed: Annotated[int, Field(ge=0, le=2**63 - 1)] = 0


@dataclass(frozen=True)
class Objective:
    outcome: str
    robustness: str
    percentile: float | None
    direction: int
    """+1 when a higher outcome is better (the registry's direction, or the file's `direction`)."""

    @property
    def sense(self) -> int:
        """+1 when a higher robust value is better (regret is always better lower)."""
        return -1 if self.robustness == "regret" else self.direction

    @property
    def label(self) -> str:
        r = f"p{self.percentile:g}" if self.robustness == "percentile" else self.robustness
        return f"{self.outcome} ({r})"


@dataclass
class Search:
    """A validated search file with its scenario resolved."""

    file: str
    spec: SearchFile
    name: str
    base: dict
    scenario: Scenario
    levers: list[Parameter]
    uncertainties: list[Parameter]
    objectives: list[Objective]
    text: str = ""

    @property
    def seed(self) -> int:
        return self.spec.seed

    def fingerprint(self) -> str:
        """Hash of what determines each evaluation (not the number of generations, so a
        finished search can be resumed with more evaluations)."""
        d = self.spec.model_dump(mode="json")
        d["search"].pop("generations", None)
        blob = json.dumps({"search": d, "scenario": self.scenario.content_hash()}, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()

    def constraint_values(self, data: dict) -> list[float]:
        """Each constraint as g <= 0 for scenario data with the levers applied."""
        out = []
        for c in self.spec.constraints:
            total = sum(float(lookup(data, split_path(p))) for p in c.sum)
            if c.max is not None:
                out.append(total - c.max)
            if c.min is not None:
                out.append(c.min - total)
        return out


def _tree(path: Path, label: str) -> Any:
    tree = load_located(path, label)
    if not isinstance(tree, dict):
        raise InputError([Problem(label, 1, "(root)", "expected a mapping with scenario, levers, objectives, futures")])
    for owner in (tree.get("levers"), (tree.get("futures") or {}).get("parameters")
                  if isinstance(tree.get("futures"), dict) else None):
        if isinstance(owner, dict):  # `path: [a, b]` is short for `path: {values: [a, b]}`
            for key, val in list(owner.items()):
                if isinstance(val, list):
                    short = LocDict({"values": val}, where=owner.locs.get(key, tree.where))
                    short.locs["values"] = owner.locs.get(key, tree.where)
                    owner[key] = short
    return tree


def load_search(path: str | Path) -> Search:
    """Load and validate a search file and its scenario; raise InputError with located problems."""
    path = Path(path)
    label = str(path)
    tree = _tree(path, label)
    try:
        spec = SearchFile.model_validate(to_plain(tree))
    except ValidationError as exc:
        raise InputError(problems_from(exc, tree, label, SearchFile)) from None
    problems: list[Problem] = []

    def add(keys: tuple, message: str) -> None:
        problems.append(Problem(label, _locate(tree, keys)[0][1], ".".join(map(str, keys)), message))

    def params(keys: tuple, specs: dict[str, ParamSpec], lever: bool) -> list[Parameter]:
        out = []
        for p, s in specs.items():
            errs, size, vector = check_param(p, s)
            if lever and s.distribution == "normal":
                errs.append(((), "a lever is a range (low, high) or a list of choices, not a normal distribution"))
            for sub, msg in errs:
                add((*keys, p, *sub), msg)
            out.append(Parameter(p, s, _locate(tree, (*keys, p))[0][1], size, vector))
        return out

    levers = params(("levers",), spec.levers, True)
    futures = params(("futures", "parameters"), spec.futures.parameters, False)
    for name, o in spec.objectives.items():
        if o.robustness == "percentile" and o.percentile is None:
            add(("objectives", name), "robustness: percentile needs 'percentile' (0-100)")
        if o.robustness != "percentile" and o.percentile is not None:
            add(("objectives", name, "percentile"), f"'percentile' does not apply to robustness: {o.robustness}")
    for i, c in enumerate(spec.constraints):
        if c.max is None and c.min is None:
            add(("constraints", i), "a constraint needs 'max' or 'min'")
        elif c.max is not None and c.min is not None and c.min > c.max:
            add(("constraints", i, "min"), f"min {c.min:g} is above max {c.max:g}: no policy can meet this constraint")
    for p in levers:  # a lever that is also uncertain would be overridden in every future
        for f in futures:
            if _overlap(p.parts, f.parts):
                add(("levers", p.path), f"is also an uncertain parameter of the futures ({f.path}), which would "
                                        "override the lever's value in every future; remove it from one of the two")
    spath = path.parent / spec.scenario
    if not spath.is_file():
        add(("scenario",), f"scenario file not found: {spath}")
    if problems:
        raise InputError(problems)

    base_sc = load_scenario(spath)
    data = base_sc.model_dump()
    for key, value in spec.set.items():
        why = check_path(data, key, base_sc.name)
        if why:
            add(("set", key), why)
        else:
            assign(data, split_path(key), to_plain(value))
    if problems:
        raise InputError(problems)
    try:
        sc = validate_data(copy.deepcopy(data), f"{label} ({base_sc.name})")
    except InputError as err:
        raise InputError([Problem(label, _locate(tree, ("set",))[0][1], "set", f"after 'set' the scenario is "
                                  f"invalid: {p.field}: {p.message}") for p in err.problems]) from None
    base = sc.model_dump()
    for keys, plist in ((("levers",), levers), (("futures", "parameters"), futures)):
        for p in plist:
            why = check_path(base, p.path, sc.name)
            if why:
                add((*keys, p.path), why)
    for i, c in enumerate(spec.constraints):
        for j, p in enumerate(c.sum):
            why = check_path(base, p, sc.name)
            if not why and not isinstance(lookup(base, split_path(p)), (int, float)):
                why = f"{p} is not a number in scenario '{sc.name}'"
            if why:
                add(("constraints", i, "sum", j), why)
    for i, c in enumerate(spec.constraints):
        why = _unreachable(c, base, levers)
        if why:
            add(("constraints", i), why)
    known = outcome_columns([sc])
    objectives = []
    for name, o in spec.objectives.items():
        if name not in known:
            add(("objectives", name), f"unknown outcome '{name}' (known: {', '.join(known[:8])}, ...)")
            continue
        sense = {"max": 1, "min": -1}[o.direction] if o.direction else outcome_sense(name, [sc])
        objectives.append(Objective(name, o.robustness, o.percentile, sense))
    if problems:
        raise InputError(problems)
    _check_extremes(label, tree, base, sc.name, levers, ("levers",))
    _check_extremes(label, tree, base, sc.name, futures, ("futures", "parameters"))
    return Search(label, spec, spec.name or path.stem, base, sc, levers, futures, objectives,
                  path.read_text(encoding="utf-8-sig"))


def _overlap(a: list[str], b: list[str]) -> bool:
    """True if one dotted path is the other or lies inside it (donors.X and donors.X.budget_usd)."""
    n = min(len(a), len(b))
    return a[:n] == b[:n]


def _range(path: str, base: dict, levers: list[Parameter]) -> tuple[float, float] | None:
    """The lowest and highest value scenario path `path` can take under the levers (None: unknown)."""
    for p in levers:
        if p.path == path:
            if p.vector:
                return None
            if p.dist == "discrete":
                vals = [v for v in p.spec.values if isinstance(v, (int, float)) and not isinstance(v, bool)]
                return (min(vals), max(vals)) if len(vals) == len(p.spec.values) else None
            if p.spec.low is None or p.spec.high is None:
                return None
            return float(np.min(p.spec.low)), float(np.max(p.spec.high))
        if _overlap(p.parts, path.split(".")):
            return None
    v = lookup(base, path.split("."))
    return (float(v), float(v)) if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def _unreachable(c: ConstraintSpec, base: dict, levers: list[Parameter]) -> str | None:
    """Why no lever values can meet constraint `c` (its sum's whole range lies outside it), if so."""
    ranges = [_range(p, base, levers) for p in c.sum]
    if any(r is None for r in ranges):
        return None
    lo, hi = sum(r[0] for r in ranges), sum(r[1] for r in ranges)
    if c.max is not None and lo > c.max:
        return f"the sum is at least {lo:g} for every lever value, above max {c.max:g}: no policy can meet it"
    if c.min is not None and hi < c.min:
        return f"the sum is at most {hi:g} for every lever value, below min {c.min:g}: no policy can meet it"
    return None


def _check_extremes(label: str, tree: Any, base: dict, name: str, plist: list[Parameter], keys: tuple) -> None:
    """The lowest and highest value (every value of a discrete one) of each lever or
    uncertainty must give a valid scenario, reported at its line."""
    problems = []
    for p in plist:
        units = [np.array([[u] * len(p.dims)]) for u in
                 ((np.arange(len(p.spec.values)) + 0.5) / len(p.spec.values) if p.dist == "discrete" else (0.0, 1.0))]
        for u in units:
            value = p.value(p.decode(np.clip(u, 0.001, 0.999) if p.dist == "normal" else u)[0])
            data = copy.deepcopy(base)
            assign(data, p.parts, value)
            try:
                validate_data(data, name)
            except InputError as err:
                first = err.problems[0]
                problems.append(Problem(label, _locate(tree, (*keys, p.path))[0][1], ".".join((*keys, p.path)),
                                        f"value {_short(value)} makes scenario '{name}' invalid: "
                                        f"{first.field}: {first.message}"))
                break
    if problems:
        raise InputError(problems)
