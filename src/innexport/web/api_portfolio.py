"""``GET /api/portfolio/promethee``: the portfolio's PROMETHEE II ranking and GAIA plane as JSON.

A ninja router mounted on :data:`innexport.web.api.api`. The same selection, parameters, rules
and masking as the page ``portfolio/promethee/`` (:mod:`innexport.web.views.portfolio_promethee`,
their one home): the portfolio's filters ``sector``, ``region``, ``size``, ``advisor``, ``from``,
``to``; ``function`` (``usual``, ``vshape``, ``linear``), ``q``, ``p``; and ``limit`` (1 to
:data:`MAX_LIMIT` firms, default :data:`DEFAULT_LIMIT`) and ``offset`` (default 0) to page the
ranked firms, best first. A bad or unknown parameter is answered 400 with ``detail`` naming it.

The body: ``count`` (firms ranked), ``limit``, ``offset``, ``next``, ``previous``, ``function``,
``q``, ``p``, ``framework``, ``masked``, ``selected`` (firms selected), ``left_out`` (firms
without every dimension score), ``delta``, ``stick`` (``[x, y]``), ``criteria`` (id, weight, x,
y), ``results`` (rank, firm, name, net_flow, x, y), and ``detail`` when nothing could be ranked.
A read-only analyst's firms have no ``name``, and nothing is ranked under 5 firms
(:func:`innexport.portfolio.gaia.shareable`). Each call is audited as an export.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from ninja import Router, Schema
from ninja.errors import HttpError

from innexport.web import tenancy
from innexport.web.api_assessments import page_url, query_whole
from innexport.web.models import AuditEntry, Role
from innexport.web.views import portfolio_promethee as view

router = Router(tags=["portfolio"])

DEFAULT_LIMIT = 100
MAX_LIMIT = 10_000
PARAMETERS = ("sector", "region", "size", "advisor", "from", "to", "function", "q", "p", "limit", "offset")


class _Error(Schema):
    detail: str


@router.get("/portfolio/promethee", url_name="portfolio-promethee", response={200: Any, 400: _Error, 401: _Error},
            summary="PROMETHEE II ranking and GAIA plane of your firms")
def portfolio_promethee(request: HttpRequest) -> JsonResponse:
    """Each firm's latest completed diagnostic (among those the filters select) ranked by its
    PROMETHEE II net flow over the framework's dimensions (weighted by the dimension weights), and
    the GAIA plane (criteria axes, decision stick, delta); analysts get the masked ranking."""
    unknown = sorted(set(request.GET) - set(PARAMETERS))
    if unknown:
        raise HttpError(400, f"{unknown[0]}: unknown parameter (known: {', '.join(PARAMETERS)})")
    limit = query_whole(request, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    offset = query_whole(request, "offset", 0, 0, None)
    form = view.PrometheeForm({k: v for k, v in request.GET.items() if k not in ("limit", "offset")},
                              user=request.user)
    if not form.is_valid():
        raise HttpError(400, form.error_text())
    masked = tenancy.membership(request.user).role == Role.ANALYST
    pref = form.cleaned_data["preference"]
    ranked = view.ranking(request.user, form.cleaned_data, pref, masked=masked)
    tenancy.record(request, AuditEntry.Action.EXPORT, tenancy.organisation(request.user),
                   "portfolio PROMETHEE ranking (API)")
    body: dict[str, Any] = {
        "function": pref.kind, "q": pref.q, "p": pref.p, "masked": masked, "selected": ranked.firms,
        "framework": ranked.framework.id if ranked.framework is not None else None,
    }
    result = ranked.result
    if result is None:
        detail = (f"fewer than {view.MIN_GROUP} firms are ranked: hidden, as in every shared output"
                  if masked and not ranked.problem else ranked.problem)
        body.update({"count": 0, "limit": limit, "offset": offset, "next": None, "previous": None,
                     "left_out": None, "delta": None, "stick": None, "criteria": [], "results": [], "detail": detail})
        return JsonResponse(body, json_dumps_params={"ensure_ascii": False})
    ordered = view.rank_order(result)
    rows = ordered.iloc[offset:offset + limit]
    after = offset + limit
    body.update({
        "count": len(ordered), "limit": limit, "offset": offset,
        "next": page_url(request, after, limit) if after < len(ordered) else None,
        "previous": page_url(request, max(0, offset - limit), limit) if offset > 0 else None,
        "left_out": len(result.left_out), "delta": result.delta, "stick": list(result.stick),
        "criteria": [{"id": str(c), "weight": float(r.weight), "x": float(r.x), "y": float(r.y)}
                     for c, r in zip(result.criteria.index, result.criteria.itertuples(), strict=True)],
        "results": [{"rank": int(r.rank), "firm": int(f), **({} if masked else {"name": ranked.names.get(int(f), "")}),
                     "net_flow": float(r.net_flow), "x": float(r.x), "y": float(r.y)}
                    for f, r in zip(rows.index, rows.itertuples(), strict=True)],
    })
    return JsonResponse(body, json_dumps_params={"ensure_ascii": False})
