"""What the report's plots need from a run's per-replication tables, reduced while reading.

scores.parquet and adoption.parquet hold a row per (run, year, country, goal or
technology): tens of millions of rows for a 10^5-run run. The plots need far less: the
SDG index per run and year (runs x years numbers, for the fan charts and their paired
differences; the population-weighted index of the outcome registry, `sdg_index_end`'s
all-countries value), the mean score per country and goal in the first and last year (the gains
heat map), the mean adoption per technology and year, and the money flows summed per
(year, source, recipient, goal, instrument). `read_run_tables` computes these by reading
the tables batch by batch with pyarrow, so a report needs one batch plus runs x years
numbers of memory whatever the number of runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..outcomes import metrics
from ..scenario import Scenario

BATCH_ROWS = 1 << 18
"""Rows read at a time (whole row groups adding up to about this many; ~10 MB of a scores table)."""

FLOW_KEYS = ["year", "source", "recipient", "goal", "instrument"]


@dataclass
class RunTables:
    """A run folder's tables, reduced for the report (see the module docstring).

    `index`: runs x years, the population-weighted SDG index of each run and year (the
    registry's all-countries `sdg_index_*`); `gains`: country x goal, mean score at the last year minus the first
    (countries in table order, goals sorted); `adoption`: technology x year mean adoption
    (share; technologies in table order), None without adoption.parquet; `flows`: yearly
    flows (year, source, recipient, goal, instrument, amount_usd summed over the runs, runs),
    full flows summed the same way, None without flows.parquet.
    """

    index: pd.DataFrame
    gains: pd.DataFrame
    adoption: pd.DataFrame | None
    flows: pd.DataFrame | None


TEXT = ["country", "goal", "technology", "source", "recipient", "instrument"]


def _batches(path: Path, columns: list[str]):
    """The table in pieces of whole row groups, about BATCH_ROWS rows each (a streamed run has a
    row group per batch; an in-memory save up to 2^20 rows per group). Reading whole row
    groups keeps Arrow's memory to the piece: `iter_batches` held 137 MB for a 30,000-run
    scores table, this 19 MB."""
    pf = pq.ParquetFile(path, read_dictionary=[c for c in columns if c in TEXT])
    try:
        meta = pf.metadata
        group: list[int] = []
        rows = 0
        for i in range(meta.num_row_groups):
            group.append(i)
            rows += meta.row_group(i).num_rows
            if rows >= BATCH_ROWS or i == meta.num_row_groups - 1:
                yield pf.read_row_groups(group, columns=columns, use_threads=False)
                group, rows = [], 0
    finally:
        pf.close()
        pa.default_memory_pool().release_unused()  # Arrow's allocator keeps freed pages otherwise


class _RunYearSums:
    """Sums and counts of values by (run, year), on a grid that grows as runs and years appear."""

    def __init__(self, runs_hint: int = 0):
        self.sums = self.counts = None
        self.year0 = 0
        self.hint = runs_hint

    def _fit(self, r_hi: int, y_lo: int, y_hi: int) -> None:
        if self.sums is None:
            self.year0 = y_lo
            shape = (max(r_hi + 1, self.hint), y_hi - y_lo + 1)
            self.sums, self.counts = np.zeros(shape), np.zeros(shape, dtype=np.int64)
            return
        rows, cols = self.sums.shape
        front = max(0, self.year0 - y_lo)
        back = max(0, y_hi - (self.year0 + cols - 1))
        more = 0 if r_hi < rows else max(r_hi + 1, 2 * rows) - rows
        if front or back or more:
            pad = ((0, more), (front, back))
            self.sums, self.counts = np.pad(self.sums, pad), np.pad(self.counts, pad)
            self.year0 -= front

    def add(self, run: np.ndarray, year: np.ndarray, value: np.ndarray) -> None:
        if not len(run):
            return
        self._fit(int(run.max()), int(year.min()), int(year.max()))
        cols = self.sums.shape[1]
        flat = run.astype(np.int64) * cols + (year.astype(np.int64) - self.year0)
        lo, hi = int(flat.min()), int(flat.max()) + 1
        self.sums.reshape(-1)[lo:hi] += np.bincount(flat - lo, weights=value, minlength=hi - lo)
        self.counts.reshape(-1)[lo:hi] += np.bincount(flat - lo, minlength=hi - lo)

    def means(self) -> pd.DataFrame:
        """runs x years of the means (runs and years that have values only)."""
        if self.sums is None:
            return pd.DataFrame()
        rows = np.flatnonzero(self.counts.any(axis=1))
        cols = np.flatnonzero(self.counts.any(axis=0))
        c = self.counts[np.ix_(rows, cols)]
        m = np.where(c > 0, self.sums[np.ix_(rows, cols)] / np.maximum(c, 1), np.nan)
        return pd.DataFrame(m, index=pd.Index(rows, name="run"), columns=pd.Index(cols + self.year0, name="year"))


class _GroupSums:
    """Sums and counts of a value by a few label columns, added batch by batch; labels kept in
    order of first appearance."""

    def __init__(self, keys: list[str]):
        self.keys = keys
        self.total: pd.DataFrame | None = None
        self.seen: dict[str, dict] = {k: {} for k in keys}

    def add(self, frame: pd.DataFrame, value: str) -> None:
        for k in self.keys:
            for label in pd.unique(frame[k]):
                self.seen[k].setdefault(label, None)
        part = frame.groupby(self.keys, observed=True)[value].agg(["sum", "count"])
        part.index = pd.MultiIndex.from_arrays([_plain(part.index.get_level_values(k)) for k in self.keys])
        self.total = part if self.total is None else self.total.add(part, fill_value=0)

    def order(self, key: str) -> list:
        """Labels of `key` in order of first appearance."""
        return list(self.seen[key])


def _plain(labels: pd.Index) -> pd.Index:
    """Labels without categories (batches' categories differ), named as before."""
    return labels.astype(object) if isinstance(labels, pd.CategoricalIndex) else labels


def _frame(batch: pa.Table) -> pd.DataFrame:
    """A batch as pandas with text as categoricals."""
    frame = batch.to_pandas()
    for col in frame.columns:
        if not pd.api.types.is_numeric_dtype(frame[col]) and not isinstance(frame[col].dtype, pd.CategoricalDtype):
            frame[col] = frame[col].astype("category")
    return frame


def read_index_per_run(path: Path, scenario: Scenario, runs_hint: int = 0) -> pd.DataFrame:
    """runs x years: the population-weighted SDG index per run and year (as the outcome
    registry's all-countries `sdg_index_*`), from a scores.parquet read batch by batch."""
    return _read_scores(path, scenario, runs_hint)[0]


def index_weights(scenario: Scenario) -> np.ndarray:
    """(Y, C) what each score row is multiplied by so that the plain mean of a (run, year)'s
    rows is the population-weighted SDG index: C · population share of the country that year
    (the mean over a country's G goal rows is its index; the weights of the C countries sum to C)."""
    pop = metrics.population_paths(scenario)
    return len(scenario.countries) * pop / pop.sum(axis=1, keepdims=True)


def _read_scores(path: Path, scenario: Scenario, runs_hint: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    index = _RunYearSums(runs_hint)
    cells = _GroupSums(["year", "country", "goal"])
    weights = index_weights(scenario)
    years = np.asarray(scenario.years)
    for batch in _batches(path, ["run", "year", "country", "goal", "score"]):
        run = batch.column("run").to_numpy()
        year = batch.column("year").to_numpy()
        score = batch.column("score").to_numpy()
        frame = _frame(batch.select(["year", "country", "goal", "score"]))
        country = pd.Index(scenario.country_ids).get_indexer(frame.country.cat.categories)[frame.country.cat.codes]
        index.add(run, year, score * weights[np.searchsorted(years, year), country])
        cells.add(frame, "score")
    if cells.total is None:
        return index.means(), pd.DataFrame()
    mean = cells.total["sum"] / cells.total["count"]
    years = mean.index.get_level_values("year")
    first = mean[years == years.min()].droplevel("year").unstack("goal")
    last = mean[years == years.max()].droplevel("year").unstack("goal")
    gains = (last - first)
    gains = gains.reindex(index=[c for c in cells.order("country") if c in gains.index],
                          columns=sorted(gains.columns))
    gains.index.name, gains.columns.name = "country", "goal"
    return index.means(), gains


def _read_adoption(path: Path) -> pd.DataFrame:
    sums = _GroupSums(["technology", "year"])
    for batch in _batches(path, ["year", "technology", "adoption"]):
        sums.add(_frame(batch), "adoption")
    if sums.total is None:
        return pd.DataFrame()
    mean = (sums.total["sum"] / sums.total["count"]).unstack("year")
    return mean.reindex(index=sums.order("technology"))


def _read_flows(path: Path) -> pd.DataFrame:
    """Yearly flows as stored, or full flows summed over the runs into the same form."""
    names = pq.ParquetFile(path).schema_arrow.names
    if "run" not in names:
        return pd.read_parquet(path)
    total: pd.DataFrame | None = None
    runs: set[int] = set()
    categories: dict[str, dict] = {k: {} for k in FLOW_KEYS[1:]}
    for batch in _batches(path, ["run", *FLOW_KEYS, "amount_usd"]):
        frame = _frame(batch)
        runs.update(np.unique(frame.run.to_numpy()).tolist())
        part = frame.groupby(FLOW_KEYS, observed=True).amount_usd.sum().reset_index()
        for k in FLOW_KEYS[1:]:
            categories[k].update(dict.fromkeys(frame[k].cat.categories))
            part[k] = part[k].astype(object)
        total = part if total is None else \
            pd.concat([total, part]).groupby(FLOW_KEYS, sort=False).amount_usd.sum().reset_index()
    if total is None:
        return pd.DataFrame(columns=[*FLOW_KEYS, "amount_usd", "runs"])
    for k in FLOW_KEYS[1:]:  # the file's categories, in its order (the plots' stacking and legend follow it)
        total[k] = pd.Categorical(total[k], categories=list(categories[k]))
    total["runs"] = len(runs)
    return total


def read_run_tables(folder: Path, scenario: Scenario, runs_hint: int = 0) -> RunTables:
    """A run folder's scores, adoption and flows reduced for the report (`RunTables`);
    `scenario`: the one its manifest records (for the index's population weights)."""
    folder = Path(folder)
    index, gains = _read_scores(folder / "scores.parquet", scenario, runs_hint)
    adoption = _read_adoption(folder / "adoption.parquet") if (folder / "adoption.parquet").exists() else None
    flows = _read_flows(folder / "flows.parquet") if (folder / "flows.parquet").exists() else None
    return RunTables(index, gains, adoption, flows)


def index_per_run(result) -> pd.DataFrame:
    """runs x years population-weighted SDG index of a run held in memory (the model's RunArrays):
    the outcome registry's own values (`metrics.per_run(...)["overall_weighted"]`)."""
    weighted = metrics.per_run(result)["overall_weighted"]
    return pd.DataFrame(weighted, index=pd.Index(np.arange(len(weighted)), name="run"),
                        columns=pd.Index(list(result.years), name="year"))
