"""The review of an answer shown next to its question: ``{% load innexport_reviews %}``.

``{% review_of q as r %}`` gives the :class:`innexport.web.views.reviews.ReviewView` of the question
``q`` of the page's ``assessment`` (read once per page and kept on the assessment), or None where no
review may be shown: the private links of the director and the respondents (``is_share``), whose
pages never show the advisor's evidence, any page without an assessment, and anyone who is not a
member of the assessment's organisation.
"""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()

_CACHE = "_innexport_review_views"


@register.simple_tag(takes_context=True)
def review_of(context: Any, question: Any) -> Any:
    """The review view of ``question`` (anything with an ``id``) on this page, or None."""
    assessment = context.get("assessment")
    if assessment is None or context.get("is_share") or not getattr(assessment, "pk", None):
        return None
    user = getattr(context.get("request"), "user", None)
    membership = getattr(user, "membership", None) if getattr(user, "is_authenticated", False) else None
    if membership is None or membership.organisation_id != assessment.organisation_id:
        return None  # only the organisation's members see its reviews
    views = getattr(assessment, _CACHE, None)
    if views is None:
        from innexport.web.views.reviews import review_views

        views = review_views(assessment)
        setattr(assessment, _CACHE, views)
    return views.get(getattr(question, "id", question))
