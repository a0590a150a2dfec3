"""The benchmark endpoints of the JSON API (a ninja router mounted on :data:`innexport.web.api.api`).

* ``GET /api/assessments/{id}/benchmark``: the completed assessment among the latest diagnostics of
  the organisation's other firms (the group used, the narrower groups tried, per IIP, IEP, IIEP and
  dimension the percentile with its 90 % interval, the number of firms and the group's median) and,
  for an organisation contributing to the shared reference, its approximate place in it
  (:mod:`innexport.web.benchmarking`, :mod:`innexport.portfolio.peers`). 404 for another organisation's
  assessment, 409 for an assessment not completed.
* ``GET /api/benchmark/reference``: the shared reference itself (masked aggregates only: per NACE
  section × size class × country, the number of firms and the deciles of each index); 403 for an
  organisation that does not contribute to it.

Errors are the API's (``{"detail": …}``): the router raises ``HttpError`` / ``PermissionDenied``, which
the API's handlers answer.
"""

from __future__ import annotations

from typing import Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.errors import HttpError

from innexport.web import benchmarking, tenancy

router = Router(tags=["benchmark"])


class _Error(Schema):
    detail: str


class Interval(Schema):
    low: float = Field(..., description="lower bound (0-100)")
    high: float = Field(..., description="upper bound (0-100)")


class Tried(Schema):
    level: str = Field(..., description="sector_size_country, sector_country, division_country, section_country "
                                        "or section", examples=["sector_size_country"])
    group: dict[str, str] = Field(..., examples=[{"sector": "11.02", "size": "small", "country": "FR"}])
    n: int = Field(..., description="the other firms of the organisation in this group")


class PeerRow(Schema):
    column: str = Field(..., description="iip, iep, iiep or dim:<dimension id>", examples=["iiep"])
    value: float | None = Field(..., description="the assessment's value")
    n: int = Field(..., description="peers with a value")
    percentile: float | None = Field(..., description="mid-rank percentile among the peers (0-100)")
    interval: Interval | None = Field(..., description="exact binomial (Clopper-Pearson) 90 % interval")
    median: float | None = Field(..., description="the peers' median")


class Peers(Schema):
    level: str
    group: dict[str, str]
    n: int = Field(..., description="the peers: other firms of the organisation, latest diagnostic each")
    min_group: int
    confidence: float
    tried: list[Tried] = Field(..., description="the narrower groups tried first, too small")
    rows: list[PeerRow]


class Refused(Schema):
    min_group: int
    tried: list[Tried] = Field(..., description="every group tried, none with min_group other firms")


class SharedRow(Schema):
    column: str
    value: float
    percentile: float = Field(..., description="approximate: interpolated between the deciles")
    band: Interval = Field(..., description="the decile band the value lies in")


class Shared(Schema):
    status: Literal["placed", "not_published", "no_section", "not_opted_in"]
    approximate: bool
    group: dict[str, str] | None = None
    n: int | None = None
    rows: list[SharedRow] | None = None


class BenchmarkOut(Schema):
    assessment: int
    firm: int
    peers: Peers | None = Field(..., description="null when refused (see refused)")
    refused: Refused | None
    shared: Shared


class ReferenceGroup(Schema):
    section: str = Field(..., examples=["C"])
    size: str = Field(..., examples=["small"])
    country: str = Field(..., examples=["FR"])
    n: int
    deciles: dict[str, list[float]] = Field(..., description="index → its nine deciles (microaggregated)")


class Reference(Schema):
    groups: list[ReferenceGroup]


_ERRORS: dict[int, type[Schema]] = {401: _Error, 403: _Error, 404: _Error, 409: _Error, 503: _Error}


@router.get("/assessments/{assessment_id}/benchmark", response={200: BenchmarkOut, **_ERRORS},
            summary="The assessment among the organisation's firms of the same sector, size and country, "
                    "and against the shared reference")
def get_benchmark(request: HttpRequest, assessment_id: int) -> dict[str, object]:
    assessment = tenancy.assessments(request.user).filter(pk=assessment_id).first()
    if assessment is None:
        raise HttpError(404, f"assessment {assessment_id} not found")
    try:
        result = benchmarking.benchmark(assessment)
    except benchmarking.NotCompleted as exc:
        raise HttpError(409, str(exc)) from None
    return {"assessment": assessment.pk, "firm": assessment.firm_id, **result.to_dict()}


@router.get("/benchmark/reference", response={200: Reference, **_ERRORS},
            summary="The shared reference set (masked aggregates), for organisations that contribute to it")
def get_reference(request: HttpRequest) -> dict[str, object]:
    groups = benchmarking.reference_for(tenancy.organisation(request.user))
    return {"groups": [g.to_dict() for g in groups]}
