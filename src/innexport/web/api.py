"""The JSON API (django-ninja), described by OpenAPI at ``/api/openapi.json`` (browsable at ``/api/docs``).

Authentication: ``Authorization: Bearer <token>``, with a personal token made on the page
*account → API tokens* (or :func:`create_token`); only the token's SHA-256 is stored. The token
acts as its user: it sees only the user's organisation, and a read-only analyst's token can read
but not change anything (403).

Errors are JSON objects with a human-readable ``detail`` (and, where useful, the structured
``errors``, ``missing``…):

* 400: input that breaks a rule (a firm field, an answer off its scale, an unknown question,
  malformed JSON); nothing is saved;
* 401: no token, or an unknown/revoked one;
* 403: an analyst trying to change data;
* 404: an id that does not exist *or belongs to another organisation* (never 403, so the
  existence of others' data is not disclosed);
* 409: a result or report asked for before the assessment was completed, or a change of a
  completed (frozen) assessment's answers or comments;
* 413: a body over the size limit (Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE``);
* 422: a body or parameter of the wrong shape or type (the message names the field), or an
  assessment too incomplete to be scored (with the ``missing`` question ids);
* 503 with ``Retry-After``: the database cannot be reached for now (send the same request again).

Several respondents: ``/assessments/{id}/respondents`` lists (the first respondent first, ``id``
null: the assessment's own answers), adds and removes them; the answers endpoints take
``?respondent=<id>`` to read or write a further respondent's answers (an id of another assessment
or organisation: 404). The result consolidates every respondent's answers and carries
``respondents`` and ``disagreement`` (:func:`innexport.web.services.team_of`).

Bodies are read by :class:`~innexport.web.middleware.BoundedParser`: nested at most
``MAX_NESTING_DEPTH`` levels (:mod:`innexport.files.limits`), at most
``DATA_UPLOAD_MAX_NUMBER_FIELDS`` keys and items, no NUL character (which PostgreSQL cannot
store) in any string — refused with a 400 naming the place (``body.comments.q1``, or the line and
column of the text). The query string and the path are checked the same way by
:class:`~innexport.web.middleware.EdgeMiddleware`.
"""

import datetime as dt
import hashlib
import logging
import secrets
from datetime import timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.db.models import Q, QuerySet
from django.forms.models import model_to_dict
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import path
from django.utils import timezone
from ninja import Field, NinjaAPI, Query, Schema, Status
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.pagination import LimitOffsetPagination, paginate
from ninja.security import HttpBearer
from pydantic import ConfigDict

import innexport
from innexport.core.answers import COMMENT_MAX_LENGTH
from innexport.core.assessment import RESPONDENT_ROLES, AnswersError, FirmResult, IncompleteError, RespondentRole
from innexport.core.framework import DONT_KNOW, LANGUAGES, FrameworkError, Lang
from innexport.rendering.sectors import sector_code, sector_codes_within
from innexport.support.plans import ActionPlan as ActionPlanOut
from innexport.web import plans, services, tenancy
from innexport.web import respondents as team
from innexport.web.middleware import (
    BODY_LIMITS,
    BadInput,
    BoundedParser,
    MalformedJson,
    body_refusal,
    outage_response,
)
from innexport.web.models import (
    ApiToken,
    Assessment,
    AuditEntry,
    DirectorLink,
    Firm,
    FrameworkVersion,
    Membership,
    Respondent,
    SizeClass,
)

_LANGS = ", ".join(LANGUAGES)
logger = logging.getLogger(__name__)

# --- tokens ---------------------------------------------------------------------------------------

TOKEN_PREFIX = "inx_"  # noqa: S105 - the public marker every token starts with, not a secret
LAST_USED_GRANULARITY = timedelta(minutes=1)
"""``last_used_at`` is written at most this often per token (not one write per request)."""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(user: Any, name: str = "") -> str:
    """Make an API token for ``user`` and return it; it is shown this once, only its hash is kept."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    ApiToken.objects.create(user=user, name=name.strip()[:100], key_hash=hash_token(token), prefix=token[:8])
    return token


class TokenAuth(HttpBearer):
    """``Authorization: Bearer <token>``: the token's (active) user, who must belong to an organisation."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        token = token.strip()
        if not token or len(token) > 200:
            return None
        api_token = ApiToken.objects.select_related("user").filter(key_hash=hash_token(token)).first()
        if api_token is None or not api_token.user.is_active:
            return None
        user = api_token.user
        if not Membership.objects.filter(user=user).exists():
            return None
        now = timezone.now()
        if api_token.last_used_at is None or now - api_token.last_used_at >= LAST_USED_GRANULARITY:
            ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=now)
        request.user = user  # views, tenancy and the audit log see the token's user
        return user


