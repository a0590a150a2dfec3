"""Scoring a survey by partitions, on one machine's cores or a Dask cluster: the same function per partition.

A population of millions of firms is scored partition by partition: a partition is a pandas table of
some survey rows, and :func:`score_partition` turns it into those firms' rows of the population table
by :func:`~innexport.population.mapping.apply_mapping` — the very function the in-memory import
calls, with the same mapping, framework, checks and messages. It is the one per-batch function: the
local streaming import, :func:`import_with_dask` and a Spark job (``mapInPandas``, see
``docs/population.md``, "Beyond one machine") all call it.

What a partition cannot know by itself, and how it is made whole-survey exact:

* a survey without an id column numbers its firms by row (``apply_mapping``: 1, 2, …): a partition
  is given the number of rows before it (``first_row``) and its firms are numbered from there;
* ids must be unique across the whole survey: each partition is checked by ``apply_mapping``, and
  the ids of every partition are then checked together (:func:`check_ids_across`), naming the two
  partitions and their rows, before any output is kept;
* messages name the rows of the file they are in: a partition's own file, or for a slice of one
  survey file (a Parquet row group, a part of a CSV) the rows of that file
  (:data:`~innexport.population.io.ROW_OFFSET`, which the streamed import sets too);
* everything else ``apply_mapping`` does is row by row (recodes, bands, scales, combinations, the
  core's scores and classes), so a partition's rows are exactly those of the whole table.

:func:`import_with_dask` reads a partitioned Parquet dataset (a folder: one partition per file), a
Parquet file (one partition per row group) or any other survey file (read once, then split), scores
the partitions on a Dask cluster — a ``LocalCluster`` on 127.0.0.1 by default (one single-threaded
process per worker, no dashboard), an existing scheduler by address otherwise — and writes a
partitioned Parquet dataset (a folder, one ``part-NNNNN.parquet`` per partition, written by the
workers) or one Parquet file, both with the population table's stamp. Dask: Rocklin, "Dask: Parallel
Computation with Blocked algorithms and Task Scheduling", Proc. SciPy 2015.
"""

from __future__ import annotations

import itertools
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from innexport.core.framework import Issue
from innexport.population.frame import FIRM_ID
from innexport.population.io import SUFFIXES, SurveyError, format_rows, read_survey, write_table
from innexport.population.mapping import Mapping, MappingError, apply_mapping, read_for_mapping

if TYPE_CHECKING:
    from innexport.core.framework import Framework

PART_NAME = "part-{:05d}.parquet"
"""The name of the ``k``-th partition of a partitioned dataset written by :func:`import_with_dask`."""
START_TIMEOUT = 60
"""Seconds allowed to start a local cluster or to reach a scheduler before giving up."""


class EngineError(SurveyError):
    """The Dask engine could not run (no Dask installed, a scheduler out of reach, an output refused)."""


@dataclass(frozen=True)
class Partition:
    """Where a partition's rows are: a file (``row_group`` None: all of it) or a row group of a Parquet
    file, or rows handed over in memory (``data``); ``first_row``: survey rows before it."""

    index: int
    source: str
    first_row: int
    rows: int
    path: Path | None = None
    row_group: int | None = None
    data: pd.DataFrame | None = None

    @property
    def whole_file(self) -> bool:
        """The partition is a file of its own (its messages count its rows), not a slice of the survey
        file (whose messages count the survey's rows)."""
        return self.path is not None and self.row_group is None


