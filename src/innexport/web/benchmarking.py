"""The benchmark of a diagnostic among the organisation's own firms, and against the shared reference set.

The data is read with **one** ``values_list`` query over the completed diagnostics of the organisation
(or, for the shared reference, of every organisation that opted in: :attr:`Organisation.share_reference`),
reading the summary columns kept on each assessment (never the stored results); every computation is
:mod:`innexport.portfolio.peers` (the groups, the percentiles and their intervals, the masking of the
shared reference). What the organisation sees of its own firms is unmasked (it is its own data); what it
sees of the others is only the shared reference's masked aggregates, and only when it shares its own
(the opt-in is reciprocal: :func:`reference_for` refuses an organisation that has not opted in).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet, TextField
from django.db.models.functions import Cast

from innexport.portfolio import peers
from innexport.web.models import Assessment, AssessmentStatus, Organisation

FIELDS: tuple[tuple[str, str], ...] = (
    ("assessment", "pk"), ("firm", "firm_id"), ("organisation", "organisation_id"), ("assessed_on", "assessed_on"),
    ("sector", "firm__sector"), ("size", "firm__size_class"), ("country", "firm__country"),
    ("iip", "iip"), ("iep", "iep"), ("iiep", "iiep"), ("dimension_scores", "scores_text"),
)
"""The columns of :func:`innexport.portfolio.peers.latest`'s frame and where the one query reads them."""


def _frame(qs: QuerySet[Assessment]) -> pd.DataFrame:
    """The completed diagnostics of ``qs`` as the peers' frame (one query; the scores as JSON text)."""
    qs = (qs.filter(status=AssessmentStatus.COMPLETED).order_by()
          .annotate(scores_text=Cast("dimension_scores", output_field=TextField())))
    rows = list(qs.values_list(*(orm for _name, orm in FIELDS)))
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(FIELDS)
    return pd.DataFrame({name: pd.Series(values, dtype=object)
                         for (name, _orm), values in zip(FIELDS, columns, strict=True)})


def organisation_frame(organisation: Organisation) -> pd.DataFrame:
    """The latest completed diagnostic of each firm of ``organisation`` (:func:`peers.latest`)."""
    return peers.latest(_frame(Assessment.objects.filter(organisation=organisation)))


def shared_reference() -> list[peers.ReferenceGroup]:
    """The shared reference set of the organisations that opted in: masked aggregates only."""
    frame = _frame(Assessment.objects.filter(organisation__share_reference=True))
    return peers.shared_reference(peers.latest(frame))


def reference_for(organisation: Organisation) -> list[peers.ReferenceGroup]:
    """The shared reference, for an organisation that contributes to it; ``PermissionDenied`` otherwise."""
    if not organisation.share_reference:
        raise PermissionDenied("the shared reference is only open to organisations that contribute to it "
                               "(an organisation admin can opt in on the organisation's settings page)")
    return shared_reference()


def values_of(assessment: Assessment) -> dict[str, float | None]:
    """The values of ``assessment`` that are benchmarked: IIP, IEP, IIEP and ``dim:<id>`` of each dimension."""
    values: dict[str, float | None] = {"iip": assessment.iip, "iep": assessment.iep, "iiep": assessment.iiep}
    for dim, score in (assessment.dimension_scores or {}).items():
        values[f"dim:{dim}"] = None if score is None else float(score)
    return values


@dataclass(frozen=True)
class Benchmark:
    """What the page and the API show: the placement among the organisation's firms (or why there is none)
    and the placement against the shared reference (or why there is none)."""

    placement: peers.Placement | None
    refused: peers.PeerGroupTooSmall | None
    shared: str
    """``placed`` (see ``reference_group``), ``not_published`` (the firm's group is not in the reference),
    ``no_section`` (the firm has no known sector), or ``not_opted_in``."""
    reference_group: peers.ReferenceGroup | None = None
    reference: tuple[peers.ReferencePlacement, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The JSON of ``GET /api/assessments/{id}/benchmark``."""
        refused = None
        if self.refused is not None:
            refused = {"min_group": self.refused.min_group,
                       "tried": [{"level": t.level.id, "group": dict(t.group), "n": t.n} for t in self.refused.tried]}
        shared: dict[str, Any] = {"status": self.shared, "approximate": True}
        if self.reference_group is not None:
            g = self.reference_group
            shared.update({"group": {"section": g.section, "size": g.size, "country": g.country}, "n": g.n,
                           "rows": [{"column": r.column, "value": r.value, "percentile": r.percentile,
                                     "band": {"low": r.low, "high": r.high}} for r in self.reference]})
        return {"peers": self.placement.to_dict() if self.placement is not None else None, "refused": refused,
                "shared": shared}


class NotCompleted(ValueError):
    """A benchmark asked for a diagnostic that is not completed (it has no values yet)."""


def benchmark(assessment: Assessment) -> Benchmark:
    """``assessment`` (completed) among the latest diagnostics of the organisation's other firms, and
    against the shared reference when the organisation contributes to it. Raises :class:`NotCompleted`."""
    if assessment.status != AssessmentStatus.COMPLETED:
        raise NotCompleted(f"assessment {assessment.pk} is not completed: it has no result to benchmark yet")
    organisation = assessment.organisation
    frame = organisation_frame(organisation)
    values = values_of(assessment)
    placement, refused = None, None
    try:
        placement = peers.place(frame, assessment.firm_id, values=values)
    except peers.PeerGroupTooSmall as exc:
        refused = exc
    if not organisation.share_reference:
        return Benchmark(placement, refused, "not_opted_in")
    _division, section = peers.sector_hierarchy(assessment.firm.sector)
    if not section:
        return Benchmark(placement, refused, "no_section")
    found = peers.place_in_reference(shared_reference(), section, assessment.firm.size_class,
                                     assessment.firm.country, values)
    if found is None:
        return Benchmark(placement, refused, "not_published")
    group, placed = found
    return Benchmark(placement, refused, "placed", group, tuple(placed))
