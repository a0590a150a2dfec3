"""Flat tables of an organisation's diagnostics for BI tools (Power BI, Excel, Tableau, R, pandas).

Two tables, built with pandas from what one database query returns (no stored result is parsed
whole, no per-row model object):

* **assessments** (:func:`assessments_table`, columns :data:`ASSESSMENT_COLUMNS` then one
  ``dim_<id>`` per dimension and one ``act_<id>`` per activity): one row per diagnostic — the
  firm's fields, the dates and status, the framework (id, version, modules, content hash), each
  index (IIP, IEP, IIEP) with its class, its interval and the share of draws in that class when the
  result has them (:mod:`innexport.core.uncertainty`), the quadrant, the top five priorities (the
  stored summary, made by the one rule
  :meth:`innexport.core.assessment.FirmResult.top_priorities`), the number of respondents and the
  advisor's validation counts (the result's
  :class:`~innexport.core.assessment.ValidationOut`), then the dimension and activity scores;
* **answers** (:func:`answers_table`, columns :data:`ANSWER_COLUMNS`): one row per answer given
  (long format) — the assessment, the firm, the respondent (``respondent`` empty for the
  assessment's first respondent, as in the API) and their role, the question with its activity
  and dimension, the answer's code and its value on the question's scale (empty for "don't
  know"), and the advisor's review state and the code reviewed to.

The ``dim_``/``act_`` columns of several frameworks (versions, modules) are matched by id, in the
order of the first framework that has it (as :mod:`innexport.portfolio.compute` does).

**Read-only analysts** (:func:`for_analysts`) get what the portfolio's shared outputs would let
them see, by the portfolio's own rules (:mod:`innexport.portfolio.disclosure`), never a rewrite of
them: no direct identifier (:data:`IDENTIFYING`: the firm's name, its contacts and its exact
figures — the firm is named by its opaque id, as the audit log names it); a selection of fewer than
``min_group`` firms gives no row at all (disclosure rule 1: the portfolio is then masked
entirely); and each quasi-identifier (sector, region, country, size class) is recoded as the
shared outputs recode sector and region (rule 3, global recoding): a value not published on its
own row by :func:`~innexport.portfolio.disclosure.masked_flags` becomes :data:`OTHER`, or empty
when the "other" group is masked too. Hundepool et al., *Statistical Disclosure Control*, Wiley
2012, §3.4 (global recoding of microdata) and §5.2 (the threshold rule).

**Files** (:func:`to_bytes`): CSV is UTF-8 *with* a byte order mark (Excel then reads accents
right; Power BI, pandas with ``encoding="utf-8-sig"`` and R's ``readr`` drop it), comma-separated
with RFC 4180 line ends and a decimal point; XLSX has one sheet named after the table; in both,
every text cell goes through :func:`innexport.files.cells.safe_cell` (OWASP, "CSV Injection"), and
date-times are written in UTC. Parquet (pyarrow) keeps the types (dates, floats, time zones) and is
never neutralised: it is not opened by a spreadsheet.

>>> import pandas as pd
>>> raw = pd.DataFrame([{"assessment_id": 7, "firm_id": 3, "framework": "k", "question_id": "q1",
...                      "answer": "b", "respondent": None, "respondent_role": "director",
...                      "review_state": "", "review_answer": ""}])
>>> lookup = pd.DataFrame({"framework": ["k"] * 2, "question_id": ["q1"] * 2, "dimension": ["d"] * 2,
...                        "activity": ["a"] * 2, "code": ["a", "b"], "value": [0.0, 1.0]})
>>> answers_table(raw, lookup)[["question_id", "dimension", "activity", "answer", "value"]].to_dict("records")
[{'question_id': 'q1', 'dimension': 'd', 'activity': 'a', 'answer': 'b', 'value': 1.0}]
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import pandas as pd

from innexport.core.framework import INDICES, Framework
from innexport.core.priorities import TOP_PRIORITIES
from innexport.files.cells import safe_cell
from innexport.portfolio import disclosure
from innexport.portfolio.compute import FRAME_COLUMNS, MIN_GROUP, json_values, portfolio

__all__ = [
    "ANSWER_COLUMNS", "ASSESSMENT_COLUMNS", "FORMATS", "IDENTIFYING", "OTHER", "RAW_ANSWER_COLUMNS",
    "RAW_ASSESSMENT_COLUMNS", "answers_table", "assessments_table", "for_analysts", "level_lookup", "to_bytes",
    "to_json",
]

Format = Literal["csv", "xlsx", "parquet"]
FORMATS: tuple[str, ...] = ("csv", "xlsx", "parquet")
"""The file formats :func:`to_bytes` writes (the API also answers ``json``)."""

FIRM_COLUMNS: tuple[str, ...] = (
    "firm_id", "firm_name", "contact", "contact_email", "country", "region", "sector", "size_class",
    "year_founded", "export_share", "rd_intensity",
)
INTERVAL_PARTS: tuple[str, ...] = ("_low", "_high", "_stability")
RAW_ASSESSMENT_COLUMNS: tuple[str, ...] = (
    "assessment_id", *FIRM_COLUMNS, "assessed_on", "created_at", "completed_at", "status", "lang",
    "framework_id", "framework_version", "framework_modules", "framework_hash", "iip", "iep", "iiep",
    "class_iip", "class_iep", "class_iiep", *(ix + part for ix in INDICES for part in INTERVAL_PARTS),
    "quadrant", "completeness", "questions", "validated", "corrected", "self_assessed", "top_activities",
    "dimension_scores", "activity_scores", "respondents",
)
"""What :func:`assessments_table` reads, one row per diagnostic (numbers may come as text, as a
database's JSON fields give them). From the stored result: ``<index>_low``/``_high`` (its
interval), ``<index>_stability`` (its ``class_stability``), ``quadrant``, ``completeness``,
``questions`` (empty: not scored), ``validated``/``corrected``/``self_assessed`` (its validation,
empty when nobody reviewed: then 0, 0 and every question) and ``activity_scores`` (activity id →
score, or the result's list of activities). ``framework_modules`` (a list), ``top_activities`` (a
list) and ``dimension_scores`` (id → score) may be JSON text; ``respondents`` is a count."""

ASSESSMENT_COLUMNS: tuple[str, ...] = (
    "assessment_id", *FIRM_COLUMNS, "assessed_on", "created_at", "completed_at", "status", "lang",
    "framework_id", "framework_version", "framework_modules", "framework_hash", "completeness",
    *(f"{ix}{part}" for ix in INDICES for part in ("", "_class", "_low", "_high", "_stability")),
    "quadrant", *(f"priority_{k}" for k in range(1, TOP_PRIORITIES + 1)),
    "respondents", "validated", "corrected", "self_assessed",
)
"""The fixed columns of the assessments table; ``dim_<id>`` and ``act_<id>`` scores follow."""

RAW_ANSWER_COLUMNS: tuple[str, ...] = (
    "assessment_id", "firm_id", "framework", "question_id", "answer", "respondent", "respondent_role",
    "review_state", "review_answer",
)
"""What :func:`answers_table` reads: one row per answer given; ``framework`` is the key of the
framework in the lookup (:func:`level_lookup`)."""

ANSWER_COLUMNS: tuple[str, ...] = (
    "assessment_id", "firm_id", "respondent", "respondent_role", "question_id", "dimension", "activity",
    "answer", "value", "review_state", "review_answer",
)

IDENTIFYING: tuple[str, ...] = ("firm_name", "contact", "contact_email", "year_founded", "export_share",
                                "rd_intensity")
"""The columns a read-only analyst never gets (:func:`for_analysts`)."""

RECODED: tuple[str, ...] = ("sector", "region", "country", "size_class")
"""The quasi-identifiers :func:`for_analysts` recodes by the portfolio's rule for small groups."""

