"""The comparative study report: one HTML page (or PDF) comparing countries, sectors or sizes.

It shows what :func:`innexport.population.study.study` computed, in its seven sections (samples
and weights, reliability per group, measurement invariance, means with intervals, the common-space
map per group, the synergy model, the classes by group), stamped with the framework, the mappings
and the data files' hashes. It is worded in one of :data:`innexport.core.framework.LANGUAGES`
through :class:`innexport.rendering.i18n.Translator` (``study.*`` messages of the documents'
catalogues): the analyses' own messages (English) stay in the JSON (``--json``), the report says
in its language which section could not be computed and why, by code.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from innexport.core.framework import INDICES, Framework
from innexport.population.frame import names_from_framework
from innexport.population.study import Study
from innexport.rendering.documents import environment, html_to_pdf
from innexport.rendering.i18n import Translator, translator
from innexport.rendering.maps import map_svg

NOTE_CODES = ("no_framework", "no_reliability", "no_invariance", "no_means", "no_map", "no_synergy",
              "no_synergy_outcomes")
"""The codes of :attr:`Study.notes` the report translates (``study.note.<code>``)."""


def _name(labels: dict[str, str]) -> Any:
    def name(column: str) -> str:
        if column in INDICES:
            return column.upper()
        return labels.get(column) or column.split(".", 1)[-1].replace("_", " ")
    return name


def _left_out(L: Translator, data: dict[str, Any]) -> str:
    left = data.get("left_out") or []
    if not left:
        return ""
    small = [f"{g['group']} ({L.count(g['firms'])})" for g in left if g["why"] == "small"]
    other = [f"{g['group']} ({L.count(g['firms'])})" for g in left if g["why"] != "small"]
    parts = []
    if small:
        parts.append(L.t("study.left_out.small", groups=", ".join(small), min=L.count(data["min_group"])))
    if other:
        parts.append(L.t("study.left_out.other", groups=", ".join(other)))
    return " ".join(parts)


def _reliability_rows(data: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    rows: dict[str, dict[str, Any]] = {}
    for r in data.get("reliability") or []:
        entry = rows.setdefault(r["scale"], {"n_items": r["items"], "cells": {}})
        entry["cells"][str(r["group"])] = r
    return list(rows.items())


def _means_tables(data: dict[str, Any]) -> list[tuple[str, list[dict[str, Any]]]]:
    tables: dict[str, list[dict[str, Any]]] = {}
    for r in data.get("means") or []:
        tables.setdefault(r["column"], []).append({**r, "group": str(r["group"])})
    return list(tables.items())


def _invariance_view(L: Translator, inv: dict[str, Any] | None) -> dict[str, Any]:
    if not inv:
        return {"invariance": None}
    levels = inv.get("levels") or []
    reached = inv.get("reached")
    conclusion = L.t("study.invariance.reached." + (reached or "none"))
    partial = ""
    freed = inv.get("freed") or []
    if freed:
        partial = L.t("study.invariance.partial", items=", ".join(f"{f['item']} ({f['parameter']})" for f in freed))
    factors = inv.get("factors") or {}
    model = L.t("study.invariance.model", factors=len(factors), items=sum(len(v) for v in factors.values()))
    return {"invariance": {"levels": levels}, "invariance_conclusion": conclusion, "invariance_partial": partial,
            "invariance_model": model}


def _synergy_view(L: Translator, syn: dict[str, Any] | None) -> dict[str, Any]:
    if not syn:
        return {"synergy": None}
    rho = syn.get("rho") or {}
    p = rho.get("p")
    text = L.t("study.synergy.rho", rho=L.num(rho.get("estimate"), 2), low=L.num(rho.get("ci_low"), 2),
               high=L.num(rho.get("ci_high"), 2), n=L.count(syn.get("n")),
               p="p " + (text_p if (text_p := _p_value(L)(p)).startswith("<") else "= " + text_p))
    rows = syn.get("capabilities") or []
    return {"synergy": syn, "synergy_rho": text, "synergy_rows": rows,
            "synergy_context": any(r.get("p_context") is not None for r in rows),
            "synergy_reference": str((syn.get("groups") or ["–"])[0])}


def _p_value(L: Translator) -> Any:
    def pval(p: float | None) -> str:
        if p is None or p != p:
            return "–"
        return "< " + L.num(0.001, 3) if p < 0.001 else L.num(p, 3)
    return pval


def _note(L: Translator, note: dict[str, Any]) -> str:
    code = note.get("code", "")
    key = "study.note." + code
    if not L.has(key):
        return L.t("study.note.other")
    values = {k: str(v) for k, v in note.items() if k in ("scale", "group")}
    if "scale" in values:
        values["scale"] = values["scale"].split(".", 1)[-1].replace("_", " ")
    return L.t(key + (".group" if "group" in note and L.has(key + ".group") else ""), **values)


def render_html(result: Study, *, lang: str = "en", title: str | None = None,
                framework: Framework | None = None) -> str:
    """The study report as a standalone HTML page in ``lang``.

    ``framework`` gives the display names of the dimensions and activities (default: their ids).
    """
    L = translator(lang)
    data = result.to_dict()
    labels = names_from_framework(framework, lang) if framework is not None else {}
    name = _name(labels)
    firms = sum(r["firms"] for r in data["samples"])
    summary = L.t("study.summary", firms=L.count(firms), groups=L.count(len(result.groups)), by=result.by,
                  framework=data["stamp"].get("framework") or "—")
    class_ids = list(next(iter(data["classes"].values()))[0].keys())[1:] if data.get("classes") else []
    class_names = {c: c for c in class_ids}
    if framework is not None:
        class_names.update({c.id: c.label.get(lang) for c in framework.classes})
    maps = []
    for g, m in result.maps.items():
        maps.append((str(g), map_svg(m, size=460, labels=labels, max_labels=12, legend=False)))
    design = data.get("design")
    design_text = L.t("study.design", strata=design.get("strata") or "–", psu=design.get("psu") or "–",
                      fpc=design.get("fpc") or "–") if design else ""
    context = {
        "lang": lang, "title": title or L.t("study.title", by=result.by), "summary": summary,
        "generated_on": L.date(dt.date.today()), "by": result.by, "groups": [str(g) for g in result.groups],
        "reference": str(result.reference), "stamp": data["stamp"], "samples": data["samples"],
        "left_out_text": _left_out(L, data), "missing_group": data.get("missing_group"), "design_text": design_text,
        "confidence": data.get("confidence", 0.95), "reliability_rows": _reliability_rows(data),
        "means_tables": _means_tables(data), "maps": maps, "classes": data.get("classes") or {},
        "class_ids": class_ids, "class_names": class_names,
        "notes": list(dict.fromkeys(_note(L, n) for n in result.notes)),
        **_invariance_view(L, data.get("invariance")), **_synergy_view(L, data.get("synergy")),
        "t": L.t, "num": L.num, "count": L.count, "percent": L.percent, "signed": L.signed, "name": name,
        "pval": _p_value(L),
    }
    return environment().get_template("study_report.html.j2").render(**context)


def render_pdf(result: Study, *, lang: str = "en", title: str | None = None, framework: Framework | None = None
               ) -> bytes:
    """The study report as a PDF (WeasyPrint; the ``pdf`` extra)."""
    return html_to_pdf(render_html(result, lang=lang, title=title, framework=framework))
