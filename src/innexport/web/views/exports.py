"""Flat data for BI tools: an organisation's diagnostics and answers as CSV, XLSX or Parquet.

The page ``/exports/`` (every member: admins, advisors and read-only analysts) has the filters
and a download link per table and format; ``/exports/<table>.<format>`` gives the file, and the API
(:mod:`innexport.web.api_assessments`) gives the same tables, paginated, with the same filters
and rules, which live here once:

* **filters** (:class:`ExportFilters`, GET): ``from`` and ``to`` (dates of the diagnostics),
  ``status`` (``draft`` or ``completed``), ``country`` (an ISO code or a name), ``sector`` (a
  NACE/ISIC code or name; a code keeps the positions under it, as the firm list does),
  ``framework`` (a framework id, e.g. ``iiep``). A bad one is answered 400 naming it;
* **data** (:func:`load`): the organisation's diagnostics (:func:`innexport.web.tenancy.assessments`:
  another organisation's never), ordered by id, read with one ``values_list`` query (the result's
  intervals, quadrant, validation counts and activity scores picked by the database:
  :class:`ResultScalars`, :class:`ActivityScores`; never the whole stored result); the answers
  with one more, the reviews and the results' validation states with two small ones. The tables
  are made by :mod:`innexport.portfolio.flat`;
* **review state** of an answer: for a scored diagnostic, the result's validation (the reviews that
  still hold, :func:`innexport.web.evidence.validation_out`); for one not scored, its reviews as
  stored;
* **analysts** get :func:`innexport.portfolio.flat.for_analysts` — the portfolio's disclosure rules
  (:mod:`innexport.portfolio.disclosure`) applied to the whole selection before any page is cut;
  admins and advisors get every column. (The portfolio's own page shows every member the
  unmasked numbers and masks what is shared; rows of firms are closer to a shared output, so the
  analysts' tables are masked like one);
* each download is audited as an export (the table, the format and the filters).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from django import forms
from django.db.models import Count, F, Func, IntegerField, OuterRef, Subquery, TextField, Value
from django.db.models.fields.json import KeyTransform
from django.db.models.functions import Cast, Coalesce
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from innexport.core.framework import INDICES, Framework
from innexport.portfolio import compute, flat
from innexport.rendering.countries import country_code
from innexport.rendering.sectors import sector_code, sector_codes_within
from innexport.web import services, tenancy
from innexport.web.models import (
    Answer,
    AnswerReview,
    Assessment,
    AssessmentStatus,
    AuditEntry,
    FrameworkVersion,
    Respondent,
    Role,
)
from innexport.web.tenancy import member_required

TABLES: tuple[str, ...] = ("assessments", "answers")
MIME = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "parquet": "application/vnd.apache.parquet",
}


# --- filters -------------------------------------------------------------------------------------------


class ExportFilters(forms.Form):
    """The filters of the page and of ``GET /api/assessments`` (one home for both)."""

    status = forms.ChoiceField(label=_lazy("Status"), required=False,
                               choices=[("", _lazy("all")), *AssessmentStatus.choices])
    country = forms.CharField(label=_lazy("Country"), required=False, max_length=80)
    sector = forms.CharField(label=_lazy("Sector"), required=False, max_length=120)
    framework = forms.CharField(label=_lazy("Framework"), required=False, max_length=64)

    def __init__(self, data: Any, *, user: Any) -> None:
        super().__init__(data)
        self.user = user
        # "from" and "to" are Python keywords: declared here rather than as attributes
        self.fields["from"] = forms.DateField(label=_lazy("Diagnostics from"), required=False,
                                              widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
        self.fields["to"] = forms.DateField(label=_lazy("Diagnostics until"), required=False,
                                            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
        self.order_fields(["from", "to", "status", "country", "sector", "framework"])

    def clean_country(self) -> str:
        text = (self.cleaned_data.get("country") or "").strip()
        if not text:
            return ""
        code = country_code(text)
        if code is None:
            raise forms.ValidationError(_("Unknown country “%(text)s”: give its two-letter ISO code (e.g. FR, CL "
                                          "or AR) or its name.") % {"text": text})
        return code

    def clean_sector(self) -> str:
        text = (self.cleaned_data.get("sector") or "").strip()
        return (sector_code(text) or text) if text else ""

    def clean_framework(self) -> str:
        text = (self.cleaned_data.get("framework") or "").strip()
        if text and not FrameworkVersion.objects.filter(framework_id=text).exists():
            known = sorted(set(FrameworkVersion.objects.values_list("framework_id", flat=True)))
            raise forms.ValidationError(_("Unknown framework “%(text)s” (known: %(known)s).")
                                        % {"text": text, "known": ", ".join(known)})
        return text

    def clean(self) -> dict[str, Any]:
        super().clean()
        start, end = self.cleaned_data.get("from"), self.cleaned_data.get("to")
        if start and end and start > end:
            self.add_error("to", _("The end of the period (%(end)s) is before its start (%(start)s).")
                           % {"end": end.isoformat(), "start": start.isoformat()})
        return self.cleaned_data

    def error_text(self) -> str:
        """Every problem with the parameter it concerns, e.g. ``status: Select a valid choice…``."""
        return "; ".join(f"{name}: {' '.join(str(e) for e in errors)}" for name, errors in self.errors.items())

    def query(self) -> str:
        """The filters given, as a query string (for the download links)."""
        from urllib.parse import urlencode

        return urlencode({k: v for k, v in self.data.items() if k in self.fields and v})

    def describe(self) -> str:
        used = [f"{k}={v}" for k, v in self.cleaned_data.items() if v]
        return ", ".join(str(u) for u in used)


# --- data ----------------------------------------------------------------------------------------------


ASSESSMENT_FIELDS: tuple[tuple[str, Any], ...] = (
    ("assessment_id", "pk"), ("firm_id", "firm_id"), ("firm_name", "firm__name"), ("contact", "firm__contact"),
    ("contact_email", "firm__contact_email"), ("country", "firm__country"), ("region", "firm__region"),
    ("sector", "firm__sector"), ("size_class", "firm__size_class"), ("year_founded", "firm__year_founded"),
    ("export_share", "firm__export_share"), ("rd_intensity", "firm__rd_intensity"),
    ("assessed_on", "assessed_on"), ("created_at", "created_at"), ("completed_at", "completed_at"),
    ("status", "status"), ("lang", "lang"), ("framework_id", "framework__framework_id"),
    ("framework_version", "framework__version"), ("framework_modules", "x_modules"),
    ("framework_hash", "framework__content_hash"), ("iip", "iip"), ("iep", "iep"), ("iiep", "iiep"),
    ("class_iip", "class_iip"), ("class_iep", "class_iep"), ("class_iiep", "class_iiep"),
    ("result", "x_result"),
    ("top_activities", "x_top"), ("dimension_scores", "x_dimensions"), ("activity_scores", "x_activities"),
    ("respondents", "x_respondents"), ("framework", "framework_id"),
)
"""The columns of :data:`innexport.portfolio.flat.RAW_ASSESSMENT_COLUMNS` (and the framework's key)
and where the one query reads them (``x_…``: annotations, see :func:`_annotated`); ``result`` is
split into the scalars of :data:`RESULT_PATHS`."""

RESULT_PATHS: dict[str, tuple[str, ...]] = {
    **{f"{ix}{part}": ("indices", ix, *path) for ix in INDICES
       for part, path in (("_low", ("interval", "low")), ("_high", ("interval", "high")),
                          ("_stability", ("class_stability",)))},
    "quadrant": ("quadrant",), "completeness": ("completeness",), "questions": ("questions",),
    **{name: ("validation", name) for name in ("validated", "corrected", "self_assessed")},
}
"""The scalars read from the stored result (:class:`ResultScalars`), never the whole result."""


class ResultScalars(Func):
    """The values at :data:`RESULT_PATHS` of the stored result, as one JSON array made by the
    database: SQLite's ``json_extract`` with several paths parses each result once (one call per
    path would parse it again each time); PostgreSQL's ``jsonb_build_array`` of ``#>``."""

    output_field = TextField()

    def __init__(self) -> None:
        super().__init__(F("result"))

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        paths = ", ".join("'$." + ".".join(p) + "'" for p in RESULT_PATHS.values())
        return self.as_sql(compiler, connection, template=f"json_extract(%(expressions)s, {paths})", **extra)

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        paths = ", ".join("%(expressions)s #> '{" + ",".join(p) + "}'" for p in RESULT_PATHS.values())
        return self.as_sql(compiler, connection, template=f"jsonb_build_array({paths})::text", **extra)