OTHER = "(other)"
"""What a small group's value becomes for an analyst (the portfolio's "other" row)."""

DIMENSION_PREFIX, ACTIVITY_PREFIX = "dim_", "act_"


class FlatError(ValueError):
    """A table lacks a column :func:`assessments_table` or :func:`answers_table` needs (named)."""


def _check(raw: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in raw.columns]
    if missing:
        raise FlatError(f"{what}: the table lacks the column(s) {', '.join(missing)}")


def _ordered(first: Sequence[str], seen: Sequence[dict[str, Any]]) -> list[str]:
    keys = list(dict.fromkeys(first))
    known = set(keys)
    extra = sorted({k for row in seen for k in row if k not in known})
    return keys + extra


def _scores(records: list[dict[str, Any]], keys: list[str], prefix: str, n: int) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(records, columns=keys, nrows=n) if n else pd.DataFrame(columns=keys)
    frame = frame.apply(pd.to_numeric, errors="coerce").astype(float)
    return frame.set_axis([prefix + k for k in keys], axis=1)


def assessments_table(raw: pd.DataFrame, frameworks: Sequence[Framework] = ()) -> pd.DataFrame:
    """One row per diagnostic of ``raw`` (columns :data:`RAW_ASSESSMENT_COLUMNS`), as
    :data:`ASSESSMENT_COLUMNS` followed by the dimension and activity scores, in ``frameworks``'
    order (ids met in no framework last, sorted).

    >>> import pandas as pd
    >>> row = dict.fromkeys(RAW_ASSESSMENT_COLUMNS)
    >>> row.update(assessment_id=1, firm_id=2, iiep=0.5, class_iiep="reactive", status="completed",
    ...            top_activities='["a2", "a1"]', dimension_scores='{"d1": 0.25}', respondents=2,
    ...            iiep_low="0.4", iiep_high=0.6, iiep_stability=0.9, activity_scores='{"a1": 0.5}',
    ...            framework_modules='["wine"]', questions=44, validated=3, corrected=1, self_assessed=40)
    >>> t = assessments_table(pd.DataFrame([row]))
    >>> t[["iiep", "iiep_class", "iiep_low", "iiep_high", "iiep_stability"]].to_dict("records")
    [{'iiep': 0.5, 'iiep_class': 'reactive', 'iiep_low': 0.4, 'iiep_high': 0.6, 'iiep_stability': 0.9}]
    >>> t[["priority_1", "priority_2", "priority_3", "framework_modules", "dim_d1", "act_a1"]].to_dict("records")
    [{'priority_1': 'a2', 'priority_2': 'a1', 'priority_3': None, 'framework_modules': 'wine', 'dim_d1': 0.25, 'act_a1': 0.5}]
    >>> t[["respondents", "validated", "corrected", "self_assessed"]].to_dict("records")
    [{'respondents': 2, 'validated': 3, 'corrected': 1, 'self_assessed': 40}]
    >>> row.update(validated=None, corrected=None, self_assessed=None)  # scored, nobody reviewed
    >>> assessments_table(pd.DataFrame([row]))[["validated", "corrected", "self_assessed"]].to_dict("records")
    [{'validated': 0, 'corrected': 0, 'self_assessed': 44}]
    """
    _check(raw, RAW_ASSESSMENT_COLUMNS, "assessments")
    raw = raw.reset_index(drop=True)
    n = len(raw)
    out: dict[str, Any] = {}
    for col in ("assessment_id", *FIRM_COLUMNS, "assessed_on", "created_at", "completed_at", "status", "lang",
                "framework_id", "framework_version"):
        out[col] = raw[col]
    for col in ("export_share", "rd_intensity"):
        out[col] = pd.to_numeric(raw[col], errors="coerce").astype(float)
    out["year_founded"] = pd.to_numeric(raw["year_founded"], errors="coerce").astype("Int64")
    modules = json_values(raw["framework_modules"].tolist(), "framework_modules")
    out["framework_modules"] = pd.Series(["+".join(m) if isinstance(m, list) else "" for m in modules], dtype=object)
    out["framework_hash"] = raw["framework_hash"]
    out["completeness"] = pd.to_numeric(raw["completeness"], errors="coerce").astype(float)

    for ix in INDICES:
        out[ix] = pd.to_numeric(raw[ix], errors="coerce").astype(float)
        out[f"{ix}_class"] = _text_or_none(raw[f"class_{ix}"])
        for part in INTERVAL_PARTS:
            out[ix + part] = pd.to_numeric(raw[ix + part], errors="coerce").astype(float)
    out["quadrant"] = _text_or_none(raw["quadrant"])

    tops = [t if isinstance(t, list) else [] for t in json_values(raw["top_activities"].tolist(), "top_activities")]
    for k in range(TOP_PRIORITIES):
        out[f"priority_{k + 1}"] = pd.Series([t[k] if len(t) > k else None for t in tops], dtype=object)

    out["respondents"] = pd.to_numeric(raw["respondents"], errors="coerce").astype("Int64")
    # scored without any review: no validation, every question self-assessed
    questions = pd.to_numeric(raw["questions"], errors="coerce")
    scored = questions.notna()
    for name in ("validated", "corrected"):
        counts = pd.to_numeric(raw[name], errors="coerce")
        out[name] = counts.where(counts.notna() | ~scored, 0).astype("Int64")
    counts = pd.to_numeric(raw["self_assessed"], errors="coerce")
    out["self_assessed"] = counts.where(counts.notna(), questions).astype("Int64")
    table = pd.DataFrame(out, index=raw.index)[list(ASSESSMENT_COLUMNS)]

    dims = [d if isinstance(d, dict) else {} for d in json_values(raw["dimension_scores"].tolist(), "dimension_scores")]
    acts = [_activity_scores(v) for v in json_values(raw["activity_scores"].tolist(), "activity_scores")]
    dim_keys = _ordered([d.id for f in frameworks for d in f.dimensions], dims)
    act_keys = _ordered([a.id for f in frameworks for a in f.activities], acts)
    return pd.concat([table, _scores(dims, dim_keys, DIMENSION_PREFIX, n),
                      _scores(acts, act_keys, ACTIVITY_PREFIX, n)], axis=1)


