"""Reading surveys of many firms and writing population tables, with survey weights, missing codes and labels.

:func:`read_survey` reads one file — CSV, XLSX, SPSS ``.sav``, Stata ``.dta``, R ``.rds`` or Parquet,
chosen by its suffix — into a :class:`Survey`: one row per firm, labelled categories as pandas
Categoricals of their labels, the survey's missing-value codes turned into NaN, and the weight and
firm-id columns checked. :func:`write_table` writes a table (a survey or a population table) in the
same formats, keeping value labels where the format can (SPSS, Stata, Parquet).

Every problem is a :class:`SurveyError` naming the file, the column(s) and the data rows (1-based,
the header not counted; at most ten listed). CSV and XLSX files are held to the input limits of
:mod:`innexport.files.limits` before pandas reads them (file size, lines, header width, the XLSX
archive's members and uncompressed size: a zip bomb is refused from the archive's directory); a
CSV's encoding is the one its byte-order mark names (UTF-8, UTF-16, UTF-32), else UTF-8, else Latin-1.

Cleaning applied on reading, whatever the format: text cells are stripped of surrounding blanks
and an empty text cell is missing; the ``missing_codes`` given (numbers or texts) become NaN.
"""

from __future__ import annotations

import contextlib
import contextvars
import csv
import io
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from innexport.files.limits import (
    MAX_DOCUMENT_BYTES,
    MAX_TABLE_BYTES,
    InputRefused,
    check_table_shape,
    check_zip,
    read_text,
)

SUFFIXES: dict[str, str] = {
    ".csv": "csv", ".txt": "csv", ".tsv": "csv",
    ".xlsx": "xlsx", ".xlsm": "xlsx",
    ".sav": "sav", ".zsav": "sav",
    ".dta": "dta",
    ".rds": "rds",
    ".parquet": "parquet", ".pq": "parquet",
}
"""File suffixes read by :func:`read_survey` and the format each one means."""

WRITE_SUFFIXES: tuple[str, ...] = (".csv", ".xlsx", ".sav", ".dta", ".parquet")
MAX_ROWS_LISTED = 10

MissingCodes = Sequence[Any] | Mapping[str, Sequence[Any]] | None


class SurveyError(ValueError):
    """A survey file that cannot be read as asked; the message names the file, columns and rows."""


@dataclass
class Survey:
    """A survey read from a file: one row per firm."""

    data: pd.DataFrame
    """One row per firm; labelled categorical columns are pandas Categoricals of their labels."""
    weight: str | None
    """The name of the weight column (``None``: every firm weighs 1)."""
    value_labels: dict[str, dict] = field(default_factory=dict)
    """Column → {code: label}, as the file gives them (SPSS, Stata; R factor levels numbered from 1)."""
    variable_labels: dict[str, str] = field(default_factory=dict)
    """Column → its label (question text), when the file has them."""
    source: str = ""
    """The file read."""
    id_column: str | None = None
    """The column identifying firms (unique, never missing), if one was given."""
    codes_applied: MissingCodes = None
    """The missing codes already made missing in ``data`` (by :func:`read_survey`, or a streamed
    batch's reader): ``apply_mapping`` does not look for the same codes a second time."""

    def __len__(self) -> int:
        return len(self.data)

    @property
    def weights(self) -> np.ndarray:
        """The survey weights (1 for every firm when the survey has none)."""
        if self.weight is None:
            return np.ones(len(self.data))
        return pd.to_numeric(self.data[self.weight], errors="coerce").to_numpy(dtype=float)


# --- helpers shared with mapping.py ---------------------------------------------------------------


ROW_OFFSET: contextvars.ContextVar[int] = contextvars.ContextVar("ROW_OFFSET", default=0)
"""Rows before the table being checked: a streamed import (:mod:`~innexport.population.stream`) sets it
per batch so that :func:`format_rows` names rows of the whole file."""


def format_rows(positions: Iterable[int] | np.ndarray, limit: int = MAX_ROWS_LISTED) -> str:
    """``rows 3, 8 and 12`` or ``rows 1, 2, … (and 40 more)`` from 0-based positions (plus :data:`ROW_OFFSET`)."""
    offset = ROW_OFFSET.get()
    rows = [int(p) + 1 + offset for p in positions]
    if not rows:
        return "no rows"
    shown = ", ".join(str(r) for r in rows[:limit])
    word = "row" if len(rows) == 1 else "rows"
    if len(rows) > limit:
        return f"{word} {shown} (and {len(rows) - limit} more)"
    return f"{word} {shown}"


def _where(source: str | Path | None) -> str:
    return f"{source}: " if source else ""


