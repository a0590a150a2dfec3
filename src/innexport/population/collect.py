"""A population table from innexport's own answer sheets: the fieldwork of a study, ready for its analyses.

A comparative study run with innexport's own questionnaire (the web app's diagnostics, the XLSForm
on KoBoToolbox or ODK, LimeSurvey, the spreadsheet) ends with answer files, one firm (or one
respondent) per sheet. :func:`population_from_sheets` turns them into the same population table as
``population import`` writes from an external survey (:mod:`innexport.population.frame`): one row
per firm with its answers (``obs.*``), scores, indices and classes, and the firm's fields as
grouping columns (``country``, ``region``, ``sector``, ``size``, ``employees``, ``export_share``),
stamped with the framework. What it decides:

* a firm answered by a team (sheets with a ``respondent``) is one row, its answers consolidated by
  the diagnostic's own rule (:func:`innexport.core.respondents.firm_sheets`);
* every sheet must be of the same framework and modules (one population, one framework): the
  caller loads it (:func:`innexport.api.framework_for`) and passes it;
* the web app's exports (``/exports/``: the long **answers** table, one row per answer given, and
  the **assessments** table for the firms' fields and frameworks) are read by
  :func:`sheets_from_web_export`: one sheet per diagnostic and respondent, an advisor's
  correction standing for every respondent's answer to that question (the consolidation rule then
  keeps it), one diagnostic per firm (filter the export, e.g. to completed diagnostics, before);
* ``exports`` is 1 when the firm's export share is above 0, 0 when it is 0, empty when unknown — the
  export outcome the synergy model reads; an innovation outcome, survey weights and the sampling
  design (stratum, primary unit, population size) come from a table joined on the firm id
  (:func:`join_by_firm`), since an answer sheet does not carry them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from innexport.core.answers import AnswerValue
from innexport.core.assessment import FIRM_SIZES, RESPONDENT_ROLES, AnswerSheet, Firm, Respondent, encode
from innexport.core.framework import Framework
from innexport.core.respondents import firm_sheets
from innexport.population.frame import FIRM_ID, WEIGHT, score_population

FIRM_FIELDS = ("country", "region", "sector", "size", "employees", "export_share", "rd_intensity")
"""The firm's fields of an answer sheet that become columns of the population table."""

EXPORTS = "exports"
"""The export outcome derived from ``export_share``."""


class CollectError(ValueError):
    """The answer sheets or the joined table cannot make a population table (the message names the place)."""


def population_from_sheets(framework: Framework, sheets: Sequence[AnswerSheet], source: str = "") -> pd.DataFrame:
    """The population table of the firms of ``sheets`` (see the module docstring).

    >>> from innexport.files.answers import read_answers
    >>> from innexport.files.frameworks import load_framework
    >>> sheets = [s for f in ("fr-domaine-des-trois-collines", "cl-vina-cerro-alto")
    ...           for s in read_answers(f"examples/{f}.yaml")]
    >>> table = population_from_sheets(load_framework("iiep", ["wine"]), sheets)
    >>> table[["firm_id", "country", "exports"]].values.tolist()
    [['fr-domaine-des-trois-collines', 'FR', 1.0], ['cl-vina-cerro-alto', 'CL', 1.0]]
    >>> table.attrs["framework"]
    'iiep 1.1.0 + wine 1.1.0'
    """
    if not sheets:
        raise CollectError("no answer sheet")
    firms, _ = firm_sheets(framework, sheets)
    values = encode(framework, firms)
    meta = pd.DataFrame({FIRM_ID: [s.firm.id for s in firms]})
    for name in FIRM_FIELDS:
        meta[name] = [getattr(s.firm, name) for s in firms]
    share = pd.to_numeric(meta["export_share"], errors="coerce")
    meta[EXPORTS] = np.where(share.isna(), np.nan, (share > 0).astype(float))
    meta["assessed_on"] = [s.assessed_on.isoformat() if s.assessed_on else None for s in firms]
    frame = score_population(framework, values, meta)
    if source:
        frame.attrs["survey"] = source
    return frame


WEB_ANSWER_COLUMNS = ("assessment_id", "firm_id", "question_id", "answer")
"""The columns by which the web app's answers export is recognised (:data:`innexport.portfolio.flat.ANSWER_COLUMNS`)."""


def is_web_export(table: pd.DataFrame) -> bool:
    """Whether ``table`` is the web app's answers export (long: one row per answer given).

    >>> is_web_export(pd.DataFrame(columns=["assessment_id", "firm_id", "question_id", "answer", "value"]))
    True
    """
    return all(c in table.columns for c in WEB_ANSWER_COLUMNS)


def _text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    text = str(value).strip()
    return text or None


