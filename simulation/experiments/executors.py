"""Executors: one interface to run sweep chunks serially, in local processes, or on Dask.

    with make_executor("process", workers=2) as ex:
        for task, result in ex.map_unordered(fn, shared, tasks):
            ...   # result is fn(shared, task), or the exception that task raised

Results arrive in completion order (the caller stores them by task id). Only a bounded
number of tasks is in flight at once (2 per worker), so memory stays flat however many
tasks there are. The function must be a module-level function (picklable); `shared` is
passed to every call. Every executor gives the same results, because each task
derives its own random streams from its own ids (sweep.run_seeds).

On Ctrl-C the caller's KeyboardInterrupt propagates out of `map_unordered`; leaving the
`with` block then stops the workers (pending tasks are cancelled, running ones killed).
"""

from __future__ import annotations

import importlib
import logging
import os
import signal
import sys
import threading
import time
from abc import ABC, abstractmethod
from contextlib import contextmanager
from typing import Any, Callable, Iterable, Iterator

from .._version import __version__
from ..errors import OptionError, Problem
from ..extras import require
from .sweep import chunks as _chunks  # noqa: F401 - Dask workers import the engine with this module

EXECUTORS = ("serial", "process", "dask")


class ExecutorBroken(RuntimeError):
    """The pool itself died (e.g. a worker process was killed); the sweep stops, resumable."""


class Executor(ABC):
    """Runs `fn(shared, task)` for each task; see the module docstring."""

    name = "executor"

    def __init__(self, workers: int = 1):
        self.workers = max(1, int(workers))

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:  # noqa: B027 - optional hook
        pass

    def describe(self) -> dict:
        return {"name": self.name, "workers": self.workers}

    @abstractmethod
    def map_unordered(self, fn: Callable, shared: Any, tasks: Iterable) -> Iterator[tuple[Any, Any]]:
        """Yield (task, result or exception) as tasks finish."""


class SerialExecutor(Executor):
    """Runs tasks one after another in this process (debugging, small sweeps, baselines)."""

    name = "serial"

    def map_unordered(self, fn, shared, tasks):
        for task in tasks:
            try:
                result = fn(shared, task)
            except Exception as exc:  # noqa: BLE001 - reported per task
                result = exc
            yield task, result


def _watch_parent(parent: int, every: float = 0.2) -> None:
    """Worker thread: exit at once when the driver is gone (killed with SIGKILL, so it could
    not stop its workers): the worker is then re-parented and getppid() changes."""
    while os.getppid() == parent:
        time.sleep(every)
    os._exit(1)


def watch_parent(parent: int) -> None:
    """In a child process: exit as soon as process `parent` is gone (a thread polls getppid;
    used by the workers here and by the app's comparison process)."""
    threading.Thread(target=_watch_parent, args=(parent,), name="sdgsim-parent-watch", daemon=True).start()


def _init_worker(parent: int | None = None) -> None:
    """Worker initializer: Ctrl-C goes to the driver only, which stops the workers itself;
    a worker exits when its driver dies (_watch_parent); one BLAS thread per worker (the
    model's matrices are small: more threads per worker only contend with the other
    workers, as Dask's workers also set)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if parent is not None:
        watch_parent(parent)
    _limit_blas()


def _limit_blas() -> None:
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:  # pragma: no cover - optional
        pass


@contextmanager
def _sigint_ignored() -> Iterator[None]:
    """Ignore SIGINT while starting child processes (an ignored signal stays ignored across
    exec, and Python then installs no KeyboardInterrupt handler), then restore it."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old)


