"""Population tables larger than memory: Parquet files and partitioned datasets computed with DuckDB.

What it decides:

* **Which engine.** A population table that is a Parquet file or a *partitioned Parquet dataset*
  (a folder of ``*.parquet`` files, at any depth, Hive ``key=value`` folders included) of at least
  :data:`DUCKDB_MIN_ROWS` rows is computed by DuckDB (SQL over ``read_parquet('…/*.parquet')``,
  which streams the files' row groups and reads only the columns a query names); a smaller one is
  read whole into pandas as before, so that its results stay bit-identical to the in-memory
  functions (:func:`engine_for`). The row count comes from the Parquet footers (nothing is read).
* **Same definitions, one home.** :func:`describe` and :func:`counts` give the tables of
  :func:`innexport.population.describe.describe` and :func:`~innexport.population.describe.counts`
  (missing values left out of each variable only; a yes/no share is a mean); :func:`benchmark`
  gives :func:`innexport.population.benchmark.benchmark`'s :class:`BenchmarkResult` — the mid-rank
  weighted percentile ``100 · (Σ w[v < x] + ½ Σ w[v = x]) / Σ w`` and the weighted Hazen
  quantiles (plotting positions ``(C_i − w_i/2)/Σ w`` of the values sorted by value then weight,
  linear interpolation, clamped to the extremes), written here in SQL. Sums are compensated
  (DuckDB's ``fsum``), so the numbers agree with pandas' to 1e-9 (tests/test_population_dataset.py,
  hypothesis on random weights and groups). NaN and NULL are both "missing".
* **The analysis report** (PCA map, k-means typology, logit impact) needs the firms' rows in
  memory: :func:`read_frame` reads only the columns it uses (every column but the ``obs.*``
  observables) through pyarrow with a column projection.

Memory: ``describe`` of 1M firms holds what DuckDB's hash aggregates need (a few hundred MB,
bounded by :data:`MEMORY_LIMIT`), not the table (measured in ``bench/bench_population.py``'s
terms in the report of issue 14). DuckDB: https://duckdb.org/docs/data/parquet/overview (MIT).
"""

# ruff: noqa: S608 - every column name in the SQL goes through _quote and every value is a parameter

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from innexport.core.framework import INDICES
from innexport.population.benchmark import (
    DEFAULT_BY,
    QUANTILES,
    BenchmarkResult,
    PeerGroupTooSmall,
    benchmark_table,
)
from innexport.population.frame import ACT, CLASS, DIM, FIRM_ID, OBS, WEIGHT

if TYPE_CHECKING:
    import duckdb

__all__ = [
    "DUCKDB_MIN_ROWS", "MEMORY_LIMIT", "DatasetError", "ParquetDataset", "benchmark", "counts", "describe",
    "engine_for", "has_duckdb", "is_parquet", "read_frame", "row_count",
]

DUCKDB_MIN_ROWS = 200_000
"""Parquet tables with at least this many rows are computed by DuckDB; smaller ones in pandas."""

MEMORY_LIMIT = "2GB"
"""DuckDB's memory limit for one query (it spills to a temporary folder beyond it)."""

Engine = Literal["pandas", "duckdb"]


class DatasetError(ValueError):
    """The path is not a readable Parquet table or dataset, or lacks a column the analysis needs."""


# --- where the files are ------------------------------------------------------------------------


def _files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.rglob("*.parquet") if p.is_file())
    return [path]


def is_parquet(path: Path) -> bool:
    """Whether ``path`` is a Parquet file (``.parquet``/``.pq``) or a folder holding Parquet files.

    >>> is_parquet(Path("pop.parquet")), is_parquet(Path("pop.csv"))
    (True, False)
    """
    if path.is_dir():
        return bool(_files(path))
    return path.suffix.lower() in (".parquet", ".pq")


def row_count(path: Path) -> int:
    """The number of rows of a Parquet file or dataset, from the files' footers (no data read)."""
    import pyarrow.parquet as pq

    try:
        return sum(pq.ParquetFile(f).metadata.num_rows for f in _files(path))
    except (OSError, ValueError) as exc:
        raise DatasetError(f"{path}: not a readable Parquet table ({exc})") from None