def _text_or_none(s: pd.Series) -> pd.Series:
    """A text column with None for every missing or empty value."""
    return pd.Series([v if isinstance(v, str) and v else None for v in s.tolist()], index=s.index, dtype=object)


def _activity_scores(value: Any) -> dict[str, Any]:
    """Activity id → score from a dict of them, or from the result's list of activities."""
    if isinstance(value, dict):
        return value
    if isinstance(value, list):
        return {str(a.get("id")): a.get("score") for a in value if isinstance(a, dict)}
    return {}


def level_lookup(frameworks: Mapping[Any, Framework]) -> pd.DataFrame:
    """Per framework key, question and answer code: the question's dimension and activity and the
    code's value on its scale (what :func:`answers_table` merges with the answers).

    >>> from innexport.files.frameworks import load_framework
    >>> fw = load_framework("iiep")
    >>> t = level_lookup({1: fw})
    >>> o = fw.observables[0]
    >>> row = t[(t.question_id == o.id)].iloc[-1]
    >>> row.dimension == fw.dimension_of[fw.activity_of[o.id].id].id, row.activity == fw.activity_of[o.id].id, float(row.value)
    (True, True, 1.0)
    """
    rows = [(key, o.id, fw.dimension_of[fw.activity_of[o.id].id].id, fw.activity_of[o.id].id, level.code, level.value)
            for key, fw in frameworks.items() for o in fw.observables for level in fw.scale_by_id[o.scale].levels]
    return pd.DataFrame(rows, columns=["framework", "question_id", "dimension", "activity", "code", "value"])


