"""Portfolio files: candidate options (each a set of changes to one base scenario, with its cost) and
a budget; which combinations to simulate.

    name: pilots
    scenario: ../baseline.yaml          # the base scenario (relative to this file), or a shipped name
    budget_usd: 2.0e9                   # default budget (sdgsim portfolio --budget overrides it)
    outcome: people_gain:EG.ELC.ACCS.ZS # default outcome (--outcome overrides it)
    runs: 30                            # paired replications per portfolio
    seed: 0
    options:
      pooling:
        description: Japan and India pool 20 % of their aid
        cost_usd: 5.0e7                 # what the option costs the funder, US$ (the budget counts these)
        set: {donors.JPN-ODA.pooled_share: 0.2}

Every combination whose cost fits the budget is simulated (exhaustively: at most `MAX_OPTIONS`
options); an option's changes are applied together with the others', so interactions are
simulated, not added up. Two options that set the same field differently cannot be combined and
are reported as a located error.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import InputError, Problem
from ..scenario import Scenario, load_scenario
from ..scenario.catalog import resolve
from ..scenario.messages import locate, problems_from
from ..scenario.yamlio import load_located, to_plain

MAX_OPTIONS = 10
"""Options searched exhaustively (2^10 = 1,024 combinations at most)."""
NONE = "(none)"
"""The name of the empty portfolio: the base scenario as it is."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OptionSpec(_Strict):
    description: str = ""
    cost_usd: Annotated[float, Field(ge=0, allow_inf_nan=False)]
    """What the option costs the funder, US$: the budget counts these."""
    set: dict[str, Any] = {}
    """Changes to the base scenario by dotted path (as `--set`)."""


class PortfolioFile(_Strict):
    name: str | None = None
    description: str = ""
    scenario: Annotated[str, Field(min_length=1)]
    budget_usd: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = None
    outcome: str | None = None
    runs: Annotated[int, Field(ge=2, le=100_000)] = 30
    seed: Annotated[int, Field(ge=0)] = 0
    options: Annotated[dict[str, OptionSpec], Field(min_length=1)]


@dataclass
class Portfolio:
    """One combination of options and the scenario it makes."""

    name: str
    options: tuple[str, ...]
    cost_usd: float
    scenario: Scenario


@dataclass
class PortfolioSpec:
    """A validated portfolio file."""

    name: str
    file: str
    spec: PortfolioFile
    base: Path

    def combinations(self, budget: float) -> list[tuple[str, ...]]:
        """Every combination of options (the empty one first) whose cost fits `budget`."""
        names = list(self.spec.options)
        out = []
        for k in range(len(names) + 1):
            for combo in itertools.combinations(names, k):
                if sum(self.spec.options[o].cost_usd for o in combo) <= budget * (1 + 1e-12):
                    out.append(combo)
        return out

    def portfolio(self, combo: tuple[str, ...]) -> Portfolio:
        """The scenario of a combination: the base with every chosen option's changes."""
        sets = [f"{path}={_value(v)}" for o in combo for path, v in self.spec.options[o].set.items()]
        sc = load_scenario(self.base, sets)
        cost = sum(self.spec.options[o].cost_usd for o in combo)
        return Portfolio("+".join(combo) or NONE, combo, cost, sc)


def _value(v: Any) -> str:
    """A `set:` value as --set text (YAML flow style, so lists and booleans survive)."""
    return json.dumps(v) if not isinstance(v, str) else v


def load_portfolio(path: str | Path) -> PortfolioSpec:
    """Load and check a portfolio file: its schema, that it has at most MAX_OPTIONS options, that
    each option's changes apply to the base scenario, and that no two options set one field
    differently. Raises InputError with file, line and field."""
    path = Path(path)
    label = str(path)
    tree = load_located(path, label)
    if not isinstance(tree, dict):
        raise InputError([Problem(label, 1, "(root)", "expected a mapping with scenario, budget_usd and options")])
    try:
        spec = PortfolioFile.model_validate(to_plain(tree))
    except ValidationError as exc:
        raise InputError(problems_from(exc, tree, label, PortfolioFile)) from None
    line = lambda *keys: locate(tree, keys)[0][1]
    if len(spec.options) > MAX_OPTIONS:
        raise InputError([Problem(label, line("options"), "options", f"{len(spec.options)} options (allowed: at most "
                                  f"{MAX_OPTIONS}, searched exhaustively)")])
    base_name = spec.scenario
    candidate = (path.parent / base_name)
    base = candidate if candidate.is_file() else Path(resolve(base_name))
    problems = []
    seen: dict[str, tuple[str, Any]] = {}
    for o, opt in spec.options.items():
        for p, v in opt.set.items():
            if p in seen and seen[p][1] != v:
                problems.append(Problem(label, line("options", o, "set", p), f"options.{o}.set.{p}",
                                        f"{seen[p][0]} sets it to {v!r} differently: the two cannot be combined"))
            seen.setdefault(p, (o, v))
        try:
            load_scenario(base, [f"{p}={_value(v)}" for p, v in opt.set.items()])
        except InputError as err:
            problems += [Problem(label, line("options", o, "set"), f"options.{o}.set", f"{q.field}: {q.message}")
                         for q in err.problems]
    if problems:
        raise InputError(problems)
    return PortfolioSpec(spec.name or path.stem, str(path), spec, base)