class ActivityScores(Func):
    """The result's activity scores as compact JSON (``{"id": score, …}``) made by the database:
    SQLite's ``json_each``/``json_group_object`` or PostgreSQL's ``jsonb_array_elements``/
    ``jsonb_object_agg``; another database gives the result's list of activities
    (:func:`innexport.portfolio.flat.assessments_table` reads both)."""

    output_field = TextField()

    def __init__(self) -> None:
        super().__init__(F("result"))

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template=(
            "(SELECT json_group_object(json_extract(value, '$.id'), json_extract(value, '$.score')) "
            "FROM json_each(%(expressions)s, '$.activities'))"), **extra)

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template=(
            "(SELECT jsonb_object_agg(e->>'id', e->'score') FROM jsonb_array_elements(%(expressions)s->'activities') "
            "AS e)::text"), **extra)

    def as_sql(self, compiler: Any, connection: Any, function: Any = None, template: Any = None,
               arg_joiner: Any = None, **extra: Any) -> Any:
        if template is None:  # another database: the list of activities, read by the flat tables
            return compiler.compile(_text(KeyTransform("activities", "result")))
        return super().as_sql(compiler, connection, function=function, template=template, arg_joiner=arg_joiner,
                              **extra)


def _text(expression: Any) -> Cast:
    return Cast(expression, output_field=TextField())


