"""The advisor's validation of an answer: its page (state, evidence, the form) and its evidence file.

* ``assessments/<pk>/reviews/<question>/`` (``answer-review``): every member of the organisation sees
  the question, the respondents' answer, and its review (who, when, the note, the link, the file);
  admins and advisors validate it, correct it or clear the review with a plain form (no script
  needed; the questionnaire links here from each question, ``web/review_answer.html``). A read-only
  analyst's POST is refused (403), a completed assessment's too (409, said on the page); a refused
  field is named next to it (400, or 413 for a file over the size limit).
* ``assessments/<pk>/reviews/<question>/evidence/`` (``answer-review-evidence``): the file, to members
  of the assessment's organisation only (404 for anyone else, as for any object of another
  organisation), as an attachment (:func:`innexport.web.evidence.evidence_response`).

Every rule is :mod:`innexport.web.evidence`'s (states, evidence limits, who may review, erasure);
these views read the request, call it and map its refusals to responses. The page's content is in
the questionnaire's language, like the questionnaire's pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from innexport.core.answers import COMMENT_MAX_LENGTH
from innexport.core.framework import DONT_KNOW, Framework
from innexport.files.limits import MAX_EVIDENCE_BYTES
from innexport.rendering.questionnaire import dont_know_label
from innexport.web import evidence, services, tenancy
from innexport.web.models import AnswerReview, Assessment, AuditEntry
from innexport.web.tenancy import member_required


@dataclass(frozen=True)
class ReviewView:
    """What a page shows of one answer's review (``state``: self_assessed, validated, corrected)."""

    question_id: str
    state: str
    given: str
    """The respondents' answer, as its label ("" when unanswered)."""
    value: str
    """The reviewed answer, as its label."""
    review: AnswerReview | None
    reviewer: str
    stale: bool
    """A validation whose answer has changed since: the answer is self-assessed again."""
    url: str
    evidence_url: str


def answer_label(fw: Framework, question_id: str, code: str, lang: str) -> str:
    """The label of answer ``code`` to ``question_id`` in ``lang`` (the code itself when it is not on the scale)."""
    if code == DONT_KNOW:
        return dont_know_label(lang)
    o = fw.observable_by_id.get(question_id)
    if o is None:
        return code
    return next((lv.label[lang] for lv in fw.scale_by_id[o.scale].levels if lv.code == code), code)


def review_views(assessment: Assessment) -> dict[str, ReviewView]:
    """Question id → :class:`ReviewView` of every question of the assessment (three queries)."""
    fw = services.framework_of(assessment.framework)
    reviews = evidence.reviews_of(assessment)
    current = evidence.current_answers(assessment)
    lang = assessment.lang
    out = {}
    for o in fw.observables:
        review = reviews.get(o.id)
        stale = review is not None and not evidence.is_current(review, current)
        state = "self_assessed" if review is None or stale else review.state
        url = reverse("answer-review", args=[assessment.pk, o.id])
        out[o.id] = ReviewView(
            question_id=o.id, state=state, given=answer_label(fw, o.id, current.get(o.id, ""), lang),
            value=answer_label(fw, o.id, review.value, lang) if review else "", review=review,
            reviewer=evidence.reviewer_name(review) if review else "", stale=stale, url=url,
            evidence_url=reverse("answer-review-evidence", args=[assessment.pk, o.id])
            if review is not None and review.evidence else "")
    return out


def _assessment(request: HttpRequest, pk: int) -> Assessment:
    return get_object_or_404(tenancy.assessments(request.user), pk=pk)


