"""Starting a diagnostic, the guided questionnaire (one dimension per page) and autosave.

The questionnaire works as plain HTML forms: each page's POST saves its answers and moves on.
With ``static/web/questionnaire.js`` every answer is also sent as it is given to the JSON
endpoint ``assessment-answer`` (kept in a local queue until the server has it). The director's
private link (:mod:`innexport.web.views.share`) reuses the same pages and helpers.

Texts of the framework (dimensions, activities, questions, help, levels) are shown in the
assessment's language; the interface around them in the user's.

Every step of the assessment's life (start, save answers, complete, open or revoke the director's
link) is :mod:`innexport.web.services`'s: these views read the request, call the service and map
its refusals to responses (a bad answer: 400 naming the question; a completed assessment: 409).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_http_methods, require_POST

from innexport.core.answers import COMMENT_MAX_LENGTH
from innexport.core.assessment import AnswersError, IncompleteError
from innexport.core.framework import DONT_KNOW, Dimension, Framework
from innexport.rendering.i18n import t
from innexport.rendering.questionnaire import dont_know_label
from innexport.web import services, tenancy
from innexport.web.language import interface_language
from innexport.web.middleware import BadInput, MalformedJson, autosave_error, json_errors, parse_json_body
from innexport.web.models import Answer, Assessment, Firm, FrameworkVersion
from innexport.web.services import MAX_SHARE_DAYS, AnswerRejected, AnswersRejected, AssessmentCompleted
from innexport.web.tenancy import member_required

# --- the questionnaire of one assessment -------------------------------------------------------------


@dataclass
class QuestionView:
    id: str
    number: int
    text: str
    help: str
    choices: list[tuple[str, str]]
    value: str = ""
    comment: str = ""
    value_label: str = ""
    error: str = ""


@dataclass
class ActivityView:
    id: str
    name: str
    tag: str
    tag_label: str
    questions: list[QuestionView] = field(default_factory=list)


@dataclass
class PageView:
    number: int
    name: str
    answered: int
    total: int
    url: str
    current: bool = False

    @property
    def done(self) -> bool:
        return self.answered == self.total


@dataclass
class MissingQuestion:
    id: str
    number: int
    text: str
    page: int
    dont_know: bool
    url: str = ""


class Questionnaire:
    """One assessment's questionnaire: its pages (one per dimension of the framework), answers and progress."""

    def __init__(self, assessment: Assessment):
        self.assessment = assessment
        self.fw: Framework = services.framework_of(assessment.framework)
        self.lang = assessment.lang
        self.reload()

    def reload(self) -> None:
        self.answers: dict[str, Answer] = services.answers_of(self.assessment)

    @property
    def n_pages(self) -> int:
        return len(self.fw.dimensions)

    def dimension(self, page: int) -> Dimension:
        if not 1 <= page <= self.n_pages:
            raise Http404("no such page")
        return self.fw.dimensions[page - 1]

    def page_of(self, question_id: str) -> int:
        return _page_index(self.fw)[question_id]

    def value(self, question_id: str) -> str:
        answer = self.answers.get(question_id)
        return answer.value if answer else ""

    @property
    def total(self) -> int:
        return len(self.fw.observables)

    @property
    def answered(self) -> int:
        return sum(1 for o in self.fw.observables if self.value(o.id))

    def page_counts(self, page: int) -> tuple[int, int]:
        observables = [o for a in self.dimension(page).activities for o in a.observables]
        return sum(1 for o in observables if self.value(o.id)), len(observables)

    def pages(self, page_url: Callable[[int], str], current: int | None = None) -> list[PageView]:
        out = []
        for n, dim in enumerate(self.fw.dimensions, start=1):
            answered, total = self.page_counts(n)
            out.append(PageView(n, dim.name[self.lang], answered, total, page_url(n), n == current))
        return out

    def first_unanswered_page(self) -> int:
        """Where to resume: the first page with an unanswered question (the last page when all are)."""
        for o in self.fw.observables:
            if not self.value(o.id):
                return self.page_of(o.id)
        return self.n_pages

    def missing(self, page_url: Callable[[int], str]) -> list[MissingQuestion]:
        """The questions without a scored answer (unanswered or "don't know"), in order."""
        numbers = _numbers(self.fw)
        out = []
        for o in self.fw.observables:
            value = self.value(o.id)
            if value and value != DONT_KNOW:
                continue
            page = self.page_of(o.id)
            out.append(MissingQuestion(o.id, numbers[o.id], o.question[self.lang], page, value == DONT_KNOW,
                                       f"{page_url(page)}#q-{o.id}"))
        return out

    def activities(self, page: int, posted: Mapping[str, str] | None = None,
                   errors: Mapping[str, str] | None = None) -> list[ActivityView]:
        """The activities and questions of a page, with their answers (or the values just posted)."""
        lang, numbers, dk = self.lang, _numbers(self.fw), dont_know_label(self.lang)
        out = []
        for act in self.dimension(page).activities:
            view = ActivityView(act.id, act.name[lang], act.tag, t(f"questionnaire.tag.{act.tag}", lang))
            for o in act.observables:
                answer = self.answers.get(o.id)
                choices = [(level.code, level.label[lang]) for level in self.fw.scale_by_id[o.scale].levels]
                value = answer.value if answer else ""
                comment = answer.comment if answer else ""
                if posted is not None:
                    value = posted.get(f"q-{o.id}", value)
                    comment = posted.get(f"c-{o.id}", comment)
                labels = dict(choices) | {DONT_KNOW: dk}
                view.questions.append(QuestionView(
                    id=o.id, number=numbers[o.id], text=o.question[lang], help=o.help[lang], choices=choices,
                    value=value, comment=comment, value_label=labels.get(value, ""),
                    error=(errors or {}).get(o.id, ""),
                ))
            out.append(view)
        return out

    def save_posted(self, page: int, post: Mapping[str, str], *, user: Any = None,
                    via_share_link: bool = False) -> dict[str, str]:
        """Save what a page's form posted (``q-<id>``: an answer; ``c-<id>``: a comment) with
        :func:`services.save_answers`: when one is refused nothing is saved and the errors are
        returned by question. A question without a posted value keeps its answer. A completed
        assessment raises :class:`~innexport.web.services.AssessmentCompleted`.
        """
        changes = {o.id: (post.get(f"q-{o.id}"), post.get(f"c-{o.id}"))
                   for act in self.dimension(page).activities for o in act.observables}
        try:
            services.save_answers(self.assessment, {q: c for q, c in changes.items() if c != (None, None)},
                                  user=user, via_share_link=via_share_link)
        except AnswersRejected as exc:
            return {q: " ".join(messages) for q, messages in exc.errors.items()}
        self.reload()
        return {}