def _annotated(qs: Any) -> Any:
    respondents = (Respondent.objects.filter(assessment=OuterRef("pk")).order_by().values("assessment")
                   .annotate(n=Count("pk")).values("n"))
    return qs.annotate(
        x_modules=_text("framework__modules"), x_top=_text("top_activities"), x_dimensions=_text("dimension_scores"),
        x_activities=ActivityScores(), x_result=ResultScalars(),
        x_respondents=Coalesce(Subquery(respondents, output_field=IntegerField()), Value(0)) + 1,
    )


def selection(user: Any, filters: dict[str, Any]) -> Any:
    """The organisation's diagnostics matching ``filters`` (cleaned), ordered by id."""
    qs = tenancy.assessments(user).order_by("pk")
    if filters.get("from"):
        qs = qs.filter(assessed_on__gte=filters["from"])
    if filters.get("to"):
        qs = qs.filter(assessed_on__lte=filters["to"])
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if filters.get("country"):
        qs = qs.filter(firm__country=filters["country"])
    if filters.get("sector"):
        qs = qs.filter(firm__sector__in=sector_codes_within(filters["sector"]))
    if filters.get("framework"):
        qs = qs.filter(framework__framework_id=filters["framework"])
    return qs


def _frame(rows: list[tuple[Any, ...]], names: list[str]) -> pd.DataFrame:
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(names)
    return pd.DataFrame({name: pd.Series(values, dtype=object) for name, values in zip(names, columns, strict=True)})


def _raw_assessments(qs: Any) -> pd.DataFrame:
    names = [name for name, _orm in ASSESSMENT_FIELDS]
    rows = list(_annotated(qs).values_list(*(orm for _name, orm in ASSESSMENT_FIELDS)))
    frame = _frame(rows, names)
    scalars = [v if isinstance(v, list) and len(v) == len(RESULT_PATHS) else [None] * len(RESULT_PATHS)
               for v in compute.json_values(frame.pop("result").tolist(), "result")]
    split = pd.DataFrame(scalars, columns=list(RESULT_PATHS), index=frame.index, dtype=object)
    frame = pd.concat([frame, split], axis=1)
    for col in ("iip", "iep", "iiep"):
        frame[col] = np.array(frame[col].tolist(), dtype=float) if len(frame) else np.array([], dtype=float)
    return frame


def frameworks_of(keys: Any) -> dict[int, Framework]:
    """The frameworks (parsed once per process) of the framework version ids ``keys``."""
    versions = FrameworkVersion.objects.filter(pk__in=set(keys)).defer("framework_yaml", "modules_yaml")
    return {v.pk: services.framework_of(v) for v in versions}


def _ordered_frameworks(raw: pd.DataFrame, fws: dict[int, Framework]) -> list[Framework]:
    """The frameworks of the diagnostics, the most used first (it gives the classes to the analysts' rules)."""
    counts = raw["framework"].value_counts()
    return [fws[k] for k in counts.index if k in fws]


def _answers(scope: Any, fws: dict[int, Framework]) -> pd.DataFrame:
    """The answers table of the diagnostics of ``scope`` (a queryset of them: a subquery, never a
    list of ids, which SQLite limits to 32,766)."""
    names = list(flat.RAW_ANSWER_COLUMNS[:-2])
    assessment_ids = scope.values("pk")
    rows = list(Answer.objects.filter(assessment_id__in=assessment_ids).exclude(value="")
                .order_by("assessment_id", "respondent_id", "pk")
                .values_list("assessment_id", "assessment__firm_id", "assessment__framework_id", "question_id",
                             "value", "respondent_id",
                             Coalesce("respondent__role", "assessment__respondent_role")))
    raw = _frame(rows, names)
    reviews = _frame(list(AnswerReview.objects.filter(assessment_id__in=assessment_ids)
                          .values_list("assessment_id", "question_id", "state", "value")),
                     ["assessment_id", "question_id", "review_state", "review_answer"])
    # a scored diagnostic: the states of its result's validation (the reviews that still hold)
    held = _frame(list(Assessment.objects.filter(pk__in=assessment_ids, result__isnull=False)
                       .values_list("pk", _text(KeyTransform("states", KeyTransform("validation", "result"))))),
                  ["assessment_id", "states"])
    if len(held):
        scored = set(held["assessment_id"].tolist())
        states = [(a, q, s) for a, text in zip(held["assessment_id"], compute.json_values(held["states"].tolist(), "states"),
                                               strict=True)
                  if isinstance(text, dict) for q, s in text.items()]
        holding = pd.DataFrame(states, columns=["assessment_id", "question_id", "held"])
        reviews = reviews.merge(holding, on=["assessment_id", "question_id"], how="left")
        in_scored = reviews["assessment_id"].isin(scored)
        reviews["review_state"] = reviews["review_state"].where(~in_scored, reviews["held"])
        reviews = reviews.drop(columns="held")
        reviews = reviews[reviews["review_state"].notna()]
    raw = raw.merge(reviews, on=["assessment_id", "question_id"], how="left")
    return flat.answers_table(raw, flat.level_lookup(fws))