def score_partition(data: pd.DataFrame, mapping: Mapping, framework: Framework | None = None, *,
                    source: str = "", first_row: int = 0, survey: str | None = None,
                    rows: Literal["survey", "partition"] = "survey", codes_applied: Any = None) -> pd.DataFrame:
    """The population table of one partition of a survey: :func:`apply_mapping` on its rows.

    ``data`` is the partition's rows as read (missing codes are applied by ``apply_mapping``, unless
    ``codes_applied`` says the reader applied the mapping's: :attr:`~innexport.population.io.Survey.codes_applied`);
    ``source`` names it in messages; ``first_row`` is the number of survey rows before it (firms of
    a survey without id column are numbered from ``first_row + 1``); ``survey`` is the whole
    survey's name for the table's stamp (default ``source``). ``rows``: messages name rows of the
    survey (``"survey"``: the partition is a slice of the file ``source``, its first row is row
    ``first_row + 1``) or of the partition (``"partition"``: ``source`` is a file of its own). Raises
    what ``apply_mapping`` raises.

    >>> from innexport.population.mapping import parse_mapping
    >>> from innexport.files.frameworks import load_framework
    >>> fw = load_framework("iiep")
    >>> spec = parse_mapping(demo_mapping_text(fw))
    >>> rows = pd.DataFrame({f"q{j}": [1.0, 0.0] for j in range(len(fw.observables))})
    >>> part = score_partition(rows, spec, fw, source="part 2", first_row=10, survey="s.csv")
    >>> part["firm_id"].tolist(), part["iiep"].round(3).tolist(), part.attrs["survey"]
    (['11', '12'], [1.0, 0.0], 's.csv')
    """
    from innexport.population import io

    token = io.ROW_OFFSET.set(first_row) if rows == "survey" else None  # the rows before it, for format_rows
    try:
        frame = apply_mapping(io.Survey(data=data, weight=mapping.weight, source=source, id_column=mapping.id_column,
                                        codes_applied=codes_applied), mapping, framework)
    finally:
        if token is not None:
            io.ROW_OFFSET.reset(token)
    if mapping.id_column is None and first_row:
        # apply_mapping numbers rows from 1 within what it is given: shift them to the survey's rows
        frame[FIRM_ID] = (np.arange(len(frame)) + first_row + 1).astype(str).astype(object)
    frame.attrs["survey"] = survey if survey is not None else source
    return frame


def demo_mapping_text(framework: Framework, scale: tuple[float, float] | None = None) -> str:
    """A mapping of ``framework`` where column ``q<j>`` gives observable ``j`` (in [0, 1], or on
    ``scale``), with ``id``/``w``/``country`` columns if asked by the survey (for tests and timings).

    >>> from innexport.files.frameworks import load_framework
    >>> demo_mapping_text(load_framework("iiep")).splitlines()[1]
    'id: demo_survey'
    """
    lines = ["kind: mapping", "id: demo_survey",
             "title: {en: Demo survey, fr: Enquête de démonstration, es: Encuesta de demostración}",
             'survey: "Synthetic answers, one column per observable"',
             f'framework: {{id: {framework.id}, version: "{framework.version}"}}', "observables:"]
    extra = f", scale: [{scale[0]}, {scale[1]}]" if scale else ""
    lines += [f"  {obs.id}: {{column: q{j}{extra}}}" for j, obs in enumerate(framework.observables)]
    return "\n".join(lines) + "\n"


def check_ids_across(parts: list[tuple[Partition, pd.Series]], survey: str, id_column: str) -> None:
    """Refuse ids found in more than one partition (each partition's own are checked by
    ``apply_mapping``), naming the ids and, for each, the partitions and rows; the wording is
    :func:`~innexport.population.io.check_ids`'s.

    >>> a = Partition(0, "a.parquet", 0, 2, Path("a.parquet"))
    >>> b = Partition(1, "b.parquet", 2, 2, Path("b.parquet"))
    >>> try:
    ...     check_ids_across([(a, pd.Series(["x", "y"])), (b, pd.Series(["z", "y"]))], "data/", "id")
    ... except SurveyError as exc:
    ...     print(exc)
    data/: id column 'id': each firm needs its own id; duplicated ('y') in a.parquet row 2 and b.parquet row 2
    """
    if not parts:
        return
    ids = pd.concat([s.reset_index(drop=True) for _, s in parts], ignore_index=True)
    owner = np.repeat(np.arange(len(parts)), [len(s) for _, s in parts])
    position = np.concatenate([np.arange(len(s)) for _, s in parts]) if len(ids) else np.empty(0, dtype=int)
    dupes = ids.duplicated(keep=False).to_numpy()
    if not dupes.any():
        return
    values = pd.unique(ids[dupes])[:5]
    places = []
    for value in values[:3]:
        by_file: dict[str, list[int]] = {}
        for h in np.flatnonzero((ids == value).to_numpy()):
            part = parts[int(owner[h])][0]
            by_file.setdefault(part.source, []).append(int(position[h]) + (0 if part.whole_file else part.first_row))
        places.append(" and ".join(f"{file} {format_rows(rows)}" for file, rows in by_file.items()))
    raise SurveyError(f"{survey}: id column '{id_column}': each firm needs its own id; duplicated "
                      f"({', '.join(repr(v) for v in values)}) in {'; '.join(places)}")


