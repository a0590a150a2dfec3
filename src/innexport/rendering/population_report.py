"""The population analysis report: one standalone HTML page with its plots.

It assembles what the other modules compute — counts and class shares (:mod:`describe`), index
means by group with confidence intervals (:mod:`compare`), the 2-D map and the typology
(:mod:`maps`), the impact of each capability on the population's binary outcomes (:mod:`impact`)
— and says why a section is missing when the data cannot support it.
"""

from __future__ import annotations

import datetime as dt
import warnings
from functools import cache

import jinja2
import numpy as np
import pandas as pd

from innexport.core.framework import INDICES
from innexport.population.compare import compare_groups
from innexport.population.describe import counts
from innexport.population.frame import ACT, CLASS, WEIGHT, columns
from innexport.population.impact import ImpactError, impact
from innexport.population.maps import map_svg, pca_map, typology

GROUP_CANDIDATES = ("country", "size", "sector")


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.PackageLoader("innexport.rendering", "templates"), autoescape=True,
                              trim_blocks=True, lstrip_blocks=True)


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


def analysis(frame: pd.DataFrame, title: str = "Population analysis") -> dict:
    """Everything the report shows, as plain data (tables as lists of records)."""
    sections: dict = {"title": title, "generated_on": dt.date.today().isoformat(),
                      "framework": frame.attrs.get("framework", ""), "notes": []}
    sections["firms"] = len(frame)
    sections["weighted"] = float(frame[WEIGHT].sum()) if WEIGHT in frame else float(len(frame))
    groups = [g for g in GROUP_CANDIDATES if g in frame and 1 < frame[g].nunique() <= 30]
    sections["counts"] = {g: counts(frame, by=g).reset_index(names=g).to_dict("records") for g in groups}
    sections["overall"] = counts(frame).to_dict("records")[0]
    sections["means"] = {}
    for g in groups:
        table = compare_groups(frame, g, [i for i in INDICES if i in frame])
        sections["means"][g] = table.to_dict("records")
    informed = [c for c in columns(frame, ACT) if frame[c].notna().mean() >= 0.5]
    if len(informed) >= 3 and len(frame) >= 10:
        result = pca_map(frame, columns=informed)
        colour = CLASS + "iiep" if CLASS + "iiep" in frame else None
        sections["map"] = map_svg(result, color_by=colour, title="Firms and activities (PCA)")
        try:
            typ = typology(frame, columns=informed)
            sections["typology"] = typ.describe().to_dict("records")
        except ValueError as exc:
            sections["notes"].append(f"No typology: {exc}")
    else:
        sections["notes"].append("No map: fewer than three activities are observed for at least half of the firms.")
    sections["impact"] = {}
    for outcome in _binary_outcomes(frame):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = impact(frame, outcome, capabilities=informed, mode="joint")
        except (ImpactError, np.linalg.LinAlgError) as exc:
            sections["notes"].append(f"No impact model for '{outcome}': {exc}")
            continue
        sections["impact"][outcome] = res.table.reset_index(names="capability").sort_values("coef", ascending=False
                                                                                         ).to_dict("records")
    return sections


def render_html(frame: pd.DataFrame, title: str = "Population analysis") -> str:
    """The analysis report as a standalone HTML page."""
    return _environment().get_template("population_report.html.j2").render(**analysis(frame, title))