def answers_table(raw: pd.DataFrame, lookup: pd.DataFrame) -> pd.DataFrame:
    """The answers of ``raw`` (columns :data:`RAW_ANSWER_COLUMNS`, one row per answer given) in long
    format (:data:`ANSWER_COLUMNS`), with each question's dimension and activity and each code's
    value from ``lookup`` (:func:`level_lookup`): "don't know" (and a code the scale no longer has)
    has no value; a question the framework does not have, no dimension or activity.
    """
    _check(raw, RAW_ANSWER_COLUMNS, "answers")
    questions = lookup.drop_duplicates(["framework", "question_id"])[["framework", "question_id", "dimension",
                                                                      "activity"]]
    values = lookup[["framework", "question_id", "code", "value"]].rename(columns={"code": "answer"})
    out = (raw.merge(questions, on=["framework", "question_id"], how="left", sort=False)
              .merge(values, on=["framework", "question_id", "answer"], how="left", sort=False))
    out["value"] = out["value"].astype(float)
    out["respondent"] = pd.to_numeric(out["respondent"], errors="coerce").astype("Int64")
    for col in ("review_state", "review_answer"):
        out[col] = _text_or_none(out[col])
    return out[list(ANSWER_COLUMNS)].reset_index(drop=True)


def _published(values: pd.Series, flags: pd.Series, other_hidden: bool, everything_hidden: bool) -> pd.Series:
    """``values`` as a shared output may show them: a group not published on its own row becomes
    :data:`OTHER` (empty when the other group is masked too, or when everything is)."""
    if everything_hidden:
        return pd.Series([None] * len(values), index=values.index, dtype=object)
    key = values.where(values.notna(), "").astype(str)
    hidden = key.map(flags).fillna(True).astype(bool).to_numpy()
    shown = values.astype(object).where(~hidden, None if other_hidden else OTHER)
    return shown.where(shown.notna() & (shown != ""), None)