def check_columns(data: pd.DataFrame, columns: Iterable[str], source: str | Path | None, what: str = "column") -> None:
    """Raise :class:`SurveyError` naming every column of ``columns`` that ``data`` lacks."""
    missing = [c for c in dict.fromkeys(columns) if c not in data.columns]
    if missing:
        plural = "s" if len(missing) > 1 else ""
        raise SurveyError(f"{_where(source)}unknown {what}{plural} {', '.join(repr(c) for c in missing)} "
                          f"(the file has {len(data.columns)} columns: {_preview(data.columns)})")


def _preview(columns: Iterable[Any], limit: int = 12) -> str:
    cols = [str(c) for c in columns]
    return ", ".join(cols[:limit]) + (", …" if len(cols) > limit else "")


def check_weights(data: pd.DataFrame, weight: str, source: str | Path | None) -> None:
    """The weight column exists and every weight is a finite number > 0, else :class:`SurveyError`."""
    check_columns(data, [weight], source, what="weight column")
    raw = data[weight]
    values = pd.to_numeric(raw.astype(object) if isinstance(raw.dtype, pd.CategoricalDtype) else raw,
                           errors="coerce").to_numpy(dtype=float)
    problems = []
    not_number = raw.notna().to_numpy() & np.isnan(values)
    if not_number.any():
        problems.append(f"not a number in {format_rows(np.flatnonzero(not_number))}")
    missing = raw.isna().to_numpy()
    if missing.any():
        problems.append(f"missing in {format_rows(np.flatnonzero(missing))}")
    with np.errstate(invalid="ignore"):
        infinite = np.isinf(values)
        negative = values < 0
        zero = values == 0
    if infinite.any():
        problems.append(f"infinite in {format_rows(np.flatnonzero(infinite))}")
    if negative.any():
        problems.append(f"negative in {format_rows(np.flatnonzero(negative))}")
    if zero.any():
        problems.append(f"zero in {format_rows(np.flatnonzero(zero))}")
    if problems:
        raise SurveyError(f"{_where(source)}weight column '{weight}': every weight must be a number > 0; "
                          + "; ".join(problems))


def check_ids(data: pd.DataFrame, id_column: str, source: str | Path | None) -> None:
    """The id column exists, is never missing and is unique, else :class:`SurveyError`."""
    check_columns(data, [id_column], source, what="id column")
    ids = data[id_column]
    problems = []
    missing = ids.isna().to_numpy()
    if missing.any():
        problems.append(f"missing in {format_rows(np.flatnonzero(missing))}")
    dupes = ids.duplicated(keep=False).to_numpy() & ~missing
    if dupes.any():
        values = pd.unique(ids[dupes])[:5]
        problems.append(f"duplicated ({', '.join(repr(plain_value(v)) for v in values)}) in {format_rows(np.flatnonzero(dupes))}")
    if problems:
        raise SurveyError(f"{_where(source)}id column '{id_column}': each firm needs its own id; " + "; ".join(problems))


def json_plain(x: Any) -> Any:
    """``x`` (dicts, lists and tuples of numbers, recursively) as valid JSON: plain Python numbers, None for
    NaN, infinities and pandas' missing values, keys as text. Every population analysis's ``--json`` goes
    through it.

    >>> json_plain({"a": np.float64(0.5), 1: [np.int64(2), float("nan"), np.bool_(True), pd.NA]})
    {'a': 0.5, '1': [2, None, True, None]}
    """
    if isinstance(x, dict):
        return {str(k): json_plain(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [json_plain(v) for v in x]
    if isinstance(x, np.bool_ | bool):
        return bool(x)
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, float | np.floating):
        return float(x) if math.isfinite(x) else None
    if x is pd.NA or x is pd.NaT:
        return None
    return x


def plain_value(value: Any) -> Any:
    """A cell's value as a plain Python value, for messages and label tables: numpy scalars as Python
    values, integral floats as ints (a code ``2.0`` read from SPSS is the code ``2``).

    >>> plain_value(np.float64(2.0)), plain_value(2.5), plain_value(np.int32(7)), plain_value("007")
    (2, 2.5, 7, '007')
    """
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _is_text_dtype(dtype: Any) -> bool:
    return pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype)


def _code_texts(code: Any) -> set[str]:
    """The texts under which a missing code may appear in a text column (``-99`` → ``-99``, ``-99.0``)."""
    if isinstance(code, str):
        return {code.strip()}
    if isinstance(code, bool):
        return set()
    number = float(code)
    texts = {repr(number), str(code)}
    if number.is_integer():
        texts.add(str(int(number)))
    return texts


def _code_numbers(codes: Iterable[Any]) -> list[float]:
    numbers = []
    for code in codes:
        if isinstance(code, bool):
            continue
        if isinstance(code, (int, float, np.number)):
            numbers.append(float(code))
        elif isinstance(code, str):
            with contextlib.suppress(ValueError):
                numbers.append(float(code))
    return numbers