@dataclass
class Page:
    """One page of a table: its rows, and the number of diagnostics in the whole selection."""

    table: pd.DataFrame
    total: int
    offset: int
    limit: int | None


def load(user: Any, filters: dict[str, Any], table: str = "assessments", *, offset: int = 0,
         limit: int | None = None) -> Page:
    """The ``table`` (``assessments`` or ``answers``) of the diagnostics matching ``filters``, from
    the ``offset``-th diagnostic, ``limit`` of them (None: all); the answers are those of the page's
    diagnostics. A read-only analyst's table is masked over the whole selection first."""
    qs = selection(user, filters)
    end = None if limit is None else offset + limit
    page = qs[offset:end]
    if tenancy.membership(user).role == Role.ANALYST:
        # the disclosure rules concern the whole selection, not a page of it
        raw = _raw_assessments(qs)
        total = len(raw)
        fws = frameworks_of(raw["framework"].unique().tolist())
        assessments, _none = flat.for_analysts(flat.assessments_table(raw, _ordered_frameworks(raw, fws)), None,
                                               _ordered_frameworks(raw, fws))
        assessments = assessments.iloc[offset:end].reset_index(drop=True)  # all rows or none: the page's
    else:
        total = qs.count()
        raw = _raw_assessments(page)
        fws = frameworks_of(raw["framework"].unique().tolist())
        assessments = flat.assessments_table(raw, _ordered_frameworks(raw, fws))
    if table == "assessments":
        return Page(assessments, total, offset, limit)
    if assessments.empty:  # nothing to show (or nothing an analyst may see)
        page = qs.none()
    return Page(_answers(page, fws), total, offset, limit)


def filename(organisation: Any, table: str, fmt: str) -> str:
    slug = slugify(organisation.name) or f"organisation-{organisation.pk}"
    return f"innexport-{table}-{slug}-{dt.date.today().isoformat()}.{fmt}"


def audit(request: HttpRequest, table: str, fmt: str, form: ExportFilters, via: str = "") -> None:
    described = form.describe()
    tenancy.record(request, AuditEntry.Action.EXPORT, tenancy.organisation(request.user),
                   f"flat {table} {fmt.upper()}{via}" + (f" ({described})" if described else ""))


def file_response(page: Page, organisation: Any, table: str, fmt: str) -> HttpResponse:
    response = HttpResponse(flat.to_bytes(page.table, fmt, sheet=table), content_type=MIME[fmt])
    response["Content-Disposition"] = f'attachment; filename="{filename(organisation, table, fmt)}"'
    return response


# --- the page and the downloads -------------------------------------------------------------------------


@member_required
def exports_page(request: HttpRequest) -> HttpResponse:
    form = ExportFilters(request.GET, user=request.user)
    context: dict[str, Any] = {"form": form, "tables": TABLES, "formats": flat.FORMATS,
                               "analyst": tenancy.membership(request.user).role == Role.ANALYST}
    if not form.is_valid():
        return render(request, "web/exports.html", context, status=400)
    query = form.query()
    context["count"] = selection(request.user, form.cleaned_data).count()
    context["links"] = [
        (table, [(fmt, reverse("export-file", args=[table, fmt]) + (f"?{query}" if query else ""))
                 for fmt in flat.FORMATS]) for table in TABLES]
    context["api_url"] = reverse("api:assessments") + (f"?{query}" if query else "")
    return render(request, "web/exports.html", context)


@member_required
def export_file(request: HttpRequest, table: str, fmt: str) -> HttpResponse:
    if table not in TABLES or fmt not in flat.FORMATS:
        raise Http404("no such table or format")
    form = ExportFilters(request.GET, user=request.user)
    if not form.is_valid():
        return HttpResponse(_("Bad filter: %(problems)s") % {"problems": form.error_text()}, status=400,
                            content_type="text/plain; charset=utf-8")
    page = load(request.user, form.cleaned_data, table)
    audit(request, table, fmt, form)
    return file_response(page, tenancy.organisation(request.user), table, fmt)


urlpatterns = [
    path("exports/", exports_page, name="exports"),
    path("exports/<str:table>.<str:fmt>", export_file, name="export-file"),
]
