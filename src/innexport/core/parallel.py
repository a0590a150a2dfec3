"""Large populations processed in row blocks on every CPU core.

numpy releases the GIL in its array operations, so threads over row blocks use all cores without
copying the data. BLAS is held to one thread meanwhile: its own threads would compete with ours
(and, blocks run in turn on one thread, they would only spin on products of a block's size).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from threadpoolctl import threadpool_limits


def available_cpus() -> int:
    """CPUs this process may run on (its affinity mask where the platform has one)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def over_row_blocks(n: int, block_rows: int, work: Callable[[slice], None], workers: int | None = None) -> None:
    """Call ``work(rows)`` on every block of ``block_rows`` rows of ``range(n)``, on ``workers``
    threads (default: :func:`available_cpus`; 1 runs the blocks in turn in the calling thread).

    Each call must write only its own rows. The first error raised by a block is raised here.

    >>> seen = []
    >>> over_row_blocks(10, 4, lambda rows: seen.append((rows.start, rows.stop)), workers=1)
    >>> seen
    [(0, 4), (4, 8), (8, 10)]
    """
    blocks = [slice(start, min(start + block_rows, n)) for start in range(0, n, block_rows)]
    workers = min(len(blocks), available_cpus() if workers is None else max(int(workers), 1))
    if len(blocks) <= 1:  # one block (one firm, a small table): BLAS as configured, no limits to set
        for rows in blocks:
            work(rows)
        return
    if workers <= 1:  # the blocks in turn; BLAS's own threads would only spin on block-sized products
        with threadpool_limits(limits=1, user_api="blas"):
            for rows in blocks:
                work(rows)
        return
    with threadpool_limits(limits=1, user_api="blas"), ThreadPoolExecutor(max_workers=workers) as pool:
        for done in [pool.submit(work, rows) for rows in blocks]:
            done.result()