def _page_index(fw: Framework) -> dict[str, int]:
    return {o.id: n for n, dim in enumerate(fw.dimensions, start=1) for a in dim.activities for o in a.observables}


def _numbers(fw: Framework) -> dict[str, int]:
    return {o.id: n for n, o in enumerate(fw.observables, start=1)}


def page_context(q: Questionnaire, page: int, *, editable: bool, page_url: Callable[[int], str],
                 answer_url: str, form_action: str, posted: Mapping[str, str] | None = None,
                 errors: Mapping[str, str] | None = None) -> dict[str, Any]:
    """What ``assessment_questions.html`` (and the pages around it) needs to show a page."""
    dim = q.dimension(page)
    answered, total = q.answered, q.total
    return {
        "assessment": q.assessment, "firm": q.assessment.firm, "framework_label": q.fw.label,
        "page": page, "n_pages": q.n_pages, "dimension_name": dim.name[q.lang],
        "dimension_description": dim.description[q.lang] if dim.description else "",
        "activities": q.activities(page, posted, errors), "errors": errors or {},
        "pages": q.pages(page_url, page), "answered": answered, "total": total,
        "percent": round(100 * answered / total) if total else 0,
        "prev_url": page_url(page - 1) if page > 1 else "", "next_url": page_url(page + 1) if page < q.n_pages else "",
        "editable": editable, "answer_url": answer_url, "form_action": form_action,
        "completed": q.assessment.completed, "comment_max": COMMENT_MAX_LENGTH,
        "dont_know": dont_know_label(q.lang), "queue_key": f"innexport:answers:{answer_url}",
    }


def nav_target(nav: str, page: int, n_pages: int) -> int:
    """The page a form's navigation button leads to (``prev``, ``next``, ``save`` or ``page-N``)."""
    if nav == "prev":
        return max(page - 1, 1)
    if nav == "next":
        return min(page + 1, n_pages)
    if nav.startswith("page-") and nav[5:].isdigit():
        return min(max(int(nav[5:]), 1), n_pages)
    return page


def json_error(message: str, status: int = 400) -> JsonResponse:
    """The autosave's refusal, ``{"ok": false, "error": message}``."""
    return autosave_error(message, status)