@contextmanager
def _sigint_deferred() -> Iterator[None]:
    """Hold back Ctrl-C while forking workers: a KeyboardInterrupt raised inside fork's
    handlers is printed as 'Exception ignored' and lost, so the run would go on. Blocked,
    the signal is delivered when this block ends (workers ignore SIGINT anyway)."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "pthread_sigmask"):
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


class ProcessExecutor(Executor):
    """Local worker processes (concurrent.futures), one task per worker at a time."""

    name = "process"

    def __init__(self, workers: int | None = None):
        super().__init__(workers or os.cpu_count() or 1)
        self.pool = None

    def __enter__(self) -> ProcessExecutor:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        # fork where there is one: workers start at once with the modules already imported,
        # and the caller's __main__ is not re-imported (mesa.batchrunner forces 'spawn'
        # globally on import, which would).
        methods = multiprocessing.get_all_start_methods()
        ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        self.pool = ProcessPoolExecutor(max_workers=self.workers, initializer=_init_worker, initargs=(os.getpid(),),
                                        mp_context=ctx)
        return self

    def close(self) -> None:
        pool, self.pool = self.pool, None
        if pool is None:
            return
        procs = list((getattr(pool, "_processes", None) or {}).values())  # to stop running tasks at once
        manager = getattr(pool, "_executor_manager_thread", None)
        results, calls = getattr(pool, "_result_queue", None), getattr(pool, "_call_queue", None)
        pool.shutdown(wait=False, cancel_futures=True)
        for p in procs:
            if p.is_alive():
                p.terminate()
        for p in procs:
            p.join(timeout=5)
            if p.is_alive():
                p.kill()
                p.join(timeout=5)
        if manager is not None and manager.ident is not None:  # started
            manager.join(timeout=1)
        if manager is not None and manager.ident is not None and manager.is_alive() and results is not None:
            # A worker stopped while sending a result leaves half a message in the result
            # pipe, and the pool's manager thread waits for the rest forever (and the
            # interpreter's exit waits for that thread). Every worker is gone: closing our
            # copy of the pipe's write end ends that wait (EOF), and the thread cleans up.
            if calls is not None:
                calls.cancel_join_thread()
            results._writer.close()
            manager.join(timeout=5)

    def map_unordered(self, fn, shared, tasks):
        from concurrent.futures import FIRST_COMPLETED, wait
        from concurrent.futures.process import BrokenProcessPool

        if self.pool is None:
            raise RuntimeError("use the executor in a with-block")
        it = iter(tasks)
        running: dict = {}

        def fill() -> None:
            while len(running) < 2 * self.workers:
                task = next(it, None)
                if task is None:
                    return
                running[self.pool.submit(fn, shared, task)] = task

        with _sigint_deferred():  # the first tasks fork the workers
            fill()
        while running:
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for fut in finished:
                task = running.pop(fut)
                try:
                    result = fut.result()
                except BrokenProcessPool as exc:
                    raise ExecutorBroken(f"a worker process died ({exc}); finished chunks are saved") from None
                except Exception as exc:  # noqa: BLE001 - reported per task
                    result = exc
                yield task, result
            fill()


WORKER_WAIT_S = 120.0
"""How long a sweep waits for the first worker of a scheduler that has none yet (a cluster whose
scheduler has just started, its workers still starting or queued), in seconds, before it stops."""


class DaskExecutor(Executor):
    """Dask distributed: a running scheduler (`address`), or a LocalCluster of `workers`
    single-threaded worker processes on the loopback interface. `worker_wait`: seconds to wait
    for a scheduler's first worker."""

    name = "dask"

    def __init__(self, workers: int | None = None, address: str | None = None, worker_wait: float = WORKER_WAIT_S):
        require("dask")  # here, so a sweep stops before it makes its folder
        super().__init__(workers or os.cpu_count() or 1)
        self.address = address
        self.worker_wait = worker_wait
        self.client = None
        self.cluster = None

    def __enter__(self) -> DaskExecutor:
        require("dask")
        import dask
        from dask.distributed import Client, LocalCluster

        if self.address:
            try:
                self.client = Client(self.address, timeout="20s")
            except (OSError, TimeoutError) as exc:
                raise OptionError([Problem("scheduler", 1, self.address,
                                          f"cannot reach the Dask scheduler ({exc})")]) from None
            except (ValueError, TypeError) as exc:  # not an address at all ('x;y')
                raise OptionError([Problem("scheduler", 1, self.address,
                                          f"not a Dask scheduler address ({exc}; allowed: e.g. "
                                          "tcp://10.0.0.5:8786)")]) from None
        else:
            # On Linux the local workers are forked from this process, which has the engine imported
            # already: starting two of them takes about 0.5 s instead of 3.5 s with fresh interpreters,
            # which for a 10^4-run sweep is as long as the sweep itself (docs/performance.md). No
            # dashboard (nobody is shown its address; importing Bokeh for it took 0.65-0.85 s, most of
            # the start) and no statistical profiler sampling the workers every 10 ms (only the
            # dashboard shows it).
            method = "fork" if sys.platform == "linux" else dask.config.get("distributed.worker.multiprocessing-method")
            if method == "fork":
                _prepare_fork(dask.config.get("distributed.worker.http.routes", []))
            # Event-loop ticks every 0.5 s, not 20 ms (they only time how long the loop was blocked, for
            # a warning this cluster's silenced logs would not show) and memory checks every 0.5 s, not
            # 0.1 s: an idle cluster then costs 2 % of a core instead of 10 % (driver 0.27 -> 0.07 s of
            # CPU in 5 s, each worker 0.11 -> 0.03 s), CPU the two workers share with the driver.
            local = {"distributed.worker.multiprocessing-method": method, "distributed.worker.profile.enabled": False,
                     "distributed.admin.tick.interval": "500ms", "distributed.worker.memory.monitor-interval": "500ms"}
            with _sigint_ignored(), dask.config.set(local):
                # the worker processes inherit the ignored SIGINT: Ctrl-C stops them through us
                self.cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1, processes=True,
                                            host="127.0.0.1", dashboard_address=None,  # loopback only
                                            silence_logs=logging.ERROR)
            self.client = Client(self.cluster)
        try:
            self._check_workers()
        except BaseException:
            self.close()
            raise
        return self

    def _check_workers(self) -> None:
        """Import the engine on every worker now (start-up, not the first chunks, pays for
        it) and check that each worker runs the same sdgsim version as this client."""
        where = self.address or "LocalCluster"
        try:  # a scheduler just started may have no worker yet: wait for one, not for all
            self.client.wait_for_workers(1, timeout=self.worker_wait)
        except TimeoutError:  # distributed's WorkerStartTimeoutError is one
            raise OptionError([Problem("scheduler", 1, where,
                                      f"no Dask worker registered with the scheduler at {where} within "
                                      f"{self.worker_wait:g} s; start workers (dask worker {where}), then try "
                                      "again")]) from None
        if self.address:
            self.workers = max(1, sum(w.get("nthreads", 1) for w in
                                      self.client.scheduler_info().get("workers", {}).values()))
        answers: dict = {}
        for _ in range(3):  # a worker lost during the check (killed, its machine gone) is no import error
            try:
                answers = self.client.run(_worker_version, self.cluster is not None, on_error="return")
                break
            except (OSError, TimeoutError):
                continue
        failed = {w: a for w, a in answers.items() if isinstance(a, BaseException)}
        broken = {w: a for w, a in failed.items() if isinstance(a, (ImportError, AttributeError, SyntaxError))}
        if broken:
            w, exc = next(iter(broken.items()))
            raise OptionError([Problem("scheduler", 1, where,
                                      f"a Dask worker ({w}) cannot import sdgsim ({type(exc).__name__}: {exc}); "
                                      "install the same sdgsim on every worker (docs/cluster.md)")])
        versions = {w: a for w, a in answers.items() if w not in failed}
        if not versions:
            raise OptionError([Problem("scheduler", 1, where, "no Dask worker answered (all were lost while they "
                                                              "were checked); start workers, then try again")])
        wrong = {w: v for w, v in versions.items() if v != __version__}
        if wrong:
            w, v = next(iter(wrong.items()))
            raise OptionError([Problem("scheduler", 1, self.address or "LocalCluster",
                                      f"worker {w} runs sdgsim {v}, this client {__version__} "
                                      f"({len(wrong)} of {len(versions)} workers differ); install one version everywhere")])

    def describe(self) -> dict:
        return {"name": self.name, "workers": self.workers, "scheduler": self.address or "LocalCluster"}

    def close(self) -> None:
        client, cluster = self.client, self.cluster
        self.client = self.cluster = None
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()

    def map_unordered(self, fn, shared, tasks):
        from dask.distributed import as_completed  # the executor was made after require("dask")

        if self.client is None:
            raise RuntimeError("use the executor in a with-block")
        from concurrent.futures import CancelledError

        it = iter(tasks)
        # hash=False: a key of its own each time. With content-hashed keys a second call with
        # equal shared data (a search's next generation, a scenario compared twice) reused the
        # key the first call's release was still deleting, and its tasks found no data.
        shared_box = self.client.scatter([shared], broadcast=True, hash=False)
        owner: dict = {}
        tries: dict = {}
        ac = as_completed()

        def send(task) -> None:
            fut = self.client.submit(fn, shared_box[0], task, pure=False)
            owner[fut.key] = task
            ac.add(fut)

        def submit() -> bool:
            task = next(it, None)
            if task is None:
                return False
            send(task)
            return True

        def again(task) -> bool:
            """A task whose result was lost with its worker (Dask cancels it when it cannot
            gather the result, or when the scattered shared data went with the worker): run it
            again, with the shared data scattered anew if it is gone, up to 3 times."""
            n = tries.get(id(task), 0) + 1
            if n > 3:
                return False
            tries[id(task)] = n
            if shared_box[0].status != "finished":
                shared_box[:] = self.client.scatter([shared], broadcast=True, hash=False)
            send(task)
            return True

        for _ in range(2 * self.workers):
            if not submit():
                break
        try:
            for fut in ac:
                task = owner.pop(fut.key)
                try:
                    result = fut.result()
                except CancelledError:  # the worker holding the result (or the shared data) was lost
                    fut.release()
                    if again(task):
                        continue
                    result = ExecutorBroken(f"task {task!r} was lost with its Dask worker 3 times")
                except Exception as exc:  # noqa: BLE001 - incl. KilledWorker after Dask's retries
                    result = exc
                fut.release()
                yield task, result
                submit()
        finally:  # on Ctrl-C or an error: drop the tasks still queued on the cluster
            for fut in list(getattr(ac, "futures", ())):
                fut.cancel()