def blank_to_missing(series: pd.Series) -> pd.Series:
    """The text-cell rule of every survey read: text cells (text, object and categorical columns) are
    stripped of surrounding blanks and an empty one becomes missing; other values are left as they are.
    Applied to a whole file by :func:`read_survey` and to each batch of a streamed import.

    >>> blank_to_missing(pd.Series([" France ", "", None, "Chile"], dtype=object)).tolist()
    ['France', nan, nan, 'Chile']
    >>> blank_to_missing(pd.Series([1.0, np.nan])).tolist()
    [1.0, nan]
    """
    if isinstance(series.dtype, pd.CategoricalDtype):
        cats = series.cat.categories
        if not _is_text_dtype(cats.dtype):
            return series
        stripped = [str(c).strip() for c in cats]
        if stripped == list(cats) and "" not in stripped:
            return series
        values = series.astype(object).map(lambda v: v.strip() if isinstance(v, str) else v)
        values = values.where(values != "", None)
        order = [c for c in dict.fromkeys(stripped) if c != ""]
        return pd.Series(pd.Categorical(values, categories=order, ordered=series.cat.ordered),
                         index=series.index, name=series.name)
    if not _is_text_dtype(series.dtype):
        return series
    if pd.api.types.is_string_dtype(series.dtype) and not pd.api.types.is_object_dtype(series.dtype):
        stripped = series.str.strip()  # a pandas string dtype: vectorised
        return stripped.mask(stripped == "")
    obj = series.astype(object)
    stripped = obj.map(lambda v: v.strip() if isinstance(v, str) else v)
    blank = stripped.map(lambda v: isinstance(v, str) and v == "").astype(bool)
    return stripped.mask(blank) if blank.any() else stripped


def apply_missing_codes(data: pd.DataFrame, missing_codes: MissingCodes, source: str | Path | None = None) -> pd.DataFrame:
    """A copy of ``data`` where the missing codes are NaN.

    ``missing_codes`` is a list applied to every column (numbers match numeric cells and their text
    forms, texts match text and categorical cells after stripping blanks) or a dict
    ``{column: [codes]}``; a column of the dict that ``data`` lacks is a :class:`SurveyError`.
    """
    if not missing_codes:
        return data
    if isinstance(missing_codes, Mapping):
        check_columns(data, missing_codes.keys(), source, what="column in missing_codes")
        per_column = {col: list(codes if isinstance(codes, (list, tuple, set)) else [codes])
                      for col, codes in missing_codes.items()}
    elif isinstance(missing_codes, (str, int, float)):
        per_column = {col: [missing_codes] for col in data.columns}
    else:
        codes = list(missing_codes)
        per_column = {col: codes for col in data.columns}
    out = data.copy()
    for col, codes in per_column.items():
        out[col] = _drop_codes(out[col], codes)
    return out


def _drop_codes(series: pd.Series, codes: Sequence[Any]) -> pd.Series:
    if not codes:
        return series
    texts: set[str] = set().union(*(_code_texts(c) for c in codes))
    numbers = _code_numbers(codes)
    if isinstance(series.dtype, pd.CategoricalDtype):
        cats = series.cat.categories
        if pd.api.types.is_numeric_dtype(cats.dtype):
            drop = [c for c in cats if float(c) in numbers]
        else:
            drop = [c for c in cats if str(c).strip() in texts]
        if not drop:
            return series
        return series.where(~series.isin(drop)).cat.remove_categories(drop)
    if pd.api.types.is_bool_dtype(series.dtype):
        return series
    if pd.api.types.is_numeric_dtype(series.dtype):
        if not numbers:
            return series
        return series.mask(series.isin(numbers))
    if pd.api.types.is_string_dtype(series.dtype) and not pd.api.types.is_object_dtype(series.dtype):
        hit = series.str.strip().isin(texts).fillna(False).astype(bool)  # a pandas string dtype: vectorised
        return series.mask(hit) if hit.any() else series
    if _is_text_dtype(series.dtype):
        obj = series.astype(object)
        hit = obj.map(lambda v: (isinstance(v, str) and v.strip() in texts)
                      or (isinstance(v, (int, float, np.number)) and not isinstance(v, bool) and float(v) in numbers))
        if not hit.any():
            return series
        return series.mask(hit.astype(bool))
    return series


# --- reading ----------------------------------------------------------------------------------


