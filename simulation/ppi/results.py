"""What a PPI simulation keeps: `PPIResult`, and the recorder that fills it chunk by chunk.

`keep` decides what is kept per run and per period:

* "series": PPI's six series for every run, (runs, T, rows) buffers — O(runs·T·N) memory;
* "mean": their sums over runs, streamed: each period's (chunk, rows) arrays are reduced
  as soon as they are computed, so memory is O(T·N) whatever the number of runs;
* "final": nothing per period;
* "auto" (the default of `run_ppi`): "series" while they hold at most AUTO_SERIES_CELLS
  values (a few hundred runs of a typical model: what one inspects run by run), else "mean".

Always kept, per run (runs, N): final levels, time-mean γ and success rates.

Sums over runs are identical for any chunking of the runs: consecutive blocks of
SUM_BLOCK runs (counted from the call's first run) are each summed run by run, and the
block sums are added block by block (`RunSums`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

SERIES = ("I", "C", "F", "P", "S", "G")
"""The six series of PPI's output: indicators, contributions, benefits, allocations,
spillovers, growth probabilities (I, S, G have N rows; C, F, P have n rows)."""
Keep = Literal["auto", "series", "mean", "final"]
KEEP_MODES = ("auto", "series", "mean", "final")
AUTO_SERIES_CELLS = 2**20
"""keep="auto" keeps every run's series up to this many values (8 MiB), else their means."""
SUM_BLOCK = 32
"""Runs per block of the chunking-independent sums over runs (see `RunSums`)."""


def resolve_keep(keep: str, runs: int, T: int, N: int, n: int) -> str:
    """The mode `keep` stands for: "auto" becomes "series" or "mean" by the size of the series."""
    if keep not in KEEP_MODES:
        raise ValueError(f"keep must be one of {KEEP_MODES}, got {keep!r}")
    if keep != "auto":
        return keep
    return "series" if runs * T * 3 * (N + n) <= AUTO_SERIES_CELLS else "mean"


class RunSums:
    """Per-period sums over runs of one (rows,) quantity, the same bits for any chunking.

    Runs are taken in call order in blocks of SUM_BLOCK: a block's sum adds its runs one
    after the other; the total adds the block sums one after the other (a last, partial
    block included). `add(t, v, r0)` takes the values (B, rows) of runs r0..r0+B−1 in period t.
    """

    def __init__(self, T: int, rows: int):
        from .kernels import run_sums_add  # numba: imported on first use

        self._add = run_sums_add
        self.acc = np.zeros((T, rows))  # sums of the completed blocks
        self.part = np.zeros((T, rows))  # running sum of the current, incomplete block
        self.rows = rows

    def add(self, t: int, v: np.ndarray, r0: int) -> None:
        self._add(self.acc[t], self.part[t], np.ascontiguousarray(v, dtype=float), r0, SUM_BLOCK)

    def total(self, runs: int) -> np.ndarray:
        """(T, rows) sums over all `runs` runs."""
        return self.acc + self.part if runs % SUM_BLOCK else self.acc.copy()


@dataclass
class PPIResult:
    """Runs of a PPI model. Per-run arrays have a leading run axis.

    Always present (runs, N): `I_final` (indicators in the last recorded period, PPI's
    tsI[:, -1]), `gamma_mean` (time mean of γ, what PPI's calibration compares with the
    success rates), `success_rate` (share of the T−1 recorded transitions that grew).
    keep="series": tsI, tsC, tsF, tsP, tsS, tsG as (runs, rows, T) (views of (runs, T,
    rows) buffers); keep="mean" or "series": `mean(name)` → (rows, T), mean over runs.
    `keep` is the mode used ("auto" resolved to "series" or "mean").
    """

    runs: int
    T: int
    N: int
    instrumental: np.ndarray  # (n,) indices of the instrumental indicators
    seed: int | None
    first_run: int
    compat: str
    keep: str
    I_final: np.ndarray
    gamma_mean: np.ndarray
    success_rate: np.ndarray
    _series: dict[str, np.ndarray] | None = field(default=None, repr=False)
    _means: dict[str, np.ndarray] | None = field(default=None, repr=False)

    def _ts(self, name: str) -> np.ndarray:
        if self._series is None:
            raise AttributeError(f"ts{name} was not kept: run with keep='series' (this result has keep="
                                 f"'{self.keep}'; use .mean('{name}') or .I_final / .gamma_mean)")
        return self._series[name].transpose(0, 2, 1)

    tsI = property(lambda self: self._ts("I"), doc="(runs, N, T) indicators")
    tsC = property(lambda self: self._ts("C"), doc="(runs, n, T) contributions")
    tsF = property(lambda self: self._ts("F"), doc="(runs, n, T) benefits")
    tsP = property(lambda self: self._ts("P"), doc="(runs, n, T) allocations")
    tsS = property(lambda self: self._ts("S"), doc="(runs, N, T) spillovers")
    tsG = property(lambda self: self._ts("G"), doc="(runs, N, T) growth probabilities")

    def mean(self, name: str) -> np.ndarray:
        """Mean over runs of series `name` (one of I, C, F, P, S, G): (rows, T)."""
        if name not in SERIES:
            raise KeyError(f"unknown series {name!r}; choose one of {SERIES}")
        if self._means is not None:
            return self._means[name].T / self.runs
        if self._series is not None:
            return self._ts(name).mean(axis=0)
        raise AttributeError("means were not kept: run with keep='mean' or keep='series'")

    def as_ppi(self, run: int = 0) -> tuple[np.ndarray, ...]:
        """One run in PPI's return format: (tsI, tsC, tsF, tsP, tsS, tsG), each (rows, T)."""
        return tuple(self._ts(name)[run] for name in SERIES)


class _Recorder:
    """Keeps what `keep` asks for ("series", "mean" or "final"), per chunk of runs [r0, r1).

    Values arrive in the engine's internal indicator order; `back` (original column i is
    internal column back[i], None: the same order) maps the N-row series back. S arrives
    negated (the engine keeps −S) and is turned back here: 0 − x, exact, and +0 for 0.
    """

    def __init__(self, runs: int, T: int, N: int, n: int, keep: str, back: np.ndarray | None = None):
        self.keep, self.T, self.runs, self.back = keep, T, runs, back
        rows = {"I": N, "C": n, "F": n, "P": n, "S": N, "G": N}
        self.I_final = np.empty((runs, N))
        self.gamma_mean = np.empty((runs, N))
        self.success = np.empty((runs, N))
        self.series = {k: np.empty((runs, T, r)) for k, r in rows.items()} if keep == "series" else None
        self.sums = {k: RunSums(T, r) for k, r in rows.items()} if keep == "mean" else None

    def period(self, r0: int, r1: int, t: int, **values: np.ndarray) -> None:
        if self.series is not None:
            back = self.back
            for k, v in values.items():
                dest = self.series[k][r0:r1, t]
                if back is not None and k in "ISG":
                    v = v.take(back, axis=1)
                if k == "S":
                    np.subtract(0.0, v, out=dest)
                else:
                    dest[...] = v
        elif self.sums is not None:
            for k, v in values.items():
                self.sums[k].add(t, v, r0)

    @property
    def means(self) -> dict[str, np.ndarray] | None:
        """(T, rows) sums over runs per series, in the original indicator order (keep="mean")."""
        if self.sums is None:
            return None
        out = {k: s.total(self.runs) for k, s in self.sums.items()}
        out["S"] = 0.0 - out["S"]
        if self.back is not None:
            for k in "ISG":
                out[k] = out[k][:, self.back]
        return out