def engine_for(path: Path, engine: Literal["auto", "pandas", "duckdb"] = "auto") -> Engine:
    """The engine for a population table: DuckDB for Parquet of :data:`DUCKDB_MIN_ROWS` rows or more.

    A folder is always a Parquet dataset; another format (CSV, XLSX…) is always read by pandas, and
    so is every table when DuckDB is not installed (``auto``; ``duckdb`` is then refused).

    >>> engine_for(Path("pop.csv"))
    'pandas'
    """
    if engine == "duckdb":
        if not is_parquet(path):
            raise DatasetError(f"{path}: the DuckDB engine reads Parquet files and folders of Parquet files")
        if not has_duckdb():
            raise DatasetError("the DuckDB engine needs duckdb: pip install 'innexport[big]'")
        return "duckdb"
    if engine == "pandas" or not is_parquet(path) or not has_duckdb():
        return "pandas"
    return "duckdb" if row_count(path) >= DUCKDB_MIN_ROWS else "pandas"


def has_duckdb() -> bool:
    """Whether DuckDB is installed (the ``big`` extra); without it every table is read by pandas."""
    import importlib.util

    return importlib.util.find_spec("duckdb") is not None


def read_frame(path: Path, columns: Sequence[str] | None = None, exclude_prefixes: Sequence[str] = ()) -> pd.DataFrame:
    """A Parquet file or dataset as a DataFrame, reading only ``columns`` (default all) minus those
    starting with one of ``exclude_prefixes`` (a pyarrow column projection: the others are never read).

    The table's stamp (``attrs``: framework, content hash…) is kept from the first file.
    """
    import pyarrow.dataset as pads
    import pyarrow.parquet as pq

    files = _files(path)
    if not files:
        raise DatasetError(f"{path}: no Parquet file in this folder")
    try:
        data = pads.dataset([str(f) for f in files], format="parquet",
                            partitioning="hive" if path.is_dir() else None)
        names = list(data.schema.names) if columns is None else list(columns)
        missing = [c for c in names if c not in data.schema.names]
        if missing:
            raise DatasetError(f"{path}: no column {', '.join(map(repr, missing))}")
        names = [c for c in names if not any(c.startswith(p) for p in exclude_prefixes)]
        frame = data.to_table(columns=names).to_pandas()
        frame.attrs.update(pq.read_table(files[0], columns=[]).to_pandas().attrs)
    except (OSError, ValueError) as exc:
        if isinstance(exc, DatasetError):
            raise
        raise DatasetError(f"{path}: not a readable Parquet table ({exc})") from None
    return frame


# --- the DuckDB side --------------------------------------------------------------------------------


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _missing(col: str) -> str:
    """SQL: the column, NULL where it is NULL or NaN (both mean "not observed")."""
    q = _quote(col)
    return f"CASE WHEN isnan({q}::DOUBLE) THEN NULL ELSE {q}::DOUBLE END"