def completed_message() -> str:
    """What a refused change of a completed diagnostic says (the service's refusal)."""
    return AssessmentCompleted(None).message


def answer_from_json(request: HttpRequest, assessment: Assessment, *, user: Any = None,
                     via_share_link: bool = False) -> JsonResponse:
    """Autosave one answer: ``{"question_id", "value", "comment"}`` in, the progress out.

    ``value`` is an answer the core accepts (:mod:`innexport.core.answers`: a level code, ``dk``,
    or ``""`` to clear…); leaving out ``value`` (or ``comment``) keeps the one saved. Anything
    invalid is refused (400) and nothing saved; a completed assessment refuses every change (409).
    The body is read by :func:`~innexport.web.middleware.parse_json_body` (bounded depth and size, no
    NUL character); a body over Django's size limit, or a database outage, is answered in JSON by
    :class:`~innexport.web.middleware.EdgeMiddleware` (the view is marked
    :func:`~innexport.web.middleware.json_errors`).
    """
    try:
        data = parse_json_body(request.body)
    except MalformedJson as exc:
        return json_error(f"malformed JSON body: {exc.reason}")
    except BadInput as exc:  # too deep, too many members, a character no database stores
        return json_error(exc.message, exc.status)
    if not isinstance(data, dict):
        return json_error('expected a JSON object {"question_id": ..., "value": ..., "comment": ...}')
    question_id, value, comment = data.get("question_id"), data.get("value"), data.get("comment")
    if not isinstance(question_id, str) or not question_id:
        return json_error("question_id is missing")
    if value is not None and not isinstance(value, str):
        return json_error(f"question {question_id}: the value must be a string (a level code, '{DONT_KNOW}', "
                          "or '' to clear)")
    if comment is not None and not isinstance(comment, str):
        return json_error(f"question {question_id}: the comment must be a string")
    if value is None and comment is None:
        return json_error(f"question {question_id}: nothing to save (give a value, a comment or both)")
    try:
        saved = services.save_answer(assessment, question_id, value, comment, user=user,
                                     via_share_link=via_share_link)
    except AnswerRejected as exc:
        return json_error(str(exc))
    except AssessmentCompleted as exc:
        return json_error(exc.message, 409)
    q = Questionnaire(assessment)
    page = q.page_of(question_id)
    page_answered, page_total = q.page_counts(page)
    return JsonResponse({
        "ok": True, "question_id": question_id, "value": saved.value, "comment": saved.comment,
        "answered": saved.answered, "total": saved.total,
        "page": page, "page_answered": page_answered, "page_total": page_total,
    }, json_dumps_params={"ensure_ascii": False})


# --- starting a diagnostic ----------------------------------------------------------------------------


def framework_choice_label(version: FrameworkVersion) -> str:
    fw = services.framework_of(version)
    lang = interface_language()
    n = len(fw.observables)
    title = fw.title.get(lang)
    return ngettext("%(title)s — %(label)s (%(n)d question)", "%(title)s — %(label)s (%(n)d questions)", n) % {
        "title": title, "label": version.label, "n": n}


def default_framework(firm: Firm, versions: list[FrameworkVersion]) -> FrameworkVersion | None:
    """The iiep framework with the wine module for wine makers (NACE 11.02), plain iiep otherwise."""
    modules = ["wine"] if (firm.sector or "").strip().startswith("11.02") else []
    newest_first = sorted(versions, key=lambda v: v.created_at, reverse=True)
    for v in newest_first:
        if v.framework_id == "iiep" and list(v.modules) == modules:
            return v
    return next((v for v in newest_first if v.framework_id == "iiep"), versions[0] if versions else None)


class FrameworkChoiceField(forms.ModelChoiceField):
    """A published framework version, each choice labelled by :func:`framework_choice_label`."""

    def label_from_instance(self, obj: FrameworkVersion) -> str:
        return framework_choice_label(obj)


class StartForm(forms.Form):
    framework = FrameworkChoiceField(label=_lazy("Framework"), queryset=FrameworkVersion.objects.none(),
                                       empty_label=None,
                                       help_text=_lazy("The framework (and sector module) the diagnostic uses."))
    lang = forms.ChoiceField(label=_lazy("Language of the questionnaire"), choices=settings.LANGUAGES,
                             help_text=_lazy("The questions and the report are in this language."))
    assessed_on = forms.DateField(label=_lazy("Date of the assessment"),
                                  widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))
    assessor = forms.CharField(label=_lazy("Assessor"), max_length=200, required=False)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        field_ = cast(FrameworkChoiceField, self.fields["framework"])
        field_.queryset = services.published_frameworks()
        field_.error_messages["invalid_choice"] = _lazy("Choose one of the published frameworks.")

    def clean_assessed_on(self):
        day = self.cleaned_data["assessed_on"]
        if day > timezone.localdate() + timedelta(days=366) or day.year < 2000:
            raise forms.ValidationError(_("Give a date between 2000 and next year."))
        return day