# --- the partitions of a survey ----------------------------------------------------------------------


def partitions(survey: Path, mapping: Mapping, split: int = 8) -> list[Partition]:
    """The partitions of ``survey``: one per file of a Parquet folder (sorted by name), one per row
    group of a Parquet file, else the file read whole (:func:`read_for_mapping`) and cut into
    ``split`` parts. Row counts of Parquet come from the files' footers (nothing else is read)."""
    import pyarrow.parquet as pq

    if survey.is_dir():
        files = sorted(p for p in survey.iterdir() if p.suffix.lower() in (".parquet", ".pq") and p.is_file())
        if not files:
            raise EngineError(f"{survey}: a folder without .parquet files (the Dask engine reads a partitioned "
                              "Parquet dataset, a file, or one survey file)")
        out, first = [], 0
        for k, path in enumerate(files):
            rows = _footer_rows(path)
            out.append(Partition(k, str(path), first, rows, path))
            first += rows
        return out
    if not survey.is_file():
        raise SurveyError(f"{survey}: file not found")
    if SUFFIXES.get(survey.suffix.lower()) == "parquet":
        try:
            meta = pq.ParquetFile(survey).metadata
        except Exception as exc:  # pyarrow's own error: say which file
            raise SurveyError(f"{survey}: cannot be read as PARQUET: {exc}") from exc
        out, first = [], 0
        for g in range(meta.num_row_groups):
            rows = meta.row_group(g).num_rows
            out.append(Partition(g, str(survey), first, rows, survey, row_group=g))
            first += rows
        return out or [Partition(0, str(survey), 0, 0, survey, row_group=None)]
    data = read_for_mapping(survey, mapping).data
    bounds = np.linspace(0, len(data), max(1, min(split, len(data))) + 1).astype(int)
    return [Partition(k, str(survey), int(a), int(b - a), data=data.iloc[a:b].reset_index(drop=True))
            for k, (a, b) in enumerate(itertools.pairwise(bounds.tolist()))]


def _footer_rows(path: Path) -> int:
    import pyarrow.parquet as pq

    try:
        return int(pq.ParquetFile(path).metadata.num_rows)
    except Exception as exc:  # pyarrow's own error: say which file
        raise SurveyError(f"{path}: cannot be read as PARQUET: {exc}") from exc


def read_partition(part: Partition, mapping: Mapping) -> pd.DataFrame:
    """The rows of ``part``, read as the local engine reads them: a whole file by :func:`read_survey`
    (blanks, missing codes, weights and ids checked, naming the file and its rows); a row group with
    the same cleaning of text cells."""
    if part.data is not None or part.path is None:
        return part.data if part.data is not None else pd.DataFrame()
    if part.row_group is None:
        return read_survey(part.path, weight=mapping.weight, missing_codes=mapping.missing_codes,
                           id_column=mapping.id_column).data
    import pyarrow.parquet as pq

    from innexport.population.io import blank_to_missing  # read_survey's text-cell rule, on a row group

    try:
        data = pq.ParquetFile(part.path).read_row_group(part.row_group).to_pandas()
    except Exception as exc:  # pyarrow's own error: say which file
        raise SurveyError(f"{part.source} (row group {part.row_group}): cannot be read as PARQUET: {exc}") from exc
    data.columns = [str(c) for c in data.columns]
    return pd.DataFrame({col: blank_to_missing(data[col]) for col in data.columns}, index=data.index)