def read_survey(path: str | Path, *, weight: str | None = None, missing_codes: MissingCodes = None,
                id_column: str | None = None) -> Survey:
    """Read a survey file (format by suffix) into a :class:`Survey`.

    ``weight`` names the survey-weight column (every weight must be a number > 0); ``missing_codes``
    (a list for every column, or ``{column: [codes]}``) become NaN; ``id_column`` names the column
    identifying firms (unique, never missing). Problems raise :class:`SurveyError`.
    """
    path = Path(path)
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise SurveyError(f"{path}: unknown file type '{path.suffix}'; expected one of {', '.join(sorted(SUFFIXES))}")
    if not path.is_file():
        raise SurveyError(f"{path}: file not found")
    reader = {"csv": _read_csv, "xlsx": _read_xlsx, "sav": _read_spss_stata, "dta": _read_spss_stata,
              "rds": _read_rds, "parquet": _read_parquet}[kind]
    try:
        data, value_labels, variable_labels = reader(path)
    except SurveyError:
        raise
    except Exception as exc:  # a reader's own error: say which file could not be read
        raise SurveyError(f"{path}: cannot be read as {kind.upper()}: {exc}") from exc
    data = data.reset_index(drop=True)
    data.columns = [str(c) for c in data.columns]
    dupes = sorted(set(data.columns[data.columns.duplicated()]))
    if dupes:
        raise SurveyError(f"{path}: duplicated column name(s) {', '.join(dupes)}")
    stamp = dict(data.attrs)  # a population table's framework, content hash and mapping (Parquet keeps them)
    if kind != "parquet":
        found, renamed = read_stamp(path, kind, data.attrs.pop("notes", ()))
        stamp = found
        if renamed and found:
            data = data.rename(columns={c: renamed.get(c, c) for c in data.columns})
            variable_labels = {renamed.get(c, c): v for c, v in variable_labels.items() if v != renamed.get(c)}
    data = pd.DataFrame({col: blank_to_missing(data[col]) for col in data.columns}, index=data.index)
    data = apply_missing_codes(data, missing_codes, path)
    data.attrs.update(stamp)
    if weight is not None:
        check_weights(data, weight, path)
    if id_column is not None:
        check_ids(data, id_column, path)
    return Survey(data=data, weight=weight, value_labels=value_labels, variable_labels=variable_labels,
                  source=str(path), id_column=id_column, codes_applied=missing_codes or None)


def _read_text(path: Path) -> str:
    """A CSV file's text, held to the input limits of :mod:`innexport.files.limits` (size, lines):
    the encoding its byte-order mark names (UTF-8, UTF-16, UTF-32), else UTF-8, else Latin-1 (which
    decodes any byte: surveys exported by older tools); a NUL character is refused."""
    try:
        text = read_text(path, MAX_TABLE_BYTES, fallback="latin-1")
        check_table_shape(str(path), rows=text.count("\n"))
    except InputRefused as exc:
        raise SurveyError(str(exc)) from exc
    return text


_SNIFF_CHARS = 64 * 1024
"""The sample the separator is guessed from: its first 50 lines, at most this many characters."""


def sniff_separator(text: str) -> str:
    """The separator of a CSV file from its first 50 lines (at most 64 KiB): one of ``; , tab |`` as
    Python's :class:`csv.Sniffer` finds it, else the one the header line holds most, else a comma.

    >>> sniff_separator("id;country\\n1;France\\n2;Chile\\n"), sniff_separator("id,country\\n1,France\\n")
    (';', ',')
    >>> sniff_separator("one column only")
    ','
    """
    sample = "\n".join(text[:_SNIFF_CHARS].splitlines()[:50])
    try:
        return csv.Sniffer().sniff(sample, delimiters=";,\t|").delimiter
    except csv.Error:
        header = sample.splitlines()[0] if sample else ""
        counts = {sep: header.count(sep) for sep in (";", ",", "\t", "|")}
        best = max(counts, key=counts.__getitem__)
        return best if counts[best] else ","


def check_csv_header(path: Path, text: str, sep: str) -> None:
    """Refuse a CSV whose header row (``text``: the file's text or its first line) is wider than
    :data:`~innexport.files.limits.MAX_TABLE_COLUMNS` before pandas reads it; the message names the
    file and its line 1.

    >>> check_csv_header(Path("wide.csv"), ";".join(["q"] * 6000), ";")
    Traceback (most recent call last):
    ...
    innexport.population.io.SurveyError: wide.csv, line 1: 6,000 columns: more than the 5,000 accepted
    """
    try:
        header = next(csv.reader(io.StringIO(text), delimiter=sep), [])
    except csv.Error:
        return  # pandas says what is wrong with it
    try:
        check_table_shape(str(path), columns=len(header), where="line 1")
    except InputRefused as exc:
        raise SurveyError(str(exc)) from exc


def _read_csv(path: Path) -> tuple[pd.DataFrame, dict, dict]:
    text = _read_text(path)
    if not text.strip():
        raise SurveyError(f"{path}: the file is empty")
    sep = sniff_separator(text)
    check_csv_header(path, text, sep)
    try:
        data = pd.read_csv(io.StringIO(text), sep=sep, low_memory=False)
    except pd.errors.ParserError as exc:
        raise SurveyError(f"{path}: broken CSV (separator '{sep}'): {exc}") from None
    return data, {}, {}


