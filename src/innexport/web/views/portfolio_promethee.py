"""The portfolio's PROMETHEE II ranking and GAIA plane: ``portfolio/promethee/`` (and its JSON, the API's
``GET /api/portfolio/promethee``, :mod:`innexport.web.api_portfolio`).

What this module decides: which firms are ranked (each firm's **latest** completed diagnostic among
those the portfolio's filters select — :func:`innexport.web.views.portfolio.selection`, the one
home of the filters — read with one query, the latest picked by the database with a window
function), the preference function the user may choose, and what each member sees. The method is
:mod:`innexport.core.promethee` (Brans & Vincke 1985; Brans & Mareschal 2005) through
:func:`innexport.portfolio.gaia.table_gaia`: criteria = the dimensions of the framework most used
by these diagnostics, weights = its dimension weights, scores maximised; a firm lacking one of
these dimension scores (a diagnostic of another framework) is left out and counted.

Parameters (GET), besides the portfolio's filters: ``function`` (``usual``, ``vshape`` or
``linear``; default usual), ``q`` and ``p`` (the indifference and preference thresholds, on the
0–1 scale of the scores; defaults :data:`DEFAULT_Q` and :data:`DEFAULT_P`; ignored by the usual
function, ``q`` by the V-shape), ``page`` (the ranking table is cut in pages of :data:`PAGE_SIZE`
firms, the filters kept in the links). A bad parameter is answered 400 with the field named (the
form's error on the page; ``detail`` in the API).

**Masking.** Admins and advisors see their firms' names (the organisation's own page). A read-only
analyst sees the portfolio as it is shared (:mod:`innexport.portfolio.disclosure`,
:func:`innexport.portfolio.gaia.shareable`): firms by their opaque id, no name on the table nor on
the plane (the names are not even read), and nothing at all when fewer than
:data:`~innexport.portfolio.compute.MIN_GROUP` firms are ranked.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import numpy as np
import pandas as pd
from django import forms
from django.core.paginator import Page, Paginator
from django.db.models import F, TextField, Window
from django.db.models.functions import Cast, RowNumber
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from innexport.core.framework import Framework
from innexport.core.promethee import PREFERENCE_FUNCTIONS, Preference
from innexport.portfolio import gaia
from innexport.portfolio.compute import MIN_GROUP, PortfolioError, json_values
from innexport.rendering import charts, i18n
from innexport.web import tenancy
from innexport.web.language import interface_language
from innexport.web.models import Role
from innexport.web.tenancy import member_required
from innexport.web.views.portfolio import (
    PortfolioFilters,
    cache_key,
    collector_paused,
    frameworks_by_key,
    keep,
    kept,
    last_change,
    raw_rows,
    selection,
)

PAGE_SIZE = 50
"""Firms per page of the ranking table."""
DEFAULT_Q = 0.05
DEFAULT_P = 0.20
"""Default indifference and preference thresholds (scores are on 0–1): a difference of 0.05 or less
between two firms' scores counts as none, one of 0.20 or more as a full preference."""


