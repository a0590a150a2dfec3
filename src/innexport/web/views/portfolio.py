"""The portfolio of an organisation: its firms on the innovation × export plane, classes, top
priorities, gaps by sector and region, programmes and movement after support; XLSX and PDF brief.

Every member of the organisation sees it (admins, advisors and read-only analysts; an analyst's
plane has no firm name as tooltip, as the analysts' flat tables have none). The data is
read with a few narrow queries over the organisation's completed diagnostics
(:func:`selection_of`), using the summary columns kept on each assessment and its plan —
never the stored results, which would be far too slow for thousands of firms — and
:mod:`innexport.portfolio.compute` does every computation. The page shows the organisation its own
numbers unmasked, marking those that the shared outputs hide (:mod:`innexport.portfolio.disclosure`);
the XLSX and the PDF brief (:mod:`innexport.rendering.portfolio`) are always masked (groups of fewer
than five firms), and both are audited as exports.

Filters (GET): ``sector``, ``region``, ``size``, ``advisor`` (the user who made the diagnostic,
among the organisation's members), ``from`` and ``to`` (dates of the diagnostics). A bad filter is
answered with 400 and the field named. Each response carries a ``Server-Timing`` header (query,
core, render) so that the bench can tell where the time goes.
"""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import json
import logging
import pickle
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
from django import forms
from django.core.cache import cache
from django.db import connections
from django.db.models import BooleanField, Count, OuterRef, Q, QuerySet, Subquery, TextField, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.safestring import mark_safe
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from innexport.core.classes import quadrant_cut
from innexport.core.framework import Framework
from innexport.files.frameworks import load_framework
from innexport.portfolio import compute as core
from innexport.portfolio import disclosure
from innexport.rendering import charts, i18n
from innexport.rendering import portfolio as shared
from innexport.rendering.sectors import sector_label
from innexport.web import services, tenancy
from innexport.web.language import interface_language
from innexport.web.models import (
    ActionPlan,
    Assessment,
    AssessmentStatus,
    AuditEntry,
    Firm,
    FrameworkVersion,
    Membership,
    Organisation,
    Role,
    SizeClass,
)
from innexport.web.tenancy import member_required

log = logging.getLogger(__name__)

TOP = 10
"""Rows of the top-N lists (priorities, programmes) on the page and in the brief."""

EVERY_ROW: tuple[tuple[str, str], ...] = (
    ("assessment", "pk"), ("firm", "firm_id"), ("assessed_on", "assessed_on"), ("iiep", "iiep"),
    ("class_iiep", "class_iiep"), ("framework", "framework_id"),
)
"""What :func:`load_frame` reads of every diagnostic of the selection (frame column, model field)."""
LATEST_ROW: tuple[tuple[str, str], ...] = (
    ("assessment", "pk"), ("iip", "iip"), ("iep", "iep"), ("class_iip", "class_iip"), ("class_iep", "class_iep"),
    ("top_activities", "top_activities"), ("dimension_scores", "dimension_scores"), ("name", "firm__name"),
    ("sector", "firm__sector"), ("region", "firm__region"),
)
"""What it reads of each firm's latest diagnostic only (:data:`innexport.portfolio.compute.LATEST_COLUMNS`),
its firm's name, sector and region with it."""
PLAN_ROW: tuple[tuple[str, str], ...] = (
    ("assessment", "assessment_id"), ("actions_done", "actions_done"),
    ("programmes_proposed", "programmes_proposed"), ("programmes_used", "programmes_used"),
)
"""What it reads of the plans of the organisation."""
JSON_COLUMNS = frozenset({"top_activities", "dimension_scores", "programmes_proposed", "programmes_used"})
FLOAT_COLUMNS = frozenset({"iip", "iep", "iiep"})


# --- filters -----------------------------------------------------------------------------------------


