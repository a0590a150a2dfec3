"""Benchmark of a batch of PDF reports rendered in parallel (``innexport diagnose --jobs``, issue 14).

    .venv/bin/python bench/bench_reports.py [--reports 20] [--format pdf] [--jobs 1,2] [--json]

Renders the same N reports (the example firms in turn) one after the other (``--jobs 1``, the peer)
and in a pool of 2 processes, as ``innexport diagnose --out folder/ --jobs N`` does
(:func:`innexport.cli.diagnose._render_all`: the pool's start, the frameworks sent once to each worker,
the reports), and prints each time, the speed-up over one job and whether the files are the same
bytes. Nothing asserts: the numbers are for people to read; on a machine shared with other work the
speed-up is below the number of cores.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from innexport.cli.diagnose import _render_all, _targets
from innexport.core.assessment import diagnose
from innexport.core.parallel import available_cpus
from innexport.files.answers import read_answers
from innexport.files.frameworks import load_framework

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reports", type=int, default=20)
    parser.add_argument("--format", choices=("pdf", "html"), default="pdf")
    parser.add_argument("--jobs", default="1,2", help="comma-separated numbers of processes; the first is the peer")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = parser.parse_args()
    fw = load_framework("iiep", ["wine"])
    firms = [r for path in sorted((ROOT / "examples").glob("*.yaml")) for r in diagnose(fw, read_answers(path))]
    results = [firms[i % len(firms)] for i in range(args.reports)]
    frameworks = {fw.content_hash: fw}
    day = dt.date.today()
    figures: dict[str, float] = {}
    outputs: dict[str, list[tuple[Path, bytes]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        targets = [(Path(tmp) / f"{i:03d}-{path.name}", job)
                   for i, (path, job) in enumerate(_targets(Path(tmp), args.format, results, frameworks))]
        for jobs in args.jobs.split(","):
            start = time.perf_counter()
            outputs[jobs] = _render_all(targets, frameworks, day, int(jobs), show=False)
            figures[jobs] = time.perf_counter() - start
    peer = args.jobs.split(",")[0]
    same = all(outputs[j] == outputs[peer] for j in outputs)
    r = {"reports": args.reports, "format": args.format, "cpus": available_cpus(),
         "seconds": figures, "speedup": {j: figures[peer] / t for j, t in figures.items()}, "same_bytes": same}
    if args.json:
        print(json.dumps(r))
        return 0
    print(f"{args.reports} {args.format.upper()} reports — {available_cpus()} CPU(s) for this process, "
          f"load average {os.getloadavg()[0]:.1f}")
    for jobs, seconds in figures.items():
        print(f"  --jobs {jobs}: {seconds:7.2f} s   {seconds / args.reports:6.2f} s/report   "
              f"{r['speedup'][jobs]:4.2f}× the speed of --jobs {peer}")
    print(f"  the same bytes at every --jobs: {'yes' if same else 'NO'}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