# --- the API and its errors -------------------------------------------------------------------------

api = NinjaAPI(
    title="innexport API",
    version=innexport.__version__,
    description=(
        "Diagnose which capabilities an SME should develop first to improve its innovation and its export "
        "performance: create firms, start assessments, answer the questionnaire, score, get the result and "
        "the report.\n\nAuthenticate with `Authorization: Bearer <token>` (make a token on the *API tokens* "
        "page of the web application). You only ever see your own organisation's data; ids of other "
        "organisations' objects answer 404. Read-only analysts get 403 on every change. Every error is a "
        "JSON object with a `detail` message."
    ),
    openapi_url="/openapi.json",
    docs_url="/docs",
    urls_namespace="api",
    auth=TokenAuth(),
    parser=BoundedParser(),
)


class Error(Schema):
    detail: str = Field(..., description="what went wrong, in words", examples=["firm 42 not found"])


class FieldErrors(Error):
    errors: dict[str, list[str]] = Field(
        default_factory=dict, description="messages by field (or question id)",
        examples=[{"country": [("Unknown country “Atlantis”: pick it in the list, or give its two-letter ISO code "
                                "(e.g. FR, CL or AR).")]}],
    )


class SchemaError(Schema):
    detail: str = Field(..., examples=["body.framework: Input should be a valid integer"])
    errors: list[dict[str, Any]] = Field(default_factory=list, description="pydantic's errors (loc, msg, type)")


def _where(loc: list[Any] | tuple[Any, ...]) -> str:
    """``body.name`` / ``query.country`` / ``path.firm_id`` from a ninja error location."""
    parts = [str(x) for x in loc]
    if len(parts) >= 2 and parts[0] == "body":  # ["body", <parameter name>, field…]
        parts = ["body", *parts[2:]] if len(parts) > 2 else ["body"]
    return ".".join(parts) or "request"


@api.exception_handler(ValidationError)
def _schema_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = [{k: v for k, v in e.items() if k in ("loc", "msg", "type")} for e in exc.errors]
    detail = "; ".join(f"{_where(e.get('loc', ()))}: {e.get('msg', 'invalid')}" for e in errors)
    return api.create_response(request, {"detail": detail or "invalid request", "errors": errors}, status=422)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = api.create_response(
        request, {"detail": "missing, unknown or revoked API token: send 'Authorization: Bearer <token>'"}, status=401)
    response["WWW-Authenticate"] = 'Bearer realm="innexport"'
    return response


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    cause = exc.__cause__  # ninja's "Cannot parse request body" carries what BoundedParser raised
    if isinstance(cause, BODY_LIMITS):
        return body_refusal(request, cause)
    detail, status = str(exc), exc.status_code
    if isinstance(cause, MalformedJson):
        detail = f"the request body is not valid JSON: {cause.reason}"
    elif isinstance(cause, BadInput):
        detail, status = cause.message, cause.status
    return api.create_response(request, {"detail": detail}, status=status)


@api.exception_handler(OperationalError)
@api.exception_handler(InterfaceError)
def _database_outage(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.error("database unreachable on %s %s: %s", request.method, request.path, exc)
    return outage_response(request)


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc) or "forbidden"}, status=403)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, {"detail": "not found"}, status=404)


class Rejected(HttpError):
    """A 4xx answer with extra JSON members next to ``detail``."""

    def __init__(self, status_code: int, message: str, **extra: Any):
        super().__init__(status_code, message)
        self.extra = extra


@api.exception_handler(Rejected)
def _rejected(request: HttpRequest, exc: Rejected) -> HttpResponse:
    return api.create_response(request, {"detail": exc.message, **exc.extra}, status=exc.status_code)


READ = {401: Error, 422: SchemaError, 503: Error}
READ_ONE = {**READ, 404: Error}
WRITE = {**READ, 400: FieldErrors, 403: Error, 413: Error}
WRITE_ONE = {**WRITE, 404: Error}


def _get(qs: QuerySet, pk: int, what: str) -> Any:
    """The object of the user's organisation, or 404 (the same for another organisation's id)."""
    obj = qs.filter(pk=pk).first()
    if obj is None:
        raise HttpError(404, f"{what} {pk} not found")
    return obj