def _read_xlsx(path: Path) -> tuple[pd.DataFrame, dict, dict]:
    try:
        check_zip(path)  # before openpyxl inflates anything: a zip bomb is refused from the archive's directory
    except InputRefused as exc:
        raise SurveyError(f"{path}: cannot be read as XLSX: {exc.problem}") from exc
    data = pd.read_excel(path, sheet_name=0, engine="openpyxl")
    try:
        check_table_shape(str(path), rows=len(data), columns=data.shape[1])
    except InputRefused as exc:
        raise SurveyError(str(exc)) from exc
    return data, {}, {}


def readstat_encoding(path: Path) -> str | None:
    """The text encoding to read an SPSS or Stata file with: ``None`` (the file's own: UTF-8 for Stata
    14+), or ``"latin1"`` when its labels are not valid UTF-8 -- a Stata 118 file converted from an older
    one by a tool that kept the Latin-1 text (the Mannheim Innovation Panel's public extract is one).
    The same fallback as a CSV's: UTF-8, else Latin-1. (Engineer E's rule, for the ``mip2021`` mapping.)

    >>> import tempfile, pyreadstat
    >>> path = Path(tempfile.mkdtemp()) / "s.dta"
    >>> pyreadstat.write_dta(pd.DataFrame({"x": [1.0]}), str(path), column_labels=["Länder"])
    >>> readstat_encoding(path) is None
    True
    """
    import pyreadstat

    read = pyreadstat.read_dta if path.suffix.lower() == ".dta" else pyreadstat.read_sav
    try:
        read(str(path), metadataonly=True)
    except UnicodeDecodeError:
        return "latin1"
    return None


def _read_spss_stata(path: Path) -> tuple[pd.DataFrame, dict, dict]:
    import pyreadstat

    read = pyreadstat.read_dta if path.suffix.lower() == ".dta" else pyreadstat.read_sav
    # user_missing=False: SPSS user-defined missing values (and Stata's extended missing) come as NaN
    data, meta = read(str(path), apply_value_formats=False, user_missing=False, encoding=readstat_encoding(path))
    value_labels: dict[str, dict] = {}
    for col, labels in (meta.variable_value_labels or {}).items():
        if col in data.columns and labels:
            value_labels[col] = {plain_value(k): v for k, v in labels.items()}
            data[col] = apply_value_labels(data[col], value_labels[col])
    variable_labels = {c: lab for c, lab in (meta.column_names_to_labels or {}).items() if lab}
    data.attrs["notes"] = list(meta.notes or [])  # where an SPSS file keeps its stamp (read_survey takes it)
    return data, value_labels, variable_labels


def apply_value_labels(series: pd.Series, labels: dict) -> pd.Series:
    """A coded column (SPSS, Stata) as a Categorical of its value labels, categories in the order of
    the codes; a code without a label keeps its code as label, and two codes with one label are told
    apart as ``label (code)``.

    >>> s = apply_value_labels(pd.Series([1.0, 2.0, np.nan, 9.0]), {1: "yes", 2: "no", 3: "yes"})
    >>> s.tolist(), list(s.cat.categories)
    (['yes', 'no', nan, '9'], ['yes', 'no', 'yes (3)', '9'])
    """
    present = [plain_value(v) for v in pd.unique(series.dropna())]
    codes = sorted(set(labels) | set(present), key=lambda c: (isinstance(c, str), c))
    names: dict[Any, str] = {}
    for code in codes:
        name = str(labels.get(code, code))
        if name in names.values():  # two codes with one label: keep them apart
            name = f"{name} ({code})"
        names[code] = name
    values = series.map(lambda v: names.get(plain_value(v)) if pd.notna(v) else None)
    return pd.Series(pd.Categorical(values, categories=list(names.values())), index=series.index, name=series.name)


def _read_rds(path: Path) -> tuple[pd.DataFrame, dict, dict]:
    """One data frame saved by R's ``saveRDS``. Read by ``rdata`` (MIT, a core dependency; pure Python, so a
    large survey takes a while: ENDEI II, 4,000 firms by 750 columns, about 30 s), or by ``pyreadr``
    (librdata in C: about 1 s) when it is installed (``pip install innexport[rds-fast]``, AGPL-3.0,
    hence never installed by default); both give the same frame. A tibble is read as the data frame it
    is; text columns get pandas' default string type and the row index is 0, 1, 2… as for the other
    formats; a factor's levels are its value labels (codes 1..k, as R numbers them)."""
    try:
        import pyreadr
    except ImportError:
        data = _rds_by_rdata(path)
    else:
        try:
            frames = [v for v in pyreadr.read_r(str(path)).values() if isinstance(v, pd.DataFrame)]
        except (pyreadr.custom_errors.PyreadrError, pyreadr.custom_errors.LibrdataError) as exc:
            raise SurveyError(f"{path}: not an R data file that can be read ({type(exc).__name__}: {exc})") from None
        if len(frames) != 1:
            raise SurveyError(f"{path}: expected one data frame, found {len(frames)}")
        data = frames[0]
    data = data.reset_index(drop=True)
    for col in data.columns:
        if isinstance(data[col].dtype, pd.StringDtype) or data[col].dtype == object:
            data[col] = data[col].astype(str).where(data[col].notna(), None).astype("str")
    value_labels = {col: {k + 1: str(c) for k, c in enumerate(data[col].cat.categories)}
                    for col in data.columns if isinstance(data[col].dtype, pd.CategoricalDtype)}
    return data, value_labels, {}