@member_required
def assessment_start(request: HttpRequest, pk: int) -> HttpResponse:
    firm = get_object_or_404(tenancy.firms(request.user), pk=pk)
    membership = tenancy.require_editor(request.user)
    user = tenancy.signed_in(request)
    versions = list(services.published_frameworks())
    default = default_framework(firm, versions)
    initial = {
        "framework": default.pk if default else None, "lang": membership.language,
        "assessed_on": timezone.localdate(),
        "assessor": user.get_full_name().strip() or user.get_username(),
    }
    form = StartForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        assessment = services.create_assessment(firm, data["framework"], lang=data["lang"], actor=request,
                                                assessed_on=data["assessed_on"], assessor=data["assessor"])
        return redirect("assessment-page", pk=assessment.pk, page=1)
    status = 400 if request.method == "POST" else 200
    return render(request, "web/assessment_start.html", {"form": form, "firm": firm, "has_frameworks": bool(versions)},
                  status=status)


# --- the questionnaire (advisor side) -------------------------------------------------------------------


def _assessment(request: HttpRequest, pk: int) -> Assessment:
    return get_object_or_404(tenancy.assessments(request.user), pk=pk)


def _advisor_urls(assessment: Assessment) -> tuple[Callable[[int], str], str]:
    return (lambda n: reverse("assessment-page", args=[assessment.pk, n])), reverse("assessment-answer",
                                                                                  args=[assessment.pk])


def _render_page(request: HttpRequest, q: Questionnaire, page: int, *, status: int = 200,
                 posted: Mapping[str, str] | None = None, errors: Mapping[str, str] | None = None,
                 incomplete: dict[str, Any] | None = None) -> HttpResponse:
    assessment = q.assessment
    can_edit = tenancy.membership(request.user).can_edit
    page_url, answer_url = _advisor_urls(assessment)
    context = page_context(q, page, editable=can_edit and not assessment.completed,
                           page_url=page_url, answer_url=answer_url,
                           form_action=reverse("assessment-page", args=[assessment.pk, page]),
                           posted=posted, errors=errors)
    context.update({
        "can_edit": can_edit, "incomplete": incomplete, "is_share": False,
        "complete_url": reverse("assessment-complete", args=[assessment.pk]),
        "share_url": request.build_absolute_uri(reverse("share-start", args=[assessment.share_token]))
        if assessment.share_token else "",
        "share_valid": assessment.share_link_valid, "share_days": settings.SHARE_LINK_DAYS,
        "max_share_days": MAX_SHARE_DAYS,
    })
    return render(request, "web/assessment_page.html", context, status=status)


@member_required
def assessment_questionnaire(request: HttpRequest, pk: int) -> HttpResponse:
    """Resume: the first page with an unanswered question (a completed diagnostic shows its results)."""
    assessment = _assessment(request, pk)
    if assessment.completed:
        return redirect("assessment-results", pk=assessment.pk)
    return redirect("assessment-page", pk=assessment.pk, page=Questionnaire(assessment).first_unanswered_page())


@require_http_methods(["GET", "HEAD", "POST"])
@member_required
@ensure_csrf_cookie
def assessment_page(request: HttpRequest, pk: int, page: int) -> HttpResponse:
    """One dimension's questions; the POST saves them all and goes to the page asked for."""
    assessment = _assessment(request, pk)
    q = Questionnaire(assessment)
    q.dimension(page)
    if request.method != "POST":
        return _render_page(request, q, page)
    tenancy.require_editor(request.user)
    try:
        errors = q.save_posted(page, request.POST, user=request.user)
    except AssessmentCompleted as exc:
        messages.error(request, exc.message)
        return _render_page(request, q, page, status=409)
    if errors:
        return _render_page(request, q, page, status=400, posted=request.POST, errors=errors)
    nav = request.POST.get("nav", "next")
    if nav == "save":
        messages.success(request, _("Answers saved."))
    return redirect("assessment-page", pk=assessment.pk, page=nav_target(nav, page, q.n_pages))


