"""Run folders: a run's tidy tables, its summary and its manifest, written atomically.

Every table carries its dimensions as columns (run first), and the manifest holds the scenario
whose labels give each axis its order, so `read_run_result` places every value by its labels.

Layout: manifest.json, scores.parquet (run, year, country, goal, score), flows.parquet
(flows "full": run, year, source, recipient, goal, instrument, amount_usd; flows "yearly":
year, source, recipient, goal, instrument, amount_usd summed over the `runs` replications;
absent for "none"; the four labels dictionary-encoded), balance.parquet (run, year,
account, amount_usd), adoption.parquet (run, year, country, technology, adoption),
capacity.parquet (run, year, country, capacity), trl.parquet (run, year, technology, trl),
finance.parquet (run, year, private_usd, public_external_usd, recipient_cost_usd,
volatility_loss_usd), and if the scenario has indicators indicators.parquet (run, year,
country, indicator, value, people) and indicator_money.parquet (run, year, country,
indicator, usd_per_capita), fiscal.parquet (run, year, country, debt_service_usd,
fiscal_space_usd, debt_relief_usd, loans_usd, grant_equivalent_usd), summary.csv.

`write_run` writes a finished in-memory run. `RunWriter` writes the per-replication tables
batch by batch while a run goes on (one Parquet row group per batch; the experiments layer
feeds it in replication order), and `finish_run` then adds the rest.
"""

from __future__ import annotations

import json
import math
import shutil
import sys
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .._version import __version__
from ..errors import Problem, ResultsError
from ..model import RunArrays
from ..model.ledger import LABELS, FullFlows
from ..model.result import TABLE_COLUMNS, TABLES, table_axes, tidy, tidy_positions
from ..scenario import validate_data
from .folders import atomic_folder, versions

FLOW_DETAIL = {
    "full": "every flow of every replication (run, year, source, recipient, goal, instrument)",
    "yearly": "each (year, source, recipient, goal, instrument) flow summed over the replications (column runs)",
    "none": "flows not recorded",
}


@dataclass
class RunInfo:
    """What a manifest says of a run whose arrays were not kept (streamed to a folder):
    the same attributes as a RunArrays's that `finish_run` reads."""

    scenario: object
    seed: int
    runs: int
    flow_detail: str
    flows: pd.DataFrame | None = None


def tidy_arrow(first_run: int, axes: dict, values: dict[str, np.ndarray], schema: pa.Schema) -> pa.Table:
    """The Arrow table of `model.result.tidy(first_run, axes, values)` with `schema` (taken from
    the first batch's pandas conversion, so the file and what pandas reads back are the same),
    built from the arrays without pandas: text labels gathered by integer codes in Arrow."""
    n = next(iter(values.values())).shape[0]
    lens = [len(labels) for labels in axes.values()]
    if 0 in lens:  # no rows (adoption without technologies): the first batch's schema has null-typed labels
        return schema.empty_table()
    cols = [pa.array(first_run + tidy_positions(n, lens, None), schema.field("run").type)]
    for i, (name, labels) in enumerate(axes.items()):
        typ = schema.field(name).type  # null: the first batch had no rows (an empty axis, e.g. no technologies)
        where = pa.array(tidy_positions(n, lens, i))
        cols.append(pa.nulls(len(where)) if pa.types.is_null(typ) else pa.array(list(labels), typ).take(where))
    cols += [pa.array(arr.reshape(-1), schema.field(name).type) for name, arr in values.items()]
    return pa.Table.from_arrays(cols, schema=schema)


def manifest(result, *, scenario_file: str | None, sets: list[str], started: datetime,
             command: list[str] | None = None, extra: dict | None = None) -> dict:
    sc = result.scenario
    return {
        "sdgsim_version": __version__,
        "kind": "run",
        "scenario_name": sc.name,
        "scenario_file": scenario_file,
        "scenario_hash": sc.content_hash(),
        "overrides": list(sets),
        "seed": result.seed,
        "runs": result.runs,
        "seeding": "numpy.random.SeedSequence(seed).spawn(runs)[i] for replication i",
        "flows": result.flow_detail,
        "flows_meaning": FLOW_DETAIL.get(result.flow_detail, ""),
        "started": started.isoformat(timespec="seconds"),
        "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": command if command is not None else sys.argv,
        "versions": versions(),
        "scenario": sc.model_dump(mode="json"),
        **(extra or {}),
    }