def _rds_by_rdata(path: Path) -> pd.DataFrame:
    import rdata
    from rdata.conversion import DEFAULT_CLASS_MAP

    classes = dict(DEFAULT_CLASS_MAP)
    for name in ("tbl_df", "tbl", "rowwise_df", "grouped_df"):  # a tibble is a data frame with these classes first
        classes[name] = DEFAULT_CLASS_MAP["data.frame"]
    try:
        result = rdata.read_rds(path, constructor_dict=classes)
    except (ValueError, TypeError, KeyError, NotImplementedError, EOFError) as exc:
        raise SurveyError(f"{path}: not an R data file that can be read ({type(exc).__name__}: {exc})") from None
    if not isinstance(result, pd.DataFrame):
        raise SurveyError(f"{path}: expected one data frame, found {type(result).__name__}")
    return result


def _read_parquet(path: Path) -> tuple[pd.DataFrame, dict, dict]:
    data = pd.read_parquet(path, engine="pyarrow")
    labels = data.attrs.get("variable_labels") if isinstance(data.attrs.get("variable_labels"), dict) else {}
    return data, {}, dict(labels)


# --- writing ----------------------------------------------------------------------------------


def write_table(frame: pd.DataFrame, path: str | Path, *, variable_labels: Mapping[str, str] | None = None) -> None:
    """Write ``frame`` to ``path``; the format comes from the suffix (.csv, .xlsx, .sav, .dta, .parquet).

    Categorical columns are written as their labels (CSV, XLSX), as integer codes 1..k with value
    labels (SPSS, Stata) or as categories (Parquet). ``variable_labels`` (column → text) are written
    where the format has them (SPSS, Stata). Stata names allow only letters, digits and ``_`` (32
    characters at most): other names are changed (``obs.x`` → ``obs_x``) and the original name
    becomes the variable label when there is none.

    A population table's stamp (its ``attrs``: framework, content hash, mapping, survey) is kept
    in every format and given back by :func:`read_survey`: Parquet's metadata, a hidden sheet
    ``innexport`` of the XLSX, a note of the SPSS file, and for CSV and Stata a
    ``<file>-metadata.json`` next to the file (W3C CSVW's name for a CSV's metadata), which for Stata
    also gives back the names it had to change.

    In CSV and XLSX, every text cell and column name goes through
    :func:`~innexport.files.cells.safe_cell` (OWASP, "CSV Injection"): a text ``=1+1`` or ``-x`` is
    written ``'=1+1``, ``'-x``; numbers, negative ones included, are unchanged. A CSV has RFC 4180
    line ends (CRLF), so that a cell holding a line end is always quoted.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in WRITE_SUFFIXES:
        raise SurveyError(f"{path}: cannot write '{suffix}' files; expected one of {', '.join(WRITE_SUFFIXES)}")
    frame = frame.reset_index(drop=True)
    labels = {str(k): str(v) for k, v in (variable_labels or {}).items() if k in frame.columns and v}
    path.parent.mkdir(parents=True, exist_ok=True)
    stamp = stamp_of(frame)
    if suffix == ".csv":
        # RFC 4180 line ends: a cell holding a carriage return is then quoted, and cannot start a row.
        spreadsheet_safe(frame).to_csv(path, index=False, encoding="utf-8", lineterminator="\r\n")
        write_sidecar(path, stamp)
    elif suffix == ".xlsx":
        _write_xlsx(spreadsheet_safe(_to_plain(frame, keep_categories=False)), path, stamp)
    elif suffix == ".parquet":
        out = frame.copy()
        out.attrs = {k: v for k, v in frame.attrs.items() if _jsonable(v)}
        if labels:
            out.attrs["variable_labels"] = labels
        out.to_parquet(path, index=False, engine="pyarrow")
    else:
        _write_spss_stata(frame, path, labels, stata=suffix == ".dta", stamp=stamp)


STAMP_SHEET = "innexport"
"""The hidden XLSX sheet holding a population table's stamp (cell A1, JSON)."""
SIDECAR_SUFFIX = "-metadata.json"
"""A CSV's (or Stata file's) stamp is in ``<file>-metadata.json`` next to it: the name W3C's "Model
for Tabular Data and Metadata on the Web" (CSVW, §5.2) gives a CSV's metadata file."""
_SPSS_NOTE = "innexport stamp (base64 JSON):"


