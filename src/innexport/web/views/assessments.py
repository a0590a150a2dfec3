"""Starting a diagnostic, the guided questionnaire (one dimension per page) and autosave.

The questionnaire works as plain HTML forms: each page's POST saves its answers and moves on.
With ``static/web/questionnaire.js`` every answer is also sent as it is given to the JSON
endpoint ``assessment-answer`` (kept in a local queue until the server has it). The director's
private link (:mod:`innexport.web.views.share`) reuses the same pages and helpers.

One language per questionnaire: everything of its pages (the framework's texts, and every control,
heading, status and message around them, the JavaScript's too) is in the assessment's language
(``assessment.lang``), whatever the advisor's interface language. The advisor's pages render their
``<main>`` content under ``{% language assessment.lang %}`` (the header and menu of the application
stay in the advisor's language); the director's private link is entirely in the assessment's language.
A new questionnaire's language is proposed from the firm's country
(:func:`innexport.web.language.questionnaire_language`).

Honest progress: a question is *answered* when it has a level of its scale; "don't know" is counted
apart, and does not count towards the completeness floor, the framework's
``scoring.min_completeness`` (:class:`innexport.core.framework.ScoringSettings` holds its default,
:func:`innexport.core.assessment.diagnose` applies it). Every page shows that floor and how many
more answers it needs (:class:`Progress`), and each autosaved answer's reply carries the same
texts, so that they follow the answers as they are given.

Several respondents: each page shows one respondent's answers (``?respondent=<id>`` on the pages, the
form and the autosave: :func:`chosen_respondent`; none: the first respondent's), with a box listing
every respondent and their progress (:func:`respondents_box`); completing scores all of them
consolidated (:func:`innexport.web.services.team_of`).

Every step of the assessment's life (start, save answers, complete, open or revoke the director's
link) is :mod:`innexport.web.services`'s: these views read the request, call the service and map
its refusals to responses (a bad answer: 400 naming the question; a completed assessment: 409).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
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
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_http_methods, require_POST

from innexport.core.answers import COMMENT_MAX_LENGTH
from innexport.core.assessment import AnswersError, IncompleteError, floor_percent, scored_needed
from innexport.core.framework import DONT_KNOW, Dimension, Framework, Observable
from innexport.files.frameworks import modules_for_sector
from innexport.rendering.countries import country_language, country_name
from innexport.rendering.i18n import t, translator
from innexport.rendering.questionnaire import dont_know_label
from innexport.web import respondents, services, tenancy
from innexport.web.language import interface_language, questionnaire_language
from innexport.web.middleware import BadInput, MalformedJson, autosave_error, json_errors, parse_json_body
from innexport.web.models import Answer, Assessment, Firm, FrameworkVersion, Respondent
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
    """A part of the questionnaire in the list of parts: ``answered`` (a level) and ``dont_know`` apart."""

    number: int
    name: str
    answered: int
    total: int
    url: str
    current: bool = False
    dont_know: int = 0

    @property
    def done(self) -> bool:
        """Every question of the part has been given an answer or "don't know"."""
        return self.answered + self.dont_know == self.total


@dataclass(frozen=True)
class Progress:
    """How far a questionnaire is: questions answered (a level), "don't know", and the floor.

    >>> p = Progress(answered=12, dont_know=3, total=40, floor=0.7)
    >>> p.unanswered, p.required, p.still_needed, p.width(p.answered), p.width(p.dont_know)
    (25, 28, 16, 30.0, 7.5)
    """

    answered: int
    dont_know: int
    total: int
    floor: float

    @property
    def unanswered(self) -> int:
        return self.total - self.answered - self.dont_know

    @property
    def required(self) -> int:
        """Answered questions the results need (:func:`scored_needed`)."""
        return scored_needed(self.total, self.floor)

    @property
    def still_needed(self) -> int:
        return max(self.required - self.answered, 0)

    def width(self, n: int) -> float:
        """``n`` questions as a share of the bar, in percent (two decimals)."""
        return round(100 * n / self.total, 2) if self.total else 0.0

    def texts(self, lang: str) -> dict[str, str]:
        """What the progress box says, in the active language (the views activate the
        questionnaire's): ``summary`` (answered), ``dont_know`` (those set apart, or ""), ``floor``
        (the rule, shown from the first page) and ``needed`` (how many more answers the results need).
        """
        dk = dont_know_label(lang)
        floor_text = translator(lang).percent(self.floor, 0 if "." not in floor_percent(self.floor) else 1)
        return {
            "summary": _("Questions answered: %(answered)d of %(total)d") % {
                "answered": self.answered, "total": self.total},
            "dont_know": ngettext("%(n)d answer “%(dk)s” (not counted)", "%(n)d answers “%(dk)s” (not counted)",
                                  self.dont_know) % {"n": self.dont_know, "dk": dk} if self.dont_know else "",
            "floor": _("To compute the results, at least %(floor)s of the questions must be answered "
                       "(%(required)d of %(total)d); “%(dk)s” does not count.") % {
                "floor": floor_text, "required": self.required, "total": self.total, "dk": dk},
            "needed": ngettext("%(n)d more answer needed.", "%(n)d more answers needed.", self.still_needed) % {
                "n": self.still_needed} if self.still_needed else _("Enough answers to compute the results."),
        }


@dataclass
class MissingQuestion:
    id: str
    number: int
    text: str
    page: int
    dont_know: bool
    url: str = ""


class Questionnaire:
    """One respondent's questionnaire of an assessment: its pages (one per dimension of the
    framework), answers and progress (``respondent`` None: the first respondent's)."""

    def __init__(self, assessment: Assessment, respondent: Respondent | None = None):
        self.assessment = assessment
        self.respondent = respondent
        self.fw: Framework = services.framework_of(assessment.framework)
        self.lang = assessment.lang
        self.reload()

    def reload(self) -> None:
        self.answers: dict[str, Answer] = services.answers_of(self.assessment, self.respondent)

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

    def _count(self, observables: Sequence[Observable]) -> tuple[int, int, int]:
        values = [self.value(o.id) for o in observables]
        dont_know = values.count(DONT_KNOW)
        return sum(1 for v in values if v) - dont_know, dont_know, len(values)

    @property
    def answered(self) -> int:
        """Questions answered with a level of their scale ("don't know" is not an answer that counts)."""
        return self.progress().answered

    def progress(self) -> Progress:
        answered, dont_know, total = self._count(self.fw.observables)
        return Progress(answered, dont_know, total, self.fw.scoring.min_completeness)

    def page_counts(self, page: int) -> tuple[int, int, int]:
        """(answered with a level, "don't know", questions) of a page."""
        return self._count([o for a in self.dimension(page).activities for o in a.observables])

    def pages(self, page_url: Callable[[int], str], current: int | None = None) -> list[PageView]:
        out = []
        for n, dim in enumerate(self.fw.dimensions, start=1):
            answered, dont_know, total = self.page_counts(n)
            out.append(PageView(n, dim.name[self.lang], answered, total, page_url(n), n == current, dont_know))
        return out

    def first_unanswered_page(self) -> int:
        """Where to resume: the first page with an unanswered question (the last page when all are)."""
        for o in self.fw.observables:
            if not self.value(o.id):
                return self.page_of(o.id)
        return self.n_pages

    def missing(self, page_url: Callable[[int], str],
                unscored: tuple[list[str], list[str]] | None = None) -> list[MissingQuestion]:
        """The questions without a scored answer (unanswered or "don't know"), in order: this
        respondent's, or those ``unscored`` names (:func:`services.unscored_questions`: (without a
        scored answer, "don't know") of the consolidated answers)."""
        numbers = _numbers(self.fw)
        out = []
        for o in self.fw.observables:
            if unscored is not None:
                if o.id not in unscored[0]:
                    continue
                dont_know = o.id in unscored[1]
            else:
                value = self.value(o.id)
                if value and value != DONT_KNOW:
                    continue
                dont_know = value == DONT_KNOW
            page = self.page_of(o.id)
            out.append(MissingQuestion(o.id, numbers[o.id], o.question[self.lang], page, dont_know,
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
                                  user=user, via_share_link=via_share_link, respondent=self.respondent)
        except AnswersRejected as exc:
            return {q: " ".join(messages) for q, messages in exc.errors.items()}
        self.reload()
        return {}


def _page_index(fw: Framework) -> dict[str, int]:
    return {o.id: n for n, dim in enumerate(fw.dimensions, start=1) for a in dim.activities for o in a.observables}


def _numbers(fw: Framework) -> dict[str, int]:
    return {o.id: n for n, o in enumerate(fw.observables, start=1)}


def waiting_messages() -> dict[str, str]:
    """The autosave's "N answers waiting to be saved" in the active language, one text per plural
    form (``one``, ``other``: the forms of fr, es and en) with ``{n}`` for the number, for
    questionnaire.js to pick with ``Intl.PluralRules``.

    >>> waiting_messages()["other"]
    '{n} answers waiting to be saved'
    """
    def form(n: int) -> str:
        return ngettext("%(n)s answer waiting to be saved", "%(n)s answers waiting to be saved", n) % {"n": "{n}"}

    return {"one": form(1), "other": form(2)}


def page_context(q: Questionnaire, page: int, *, editable: bool, page_url: Callable[[int], str],
                 answer_url: str, form_action: str, posted: Mapping[str, str] | None = None,
                 errors: Mapping[str, str] | None = None) -> dict[str, Any]:
    """What ``assessment_questions.html`` (and the pages around it) needs to show a page; its texts
    in the active language (call it with the questionnaire's language active)."""
    dim = q.dimension(page)
    progress = q.progress()
    return {
        "assessment": q.assessment, "firm": q.assessment.firm, "framework_label": q.fw.label,
        "page": page, "n_pages": q.n_pages, "dimension_name": dim.name[q.lang],
        "dimension_description": dim.description[q.lang] if dim.description else "",
        "activities": q.activities(page, posted, errors), "errors": errors or {},
        "pages": q.pages(page_url, page), "answered": progress.answered, "total": progress.total,
        "progress": progress, "progress_texts": progress.texts(q.lang), "bar": {  # CSS widths, never localised
            "answered": f"{progress.width(progress.answered):.2f}", "dont_know": f"{progress.width(progress.dont_know):.2f}",
            "floor": f"{100 * progress.floor:.2f}"},
        "prev_url": page_url(page - 1) if page > 1 else "", "next_url": page_url(page + 1) if page < q.n_pages else "",
        "editable": editable, "answer_url": answer_url, "form_action": form_action,
        "completed": q.assessment.completed, "comment_max": COMMENT_MAX_LENGTH,
        "dont_know": dont_know_label(q.lang), "queue_key": f"innexport:answers:{answer_url}",
        "waiting": waiting_messages(), "questionnaire_lang": q.lang,
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
                     via_share_link: bool = False, respondent: Respondent | None = None) -> JsonResponse:
    """Autosave one answer of ``respondent`` (None: the first respondent):
    ``{"question_id", "value", "comment"}`` in, the progress (that respondent's) out.

    The progress: ``answered`` (questions with a level), ``dont_know``, ``total``, ``needed`` (more
    answers the results need), the same for the answer's page (``page_answered``,
    ``page_dont_know``, ``page_total``, ``page_done``), and ``texts``, what the page's progress box
    says (:meth:`Progress.texts`, in the questionnaire's language).

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
                                     via_share_link=via_share_link, respondent=respondent)
    except AnswerRejected as exc:
        return json_error(str(exc))
    except AssessmentCompleted as exc:
        return json_error(exc.message, 409)
    q = Questionnaire(assessment, respondent)
    page = q.page_of(question_id)
    page_answered, page_dont_know, page_total = q.page_counts(page)
    progress = q.progress()
    with translation.override(assessment.lang):
        texts = progress.texts(q.lang)
    return JsonResponse({
        "ok": True, "question_id": question_id, "value": saved.value, "comment": saved.comment,
        "answered": progress.answered, "dont_know": progress.dont_know, "total": progress.total,
        "needed": progress.still_needed, "page": page, "page_answered": page_answered,
        "page_dont_know": page_dont_know, "page_total": page_total,
        "page_done": page_answered + page_dont_know == page_total, "texts": texts,
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
    """The iiep framework with the sector module of the firm's NACE code (wine for 11.02, agrifood for 10…:
    :func:`~innexport.files.frameworks.modules_for_sector`), plain iiep otherwise."""
    modules = modules_for_sector(firm.sector)
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
    tenancy.require_editor(request.user)
    user = tenancy.signed_in(request)
    versions = list(services.published_frameworks())
    default = default_framework(firm, versions)
    initial = {
        "framework": default.pk if default else None, "lang": questionnaire_language(firm.country),
        "assessed_on": timezone.localdate(),
        "assessor": user.get_full_name().strip() or user.get_username(),
    }
    form = StartForm(request.POST if request.method == "POST" else None, initial=initial)
    if country_language(firm.country):
        form.fields["lang"].help_text = _("The questions and the report are in this language. Proposed: "
                                          "the language of the firm's country (%(country)s).") % {
            "country": country_name(firm.country, interface_language())}
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


def chosen_respondent(request: HttpRequest, assessment: Assessment) -> Respondent | None:
    """The respondent whose answers the advisor's page shows (``?respondent=<id>``; none: the first
    respondent); an id that is not one of this assessment's respondents is a 404 (whatever its
    organisation: the assessment was found in the user's)."""
    given = request.GET.get("respondent", "").strip()
    if not given:
        return None
    if not given.isdigit() or len(given) > 18:
        raise Http404("no such respondent")
    return get_object_or_404(Respondent, assessment=assessment, pk=int(given))