class PortfolioFilters(forms.Form):
    sector = forms.ChoiceField(label=_lazy("Sector"), required=False)
    region = forms.ChoiceField(label=_lazy("Region"), required=False)
    size = forms.ChoiceField(label=_lazy("Size"), required=False)
    advisor = forms.TypedChoiceField(label=_lazy("Advisor"), required=False, coerce=int, empty_value=None)

    def __init__(self, data: Any, *, user: Any) -> None:
        super().__init__(data)
        firms = tenancy.firms(user)
        everything = [("", _("all"))]
        lang = interface_language()
        self._choice_field("sector").choices = everything + [
            (s, sector_label(s, lang)) for s in firms.exclude(sector="").order_by("sector")
            .values_list("sector", flat=True).distinct()]
        self._choice_field("region").choices = everything + [
            (r, r) for r in firms.exclude(region="").order_by("region").values_list("region", flat=True).distinct()]
        self._choice_field("size").choices = everything + list(SizeClass.choices)
        members = (Membership.objects.filter(organisation=tenancy.organisation(user)).select_related("user")
                   .order_by("user__username"))
        self.advisors = {m.user_id: (m.user.get_full_name() or m.user.get_username()) for m in members}
        self._choice_field("advisor").choices = everything + list(self.advisors.items())
        # "from" and "to" are Python keywords: declared here rather than as attributes
        self.fields["from"] = forms.DateField(label=_lazy("Diagnostics from"), required=False,
                                              widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
        self.fields["to"] = forms.DateField(label=_lazy("Diagnostics until"), required=False,
                                            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def _choice_field(self, name: str) -> forms.ChoiceField:
        """The field ``name``, declared above as a choice field (``self.fields`` is typed as any field)."""
        return cast(forms.ChoiceField, self.fields[name])

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        start, end = data.get("from"), data.get("to")
        if start and end and start > end:
            self.add_error("to", _("The end of the period (%(end)s) is before its start (%(start)s).")
                           % {"end": end.isoformat(), "start": start.isoformat()})
        return data

    def describe(self) -> dict[str, str]:
        """The filters as the shared outputs write them (keys of ``core.FILTERS``; empty = all)."""
        d = self.cleaned_data
        sizes = dict(SizeClass.choices)
        size, advisor = d.get("size"), d.get("advisor")
        return {
            "sector": d.get("sector") or "", "region": d.get("region") or "",
            "size": str(sizes.get(size, "")) if size else "",
            "advisor": self.advisors.get(advisor, "") if advisor else "",
            "from": d["from"].isoformat() if d.get("from") else "", "to": d["to"].isoformat() if d.get("to") else "",
        }

    def query(self) -> str:
        """The filters as a query string (for the download links)."""
        from urllib.parse import urlencode

        values = {k: v for k, v in self.data.items() if k in self.fields and v}
        return urlencode(values)

    def error_text(self) -> str:
        """Every problem with the field it concerns, e.g. ``advisor: Select a valid choice…``."""
        return "; ".join(f"{name}: {' '.join(str(e) for e in errors)}" for name, errors in self.errors.items())


# --- data ---------------------------------------------------------------------------------------------




def selection(user: Any, filters: dict[str, Any]) -> QuerySet[Assessment]:
    """The completed diagnostics of ``user``'s organisation matching ``filters`` (cleaned), unordered,
    with their firms and frameworks (:func:`tenancy.assessments`; the rule: :func:`_selected`)."""
    return _selected(tenancy.assessments(user).order_by(), filters)


def selection_of(organisation: Organisation, filters: dict[str, Any]) -> QuerySet[Assessment]:
    """The completed diagnostics of ``organisation`` matching ``filters`` (cleaned), unordered (the
    rule: :func:`_selected`), for a computation without a signed-in member (:mod:`innexport.web.warming`)."""
    return _selected(Assessment.objects.filter(organisation=organisation).order_by(), filters)


def _selected(qs: QuerySet[Assessment], filters: dict[str, Any]) -> QuerySet[Assessment]:
    """The completed diagnostics of ``qs`` (one organisation's) matching ``filters`` (cleaned): the one
    home of what the portfolio's filters select (the page, its downloads and its PROMETHEE ranking)."""
    if connections[qs.db].vendor == "sqlite":
        # SQLite's planner would read the rows through the (organisation, status, date) index, in date
        # order, one scattered page per row: 3–4× slower at 30,000 diagnostics than through the
        # organisation's index, in table order (bench/bench_portfolio.py). The status compared through
        # an expression keeps that index out.
        qs = qs.alias(status_read=Coalesce("status", Value(""))).filter(status_read=AssessmentStatus.COMPLETED)
    else:
        qs = qs.filter(status=AssessmentStatus.COMPLETED)
    if filters.get("sector"):
        qs = qs.filter(firm__sector=filters["sector"])
    if filters.get("region"):
        qs = qs.filter(firm__region=filters["region"])
    if filters.get("size"):
        qs = qs.filter(firm__size_class=filters["size"])
    if filters.get("advisor") is not None:
        qs = qs.filter(created_by_id=filters["advisor"])
    if filters.get("from"):
        qs = qs.filter(assessed_on__gte=filters["from"])
    if filters.get("to"):
        qs = qs.filter(assessed_on__lte=filters["to"])
    return qs


def raw_rows(qs: QuerySet[Any]) -> list[tuple[Any, ...]]:
    """The rows of a ``values_list`` query as the database driver gives them (one query).

    Django's per-value converters (dates, JSON) are skipped: at 30,000 rows they cost as much as the
    read itself. So dates may come as ISO text (SQLite) and JSON columns must be cast to text in the
    query; :func:`innexport.portfolio.compute.portfolio` reads both.
    """
    sql, params = qs.query.sql_with_params()
    with connections[qs.db].cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def _read(qs: QuerySet[Any], fields: tuple[tuple[str, str], ...]) -> dict[str, np.ndarray]:
    """The ``fields`` (frame column, model field) of the rows of ``qs``, read with :func:`raw_rows` (one
    query; no per-value conversion: the JSON columns come as their text, and SQLite's dates as ISO
    text), as one array per column (floats for :data:`FLOAT_COLUMNS`).

    (Each column aggregated by PostgreSQL into one JSON array, ``json_agg``, was tried: fewer values
    through the driver, but the server's writing of the JSON columns cost as much as it saved.)"""
    sqlite = connections[qs.db].vendor == "sqlite"
    texts = {f"{name}_text": Cast(orm, output_field=TextField()) for name, orm in fields
             if name in JSON_COLUMNS or (sqlite and name == "assessed_on")}
    rows = raw_rows(qs.annotate(**texts).values_list(
        *(f"{name}_text" if f"{name}_text" in texts else orm for name, orm in fields)))
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(fields)
    return {name: _array(name, values) for (name, _orm), values in zip(fields, columns, strict=True)}


def _array(name: str, values: Any) -> np.ndarray:
    """A column's values as an array: floats for :data:`FLOAT_COLUMNS` (None: NaN), else objects (one
    per value: a list is one value, never spread over a second axis)."""
    if name in FLOAT_COLUMNS:
        return np.array(values, dtype=float)
    return np.fromiter(values, dtype=object, count=len(values))


def ids_in(model: Any, db: str, ids: Any) -> Q | RawSQL:
    """A filter keeping the rows of ``model`` whose id is one of ``ids`` (integers), given to the
    database as **one** parameter whatever their number (a list of parameters would meet the
    database's limit — 999 in Django's SQLite settings — and cost a query per thousand ids):
    PostgreSQL compares the id with the elements of an array (``= ANY``: one index probe per id);
    SQLite unpacks a JSON array (``json_each``)."""
    values = [int(i) for i in ids]
    connection = connections[db]
    if connection.vendor == "postgresql":
        column = f"{connection.ops.quote_name(model._meta.db_table)}.{connection.ops.quote_name(model._meta.pk.column)}"
        return RawSQL(f"{column} = ANY(%s::bigint[])", [values], output_field=BooleanField())  # noqa: S611 - names quoted, ids a parameter
    return Q(pk__in=RawSQL("SELECT value FROM json_each(%s)", [json.dumps(values)]))


def load_frame(organisation: Organisation, filters: dict[str, Any]) -> pd.DataFrame:
    """The organisation's completed diagnostics matching ``filters`` (cleaned): one row per diagnostic,
    the columns :func:`innexport.portfolio.compute.portfolio` needs, plus ``framework``.

    Read as the computation uses it (:data:`innexport.portfolio.compute.LATEST_COLUMNS`): what every
    diagnostic contributes (:data:`EVERY_ROW`) in one query; then each firm's latest diagnostic
    (the one rule, :func:`~innexport.portfolio.compute.chronological` and
    :func:`~innexport.portfolio.compute.last_of_each`) by id, for its scores and priorities
    (:data:`LATEST_ROW`, with the firm's name, sector and region), left None on the other rows; the
    plans of the organisation, kept for the diagnostics selected. Three reads of a few columns each,
    rather than one read of every column of every diagnostic joined to its firm and plan: a third
    of the values to turn into Python objects at 3 diagnostics per firm (bench/bench_portfolio.py).
    """
    qs = selection_of(organisation, filters)
    columns: dict[str, Any] = _read(qs, EVERY_ROW)
    ids = columns["assessment"] = columns["assessment"].astype(np.int64)
    columns["firm"] = columns["firm"].astype(np.int64)
    n = len(ids)
    row_of = pd.Index(ids)

    def spread(at: np.ndarray, values: np.ndarray, name: str) -> np.ndarray:
        """``values`` on the rows ``at``, None (NaN for numbers) elsewhere."""
        out = np.full(n, np.nan) if name in FLOAT_COLUMNS else np.full(n, None, dtype=object)
        out[at] = values
        return out

    # each firm's latest diagnostic: its scores and priorities, its firm's name, sector and region
    columns["assessed_on"], order, codes = core.chronological(pd.DataFrame({
        "firm": columns["firm"], "assessment": ids, "assessed_on": pd.Series(columns["assessed_on"], dtype=object)}),
        "portfolio")  # the dates read once (the computation's own call finds them read)
    chosen = _read(Assessment.objects.filter(ids_in(Assessment, qs.db, ids[order[core.last_of_each(codes)]])).order_by(),
                   LATEST_ROW)
    at = row_of.get_indexer(chosen["assessment"].astype(np.int64))
    for name, _orm in LATEST_ROW[1:]:
        columns[name] = spread(at, chosen[name], name)

    # the plans of the diagnostics selected; acted on when an action is done or a programme used
    # (ActionPlan.supported)
    plans = _read(ActionPlan.objects.filter(organisation=organisation).order_by(), PLAN_ROW)
    of_plan = row_of.get_indexer(plans["assessment"].astype(np.int64))
    kept = of_plan >= 0
    at = of_plan[kept]
    used = np.fromiter(core.json_values(plans["programmes_used"][kept].tolist(), "programmes_used"),
                       dtype=object, count=len(at))  # parsed once, for `supported` and for the computation
    columns["programmes_proposed"] = spread(at, plans["programmes_proposed"][kept], "programmes_proposed")
    columns["programmes_used"] = spread(at, used, "programmes_used")
    done = pd.to_numeric(pd.Series(plans["actions_done"][kept]), errors="coerce").fillna(0).to_numpy() > 0
    columns["supported"] = spread(at, done | np.fromiter(map(bool, used), dtype=bool, count=len(used)),
                                  "supported").astype(bool)  # None (no plan): False
    # object columns kept as such: pandas would otherwise turn every text into its string type (the JSON
    # texts too, read back as Python texts by the core)
    return pd.DataFrame({name: pd.Series(values, dtype=object, copy=False) if values.dtype == object else values
                         for name, values in columns.items()}, copy=False)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused while a portfolio is read and summed up.

    Reading 30,000 diagnostics makes some hundred thousand tuples, texts and numbers, and each
    allocation burst makes the collector walk every object of the process (Django's, pandas'…)
    looking for cycles these plain values never form: a third of the read's time at 10,000 firms
    (bench/bench_portfolio.py). Reference counting still frees everything; the collector runs again
    as soon as the block ends (unless it was already paused).

    >>> import gc
    >>> with collector_paused():
    ...     gc.isenabled()
    False
    >>> gc.isenabled()
    True
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def last_change(organisation: Any) -> str:
    """A stamp of the organisation's data the portfolio reads, in one query: the number and the latest
    change (``updated_at``) of its firms, **completed** diagnostics and plans. Any creation, change or
    deletion of what the portfolio reads changes it (a deletion, or a diagnostic no longer completed,
    lowers a count; one completed or changed becomes the latest change), so a portfolio cached under
    it is never stale; the drafts being answered (saved at every answer) leave it alone. For example
    ``30000|2026-12-06 08:25:01.123456|10000|…``. (Framework versions never change once stored; the
    catalogue's names and the members' names are read on every request, not cached.)

    The latest change is read from the end of the (organisation, updated_at) index, apart from the
    count: asked together as aggregates, both would scan the index, five times slower at 30,000
    diagnostics.
    """
    def stamp(model: Any) -> tuple[Subquery, Subquery]:
        rows = model.objects.filter(organisation=OuterRef("pk"))
        if model is Assessment:
            rows = rows.filter(status=AssessmentStatus.COMPLETED)
        return (Subquery(rows.order_by().values("organisation").annotate(n=Count("pk")).values("n")),
                Subquery(rows.order_by("-updated_at").values("updated_at")[:1]))

    parts: dict[str, Any] = {}
    for name, model in (("a", Assessment), ("f", Firm), ("p", ActionPlan)):
        parts[f"{name}_n"], parts[f"{name}_at"] = stamp(model)
    values = Organisation.objects.filter(pk=organisation.pk).annotate(**parts).values_list(*parts).first()
    return "|".join(str(v) for v in values or ())


def frameworks_of(frame: pd.DataFrame) -> list[Framework]:
    """The frameworks of the diagnostics, the most used first (the published iiep one when none)."""
    return frameworks_by_key(framework_keys(frame))


def framework_keys(frame: pd.DataFrame) -> list[int]:
    """The framework versions (ids) of the diagnostics, the most used first."""
    return [int(pk) for pk, _n in Counter(frame["framework"].tolist()).most_common() if pk is not None]


def frameworks_by_key(keys: list[int]) -> list[Framework]:
    """The frameworks of these versions in this order (the published iiep one when none is found)."""
    versions = {v.pk: v for v in FrameworkVersion.objects.filter(pk__in=keys).defer("framework_yaml", "modules_yaml")}
    fws = [services.framework_of(versions[pk]) for pk in keys if pk in versions]
    if not fws:
        version = services.published_frameworks().defer("framework_yaml", "modules_yaml").filter(
            framework_id="iiep", modules=[]).first()
        fws = [services.framework_of(version)] if version is not None else [load_framework("iiep")]
    return fws


def programme_names(organisation: Any, lang: str) -> dict[str, str]:
    return {pid: p.name[lang] for pid, p in services.catalogue_for(organisation).by_id.items()}


class _Timer:
    def __init__(self) -> None:
        self.marks: dict[str, float] = {}
        self._t = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.marks[name] = self.marks.get(name, 0.0) + (now - self._t) * 1000
        self._t = now

    def header(self) -> str:
        return ", ".join(f"{name};dur={ms:.1f}" for name, ms in self.marks.items())


CACHE_SECONDS = 7 * 24 * 3600
"""How long a computed portfolio is kept: a week (it is keyed on :func:`last_change`, so never stale;
the portfolios of data changed since are never read again, and beyond its ``MAX_ENTRIES`` files the
cache drops a third of them at random)."""

CODE = hashlib.sha256(b"".join(Path(cast(str, m.__file__)).read_bytes() for m in (core, disclosure))).hexdigest()[:16]
"""A fingerprint of the code that computes portfolios, in every cache key: the cache is kept in files
that outlive the server, and a portfolio computed (and pickled) by another version is never read."""


def kept(key: str) -> Any:
    """What the cache holds under ``key``, or None — also when it cannot be read (an unreadable file, a
    value pickled by another version of a library): then it is computed again, never a failed page."""
    try:
        return cache.get(key)
    except (OSError, EOFError, ValueError, TypeError, AttributeError, ImportError, IndexError,
            pickle.UnpicklingError) as exc:
        log.warning("the portfolio cache could not be read (%s: %s): computed again", type(exc).__name__, exc)
        return None


def keep(key: str, value: Any) -> None:
    """Keep ``value`` under ``key`` for :data:`CACHE_SECONDS`; a cache that cannot be written (a full
    disk, a folder made read-only) costs the next view its computation, never this page."""
    try:
        cache.set(key, value, CACHE_SECONDS)
    except OSError as exc:
        log.warning("the portfolio cache could not be written (%s): the next view computes it again", exc)


def cache_key(organisation: Any, filters: dict[str, Any], stamp: str, kind: str = "portfolio") -> str:
    """The cache key of what ``kind`` computes from the selection ``filters`` (the portfolio's
    filters only: :data:`innexport.portfolio.compute.FILTERS`; one left out, empty or None alike)
    under the stamp :func:`last_change`, in this database and by this code (:data:`CODE`: the cache
    is kept in files that outlive the server, and that several databases' servers or test runs may
    share).

    >>> class Org: pk = 7
    >>> cache_key(Org(), {}, "s") == cache_key(Org(), {"sector": "", "advisor": None}, "s")
    True
    """
    wanted = "&".join(f"{k}={'' if filters.get(k) is None else filters[k]}" for k in core.FILTERS)
    database = connections[Organisation.objects.db].settings_dict["NAME"]
    digest = hashlib.sha256(f"{CODE}|{database}|{organisation.pk}|{wanted}|{stamp}".encode()).hexdigest()
    return f"innexport:{kind}:{organisation.pk}:{digest}"


def _computed(request: HttpRequest, form: PortfolioFilters, timer: _Timer) -> tuple[core.Portfolio, list[Framework]]:
    """The (unmasked) portfolio of the selection and its frameworks (see :func:`computed`)."""
    p, fws, _flags = computed(request, form, timer)
    return p, fws


def computed(request: HttpRequest, form: PortfolioFilters,
             timer: _Timer) -> tuple[core.Portfolio, list[Framework], dict[str, Any]]:
    """The (unmasked) portfolio of the selection, its frameworks and the cells the shared outputs
    hide (:func:`innexport.portfolio.disclosure.masked_flags`): from the cache when the
    organisation's data has not changed since they were computed (:func:`last_change`), else
    computed and kept (keyed on the organisation, the filters and that stamp)."""
    return portfolio_of(tenancy.organisation(request.user), form.cleaned_data, timer)


def portfolio_of(organisation: Organisation, filters: dict[str, Any],
                 timer: _Timer | None = None) -> tuple[core.Portfolio, list[Framework], dict[str, Any]]:
    """The (unmasked) portfolio of the organisation's diagnostics selected by ``filters`` (cleaned),
    its frameworks and the cells the shared outputs hide (:func:`innexport.portfolio.disclosure.masked_flags`):
    from the cache when the organisation's data has not changed since they were computed
    (:func:`last_change`), else computed and kept (keyed on the organisation, the filters and that
    stamp: :func:`cache_key`): the page's way to it (:func:`computed`; the warming's is
    :func:`computed_unless_kept`)."""
    timer = timer or _Timer()
    key = cache_key(organisation, filters, last_change(organisation))
    found = kept(key)
    if found is not None:
        p, flags, keys = found
        timer.lap("query")
        fws = frameworks_by_key(keys)
        timer.lap("core")
        return p, fws, flags
    return _computed_and_kept(organisation, filters, key, timer)


def _computed_and_kept(organisation: Organisation, filters: dict[str, Any], key: str,
                       timer: _Timer) -> tuple[core.Portfolio, list[Framework], dict[str, Any]]:
    """The portfolio computed from the database and kept under ``key`` (:func:`portfolio_of`)."""
    with collector_paused():
        frame = load_frame(organisation, filters)
        timer.lap("query")
        keys = framework_keys(frame)
        fws = frameworks_by_key(keys)
        p = core.portfolio(frame, fws)
        flags = disclosure.masked_flags(p)
    keep(key, (p, flags, keys))
    timer.lap("core")
    return p, fws, flags


def is_kept(organisation: Organisation, filters: dict[str, Any]) -> bool:
    """Whether the portfolio of the organisation's current data selected by ``filters`` is in the
    cache (:func:`portfolio_of` would not compute it)."""
    return cache.has_key(cache_key(organisation, filters, last_change(organisation)))


def computed_unless_kept(organisation: Organisation, filters: dict[str, Any]) -> bool:
    """Compute and keep the portfolio of the organisation's current data selected by ``filters`` unless
    the cache holds it (read neither way: one stamp query when it does); True when it was computed.
    The background warming's way (:mod:`innexport.web.warming`)."""
    key = cache_key(organisation, filters, last_change(organisation))
    if cache.has_key(key):
        return False
    _computed_and_kept(organisation, filters, key, _Timer())
    return True


def _bad_filters(form: PortfolioFilters) -> HttpResponse:
    return HttpResponse(_("Bad filter: %(problems)s") % {"problems": form.error_text()}, status=400,
                        content_type="text/plain; charset=utf-8")


def _filename(organisation: Any, ext: str) -> str:
    slug = slugify(organisation.name) or f"organisation-{organisation.pk}"
    return f"innexport-portfolio-{slug}-{dt.date.today().isoformat()}.{ext}"


def _audit_text(what: str, filters: dict[str, str]) -> str:
    used = ", ".join(f"{k}={v}" for k, v in filters.items() if v)
    return f"{what} ({used})" if used else what


# --- the page -----------------------------------------------------------------------------------------


def _num(value: Any) -> float | None:
    """A mean for the template: None when missing (shown as a dash)."""
    return None if value is None or value != value else float(value)


def _cells(values: Any, flags: Any) -> list[dict[str, Any]]:
    return [{"value": v, "small": bool(f)} for v, f in zip(values, flags, strict=True)]


def _page_context(p: core.Portfolio, fws: list[Framework], lang: str, names: dict[str, str],
                  flags: dict[str, Any] | None = None, *, firm_names: bool = True) -> dict[str, Any]:
    """The page's tables: the unmasked numbers, each flagged when the shared outputs hide it
    (``flags``: :func:`innexport.portfolio.disclosure.masked_flags` of ``p``, computed when not given).
    ``firm_names``: the firms' names as the plane's tooltips (not for a read-only analyst)."""
    fw = fws[0]
    flags = disclosure.masked_flags(p) if flags is None else flags
    L = shared.Names(lang, tuple(fws), names, p.min_group)
    class_pos = {c: k for k, c in enumerate(p.classes)}
    classes = [c for c in p.distribution.index if c != core.NO_CLASS or p.distribution.loc[c].sum() > 0]

    distribution = [{"id": c, "label": L.cls(c), "pos": class_pos.get(c),
                     "cells": _cells([p.distribution.at[c, ix] for ix in ("iip", "iep", "iiep")],
                                     [flags["distribution"].at[c, ix] for ix in ("iip", "iep", "iiep")])}
                    for c in classes]
    x_keys = list(reversed(p.classes))
    top_cross = int(p.cross.to_numpy().max()) if p.firms else 0
    plane_rows = [{"label": L.cls(ce), "cells": [
        {"value": int(p.cross.at[ci, ce]), "small": bool(flags["cross"].at[ci, ce]),
         "alpha": round(0.08 + 0.72 * p.cross.at[ci, ce] / top_cross, 2) if top_cross else 0,
         "dark": bool(top_cross and p.cross.at[ci, ce] / top_cross > 0.55)} for ci in x_keys]} for ce in p.classes]

    activities = [{"id": a, "label": L.activity(a), "firms": int(row["firms"]), "share": L.percent(row["share"]),
                   "small": bool(flags["activities"].get(a, False))}
                  for a, row in p.activities.iterrows() if row["firms"] > 0]

    def groups(by: str) -> list[dict[str, Any]]:
        g = p.groups(by)
        out = []
        weakest_of = core.weakest_dimensions(g.rows, p.dimensions)
        for key, row in g.rows.iterrows():
            weakest = weakest_of[key]
            out.append({
                "key": key, "label": sector_label(key, lang) if by == "sector" and key != core.NO_GROUP else L.group(key),
                "firms": int(row["firms"]), "iip": _num(row["iip"]), "iep": _num(row["iep"]),
                "iiep": _num(row["iiep"]), "gap": _num(row["gap"]), "weakest": L.dimension(weakest) if weakest else "",
                "weakest_score": _num(row[weakest]) if weakest else None,
                "small": bool(flags[by].get(key, False)), "merged": int(row["firms"]) < p.min_group,
            })
        return out

    def programmes(column: str) -> list[dict[str, Any]]:
        rows = p.programmes[p.programmes[column] > 0].sort_values(column, ascending=False, kind="stable")
        return [{"id": pid, "label": L.programme(pid), "firms": int(row[column]),
                 "small": bool(flags["programmes"].at[pid, column])} for pid, row in rows.head(TOP).iterrows()]

    def movement(g: str) -> dict[str, Any]:
        m, f = p.movement(g), flags[g]
        return {
            "id": g, "firms": m.firms, "up": m.up, "same": m.same, "down": m.down,
            "mean_delta": i18n.translator(lang).signed(m.mean_delta),
            "small": {k: bool(f[k]) for k in ("firms", "up", "same", "down")},
            "rows": [{"label": L.cls(b), "cells": _cells([int(v) for v in m.table.loc[b]], f["table"].loc[b])}
                     for b in p.classes],
        }

    moves = [movement(g) for g in core.MOVEMENT_GROUPS]

    # the plane: one dot per firm (their names as tooltips), or a density grid beyond 2,000 firms
    pts = p.points
    svg = charts.portfolio_plane_svg(
        pts["iip"].to_numpy(), pts["iep"].to_numpy(),
        [class_pos.get(c) for c in pts["class_iiep"].tolist()], quadrant_cut(fw),
        labels={q: i18n.t(f"quadrant.{q}", lang) for q in ("innovative_exporter", "exporter_not_innovating",
                                                          "innovator_not_exporting", "neither")},
        axis_labels=(i18n.t("report.quadrant.axis_x", lang), i18n.t("report.quadrant.axis_y", lang)),
        thresholds=[c.threshold for c in fw.classes], titles=pts["name"].tolist() if firm_names and "name" in pts else None,
        title=_("The firms on the innovation × export plane"), decimal=i18n.translator(lang).decimal,
    )
    return {
        "p": p, "flags": flags, "min_group": p.min_group, "all_small": flags["all"],
        "overall": {k: _num(v) for k, v in p.overall.items() if k != "firms"},
        "distribution": distribution, "plane_rows": plane_rows, "plane_columns": [L.cls(c) for c in x_keys],
        "activities": activities[:TOP], "more_activities": activities[TOP:],
        "groups": [("sector", groups("sector")), ("region", groups("region"))],
        "programme_lists": [("proposed", programmes("proposed")), ("used", programmes("used"))],
        "movement": moves, "movement_classes": [L.cls(c) for c in p.classes],
        "movement_rows": [
            {"key": key, "label": label, "cells": [
                {"value": m[key], "small": m["small"].get(key, m["small"]["firms"])} for m in moves]}
            for key, label in (("firms", _("Firms")), ("up", _("Class up")), ("same", _("Same class")),
                               ("down", _("Class down")), ("mean_delta", _("Mean change of IIEP")))],
        "plane": mark_safe(svg),  # noqa: S308 - built by the core's chart from escaped parts
        "density": len(pts) > 2000,
        "legend": [(c.id, c.label[lang]) for c in fw.classes],
    }


@member_required
def portfolio_page(request: HttpRequest) -> HttpResponse:
    timer = _Timer()
    form = PortfolioFilters(request.GET, user=request.user)
    organisation = tenancy.organisation(request.user)
    context: dict[str, Any] = {"form": form}
    if not form.is_valid():
        return render(request, "web/portfolio.html", context, status=400)
    p, fws, flags = computed(request, form, timer)
    lang = interface_language()
    analyst = tenancy.membership(request.user).role == Role.ANALYST  # no firm name, as in the flat tables
    context.update(_page_context(p, fws, lang, programme_names(organisation, lang), flags, firm_names=not analyst))
    context["query"] = form.query()
    context["xlsx_url"] = reverse("portfolio-xlsx") + (f"?{context['query']}" if context["query"] else "")
    context["brief_url"] = reverse("portfolio-brief") + (f"?{context['query']}" if context["query"] else "")
    timer.lap("core")
    response = render(request, "web/portfolio.html", context)
    timer.lap("render")
    response["Server-Timing"] = timer.header()
    return response


# --- the shared outputs ----------------------------------------------------------------------------------


def _export(request: HttpRequest, kind: str) -> HttpResponse:
    timer = _Timer()
    form = PortfolioFilters(request.GET, user=request.user)
    if not form.is_valid():
        return _bad_filters(form)
    organisation = tenancy.organisation(request.user)
    p, fws = _computed(request, form, timer)
    lang = interface_language()
    described = form.describe()
    options: dict[str, Any] = {"lang": lang, "organisation": organisation.name, "filters": described,
               "programme_names": programme_names(organisation, lang), "generated_on": dt.date.today()}
    if kind == "xlsx":
        content = shared.xlsx_bytes(p, fws, **options)
        mime, what = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "portfolio XLSX"
    else:
        try:
            content = shared.brief_pdf(p, fws, **options)
        except RuntimeError as exc:  # WeasyPrint (or its system libraries) missing on this server
            return HttpResponse(_("PDF briefs are not available on this server: %(cause)s") % {"cause": exc},
                                status=503, content_type="text/plain; charset=utf-8")
        mime, what = "application/pdf", "portfolio PDF brief"
    timer.lap("render")
    tenancy.record(request, AuditEntry.Action.EXPORT, organisation, _audit_text(what, described))
    response = HttpResponse(content, content_type=mime)
    response["Content-Disposition"] = f'attachment; filename="{_filename(organisation, kind if kind == "xlsx" else "pdf")}"'
    response["Server-Timing"] = timer.header()
    return response


@member_required
def portfolio_xlsx(request: HttpRequest) -> HttpResponse:
    return _export(request, "xlsx")


@member_required
def portfolio_brief(request: HttpRequest) -> HttpResponse:
    return _export(request, "pdf")


urlpatterns = [
    path("portfolio/", portfolio_page, name="portfolio"),
    path("portfolio.xlsx", portfolio_xlsx, name="portfolio-xlsx"),
    path("portfolio/brief.pdf", portfolio_brief, name="portfolio-brief"),
]