def stamp_of(frame: pd.DataFrame) -> dict[str, Any]:
    """What a population table records of where it comes from (framework, content hash, mapping,
    survey…: its ``attrs``, but its variable labels and whatever JSON cannot hold), kept through every
    format :func:`write_table` writes.

    >>> frame = pd.DataFrame({"x": [1]})
    >>> frame.attrs.update({"framework": "iiep 1", "variable_labels": {"x": "X"}, "bad": {1, 2}})
    >>> stamp_of(frame)
    {'framework': 'iiep 1'}
    """
    return {k: v for k, v in frame.attrs.items() if k != "variable_labels" and _jsonable(v)}


def write_sidecar(path: Path, stamp: dict[str, Any], columns: dict[str, str] | None = None) -> None:
    """Write the stamp of the table at ``path`` (and the column names a format changed, new → the
    table's own) to ``<file>-metadata.json`` next to it (W3C CSVW); an empty stamp removes a stale one.
    :func:`read_stamp` reads it back.

    >>> import tempfile
    >>> table = Path(tempfile.mkdtemp()) / "pop.csv"
    >>> write_sidecar(table, {"framework": "iiep 1"})
    >>> read_stamp(table, "csv")
    ({'framework': 'iiep 1'}, {})
    >>> write_sidecar(table, {}); (table.parent / "pop.csv-metadata.json").exists()
    False
    """
    import json

    sidecar = path.with_name(path.name + SIDECAR_SUFFIX)
    if not stamp:
        sidecar.unlink(missing_ok=True)  # a stale stamp must not describe another table
        return
    doc: dict[str, Any] = {"@context": "http://www.w3.org/ns/csvw", "url": path.name, "innexport": stamp}
    if columns:
        doc["innexport:columns"] = columns  # the names a format changed → the table's own names
    sidecar.write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")


def _write_xlsx(frame: pd.DataFrame, path: Path, stamp: dict[str, Any]) -> None:
    import json

    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        frame.to_excel(writer, index=False)
        if stamp:
            frame.iloc[:0, :0].to_excel(writer, sheet_name=STAMP_SHEET, index=False)
            sheet = writer.book[STAMP_SHEET]
            sheet["A1"] = json.dumps(stamp, ensure_ascii=False)
            sheet.sheet_state = "hidden"


