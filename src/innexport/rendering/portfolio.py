"""The shared outputs of a portfolio: its wording, the XLSX workbook and the PDF brief.

The numbers come from :mod:`innexport.portfolio.compute` and are always **masked** by
:func:`innexport.portfolio.disclosure.mask` before they are written here: no firm is shown on its
own, no firm name is used, groups of fewer than ``min_group`` firms are hidden or counted together
(see that module for the rules and the statistical disclosure control practice they follow).

Every text is in the reader's language (one of :data:`innexport.core.framework.LANGUAGES`):
messages (keys ``portfolio.*``), numbers, percentages and dates come from the one translation
layer, :class:`innexport.rendering.i18n.Translator`; class, activity and dimension names from the
framework(s) — several versions are matched by id, the first that has an id names it — and
programme names from the caller (its catalogue). :class:`Names` is that wording, with the word
for a masked cell.

>>> L = Names("fr", ())
>>> L.count(1234), L.num(0.456), L.percent(0.25), L.count(None)
('1\u202f234', '0,46', '25\xa0%', 'masqué')
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from innexport.core.framework import INDICES, LANGUAGES, Framework
from innexport.files.cells import safe_cell
from innexport.portfolio.compute import (
    FILTERS,
    GROUPINGS,
    MIN_GROUP,
    MOVEMENT_GROUPS,
    NO_CLASS,
    NO_GROUP,
    Portfolio,
    PortfolioError,
    check_filters,
    frameworks,
    weakest_dimension,
)
from innexport.portfolio.disclosure import mask
from innexport.rendering.documents import environment, html_to_pdf
from innexport.rendering.i18n import Translator, translator

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

__all__ = ["Names", "brief_html", "brief_pdf", "xlsx_bytes"]


# --- wording -----------------------------------------------------------------------------------------------


class Names:
    """The wording of a portfolio in one language: messages, numbers and names, on a :class:`Translator`.

    ``frameworks``: those the diagnostics were scored with (the first that has an id names it);
    ``programme_names``: programme id → name. A masked value (None) is written as the word of
    ``portfolio.masked``; every other number as :class:`Translator` writes it.

    >>> from innexport.files.frameworks import load_framework
    >>> L = Names("es", (load_framework("iiep"),), {"fr_cir": "Crédito CIR"})
    >>> L.cls("proactive"), L.dimension("ip"), L.programme("fr_cir"), L.programme("x"), L.num(None)
    ('Proactiva', 'Propiedad intelectual', 'Crédito CIR', 'x', 'oculto')
    """

    def __init__(self, lang: str, frameworks: Sequence[Framework] = (),
                 programme_names: Mapping[str, str] | None = None, min_group: int = MIN_GROUP) -> None:
        if lang not in LANGUAGES:
            raise PortfolioError(f"portfolio: unknown language '{lang}' (one of {', '.join(LANGUAGES)})")
        self.lang = lang
        self.tr: Translator = translator(lang)
        self.fws = tuple(frameworks)
        self.programme_names = dict(programme_names or {})
        self.min_group = min_group
        self.masked = self.tr.t("portfolio.masked")

    def t(self, key: str, **values: Any) -> str:
        """The message ``key`` (:meth:`Translator.t`)."""
        return self.tr.t(key, **values)

    def num(self, value: Any, digits: int = 2) -> str:
        """A decimal number (:meth:`Translator.num`), or the masked word for None."""
        return self.masked if value is None else self.tr.num(float(value), digits)

    def count(self, value: Any) -> str:
        """A whole number (:meth:`Translator.count`), or the masked word for None."""
        return self.masked if value is None else self.tr.count(int(value))

    def percent(self, share: Any) -> str:
        """A share in [0, 1] as a percentage (:meth:`Translator.percent`), or the masked word for None."""
        return self.masked if share is None else self.tr.percent(float(share))

    def date(self, day: dt.date) -> str | None:
        """A date written out (:meth:`Translator.date`)."""
        return self.tr.date(day)

    def cls(self, class_id: str) -> str:
        """The label of a class (``portfolio.class.none`` for a diagnostic without a class)."""
        if class_id == NO_CLASS:
            return self.t("portfolio.class.none")
        for fw in self.fws:
            for c in fw.classes:
                if c.id == class_id:
                    return c.label[self.lang]
        return class_id

    def activity(self, activity_id: str) -> str:
        """The name of an activity, from the first framework that has it (else its id)."""
        for fw in self.fws:
            a = fw.activity_by_id.get(activity_id)
            if a is not None:
                return a.name[self.lang]
        return activity_id

    def dimension(self, dimension_id: str) -> str:
        """The name of a dimension, from the first framework that has it (else its id)."""
        for fw in self.fws:
            for d in fw.dimensions:
                if d.id == dimension_id:
                    return d.name[self.lang]
        return dimension_id

    def group(self, key: str) -> str:
        """A sector or region as written (``portfolio.group.none`` when not given)."""
        return self.t("portfolio.group.none") if key == NO_GROUP else str(key)

    def programme(self, programme_id: str) -> str:
        """The name of a programme given by the caller (else its id)."""
        return self.programme_names.get(programme_id, programme_id)


def _names(p: Portfolio, framework: Framework | Sequence[Framework], lang: str,
           programme_names: Mapping[str, str] | None) -> Names:
    return Names(lang, tuple(frameworks(framework)), programme_names, p.min_group)


def _filter_rows(L: Names, filters: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    given = check_filters(filters)
    return [(L.t(f"portfolio.filter.{k}"), str(given[k]) if given.get(k) not in (None, "") else
             L.t("portfolio.filter.all")) for k in FILTERS]


def _view(p: Portfolio, L: Names, filters: Mapping[str, str] | None, organisation: str,
          generated_on: dt.date) -> dict[str, Any]:
    """Everything the brief and the workbook show, as texts (masked portfolio)."""
    classes = list(p.distribution.index)
    shown_classes = [c for c in classes if c != NO_CLASS or any(v not in (0, None) for v in p.distribution.loc[c])]
    dist_rows = [{"id": c, "label": L.cls(c), "cells": [p.distribution.at[c, ix] for ix in INDICES]}
                 for c in shown_classes]
    cross_keys = [c for c in classes if c != NO_CLASS or c in shown_classes]
    cross_rows = [{"id": ci, "label": L.cls(ci), "cells": [p.cross.at[ci, ce] for ce in cross_keys]}
                  for ci in cross_keys]
    top_cross = max([v for r in cross_rows for v in r["cells"] if v is not None] or [0])
    # the plane by classes: IEP best first from the top, IIP worst first from the left (as on the chart)
    x_keys = list(reversed(p.classes))
    plane_rows = [{"id": ce, "label": L.cls(ce), "cells": [
        {"value": p.cross.at[ci, ce], "share": (p.cross.at[ci, ce] / top_cross) if p.cross.at[ci, ce] is not None
         and top_cross else None} for ci in x_keys]} for ce in p.classes]

    def group_rows(by: str) -> list[dict[str, Any]]:
        g = p.groups(by)
        rows = [{"label": L.group(key), "values": row} for key, row in g.rows.iterrows()]
        if g.other is not None:
            rows.append({"label": L.t("portfolio.group.other", k=p.min_group), "values": g.other, "other": True})
        out = []
        for r in rows:
            v = r["values"]
            firms = v.get("firms")
            weakest = weakest_dimension(v, p.dimensions) if firms is not None else None
            out.append({
                "label": r["label"], "other": r.get("other", False), "firms": firms,
                "iip": v.get("iip"), "iep": v.get("iep"), "iiep": v.get("iiep"), "gap": v.get("gap"),
                "weakest": L.dimension(weakest) if weakest else None,
                "weakest_score": v.get(weakest) if weakest else None,
                "dimensions": [v.get(d) for d in p.dimensions],
            })
        return out

    def movement(g: str) -> dict[str, Any]:
        m = p.movement(g)
        return {
            "id": g, "label": L.t(f"portfolio.movement.{g}"), "firms": m.firms, "up": m.up, "same": m.same,
            "down": m.down, "mean_delta": m.mean_delta,
            "rows": [{"label": L.cls(b), "total": m.rows.get(b), "cells": [m.table.at[b, a] for a in p.classes]}
                     for b in p.classes],
        }

    return {
        "lang": L.lang, "organisation": organisation, "generated_on": generated_on, "filters": _filter_rows(L, filters),
        "firms": p.firms, "assessments": p.assessments, "min_group": p.min_group,
        "overall": p.overall, "classes": shown_classes, "class_labels": [L.cls(c) for c in shown_classes],
        "distribution": dist_rows, "cross_keys": cross_keys, "cross_labels": [L.cls(c) for c in cross_keys],
        "cross": cross_rows, "cross_max": top_cross, "plane_columns": [L.cls(c) for c in x_keys],
        "plane_rows": plane_rows,
        "unclassified": p.distribution.loc[NO_CLASS, "iiep"] if NO_CLASS in p.distribution.index else 0,
        "indices": [(ix, ix.upper()) for ix in INDICES],
        "activities": [{"id": a, "label": L.activity(a), "firms": row["firms"], "share": row["share"]}
                       for a, row in p.activities.iterrows()],
        "sector": group_rows("sector"), "region": group_rows("region"),
        "dimensions": [(d, L.dimension(d)) for d in p.dimensions],
        "programmes": [{"id": pid, "label": L.programme(pid), "proposed": row["proposed"], "used": row["used"]}
                       for pid, row in p.programmes.iterrows()],
        "multi": p.multi, "movement": [movement(g) for g in MOVEMENT_GROUPS],
        "movement_classes": [L.cls(c) for c in p.classes],
    }


# --- shared outputs: XLSX --------------------------------------------------------------------------------

_SHEET_BAD = str.maketrans({c: " " for c in "[]:*?/\\"})


def xlsx_bytes(p: Portfolio, framework: Framework | Sequence[Framework], *, lang: str = "en",
               organisation: str = "", filters: Mapping[str, str] | None = None,
               programme_names: Mapping[str, str] | None = None, generated_on: dt.date | None = None) -> bytes:
    """The portfolio as an XLSX workbook, **masked**: one sheet per table, each headed by the
    organisation, the date, the filters (keys of :data:`FILTERS`) and the masking rule.

    Masked cells hold the word of ``portfolio.masked`` (e.g. “masked”); numbers are numbers. Every
    text cell (organisation, filters, sectors, regions, programme names…) goes through
    :func:`~innexport.files.cells.safe_cell`: never a formula (OWASP, "CSV Injection").

    >>> import io, pandas as pd
    >>> from openpyxl import load_workbook
    >>> from innexport.files.frameworks import load_framework
    >>> from innexport.portfolio.compute import FRAME_COLUMNS, portfolio
    >>> fw = load_framework("iiep")
    >>> data = xlsx_bytes(portfolio(pd.DataFrame(columns=list(FRAME_COLUMNS)), fw), fw, lang="fr")
    >>> load_workbook(io.BytesIO(data)).sheetnames[:4]
    ['Synthèse', 'Classes', 'IIP × IEP', 'Priorités']
    """
    from openpyxl import Workbook  # imported here: only the workbook needs it
    from openpyxl.styles import Alignment, Font, PatternFill

    m = mask(p)
    L = _names(p, framework, lang, programme_names)
    view = _view(m, L, filters, organisation, generated_on or dt.date.today())
    masked_word = L.masked
    grey = PatternFill("solid", fgColor="EEEEEE")

    wb = Workbook()
    wb.remove(wb.active)

    def sheet(key: str, heading: str) -> Worksheet:
        ws = wb.create_sheet(L.t(f"portfolio.sheet.{key}").translate(_SHEET_BAD)[:31])
        _append(ws, [heading])
        ws["A1"].font = Font(bold=True, size=13)
        _append(ws, [L.t("portfolio.organisation"), organisation])
        _append(ws, [L.t("portfolio.generated"), view["generated_on"]])
        ws.cell(ws.max_row, 2).number_format = "yyyy-mm-dd"
        _append(ws, [L.t("portfolio.filters")])
        ws.cell(ws.max_row, 1).font = Font(bold=True)
        for label, value in view["filters"]:
            _append(ws, [label, value])
        _append(ws, [L.t("portfolio.masking", k=p.min_group)])
        ws.cell(ws.max_row, 1).alignment = Alignment(wrap_text=False)
        _append(ws, [])
        return ws

    def header(ws: Worksheet, cells: Sequence[str]) -> None:
        _append(ws, list(cells))
        for cell in ws[ws.max_row]:
            cell.font = Font(bold=True)

    def put(ws: Worksheet, values: Sequence[Any], digits: Sequence[int | None] = ()) -> None:
        row = []
        for v in values:
            if v is None:
                row.append(masked_word)
            elif isinstance(v, float) and v != v:
                row.append("")
            else:
                row.append(v.item() if hasattr(v, "item") else v)
        _append(ws, row)
        for col, v in enumerate(values, start=1):
            cell = ws.cell(ws.max_row, col)
            if v is None:
                cell.fill = grey
            elif col - 1 < len(digits) and isinstance(cell.value, float):
                places = digits[col - 1]
                if places is not None:
                    cell.number_format = "0." + "0" * places if places else "0"

    # summary
    ws = sheet("summary", L.t("portfolio.title"))
    header(ws, [L.t("portfolio.col.what"), L.t("portfolio.col.value")])
    put(ws, [L.t("portfolio.firms"), m.firms])
    put(ws, [L.t("portfolio.assessments"), m.assessments])
    for ix, label in view["indices"]:
        put(ws, [L.t("portfolio.mean_of", what=label), m.overall.get(ix)], [None, 3])
    put(ws, [L.t("portfolio.col.gap"), m.overall.get("gap")], [None, 3])
    put(ws, [L.t("portfolio.multi"), m.multi])
    ws.column_dimensions["A"].width = 48
    ws.column_dimensions["B"].width = 40

    # classes
    ws = sheet("classes", L.t("portfolio.section.classes"))
    header(ws, [L.t("portfolio.col.class"), *(label for _ix, label in view["indices"])])
    for r in view["distribution"]:
        put(ws, [r["label"], *r["cells"]])
    ws.column_dimensions["A"].width = 24

    # the plane by classes
    ws = sheet("plane", L.t("portfolio.section.plane"))
    header(ws, [L.t("portfolio.col.iip_iep"), *view["cross_labels"]])
    for r in view["cross"]:
        put(ws, [r["label"], *r["cells"]])
    ws.column_dimensions["A"].width = 24

    # priorities
    ws = sheet("priorities", L.t("portfolio.section.priorities"))
    header(ws, [L.t("portfolio.col.activity"), L.t("portfolio.col.activity_id"), L.t("portfolio.col.firms"),
                L.t("portfolio.col.share")])
    for r in view["activities"]:
        put(ws, [r["label"], r["id"], r["firms"], r["share"]], [None, None, None, 3])
    ws.column_dimensions["A"].width = 48
    ws.column_dimensions["B"].width = 26

    # gaps by sector and region
    for by in GROUPINGS:
        ws = sheet(by, L.t(f"portfolio.section.{by}"))
        header(ws, [L.t(f"portfolio.col.{by}"), L.t("portfolio.col.firms"),
                    *(label for _ix, label in view["indices"]), L.t("portfolio.col.gap"),
                    L.t("portfolio.col.weakest"), *(label for _d, label in view["dimensions"])])
        for r in view[by]:
            put(ws, [r["label"], r["firms"], r["iip"], r["iep"], r["iiep"], r["gap"],
                     r["weakest"] if r["firms"] is not None else None, *r["dimensions"]],
                [None, None, 3, 3, 3, 3, None, *([3] * len(r["dimensions"]))])
        ws.column_dimensions["A"].width = 30

    # programmes
    ws = sheet("programmes", L.t("portfolio.section.programmes"))
    header(ws, [L.t("portfolio.col.programme"), L.t("portfolio.col.programme_id"), L.t("portfolio.col.proposed"),
                L.t("portfolio.col.used")])
    for r in view["programmes"]:
        put(ws, [r["label"], r["id"], r["proposed"], r["used"]])
    ws.column_dimensions["A"].width = 60
    ws.column_dimensions["B"].width = 26

    # movement
    ws = sheet("movement", L.t("portfolio.section.movement"))
    _append(ws, [L.t("portfolio.movement.intro")])
    put(ws, [L.t("portfolio.multi"), m.multi])
    for mv in view["movement"]:
        _append(ws, [])
        _append(ws, [mv["label"]])
        ws.cell(ws.max_row, 1).font = Font(bold=True)
        header(ws, [L.t("portfolio.col.firms"), L.t("portfolio.col.up"), L.t("portfolio.col.same"),
                    L.t("portfolio.col.down"), L.t("portfolio.col.mean_delta")])
        put(ws, [mv["firms"], mv["up"], mv["same"], mv["down"], mv["mean_delta"]], [None, None, None, None, 3])
        header(ws, [L.t("portfolio.col.start_latest"), *view["movement_classes"], L.t("portfolio.col.total")])
        for r in mv["rows"]:
            put(ws, [r["label"], *r["cells"], r["total"]])
    ws.column_dimensions["A"].width = 30

    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()

def _append(ws: Worksheet, values: Sequence[Any]) -> None:
    """Append a row of cells to ``ws``, each text neutralised by :func:`safe_cell`."""
    ws.append([safe_cell(v) for v in values])


# --- shared outputs: the PDF brief -----------------------------------------------------------------------


def brief_html(p: Portfolio, framework: Framework | Sequence[Framework], *, lang: str = "en",
               organisation: str = "", filters: Mapping[str, str] | None = None,
               programme_names: Mapping[str, str] | None = None, generated_on: dt.date | None = None,
               top: int = 10) -> str:
    """The brief of the portfolio as a standalone HTML page, **masked**, in ``lang``.

    No firm is shown on its own: the plane is the IIP × IEP class table, sectors and regions of
    fewer than ``min_group`` firms are counted together, and no firm name is used anywhere.

    >>> import pandas as pd
    >>> from innexport.files.frameworks import load_framework
    >>> from innexport.portfolio.compute import FRAME_COLUMNS, portfolio
    >>> fw = load_framework("iiep")
    >>> html = brief_html(portfolio(pd.DataFrame(columns=list(FRAME_COLUMNS)), fw), fw, organisation="CCI")
    >>> "Portfolio brief" in html and "No completed diagnostic matches these filters." in html
    True
    """
    m = mask(p)
    L = _names(p, framework, lang, programme_names)
    view = _view(m, L, filters, organisation, generated_on or dt.date.today())
    programmes = view["programmes"]
    proposed = sorted([r for r in programmes if r["proposed"]], key=lambda r: -r["proposed"])
    used = sorted([r for r in programmes if r["used"]], key=lambda r: -r["used"])
    context = {
        **view, "t": L.t, "num": L.num, "count": L.count, "percent": L.percent, "date": L.date(view["generated_on"]),
        "top": top, "activities": [a for a in view["activities"] if a["firms"]][:top], "proposed": proposed[:top],
        "used": used[:top], "masked_activities": sum(a["firms"] is None for a in view["activities"]),
        "masked_proposed": sum(r["proposed"] is None for r in programmes),
        "masked_used": sum(r["used"] is None for r in programmes), "generator": "innexport",
    }
    return environment().get_template("portfolio_brief.html.j2").render(context)


def brief_pdf(p: Portfolio, framework: Framework | Sequence[Framework], **kwargs: Any) -> bytes:
    """The brief (see :func:`brief_html`) as an A4 PDF (WeasyPrint; :class:`RuntimeError` when missing)."""
    return html_to_pdf(brief_html(p, framework, **kwargs))
