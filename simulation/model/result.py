"""What a batch of replications of the model produced: arrays with a leading replication axis."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pandas as pd

from ..scenario import Scenario
from .fiscal import FIELDS as FISCAL_FIELDS
from .ledger import ACCOUNTS
from .model import FinancingModel
from .parameters import population

TABLES = ("scores", "balance", "adoption", "indicators", "capacity", "trl", "finance", "indicator_money", "fiscal")
"""The per-replication tidy tables of a run (RunArrays.table_parts): together they hold every
array of a RunArrays, so a run read back from its tables is the run that was saved."""

TABLE_COLUMNS: dict[str, dict[str, tuple[str, int | None] | None]] = {
    "scores": {"score": ("scores", None)},
    "balance": {"amount_usd": ("balance", None)},
    "adoption": {"adoption": ("adoption", None)},
    "indicators": {"value": ("indicators", None), "people": None},  # people: derived from value
    "capacity": {"capacity": ("capacity", None)},
    "trl": {"trl": ("trl", None)},
    "finance": {"private_usd": ("private", None), "public_external_usd": ("public_external", None),
                "recipient_cost_usd": ("channel_costs", 0), "volatility_loss_usd": ("channel_costs", 1)},
    "indicator_money": {"usd_per_capita": ("indicator_money_pc", None)},
    "fiscal": {f"{name}_usd": ("fiscal", i) for i, name in enumerate(FISCAL_FIELDS)},
}
"""Each table's value columns: the RunArrays field (and index on its last axis) they hold."""


def table_axes(scenario: Scenario, name: str) -> dict[str, list]:
    """The labelled axes of table `name` (after its leading `run` column), in array order."""
    years, countries = list(scenario.years), scenario.country_ids
    techs = [k.id for k in scenario.technologies]
    return {
        "scores": {"year": years, "country": countries, "goal": scenario.goal_ids},
        "balance": {"year": years[:-1], "account": list(ACCOUNTS)},
        "adoption": {"year": years, "country": countries, "technology": techs},
        "indicators": {"year": years, "country": countries, "indicator": scenario.indicator_ids},
        "capacity": {"year": years, "country": countries},
        "trl": {"year": years, "technology": techs},
        "finance": {"year": years[:-1]},
        "indicator_money": {"year": years[:-1], "country": countries, "indicator": scenario.indicator_ids},
        "fiscal": {"year": years[:-1], "country": countries},
    }[name]


@dataclass
class RunArrays:
    """All replications of one scenario. Arrays have a leading replication axis (N)."""

    scenario: Scenario
    seed: int
    scores: np.ndarray  # (N, T+1, C, G)
    adoption: np.ndarray  # (N, T+1, C, K)
    capacity: np.ndarray  # (N, T+1, C)
    trl: np.ndarray  # (N, T+1, K)
    private: np.ndarray  # (N, T) private finance mobilised, USD
    public_external: np.ndarray  # (N, T) public external budgets, USD
    balance: np.ndarray  # (N, T, len(ACCOUNTS)) USD
    flows: pd.DataFrame | None = field(default=None, repr=False)
    indicators: np.ndarray | None = None  # (N, T+1, C, I) indicator values in natural units
    indicator_money_pc: np.ndarray | None = None  # (N, T, C, I) external US$ per capita at work on each
    channel_costs: np.ndarray | None = None  # (N, T, 2) USD of the overhead account: recipients' transaction
    # costs and volatility losses (the rest of the account is the funders' own overhead)
    fiscal: np.ndarray | None = None  # (N, T, C, 5) USD: debt service, fiscal space, debt relief, loans, grant
    # equivalent (model/fiscal.py FIELDS; the first three NaN for countries without a fiscal block)
    flow_detail: str = "none"  # what `flows` holds: "full", "yearly" or "none" (see ledger.FLOW_MODES)

    @property
    def runs(self) -> int:
        return self.scores.shape[0]

    @property
    def years(self) -> list[int]:
        return self.scenario.years

    def table_parts(self, name: str) -> tuple[dict[str, Sequence], dict[str, np.ndarray]] | None:
        """Tidy table `name` (TABLES) as its axes' labels (`table_axes`) and its value arrays
        (runs, *axes); None for a table whose arrays this run does not have (indicators when the
        scenario has none)."""
        arrays = {column: self._column(name, column) for column in TABLE_COLUMNS[name]}
        if any(a is None for a in arrays.values()) or (name in ("indicators", "indicator_money")
                                                        and not self.scenario.indicators):
            return None
        return table_axes(self.scenario, name), arrays

    def _column(self, table: str, column: str) -> np.ndarray | None:
        """The array behind one value column of a table (TABLE_COLUMNS)."""
        if table == "indicators" and column == "people":
            if self.indicators is None:
                return None
            scale = np.array([i.scale for i in self.scenario.indicators])
            return self.indicators / scale * indicator_denominators(self.scenario)[None]
        field_name, part = TABLE_COLUMNS[table][column]
        arr = getattr(self, field_name)
        return arr if arr is None or part is None else arr[..., part]

    def scores_frame(self, first_run: int = 0) -> pd.DataFrame:
        """Tidy: run, year, country, goal, score (runs numbered from `first_run`, as for every frame)."""
        return tidy(first_run, *self.table_parts("scores"))

    def balance_frame(self, first_run: int = 0) -> pd.DataFrame:
        """Tidy: run, year, account, amount_usd."""
        return tidy(first_run, *self.table_parts("balance"))

    def indicators_frame(self, first_run: int = 0) -> pd.DataFrame:
        """Tidy: run, year, country, indicator, value (natural units), people (what the value counts)."""
        parts = self.table_parts("indicators")
        if parts is None:
            return pd.DataFrame({c: [] for c in ("run", "year", "country", "indicator", "value", "people")})
        return tidy(first_run, *parts)

    def adoption_frame(self, first_run: int = 0) -> pd.DataFrame:
        """Tidy: run, year, country, technology, adoption (share 0..1)."""
        return tidy(first_run, *self.table_parts("adoption"))