class PrometheeForm(PortfolioFilters):
    """The portfolio's filters, the preference function and its thresholds, and the page."""

    def __init__(self, data: Any, *, user: Any) -> None:
        super().__init__(data, user=user)
        self.fields["function"] = forms.ChoiceField(
            label=_lazy("Preference function"), required=False, initial="usual",
            choices=[("usual", _lazy("usual (any difference)")), ("vshape", _lazy("V-shape (threshold p)")),
                     ("linear", _lazy("linear (thresholds q and p)"))])
        self.fields["q"] = forms.FloatField(
            label=_lazy("Indifference threshold q"), required=False, min_value=0.0, max_value=1.0,
            widget=forms.NumberInput(attrs={"step": "0.01", "placeholder": f"{DEFAULT_Q:.2f}"}))
        self.fields["p"] = forms.FloatField(
            label=_lazy("Preference threshold p"), required=False, min_value=0.0, max_value=1.0,
            widget=forms.NumberInput(attrs={"step": "0.01", "placeholder": f"{DEFAULT_P:.2f}"}))
        self.fields["page"] = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        kind = data.get("function") or "usual"
        if kind not in PREFERENCE_FUNCTIONS or "q" in self.errors or "p" in self.errors:
            return data
        given_q, given_p = data.get("q"), data.get("p")
        q = float(given_q) if given_q is not None else DEFAULT_Q
        p = float(given_p) if given_p is not None else DEFAULT_P
        pref = Preference("usual") if kind == "usual" else Preference("vshape", p=p) if kind == "vshape" else \
            Preference("linear", q=q, p=p)
        try:  # the one home of the thresholds' rule: core.promethee.Preference.check
            pref.check(kind)
        except ValueError:
            if kind == "vshape":
                self.add_error("p", _("The V-shape function needs a preference threshold p above 0."))
            else:
                self.add_error("q" if q >= p else "p", _("The linear function needs 0 ≤ q < p (here q = %(q)s and "
                                                         "p = %(p)s).") % {"q": f"{q:g}", "p": f"{p:g}"})
            return data
        data["preference"] = pref
        return data

    def link(self, **changes: Any) -> str:
        """The query string of these parameters with ``changes`` (e.g. another page), blank ones left out."""
        values = {k: v for k, v in self.data.items() if k in self.fields and v}
        values.update({k: str(v) for k, v in changes.items()})
        return urlencode({k: v for k, v in values.items() if v})


@dataclass(frozen=True)
class Ranked:
    """The ranking of a selection: ``result`` (None when fewer than 2 firms have every score, or —
    masked — fewer than ``MIN_GROUP``), the framework, the firms' names (empty when masked), the
    number of firms selected and whether the figures are masked."""

    result: gaia.GaiaResult | None
    framework: Framework | None
    names: dict[int, str]
    firms: int
    masked: bool
    problem: str = ""


def latest_scores(user: Any, filters: dict[str, Any], *, with_names: bool) -> tuple[pd.DataFrame, dict[int, str], list[int]]:
    """The dimension scores of each firm's latest diagnostic in the selection (index: firm id), the
    firms' names (when ``with_names``) and the framework versions, the most used first. One query:
    the latest diagnostic is picked by the database (a window over each firm's diagnostics, latest
    date then largest id: the rule of :func:`innexport.portfolio.compute.chronological`)."""
    latest = Window(RowNumber(), partition_by=[F("firm_id")], order_by=[F("assessed_on").desc(), F("pk").desc()])
    qs = (selection(user, filters).annotate(latest=latest, scores_text=Cast("dimension_scores", TextField()))
          .filter(latest=1))
    columns = ["firm_id", "framework_id", "scores_text", *(["firm__name"] if with_names else [])]
    rows = raw_rows(qs.values_list(*columns))
    firm_ids = [int(r[0]) for r in rows]
    scores = [d if isinstance(d, dict) else {} for d in json_values([r[2] for r in rows], "dimension_scores")]
    table = pd.DataFrame.from_records(scores, nrows=len(scores)) if scores else pd.DataFrame()
    table.index = pd.Index(firm_ids, name="firm")
    names = {int(r[0]): str(r[3]) for r in rows} if with_names else {}
    counts = pd.Series([r[1] for r in rows], dtype=object).value_counts(sort=True) if rows else pd.Series(dtype=object)
    keys = [int(k) for k in counts.index.tolist()]
    return table, names, keys


def ranking(user: Any, filters: dict[str, Any], preference: Preference, *, masked: bool) -> Ranked:
    """PROMETHEE II and GAIA of the selection's firms (see the module's documentation). The latest
    scores are kept in the cache under the organisation's last change
    (:func:`innexport.web.views.portfolio.last_change`: never stale), whatever the preference function."""
    organisation = tenancy.organisation(user)
    key = cache_key(organisation, filters, last_change(organisation), "promethee-masked" if masked else "promethee")
    found = kept(key)
    if found is None:
        with collector_paused():
            found = latest_scores(user, filters, with_names=not masked)
        keep(key, found)
    table, names, keys = found
    fw = frameworks_by_key(keys)[0]
    dims = [d.id for d in fw.dimensions]
    values = table.reindex(columns=dims).apply(pd.to_numeric, errors="coerce").astype(float)
    try:
        result = gaia.table_gaia(values, dims, fw.dimension_weights(), functions=preference)
    except PortfolioError as exc:
        return Ranked(None, fw, names, len(table), masked, str(exc))
    return Ranked(gaia.shareable(result, MIN_GROUP) if masked else result, fw, names, len(table), masked)


