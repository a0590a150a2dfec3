"""Row blocks over threads (:mod:`innexport.core.parallel`): what scoring and FlowSort rely on.

* :func:`~innexport.core.parallel.over_row_blocks` calls its work once on each block of ``block_rows``
  consecutive rows (the last one shorter), never on an empty block, and raises the error of the first
  failing block;
* with one CPU the blocks run one after the other in the caller's thread; with several, on at most one
  thread per CPU, with BLAS held to one thread meanwhile (its own threads would compete with ours) and
  given back afterwards;
* :func:`~innexport.core.parallel.available_cpus` is the CPUs this process may run on: its affinity mask
  where the platform has one, else the CPU count, else 1.
"""

from __future__ import annotations

import os
import threading
import time

import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from innexport.core import parallel
from innexport.core.parallel import available_cpus, over_row_blocks


def _blas_threads() -> list[int]:
    return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]


@pytest.mark.parametrize("cpus", [1, 2])
@pytest.mark.parametrize(
    ("n", "block_rows", "expected"),
    [
        (7, 3, [(0, 3), (3, 6), (6, 7)]),
        (6, 3, [(0, 3), (3, 6)]),  # no empty block at the end
        (2, 5, [(0, 2)]),
        (1, 1, [(0, 1)]),
        (0, 4, []),
    ],
)
def test_every_row_in_exactly_one_block(monkeypatch: pytest.MonkeyPatch, cpus: int, n: int, block_rows: int,
                                        expected: list[tuple[int, int]]) -> None:
    monkeypatch.setattr(parallel, "available_cpus", lambda: cpus)
    seen: list[tuple[int, int]] = []
    lock = threading.Lock()

    def work(rows: slice) -> None:
        with lock:
            seen.append((rows.start, rows.stop))

    over_row_blocks(n, block_rows, work)
    assert sorted(seen) == expected


def test_one_cpu_runs_the_blocks_in_order_in_the_callers_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "available_cpus", lambda: 1)
    calls: list[tuple[int, threading.Thread]] = []
    over_row_blocks(10, 4, lambda rows: calls.append((rows.start, threading.current_thread())))
    assert calls == [(0, threading.current_thread()), (4, threading.current_thread()),
                     (8, threading.current_thread())]


def test_several_cpus_use_one_thread_per_cpu_and_one_blas_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "available_cpus", lambda: 2)
    blas_before = _blas_threads()
    threads: set[int] = set()
    blas_inside: list[list[int]] = []
    lock = threading.Lock()

    def work(rows: slice) -> None:
        time.sleep(0.02)  # every block is submitted before the first ends: the pool grows to its limit
        with lock:
            threads.add(threading.get_ident())
            blas_inside.append(_blas_threads())

    over_row_blocks(8, 1, work)  # 8 blocks on 2 CPUs
    assert threading.get_ident() not in threads
    assert len(threads) == 2
    assert len(blas_inside) == 8
    assert all(inside == [1] * len(blas_before) for inside in blas_inside)
    assert _blas_threads() == blas_before  # given back


@pytest.mark.parametrize("cpus", [1, 2])
def test_the_first_failing_block_is_raised(monkeypatch: pytest.MonkeyPatch, cpus: int) -> None:
    monkeypatch.setattr(parallel, "available_cpus", lambda: cpus)

    def work(rows: slice) -> None:
        if rows.start >= 3:
            time.sleep(0.05 if rows.start == 3 else 0.0)  # with threads, the later block fails first in time
            raise ValueError(f"block at {rows.start}")

    with pytest.raises(ValueError, match=r"^block at 3$"):
        over_row_blocks(9, 3, work)


def test_available_cpus_is_the_affinity_mask() -> None:
    if not hasattr(os, "sched_getaffinity"):
        pytest.skip("no CPU affinity on this platform")
    mask = os.sched_getaffinity(0)
    assert available_cpus() == len(mask)
    if len(mask) < 2:
        pytest.skip("one CPU: a smaller mask cannot be told from the CPU count")
    os.sched_setaffinity(0, {min(mask)})
    try:
        assert available_cpus() == 1
    finally:
        os.sched_setaffinity(0, mask)


def test_available_cpus_without_affinity(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(os, "sched_getaffinity", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 3)
    assert available_cpus() == 3
    monkeypatch.setattr(os, "cpu_count", lambda: None)  # unknown: one
    assert available_cpus() == 1


def _recorded_calls(n: int, block_rows: int, workers: int | None, pause: float = 0.0) -> list[tuple[int, int, list[int]]]:
    """(first row, thread, BLAS threads) of every block over_row_blocks runs, in the order they ran;
    ``pause``: each block waits so long first (every block is submitted before the first ends: a
    thread pool grows to its limit)."""
    calls: list[tuple[int, int, list[int]]] = []
    lock = threading.Lock()

    def work(rows: slice) -> None:
        time.sleep(pause)
        with lock:
            calls.append((rows.start, threading.get_ident(), _blas_threads()))

    over_row_blocks(n, block_rows, work, workers=workers)
    return calls


def test_workers_one_runs_the_blocks_in_turn_in_the_callers_thread_with_one_blas_thread(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """``workers=1`` (e.g. a Dask worker, which already runs one task per core) overrides the CPU
    count: the blocks in order in the caller's thread, BLAS held to one thread meanwhile (its own
    threads would only spin on block-sized products) and given back afterwards. 0 or fewer is 1."""
    monkeypatch.setattr(parallel, "available_cpus", lambda: 4)
    with threadpool_limits(limits=2, user_api="blas"):  # a BLAS of two threads, whatever the machine
        before = _blas_threads()
        for workers in (1, 0, -3):
            calls = _recorded_calls(10, 4, workers)
            me = threading.get_ident()
            assert calls == [(0, me, [1] * len(before)), (4, me, [1] * len(before)), (8, me, [1] * len(before))]
            assert _blas_threads() == before


def test_one_block_runs_in_the_callers_thread_with_blas_as_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    """A single block (one firm, a small table) sets no limits: BLAS keeps its threads for the block's
    products, whatever the number of workers."""
    monkeypatch.setattr(parallel, "available_cpus", lambda: 4)
    with threadpool_limits(limits=2, user_api="blas"):
        before = _blas_threads()
        if not before or before == [1] * len(before):
            pytest.skip("no BLAS pool that threadpoolctl can set to two threads")
        for workers in (None, 1, 3):
            assert _recorded_calls(5, 5, workers) == [(0, threading.get_ident(), before)]


def test_explicit_workers_override_the_cpu_count(monkeypatch: pytest.MonkeyPatch) -> None:
    """``workers=3`` on a machine said to have one CPU: three threads (at most one per block)."""
    monkeypatch.setattr(parallel, "available_cpus", lambda: 1)
    for workers, blocks, expected in ((3, 6, 3), (3, 2, 2)):
        threads = {ident for _start, ident, _blas in _recorded_calls(blocks, 1, workers, pause=0.05)}
        assert threading.get_ident() not in threads
        assert len(threads) == expected
