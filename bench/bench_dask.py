"""Benchmark of the Dask engine (`population import --engine dask`) against the local engine, same run.

    .venv/bin/python bench/bench_dask.py [--firms 1000000] [--partitions 8] [--workers 1,2,4] [--json]

Writes a synthetic survey of N firms (an id, a weight, a country and the 78 iiep answers on a 1-5
scale with 10 % gaps) once as one Parquet file and once as a partitioned Parquet dataset (a folder of
``--partitions`` files), then times, on this machine:

* the local engine: the in-memory import (``read_for_mapping`` + ``apply_mapping`` + ``write_table``
  of the whole file), and the same partitions scored one after the other in this process by
  ``engine.score_partition`` (what any batch engine does: the floor a cluster divides);
* the Dask engine (``engine.import_with_dask``, folder in, folder out) on a local cluster of 1, 2 and
  4 single-threaded worker processes; the cluster's start is timed apart (it is paid once per
  command, not per firm).

Each figure is printed with its ratio to the local in-memory import measured in the same run and,
for Dask, its speed-up over 1 worker. Nothing asserts (the tests time nothing). Mind the machine: the
speed-up cannot exceed the number of free cores (``os.cpu_count()`` is printed).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from innexport.files.frameworks import load_framework
from innexport.population.engine import demo_mapping_text, import_with_dask, local_cluster, score_partition
from innexport.population.io import read_survey, write_table
from innexport.population.mapping import apply_mapping, parse_mapping, read_for_mapping


def synthetic_survey(n: int, k: int, seed: int = 7) -> pd.DataFrame:
    """``n`` firms: ``id``, ``w``, ``country`` and answers ``q0``… on a 1-5 scale, 10 % missing."""
    rng = np.random.default_rng(seed)
    answers = rng.integers(1, 6, size=(n, k)).astype(float)
    answers[rng.random(answers.shape) < 0.1] = np.nan
    head = pd.DataFrame({"id": np.char.add("F", np.arange(n).astype(str)).astype(object),
                         "w": rng.lognormal(0, 0.5, n), "country": rng.choice(["AR", "CL", "FR"], n)})
    return pd.concat([head, pd.DataFrame(answers, columns=[f"q{j}" for j in range(k)])], axis=1)


def timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--firms", type=int, default=1_000_000)
    parser.add_argument("--partitions", type=int, default=8)
    parser.add_argument("--workers", default="1,2,4", help="worker counts, comma-separated")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of lines")
    args = parser.parse_args()
    counts = [int(w) for w in args.workers.split(",")]

    from distributed import Client

    fw = load_framework("iiep")
    spec = parse_mapping(demo_mapping_text(fw, scale=(1, 5)) + "id_column: id\nweight: w\n"
                         "groups:\n  country: {column: country}\n")
    n, p = args.firms, args.partitions
    figures: dict[str, object] = {"firms": n, "partitions": p, "cpus": os.cpu_count(), "observables": len(fw.observables)}
    say = (lambda *a: None) if args.json else print
    say(f"innexport Dask engine benchmark — {fw.label}; {n:,} synthetic firms in {p} partitions; "
        f"{os.cpu_count()} CPU(s)")
    with tempfile.TemporaryDirectory(prefix="bench_dask_") as tmp:
        root = Path(tmp)
        data = synthetic_survey(n, len(fw.observables))
        data.to_parquet(root / "whole.parquet", index=False)
        (root / "ds").mkdir()
        bounds = np.linspace(0, n, p + 1).astype(int)
        for k in range(p):
            data.iloc[bounds[k]:bounds[k + 1]].to_parquet(root / "ds" / f"s{k:03d}.parquet", index=False)
        del data

        t_local, _ = timed(lambda: write_table(apply_mapping(read_for_mapping(root / "whole.parquet", spec), spec, fw),
                                               root / "local.parquet"))
        figures["local_in_memory_s"] = round(t_local, 3)
        say(f"  local engine, in memory (read, score, write):  {t_local:8.2f} s")

        def one_by_one() -> None:
            for k, f in enumerate(sorted((root / "ds").iterdir())):
                part = read_survey(f, weight=spec.weight, id_column=spec.id_column).data
                write_table(score_partition(part, spec, fw, source=str(f), first_row=int(bounds[k])),
                            root / f"seq-{k:03d}.parquet")

        t_seq, _ = timed(one_by_one)
        figures["local_partitions_s"] = round(t_seq, 3)
        say(f"  local, partitions one after the other:        {t_seq:8.2f} s   ratio to in memory {t_seq / t_local:5.2f}×")

        runs = []
        base = None
        for w in counts:
            start = time.perf_counter()
            cluster = local_cluster(w)  # the engine's own local cluster
            client = Client(cluster)
            t_start = time.perf_counter() - start
            try:
                address = cluster.scheduler_address
                t_run, firms = timed(lambda w=w, address=address: import_with_dask(
                    root / "ds", spec, fw, root / f"dask{w}", scheduler=address))
            finally:
                client.close()
                cluster.close()
            shutil.rmtree(root / f"dask{w}", ignore_errors=True)
            assert firms == n
            base = base or t_run
            runs.append({"workers": w, "start_s": round(t_start, 3), "import_s": round(t_run, 3),
                         "ratio_to_local": round(t_run / t_local, 3), "speedup_over_1": round(base / t_run, 3)})
            say(f"  Dask, {w} worker{'s' if w > 1 else ' '} (cluster start {t_start:5.2f} s):   {t_run:8.2f} s   "
                f"ratio to in memory {t_run / t_local:5.2f}×   speed-up over {counts[0]} worker(s) {base / t_run:5.2f}×")
        figures["dask"] = runs
    if args.json:
        print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
