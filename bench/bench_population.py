"""Benchmark of the population analytics on a synthetic population.

    .venv/bin/python bench/bench_population.py [--firms 1000000]

Writes a synthetic population of N firms (country, sector, size, survey weight, the 93 answers of
iiep + wine, two outcomes) to Parquet, then times, each as a median of runs where cheap:
* import + score: reading the Parquet file and scoring every firm (target < 10 s for 1,000,000);
* benchmark of one firm against its country × sector × size peers, once the population is
  loaded (target < 100 ms), directly and through a pre-grouped index;
* fitting the impact models (weighted logit of "innovates", ordered logit of the export band) on
  the activity scores;
* when the real ENDEI II survey is in ../shared/data (never copied here), reading it for its
  built-in mapping and applying the mapping, each with its ratio to a floor measured in the same
  run: pyreadr's bare read of the same file.
Nothing here asserts: the figures are printed for people to read (the tests time nothing). The
peer benchmark alone, with floors, is timed by bench_benchmark.py.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from innexport.core.scoring import ScoringModel
from innexport.files.frameworks import load_framework
from innexport.population.benchmark import BenchmarkIndex, benchmark
from innexport.population.frame import FIRM_ID, OBS, WEIGHT, columns, score_population
from innexport.population.impact import impact
from innexport.population.io import read_survey, write_table

sys.path.insert(0, str(Path(__file__).parent))
from bench_core import synthetic_answers


def timed(fn, repeat: int = 1) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def synthetic_population(n: int, seed: int = 11) -> pd.DataFrame:
    """A survey table of n firms: groups, weights, answers (as values in [0, 1]) and two outcomes."""
    fw = load_framework("iiep", ["wine"])
    model = ScoringModel.from_framework(fw)
    rng = np.random.default_rng(seed)
    answers = synthetic_answers(model, n, seed)
    table = pd.DataFrame(answers, columns=[OBS + o for o in model.observable_ids])
    propensity = np.nan_to_num(answers).mean(axis=1)
    table.insert(0, FIRM_ID, np.arange(n).astype(str))
    table.insert(1, "country", rng.choice(["FR", "CL", "AR"], n))
    table.insert(2, "sector", rng.choice(["11.02", "10.1", "25.6", "28.2"], n))
    table.insert(3, "size", rng.choice(["micro", "small", "medium"], n, p=[0.5, 0.35, 0.15]))
    table.insert(4, WEIGHT, rng.uniform(0.5, 5.0, n))
    table["innovates"] = (rng.random(n) < 1 / (1 + np.exp(-6 * (propensity - 0.5)))).astype(int)
    table["export_band"] = np.clip((propensity * 4 + rng.normal(0, 0.7, n)).round(), 0, 3).astype(int)
    return table


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--firms", type=int, default=1_000_000)
    args = parser.parse_args()
    fw = load_framework("iiep", ["wine"])
    print(f"innexport population benchmark — {args.firms:,} synthetic firms, {fw.label}")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "population.parquet"
        t_write, _ = timed(lambda: write_table(synthetic_population(args.firms), path))
        print(f"  generate + write Parquet:          {t_write:7.2f} s  ({path.stat().st_size / 1e6:.0f} MB)")

        def import_and_score() -> pd.DataFrame:
            data = read_survey(path, weight=WEIGHT).data
            obs = columns(data, OBS)
            meta = data.drop(columns=[*obs, WEIGHT])
            return score_population(fw, data[obs].to_numpy(dtype=float), meta, data[WEIGHT].to_numpy())

        t_import, frame = timed(import_and_score)
        print(f"  import + score:                    {t_import:7.2f} s  (target < 10 s)")

    firm = frame.iloc[12345 % len(frame)]
    t_one, result = timed(lambda: benchmark(frame, firm[FIRM_ID]), repeat=5)
    print(f"  benchmark one firm (masks):        {t_one * 1000:7.1f} ms (target < 100 ms; "
          f"{result.n:,} peers)")
    t_index, index = timed(lambda: BenchmarkIndex(frame))
    index.benchmark(firm[FIRM_ID])  # the group's sorted columns are built on first use
    t_lookup, _ = timed(lambda: index.benchmark(frame.iloc[54321 % len(frame)][FIRM_ID]), repeat=5)
    print(f"  benchmark index: build {t_index:5.2f} s, then one firm {t_lookup * 1000:6.2f} ms")

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t_logit, _ = timed(lambda: impact(frame, "innovates"))
        t_ordered, _ = timed(lambda: impact(frame, "export_band", kind="ordered"))
    print(f"  impact, weighted logit (innovates):    {t_logit:6.2f} s")
    print(f"  impact, ordered logit (export band):   {t_ordered:6.2f} s")
    endei()
    return 0


ENDEI = Path(__file__).resolve().parents[2] / "shared" / "data" / "endei-ii" / "endei_ii.rds"


def endei() -> None:
    """Read the ENDEI II survey for its mapping and apply it, against pyreadr's bare read of the file."""
    if not ENDEI.exists():
        print(f"  ENDEI II: skipped, real data not available at {ENDEI}")
        return
    import pyreadr

    from innexport.population.mapping import apply_mapping, load_mapping, read_for_mapping

    fw = load_framework("iiep")
    mapping = load_mapping("endei2", framework=fw)
    t_floor, _ = timed(lambda: pyreadr.read_r(str(ENDEI)), repeat=3)
    t_read, survey = timed(lambda: read_for_mapping(ENDEI, mapping), repeat=3)
    t_map, frame = timed(lambda: apply_mapping(survey, mapping, fw), repeat=3)
    print(f"  ENDEI II ({len(frame):,} firms): floor, pyreadr bare read {t_floor:6.2f} s")
    print(f"    read for the mapping   {t_read:6.2f} s  (x {t_read / t_floor:5.1f} the floor)")
    print(f"    apply the mapping      {t_map:6.2f} s  (x {t_map / t_floor:5.1f} the floor)")


if __name__ == "__main__":
    sys.exit(main())