def sheets_from_web_export(answers: pd.DataFrame, assessments: pd.DataFrame | None = None,
                           where: str = "the answers export") -> list[AnswerSheet]:
    """The answer sheets of the web app's exports (see the module docstring).

    >>> rows = [(1, "f1", None, "director", "q1", "high", None, None),
    ...         (1, "f1", 2, "export_manager", "q1", "low", "corrected", "partial")]
    >>> cols = ["assessment_id", "firm_id", "respondent", "respondent_role", "question_id", "answer",
    ...         "review_state", "review_answer"]
    >>> sheets = sheets_from_web_export(pd.DataFrame(rows, columns=cols))
    >>> [(s.respondent.id, s.respondent.role, s.answers) for s in sheets]
    [('first', 'director', {'q1': 'partial'}), ('2', 'export_manager', {'q1': 'partial'})]
    """
    missing = [c for c in WEB_ANSWER_COLUMNS if c not in answers]
    if missing:
        raise CollectError(f"{where}: no column {', '.join(missing)}")
    firms_of = answers.groupby("assessment_id", sort=False)["firm_id"].agg(lambda s: sorted(set(map(str, s))))
    twice = [f for f, n in pd.Series([f[0] for f in firms_of]).value_counts().items() if n > 1]
    if twice:
        raise CollectError(f"{where}: firm(s) {', '.join(map(str, twice[:5]))} have several diagnostics; keep one per "
                           "firm (for instance the latest completed) before collecting")
    info: dict[str, dict[str, object]] = {}
    if assessments is not None:
        if "assessment_id" not in assessments:
            raise CollectError("the assessments export: no column assessment_id")
        for row in assessments.to_dict("records"):
            info[str(row["assessment_id"])] = row
    sheets: list[AnswerSheet] = []
    for assessment, part in answers.groupby("assessment_id", sort=False):
        row = info.get(str(assessment), {})
        firm_id = str(part["firm_id"].iloc[0])
        size = _text(row.get("size_class"))
        share = pd.to_numeric(pd.Series([row.get("export_share")]), errors="coerce").iloc[0]
        firm = Firm(id=firm_id, name=firm_id, country=_text(row.get("country")), region=_text(row.get("region")),
                    sector=_text(row.get("sector")), size=size if size in FIRM_SIZES else None,  # type: ignore[arg-type]
                    export_share=None if pd.isna(share) else float(share))
        modules = [m for m in (_text(row.get("framework_modules")) or "").split("+") if m]
        corrected = {str(q): str(a) for q, a, state in zip(
            part["question_id"], part.get("review_answer", pd.Series(None, index=part.index)),
            part.get("review_state", pd.Series(None, index=part.index)), strict=True)
            if state == "corrected" and _text(a)}
        who = part["respondent"] if "respondent" in part else pd.Series(None, index=part.index)
        numbers = pd.to_numeric(who, errors="coerce").astype("Int64")  # empty: the diagnostic's first respondent
        labels = numbers.astype(str).where(numbers.notna(), "first")
        groups = list(part.groupby(labels, sort=False))
        for respondent, answered in groups:
            role = _text(answered["respondent_role"].iloc[0]) if "respondent_role" in answered else None
            pairs = zip(answered["question_id"], answered["answer"], strict=True)
            given: dict[str, AnswerValue] = {str(q): str(a) for q, a in pairs if _text(a)}
            given.update(corrected)
            sheets.append(AnswerSheet(
                framework=_text(row.get("framework_id")) or "iiep", modules=modules, firm=firm, answers=given,
                respondent=Respondent(id=str(respondent), role=role if role in RESPONDENT_ROLES else "other")  # type: ignore[arg-type]
                if len(groups) > 1 else None).located(where, {}, f"diagnostic {assessment}"))
    return sheets


def join_by_firm(frame: pd.DataFrame, table: pd.DataFrame, where: str = "the joined table") -> pd.DataFrame:
    """``frame`` with the columns of ``table`` (keyed by ``firm_id``): weights, outcomes, the sampling design.

    Every firm of ``frame`` must be in ``table`` once; a ``weight`` column replaces the default
    weights and must be positive; a column ``frame`` already has (other than ``weight``) is refused.

    >>> pop = pd.DataFrame({"firm_id": ["a", "b"], "weight": [1.0, 1.0]})
    >>> join_by_firm(pop, pd.DataFrame({"firm_id": ["b", "a"], "weight": [3, 2], "innovates": [1, 0]})).to_dict("list")
    {'firm_id': ['a', 'b'], 'weight': [2.0, 3.0], 'innovates': [0, 1]}
    """
    if FIRM_ID not in table:
        raise CollectError(f"{where}: no '{FIRM_ID}' column")
    ids = table[FIRM_ID].astype(str).str.strip()
    dupes = ids[ids.duplicated()].unique().tolist()
    if dupes:
        raise CollectError(f"{where}: firm id(s) {', '.join(dupes[:5])} given twice")
    clash = [c for c in table.columns if c in frame.columns and c not in (FIRM_ID, WEIGHT)]
    if clash:
        raise CollectError(f"{where}: column(s) {', '.join(clash)} already come from the answers")
    keyed = table.assign(**{FIRM_ID: ids}).set_index(FIRM_ID)
    missing = [f for f in frame[FIRM_ID].astype(str) if f not in keyed.index]
    if missing:
        raise CollectError(f"{where}: no row for firm(s) {', '.join(missing[:5])}"
                           + (f" and {len(missing) - 5} more" if len(missing) > 5 else ""))
    out = frame.copy()
    extra = keyed.loc[frame[FIRM_ID].astype(str)]
    for column in extra.columns:
        values = extra[column].to_numpy()
        if column == WEIGHT:
            w = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float)
            bad = [str(f) for f, x in zip(frame[FIRM_ID], w, strict=True) if not (np.isfinite(x) and x > 0)]
            if bad:
                raise CollectError(f"{where}: the weight of firm(s) {', '.join(bad[:5])} is not a positive number")
            out[WEIGHT] = w
        else:
            out[column] = values
    out.attrs.update(frame.attrs)
    return out


def source_name(paths: Sequence[str | Path]) -> str:
    """What the table's stamp calls its survey: the answer files' names.

    >>> source_name(["a/fr-1.yaml", "b/cl.csv"])
    'fr-1.yaml, cl.csv'
    """
    names = [Path(p).name for p in paths]
    return ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")
