"""The Dask executor on a scheduler whose workers are not there yet: it waits (bounded) for the
first one instead of failing at once, and past the wait says in one line which scheduler has none.

No test races a timer: one scheduler never gets a worker (a tiny wait must end in the error), the
other gets its worker only once the executor is already waiting (the wait is generous)."""

from __future__ import annotations

import threading

import pytest

from simulation.errors import OptionError

distributed = pytest.importorskip("distributed")

from simulation.experiments.executors import DaskExecutor  # noqa: E402 - needs the dask extra


def _twice(shared, task):
    return 2 * task


@pytest.fixture
def empty_cluster():
    """A scheduler on the loopback interface with no worker (in this process: threads, no forks)."""
    cluster = distributed.LocalCluster(n_workers=0, threads_per_worker=1, processes=False, protocol="tcp://", host="127.0.0.1",
                                       dashboard_address=":0")
    try:
        yield cluster
    finally:
        cluster.close()


def test_a_scheduler_that_never_gets_a_worker_is_named_in_one_line(empty_cluster):
    address = empty_cluster.scheduler_address
    with pytest.raises(OptionError) as err:
        DaskExecutor(1, address, worker_wait=0.2).__enter__()
    (problem,) = err.value.problems
    assert problem.file == "scheduler" and problem.field == address  # sdgsim prints --scheduler:1: ADDRESS: ...
    assert f"no Dask worker registered with the scheduler at {address} within 0.2 s" in problem.message
    assert "\n" not in str(problem)


def test_the_executor_waits_for_a_worker_that_joins_after_it_started(empty_cluster):
    address = empty_cluster.scheduler_address
    clients_before = len(empty_cluster.scheduler.clients)
    got: dict = {}

    def enter():
        try:
            got["executor"] = DaskExecutor(1, address, worker_wait=600).__enter__()
        except BaseException as exc:  # noqa: BLE001 - reported below
            got["error"] = exc

    t = threading.Thread(target=enter)
    t.start()
    # only once the executor's client is connected (and so about to check, or waiting) does a worker start
    while len(empty_cluster.scheduler.clients) == clients_before and t.is_alive():
        t.join(0.05)
    if "error" not in got:
        empty_cluster.scale(1)
    t.join(600)
    assert "error" not in got, got.get("error")
    ex = got["executor"]
    try:
        assert ex.workers == 1  # counted once the worker came
        assert dict(ex.map_unordered(_twice, None, [1, 2])) == {1: 2, 2: 4}
    finally:
        ex.close()