class RunWriter:
    """Streams a run's per-replication tables into `folder`, one Parquet row group per batch
    (full flows: row groups of about 2^20 rows).

    Call it as sink(start, part) with the batches in replication order (part: the batch's
    RunArrays arrays and, for full flows, its FullFlows); close it (or use `with`).

    The tables are built in the caller's thread (full flows' rows on the writer thread) and
    written to disk by one writer thread, in the order given, while the caller goes on with
    the next batch (NumPy's and Arrow's work releases the GIL): at most `PENDING` writes
    wait, so memory stays bounded. A failed write raises in the caller at its next call or at
    close.
    """

    PENDING = 2

    def __init__(self, folder: Path, result_scenario, flow_detail: str):
        self.folder = Path(folder)
        self.scenario = result_scenario
        self.flow_detail = flow_detail
        self.writers: dict[str, tuple[pq.ParquetWriter, pa.Schema]] = {}
        self._thread: ThreadPoolExecutor | None = None  # started by the first write, ended by close
        self._pending: deque[Future] = deque()

    def __enter__(self) -> RunWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _submit(self, fn, *args) -> None:
        """Run fn(*args) on the writer thread, after what was queued before."""
        if self._thread is None:
            self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sdgsim-writer")
        self._pending.append(self._thread.submit(fn, *args))
        while self._pending and (len(self._pending) > self.PENDING or self._pending[0].done()):
            self._pending.popleft().result()

    def _write(self, name: str, table: pa.Table) -> None:
        """Queue `table` for `name`.parquet (opened by its first table)."""
        if name not in self.writers:
            self.writers[name] = (pq.ParquetWriter(self.folder / f"{name}.parquet", table.schema), table.schema)
        self._submit(self.writers[name][0].write_table, table)

    def __call__(self, start: int, part: dict) -> None:
        arrays = {k: v for k, v in part.items() if k != "flows"}
        batch = RunArrays(scenario=self.scenario, seed=0, **arrays)
        for name in TABLES:
            parts = batch.table_parts(name)
            if parts is None:
                continue
            if name in self.writers:  # later batches: straight from the arrays (a third of a run's time in pandas)
                table = tidy_arrow(start, *parts, self.writers[name][1])
            else:
                table = pa.Table.from_pandas(tidy(start, *parts), preserve_index=False)
            self._write(name, table)
        if self.flow_detail == "full":
            self._submit(self._write_flows, part["flows"])

    def _write_flows(self, flows: FullFlows) -> None:
        """On the writer thread: a batch's full flows, a few replications at a time (row groups
        of about 2^20 rows, a replication never split), straight from NumPy to Arrow: labels as
        dictionary arrays over their codes; Parquet dictionary encoding for the labels, run and
        year; statistics for run and year only (those of a dictionary column cost as much as
        writing it). Making the rows here too leaves the caller only the simulation."""
        labels = {name: pa.array(flows.categories[name], pa.string()) for name in LABELS}
        for rows in flows.chunks():
            table = pa.table({name: pa.DictionaryArray.from_arrays(pa.array(col), labels[name], safe=False)
                              if name in LABELS else pa.array(col) for name, col in rows.items()})
            if "flows" not in self.writers:
                writer = pq.ParquetWriter(self.folder / "flows.parquet", table.schema,
                                          use_dictionary=["run", "year", *LABELS], write_statistics=["run", "year"])
                self.writers["flows"] = (writer, table.schema)
            self.writers["flows"][0].write_table(table)

    def close(self) -> None:
        """Wait for the queued writes, then close the files (the first failed write raises)."""
        try:
            while self._pending:
                self._pending.popleft().result()
        finally:
            self._pending.clear()
            if self._thread is not None:
                self._thread.shutdown(wait=True)
                self._thread = None
            for writer, _ in self.writers.values():
                writer.close()
            self.writers = {}


def write_tables(result, folder: Path) -> None:
    """A finished in-memory run's per-replication tables (TABLES)."""
    for name in TABLES:
        parts = result.table_parts(name)
        if parts is not None:
            tidy(0, *parts).to_parquet(folder / f"{name}.parquet", index=False)


def finish_run(result, summary: pd.DataFrame, folder: Path, *, scenario_file: str | None, sets: list[str],
               started: datetime, command: list[str] | None = None, flows_file: Path | None = None) -> None:
    """Flows (from memory, or copied from `flows_file`), summary.csv and manifest.json."""
    if result.flows is not None:
        result.flows.to_parquet(folder / "flows.parquet", index=False)
    elif flows_file is not None and Path(flows_file).exists() and flows_file != folder / "flows.parquet":
        shutil.copyfile(flows_file, folder / "flows.parquet")
    summary.to_csv(folder / "summary.csv", index=False, float_format="%.6g")
    man = manifest(result, scenario_file=scenario_file, sets=sets, started=started, command=command)
    (folder / "manifest.json").write_text(json.dumps(man, indent=2, sort_keys=False))


def copy_tables(source: Path, folder: Path) -> None:
    """A streamed run's per-replication tables, copied from its folder (never read into memory)."""
    for name in TABLES:
        if (Path(source) / f"{name}.parquet").is_file():
            shutil.copyfile(Path(source) / f"{name}.parquet", folder / f"{name}.parquet")