def tidy_positions(runs: int, lens: list[int], axis: int | None) -> np.ndarray:
    """The row layout of a tidy table of arrays (runs, *lens) in C order: for each row, the
    position along `axis` (None: the run). `tidy` and the results layer's Arrow writer both
    gather labels with it, so their rows agree."""
    inner = math.prod(lens) if axis is None else math.prod(lens[axis + 1:])
    outer = 1 if axis is None else runs * math.prod(lens[:axis])
    return np.tile(np.repeat(np.arange(runs if axis is None else lens[axis]), inner), outer)


def tidy(first_run: int, axes: dict[str, Sequence], values: dict[str, np.ndarray]) -> pd.DataFrame:
    """A long table of arrays shaped (runs, *axes): run, one column per axis, one per value array.

    Runs are numbered from `first_run`; axis labels of text become object columns, numbers stay numbers.
    """
    n = next(iter(values.values())).shape[0]
    lens = [len(labels) for labels in axes.values()]
    cols: dict[str, np.ndarray] = {"run": np.arange(first_run, first_run + n)[tidy_positions(n, lens, None)]}
    for i, (name, labels) in enumerate(axes.items()):
        numbers = len(labels) and not isinstance(labels[0], str)  # years stay integers; ids (even none) are text
        cols[name] = np.array(labels, dtype=None if numbers else object)[tidy_positions(n, lens, i)]
    for name, arr in values.items():
        cols[name] = arr.reshape(-1)
    return pd.DataFrame(cols)


def result_arrays(m: FinancingModel) -> dict[str, np.ndarray]:
    """A finished model's history and balance with the replication axis first (RunArrays's fields)."""
    h = m.history
    out = {k: h[k].swapaxes(0, 1) for k in ("scores", "adoption", "capacity", "trl", "private", "public_external",
                                            "indicators", "indicator_money_pc", "channel_costs", "fiscal")}
    out["balance"] = m.ledger.balance.swapaxes(0, 1)
    return out


def population_paths(scenario: Scenario) -> np.ndarray:
    """(Y, C) people in each simulated year (as the model counts them: parameters.population)."""
    t = np.arange(len(scenario.years))[:, None]
    pop0 = np.array([c.population_m * 1e6 for c in scenario.countries])
    growth = np.array([c.population_growth for c in scenario.countries])
    return population(pop0, growth, t)


def indicator_denominators(scenario: Scenario) -> np.ndarray:
    """(Y, C, I) people each indicator's rate is counted over: population, or live births."""
    pop = population_paths(scenario)
    births = pop * np.array([c.birth_rate_per_1000 / 1000.0 for c in scenario.countries])
    per_births = np.array([i.denominator == "births" for i in scenario.indicators], dtype=bool)
    return np.where(per_births, births[..., None], pop[..., None])