@member_required
@require_http_methods(["GET", "POST"])
def answer_review(request: HttpRequest, pk: int, question_id: str) -> HttpResponse:
    """The review page of one answer; POST (editors): ``action`` ``review`` (``state``, ``value``,
    ``note``, ``link``, ``evidence`` file, ``remove_file``) or ``clear``."""
    assessment = _assessment(request, pk)
    fw = services.framework_of(assessment.framework)
    if question_id not in fw.observable_by_id:
        raise Http404("no such question")
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        tenancy.require_editor(request.user)  # 403 for a read-only analyst
        with translation.override(assessment.lang):  # the messages are on a page of the questionnaire's language
            try:
                if request.POST.get("action") == "clear":
                    evidence.clear_review(assessment, question_id, request)
                    messages.success(request, _("The answer is self-assessed again."))
                else:
                    evidence.review_answer(
                        assessment, question_id, request.POST.get("state", ""), request.POST.get("value"),
                        note=request.POST.get("note", ""), link=request.POST.get("link", ""),
                        file=request.FILES.get("evidence"), actor=request,
                        remove_file=request.POST.get("remove_file") == "1")
                    messages.success(request, _("Review saved."))
                return redirect(_back_url(assessment, fw, question_id))
            except evidence.ReviewRefused as exc:
                errors[exc.field] = exc.message
                status = exc.status
            except services.AssessmentCompleted as exc:
                errors["form"] = exc.message
                status = 409
    return _render(request, assessment, fw, question_id, errors=errors, status=status)


def _back_url(assessment: Assessment, fw: Framework, question_id: str) -> str:
    page = next(n for n, dim in enumerate(fw.dimensions, start=1)
                for a in dim.activities for o in a.observables if o.id == question_id)
    return reverse("assessment-page", args=[assessment.pk, page]) + f"#q-{question_id}"


def _render(request: HttpRequest, assessment: Assessment, fw: Framework, question_id: str, *,
            errors: dict[str, str], status: int) -> HttpResponse:
    o = fw.observable_by_id[question_id]
    lang = assessment.lang
    view = review_views(assessment)[question_id]
    number = next(n for n, x in enumerate(fw.observables, start=1) if x.id == question_id)
    posted: dict[str, Any] = dict(request.POST.items()) if request.method == "POST" else {}
    review = view.review
    choices = [(lv.code, lv.label[lang]) for lv in fw.scale_by_id[o.scale].levels] + [(DONT_KNOW, dont_know_label(lang))]
    can_review = tenancy.membership(request.user).can_edit and not assessment.completed
    return render(request, "web/review.html", {
        "assessment": assessment, "firm": assessment.firm, "question": o, "question_text": o.question[lang],
        "question_help": o.help[lang], "number": number, "view": view, "review": review, "choices": choices,
        "can_review": can_review, "errors": errors,
        "state": posted.get("state") or (review.state if review and not view.stale else "validated"),
        "value": posted.get("value") or (review.value if review and review.state == "corrected" else ""),
        "note": posted.get("note", review.note if review else ""),
        "link": posted.get("link", review.link if review else ""),
        "back_url": _back_url(assessment, fw, question_id), "accept": evidence.ACCEPT_EVIDENCE,
        "max_bytes": MAX_EVIDENCE_BYTES, "note_max": COMMENT_MAX_LENGTH, "link_max": evidence.LINK_MAX_LENGTH,
    }, status=status)


@member_required
@require_http_methods(["GET"])
def answer_review_evidence(request: HttpRequest, pk: int, question_id: str) -> HttpResponseBase:
    """The review's evidence file, to members of the assessment's organisation (404 otherwise), audited."""
    assessment = _assessment(request, pk)
    review = AnswerReview.objects.filter(assessment=assessment, question_id=question_id).first()
    if review is None or not review.evidence:
        raise Http404("no evidence file")
    try:
        response = evidence.evidence_response(review)
    except (FileNotFoundError, OSError):
        raise Http404("the evidence file is not in the storage any more") from None
    tenancy.record(request, AuditEntry.Action.EXPORT, assessment, f"evidence file of {question_id} downloaded")
    return response


urlpatterns = [
    path("assessments/<int:pk>/reviews/<question_id>/", answer_review, name="answer-review"),
    path("assessments/<int:pk>/reviews/<question_id>/evidence/", answer_review_evidence,
         name="answer-review-evidence"),
]