@json_errors
@require_POST
@member_required
def assessment_answer(request: HttpRequest, pk: int) -> JsonResponse:
    """Autosave (JSON), used by questionnaire.js."""
    assessment = _assessment(request, pk)
    try:
        tenancy.require_editor(request.user)
    except PermissionDenied as exc:
        return json_error(str(exc), 403)
    return answer_from_json(request, assessment, user=request.user)


@require_POST
@member_required
def assessment_complete(request: HttpRequest, pk: int) -> HttpResponse:
    """Save the posted page, score the diagnostic and mark it completed; too few answers → say which are missing."""
    assessment = _assessment(request, pk)
    tenancy.require_editor(request.user)
    q = Questionnaire(assessment)
    try:
        page = min(max(int(request.POST.get("page", q.n_pages)), 1), q.n_pages)
    except ValueError:
        page = q.n_pages
    try:
        errors = q.save_posted(page, request.POST, user=request.user)
        if errors:
            return _render_page(request, q, page, status=400, posted=request.POST, errors=errors)
        completion = services.complete(assessment, request)
    except AssessmentCompleted:
        completion = None
    except IncompleteError:
        return _render_page(request, q, page, status=400, incomplete=_incomplete(q))
    except AnswersError as exc:
        return _render_page(request, q, page, status=400, incomplete={"message": str(exc), "missing": []})
    if completion is None or completion.already:
        messages.info(request, _("This diagnostic was already completed."))
        return redirect("assessment-results", pk=assessment.pk)
    messages.success(request, _("The diagnostic is completed."))
    return redirect("assessment-results", pk=assessment.pk)


def _incomplete(q: Questionnaire) -> dict[str, Any]:
    page_url, _answer = _advisor_urls(q.assessment)
    missing = q.missing(page_url)
    scored = q.total - len(missing)
    message = _("Too few answers to compute the diagnostic: %(scored)d of the %(total)d questions have an answer "
                "(%(share)d%%), at least %(floor)d%% are needed. “Don't know” does not count. Answer some of "
                "these questions:") % {
        "scored": scored, "total": q.total, "share": int(100 * scored / q.total) if q.total else 0,
        "floor": round(100 * q.fw.scoring.min_completeness),
    }
    by_page: dict[int, list[MissingQuestion]] = {}
    for m in missing:
        by_page.setdefault(m.page, []).append(m)
    groups = [{"page": n, "name": q.fw.dimensions[n - 1].name[q.lang], "url": page_url(n), "questions": qs}
              for n, qs in by_page.items()]
    return {"message": message, "missing": missing, "groups": groups}


@require_POST
@member_required
def assessment_share(request: HttpRequest, pk: int) -> HttpResponse:
    """Open (or extend) the director's private link for N days, or revoke it."""
    assessment = _assessment(request, pk)
    tenancy.require_editor(request.user)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        back = reverse("assessment-questionnaire", args=[assessment.pk])
    action = request.POST.get("action", "open")
    if action == "revoke":
        services.revoke_share_link(assessment, request)
        messages.success(request, _("The director's link is revoked: it no longer opens the questionnaire."))
        return redirect(back)
    if action != "open":
        return HttpResponseBadRequest("action must be 'open' or 'revoke'")
    try:
        days = int(request.POST.get("days", settings.SHARE_LINK_DAYS))
    except ValueError:
        days = 0
    if not 1 <= days <= MAX_SHARE_DAYS:
        messages.error(request, _("The link must be valid for 1 to %(max)d days.") % {"max": MAX_SHARE_DAYS})
        return redirect(back)
    try:
        services.open_share_link(assessment, days, request)
    except AssessmentCompleted as exc:
        messages.error(request, exc.message)
        return redirect(back)
    messages.success(request, _("The director's link is valid until %(date)s.") % {
        "date": date_format(timezone.localtime(assessment.share_expires_at), "SHORT_DATETIME_FORMAT")})
    return redirect(back)


urlpatterns = [
    path("firms/<int:pk>/assessments/new/", assessment_start, name="assessment-start"),
    path("assessments/<int:pk>/", assessment_questionnaire, name="assessment-questionnaire"),
    path("assessments/<int:pk>/page/<int:page>/", assessment_page, name="assessment-page"),
    path("assessments/<int:pk>/answer/", assessment_answer, name="assessment-answer"),
    path("assessments/<int:pk>/complete/", assessment_complete, name="assessment-complete"),
    path("assessments/<int:pk>/share/", assessment_share, name="assessment-share"),
]