def with_respondent(url: str, respondent: Respondent | None) -> str:
    """``url`` for ``respondent``'s answers (``?respondent=<id>``; the first respondent's: unchanged).

    >>> with_respondent("/assessments/3/page/2/", None)
    '/assessments/3/page/2/'
    """
    return f"{url}?respondent={respondent.pk}" if respondent is not None else url


def _advisor_urls(assessment: Assessment, respondent: Respondent | None = None) -> tuple[Callable[[int], str], str]:
    return ((lambda n: with_respondent(reverse("assessment-page", args=[assessment.pk, n]), respondent)),
            with_respondent(reverse("assessment-answer", args=[assessment.pk]), respondent))


def _render_page(request: HttpRequest, q: Questionnaire, page: int, *, status: int = 200,
                 posted: Mapping[str, str] | None = None, errors: Mapping[str, str] | None = None,
                 incomplete: dict[str, Any] | None = None) -> HttpResponse:
    assessment = q.assessment
    can_edit = tenancy.membership(request.user).can_edit
    page_url, answer_url = _advisor_urls(assessment, q.respondent)
    with translation.override(assessment.lang):  # the template renders its <main> content in it too
        context = page_context(q, page, editable=can_edit and not assessment.completed,
                               page_url=page_url, answer_url=answer_url,
                               form_action=page_url(page), posted=posted, errors=errors)
        context.update(respondents_box(assessment, q.respondent, page))
    context.update({
        "can_edit": can_edit, "incomplete": incomplete, "is_share": False,
        "complete_url": with_respondent(reverse("assessment-complete", args=[assessment.pk]), q.respondent),
        "share_url": request.build_absolute_uri(reverse("share-start", args=[assessment.share_token]))
        if assessment.share_token else "",
        "share_valid": assessment.share_link_valid, "share_days": settings.SHARE_LINK_DAYS,
        "max_share_days": MAX_SHARE_DAYS,
    })
    return render(request, "web/assessment_page.html", context, status=status)