def _editor(request: HttpRequest) -> None:
    tenancy.require_editor(request.user)


# --- frameworks ------------------------------------------------------------------------------------


class FrameworkOut(Schema):
    id: int = Field(..., description="the framework version's id (give it to start an assessment)")
    label: str = Field(..., examples=["iiep 1.1.0 + wine 1.1.0"])
    framework_id: str = Field(..., examples=["iiep"])
    version: str = Field(..., examples=["1.1.0"])
    modules: list[str] = Field(..., description="module ids applied, in order", examples=[["wine"]])
    content_hash: str = Field(..., description="hash of the framework's content, stamped on every result")


class LevelOut(Schema):
    code: str = Field(..., examples=["often"])
    value: float
    label: dict[str, str] = Field(..., description=f"by language ({_LANGS})")


class ScaleOut(Schema):
    id: str
    levels: list[LevelOut]


class QuestionOut(Schema):
    id: str = Field(..., description="the question id to answer", examples=["net_weak_ties_support_bodies"])
    activity: str
    dimension: str
    tag: str = Field(..., description="innovation, export or joint")
    scale: str
    answers: list[str] = Field(..., description=f"accepted answer codes (and '{DONT_KNOW}' for don't know)",
                               examples=[["never", "sometimes", "often", "always", DONT_KNOW]])
    question: dict[str, str] = Field(..., description=f"the question by language ({_LANGS})")


class FrameworkDetailOut(FrameworkOut):
    min_completeness: float = Field(..., description="share of questions that need a scored answer to be scored")
    scales: list[ScaleOut]
    questions: list[QuestionOut]


def _framework_out(v: FrameworkVersion) -> dict[str, Any]:
    return {"id": v.pk, "label": v.label, "framework_id": v.framework_id, "version": v.version,
            "modules": list(v.modules), "content_hash": v.content_hash}


def _question_out(fw: Any, o: Any) -> dict[str, Any]:
    activity = fw.activity_of[o.id]
    return {"id": o.id, "activity": activity.id, "dimension": fw.dimension_of[activity.id].id, "tag": activity.tag,
            "scale": o.scale, "answers": [lv.code for lv in fw.scale_by_id[o.scale].levels] + [DONT_KNOW],
            "question": o.question.root}


@api.get("/frameworks", response={200: list[FrameworkOut], **READ}, tags=["frameworks"],
         summary="List the published framework versions")
def list_frameworks(request: HttpRequest) -> list[dict[str, Any]]:
    return [_framework_out(v) for v in services.published_frameworks()]


@api.get("/frameworks/{framework_version_id}", response={200: FrameworkDetailOut, **READ_ONE}, tags=["frameworks"],
         summary="A published framework version with its questions and answer scales")
def get_framework(request: HttpRequest, framework_version_id: int) -> dict[str, Any]:
    version = _get(services.published_frameworks(), framework_version_id, "framework version")
    fw = services.framework_of(version)
    return {
        **_framework_out(version),
        "min_completeness": fw.scoring.min_completeness,
        "scales": [{"id": s.id, "levels": [{"code": lv.code, "value": lv.value, "label": lv.label.root}
                                           for lv in s.levels]} for s in fw.scales],
        "questions": [_question_out(fw, o) for o in fw.observables],
    }


# --- firms -------------------------------------------------------------------------------------------

_SIZES = ", ".join(SizeClass.values)


