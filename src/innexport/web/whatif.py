"""The "what if" of a diagnostic's weights: the firm's classes and first priorities had the
framework's dimensions been weighted otherwise (issue 12, "Sensitivity to the weights").

An advisor moves the dimension weights; nothing is saved. What this module decides:

* **Which answers**: the kept result's answers (:attr:`FirmResult.answers`, the consolidated
  answer of every question: the respondents' median or the advisor's validated answer, as
  :func:`innexport.web.services.completed_result` keeps them), encoded by the core
  (:func:`innexport.core.assessment.encode`): the what-if moves the weights, never the answers.
* **Which weights**: one non-negative number per dimension (a percentage, or any scale: they are
  renormalised to sum 1, as the framework's own weights do); a dimension left out keeps its share
  of the framework's weights (:meth:`Framework.dimension_weights`). Refused (:class:`BadWeights`,
  naming the field): a number that is not finite, a negative one, an unknown dimension, all zero.
* **How it is scored**: the core's own pipeline with other weights, nothing rewritten: the
  framework's :class:`~innexport.core.scoring.ScoringModel` with ``dimension_weights`` replaced
  (``dataclasses.replace``), then :func:`innexport.core.assessment.assess` (scores, threshold
  classes, FlowSort, priorities) and the core's one shaping of a result (so that the first
  priorities are :meth:`FirmResult.top_priorities`, the one rule). The weights' stability intervals
  shown next to each weight are the kept result's (:attr:`FirmResult.sensitivity`, computed by
  :mod:`innexport.core.uncertainty`).

Sources: the weights come from the framework's AHP judgements (Saaty 1980) or its given weights;
moving one weight with the others rescaled in proportion is the one-at-a-time sensitivity analysis of
Saltelli et al. (2008, *Global Sensitivity Analysis: The Primer*, ch. 1).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from django.utils.translation import gettext as _

from innexport.core.assessment import AnswerSheet, FirmResult, assess, encode, firm_result
from innexport.core.framework import Framework
from innexport.core.scoring import ScoringModel

FIELD_PREFIX = "w_"
"""The form field (query parameter) of a dimension's weight is this prefix and the dimension's id."""

MAX_FIELD_LENGTH = 32
"""Longest text accepted as one weight (a number; anything longer is refused unread)."""


class BadWeights(ValueError):
    """Weights that cannot be used; ``field`` names the form field (``w_<dimension>``) at fault."""

    def __init__(self, field: str, message: str):
        self.field, self.message = field, message
        super().__init__(f"{field}: {message}")


def field_name(dimension: str) -> str:
    """The form field of a dimension's weight.

    >>> field_name("networks")
    'w_networks'
    """
    return FIELD_PREFIX + dimension


def parse_weights(framework: Framework, query: Mapping[str, str]) -> dict[str, float] | None:
    """The dimension weights asked in ``query`` (the ``w_<dimension>`` fields, other fields
    ignored), renormalised to sum 1, in the framework's order; ``None`` when none is asked.

    A dimension without a field keeps its share of the framework's weights: ``w_a=50`` alone on a
    framework weighting a, b, c as 0.5, 0.25, 0.25 reads as 50, 25, 25 (percentages). A comma is
    read as a decimal point (``12,5``), as French and Spanish write it.

    >>> from innexport.files.frameworks import load_framework
    >>> fw = load_framework("iiep")
    >>> w = parse_weights(fw, {"w_networks": "100", **{field_name(d.id): "0" for d in fw.dimensions[1:]}})
    >>> w["networks"], sum(w.values())
    (1.0, 1.0)
    >>> parse_weights(fw, {"lang": "fr"}) is None
    True
    >>> parse_weights(fw, {"w_networks": "-1"})
    Traceback (most recent call last):
    ...
    innexport.web.whatif.BadWeights: w_networks: a weight cannot be negative
    """
    ids = [d.id for d in framework.dimensions]
    asked = {key[len(FIELD_PREFIX):]: raw for key, raw in query.items() if key.startswith(FIELD_PREFIX)}
    unknown = sorted(set(asked) - set(ids))
    if unknown:
        raise BadWeights(field_name(unknown[0]), _("the framework has no dimension '%(id)s'") % {"id": unknown[0][:60]})
    if not asked:
        return None
    default = framework.dimension_weights() * 100.0
    raw_weights = []
    for dim, share in zip(ids, default, strict=True):
        raw_weights.append(_number(field_name(dim), asked[dim]) if dim in asked else float(share))
    total = math.fsum(raw_weights)
    if total <= 0.0:
        raise BadWeights(field_name(ids[0]), _("at least one weight must be above zero"))
    return {dim: w / total for dim, w in zip(ids, raw_weights, strict=True)}


def _number(field: str, raw: str) -> float:
    text = raw.strip().replace(",", ".")
    if not text:
        raise BadWeights(field, _("a weight is needed (a number, 0 or more)"))
    if len(text) > MAX_FIELD_LENGTH:
        raise BadWeights(field, _("not a number"))
    try:
        value = float(text)
    except ValueError:
        raise BadWeights(field, _("not a number")) from None
    if not math.isfinite(value):
        raise BadWeights(field, _("not a number"))
    if value < 0.0:
        raise BadWeights(field, _("a weight cannot be negative"))
    return value


@dataclass(frozen=True)
class WhatIf:
    """A firm's result under other dimension weights, beside the kept one."""

    weights: dict[str, float]
    """Dimension id → the weight used (sums to 1), in the framework's order."""
    default: dict[str, float]
    """Dimension id → the framework's own weight."""
    result: FirmResult
    """The result under ``weights`` (the answers and everything else as kept)."""
    kept: FirmResult
    """The kept result (the framework's weights)."""

    @property
    def moved(self) -> bool:
        """Whether the weights differ from the framework's."""
        return any(abs(self.weights[d] - self.default[d]) > 1e-9 for d in self.default)


