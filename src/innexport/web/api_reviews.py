"""The API of the advisor's validation of answers (``/api/assessments/{id}/reviews…``, tag *reviews*).

A ninja router mounted on :data:`innexport.web.api.api` (its authentication, error shapes and
handlers apply): list the reviews of an assessment, validate or correct an answer (JSON, or a
multipart form carrying the evidence file), clear a review, download an evidence file. Every rule
is :mod:`innexport.web.evidence`'s; refusals: 400 naming the field (``errors``), 413 for a file over
:data:`~innexport.files.limits.MAX_EVIDENCE_BYTES`, 403 for a read-only analyst, 404 for another
organisation's assessment or an unknown question, 409 for a completed assessment.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.urls import reverse
from ninja import Field, File, Form, Router, Schema, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile

from innexport.web import evidence, services, tenancy
from innexport.web.models import AnswerReview, Assessment, AuditEntry

router = Router(tags=["reviews"])
"""Mounted by :mod:`innexport.web.api` (which this module does not import: the API imports it)."""


class ReviewError(Schema):
    detail: str = Field(..., description="what went wrong, in words")


class ReviewFieldErrors(ReviewError):
    errors: dict[str, list[str]] = Field(default_factory=dict, description="messages by field",
                                         examples=[{"evidence": ["budget.pdf is a web page (HTML), not …"]}])


READ_ONE = {401: ReviewError, 404: ReviewError, 422: ReviewError, 503: ReviewError}
WRITE_ONE = {**READ_ONE, 400: ReviewFieldErrors, 403: ReviewError, 409: ReviewError, 413: ReviewFieldErrors}


def _assessment(request: HttpRequest, assessment_id: int) -> Assessment:
    """The assessment of the user's organisation, or 404 (the same for another organisation's id)."""
    a = tenancy.assessments(request.user).filter(pk=assessment_id).first()
    if a is None:
        raise HttpError(404, f"assessment {assessment_id} not found")
    return a


class EvidenceFileOut(Schema):
    name: str = Field(..., description="the file's name as uploaded", examples=["budget-2025.pdf"])
    type: str = Field(..., description="its type, as checked from its content", examples=["application/pdf"])
    size: int | None = Field(..., description="bytes")
    url: str = Field(..., description="where members of the organisation download it (GET, with the token)")


class ReviewOut(Schema):
    question_id: str
    state: Literal["validated", "corrected"]
    value: str = Field(..., description="the answer validated or corrected to (a level code or dk)")
    given: str = Field(..., description="the respondents' answer now (consolidated; empty when unanswered)")
    holds: bool = Field(..., description="false for a validation whose answer changed since: it counts as "
                                         "self-assessed until reviewed again")
    note: str
    link: str
    evidence: EvidenceFileOut | None
    reviewed_by: str
    reviewed_at: dt.datetime


class ReviewIn(Schema):
    state: Literal["validated", "corrected"] = Field(
        ..., description="validated: confirm the respondents' answer; corrected: set `value` instead")
    value: str | None = Field(None, description="corrected: a level code or label of the question's scale, or dk",
                              examples=["often"])
    note: str = Field("", description="what the advisor checked (replaces the review's note)")
    link: str = Field("", description="an http(s) address of the evidence (replaces the review's link)")
    remove_file: bool = Field(False, description="remove the review's evidence file")


def _review_out(assessment: Assessment, review: AnswerReview, current: dict[str, str]) -> dict[str, Any]:
    file = None
    if review.evidence:
        file = {"name": review.evidence_name, "type": review.evidence_type, "size": review.evidence_size,
                "url": reverse("api:answer_review_evidence", args=[assessment.pk, review.question_id])}
    return {"question_id": review.question_id, "state": review.state, "value": review.value,
            "given": current.get(review.question_id, ""), "holds": evidence.is_current(review, current),
            "note": review.note, "link": review.link, "evidence": file,
            "reviewed_by": evidence.reviewer_name(review), "reviewed_at": review.reviewed_at}


def _question(assessment: Assessment, question_id: str) -> None:
    if question_id not in services.framework_of(assessment.framework).observable_by_id:
        raise HttpError(404, f"question {question_id[:64]} not found in assessment {assessment.pk}'s questionnaire")


def _frozen(a: Assessment) -> Status:
    return Status(409, {"detail": f"assessment {a.pk} is completed: its answers and their reviews can no longer "
                                  "be changed"})


@router.get("/assessments/{assessment_id}/reviews", response={200: list[ReviewOut], **READ_ONE},
            summary="The advisor's reviews of an assessment's answers (answers not listed are self-assessed)")
def list_reviews(request: HttpRequest, assessment_id: int) -> list[dict[str, Any]]:
    a = _assessment(request, assessment_id)
    current = evidence.current_answers(a)
    return [_review_out(a, r, current) for r in evidence.reviews_of(a).values()]


def _review(request: HttpRequest, assessment_id: int, question_id: str, payload: ReviewIn,
            file: UploadedFile | None) -> Any:
    a = _assessment(request, assessment_id)
    _question(a, question_id)
    tenancy.require_editor(request.user)
    try:
        review = evidence.review_answer(a, question_id, payload.state, payload.value, note=payload.note,
                                        link=payload.link, file=file, actor=request, remove_file=payload.remove_file)
    except evidence.ReviewRefused as exc:
        return Status(exc.status, {"detail": f"{exc.field}: {exc.message}", "errors": {exc.field: [exc.message]}})
    except services.AssessmentCompleted:
        return _frozen(a)
    return _review_out(a, review, evidence.current_answers(a, [question_id]))


@router.put("/assessments/{assessment_id}/reviews/{question_id}", response={200: ReviewOut, **WRITE_ONE},
            summary="Validate or correct an answer, with a note and a link (JSON; see POST for a file)")
def put_review(request: HttpRequest, assessment_id: int, question_id: str, payload: ReviewIn) -> Any:
    return _review(request, assessment_id, question_id, payload, None)


@router.post("/assessments/{assessment_id}/reviews/{question_id}", response={200: ReviewOut, **WRITE_ONE},
             summary="Validate or correct an answer with an evidence file (multipart/form-data: the fields of PUT "
                     "and `evidence`, a PDF, PNG, JPEG, text, CSV, ODT, ODS, DOCX or XLSX file of at most 10 MiB)")
def post_review(request: HttpRequest, assessment_id: int, question_id: str, payload: Form[ReviewIn],
                evidence: File[UploadedFile | None] = None) -> Any:  # the form's file field
    return _review(request, assessment_id, question_id, payload, evidence)


@router.delete("/assessments/{assessment_id}/reviews/{question_id}",
               response={204: None, **WRITE_ONE},
               summary="Clear a review: the answer is self-assessed again (its evidence file is deleted)")
def delete_review(request: HttpRequest, assessment_id: int, question_id: str) -> Status:
    a = _assessment(request, assessment_id)
    _question(a, question_id)
    tenancy.require_editor(request.user)
    try:
        evidence.clear_review(a, question_id, request)
    except services.AssessmentCompleted:
        return _frozen(a)
    return Status(204, None)


@router.get("/assessments/{assessment_id}/reviews/{question_id}/evidence", response={200: None, **READ_ONE},
            url_name="answer_review_evidence", summary="A review's evidence file (an attachment)",
            openapi_extra={"responses": {200: {"description": "the file, with the type checked on upload",
                                               "content": {"application/octet-stream": {
                                                   "schema": {"type": "string", "format": "binary"}}}}}})
def get_evidence(request: HttpRequest, assessment_id: int, question_id: str) -> HttpResponseBase:
    a = _assessment(request, assessment_id)
    review = AnswerReview.objects.filter(assessment=a, question_id=question_id).first()
    if review is None or not review.evidence:
        raise HttpError(404, f"question {question_id[:64]} of assessment {a.pk} has no evidence file")
    try:
        response = evidence.evidence_response(review)
    except OSError:
        raise Http404("the evidence file is not in the storage any more") from None
    tenancy.record(request, AuditEntry.Action.EXPORT, a, f"evidence file of {question_id} downloaded (API)")
    return response