class _FirmFields(Schema):
    """The fields of a firm, each optional (:class:`FirmIn` requires the name and the country)."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, description="unique in your organisation", examples=["Viña Nueva"])
    country: str | None = Field(None, description="ISO 3166 two-letter code (or the country's name in fr, es or en)",
                                examples=["CL"])
    region: str | None = Field("", examples=["Maule"])
    sector: str | None = Field("", description="NACE Rev. 2 code (11.02, C11, A; ISIC Rev. 4 shares its sections and "
                               "divisions) or its name in fr, es or en; saved as the code", examples=["11.02"])
    size_class: str | None = Field("", description=f"one of {_SIZES} (or empty)", examples=["medium"])
    year_founded: int | None = Field(None, description="between 1000 and 2100", examples=[1999])
    export_share: float | None = Field(None, description="% of sales exported, 0–100", examples=[60])
    rd_intensity: float | None = Field(None, description="R&D spending, % of sales, 0–100", examples=[1.5])
    contact: str | None = Field("", description="who to talk to (free text)", examples=["Ana Pérez, directora"])
    contact_email: str | None = Field("", description="the director's e-mail address, for the private link's "
                                      "invitation", examples=["ana@example.org"])


class FirmIn(_FirmFields):
    """A firm; checked by the same rules as the web form (two-letter country code, percentages
    between 0 and 100, a name not already used in the organisation…)."""

    name: str = Field(..., description="unique in your organisation", examples=["Viña Nueva"])
    country: str = Field(..., description="ISO 3166 two-letter code (or the country's name in fr, es or en)",
                         examples=["CL"])


class FirmPatch(_FirmFields):
    """Only the fields given are changed."""


class FirmOut(Schema):
    id: int
    name: str
    country: str
    region: str
    sector: str
    size_class: str
    year_founded: int | None
    export_share: float | None
    rd_intensity: float | None
    contact: str
    contact_email: str
    created_at: dt.datetime
    updated_at: dt.datetime


class FirmFilters(Schema):
    q: str = Field("", description="search in name, region, contact and sector")
    country: str = Field("", description="ISO code", examples=["FR"])
    size_class: str = Field("", description=f"one of {_SIZES}")
    sector: str = Field("", description="NACE code or name: the firms of that sector and of those under it",
                        examples=["11.02", "C11"])


def _firm_form(request: HttpRequest, data: dict[str, Any], instance: Firm | None = None) -> Firm:
    """Validate with the web application's :class:`FirmForm` (one set of rules) and save; 400 naming
    every bad field, and nothing saved, otherwise."""
    from innexport.web.views.firms import FirmForm

    org = instance.organisation if instance is not None else tenancy.organisation(request.user)
    form = FirmForm(data, instance=instance, organisation=org)
    if not form.is_valid():
        errors = {field: [str(m) for m in messages] for field, messages in form.errors.items()}
        detail = "; ".join(f"{field}: {' '.join(messages)}" for field, messages in errors.items())
        raise Rejected(400, f"invalid firm — {detail}", errors=errors)
    creating = instance is None
    try:
        with transaction.atomic():
            firm = form.save(commit=False)
            if creating:
                firm.organisation, firm.created_by = org, request.user
            firm.save()
            if creating:
                tenancy.record(request, AuditEntry.Action.CREATE, firm, f"{firm.name} (API)")
            else:
                tenancy.record(request, AuditEntry.Action.CHANGE, firm, ", ".join(form.changed_data) + " (API)")
    except IntegrityError:
        msg = "Your organisation already has a firm of this name."
        raise Rejected(400, f"invalid firm — name: {msg}", errors={"name": [msg]}) from None
    return firm


def _form_data(values: dict[str, Any]) -> dict[str, Any]:
    return {k: ("" if v is None else v) for k, v in values.items()}


@api.get("/firms", response={200: list[FirmOut], **READ}, tags=["firms"], summary="List and search your firms")
@paginate(LimitOffsetPagination)
def list_firms(request: HttpRequest, filters: Query[FirmFilters]) -> QuerySet[Firm]:
    qs = tenancy.firms(request.user)
    q = filters.q.strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(region__icontains=q) | Q(contact__icontains=q) | Q(sector__icontains=q))
    if filters.country.strip():
        qs = qs.filter(country=filters.country.strip().upper())
    if filters.size_class.strip():
        qs = qs.filter(size_class=filters.size_class.strip())
    if filters.sector.strip():  # a code or a name; a code keeps the positions under it (C11 → 11.02…)
        qs = qs.filter(sector__in=sector_codes_within(sector_code(filters.sector) or filters.sector.strip()))
    return qs.order_by("name", "pk")


@api.post("/firms", response={201: FirmOut, **WRITE}, tags=["firms"], summary="Create a firm")
def create_firm(request: HttpRequest, payload: FirmIn) -> Status:
    _editor(request)
    return Status(201, _firm_form(request, _form_data(payload.model_dump())))


@api.get("/firms/{firm_id}", response={200: FirmOut, **READ_ONE}, tags=["firms"], summary="A firm")
def get_firm(request: HttpRequest, firm_id: int) -> Firm:
    return _get(tenancy.firms(request.user), firm_id, "firm")


@api.patch("/firms/{firm_id}", response={200: FirmOut, **WRITE_ONE}, tags=["firms"], summary="Change a firm")
def update_firm(request: HttpRequest, firm_id: int, payload: FirmPatch) -> Firm:
    firm = _get(tenancy.firms(request.user), firm_id, "firm")
    _editor(request)
    from innexport.web.views.firms import FirmForm

    data = _form_data(model_to_dict(firm, fields=FirmForm.Meta.fields))
    data.update(_form_data(payload.model_dump(exclude_unset=True)))
    return _firm_form(request, data, instance=firm)


@api.delete("/firms/{firm_id}", response={204: None, **WRITE_ONE}, tags=["firms"],
            summary="Erase a firm with all its assessments, answers and results")
def delete_firm(request: HttpRequest, firm_id: int) -> Status:
    firm = _get(tenancy.firms(request.user), firm_id, "firm")
    _editor(request)
    tenancy.erase_firm(request, firm, via=" (API)")
    return Status(204, None)


# --- assessments -----------------------------------------------------------------------------------


class AssessmentIn(Schema):
    model_config = ConfigDict(extra="forbid")

    framework: int = Field(..., description="id of a published framework version (GET /api/frameworks)",
                           examples=[2])
    lang: Lang | None = Field(None, description="language of the report (default: yours)", examples=["es"])
    assessed_on: dt.date | None = Field(None, description="date of the assessment (default: today)",
                                        examples=["2025-03-14"])
    assessor: str = Field("", max_length=200, examples=["Ana Pérez"])


class Progress(Schema):
    answered: int = Field(..., description="questions with an answer (don't know included)")
    total: int


class AnswerOut(Schema):
    value: str = Field(..., description=f"the level code, '{DONT_KNOW}', or '' (unanswered)", examples=["often"])
    comment: str
    updated_at: dt.datetime


class AssessmentSummary(Schema):
    id: int
    firm: int = Field(..., description="the firm's id")
    framework: FrameworkOut
    lang: str
    status: str = Field(..., description="draft or completed")
    assessed_on: dt.date
    assessor: str
    created_at: dt.datetime
    updated_at: dt.datetime
    completed_at: dt.datetime | None
    scored: bool = Field(..., description="whether a result is kept (changing an answer drops it)")
    progress: Progress


class AssessmentOut(AssessmentSummary):
    answers: dict[str, AnswerOut] = Field(..., description="by question id")


def _assessment_out(a: Assessment, *, answers: bool = True) -> dict[str, Any]:
    fw = services.framework_of(a.framework)
    saved = [x for x in a.answers.all() if x.respondent_id is None]  # the first respondent's (see /respondents)
    out = {
        "id": a.pk, "firm": a.firm_id, "framework": _framework_out(a.framework), "lang": a.lang, "status": a.status,
        "assessed_on": a.assessed_on, "assessor": a.assessor, "created_at": a.created_at, "updated_at": a.updated_at,
        "completed_at": a.completed_at, "scored": a.result is not None,
        "progress": {"answered": sum(1 for x in saved if x.value), "total": len(fw.observables)},
    }
    if answers:
        out["answers"] = {x.question_id: {"value": x.value, "comment": x.comment, "updated_at": x.updated_at}
                          for x in sorted(saved, key=lambda x: x.question_id)}
    return out


@api.get("/firms/{firm_id}/assessments", response={200: list[AssessmentSummary], **READ_ONE}, tags=["assessments"],
         summary="A firm's assessments, latest first")
def list_assessments(request: HttpRequest, firm_id: int) -> list[dict[str, Any]]:
    firm = _get(tenancy.firms(request.user), firm_id, "firm")
    qs = tenancy.assessments(request.user).filter(firm=firm).prefetch_related("answers")
    return [_assessment_out(a, answers=False) for a in qs]


@api.post("/firms/{firm_id}/assessments", response={201: AssessmentOut, **WRITE_ONE}, tags=["assessments"],
          summary="Start an assessment of a firm with a published framework version")
def start_assessment(request: HttpRequest, firm_id: int, payload: AssessmentIn) -> Status:
    firm = _get(tenancy.firms(request.user), firm_id, "firm")
    m = tenancy.require_editor(request.user)
    version = services.published_frameworks().filter(pk=payload.framework).first()
    if version is None:
        raise Rejected(400, f"framework: {payload.framework} is not the id of a published framework version "
                            "(see GET /api/frameworks)", errors={"framework": ["unknown framework version"]})
    lang = payload.lang or m.language
    a = services.create_assessment(firm, version, lang=lang, actor=request, assessed_on=payload.assessed_on,
                                   assessor=payload.assessor, note="(API)")
    return Status(201, _assessment_out(a))


@api.get("/assessments/{assessment_id}", response={200: AssessmentOut, **READ_ONE}, tags=["assessments"],
         summary="An assessment: status, progress, framework and answers")
def get_assessment(request: HttpRequest, assessment_id: int) -> dict[str, Any]:
    return _assessment_out(_get(tenancy.assessments(request.user), assessment_id, "assessment"))


# --- answers -----------------------------------------------------------------------------------------


class AnswerIn(Schema):
    model_config = ConfigDict(extra="forbid")

    value: str | None = Field("", description=f"a level code of the question's scale (or its label in any "
                                              f"language, or its value), '{DONT_KNOW}' (don't know), or '' to "
                                              "clear the answer", examples=["yes"])
    comment: str | None = Field(None, max_length=COMMENT_MAX_LENGTH, description="left unchanged when omitted",
                                examples=["Exports mostly to Brazil"])


class SavedAnswerOut(Schema):
    question_id: str
    value: str
    comment: str
    progress: Progress


class AnswersIn(Schema):
    model_config = ConfigDict(extra="forbid")

    answers: dict[str, str | None] = Field(default_factory=dict, description="answer by question id",
                                           examples=[{"net_weak_ties_support_bodies": "often", "exp_fairs": DONT_KNOW}])
    comments: dict[str, str] = Field(default_factory=dict,
                                     description=f"comment by question id (optional; at most {COMMENT_MAX_LENGTH} "
                                                 "characters each)",
                                     examples=[{"net_weak_ties_support_bodies": "the regional chamber"}])


class SavedAnswersOut(Schema):
    saved: int = Field(..., description="answers and comments saved")
    progress: Progress


def _answerable(request: HttpRequest, assessment_id: int) -> Assessment:
    a = _get(tenancy.assessments(request.user), assessment_id, "assessment")
    _editor(request)
    return a


def _respondent(a: Assessment, respondent: int | None) -> Respondent | None:
    """The assessment's respondent ``respondent`` (None: the first respondent), or 404 (also for a
    respondent of another assessment or organisation)."""
    if respondent is None:
        return None
    found = Respondent.objects.filter(assessment=a, pk=respondent).first()
    if found is None:
        raise HttpError(404, f"respondent {respondent} not found in assessment {a.pk}")
    return found


@api.get("/assessments/{assessment_id}/answers", response={200: dict[str, AnswerOut], **READ_ONE}, tags=["answers"],
         summary="One respondent's answers, by question id (?respondent=<id>; omitted: the first respondent's)")
def get_answers(request: HttpRequest, assessment_id: int, respondent: int | None = None) -> dict[str, Any]:
    a = _get(tenancy.assessments(request.user), assessment_id, "assessment")
    saved = services.answers_of(a, _respondent(a, respondent))
    return {q: {"value": x.value, "comment": x.comment, "updated_at": x.updated_at} for q, x in sorted(saved.items())}


@api.put("/assessments/{assessment_id}/answers/{question_id}", response={200: SavedAnswerOut, **WRITE_ONE, 409: Error},
         tags=["answers"], summary="Answer one question (or clear it with an empty value); ?respondent=<id>: as a "
                                   "further respondent")
def put_answer(request: HttpRequest, assessment_id: int, question_id: str, payload: AnswerIn,
               respondent: int | None = None) -> dict[str, Any]:
    a = _answerable(request, assessment_id)
    person = _respondent(a, respondent)
    try:
        saved = services.save_answer(a, question_id, payload.value or "", payload.comment, user=request.user,
                                     respondent=person)
    except services.AnswerRejected as exc:
        raise Rejected(400, str(exc), errors={question_id: [str(exc)]}) from None
    except services.AssessmentCompleted:
        raise _frozen(a) from None
    return {"question_id": saved.question_id, "value": saved.value, "comment": saved.comment,
            "progress": {"answered": saved.answered, "total": saved.total}}


@api.put("/assessments/{assessment_id}/answers", response={200: SavedAnswersOut, **WRITE_ONE, 409: Error},
         tags=["answers"],
         summary="Answer many questions at once: all are checked first, and none is saved if one is wrong; "
                 "?respondent=<id>: as a further respondent")
def put_answers(request: HttpRequest, assessment_id: int, payload: AnswersIn,
                respondent: int | None = None) -> dict[str, Any]:
    a = _answerable(request, assessment_id)
    person = _respondent(a, respondent)
    changes: dict[str, tuple[str | None, str | None]] = {q: (v or "", payload.comments.get(q))
                                                         for q, v in payload.answers.items()}
    changes.update({q: (None, c) for q, c in payload.comments.items() if q not in changes})
    try:
        progress = services.save_answers(a, changes, user=request.user, respondent=person)
    except services.AnswersRejected as exc:
        raise Rejected(400, str(exc), errors=exc.errors) from None
    except services.AssessmentCompleted:
        raise _frozen(a) from None
    return {"saved": len(changes), "progress": {"answered": progress.answered, "total": progress.total}}


def _frozen(a: Assessment) -> Rejected:
    return Rejected(409, f"assessment {a.pk} is completed: its answers and comments can no longer be changed "
                         "(start a new assessment of the firm to assess it again)")


# --- respondents -------------------------------------------------------------------------------------


class RespondentIn(Schema):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(..., min_length=1, max_length=team.NAME_MAX, examples=["Luis Rojas"])
    role: RespondentRole = Field("other", description=f"one of {', '.join(RESPONDENT_ROLES)}",
                                 examples=["export_manager"])
    email: str = Field("", max_length=254, description="where their private link may be e-mailed (optional)",
                       examples=["luis@example.org"])


class RespondentApiOut(Schema):
    id: int | None = Field(..., description="null: the first respondent (the assessment's own answers, the "
                                            "director's link); else give it as ?respondent= to the answers")
    name: str
    role: str = Field(..., description=f"one of {', '.join(RESPONDENT_ROLES)}")
    email: str
    answered: int = Field(..., description="questions answered with a level of their scale")
    dont_know: int
    total: int
    link_valid: bool = Field(..., description="whether their private link opens the questionnaire now")
    expires_at: dt.datetime | None
    finished_at: dt.datetime | None = Field(..., description="when they said they had finished through their link")


def _respondent_out(a: Assessment, row: team.RespondentRow) -> dict[str, Any]:
    person = row.respondent
    if person is None:
        link = DirectorLink.objects.filter(assessment=a).first()
        return {"id": None, "name": services.respondent_name(a, None), "role": row.role,
                "email": getattr(link, "email", "") or "", "answered": row.answered, "dont_know": row.dont_know,
                "total": row.total,
                "link_valid": a.share_link_valid, "expires_at": a.share_expires_at,
                "finished_at": getattr(link, "finished_at", None)}
    return {"id": person.pk, "name": row.name, "role": row.role, "email": person.email, "answered": row.answered,
            "dont_know": row.dont_know, "total": row.total, "link_valid": person.link_valid,
            "expires_at": person.expires_at, "finished_at": person.finished_at}


@api.get("/assessments/{assessment_id}/respondents", response={200: list[RespondentApiOut], **READ_ONE},
         tags=["respondents"], summary="Who answers the assessment (the first respondent first), with their progress")
def list_respondents(request: HttpRequest, assessment_id: int) -> list[dict[str, Any]]:
    a = _get(tenancy.assessments(request.user), assessment_id, "assessment")
    return [_respondent_out(a, row) for row in team.respondents_of(a)]


@api.post("/assessments/{assessment_id}/respondents", response={201: RespondentApiOut, **WRITE_ONE, 409: Error},
          tags=["respondents"], summary="Add a respondent (their answers: PUT …/answers?respondent=<id>)")
def add_respondent(request: HttpRequest, assessment_id: int, payload: RespondentIn) -> Status:
    a = _answerable(request, assessment_id)
    try:
        person = team.add_respondent(a, name=payload.name, role=payload.role, email=payload.email, actor=request)
    except ValueError as exc:
        field = str(exc).split(":", 1)[0]
        raise Rejected(400, f"invalid respondent — {exc}", errors={field: [str(exc)]}) from None
    except services.AssessmentCompleted:
        raise _frozen(a) from None
    row = next(r for r in team.respondents_of(a) if r.id == person.pk)
    return Status(201, _respondent_out(a, row))


@api.delete("/assessments/{assessment_id}/respondents/{respondent_id}", response={204: None, **WRITE_ONE, 409: Error},
            tags=["respondents"], summary="Remove a respondent with their answers")
def remove_respondent(request: HttpRequest, assessment_id: int, respondent_id: int) -> Status:
    a = _answerable(request, assessment_id)
    person = _respondent(a, respondent_id)
    assert person is not None  # noqa: S101 - _respondent returns one for an id, or raises 404
    try:
        team.remove_respondent(person, request)
    except services.AssessmentCompleted:
        raise _frozen(a) from None
    return Status(204, None)


# --- scoring, results and reports ----------------------------------------------------------------------


class ScoreError(Schema):
    detail: str
    missing: list[str] = Field(..., description="questions without a scored answer (unanswered or don't know)")
    dont_know: list[str] = Field(..., description="questions answered 'don't know'")
    problems: list[str] = Field(..., description="every problem found")


@api.post("/assessments/{assessment_id}/score", response={200: FirmResult, **WRITE_ONE, 422: ScoreError},
          by_alias=True, tags=["results"],
          summary="Score the assessment and mark it completed (refused, naming the missing questions, when too "
                  "few are answered)")
def score_assessment(request: HttpRequest, assessment_id: int) -> FirmResult:
    a = _answerable(request, assessment_id)
    try:
        result = services.complete(a, request, note="(API)").result
    except (AnswersError, FrameworkError) as exc:
        missing, dont_know = services.unscored_questions(a)
        problems = ([str(p) for p in exc.problems] if isinstance(exc, AnswersError)
                    else [str(i) for i in getattr(exc, "issues", [])] or [str(exc)])
        what = "too few questions answered to score" if isinstance(exc, IncompleteError) else "cannot be scored"
        raise Rejected(422, f"assessment {a.pk}: {what}: {exc}", missing=missing if isinstance(exc, IncompleteError)
                       else [], dont_know=dont_know, problems=problems) from None
    return result


def _scored(request: HttpRequest, assessment_id: int) -> tuple[Assessment, FirmResult]:
    a = _get(tenancy.assessments(request.user), assessment_id, "assessment")
    try:
        return a, services.completed_result(a)
    except services.NoResult as exc:
        if exc.reason == "draft":
            raise HttpError(409, f"assessment {a.pk} has no result yet (POST /api/assessments/{a.pk}/score "
                                 "first)") from None
        raise HttpError(409, f"assessment {a.pk} is completed but its answers cannot be scored") from None


@api.get("/assessments/{assessment_id}/result", response={200: FirmResult, **READ_ONE, 409: Error}, by_alias=True,
         tags=["results"], summary="The result: indices, classes, quadrant, priorities and next-class plan")
def get_result(request: HttpRequest, assessment_id: int) -> FirmResult:
    return _scored(request, assessment_id)[1]


@api.get("/assessments/{assessment_id}/report.pdf", response={200: None, **READ_ONE, 409: Error}, tags=["results"],
         summary="The report as PDF",
         openapi_extra={"responses": {200: {"description": "the report",
                                            "content": {"application/pdf": {"schema": {"type": "string",
                                                                                       "format": "binary"}}}}}})
def report_pdf(request: HttpRequest, assessment_id: int) -> HttpResponse:
    a, result = _scored(request, assessment_id)
    pdf = services.report_pdf(a, result)
    tenancy.record(request, AuditEntry.Action.EXPORT, a, "report PDF (API)")
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{services.report_filename(a, "pdf")}"'
    return response


@api.get("/assessments/{assessment_id}/report.html", response={200: None, **READ_ONE, 409: Error}, tags=["results"],
         summary="The report as a self-contained HTML page",
         openapi_extra={"responses": {200: {"description": "the report",
                                            "content": {"text/html": {"schema": {"type": "string"}}}}}})
def report_html(request: HttpRequest, assessment_id: int) -> HttpResponse:
    a, result = _scored(request, assessment_id)
    html = services.report_html(a, result)
    tenancy.record(request, AuditEntry.Action.EXPORT, a, "report HTML (API)")
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{services.report_filename(a, "html")}"'
    return response


@api.get("/assessments/{assessment_id}/plan", response={200: ActionPlanOut, **READ_ONE}, tags=["results"],
         summary="The action plan made from the assessment: actions, owners, due dates, statuses, programmes")
def get_plan(request: HttpRequest, assessment_id: int) -> ActionPlanOut:
    a = _get(tenancy.assessments(request.user), assessment_id, "assessment")
    plan = plans.core_plan_of(a)
    if plan is None:
        raise HttpError(404, f"assessment {a.pk} has no action plan yet (an advisor makes it on its results page)")
    return plan


api.add_router("", "innexport.web.api_benchmark.router")  # GET …/benchmark, GET /benchmark/reference
api.add_router("", "innexport.web.api_reviews.router")  # …/reviews: the advisor's validation of answers
api.add_router("", "innexport.web.api_assessments.router")  # GET /assessments: flat data for BI tools
api.add_router("", "innexport.web.api_imports.router")  # POST /answers/import: files and platform exports
api.add_router("", "innexport.web.api_portfolio.router")  # GET /portfolio/promethee: PROMETHEE II and GAIA

urlpatterns = [path("", api.urls)]
