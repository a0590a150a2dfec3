"""Advisors' validation of answers, with evidence (a note, a link, a file).

Each answer of an assessment is *self-assessed* (no :class:`~innexport.web.models.AnswerReview`),
*validated* (the advisor confirms the consolidated answer) or *corrected* (the advisor replaces it);
the result consolidates the respondents' answers under these reviews
(:func:`innexport.core.respondents.consolidate`, ``reviews``).
"""

from __future__ import annotations

from typing import Literal, cast

from innexport.core.assessment import ValidationOut
from innexport.web.models import AnswerReview, Assessment, ReviewState


def reviewed_answers(assessment: Assessment) -> dict[str, str]:
    """Question id → the answer code an advisor validated or corrected (what consolidation keeps)."""
    return {r.question_id: r.value for r in AnswerReview.objects.filter(assessment=assessment) if r.value}


def validation_out(assessment: Assessment, questions: int) -> ValidationOut | None:
    """The result's :class:`~innexport.core.assessment.ValidationOut` (None when no answer was reviewed);
    ``questions`` is the framework's number of questions."""
    reviews = list(AnswerReview.objects.filter(assessment=assessment).select_related("reviewed_by")
                   .order_by("reviewed_at", "pk"))
    if not reviews:
        return None
    by: list[str] = []
    for r in reviews:
        who = (r.reviewed_by.get_full_name() or r.reviewed_by.get_username()) if r.reviewed_by else ""
        if who and who not in by:
            by.append(who)
    validated = sum(r.state == ReviewState.VALIDATED for r in reviews)
    corrected = sum(r.state == ReviewState.CORRECTED for r in reviews)
    return ValidationOut(validated=validated, corrected=corrected, self_assessed=questions - validated - corrected,
                         by=by, states={r.question_id: cast(Literal["validated", "corrected"], r.state) for r in reviews})