def respondents_box(assessment: Assessment, respondent: Respondent | None, page: int) -> dict[str, Any]:
    """The questionnaire page's respondents box and switcher: each respondent with their progress
    and the link to this page of their answers; ``respondent_row`` is the one shown."""
    rows = respondents.respondents_of(assessment)
    chosen = respondent.pk if respondent is not None else None
    return {
        "respondent_rows": [{"row": row, "current": row.id == chosen,
                             "url": with_respondent(reverse("assessment-page", args=[assessment.pk, page]),
                                                    row.respondent)} for row in rows],
        "respondent_row": next(row for row in rows if row.id == chosen),
        "respondents_url": reverse("assessment-respondents", args=[assessment.pk]),
    }


@member_required
def assessment_questionnaire(request: HttpRequest, pk: int) -> HttpResponse:
    """Resume: the first page with an unanswered question (a completed diagnostic shows its results)."""
    assessment = _assessment(request, pk)
    if assessment.completed:
        return redirect("assessment-results", pk=assessment.pk)
    respondent = chosen_respondent(request, assessment)
    page = Questionnaire(assessment, respondent).first_unanswered_page()
    return redirect(with_respondent(reverse("assessment-page", args=[assessment.pk, page]), respondent))


@require_http_methods(["GET", "HEAD", "POST"])
@member_required
@ensure_csrf_cookie
def assessment_page(request: HttpRequest, pk: int, page: int) -> HttpResponse:
    """One dimension's questions of one respondent (``?respondent=<id>``); the POST saves them all and
    goes to the page asked for."""
    assessment = _assessment(request, pk)
    q = Questionnaire(assessment, chosen_respondent(request, assessment))
    q.dimension(page)
    if request.method != "POST":
        return _render_page(request, q, page)
    tenancy.require_editor(request.user)
    try:
        errors = q.save_posted(page, request.POST, user=request.user)
    except AssessmentCompleted:
        with translation.override(assessment.lang):  # shown in the questionnaire's area
            messages.error(request, completed_message())
        return _render_page(request, q, page, status=409)
    if errors:
        return _render_page(request, q, page, status=400, posted=request.POST, errors=errors)
    nav = request.POST.get("nav", "next")
    if nav == "save":
        with translation.override(assessment.lang):
            messages.success(request, _("Answers saved."))
    return redirect(_advisor_urls(assessment, q.respondent)[0](nav_target(nav, page, q.n_pages)))


