"""Benchmark of the diagnostic core (issue 14, "The core near the floor") and of the reports.

    .venv/bin/python bench/bench_core.py [--firms 1000000] [--repeat 3] [--json] [--no-reports]

For N synthetic assessments on the shipped framework (iiep + wine), measured in the same run:

* the floor: ONE matrix product of the answers' shape, (N × questions) @ (questions × activities),
  in float64 on a single BLAS thread (threadpoolctl), the work no diagnostic can avoid (a multi-
  threaded floor swings with the machine's load and flatters every ratio on a busy machine);
* scoring (indices and threshold classes): the four-pass path (``core.scoring.score``) and the
  block pipeline (``core.pipeline.diagnose_population(flows="none", top_k=0)``), target ≤ 1.5×;
* the full diagnostic (score, classify, FlowSort on the three indices, prioritise): the four-pass
  path (``core.assessment.assess``) and the block pipeline (``diagnose_population()``: net flows
  and classes, the first TOP_PRIORITIES priorities, float32 values), target ≤ 3×;
* the peak memory each full diagnostic allocates beyond its input (tracemalloc, which numpy
  reports its arrays to) and the bytes of its result;
* the dtype rule's evidence: how many threshold classes and top-k priorities would change if the
  scores were computed in float32 arithmetic (the pipeline computes in float64 and stores float32);
* the time to render one firm's HTML report (target < 300 ms) and PDF report (< 3 s).

Times are medians of runs taken in turn (a change of the machine's load weighs on all alike), and
the ratios of the best runs and of the CPU time (every thread's: the work done, which a busy
machine does not change much; an idle one divides it by the cores) are printed too; the
pipeline uses the cores the process may run on (``core.parallel``), the floor one; the pipeline on
one core is timed too (a ratio a busy machine cannot flatter or spoil, the machine's load average
is printed with it). Nothing here
asserts: the numbers are for people to read (``--json``: one JSON object).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from innexport.core.assessment import assess, diagnose
from innexport.core.classes import classify, thresholds
from innexport.core.parallel import available_cpus
from innexport.core.pipeline import diagnose_population
from innexport.core.priorities import TOP_PRIORITIES, priority_targets, top_priorities
from innexport.core.scoring import ScoringModel, score
from innexport.files.answers import read_answers
from innexport.files.frameworks import load_framework

ROOT = Path(__file__).resolve().parents[1]


def interleaved(fns: dict[str, Callable[[], object]], repeat: int,
                cpu: dict[str, list[float]] | None = None) -> dict[str, list[float]]:
    """The wall-clock times of each function, run in turn ``repeat`` times (and its CPU times, every
    thread's, appended to ``cpu``)."""
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            start, start_cpu = time.perf_counter(), time.process_time()
            fn()
            times[name].append(time.perf_counter() - start)
            if cpu is not None:
                cpu.setdefault(name, []).append(time.process_time() - start_cpu)
    return times


def median_time(fn: Callable[[], object], repeat: int) -> float:
    return statistics.median(interleaved({"fn": fn}, repeat)["fn"])


def synthetic_answers(model: ScoringModel, n: int, seed: int = 7) -> np.ndarray:
    """Random answers on each question's own scale, 5% "don't know", each firm with its own level."""
    rng = np.random.default_rng(seed)
    fw = model.framework
    values = np.empty((n, len(model.observable_ids)))
    propensity = rng.beta(2, 2, size=n)  # firms differ: some answer high, some low
    for j, oid in enumerate(model.observable_ids):
        levels = fw.scale_by_id[fw.observable_by_id[oid].scale].values
        k = np.clip(rng.binomial(len(levels) - 1, propensity), 0, len(levels) - 1)
        values[:, j] = levels[k]
    values[rng.random(values.shape) < 0.05] = np.nan
    return values


def peak_bytes(fn: Callable[[], Any], given: np.ndarray) -> tuple[int, int]:
    """(peak bytes allocated while ``fn`` runs, bytes of its result's arrays but the ``given`` input)."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    result = fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak, result_bytes(result, {id(given)})


def result_bytes(result: Any, seen: set[int] | None = None) -> int:
    """Bytes of the numpy arrays a result holds (each array once)."""
    seen = set() if seen is None else seen
    if isinstance(result, np.ndarray):
        base = result if result.base is None else result.base
        if id(base) in seen or not isinstance(base, np.ndarray):
            return 0
        seen.add(id(base))
        return int(base.nbytes)
    if isinstance(result, (list, tuple)):
        return sum(result_bytes(r, seen) for r in result)
    if hasattr(result, "__dict__") and not isinstance(result, ScoringModel):
        return sum(result_bytes(v, seen) for v in vars(result).values())
    return 0


def float32_flips(model: ScoringModel, values: np.ndarray) -> dict[str, int]:
    """Threshold classes and top-k priorities that scoring in float32 arithmetic would change."""
    wide = diagnose_population(model, values, flows="none", dtype=np.float64)
    x = values.astype(np.float32)
    answered = ~np.isnan(x)
    w = model.observable_weights.astype(np.float32)
    with np.errstate(invalid="ignore", divide="ignore"):
        act = (np.where(answered, x, 0).astype(np.float32) @ w) / (answered.astype(np.float32) @ w)
    idx32, _, _ = model.indices_and_weights(act.astype(np.float64))  # the weights' rule; the scores float32's
    idx32 = np.where(np.isnan(wide.indices), np.nan, idx32)
    classes = classify(idx32, thresholds(model.framework))
    _, target = priority_targets(model, idx32[:, 2], classes[:, 2])
    top = top_priorities(act.astype(np.float64), target, model.leverage, TOP_PRIORITIES)
    return {"classes_changed": int((classes != wide.classes).sum()),
            "top_k_changed_firms": int((top != wide.top_priorities).any(axis=1).sum())}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--firms", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    parser.add_argument("--no-reports", action="store_true", help="skip the HTML and PDF report timings")
    args = parser.parse_args()

    fw = load_framework("iiep", ["wine"])
    model = ScoringModel.from_framework(fw)
    n, o, a = args.firms, len(model.observable_ids), len(model.activity_ids)
    values = synthetic_answers(model, n)
    filled = np.nan_to_num(values)
    w = model.observable_weights

    def floor() -> object:
        with threadpool_limits(limits=1, user_api="blas"):
            return filled @ w

    diagnose_population(model, values[:1000])  # warm up (imports, cached matrices)
    assess(model, values[:1000])
    cpu_runs: dict[str, list[float]] = {}
    runs = interleaved({
        "floor": floor,
        "score_old": lambda: score(model, values),
        "score_new": lambda: diagnose_population(model, values, flows="none", top_k=0),
        "full_old": lambda: assess(model, values),
        "full_new": lambda: diagnose_population(model, values),
        "score_new_1": lambda: diagnose_population(model, values, flows="none", top_k=0, workers=1),
        "full_new_1": lambda: diagnose_population(model, values, workers=1),
    }, args.repeat, cpu_runs)
    t = {name: statistics.median(ts) for name, ts in runs.items()}
    best = {name: min(ts) for name, ts in runs.items()}
    peak_old, out_old = peak_bytes(lambda: assess(model, values), values)
    peak_new, out_new = peak_bytes(lambda: diagnose_population(model, values), values)
    flips = float32_flips(model, values[: min(n, 200_000)])
    r: dict[str, Any] = {
        "firms": n, "questions": o, "activities": a, "cpus": available_cpus(), "repeat": args.repeat,
        "numpy": np.__version__, "floor_s": t["floor"],
        "score_old_s": t["score_old"], "score_old_ratio": t["score_old"] / t["floor"],
        "score_new_s": t["score_new"], "score_new_ratio": t["score_new"] / t["floor"],
        "full_old_s": t["full_old"], "full_old_ratio": t["full_old"] / t["floor"],
        "full_new_s": t["full_new"], "full_new_ratio": t["full_new"] / t["floor"],
        "score_new_one_core_s": t["score_new_1"], "score_new_one_core_ratio": t["score_new_1"] / t["floor"],
        "full_new_one_core_s": t["full_new_1"], "full_new_one_core_ratio": t["full_new_1"] / t["floor"],
        "load_average": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
        "cpu_s": {name: min(ts) for name, ts in cpu_runs.items()},
        "cpu_ratios": {name: min(ts) / min(cpu_runs["floor"]) for name, ts in cpu_runs.items() if name != "floor"},
        "best_s": best, "best_ratios": {name: best[name] / best["floor"] for name in best if name != "floor"},
        "peak_old_mb": peak_old / 1e6, "peak_new_mb": peak_new / 1e6,
        "result_old_mb": out_old / 1e6, "result_new_mb": out_new / 1e6,
        "input_mb": values.nbytes / 1e6, "float32_arithmetic": flips,
    }
    if not args.no_reports:
        r.update(reports(fw))
    if args.json:
        print(json.dumps(r, indent=2))
        return 0
    print(f"innexport core benchmark — {fw.label}, {o} questions, {a} activities; {n:,} synthetic firms; "
          f"{r['cpus']} CPU(s) for the pipeline, 1 BLAS thread for the floor; numpy {np.__version__}; "
          f"medians of {args.repeat} runs in turn")
    print(f"  floor: ({n:,}×{o}) @ ({o}×{a}), 1 thread     {t['floor']:8.3f} s")
    print(f"  scoring + classes, four passes (score):     {t['score_old']:8.3f} s   {r['score_old_ratio']:5.2f}× the floor")
    print(f"  scoring + classes, block pipeline:          {t['score_new']:8.3f} s   {r['score_new_ratio']:5.2f}× "
          f"the floor (target ≤ 1.5×)")
    print(f"  full diagnostic, four passes (assess):      {t['full_old']:8.3f} s   {r['full_old_ratio']:5.2f}× the floor")
    print(f"  full diagnostic, block pipeline:            {t['full_new']:8.3f} s   {r['full_new_ratio']:5.2f}× "
          f"the floor (target ≤ 3×)")
    print(f"  the same on one core (as the floor):        scoring {t['score_new_1']:6.3f} s "
          f"{r['score_new_one_core_ratio']:5.2f}×, full {t['full_new_1']:6.3f} s {r['full_new_one_core_ratio']:5.2f}× "
          f"(load average {r['load_average']:.1f} on {r['cpus']} CPUs: above it, the cores are shared)")
    b = r["best_ratios"]
    print(f"  best runs' ratios (least disturbed by the load): scoring {b['score_old']:.2f}× → {b['score_new']:.2f}× "
          f"(one core {b['score_new_1']:.2f}×), full {b['full_old']:.2f}× → {b['full_new']:.2f}× "
          f"(one core {b['full_new_1']:.2f}×)")
    c = r["cpu_ratios"]
    print(f"  CPU time (all threads; the work, whatever the load): scoring {c['score_old']:.2f}× → "
          f"{c['score_new']:.2f}×, full {c['full_old']:.2f}× → {c['full_new']:.2f}× the floor's")
    print(f"  peak memory beyond the input ({r['input_mb']:.0f} MB): four passes {r['peak_old_mb']:8.1f} MB "
          f"(result {r['result_old_mb']:.1f} MB); pipeline {r['peak_new_mb']:8.1f} MB (result "
          f"{r['result_new_mb']:.1f} MB)")
    print(f"  float32 arithmetic would change {flips['classes_changed']} threshold classes and the top "
          f"{TOP_PRIORITIES} priorities of {flips['top_k_changed_firms']} firms (of {min(n, 200_000):,}): "
          "computed in float64, stored in float32")
    if "html_ms" in r:
        print(f"  one firm's HTML report:                     {r['html_ms']:8.1f} ms  (target < 300 ms)")
    if "pdf_s" in r:
        print(f"  one firm's PDF report:                      {r['pdf_s']:8.3f} s   (target < 3 s)")
    elif "pdf_skipped" in r:
        print(f"  PDF report: skipped ({r['pdf_skipped']})")
    return 0


def reports(fw: Any) -> dict[str, Any]:
    """One firm's HTML and PDF report times (the first example answer file)."""
    examples = sorted((ROOT / "examples").glob("*.yaml"))
    if not examples:
        return {"reports_skipped": "no examples/*.yaml"}
    from innexport.rendering import report

    result = diagnose(fw, read_answers(examples[0]))[0]
    out: dict[str, Any] = {"html_ms": median_time(lambda: report.render_html(result, fw), 7) * 1000}
    try:
        out["pdf_s"] = median_time(lambda: report.render_pdf(result, fw), 3)
    except RuntimeError as exc:
        out["pdf_skipped"] = str(exc)
    return out


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
