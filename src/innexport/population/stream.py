"""A streamed population import: a survey read in row batches and written as it goes.

:func:`import_stream` gives the same population table as ``apply_mapping(read_for_mapping(…))``
(:mod:`innexport.population.mapping`) in memory that does not grow with the number of firms: each
batch of rows is cleaned as :func:`~innexport.population.io.read_survey` cleans a whole file and
goes through the SAME :func:`~innexport.population.mapping.apply_mapping`; its rows are written
before the next batch is read. Only the columns the mapping reads are read. A batch gets the mapping's
missing codes once, from :func:`survey_batches` (``apply_mapping`` is told they are applied:
:attr:`~innexport.population.io.Survey.codes_applied`, as for a file read whole), and the framework the
mapping names is loaded once per import, not per batch.

What is survey-wide, and where it is decided (every other rule is per row, hence identical per batch):

* **column types of an XLSX sheet**: pandas types a column from all its cells too; the first pass
  notes each batch's types and whether a column holds anything but texts, and the whole sheet's
  type follows (whole numbers, decimals where a cell is missing, texts, dates, or a mix kept as
  the cells are); a column the batches cannot decide (booleans, numbers beyond 64 bits) is read
  whole, that column alone (a sheet holds at most 1,048,576 rows). Rows, names and types are those
  of ``pandas.read_excel`` (tests: hypothesis on random sheets and batch sizes), but for a text cell
  that reads exactly like an Excel error value (``#VALUE!``): missing here, text there;
* **column types of a CSV**: pandas infers a column's type from all its cells (``1`` and ``x``
  make a text column, ``007`` then stays ``007``), so a first pass reads the CSV in batches and
  keeps, per column, the type the whole file would get (int, float where a batch has decimals or
  blanks, text otherwise); the second pass reads every batch with those types. Encoding and
  separator are decided once, as :mod:`~innexport.population.io` does (byte-order mark, else
  UTF-8, else Latin-1 when the first pass meets a byte UTF-8 refuses; separator sniffed from the
  first 64 KiB);
* **value labels of SPSS and Stata**: a code's label is the file's; an unlabelled code keeps its
  code, and two codes with one label are told apart by :func:`~innexport.population.io.apply_value_labels`
  in the order of the codes *present*. When a column's labels could meet an unlabelled code's
  text (a label ``"2"``, or text codes), a first light pass (that column only) collects the codes
  present in the whole file, so that every batch names them as the whole file does; otherwise the
  names do not depend on which codes a batch holds;
* **firm ids**: unique over the whole file: the ids already written are kept as a sorted array
  of their 64-bit hashes (:class:`SeenIds`: 8 bytes per firm; a set of the id texts took about
  100 bytes per firm, 1 GB at 10M firms); a hash seen again is checked on the exact ids by a pass
  over the id column, and a true duplicate is refused naming the id and both rows, with
  :func:`~innexport.population.io.check_ids`' wording (the same message as the in-memory import's);
* **row numbers** in messages: :data:`~innexport.population.io.ROW_OFFSET` is set per batch, so
  every message names rows of the whole file; without an id column a firm's id is its row
  number in the whole file (``apply_mapping``'s rule, shifted by the batch's offset).

The table is the in-memory import's, with two differences that do not change what it says: scores
may differ in the last bit or two (the core's matrix products round with the number of rows), and
a Parquet output fixes each column's type with its first batch, so a text column without a single
value in the whole survey is written as text rather than as Parquet's "null" type.

Formats read in batches: Parquet (a file or a folder of a partitioned dataset, by
``pyarrow.dataset``), CSV (pandas' C reader in chunks), SPSS and Stata (``pyreadstat``'s
``read_file_in_chunks``; a file whose labels are Latin-1 read as :func:`~innexport.population.io.readstat_encoding`
says), XLSX (openpyxl's read-only mode, ``iter_rows(values_only=True)``: the sheet's XML parsed once, the
cells of the columns read spilled to a temporary file per batch, then typed as ``pandas.read_excel``
types the whole sheet, :func:`_xlsx_dtypes`). An R ``.rds`` is read whole, then mapped in batches:
R's serialisation (R Internals, §1.8 "Serialization formats") writes a data frame as a list of
whole column vectors in one gzip stream, so rows cannot be reached without decoding every column
first, and neither reader (``rdata``, ``pyreadr``/librdata) offers rows or a column projection.

Written as it goes: a Parquet file (one row group per batch, through ``pyarrow.parquet.ParquetWriter``),
a partitioned Parquet dataset when the output is a folder (``part-00000.parquet``…), a CSV.
XLSX, SPSS and Stata outputs are written whole at the end
(:func:`~innexport.population.io.write_table`). Every output is first written under a temporary
name and takes its name only when the whole survey is imported; the stamp (framework, content
hash, mapping, survey) is the one :func:`~innexport.population.io.write_table` writes.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import math
import os
import pickle
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from innexport.core.framework import Framework
from innexport.files.limits import MAX_TABLE_BYTES, InputRefused, bom_encoding, check_table_shape, check_zip, read_text
from innexport.population.engine import score_partition
from innexport.population.frame import FIRM_ID, WEIGHT
from innexport.population.io import (
    SUFFIXES,
    SurveyError,
    apply_missing_codes,
    apply_value_labels,
    blank_to_missing,
    check_csv_header,
    format_rows,
    plain_value,
    read_stamp,
    read_survey,
    readstat_encoding,
    sniff_separator,
    spreadsheet_safe,
    stamp_of,
    write_sidecar,
)
from innexport.population.mapping import Mapping, MappingError, framework_named, id_texts, load_mapping

__all__ = ["DEFAULT_BATCH_ROWS", "SeenIds", "StreamResult", "id_hashes", "import_stream",
           "survey_batches"]

DEFAULT_BATCH_ROWS = 100_000
"""Rows per batch: about 100 MB of a wide survey (ENDEI II's 750 columns) in pandas."""

PART = "part-{:05d}.parquet"
"""The name of each file of a partitioned Parquet output, one per batch."""


@dataclass(frozen=True)
class StreamResult:
    """What :func:`import_stream` wrote."""

    out: Path
    firms: int
    weighted: float
    framework: str
    batches: int


# --- reading in batches -------------------------------------------------------------------------


def _kind(path: Path) -> str:
    if path.is_dir():
        return "parquet"
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise SurveyError(f"{path}: unknown file type '{path.suffix}'; expected one of {', '.join(sorted(SUFFIXES))}"
                          " or a folder of Parquet files")
    if not path.is_file():
        raise SurveyError(f"{path}: file not found")
    return kind


def survey_batches(path: str | Path, mapping: Mapping, batch_rows: int = DEFAULT_BATCH_ROWS) -> Iterator[pd.DataFrame]:
    """The survey's rows in batches of at most ``batch_rows``, cleaned as :func:`read_survey` cleans a
    whole file (blanks, the mapping's missing codes, value labels), with only the columns the mapping
    reads (those the file has: a missing one is reported by ``apply_mapping``).

    >>> import tempfile
    >>> from innexport.population.mapping import load_mapping
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "s.csv").write_text("id;country\\n1; France \\n2;\\n3;Chile\\n", encoding="utf-8")
    >>> batches = list(survey_batches(folder / "s.csv", load_mapping("wms"), batch_rows=2))
    >>> [len(b) for b in batches], batches[0]["country"].tolist()
    ([2, 1], ['France', nan])
    """
    path = Path(path)
    if batch_rows < 1:
        raise ValueError("batch_rows must be at least 1")
    kind = _kind(path)
    wanted = list(mapping.columns_used())
    try:
        if kind == "parquet":
            raw: Iterator[pd.DataFrame] = _parquet_batches(path, wanted, batch_rows)
            renamed: dict[str, str] = {}
        elif kind == "csv":
            renamed = read_stamp(path, kind)[1]
            raw = _csv_batches(path, _file_names(wanted, renamed), batch_rows)
        elif kind in ("sav", "dta"):
            raw, renamed = _readstat_batches(path, wanted, batch_rows)
        elif kind == "xlsx":
            _check_archive(path)  # read_stamp opens the workbook
            renamed = read_stamp(path, kind)[1]
            raw = _xlsx_batches(path, _file_names(wanted, renamed), batch_rows)
        else:  # rds: read whole (the format has no row access: see the module's docstring), mapped in batches
            whole = read_survey(path, missing_codes=None).data
            renamed = {}
            raw = (whole.iloc[k:k + batch_rows] for k in range(0, max(len(whole), 1), batch_rows))
        for batch in _at_least_one(raw):
            batch = batch.reset_index(drop=True)
            batch.columns = [str(c) for c in batch.columns]
            if renamed:
                batch = batch.rename(columns={c: renamed.get(c, c) for c in batch.columns})
            yield apply_missing_codes(_blanks_to_missing(batch), mapping.missing_codes, path)
    except SurveyError:
        raise
    except Exception as exc:  # a reader's own error (pyarrow's, pyreadstat's, pandas'): say which file
        raise SurveyError(f"{path}: cannot be read as {kind.upper()}: {exc}") from exc


def _blanks_to_missing(batch: pd.DataFrame) -> pd.DataFrame:
    """``batch`` with :func:`~innexport.population.io.blank_to_missing` applied to each column, as
    :func:`~innexport.population.io.read_survey` applies it; only the columns it changes (text columns) are
    replaced, the others are not copied into a new frame (that copy took about 0.2 s a batch of 100,000
    ENDEI II rows).

    >>> batch = pd.DataFrame({"x": [1.0, 2.0], "name": [" a ", " "]})
    >>> out = _blanks_to_missing(batch)
    >>> out["name"].tolist(), out["x"].tolist(), batch["name"].tolist()
    (['a', nan], [1.0, 2.0], [' a ', ' '])
    """
    out = batch.copy(deep=False)  # copy-on-write: replacing a column of ``out`` leaves ``batch`` as it was
    for col in batch.columns:
        given = batch[col]
        cleaned = blank_to_missing(given)
        if cleaned is not given:
            out[col] = cleaned
    return out


def _at_least_one(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
    """``batches``, or one empty batch when a reader gives none (an SPSS file of no rows)."""
    given = False
    for batch in batches:
        given = True
        yield batch
    if not given:
        yield pd.DataFrame()


def _file_names(wanted: list[str], renamed: dict[str, str]) -> list[str]:
    back = {new: old for old, new in renamed.items()}
    return [back.get(c, c) for c in wanted]


def _parquet_batches(path: Path, wanted: list[str], batch_rows: int) -> Iterator[pd.DataFrame]:
    """The batches of a Parquet file, or of each file of a folder in turn (``pyarrow.dataset`` finds them,
    in its order). Each file is read by ``ParquetFile.iter_batches``, a row group at a time: a dataset
    scanner reads ahead and held most of a survey (3.2 GB at the first batch of a million ENDEI-like firms)."""
    import pyarrow as pa
    import pyarrow.dataset as ds
    import pyarrow.parquet as pq

    dataset = ds.dataset(path, format="parquet")
    schema = dataset.schema
    names = schema.names
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise SurveyError(f"{path}: duplicated column name(s) {', '.join(dupes)}")
    read = set(wanted)
    columns = [c for c in names if c in read]  # in the file's order, as a whole read gives them (and messages list them)
    for file in dataset.files:
        with pq.ParquetFile(file) as part:
            present = [c for c in columns if c in part.schema_arrow.names]
            for batch in part.iter_batches(batch_size=batch_rows, columns=present):
                # the survey's schema keeps pandas' metadata, so types come back as pd.read_parquet gives them
                table = pa.Table.from_batches([batch]).replace_schema_metadata(schema.metadata)
                yield table.to_pandas()


def _csv_encoding(path: Path) -> str:
    """The codec pandas reads the CSV with: the one its byte-order mark names (files.limits.bom_encoding),
    in the form that also consumes the mark (``utf-8-sig``, ``utf-16``, ``utf-32``), else UTF-8."""
    with path.open("rb") as f:
        bom, codec = bom_encoding(f.read(4))
    if not bom:
        return "utf-8"
    return "utf-8-sig" if codec == "utf-8" else codec.rsplit("-", 1)[0]


_HEADER_CHARS = 16 * 1024 * 1024
"""The longest header line read to count its columns (far beyond MAX_TABLE_COLUMNS names)."""


def _csv_batches(path: Path, wanted: list[str], batch_rows: int) -> Iterator[pd.DataFrame]:
    encoding = _csv_encoding(path)
    if path.stat().st_size <= MAX_TABLE_BYTES:
        # the in-memory reader's decoding rule and messages (files.limits.decode_text: the byte-order
        # mark's encoding, else UTF-8, else Latin-1; a bad byte or a NUL named by its offset); a larger
        # file is decoded batch by batch below (a bad byte in a file with a mark is refused, not replaced)
        try:
            read_text(path, MAX_TABLE_BYTES, fallback="latin-1")
        except InputRefused as exc:
            raise SurveyError(str(exc)) from exc
    with path.open("r", encoding=encoding, errors="replace", newline="") as f:
        header_line = f.readline(_HEADER_CHARS)
        sample = header_line + f.read(64 * 1024)
    if not sample.strip():
        raise SurveyError(f"{path}: the file is empty")
    sep = sniff_separator(sample)
    check_csv_header(path, header_line, sep)  # the whole first line: its columns counted as the in-memory reader does
    header = list(pd.read_csv(path, sep=sep, encoding=encoding, nrows=0, encoding_errors="replace").columns)
    columns = [c for c in wanted if c in header] or header[:1]  # one column at least: the rows are counted

    def chunks(enc: str, dtype: dict[str, Any] | None) -> Iterator[pd.DataFrame]:
        try:
            yield from pd.read_csv(path, sep=sep, encoding=enc, usecols=columns, dtype=dtype, chunksize=batch_rows)
        except pd.errors.ParserError as exc:
            raise SurveyError(f"{path}: broken CSV (separator '{sep}'): {exc}") from None

    # first pass: the type each column has in the whole file (see the module's docstring)
    try:
        kinds = _csv_kinds(chunks(encoding, None))
    except UnicodeDecodeError as exc:
        if encoding != "utf-8":  # its byte-order mark names the encoding: no other is tried
            raise SurveyError(f"{path}: not {encoding.upper()} text ({exc.reason})") from None
        encoding = "latin-1"
        kinds = _csv_kinds(chunks(encoding, None))
    yield from chunks(encoding, kinds)


def _csv_kinds(chunks: Iterator[pd.DataFrame]) -> dict[str, Any]:
    """Per column, the dtype pandas gives the whole file, from the dtypes it gives each batch."""
    seen: dict[str, set[str]] = {}
    for chunk in chunks:
        for col in chunk.columns:
            dtype = chunk[col].dtype
            kind = ("int" if pd.api.types.is_integer_dtype(dtype) else "float" if pd.api.types.is_float_dtype(dtype)
                    else "bool" if pd.api.types.is_bool_dtype(dtype) else "text")
            seen.setdefault(str(col), set()).add(kind)
    out: dict[str, Any] = {}
    for col, kinds in seen.items():
        if kinds == {"int"}:
            out[col] = "int64"
        elif kinds <= {"int", "float"}:
            out[col] = "float64"
        elif kinds == {"bool"}:
            out[col] = "bool"
        elif "bool" not in kinds:
            out[col] = "str"
        # a column mixing true/false with other cells is left to pandas' own inference per batch
    return out


def _readstat_batches(path: Path, wanted: list[str], batch_rows: int) -> tuple[Iterator[pd.DataFrame], dict[str, str]]:
    import pyreadstat

    read = pyreadstat.read_dta if path.suffix.lower() == ".dta" else pyreadstat.read_sav
    # the file's text encoding bound once: pyreadstat's chunked reader re-reads the metadata without it
    read = functools.partial(read, encoding=readstat_encoding(path))
    _, meta = read(str(path), metadataonly=True)
    renamed = read_stamp(path, "dta" if path.suffix.lower() == ".dta" else "sav", list(meta.notes or []))[1]
    names = list(meta.column_names or [])
    columns = [c for c in _file_names(wanted, renamed) if c in names]
    labels = {col: {plain_value(k): v for k, v in lab.items()} for col, lab in (meta.variable_value_labels or {}).items()
              if col in columns and lab}
    ambiguous = [col for col, lab in labels.items() if _labels_ambiguous(lab)]
    if ambiguous:  # first light pass: the codes present in the whole file, for these columns only
        present: dict[str, set[Any]] = {col: set() for col in ambiguous}
        for chunk, _ in pyreadstat.read_file_in_chunks(read, str(path), chunksize=batch_rows, usecols=ambiguous,
                                                       apply_value_formats=False, user_missing=False):
            for col in ambiguous:
                present[col].update(plain_value(v) for v in pd.unique(chunk[col].dropna()))
        for col in ambiguous:
            labels[col] = {**labels[col], **{c: c for c in present[col] if c not in labels[col]}}

    def batches() -> Iterator[pd.DataFrame]:
        if not columns:
            yield pd.DataFrame(index=range(int(meta.number_rows or 0)))
            return
        for chunk, _ in pyreadstat.read_file_in_chunks(read, str(path), chunksize=batch_rows, usecols=columns,
                                                       apply_value_formats=False, user_missing=False):
            for col, lab in labels.items():
                chunk[col] = apply_value_labels(chunk[col], lab)
            yield chunk

    return batches(), renamed


def _labels_ambiguous(labels: dict[Any, Any]) -> bool:
    """Whether a label could be the text of an unlabelled code (then the names depend on the codes present)."""
    if any(isinstance(k, str) for k in labels):
        return True
    for text in (str(v) for v in labels.values()):
        try:
            code = plain_value(float(text))
        except ValueError:
            continue
        if str(code) == text and code not in labels:
            return True
    return False


# --- XLSX in batches ---------------------------------------------------------------------------

_XLSX_ERRORS = frozenset(("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A"))
"""Excel's error values (openpyxl's ``ERROR_CODES``; ECMA-376 Part 1, §18.17.4.2, "Error values"): read
as missing, as pandas reads an error cell."""


def _xlsx_cell(value: Any) -> Any:
    """A cell's value as ``pandas.read_excel`` gives it to its parser (pandas' ``OpenpyxlReader._convert_cell``):
    an empty cell is ``""``, an error missing, a whole number an ``int`` (``3.0`` → ``3``), anything else as
    openpyxl reads it (a date a ``datetime``, a text a ``str``, a boolean a ``bool``). Read with
    ``values_only``, an error cell comes as its text: a text cell that reads exactly like an error
    (``#VALUE!``) is therefore missing here and text in the in-memory read (the one difference)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        whole = int(value) if math.isfinite(value) else None
        return whole if whole == value else float(value)
    if isinstance(value, str) and value in _XLSX_ERRORS:
        return np.nan
    return value


def _trimmed_width(row: tuple[Any, ...]) -> int:
    """The row's length once its trailing empty cells are dropped (0: an empty row), as pandas trims it."""
    k = len(row)
    while k and (row[k - 1] is None or row[k - 1] == ""):
        k -= 1
    return k


@dataclass
class _XlsxScan:
    """What the first pass over a sheet learns: the header, the sheet's width and last row, each read
    column's type in the whole sheet (see :func:`_xlsx_dtypes`), and where the batches were spilled."""

    header: list[Any]
    width: int = 0
    last: int = 0
    """The number of data rows up to the last that is not empty (pandas drops the empty rows after it)."""
    kinds: dict[str, set[str]] = dataclasses.field(default_factory=dict)
    missing: set[str] = dataclasses.field(default_factory=set)
    exact: set[str] = dataclasses.field(default_factory=set)
    """Columns whose type the batches alone cannot tell (see :func:`_xlsx_dtypes`)."""
    cells: set[str] = dataclasses.field(default_factory=set)
    """Columns with a cell that is not a text (a number, date, boolean…): a mix of them and texts stays a mix."""
    batches: int = 0


def _parse(rows: list[Any], names: list[str], dtype: dict[str, Any] | None = None) -> pd.DataFrame:
    """``rows`` (lists of cell values) through pandas' own parser, as ``read_excel`` calls it (its type
    inference, missing texts ``NA``, ``n/a``…, numbers in text cells, and its ``skip_blank_lines=False``)."""
    from pandas.io.parsers import TextParser

    return TextParser(rows, names=names, header=None, skip_blank_lines=False, dtype=dtype).read()


def _xlsx_scan(sheet: Any, wanted: list[str], batch_rows: int, spill: Any) -> tuple[_XlsxScan, list[str]]:
    """The first pass: every row read once (openpyxl's read-only rows, ``values_only``), the cells of the
    columns read kept in ``spill`` batch by batch (a temporary file: the second pass does not parse the
    XML again), and each batch's types noted."""
    rows = sheet.iter_rows(values_only=True)
    first = next(rows, None)
    header = [_xlsx_cell(v) for v in first[:_trimmed_width(first)]] if first else []
    scan = _XlsxScan(header=header, width=len(header))
    names = [str(c) for c in _header_names(header)] if header else []
    index = {name: k for k, name in enumerate(names)}
    found = [c for c in wanted if c in index] or names[:1]
    columns = [index[c] for c in found]
    pending = 0  # empty rows not yet known to lie before a row with data

    def flush(batch: list[tuple[Any, ...] | None]) -> None:
        pickle.dump(batch, spill, protocol=pickle.HIGHEST_PROTOCOL)
        scan.batches += 1
        full = [list(r) for r in batch if r is not None]
        if full and found:
            frame = _parse(full, found)
            for j, col in enumerate(found):
                values = frame[col]
                if values.isna().any():
                    scan.missing.add(col)
                if values.isna().all():
                    continue  # an empty stretch: says nothing of the column's type
                scan.kinds.setdefault(col, set()).add(str(values.dtype))
                raw = {type(r[j]) for r in full} - {str}
                if raw - {float} or any(isinstance(r[j], float) and not math.isnan(r[j]) for r in full):
                    scan.cells.add(col)
                if bool in raw or (values.dtype == object and values.map(lambda v: isinstance(v, bool)).any()) \
                        or any(type(r[j]) is int and not -2**63 <= r[j] < 2**63 for r in full):
                    scan.exact.add(col)

    batch: list[tuple[Any, ...] | None] = []
    for done, row in enumerate(rows, start=1):
        width = _trimmed_width(row)
        if width == 0:
            pending += 1
            batch.append(None)
        else:
            if pending:
                scan.missing.update(found)  # empty rows inside the data: missing in every column
            pending = 0
            scan.width = max(scan.width, width)
            scan.last = done
            batch.append(tuple(_xlsx_cell(row[k]) if k < width else "" for k in columns))
        if len(batch) >= batch_rows:
            flush(batch)
            batch = []
    if batch:
        flush(batch)
    return scan, found


def _header_names(header: list[Any]) -> list[Any]:
    """The column names pandas gives a header row (a blank one ``Unnamed: k``, a repeated one ``x.1``)."""
    from pandas.io.parsers import TextParser

    return list(TextParser([header], header=0, skip_blank_lines=False).read().columns)


def _xlsx_dtypes(scan: _XlsxScan, found: list[str]) -> tuple[dict[str, Any], list[str]]:
    """The type pandas gives each read column of the whole sheet, from the types it gives each batch:
    whole numbers (``int64``, ``float64`` where a cell is missing), decimals, texts (``str``: text
    cells only, numbers written as text included), dates, or a mix (``object``: each cell as the
    sheet has it). Where the batches alone cannot tell (booleans, which pandas turns into numbers,
    ``True``/``False`` or leaves as they are depending on the whole column; whole numbers beyond 64
    bits; other mixes), the column is named for an exact whole-column reading (one column of at most
    the sheet's million rows)."""
    dtypes: dict[str, Any] = {}
    exact: list[str] = []
    for col in found:
        kinds = scan.kinds.get(col, set())
        missing = col in scan.missing
        if not kinds:
            continue  # empty throughout: each batch's own inference is the whole column's
        if col in scan.exact or "bool" in kinds:
            exact.append(col)
        elif kinds == {"int64"}:
            dtypes[col] = "float64" if missing else "int64"
        elif kinds <= {"int64", "float64"}:
            dtypes[col] = "float64"
        elif len(kinds) == 1 and (kinds <= {"str", "object", "uint64"} or next(iter(kinds)).startswith("datetime64")) \
                and not (missing and kinds == {"uint64"}):
            dtypes[col] = next(iter(kinds))
        elif kinds <= {"str", "object", "int64", "float64"}:
            dtypes[col] = object if col in scan.cells else "str"
        else:
            exact.append(col)
    return dtypes, exact


def _check_archive(path: Path) -> None:
    """Refuse a zip bomb from the XLSX archive's directory, before openpyxl inflates anything (its stamp sheet
    included)."""
    try:
        check_zip(path)
    except InputRefused as exc:
        raise SurveyError(f"{path}: cannot be read as XLSX: {exc.problem}") from exc


def _xlsx_batches(path: Path, wanted: list[str], batch_rows: int) -> Iterator[pd.DataFrame]:
    """The first sheet of an XLSX file in batches, as ``pandas.read_excel`` reads it whole
    (:func:`~innexport.population.io.read_survey`'s reader): same column names, same column types
    (decided over the whole sheet, :func:`_xlsx_dtypes`), same rows (empty rows inside the data kept
    as missing, those after the last row with data dropped), the same limits and refusals (the
    archive checked before anything is inflated; columns and rows counted as the in-memory reader
    counts them). openpyxl's read-only mode parses the sheet's XML once; the cells of the columns
    read are spilled to a temporary file per batch, then parsed again batch by batch with the
    whole sheet's types."""
    import tempfile

    from openpyxl import load_workbook

    _check_archive(path)
    with tempfile.TemporaryFile(prefix="innexport-xlsx-") as spill:
        book = load_workbook(path, read_only=True, data_only=True, keep_links=False)
        try:
            sheet = book.worksheets[0]
            sheet.reset_dimensions()  # declared dimensions can be wrong: openpyxl finds them while reading
            scan, found = _xlsx_scan(sheet, wanted, batch_rows, spill)
        finally:
            book.close()
        if not scan.header and not scan.last:
            yield pd.DataFrame()  # an empty sheet: pandas gives an empty frame
            return
        try:
            check_table_shape(str(path), rows=scan.last, columns=scan.width)
        except InputRefused as exc:
            raise SurveyError(str(exc)) from exc
        names = [str(c) for c in _header_names(scan.header + [""] * (scan.width - len(scan.header)))]
        found = [c for c in found if c in names]  # (a wanted name only a padded column has is not read)
        dtypes, exact = _xlsx_dtypes(scan, found)

        def spilled() -> Iterator[list[list[Any]]]:
            spill.seek(0)
            left = scan.last
            for _ in range(scan.batches):
                batch = pickle.load(spill)  # noqa: S301 - our own temporary file, written above
                rows = [list(r) if r is not None else [""] * len(found) for r in batch[:left]]
                left -= len(rows)
                if rows:
                    yield rows

        whole = {}
        if exact:  # these columns read whole (one column each), then cut into the batches
            cells: dict[str, list[Any]] = {col: [] for col in exact}
            at = [found.index(col) for col in exact]
            for rows in spilled():
                for col, k in zip(exact, at, strict=True):
                    cells[col].extend(r[k] for r in rows)
            whole = {col: _parse([[v] for v in cells.pop(col)], [col])[col] for col in exact}
        start = 0
        given = False
        for rows in spilled():
            if found:
                frame = _parse(rows, found, dtypes)
                for col, values in whole.items():
                    frame[col] = values.iloc[start:start + len(rows)].reset_index(drop=True)
            else:
                frame = pd.DataFrame(index=range(len(rows)))
            start += len(rows)
            given = True
            yield frame
        if not given:
            yield _parse([], found, dtypes) if found else pd.DataFrame()


# --- writing as it goes -------------------------------------------------------------------------


class _Writer:
    """Batches of the population table to ``out``: Parquet file or folder and CSV as they come, others at the end."""

    def __init__(self, out: Path, folder: bool):
        self.out, self.folder = out, folder
        self.suffix = "" if folder else out.suffix.lower()
        if not folder and self.suffix not in (".parquet", ".csv", ".xlsx", ".sav", ".dta"):
            raise SurveyError(f"{out}: cannot write '{out.suffix}' files; expected .parquet, .csv, .xlsx, .sav, .dta "
                              "or a folder (a partitioned Parquet dataset)")
        if folder and out.exists() and (not out.is_dir() or any(p.name != "_metadata" and not p.name.startswith("part-")
                                                                 for p in out.iterdir())):
            raise SurveyError(f"{out}: exists and holds other files than a population dataset's parts; "
                              "choose an empty or new folder")
        out.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = out.with_name(f".{out.name}.partial")
        if self.tmp.is_dir():
            shutil.rmtree(self.tmp)
        self.tmp.unlink(missing_ok=True)
        if folder:
            self.tmp.mkdir()
        self.schema: Any = None
        self.parquet: Any = None
        self.csv: Any = None
        self.kept: list[pd.DataFrame] = []
        self.parts = 0
        self.attrs: dict[str, Any] = {}

    def _table(self, frame: pd.DataFrame) -> Any:
        import pyarrow as pa

        table = pa.Table.from_pandas(frame, preserve_index=False)
        if self.schema is None:
            fields = [pa.field(f.name, pa.string()) if pa.types.is_null(f.type) else f for f in table.schema]
            meta = dict(table.schema.metadata or {})
            meta[b"PANDAS_ATTRS"] = json.dumps(self.attrs).encode("utf-8")  # as pandas' to_parquet keeps attrs
            self.schema = pa.schema(fields, metadata=meta)
        try:
            return table.cast(self.schema)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, ValueError) as exc:
            changed = [f.name for f, g in zip(self.schema, table.schema, strict=True) if f.type != g.type]
            raise SurveyError(f"{self.out}: column(s) {', '.join(changed)} change type in this batch ({exc}); "
                              "write a .csv, .xlsx, .sav or .dta instead") from None

    def write(self, frame: pd.DataFrame) -> None:
        if not self.attrs:
            self.attrs = {k: v for k, v in frame.attrs.items() if k != "variable_labels"}
        if self.folder:
            import pyarrow.parquet as pq

            pq.write_table(self._table(frame), self.tmp / PART.format(self.parts))
        elif self.suffix == ".parquet":
            import pyarrow.parquet as pq

            table = self._table(frame)
            if self.parquet is None:
                self.parquet = pq.ParquetWriter(self.tmp, self.schema)
            self.parquet.write_table(table)
        elif self.suffix == ".csv":
            if self.csv is None:
                self.csv = self.tmp.open("w", encoding="utf-8", newline="")
            spreadsheet_safe(frame).to_csv(self.csv, index=False, header=self.parts == 0, lineterminator="\r\n")
        else:
            self.kept.append(frame)
        self.parts += 1

    def close(self, ok: bool) -> None:
        if self.parquet is not None:
            self.parquet.close()
        if self.csv is not None:
            self.csv.close()
        if not ok:
            if self.tmp.is_dir():
                shutil.rmtree(self.tmp)
            self.tmp.unlink(missing_ok=True)
            return
        if self.suffix in (".xlsx", ".sav", ".dta"):  # written whole, by the one writer of these formats
            from innexport.population.io import write_table

            whole = pd.concat(self.kept, ignore_index=True)
            whole.attrs = dict(self.attrs)
            self.kept.clear()
            write_table(whole, self.out)
            return
        if self.folder and self.out.is_dir():
            shutil.rmtree(self.out)  # checked above: only the parts of an earlier import
        os.replace(self.tmp, self.out)
        if self.suffix == ".csv":
            stamped = pd.DataFrame()
            stamped.attrs.update(self.attrs)
            write_sidecar(self.out, stamp_of(stamped))


# --- firm ids across batches -------------------------------------------------------------------


def id_hashes(ids: pd.Series) -> np.ndarray:
    """The 64-bit hashes of firm ids (texts), as pandas hashes them (SipHash with pandas' fixed key, so
    the same id always gives the same hash).

    >>> h = id_hashes(pd.Series(["F1", "F2", "F1"]))
    >>> h.dtype.name, bool(h[0] == h[2]), bool(h[0] == h[1])
    ('uint64', True, False)
    """
    return np.asarray(pd.util.hash_array(ids.to_numpy(dtype=object), categorize=False), dtype=np.uint64)


class SeenIds:
    """The firm ids already written by a streamed import, kept as one sorted array of their 64-bit
    hashes: 8 bytes a firm (80 MB at 10M firms, where a set of the id texts takes about 1 GB), each
    batch checked by a binary search and merged in linear time (two sorted runs: NumPy's stable sort
    is a timsort, which merges them). A hash seen before is only a candidate: the exact ids decide
    (:func:`_duplicate`), so two ids sharing a hash are never refused.

    >>> seen = SeenIds()
    >>> seen.add(id_hashes(pd.Series(["F1", "F2"])))
    >>> seen.seen(id_hashes(pd.Series(["F3", "F2"]))).tolist(), len(seen)
    ([False, True], 2)
    """

    def __init__(self) -> None:
        self.hashes = np.empty(0, dtype=np.uint64)

    def __len__(self) -> int:
        return len(self.hashes)

    def seen(self, hashes: np.ndarray) -> np.ndarray:
        """Which of ``hashes`` were added before (a boolean array, in their order)."""
        if not len(self.hashes) or not len(hashes):
            return np.zeros(len(hashes), dtype=bool)
        at = np.minimum(np.searchsorted(self.hashes, hashes), len(self.hashes) - 1)
        return np.asarray(self.hashes[at] == hashes)

    def add(self, hashes: np.ndarray) -> None:
        """Add a batch's hashes."""
        merged = np.concatenate([self.hashes, np.sort(hashes)])
        merged.sort(kind="stable")
        self.hashes = merged


# --- the import ---------------------------------------------------------------------------------


def import_stream(survey: str | Path, mapping: Mapping | str | Path, out: str | Path, framework: Framework | None = None,
                  *, batch_rows: int = DEFAULT_BATCH_ROWS, folder: bool | None = None,
                  progress: Callable[[int], None] | None = None) -> StreamResult:
    """Import ``survey`` through ``mapping`` into ``out``, batch by batch (see the module's docstring).

    ``out`` is a folder (a partitioned Parquet dataset) when ``folder`` is true, or by default when it
    is an existing folder or a new path without a suffix; ``progress`` is called with the number of firms written
    after each batch. Raises what ``apply_mapping`` raises (:class:`MappingError`, :class:`SurveyError`
    naming rows of the whole file), and :class:`SurveyError` for an id found in two batches.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> items = ["lean1", "lean2", "perf1", "perf2", "perf3", "perf4", "perf7", "perf8", "talent1", "talent2",
    ...          "talent4", "talent5"]
    >>> survey = pd.DataFrame({"country": ["France", "Chile", "Argentina"], "sic2": [20, 31, 20],
    ...                        "employment": ["A) 50 to 100", "E) 1000+", "B) 101 to 250"],
    ...                        **{item: [1, 3, 5] for item in items}})
    >>> survey.to_csv(folder / "wms.csv", index=False)
    >>> result = import_stream(folder / "wms.csv", "wms", folder / "pop.parquet", batch_rows=2)
    >>> result.firms, result.batches
    (3, 2)
    >>> pd.read_parquet(folder / "pop.parquet")[["firm_id", "country", "size"]].values.tolist()
    [['1', 'FR', 'medium'], ['2', 'CL', 'large'], ['3', 'AR', 'medium']]
    """
    survey, out = Path(survey), Path(out)
    spec = mapping if isinstance(mapping, Mapping) else load_mapping(mapping, framework)
    if folder is None:
        folder = out.is_dir() or (out.suffix == "" and not out.exists())
    writer = _Writer(out, folder)
    seen = SeenIds()
    weighted = 0.0
    rows = 0
    label = ""
    ok = False
    if framework is None:
        # the framework the mapping names, loaded once here rather than by apply_mapping for every batch
        # (a tenth of a second each); one that cannot be loaded is refused by apply_mapping at the first batch
        with contextlib.suppress(MappingError):
            framework = framework_named(spec)
    try:
        for batch in survey_batches(survey, spec, batch_rows):
            # the one per-batch rule, shared with the Dask engine: apply_mapping, rows and ids of the whole file
            # (the batch's missing codes are applied by survey_batches: apply_mapping does not look for them again)
            frame = score_partition(batch, spec, framework, source=str(survey), first_row=rows,
                                    codes_applied=spec.missing_codes)
            if spec.id_column is not None:
                hashes = id_hashes(frame[FIRM_ID])
                again = seen.seen(hashes)
                if again.any():  # an id's hash seen before: the exact ids decide (a pass over the id column)
                    refusal = _duplicate(survey, spec, batch_rows, set(frame[FIRM_ID][again]))
                    if refusal is not None:
                        raise refusal
                seen.add(hashes)
            writer.write(frame)
            rows += len(frame)
            weighted += float(frame[WEIGHT].sum())
            label = str(frame.attrs.get("framework", ""))
            if progress is not None:
                progress(rows)
        ok = True
    finally:
        writer.close(ok)
    return StreamResult(out=out, firms=rows, weighted=weighted, framework=label, batches=writer.parts)


def _duplicate(path: Path, spec: Mapping, batch_rows: int, dupes: set[str]) -> SurveyError | None:
    """The refusal of the ids of ``dupes`` found in two rows of the whole file, naming them and their
    rows (a pass over the id column), in :func:`~innexport.population.io.check_ids`' words; ``None``
    when none of them is in two rows (two ids of one 64-bit hash: about one survey in 300,000 at 10M
    firms)."""
    if spec.id_column is None:
        raise ValueError("ids are unique by construction without an id column")
    found: dict[str, list[int]] = {}  # id → its rows, ids in the order of their first row
    read: dict[str, Any] = {}  # id → its value as read at its first row (shown as check_ids shows it: 12, 'F2')
    start = 0
    wanted = list(dupes)
    for batch in survey_batches(path, spec, batch_rows):
        column = batch[spec.id_column]
        ids = pd.Series(id_texts(column), dtype=object)
        for k in np.flatnonzero(ids.isin(wanted).to_numpy()):  # the few rows holding a candidate, in their order
            found.setdefault(ids.iat[k], []).append(start + int(k))
            read.setdefault(ids.iat[k], column.iat[k])
        start += len(batch)
    twice = {i: rows for i, rows in found.items() if len(rows) > 1}
    if not twice:
        return None
    positions = [k for rows in twice.values() for k in rows]
    values = ", ".join(repr(plain_value(read[i])) for i in list(twice)[:5])
    return SurveyError(f"{path}: id column '{spec.id_column}': each firm needs its own id; "
                       f"duplicated ({values}) in {format_rows(np.array(sorted(positions)))}")