@json_errors
@require_POST
@member_required
def assessment_answer(request: HttpRequest, pk: int) -> JsonResponse:
    """Autosave (JSON), used by questionnaire.js; its messages in the questionnaire's language."""
    assessment = _assessment(request, pk)
    respondent = chosen_respondent(request, assessment)
    try:
        tenancy.require_editor(request.user)
    except PermissionDenied as exc:
        return json_error(str(exc), 403)
    with translation.override(assessment.lang):
        return answer_from_json(request, assessment, user=request.user, respondent=respondent)


@require_POST
@member_required
def assessment_complete(request: HttpRequest, pk: int) -> HttpResponse:
    """Save the posted page (of the respondent shown), score the diagnostic (its respondents' answers
    consolidated) and mark it completed; too few answers → say which are missing."""
    assessment = _assessment(request, pk)
    tenancy.require_editor(request.user)
    q = Questionnaire(assessment, chosen_respondent(request, assessment))
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
    """What finishing too early says (in the questionnaire's language) and the questions left."""
    page_url, _answer = _advisor_urls(q.assessment, q.respondent)
    missing = q.missing(page_url, services.unscored_questions(q.assessment))
    with translation.override(q.lang):
        texts = q.progress().texts(q.lang)
        message = " ".join([_("Too few answers to compute the diagnostic."), texts["floor"], texts["needed"],
                            _("Answer some of these questions:")])
    by_page: dict[int, list[MissingQuestion]] = {}
    for m in missing:
        by_page.setdefault(m.page, []).append(m)
    groups = [{"page": n, "name": q.fw.dimensions[n - 1].name[q.lang], "url": page_url(n), "questions": qs}
              for n, qs in by_page.items()]
    return {"message": message, "missing": missing, "groups": groups}