def _portfolio_frame(table: pd.DataFrame, sector: str, region: str) -> pd.DataFrame:
    frame = pd.DataFrame({c: [None] * len(table) for c in FRAME_COLUMNS}, index=table.index)
    frame["firm"] = table["firm_id"]
    frame["assessment"] = table["assessment_id"]
    frame["assessed_on"] = pd.to_datetime(table["assessed_on"])
    for ix in INDICES:
        frame[ix] = table[ix]
        frame[f"class_{ix}"] = table[f"{ix}_class"]
    frame["sector"], frame["region"] = table[sector], table[region]
    frame["supported"] = False
    return frame


def for_analysts(assessments: pd.DataFrame, answers: pd.DataFrame | None, frameworks: Sequence[Framework], *,
                 min_group: int = MIN_GROUP) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The tables as a read-only analyst gets them (see the module's documentation): without the
    :data:`IDENTIFYING` columns, the quasi-identifiers recoded by
    :func:`innexport.portfolio.disclosure.masked_flags`, and no row at all when the firms are fewer
    than ``min_group``. ``frameworks``: those of the diagnostics (the first gives the classes).

    >>> import pandas as pd
    >>> from innexport.files.frameworks import load_framework
    >>> raw = pd.DataFrame([{**dict.fromkeys(RAW_ASSESSMENT_COLUMNS), "assessment_id": i, "firm_id": i,
    ...                      "firm_name": f"Firm {i}", "assessed_on": "2025-01-01", "country": "FR",
    ...                      "sector": s, "respondents": 1}
    ...                     for i, s in enumerate(["11.02"] * 6 + ["62.01"] * 5 + ["01.21"] * 2 + ["25.6"] * 3)])
    >>> masked, _none = for_analysts(assessments_table(raw), None, [load_framework("iiep")])
    >>> "firm_name" in masked.columns, masked["sector"].value_counts().to_dict()
    (False, {'11.02': 6, '62.01': 5, '(other)': 5})

    (2 firms of 01.21 and 3 of 25.6 make an "other" group of 5; with 8 firms — 6 + 2 — the other group
    of 2 and, since 8 − 6 = 2 would give it away, the 6 are masked too: every sector empty.)
    >>> len(for_analysts(assessments_table(raw.head(4)), None, [load_framework("iiep")])[0])
    0
    """
    kept = [c for c in assessments.columns if c not in IDENTIFYING]
    table = assessments[kept].copy()
    firms = table["firm_id"].nunique()
    if 0 < firms < min_group or not firms:
        empty = table.iloc[0:0]
        return empty, (answers.iloc[0:0].copy() if answers is not None else None)
    for sector, region in (("sector", "region"), ("country", "size_class")):
        flags = disclosure.masked_flags(portfolio(_portfolio_frame(table, sector, region), frameworks,
                                                  min_group=min_group))
        for column, by in ((sector, "sector"), (region, "region")):
            table[column] = _published(table[column], flags[by], bool(flags[f"{by}_other"]), bool(flags["all"]))
    return table.reset_index(drop=True), answers


# --- files ---------------------------------------------------------------------------------------------


def _utc_naive(s: pd.Series) -> pd.Series:
    """Date-times in UTC without their zone (what a spreadsheet can hold); other columns unchanged."""
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        return s.dt.tz_convert("UTC").dt.tz_localize(None)
    if s.dtype == object:
        first = s.dropna().head(1).tolist()
        if first and isinstance(first[0], dt.datetime) and first[0].tzinfo is not None:
            return pd.to_datetime(s, utc=True).dt.tz_localize(None)
    return s


def _spreadsheet(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` for a spreadsheet: text cells through :func:`safe_cell`, date-times in UTC (naive)."""
    out = {}
    for col in frame.columns:
        s = _utc_naive(frame[col])
        if pd.api.types.is_object_dtype(s.dtype) or pd.api.types.is_string_dtype(s.dtype):
            s = s.astype(object).where(s.notna(), None).map(safe_cell)
        out[safe_cell(col)] = s
    return pd.DataFrame(out, index=frame.index)


def _cells(s: pd.Series) -> list[Any]:
    """A column's values as openpyxl takes them: missing ones None, numpy scalars as Python ones."""
    if pd.api.types.is_float_dtype(s.dtype):
        return [None if v != v else v for v in s.astype(float).tolist()]
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return [None if pd.isna(v) else v.to_pydatetime() for v in s]
    return [None if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and v != v) else v
            for v in s.astype(object).tolist()]