def _run_partition(part: Partition, mapping: Mapping, framework: Framework | None, survey: str,
                   folder: str) -> tuple[str, Any]:
    """On a worker: read, score and write one partition; give back its ids, or the problem (Dask sends
    exceptions by pickling their arguments, which would lose a MappingError's list of issues)."""
    try:
        frame = score_partition(read_partition(part, mapping), mapping, framework, source=part.source,
                                first_row=part.first_row, survey=survey,
                                rows="partition" if part.whole_file else "survey",
                                codes_applied=mapping.missing_codes if part.whole_file else None)
        write_table(frame, Path(folder) / PART_NAME.format(part.index))
    except MappingError as exc:
        return "mapping", exc.issues
    except (SurveyError, ValueError) as exc:
        return "survey", str(exc)
    return "ok", frame[FIRM_ID]


# --- the engine -------------------------------------------------------------------------------------


def import_with_dask(survey: Path, spec: Mapping, fw: Framework | None, out: Path, *,
                     scheduler: str | None = None, workers: int | None = None) -> int:
    """Score ``survey`` through ``spec`` on a Dask cluster and write the population table to ``out``;
    give back the number of firms.

    ``survey``: a partitioned Parquet dataset (folder), a Parquet file or another survey file (see
    :func:`partitions`). ``fw``: the framework (default: the one the mapping names). ``out``: a
    folder (an existing folder, or a path without suffix) for a partitioned dataset, or a ``.parquet``
    file. ``scheduler``: the address of a running Dask scheduler (``tcp://host:8786``); without it a
    local cluster of ``workers`` processes (default: the cores) on 127.0.0.1 is started and stopped.
    On a cluster, every worker must see ``survey`` and ``out`` at the same paths (a shared file
    system). Raises :class:`SurveyError` (:class:`EngineError` for the engine itself) or
    :class:`MappingError`, and then leaves nothing at ``out``.

    >>> import_with_dask(Path("survey.parquet"), None, None, Path("out.csv"))
    Traceback (most recent call last):
    ...
    innexport.population.engine.EngineError: out.csv: the Dask engine writes Parquet: a folder or a .parquet file
    """
    survey, out = Path(survey), Path(out)
    one_file = out.suffix.lower() in (".parquet", ".pq")
    if out.suffix and not one_file and not out.is_dir():
        raise EngineError(f"{out}: the Dask engine writes Parquet: a folder or a .parquet file")
    if out.is_dir() and any(not (p.is_file() and p.suffix == ".parquet" and p.name.startswith("part-"))
                            for p in out.iterdir()):
        raise EngineError(f"{out}: the folder holds other files than a dataset's part-*.parquet; give a new or empty folder")
    parts = partitions(survey, spec, split=max(2 * (workers or os.cpu_count() or 1), 2))
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = out.parent / f".{out.name}.dask-{uuid.uuid4().hex[:8]}"
    staging.mkdir()
    try:
        with _client(scheduler, workers) as client:
            shared = client.scatter([spec, fw], broadcast=True)
            futures = client.map(_run_partition, parts, mapping=shared[0], framework=shared[1],
                                 survey=str(survey), folder=str(staging), pure=False)
            results = client.gather(futures)
        _raise_problems(results, spec)
        if spec.id_column is not None:
            check_ids_across([(p, ids) for p, (_, ids) in zip(parts, results, strict=True)], str(survey), spec.id_column)
        _publish(staging, out, one_file, len(parts))
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return sum(len(ids) for _, ids in results)


def _raise_problems(results: list[tuple[str, Any]], mapping: Mapping) -> None:
    # a problem met by several partitions (an unknown column…) is said once, with the first partition's words
    first: dict[tuple[str, int | None], Issue] = {}
    again: dict[tuple[str, int | None], int] = {}
    for kind, found in results:
        for issue in found if kind == "mapping" else ():
            key = (issue.location, issue.line)
            again[key] = again.get(key, -1) + 1
            first.setdefault(key, issue)
    if first:
        raise MappingError([Issue(i.location, i.message + (f" (and in {again[k]} other partition{'s' if again[k] > 1 else ''})"
                                                           if again[k] else ""), i.line, i.file)
                            for k, i in first.items()])
    problems = list(dict.fromkeys(found for kind, found in results if kind == "survey"))
    if problems:
        raise SurveyError("\n".join(problems[:10]) + (f"\n… and {len(problems) - 10} more partitions refused"
                                                      if len(problems) > 10 else ""))


