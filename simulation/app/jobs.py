"""Comparisons in a background process: progress through a queue, cancel by terminating it.

The page process never runs the model: a `Job` starts a spawned process that calls
`compare(...)` with a progress callback and saves the folder with `ComparisonResult.save` (an
atomic write that refuses an existing folder), then reports the folder or the problems.
Folders the app is writing are reserved, so two jobs never target the same one.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import queue
import threading
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError, Problem
from ..experiments.executors import watch_parent
from ..results.folders import remove_stale_temps

_BUSY: set[Path] = set()
_LOCK = threading.Lock()


def _work(q, files: list[str], runs: int, seed: int, out: str, parent: int) -> None:  # pragma: no cover - child
    from ..api import compare

    watch_parent(parent)  # the app killed (even with SIGKILL): stop at once, write nothing
    try:
        c = compare(files, runs=runs, seed=seed, progress=lambda n: q.put(("progress", int(n))))
        q.put(("stage", "writing the results folder and its report"))
        c.save(out, command=["sdgsim", "app"])
        q.put(("done", out))
    except InputError as err:
        q.put(("error", [str(p) for p in err.problems]))
    except Exception as err:  # an internal error: the page shows one line, the log keeps the traceback
        traceback.print_exc()
        q.put(("error", [f"internal error: {type(err).__name__}: {err}"]))


@dataclass
class Job:
    """One comparison running in its own process."""

    files: list[str]
    runs: int
    seed: int
    out: Path
    total: int = 0
    done_runs: int = 0
    stage: str = "starting"
    state: str = "running"  # running, done, failed, cancelled
    problems: list[str] = field(default_factory=list)

    def start(self) -> Job:
        with _LOCK:
            if self.out in _BUSY:
                raise InputError([Problem(str(self.out), 1, "results folder", "another run is writing this folder")])
            _BUSY.add(self.out)
        self.total = self.runs * len(self.files)
        ctx = mp.get_context("spawn")
        self._q = ctx.Queue()
        self._p = ctx.Process(target=_work, args=(self._q, self.files, self.runs, self.seed, str(self.out), os.getpid()),
                              daemon=True)
        self._p.start()
        self.stage = "running the model"
        return self

    def poll(self) -> str:
        """Read what the process reported; returns the state."""
        if self.state != "running":
            return self.state
        while True:
            try:
                kind, value = self._q.get_nowait()
            except queue.Empty:
                break
            if kind == "progress":
                self.done_runs = min(self.total, self.done_runs + value)
            elif kind == "stage":
                self.stage = value
            elif kind == "done":
                self._finish("done")
            elif kind == "error":
                self.problems = list(value)
                self._finish("failed")
        if self.state == "running" and not self._p.is_alive():
            self.problems = self.problems or [f"the run stopped unexpectedly (exit code {self._p.exitcode})"]
            self._finish("failed")
        return self.state

    def cancel(self) -> None:
        if self.state == "running":
            self._p.terminate()
            self._finish("cancelled")

    def _finish(self, state: str) -> None:
        self.state = state
        self._p.join(timeout=10)
        if state != "done":
            remove_stale_temps(self.out)
        with _LOCK:
            _BUSY.discard(self.out)

    @property
    def fraction(self) -> float:
        return self.done_runs / self.total if self.total else 0.0