def _prepare_fork(worker_modules: list[str]) -> None:
    """Do here, once, what every forked Dask worker would otherwise do itself when it starts:
    report its package versions and platform (importlib.metadata lookups and `uname -p` in a
    subprocess, 0.2-0.4 s a process here; distributed caches the answers, which the workers
    inherit) and import its HTTP route modules (0.15-0.2 s of a cluster's start)."""
    from distributed.versions import get_versions

    get_versions()
    for name in worker_modules:
        try:
            importlib.import_module(name)
        except ImportError:  # a route the worker would also fail to load: it reports it
            pass


def _worker_version(local: bool = False) -> str:
    """Run on each Dask worker: import the engine; report the sdgsim version. On our own local
    cluster also one BLAS thread per worker: a forked worker inherits the driver's BLAS thread
    pools, sized before Dask's OMP_NUM_THREADS=1 could apply. A cluster reached with
    `--scheduler` is left as its owner set it up (its nannies set that variable before they
    start a worker, and other clients may share it)."""
    if local:
        _limit_blas()
    return __version__  # the engine (this module and what it imports) is loaded by unpickling the call


def make_executor(name: str, workers: int | None = None, scheduler: str | None = None) -> Executor:
    """serial, process (local cores) or dask (scheduler address, or a LocalCluster)."""
    if scheduler is not None and name != "dask":
        raise OptionError([Problem("scheduler", 1, scheduler, "a scheduler address needs the dask executor")])
    if name == "serial":
        return SerialExecutor(1)
    if name == "process":
        return ProcessExecutor(workers)
    if name == "dask":
        return DaskExecutor(workers, scheduler)
    raise OptionError([Problem("executor", 1, name, f"unknown executor (allowed: {', '.join(EXECUTORS)})")])
