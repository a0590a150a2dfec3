"""``GET /api/assessments``: the organisation's diagnostics (or their answers) as flat data for BI tools.

A ninja router mounted on :data:`innexport.web.api.api` (which has no other ``GET /assessments``:
its assessment routes are ``/assessments/{id}…`` and ``/firms/{id}/assessments``). Query
parameters:

* ``format``: ``json`` (default: ``{"count", "limit", "offset", "next", "previous", "results"}``),
  ``csv``, ``xlsx`` or ``parquet`` (the file, with the same paging in a ``Link`` header,
  RFC 8288, and the whole selection's size in ``X-Total-Count``);
* ``table``: ``assessments`` (default: one row per diagnostic) or ``answers`` (long format: the
  answers of the page's diagnostics);
* the filters of the web page (:class:`innexport.web.views.exports.ExportFilters`, the one home
  of them and of the data: :func:`innexport.web.views.exports.load`): ``from``, ``to``, ``status``,
  ``country``, ``sector``, ``framework``;
* ``limit`` (1 to :data:`MAX_LIMIT` diagnostics, default :data:`DEFAULT_LIMIT`) and ``offset``
  (default 0): pages of diagnostics in the order of their ids.

A bad parameter is answered 400 with ``detail`` naming it (``status: Select a valid choice…``),
as is an unknown one; a read-only analyst gets the masked tables
(:func:`innexport.portfolio.flat.for_analysts`). Each call is audited as an export.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from innexport.portfolio import flat
from innexport.web import tenancy
from innexport.web.views import exports

router = Router(tags=["BI exports"])

DEFAULT_LIMIT = 1000
MAX_LIMIT = 10_000
PARAMETERS = ("format", "table", "limit", "offset", "from", "to", "status", "country", "sector", "framework")


class _Error(Schema):
    detail: str


class FlatQuery(Schema):
    """The query parameters (read as text and checked by the export page's rules: 400 naming one)."""

    format: str = Field("json", description="json, csv, xlsx or parquet")
    table: str = Field("assessments", description="assessments (one row per diagnostic) or answers (long format)")
    limit: str = Field(str(DEFAULT_LIMIT), description=f"diagnostics per page, 1 to {MAX_LIMIT}")
    offset: str = Field("0", description="diagnostics skipped (in the order of their ids)")
    from_: str = Field("", alias="from", description="diagnostics on or after this date (YYYY-MM-DD)")
    to: str = Field("", description="diagnostics on or before this date (YYYY-MM-DD)")
    status: str = Field("", description="draft or completed")
    country: str = Field("", description="ISO code or name of the firms' country, e.g. FR")
    sector: str = Field("", description="NACE/ISIC code or name; a code keeps the positions under it")
    framework: str = Field("", description="framework id, e.g. iiep")


def query_whole(request: HttpRequest, name: str, default: int, low: int, high: int | None) -> int:
    """The whole number of query parameter ``name`` (``default`` when absent), within [low, high]; else 400
    naming the parameter. The paging parameters of every list endpoint are read by it."""
    text = request.GET.get(name, "").strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        raise HttpError(400, f"{name}: '{text[:40]}' is not a whole number") from None
    if value < low or (high is not None and value > high):
        raise HttpError(400, f"{name}: {value} is out of range ({low} to {high})" if high is not None
                        else f"{name}: {value} is below {low}")
    return value


def page_url(request: HttpRequest, offset: int, limit: int) -> str:
    """The request's own address with another page (``offset``, ``limit``), its other parameters kept."""
    params = {k: v for k, v in request.GET.items() if k not in ("offset", "limit")}
    params.update(offset=str(offset), limit=str(limit))
    return request.build_absolute_uri(request.path + "?" + urlencode(params))


@router.get("/assessments", url_name="assessments", response={200: Any, 400: _Error, 401: _Error},
            summary="Your diagnostics or their answers as flat data (JSON, CSV, XLSX, Parquet)")
def flat_assessments(request: HttpRequest, query: Query[FlatQuery]) -> HttpResponse:
    """One row per diagnostic (firm fields, dates, status, framework, indices with classes and
    intervals, quadrant, top five priorities, respondents, validation counts, dimension and activity
    scores) or, with ``table=answers``, one row per answer; paginated, filtered like the web
    page's downloads; analysts get the masked tables."""
    unknown = sorted(set(request.GET) - set(PARAMETERS))
    if unknown:
        raise HttpError(400, f"{unknown[0]}: unknown parameter (known: {', '.join(PARAMETERS)})")
    fmt = request.GET.get("format", "json").strip() or "json"
    if fmt not in ("json", *flat.FORMATS):
        raise HttpError(400, f"format: '{fmt[:40]}' is not one of json, {', '.join(flat.FORMATS)}")
    table = request.GET.get("table", "assessments").strip() or "assessments"
    if table not in exports.TABLES:
        raise HttpError(400, f"table: '{table[:40]}' is not one of {', '.join(exports.TABLES)}")
    limit = query_whole(request, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    offset = query_whole(request, "offset", 0, 0, None)
    form = exports.ExportFilters({k: v for k, v in request.GET.items() if k in exports.ExportFilters.base_fields
                                  or k in ("from", "to")}, user=request.user)
    if not form.is_valid():
        raise HttpError(400, form.error_text())
    page = exports.load(request.user, form.cleaned_data, table, offset=offset, limit=limit)
    after = offset + limit
    next_url = page_url(request, after, limit) if after < page.total else None
    previous_url = page_url(request, max(0, offset - limit), limit) if offset > 0 else None
    exports.audit(request, table, fmt, form, via=" (API)")
    if fmt == "json":
        head = {"count": page.total, "limit": limit, "offset": offset, "next": next_url, "previous": previous_url}
        body = json.dumps(head, ensure_ascii=False)[:-1] + ', "results": ' + flat.to_json(page.table) + "}"
        response = HttpResponse(body.encode("utf-8"), content_type="application/json; charset=utf-8")
    else:
        response = exports.file_response(page, tenancy.organisation(request.user), table, fmt)
    links = [f'<{url}>; rel="{rel}"' for url, rel in ((next_url, "next"), (previous_url, "prev")) if url]
    if links:
        response["Link"] = ", ".join(links)
    response["X-Total-Count"] = str(page.total)
    return response