@require_POST
@member_required
def assessment_share(request: HttpRequest, pk: int) -> HttpResponse:
    """Open (or extend) the director's private link for N days, e-mail it to the director, or revoke it.

    Its messages are shown in the questionnaire's area of the page, so they are in its language.
    """
    assessment = _assessment(request, pk)
    tenancy.require_editor(request.user)
    with translation.override(assessment.lang):
        return _share_action(request, assessment)


def _share_action(request: HttpRequest, assessment: Assessment) -> HttpResponse:
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        back = reverse("assessment-questionnaire", args=[assessment.pk])
    action = request.POST.get("action", "open")
    if action == "revoke":
        services.revoke_share_link(assessment, request)
        messages.success(request, _("The director's link is revoked: it no longer opens the questionnaire."))
        return redirect(back)
    if action == "send":  # e-mail the open link to the director (services.send_invitation)
        email = request.POST.get("email", "").strip()
        try:
            services.send_invitation(assessment, email, request)
        except ValueError:
            messages.error(request, _("“%(email)s” is not a valid e-mail address.") % {"email": email[:254]})
        except services.Refused as exc:
            messages.error(request, exc.message)
        except services.MailFailed:
            messages.error(request, _("The e-mail could not be sent: the mail server did not accept it. The link is "
                                      "still valid: copy it and send it yourself, or try again later."))
        else:
            messages.success(request, _("The director's link was sent to %(email)s.") % {"email": email})
        return redirect(back)
    if action != "open":
        return HttpResponseBadRequest("action must be 'open', 'send' or 'revoke'")
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