def rescore(framework: Framework, kept: FirmResult, weights: Mapping[str, float] | None) -> WhatIf:
    """``kept``'s answers scored with other dimension ``weights`` (id → weight summing to 1, as
    :func:`parse_weights` returns them; ``None``: the framework's own weights).

    >>> from innexport.files.frameworks import load_framework
    >>> from innexport.core.assessment import diagnose
    >>> from innexport.core.answers import DONT_KNOW
    >>> fw = load_framework("iiep")
    >>> top = {o.id: fw.scale_by_id[o.scale].levels[-1].code for o in fw.observables}
    >>> kept = diagnose(fw, [AnswerSheet(firm={"id": "f", "name": "F"}, answers=top)], draws=0)[0]
    >>> same = rescore(fw, kept, None)
    >>> same.moved, same.result.indices["iiep"].value == kept.indices["iiep"].value
    (False, True)
    >>> only = {d.id: (1.0 if d.id == "networks" else 0.0) for d in fw.dimensions}
    >>> rescore(fw, kept, only).result.indices["iiep"].class_
    'proactive'
    """
    model = ScoringModel.from_framework(framework)
    default = dict(zip(model.dimension_ids, (float(w) for w in model.dimension_weights), strict=True))
    chosen = default if weights is None else {d: float(weights[d]) for d in model.dimension_ids}
    sheet = AnswerSheet(framework=framework.id, version=framework.version, modules=[m.id for m in framework.modules],
                        lang=kept.lang, firm=kept.firm, assessed_on=kept.assessed_on, assessor=kept.assessor,
                        answers=dict(kept.answers), comments=dict(kept.comments))
    values = encode(framework, [sheet], model)
    moved = dataclasses.replace(model, dimension_weights=np.array([chosen[d] for d in model.dimension_ids]))
    result = firm_result(assess(moved, values), 0, sheet, kept.lang)
    return WhatIf(weights=chosen, default=default, result=result, kept=kept)