def _publish(staging: Path, out: Path, one_file: bool, count: int) -> None:
    """Move the checked partitions to ``out``: the folder replaced whole, or one file written row group
    by row group (the first partition's schema metadata, hence the stamp, kept)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    files = [staging / PART_NAME.format(k) for k in range(count)]
    if not one_file:
        if out.is_dir():
            shutil.rmtree(out)
        staging.rename(out)
        return
    schemas = [pq.read_schema(f) for f in files]
    schema = pa.unify_schemas(schemas, promote_options="permissive").with_metadata(schemas[0].metadata)
    target = staging / "whole.parquet"
    with pq.ParquetWriter(target, schema) as writer:
        for f in files:
            writer.write_table(pq.read_table(f).cast(schema))
    target.replace(out)


WORKER_ENVIRONMENT = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
"""The environment of a local cluster's worker processes: one BLAS thread each (one worker per core),
and, unlike Dask's default, no ``MALLOC_TRIM_THRESHOLD_``: setting it turns off glibc's adaptive mmap
threshold, and every large array is then mapped and faulted in afresh — scoring partitions took 1.6
to 1.9 times as long with it on this machine (``bench/bench_dask.py``)."""


def local_cluster(workers: int | None = None) -> Any:
    """A Dask ``LocalCluster`` of ``workers`` single-threaded processes (default: the cores) on
    127.0.0.1, no dashboard (the scheduler's health-check server on a free loopback port), its
    connections bounded by :data:`START_TIMEOUT` seconds; the caller closes it (``with local_cluster() as c: …``).

    >>> local_cluster(0)
    Traceback (most recent call last):
    ...
    innexport.population.engine.EngineError: workers must be at least 1, not 0
    """
    n = (os.cpu_count() or 1) if workers is None else workers
    if n < 1:
        raise EngineError(f"workers must be at least 1, not {n}")
    import dask
    from distributed import LocalCluster

    with dask.config.set({"distributed.nanny.pre-spawn-environ": dict(WORKER_ENVIRONMENT),
                          "distributed.comm.timeouts.connect": f"{START_TIMEOUT}s"}):
        return LocalCluster(n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1",
                            scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"},
                            silence_logs=40)


class _client:
    """A Dask client on the scheduler at ``address``, or on a local cluster started here (and stopped
    on leaving), within :data:`START_TIMEOUT` seconds."""

    def __init__(self, address: str | None, workers: int | None):
        self.address, self.workers = address, workers
        self.cluster: Any = None
        self.client: Any = None

    def __enter__(self) -> Any:
        try:
            import dask
            from distributed import Client
        except ImportError:
            raise EngineError("the Dask engine needs Dask: pip install 'innexport[dask]'") from None
        with dask.config.set({"distributed.comm.timeouts.connect": f"{START_TIMEOUT}s"}):
            try:
                if self.address is None:
                    self.cluster = local_cluster(self.workers)
                    self.client = Client(self.cluster, timeout=START_TIMEOUT)
                else:
                    self.client = Client(self.address, timeout=START_TIMEOUT)
            except EngineError:
                self.close()
                raise
            except (OSError, TimeoutError, ValueError) as exc:
                self.close()
                where = f"the Dask scheduler at {self.address}" if self.address else "a local Dask cluster"
                raise EngineError(f"cannot reach {where} within {START_TIMEOUT} s: {exc}") from None
        return self.client

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()

    def __exit__(self, *exc: object) -> None:
        self.close()


__all__ = ["EngineError", "Partition", "check_ids_across", "demo_mapping_text", "import_with_dask", "local_cluster",
           "partitions", "score_partition"]
