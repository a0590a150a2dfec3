"""Benchmark of ``population import``: the streamed import against the in-memory one, same survey, same run.

    .venv/bin/python bench/bench_import.py [--firms 1000000] [--batch-rows 100000] [--json]

Writes a survey of N firms to Parquet, by batches: the real ENDEI II survey's rows resampled (new
firm ids; only the columns its ``endei2`` mapping reads) when ``../shared/data`` holds it (never
copied here), else a synthetic WMS-like survey (the built-in ``wms`` mapping with an id column, a
weight and missing codes). Then imports it, each in a fresh process so that its peak memory is its
own (``resource.getrusage``'s ``ru_maxrss``):

* ``in-memory``: ``read_for_mapping`` + ``apply_mapping`` + ``write_table`` (the import before issue 14);
* ``streamed``: :func:`innexport.population.stream.import_stream` to a Parquet file;
* ``python``: the same process importing innexport, pandas and pyarrow and nothing else (the floor
  of the peak memory).

It prints each import's time and peak memory, and the streamed import's ratios to the in-memory
one (time, peak memory, and peak memory above the floor). Nothing asserts: the figures are for
people to read. Run sizes above 1M firms (``--firms 4000000``, ``10000000``) only on a machine no
one else is using: the in-memory import alone needs about 5 GB per million ENDEI-like firms
(``--skip-in-memory`` leaves it out).

Measured (2 cores shared with other work, ENDEI II resampled, batches of 100,000 rows, streamed
import to a Parquet file, ``--skip-in-memory``; ids across batches kept as 64-bit hashes):

* ``--firms 1000000``: 143 s, peak 1,309 MB (floor 610 MB; load average 7);
* ``--firms 4000000``: 467 s, peak 1,493 MB (floor 658 MB, 2.27x the floor; run beside the 10M one);
* ``--firms 10000000``: 982 s, peak 1,752 MB (floor 658 MB, 2.66x the floor).

Peak memory grows by about 50 MB per million firms beyond the first (the ids' hashes: 8 bytes a
firm, 16 while a batch is merged in; the rest is the allocator's), far under issue 14's 2.5 GB.
Time was about 85–145 s per million firms, 85 % of it in ``population.mapping.apply_mapping`` (the
per-answer ``Series.map`` of ``_translate``), the same work as the in-memory import's. Since the
mapping translates each DISTINCT answer once (issue 14), measured in the same hour, same machine,
``--skip-in-memory``, the per-row mapping put back for the "before" figure (``PYTHONPATH`` pointing
at a copy of ``src`` with the old ``mapping.py``):

* ``--firms 1000000``: streamed 55.0 s before, 22.2 s after (2.5x); peak 1,375 MB and 1,411 MB;
* ``--firms 300000`` (with the in-memory import): in-memory 18.1 s → 7.1 s, streamed 24.4 s → 8.3 s.

The translation (``_evaluate``, ``_translate``) is now under a fifth of the streamed import's time;
the rest is reading the batches, their missing codes (``population.io.apply_missing_codes``),
scoring and writing.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

SHARED = Path(os.environ.get("INNEXPORT_SHARED_DATA") or Path(__file__).resolve().parents[1].parent / "shared" / "data")
ENDEI = SHARED / "endei-ii" / "endei_ii.rds"
TARGET_PEAK_MB = 2_500
"""Issue 14's target for the streamed import's peak memory, at 4M firms and at 10M."""
ITEMS = ["lean1", "lean2", "perf1", "perf2", "perf3", "perf4", "perf7", "perf8", "talent1", "talent2", "talent4", "talent5"]


def wms_mapping(folder: Path) -> Path:
    """The built-in WMS mapping with an id column, a weight and a missing code."""
    from innexport.files import builtin
    from innexport.population.mapping import MappingError

    text = builtin.read_document(builtin.resolve("wms", "mappings", "mapping", MappingError), MappingError)
    text = text.replace('framework: {id: iiep, version: "1"}\n',
                        'framework: {id: iiep, version: "1"}\nid_column: code\nweight: w\nmissing_codes: [-99]\n', 1)
    path = folder / "wms-ids.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def wms_part(n: int, start: int, rng: np.random.Generator) -> pd.DataFrame:
    data: dict[str, object] = {
        "code": [f"F{k}" for k in range(start, start + n)], "w": rng.lognormal(0, 0.5, n).round(3),
        "country": rng.choice(["France", "Chile", "Argentina", "Germany"], n), "sic2": rng.choice([20, 31, 35], n),
        "employment": rng.choice(["A) 50 to 100", "B) 101 to 250", "C) 251 to 500", "E) 1000+"], n)}
    for item in ITEMS:
        data[item] = rng.choice([1.0, 2.0, 3.0, 3.5, 4.0, 5.0, -99.0, np.nan], n)
    return pd.DataFrame(data)


def write_survey(n: int, folder: Path, part_rows: int = 100_000, seed: int = 5) -> tuple[Path, str, str]:
    """The survey file, its mapping and where its rows come from."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    path = folder / "survey.parquet"
    if ENDEI.is_file():
        from innexport.population.mapping import load_mapping, read_for_mapping

        spec = load_mapping("endei2")
        real = read_for_mapping(ENDEI, spec).data
        real = real[[c for c in spec.columns_used() if c in real.columns]]
        id_col, mapping, origin = spec.id_column, "endei2", f"ENDEI II resampled ({len(real):,} real firms)"
        assert id_col is not None
        source = pa.Table.from_pandas(real, preserve_index=False)  # converted once; parts are Arrow takes
        at = source.schema.get_field_index(id_col)

        def part(k: int, start: int) -> pa.Table:
            out = source.take(pa.array(rng.integers(0, len(real), k)))
            ids = pa.array(np.arange(start, start + k, dtype=np.int64))  # new firm ids, whole numbers
            return out.set_column(at, pa.field(id_col, pa.int64()), ids)
    else:
        mapping, origin = str(wms_mapping(folder)), "synthetic WMS-like survey"

        def part(k: int, start: int) -> pa.Table:
            return pa.Table.from_pandas(wms_part(k, start, rng), preserve_index=False)
    writer = None
    for start in range(0, n, part_rows):
        table = part(min(part_rows, n - start), start)
        if writer is None:
            writer = pq.ParquetWriter(path, table.schema)
        writer.write_table(table.cast(writer.schema))
    if writer is not None:
        writer.close()
    return path, mapping, origin