def write_run(result, summary: pd.DataFrame, out: str | Path, *, force: bool, scenario_file: str | None,
              sets: list[str], started: datetime, command: list[str] | None = None,
              flows_file: Path | None = None, tables_from: Path | None = None) -> Path:
    """Write a run's results folder atomically and return its path. `result`: a RunArrays, or
    a RunInfo with `tables_from` the folder whose tables are copied."""
    out = Path(out)
    with atomic_folder(out, force) as tmp:
        if tables_from is not None:
            copy_tables(tables_from, tmp)
        else:
            write_tables(result, tmp)
        finish_run(result, summary, tmp, scenario_file=scenario_file, sets=sets, started=started,
                   command=command, flows_file=flows_file)
    return out


def untidy(frame: pd.DataFrame, runs: int, axes: dict[str, list], column: str, where: str) -> np.ndarray:
    """The array (runs, *axes) of one value column of a tidy table, placed by the labels of its
    `run` and axis columns (not by row order); a label the axes do not have, or a missing or
    repeated cell, is a ResultsError naming the file."""
    shape = (runs, *(len(labels) for labels in axes.values()))
    index = [frame["run"].to_numpy()]
    for name, labels in axes.items():
        index.append(pd.Index(labels).get_indexer(pd.Index(frame[name].astype(object if labels and isinstance(
            labels[0], str) else "int64"))))
    bad = [name for name, ix, n in zip(["run", *axes], index, shape) if len(ix) and (ix.min() < 0 or ix.max() >= n)]
    flat = np.ravel_multi_index(tuple(index), shape) if not bad else np.zeros(0, int)
    if bad or len(frame) != math.prod(shape) or len(np.unique(flat)) != len(flat):
        why = (f"labels of {', '.join(bad)} the manifest's scenario does not have" if bad
               else f"{len(frame)} rows for {math.prod(shape)} cells (runs × {' × '.join(axes)})")
        raise ResultsError([Problem(where, 1, column, f"table does not match the run's dimensions ({why}); "
                                                      "re-create the folder with the command in its manifest.json")])
    out = np.full(math.prod(shape), np.nan)
    out[flat] = frame[column].to_numpy(dtype=float)
    return out.reshape(shape)


def read_run_result(folder: Path, man: dict) -> RunArrays:
    """A run folder's tables read back into the RunArrays that was saved: each table's rows
    placed by their labels (run, year, country, goal, ...) on the axes of the manifest's
    scenario. A table missing from an older folder leaves its arrays NaN (capacity, TRL,
    finance) or None (indicators)."""
    sc = validate_data(man["scenario"], str(folder / "manifest.json"))
    runs = int(man["runs"])
    arrays: dict[str, np.ndarray | None] = {}
    for name in TABLES:
        path = folder / f"{name}.parquet"
        if not path.is_file():
            continue
        frame = pd.read_parquet(path)
        axes = table_axes(sc, name)
        for column, target in TABLE_COLUMNS[name].items():
            if target is None:
                continue
            field_name, part = target
            values = untidy(frame, runs, axes, column, str(path))
            if part is None:
                arrays[field_name] = values
            else:
                parts = sum(1 for t in TABLE_COLUMNS[name].values() if t is not None and t[0] == field_name)
                arrays.setdefault(field_name, np.full(values.shape + (parts,), np.nan))[..., part] = values
    Y, C, K = len(sc.years), len(sc.countries), len(sc.technologies)
    missing = {"capacity": (runs, Y, C), "trl": (runs, Y, K), "private": (runs, Y - 1),
               "public_external": (runs, Y - 1), "channel_costs": (runs, Y - 1, 2),
               "fiscal": (runs, Y - 1, C, len(TABLE_COLUMNS["fiscal"]))}
    for field_name, shape in missing.items():
        arrays.setdefault(field_name, np.full(shape, np.nan))
    if not sc.indicators:  # the model keeps (runs, years, countries, 0) arrays; no table holds them
        arrays.update(indicators=np.zeros((runs, Y, C, 0)), indicator_money_pc=np.zeros((runs, Y - 1, C, 0)))
    flows = pd.read_parquet(folder / "flows.parquet") if (folder / "flows.parquet").exists() else None
    return RunArrays(scenario=sc, seed=man["seed"], flows=flows,
                     flow_detail=man.get("flows", "none" if flows is None else "full"), **arrays)


def money_flows(folder: Path, mode: str, yearly: pd.DataFrame | None) -> pd.DataFrame | None:
    """What a comparison's attribution needs of a streamed run's flows: every run's (run, source,
    recipient, amount_usd) from its flows.parquet (flows "full"), the yearly sums, or None."""
    if mode == "full":
        path = folder / "flows.parquet"
        return pd.read_parquet(path, columns=["run", "source", "recipient", "amount_usd"]) if path.is_file() else None
    return yearly