class ParquetDataset:
    """A Parquet file or partitioned dataset opened in an in-memory DuckDB connection (a view ``pop``).

    Nothing is read until a query runs; each query reads only the columns it names. Use as a context
    manager (or call :meth:`close`).
    """

    def __init__(self, path: Path, threads: int | None = None, memory_limit: str = MEMORY_LIMIT) -> None:
        import duckdb

        self.path = path
        files = _files(path)
        if not files or not all(f.exists() for f in files):
            raise DatasetError(f"{path}: no Parquet file here")
        self.con: duckdb.DuckDBPyConnection = duckdb.connect(":memory:")
        self.con.execute(f"SET memory_limit = '{memory_limit}'")
        # what does not fit spills here (DuckDB's default is ./.tmp in the working folder)
        spill = Path(tempfile.gettempdir()) / f"innexport-duckdb-{os.getpid()}"
        self.con.execute("SET temp_directory = '" + str(spill).replace("'", "''") + "'")
        if threads is not None:
            self.con.execute(f"SET threads = {int(threads)}")
        pattern = str(path / "**" / "*.parquet") if path.is_dir() else str(path)
        hive = "true" if path.is_dir() else "false"
        try:
            literal = "'" + pattern.replace("'", "''") + "'"  # a view cannot take a parameter
            self.con.execute(f"CREATE VIEW pop AS SELECT * FROM read_parquet({literal}, hive_partitioning = {hive}, "
                             "filename = '_innexport_file', file_row_number = true)")
            described = self.con.execute("DESCRIBE pop").fetchall()
        except duckdb.Error as exc:
            raise DatasetError(f"{path}: not a readable Parquet table ({exc})") from None
        internal = {"_innexport_file", "file_row_number"}
        self.columns: list[str] = [str(r[0]) for r in described if r[0] not in internal]
        self.types: dict[str, str] = {str(r[0]): str(r[1]) for r in described}
        self._files = files

    def __enter__(self) -> ParquetDataset:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.con.close()

    def prefixed(self, prefix: str) -> list[str]:
        """The columns starting with ``prefix``, in the table's order."""
        return [c for c in self.columns if c.startswith(prefix)]

    def need(self, column: str) -> None:
        if column not in self.columns:
            shown = ", ".join(self.columns[:12])
            raise KeyError(f"no column '{column}' in the population (columns: {shown}…)")

    def query(self, sql: str, params: Sequence[object] | Mapping[str, object] = ()) -> list[tuple[Any, ...]]:
        import duckdb

        try:
            return self.con.execute(sql, dict(params) if isinstance(params, Mapping) else list(params)).fetchall()
        except duckdb.Error as exc:
            raise DatasetError(f"{self.path}: {exc}") from None

    def categories(self, column: str) -> list[str]:
        """The categories of a dictionary-encoded (pandas categorical) column, in their order, from the
        first row group's dictionary (one column of one row group read); [] for another column."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        for f in self._files:
            pf = pq.ParquetFile(f)
            if column not in pf.schema_arrow.names or pf.metadata.num_row_groups == 0:
                continue
            array = pf.read_row_group(0, columns=[column]).column(0)
            if pa.types.is_dictionary(array.type):
                chunks = array.chunks
                return [str(v) for v in chunks[0].dictionary.to_pylist()] if chunks else []
            return []
        return []

    def weight_sql(self) -> str:
        return f"{_quote(WEIGHT)}::DOUBLE" if WEIGHT in self.columns else "1.0"

    def check_weights(self) -> None:
        """Refuse weights that are not all positive and finite (as :func:`survey_weights` does)."""
        if WEIGHT not in self.columns:
            return
        w = self.weight_sql()
        (bad,), = self.query(f"SELECT count(*) FILTER (WHERE {w} IS NULL OR isnan({w}) OR isinf({w}) OR {w} <= 0) "
                             "FROM pop")
        if bad:
            raise ValueError("weights must be positive and finite")


@contextmanager
def opened(path: Path | ParquetDataset) -> Iterator[ParquetDataset]:
    """The dataset at ``path`` (opened and closed here), or the one given (left open)."""
    if isinstance(path, ParquetDataset):
        yield path
        return
    ds = ParquetDataset(path)
    try:
        yield ds
    finally:
        ds.close()


def _variables(ds: ParquetDataset) -> list[str]:
    return ds.prefixed(OBS) + ds.prefixed(ACT) + ds.prefixed(DIM) + [i for i in INDICES if i in ds.columns]


def _present(ds: ParquetDataset, col: str) -> str:
    """SQL: the column has a value (not NULL, nor NaN in a floating-point column)."""
    q = _quote(col)
    return f"{q} IS NOT NULL" + (f" AND NOT isnan({q})" if ds.types.get(col, "") in ("DOUBLE", "FLOAT") else "")


def _groups_in_order(ds: ParquetDataset, by: str) -> list[Any]:
    """The non-missing values of ``by`` in order of first appearance (files sorted, then rows), as
    ``frame[by].dropna().unique()`` gives them."""
    q = _quote(by)
    keep = _present(ds, by)
    rows = ds.query(f"SELECT {q}, min(struct_pack(f := _innexport_file, r := file_row_number)) FROM pop "
                    f"WHERE {keep} GROUP BY {q}")
    rows.sort(key=lambda row: (row[1]["f"], row[1]["r"]))
    return [r[0] for r in rows]


def describe(path: Path | ParquetDataset, by: str | None = None) -> pd.DataFrame:
    """:func:`innexport.population.describe.describe` of a Parquet table, computed by DuckDB.

    One aggregate query (grouping sets: the whole population and each value of ``by``), reading
    only the variables, the weight and ``by``; the groups come in order of first appearance.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> pd.DataFrame({"weight": [1.0, 3.0, 2.0], "size": ["s", "s", "m"],
    ...               "act.rd": [0.0, 1.0, None]}).to_parquet(folder / "part-0.parquet")
    >>> describe(folder, by="size")[["group", "n", "weighted_n", "mean", "weighted_mean"]]
      group  n  weighted_n  mean  weighted_mean
    0   all  2         4.0   0.5           0.75
    1     s  2         4.0   0.5           0.75
    2     m  0         0.0   NaN            NaN
    """
    with opened(path) as ds:
        if by is not None:
            ds.need(by)
        variables = _variables(ds)
        inner = ", ".join([f"{ds.weight_sql()} AS w", *(f"{_missing(c)} AS x{k}" for k, c in enumerate(variables))])
        aggs = ", ".join(f"count(x{k}), fsum(CASE WHEN x{k} IS NULL THEN NULL ELSE w END), fsum(x{k}), fsum(x{k} * w)"
                         for k in range(len(variables))) or "count(*)"
        if by is None:
            results: list[tuple[str, tuple[Any, ...]]] = [("all", ds.query(f"SELECT {aggs} FROM (SELECT {inner} FROM pop)")[0])]
        else:
            # one scan: the whole population (grouping() = 1) and each value of by (rows without one are
            # in the whole population only)
            q = _quote(by)
            rows = ds.query(f"SELECT grouping(k), k, {aggs} FROM (SELECT {q} AS k, {inner} FROM pop) "
                            "GROUP BY GROUPING SETS ((), (k))")
            per = {r[1]: r[2:] for r in rows if r[0] == 0 and r[1] is not None}
            results = [("all", next(r[2:] for r in rows if r[0] == 1))]
            results += [(str(g), per[g]) for g in _groups_in_order(ds, by) if g in per]
    frames = []
    for name, row in results:
        vals = np.array([np.nan if v is None else float(v) for v in row[: 4 * len(variables)]], dtype=float)
        n, wn, s, ws = (vals[i::4] for i in range(4))
        wn, s, ws = np.nan_to_num(wn), np.nan_to_num(s), np.nan_to_num(ws)
        with np.errstate(invalid="ignore", divide="ignore"):
            frames.append(pd.DataFrame({"group": name, "variable": variables, "n": n.astype(np.int64),
                                        "weighted_n": wn, "mean": s / n, "weighted_mean": ws / wn}))
    return pd.concat(frames, ignore_index=True)


def counts(path: Path | ParquetDataset, by: str | None = None) -> pd.DataFrame:
    """:func:`innexport.population.describe.counts` of a Parquet table, computed by DuckDB.

    Firms per value of ``by`` (sorted; missing values left out), their weighted count and the weighted
    shares of the IIEP classes (``share_<class>``, in the classes' order, among the firms with a class).

    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "pop.parquet"
    >>> pd.DataFrame({"weight": [1.0, 3.0, 2.0], "size": ["s", "s", "m"]}).to_parquet(path)
    >>> counts(path, by="size").to_dict("index")
    {'m': {'firms': 1, 'weighted_firms': 2.0}, 's': {'firms': 2, 'weighted_firms': 4.0}}
    """
    with opened(path) as ds:
        if by is not None:
            ds.need(by)
        key = _quote(by) if by is not None else "'all'"
        where = f"WHERE {_present(ds, by)}" if by is not None else ""
        w = ds.weight_sql()
        rows = ds.query(f"SELECT {key} AS k, count(*), fsum({w}) FROM pop {where} GROUP BY k")
        out = pd.DataFrame({"firms": [int(r[1]) for r in rows], "weighted_firms": [float(r[2]) for r in rows]},
                           index=pd.Index([r[0] for r in rows], dtype=object))
        cls = CLASS + "iiep"
        if cls in ds.columns:
            c = _quote(cls)
            cells = ds.query(f"SELECT {key} AS k, {c}::VARCHAR, fsum({w}) FROM pop {where} "
                             f"{'AND' if where else 'WHERE'} {c} IS NOT NULL GROUP BY k, {c}")
            order = ds.categories(cls)
            found = sorted({str(r[1]) for r in cells} - set(order))
            classes = [k for k in order if any(str(r[1]) == k for r in cells)] + found
            table = pd.DataFrame(0.0, index=out.index, columns=classes)
            for k, klass, total in cells:
                table.loc[k, str(klass)] = float(total)
            sums = table.sum(axis=1)
            table = table.loc[sums > 0].div(sums[sums > 0], axis=0)
            out = out.join(table.add_prefix("share_"))
    out = out.sort_index()
    out.index.name = by
    return out


def _firm(ds: ParquetDataset, firm: object, columns: Sequence[str]) -> dict[str, Any]:
    """The firm's values of ``columns``: from a mapping, or the row of ``firm_id`` (compared as text)."""
    if isinstance(firm, Mapping):
        return {c: firm.get(c) for c in columns}
    if FIRM_ID not in ds.columns:
        raise KeyError("the population has no firm_id column: pass the firm as a mapping")
    names = ", ".join(_quote(c) for c in columns)
    key = _quote(FIRM_ID) if ds.types.get(FIRM_ID) == "VARCHAR" else f"{_quote(FIRM_ID)}::VARCHAR"  # text: pushed down
    rows = ds.query(f"SELECT {names} FROM pop WHERE {key} = ? LIMIT 2", [str(firm)])
    if not rows:
        raise KeyError(f"no firm {firm!r} in the population")
    return dict(zip(columns, rows[0], strict=True))


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def benchmark(path: Path | ParquetDataset, firm: Mapping[str, object] | object, by: Sequence[str] = DEFAULT_BY,
              min_group: int = 30, columns: Sequence[str] | None = None) -> BenchmarkResult:
    """:func:`innexport.population.benchmark.benchmark` on a Parquet table, computed by DuckDB.

    ``firm`` is a ``firm_id`` (compared as text) or a mapping of the firm's values. The peers are
    the rows sharing the firm's ``by`` values, the firm itself (by ``firm_id``) excluded; the
    query reads only ``by``, ``firm_id``, the weight and the benchmarked columns, and sorts each
    column's peers once (a window sum over value, then weight) for the Hazen quantiles.

    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "pop.parquet"
    >>> pd.DataFrame({"firm_id": ["A", "B", "C", "D"], "weight": [1.0, 2.0, 1.0, 5.0], "size": ["s"] * 4,
    ...               "act.rd": [1.0, 2.0, 3.0, 2.0]}).to_parquet(path)
    >>> row = benchmark(path, "D", by=["size"], min_group=2).table.loc["act.rd"]
    >>> float(row["percentile"]), float(row["median"]), float(row["p25"])  # 100·(1 + 2/2)/4; Hazen
    (50.0, 2.0, 1.3333333333333333)
    """
    by = tuple(by)
    with opened(path) as ds:
        for col in by:
            ds.need(col)
        cols = (ds.prefixed(ACT) + ds.prefixed(DIM) + [c for c in INDICES if c in ds.columns]) if columns is None \
            else list(columns)
        if not cols:
            raise ValueError("nothing to benchmark: no act.*, dim.* or index column in the population")
        for col in cols:
            ds.need(col)
        ds.check_weights()
        row = _firm(ds, firm, [*by, *cols, *([FIRM_ID] if FIRM_ID in ds.columns else [])])
        group: dict[str, object] = {}
        for col in by:
            if _blank(row[col]):
                rest = tuple(c for c in by if c != col)
                raise ValueError(f"the firm has no '{col}': its peers cannot be chosen by it (try by={rest})")
            value = row[col]
            group[col] = value.item() if isinstance(value, np.generic) else value
        x = np.array([np.nan if _blank(row[c]) else float(row[c]) for c in cols], dtype=float)
        firm_id = None if _blank(row.get(FIRM_ID)) else row.get(FIRM_ID)
        conditions = [f"{_quote(col)} = ?" for col in by]
        params: list[object] = list(group.values())
        if firm_id is not None and FIRM_ID in ds.columns:
            conditions.append(f"{_quote(FIRM_ID)} IS DISTINCT FROM ?")
            params.append(firm_id)
        where = " AND ".join(conditions) or "true"
        w = ds.weight_sql()
        (n, total), = ds.query(f"SELECT count(*), coalesce(fsum({w}), 0) FROM pop WHERE {where}", params)
        n, total = int(n), float(total)
        if n < min_group:
            raise PeerGroupTooSmall(group, n, total, min_group)
        stats = _peer_stats(ds, cols, x, where, params)
    return BenchmarkResult(firm_id=firm_id, group=group, n=n, weight=total, min_group=min_group, weighted=True,
                           table=benchmark_table(cols, x, stats))


def _peer_stats(ds: ParquetDataset, cols: Sequence[str], x: np.ndarray, where: str,
                params: Sequence[object]) -> list[tuple[float, ...]]:
    """(percentile, mean, median, p25, p75, n, weight) of each column among the peers, in SQL.

    The peers' weights and columns are gathered once (one scan, a temporary table that DuckDB spills
    to disk beyond its memory limit); then each column is sorted by (value, weight) once for the
    mid-point cumulative weights ``m`` and its figures are one aggregate over them.
    """
    w = ds.weight_sql()
    values = ", ".join(f"{_missing(c)} AS {_quote('c' + str(j))}" for j, c in enumerate(cols))
    quantile_terms = []
    for _, q in QUANTILES:
        t = f"({q!r} * total)"
        lo_v, lo_m = f"arg_max(v, m) FILTER (WHERE m <= {t})", f"max(m) FILTER (WHERE m <= {t})"
        hi_v, hi_m = f"arg_min(v, m) FILTER (WHERE m > {t})", f"min(m) FILTER (WHERE m > {t})"
        quantile_terms.append(  # Hazen: the last position at or below q·total, the first above, interpolated
            f"CASE WHEN {lo_m} IS NULL THEN {hi_v} WHEN {hi_m} IS NULL THEN {lo_v} "
            f"ELSE {lo_v} + ({t} - {lo_m}) / ({hi_m} - {lo_m}) * ({hi_v} - {lo_v}) END")
    ds.query(f"CREATE OR REPLACE TEMP TABLE innexport_peers AS SELECT {w} AS w, {values} FROM pop WHERE {where}",
             params)
    stats: list[tuple[float, ...]] = []
    try:
        for j in range(len(cols)):
            c = _quote("c" + str(j))
            firm_x = None if math.isnan(x[j]) else float(x[j])
            rows = ds.query(f"""
                SELECT 100 * (coalesce(fsum(w) FILTER (WHERE v < $x), 0)
                              + coalesce(fsum(w) FILTER (WHERE v = $x), 0) / 2) / total,
                       fsum(w * v) / total, {", ".join(quantile_terms)}, count(*), total
                FROM (SELECT v, w, fsum(w) OVER (ORDER BY v, w ROWS UNBOUNDED PRECEDING) - w / 2 AS m,
                             fsum(w) OVER () AS total
                      FROM (SELECT {c} AS v, w FROM innexport_peers WHERE {c} IS NOT NULL))
                GROUP BY total""", {"x": firm_x})
            if not rows:
                stats.append((math.nan,) * 5 + (0, 0.0))
                continue
            r = rows[0]
            pct = math.nan if firm_x is None else min(max(float(r[0]), 0.0), 100.0)
            stats.append((pct, float(r[1]), float(r[2]), float(r[3]), float(r[4]), int(r[5]), float(r[6])))
    finally:
        ds.query("DROP TABLE IF EXISTS innexport_peers")
    return stats