def to_json(table: pd.DataFrame) -> str:
    """``table`` as a JSON array of objects: missing values ``null``, dates ``YYYY-MM-DD``, date-times
    ISO 8601 in UTC.

    >>> import datetime as dt, pandas as pd
    >>> to_json(pd.DataFrame({"on": [dt.date(2025, 5, 6), None], "iip": [0.5, float("nan")], "s": ["é", None]}))
    '[{"on":"2025-05-06","iip":0.5,"s":"é"},{"on":null,"iip":null,"s":null}]'
    """
    out = table.copy()
    for col in out.columns:
        if out[col].dtype == object:
            first = out[col].dropna().head(1).tolist()
            if first and isinstance(first[0], dt.date) and not isinstance(first[0], dt.datetime):
                out[col] = out[col].map(lambda d: d.isoformat() if isinstance(d, dt.date) else None)
                continue
            if not (first and isinstance(first[0], dt.datetime)):
                continue
        elif not pd.api.types.is_datetime64_any_dtype(out[col].dtype):
            continue
        utc = _utc_naive(out[col])
        out[col] = pd.Series([t.isoformat() + "Z" if pd.notna(t) else None for t in utc], index=out.index,
                             dtype=object)
    return out.to_json(orient="records", force_ascii=False, date_format="iso")


def to_bytes(table: pd.DataFrame, fmt: str, *, sheet: str = "data") -> bytes:
    """``table`` as a file of format ``fmt`` (:data:`FORMATS`); see the module's documentation.

    >>> import pandas as pd
    >>> data = to_bytes(pd.DataFrame({"name": ["=1+1", "Valparaíso"], "iip": [-0.5, None]}), "csv")
    >>> data[:3] == b"\\xef\\xbb\\xbf", data[3:].decode().splitlines()
    (True, ['name,iip', "'=1+1,-0.5", 'Valparaíso,'])
    >>> to_bytes(pd.DataFrame(), "ods")
    Traceback (most recent call last):
    ValueError: format: 'ods' is not one of csv, xlsx, parquet
    """
    if fmt not in FORMATS:
        raise ValueError(f"format: '{fmt}' is not one of {', '.join(FORMATS)}")
    buffer = io.BytesIO()
    if fmt == "csv":
        text = _spreadsheet(table).to_csv(index=False, lineterminator="\r\n", date_format="%Y-%m-%dT%H:%M:%S")
        return b"\xef\xbb\xbf" + text.encode("utf-8")
    if fmt == "xlsx":
        from openpyxl import Workbook

        book = Workbook(write_only=True)  # streamed rows: several times faster than cell by cell
        ws = book.create_sheet(sheet[:31])
        ws.freeze_panes = "B2"
        safe = _spreadsheet(table)
        ws.append([str(c) for c in safe.columns])
        columns = [_cells(safe[c]) for c in safe.columns]
        for row in zip(*columns, strict=True):
            ws.append(row)
        book.save(buffer)
        return buffer.getvalue()
    table.to_parquet(buffer, index=False, engine="pyarrow")
    return buffer.getvalue()
