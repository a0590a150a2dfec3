"""The population analysis report: one standalone HTML page with its plots.

It assembles what the other modules compute — counts and class shares (:mod:`describe`), index
means by group with confidence intervals (:mod:`compare`), the 2-D map and the typology
(:mod:`maps`), the impact of each capability on the population's binary outcomes (:mod:`impact`)
— and says why a section is missing when the data cannot support it.

It is worded in one of :data:`innexport.core.framework.LANGUAGES` (English by default) through
:class:`innexport.rendering.i18n.Translator`: ``population.*`` messages of the documents' gettext
catalogues, numbers, percentages and dates by Babel.
"""

from __future__ import annotations

import datetime as dt
import warnings

import numpy as np
import pandas as pd

from innexport.core.framework import INDICES
from innexport.population.compare import compare_groups
from innexport.population.describe import counts
from innexport.population.frame import ACT, CLASS, WEIGHT, columns, informed
from innexport.population.impact import ImpactError, impact
from innexport.population.ordination import pca_map
from innexport.population.typology import typology
from innexport.rendering.documents import environment
from innexport.rendering.i18n import translator
from innexport.rendering.maps import map_svg

GROUP_CANDIDATES = ("country", "size", "sector")


def _binary_outcomes(frame: pd.DataFrame) -> list[str]:
    known = set(columns(frame, "obs.") + columns(frame, ACT) + columns(frame, "dim.") + list(INDICES)
                + columns(frame, CLASS) + ["firm_id", WEIGHT, "completeness"])
    out = []
    for col in frame.columns:
        if col in known:
            continue
        values = pd.to_numeric(frame[col], errors="coerce").dropna().unique()
        if len(values) == 2 and set(values) <= {0, 1}:
            out.append(col)
    return out


def analysis(frame: pd.DataFrame, title: str | None = None, lang: str = "en") -> dict:
    """Everything the report shows, as plain data (tables as lists of records), its texts in ``lang``."""
    L = translator(lang)
    sections: dict = {"title": title or L.t("population.title"), "generated_on": dt.date.today(),
                      "framework": frame.attrs.get("framework", ""), "notes": [], "map": None, "typology": []}
    sections["firms"] = len(frame)
    sections["weighted"] = float(frame[WEIGHT].sum()) if WEIGHT in frame else float(len(frame))
    groups = [g for g in GROUP_CANDIDATES if g in frame and 1 < frame[g].nunique() <= 30]
    sections["counts"] = {g: counts(frame, by=g).reset_index(names=g).to_dict("records") for g in groups}
    sections["overall"] = counts(frame).to_dict("records")[0]
    sections["means"] = {}
    for g in groups:
        table = compare_groups(frame, g, [i for i in INDICES if i in frame])
        sections["means"][g] = table.to_dict("records")
    informed_cols = informed(frame, ACT)
    if len(informed_cols) >= 3 and len(frame) >= 10:
        result = pca_map(frame, columns=informed_cols)
        colour = CLASS + "iiep" if CLASS + "iiep" in frame else None
        sections["map"] = map_svg(result, color_by=colour, title=L.t("population.map.title"))
        try:
            typ = typology(frame, columns=informed_cols)
            sections["typology"] = typ.describe().reset_index().to_dict("records")
        except ValueError as exc:
            sections["notes"].append(L.t("population.note.no_typology", reason=exc))
    else:
        sections["notes"].append(L.t("population.note.no_map"))
    sections["impact"] = {}
    for outcome in _binary_outcomes(frame):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = impact(frame, outcome, capabilities=informed_cols, mode="joint")
        except (ImpactError, np.linalg.LinAlgError) as exc:
            sections["notes"].append(L.t("population.note.no_impact", outcome=outcome, reason=exc))
            continue
        sections["impact"][outcome] = res.table.reset_index(names="capability").sort_values("coef", ascending=False
                                                                                         ).to_dict("records")
    return sections


def render_html(frame: pd.DataFrame, title: str | None = None, lang: str = "en") -> str:
    """The analysis report as a standalone HTML page in ``lang`` (one of
    :data:`innexport.core.framework.LANGUAGES`; ``title`` defaults to the language's "Population analysis")."""
    L = translator(lang)
    sections = analysis(frame, title, lang)
    sections["generated_on"] = L.date(sections["generated_on"])
    return environment().get_template("population_report.html.j2").render(
        **sections, lang=lang, t=L.t, num=L.num, count=L.count, percent=L.percent,
        signed=L.signed, step=L.num(0.1, 1))
