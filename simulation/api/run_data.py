"""Where a run's data is: held in memory (`InMemory`) or in the folder it streamed to (`InFolder`).

`RunResult` delegates every frame, outcome and array to one of them, so its properties never
ask which kind of run it is.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..model import RunArrays
from ..model.result import tidy
from ..outcomes.values import RunValues
from ..report.aggregates import index_per_run, read_index_per_run
from ..results.folders import read_manifest
from ..results.runs import RunInfo, read_run_result


class InMemory:
    """The data of a run held in memory: its arrays (RunArrays)."""

    def __init__(self, result: RunArrays):
        self.result = result
        self.scenario, self.seed, self.runs = result.scenario, result.seed, result.runs
        self._values: RunValues | None = None
        self.folder: Path | None = None

    @property
    def info(self) -> RunArrays:
        """What `write_run` needs of the run (its arrays)."""
        return self.result

    def run_values(self) -> RunValues:
        """Every outcome value per replication (computed once)."""
        if self._values is None:
            self._values = RunValues.of(self.result)
        return self._values

    def frame(self, name: str) -> pd.DataFrame:
        """Tidy table `name` (model.result.TABLES) built from the arrays."""
        parts = self.result.table_parts(name)
        return tidy(0, *parts) if parts is not None else self.result.indicators_frame()

    def flows(self) -> pd.DataFrame | None:
        """Return the flows kept with the arrays."""
        return self.result.flows

    def index_per_run(self) -> pd.DataFrame:
        """(N, Y) population-weighted SDG index per run and year."""
        return index_per_run(self.result)


class InFolder:
    """The data of a run streamed to a results folder.

    The data of a run written to a results folder as it ran: its per-run outcome values in
    memory, its tables in the folder (the arrays read back when first asked for).
    """

    def __init__(self, folder: Path, values: RunValues, flow_detail: str):
        self.folder = Path(folder)
        self.values = values
        self.scenario, self.seed, self.runs = values.scenario, values.seed, values.runs
        self.flow_detail = flow_detail
        self._result: RunArrays | None = None

    @property
    def result(self) -> RunArrays:
        """The arrays, read back from the folder's tables by their labels (once)."""
        if self._result is None:
            self._result = read_run_result(self.folder, read_manifest(self.folder))
        return self._result

    @property
    def info(self) -> RunInfo:
        """What `write_run` needs of the run (the tables are copied from the folder)."""
        return RunInfo(self.values.scenario, self.values.seed, self.values.runs, self.flow_detail)

    def run_values(self) -> RunValues:
        """Every outcome value per replication (kept while the run streamed)."""
        return self.values

    def frame(self, name: str) -> pd.DataFrame:
        """Tidy table `name` read from the folder."""
        path = self.folder / f"{name}.parquet"
        return pd.read_parquet(path) if path.is_file() else self.result.indicators_frame()

    def flows(self) -> pd.DataFrame | None:
        """Read the flows from the folder (None if not recorded)."""
        path = self.folder / "flows.parquet"
        return pd.read_parquet(path) if path.exists() else None

    def index_per_run(self) -> pd.DataFrame:
        """(N, Y) population-weighted SDG index per run and year, read from scores.parquet."""
        return read_index_per_run(self.folder / "scores.parquet", self.values.scenario)


__all__: list[str] = []