def read_stamp(path: Path, kind: str, notes: Sequence[str] = ()) -> tuple[dict[str, Any], dict[str, str]]:
    """The stamp :func:`write_table` left with the file at ``path`` of format ``kind`` (a value of
    :data:`SUFFIXES`) and the column names a format changed (the file's → the table's), or two empty
    dicts: a sidecar for CSV and Stata, the hidden sheet of an XLSX, the ``notes`` of an SPSS file. A
    stamp that cannot be read is ignored (the table is then read as a plain survey).

    >>> import tempfile
    >>> table = Path(tempfile.mkdtemp()) / "pop.dta"
    >>> write_sidecar(table, {"survey": "ENDEI II"}, {"p_1_14": "p.1.14"})
    >>> read_stamp(table, "dta")
    ({'survey': 'ENDEI II'}, {'p_1_14': 'p.1.14'})
    """
    import base64
    import binascii
    import json

    doc: Any = None
    try:
        if kind in ("csv", "dta"):
            sidecar = path.with_name(path.name + SIDECAR_SUFFIX)
            if sidecar.is_file() and sidecar.stat().st_size <= MAX_DOCUMENT_BYTES:
                doc = json.loads(sidecar.read_text(encoding="utf-8", errors="replace"))
        elif kind == "xlsx":
            from openpyxl import load_workbook

            book = load_workbook(path, read_only=True)
            try:
                if STAMP_SHEET in book.sheetnames:
                    cell = next(book[STAMP_SHEET].iter_rows(max_row=1, max_col=1, values_only=True), (None,))[0]
                    doc = {"innexport": json.loads(cell)} if isinstance(cell, str) else None
            finally:
                book.close()
        elif kind == "sav":
            lines = [str(n) for n in notes]
            if _SPSS_NOTE in lines:
                encoded = "".join(lines[lines.index(_SPSS_NOTE) + 1:])
                doc = {"innexport": json.loads(base64.b64decode(encoded, validate=True).decode("utf-8"))}
    except (ValueError, binascii.Error):  # not JSON, not base64, not UTF-8: not a stamp
        return {}, {}
    if not isinstance(doc, dict):
        return {}, {}
    stamp, columns = doc.get("innexport"), doc.get("innexport:columns")
    return (stamp if isinstance(stamp, dict) else {},
            {str(k): str(v) for k, v in columns.items()} if isinstance(columns, dict) else {})


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its text cells (object, string and categorical columns) and column names
    through :func:`~innexport.files.cells.safe_cell` (OWASP, "CSV Injection"); other columns
    untouched (a negative number stays a number). Every CSV and XLSX this package writes goes through it.

    >>> spreadsheet_safe(pd.DataFrame({"=x": ["=1+1", "ok"], "n": [-1, 2]})).to_dict("list")
    {"'=x": ["'=1+1", 'ok'], 'n': [-1, 2]}
    """
    from innexport.files.cells import safe_cell

    out = {}
    for col in frame.columns:
        s = frame[col]
        text = (isinstance(s.dtype, pd.CategoricalDtype) or pd.api.types.is_object_dtype(s.dtype)
                or pd.api.types.is_string_dtype(s.dtype))
        out[safe_cell(col)] = s.astype(object).where(s.notna(), None).map(safe_cell) if text else s
    return pd.DataFrame(out, index=frame.index)


def _jsonable(value: Any) -> bool:
    import json

    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


def _to_plain(frame: pd.DataFrame, keep_categories: bool) -> pd.DataFrame:
    """Categoricals as labels (object), nullable and string dtypes as plain numpy ones."""
    out = {}
    for col in frame.columns:
        s = frame[col]
        if isinstance(s.dtype, pd.CategoricalDtype) and not keep_categories:
            out[col] = s.astype(object).where(s.notna(), None)
        elif pd.api.types.is_bool_dtype(s.dtype):
            out[col] = s.astype(float) if s.isna().any() else s.astype(int)
        elif pd.api.types.is_extension_array_dtype(s.dtype) and pd.api.types.is_numeric_dtype(s.dtype):
            out[col] = s.astype(float)
        elif _is_text_dtype(s.dtype):
            out[col] = s.astype(object).where(s.notna(), None)
        else:
            out[col] = s
    return pd.DataFrame(out)


_STATA_NAME = re.compile(r"[^A-Za-z0-9_]")


def _stata_names(columns: Sequence[str]) -> dict[str, str]:
    names: dict[str, str] = {}
    used: set[str] = set()
    for col in columns:
        name = _STATA_NAME.sub("_", col) or "v"
        if not (name[0].isalpha() or name[0] == "_"):
            name = "_" + name
        name = name[:32]
        base, k = name, 2
        while name.lower() in used:
            suffix = f"_{k}"
            name = base[: 32 - len(suffix)] + suffix
            k += 1
        used.add(name.lower())
        names[col] = name
    return names


def _write_spss_stata(frame: pd.DataFrame, path: Path, labels: dict[str, str], stata: bool,
                      stamp: dict[str, Any] | None = None) -> None:
    import pyreadstat

    value_labels: dict[str, dict[int, str]] = {}
    data = {}
    for col in frame.columns:
        s = frame[col]
        if isinstance(s.dtype, pd.CategoricalDtype):
            codes = s.cat.codes.astype(float).replace(-1.0, np.nan) + 1.0
            data[col] = codes
            value_labels[col] = {k + 1: str(c) for k, c in enumerate(s.cat.categories)}
        else:
            data[col] = s
    out = _to_plain(pd.DataFrame(data), keep_categories=True)
    if stata:
        names = _stata_names(list(out.columns))
        for col, name in names.items():
            if name != col and col not in labels:
                labels[col] = col
        out = out.rename(columns=names)
        labels = {names[c]: v for c, v in labels.items()}
        value_labels = {names[c]: v for c, v in value_labels.items()}
    else:
        bad = [c for c in out.columns if not re.match(r"^[A-Za-z@#$][A-Za-z0-9_.@#$]*$", c) or c.endswith(".")
               or len(c.encode("utf-8")) > 64]
        if bad:
            raise SurveyError(f"{path}: SPSS cannot hold the column name(s) {', '.join(repr(c) for c in bad)} "
                              "(letters, digits, _ . @ # $, starting with a letter, 64 bytes at most): rename them")
    column_labels = [labels.get(c) for c in out.columns]
    kwargs: dict[str, Any] = {"variable_value_labels": value_labels or None}
    if any(column_labels):
        kwargs["column_labels"] = [lab or "" for lab in column_labels]
    if stamp and not stata:  # SPSS notes are lines of 80 bytes at most, trailing spaces dropped: base64 lines
        import base64
        import json

        encoded = base64.b64encode(json.dumps(stamp, ensure_ascii=False).encode("utf-8")).decode("ascii")
        kwargs["note"] = [_SPSS_NOTE] + [encoded[i:i + 76] for i in range(0, len(encoded), 76)]
    try:
        if stata:
            pyreadstat.write_dta(out, str(path), **kwargs)
        else:
            pyreadstat.write_sav(out, str(path), **kwargs)
    except Exception as exc:
        raise SurveyError(f"{path}: cannot be written: {exc}") from exc
    if stata:
        write_sidecar(path, stamp or {}, {new: old for old, new in names.items() if new != old})