def child(mode: str, survey: str, mapping: str, out: str, batch_rows: int) -> None:
    """One import in this process; prints its time and peak memory as JSON."""
    import resource

    import pyarrow as pa  # noqa: F401 - the floor holds what every import holds

    from innexport.population.io import write_table
    from innexport.population.mapping import apply_mapping, load_mapping, read_for_mapping
    from innexport.population.stream import import_stream

    spec = load_mapping(mapping)
    start = time.perf_counter()
    firms = 0
    if mode == "in-memory":
        frame = apply_mapping(read_for_mapping(survey, spec), spec)
        write_table(frame, out)
        firms = len(frame)
    elif mode == "streamed":
        firms = import_stream(survey, spec, out, batch_rows=batch_rows).firms
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux
    print(json.dumps({"mode": mode, "seconds": seconds, "peak_mb": peak, "firms": firms}))


def run(mode: str, survey: Path, mapping: str, out: Path, batch_rows: int) -> dict:
    done = subprocess.run([sys.executable, __file__, "--child", mode, str(survey), mapping, str(out), str(batch_rows)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{mode} import failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--firms", type=int, default=1_000_000)
    parser.add_argument("--batch-rows", type=int, default=100_000)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--skip-in-memory", action="store_true", help="only the streamed import (large sizes)")
    parser.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, survey, mapping, out, batch = args.child
        child(mode, survey, mapping, out, int(batch))
        return
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        folder = Path(tmp)
        start = time.perf_counter()
        survey, mapping, origin = write_survey(args.firms, folder)
        made = time.perf_counter() - start
        results = {"firms": args.firms, "batch_rows": args.batch_rows, "survey": origin,
                   "survey_mb": survey.stat().st_size / 2**20, "survey_written_s": made}
        results["python"] = run("python", survey, mapping, folder / "none", args.batch_rows)
        results["streamed"] = run("streamed", survey, mapping, folder / "streamed.parquet", args.batch_rows)
        results["streamed_peak_to_floor"] = results["streamed"]["peak_mb"] / results["python"]["peak_mb"]
        if not args.skip_in_memory:
            results["in-memory"] = run("in-memory", survey, mapping, folder / "whole.parquet", args.batch_rows)
            s, m, floor = results["streamed"], results["in-memory"], results["python"]["peak_mb"]
            results["ratio_time"] = s["seconds"] / m["seconds"]
            results["ratio_peak"] = s["peak_mb"] / m["peak_mb"]
            results["ratio_peak_above_floor"] = (s["peak_mb"] - floor) / max(m["peak_mb"] - floor, 1e-9)
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"population import of {args.firms:,} firms ({results['survey']}; Parquet survey of "
          f"{results['survey_mb']:,.0f} MB), batches of {args.batch_rows:,} rows")
    print(f"  floor (python + innexport + pandas + pyarrow): peak {results['python']['peak_mb']:,.0f} MB")
    for mode in ("in-memory", "streamed"):
        if mode in results:
            r = results[mode]
            print(f"  {mode:10s} {r['seconds']:8.1f} s   peak {r['peak_mb']:8,.0f} MB")
    print(f"  streamed peak / floor: {results['streamed_peak_to_floor']:.2f}x "
          f"(target: under {TARGET_PEAK_MB:,} MB at 4M and 10M firms)")
    if "ratio_time" in results:
        print(f"  streamed / in-memory: time {results['ratio_time']:.2f}x, peak memory {results['ratio_peak']:.2f}x "
              f"({results['ratio_peak_above_floor']:.2f}x above the floor)")


if __name__ == "__main__":
    main()