def rank_order(result: gaia.GaiaResult) -> pd.DataFrame:
    """The ranked firms, best first (then by firm id: a stable order across pages)."""
    firms = result.firms
    order = np.lexsort([firms.index.to_numpy(), -firms["net_flow"].to_numpy()])
    return firms.iloc[order]


def _context(form: PrometheeForm, ranked: Ranked, lang: str) -> dict[str, Any]:
    t = i18n.translator(lang)
    fw = ranked.framework
    context: dict[str, Any] = {"ranked": ranked, "masked": ranked.masked, "min_group": MIN_GROUP}
    result = ranked.result
    if result is None or fw is None:
        return context
    labels = {d.id: d.name[lang] for d in fw.dimensions}
    ordered = rank_order(result)
    paginator = Paginator(range(len(ordered)), PAGE_SIZE)
    page: Page = paginator.get_page(form.cleaned_data.get("page") or 1)
    rows = ordered.iloc[page.start_index() - 1:page.end_index()]
    names = ranked.names
    context.update({
        "page": page,
        "previous_link": form.link(page=page.previous_page_number()) if page.has_previous() else "",
        "next_link": form.link(page=page.next_page_number()) if page.has_next() else "",
        "rows": [{"rank": int(r.rank), "firm": int(fid), "name": names.get(int(fid), ""),
                  "net_flow": t.signed(float(r.net_flow), 3), "x": t.num(float(r.x), 3), "y": t.num(float(r.y), 3)}
                 for fid, r in zip(rows.index, rows.itertuples(), strict=True)],
        "criteria": [{"id": cid, "label": labels.get(str(cid), str(cid)), "weight": t.percent(float(c.weight), 1),
                      "x": t.num(float(c.x), 3), "y": t.num(float(c.y), 3)}
                     for cid, c in zip(result.criteria.index, result.criteria.itertuples(), strict=True)],
        "ranked_firms": len(result.firms), "left_out": len(result.left_out),
        "delta": t.percent(result.delta, 1), "stick": (t.num(result.stick[0], 3), t.num(result.stick[1], 3)),
        "framework_label": fw.title[lang],
    })
    firm_xy = result.firms[["x", "y"]].to_numpy()
    titles = None if ranked.masked else [names.get(int(f), "") for f in result.firms.index]
    svg = charts.gaia_svg(firm_xy, result.criteria[["x", "y"]].to_numpy(),
                          [labels.get(str(c), str(c)) for c in result.criteria.index], result.stick,
                          titles=titles, stick_label="π", title=_("GAIA plane of the firms"))
    context["plane"] = mark_safe(svg)  # noqa: S308 - built by rendering.charts from escaped parts
    context["density"] = len(result.firms) > 2000
    return context


@member_required
def promethee_page(request: HttpRequest) -> HttpResponse:
    start = time.perf_counter()
    form = PrometheeForm(request.GET, user=request.user)
    context: dict[str, Any] = {"form": form, "here": "portfolio"}
    if not form.is_valid():
        return render(request, "web/portfolio_promethee.html", context, status=400)
    masked = tenancy.membership(request.user).role == Role.ANALYST
    ranked = ranking(request.user, form.cleaned_data, form.cleaned_data["preference"], masked=masked)
    computed = time.perf_counter()
    context.update(_context(form, ranked, interface_language()))
    response = render(request, "web/portfolio_promethee.html", context)
    response["Server-Timing"] = (f"core;dur={(computed - start) * 1000:.1f}, "
                                 f"render;dur={(time.perf_counter() - computed) * 1000:.1f}")
    return response


urlpatterns = [
    path("portfolio/promethee/", promethee_page, name="portfolio-promethee"),
]
