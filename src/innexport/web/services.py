"""The web application's service layer: frameworks, and the life cycle of an assessment.

Views and the API call these functions for every step of an assessment's life; none of them
duplicates the core's logic (framework model, what an answer is, scoring, classes, priorities,
plans, reports all come from :mod:`innexport`), and no view decides a step itself.

The life cycle. Every step that changes an assessment runs in ONE transaction that first locks
the assessment's row (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite serialises writing
transactions, which the settings open ``IMMEDIATE``) and then reads its status again, so that two
requests never both act on what they saw before the other's change:

* :func:`create_assessment`: a draft, audited;
* :func:`save_answers` / :func:`save_answer`: answers and comments of a draft, checked by the
  core's one answer rule (:mod:`innexport.core.answers`: codes, labels, values, "don't know";
  comments of at most :data:`~innexport.core.answers.COMMENT_MAX_LENGTH` characters), all or
  nothing; any change drops a kept result;
* :func:`complete`: score the answers and freeze the assessment with its result (idempotent).
  A completed assessment is frozen: every later change of its answers, comments or director's
  link is refused with :class:`AssessmentCompleted`, whatever the route (web page, autosave,
  private link, API single answer or batch);
* :func:`completed_result`: the completed result or a refusal (:class:`NoResult`);
* :func:`make_plan`, :func:`remake_plan`, :func:`add_action`: the action plan of a completed
  assessment (stored by :mod:`innexport.web.plans`, which never calls back here).

Several respondents (:mod:`innexport.web.respondents` adds, removes and links them): the answer
functions take the ``respondent`` whose answers they read or write (None: the first respondent's,
``Answer.respondent`` empty); :func:`team_of` consolidates every respondent's answers under the
advisor's reviews (:func:`innexport.core.respondents.consolidate`), the one place the web builds what
it scores, and :func:`peer_values` gives the intervals the organisation's other firms' answers.

The director's private link: :func:`open_share_link` / :func:`revoke_share_link` (its rules, shared
with the respondents' links: :func:`open_link`); e-mailed with
:func:`send_invitation`. Every e-mailed private link, the director's and each further respondent's
(:data:`LinkHolder`; :func:`innexport.web.respondents.send_respondent_link`), follows ONE schedule of
reminders, sent by :func:`send_due_reminders` (after ``REMINDER_AFTER_DAYS`` days, at most once in
``REMINDER_EVERY_DAYS`` days, at most ``REMINDER_MAX`` times per invitation, and one last before the
link expires: :func:`reminders_due`), and ONE "I have finished": :func:`link_finished` tells the
advisor once (:func:`director_finished` for the director). The messages themselves are built and sent
by :mod:`innexport.web.mail`.

Refusals are domain errors the views and the API map to HTTP: :class:`AnswersRejected` /
:class:`AnswerRejected` (400, naming the question), :class:`AssessmentCompleted` and
:class:`NoResult` (409), :class:`innexport.web.plans.PlanRefused` (409).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F, OuterRef, Q, QuerySet, Subquery
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from innexport.core import answers as answer_rule
from innexport.core.answers import AnswerRefused, AnswerValue
from innexport.core.assessment import (
    AnswersError,
    AnswerSheet,
    DisagreementOut,
    FirmResult,
    RespondentOut,
    diagnose,
)
from innexport.core.assessment import Firm as CoreFirm
from innexport.core.assessment import Respondent as CoreRespondent
from innexport.core.framework import DONT_KNOW, Framework, FrameworkError
from innexport.core.respondents import consolidate
from innexport.files.frameworks import builtin_combinations, builtin_documents, framework_from_texts
from innexport.rendering import report
from innexport.support import plans as core_plans
from innexport.web import evidence, mail, plans, tenancy
from innexport.web.catalogues import builtin_catalogue, catalogue_for
from innexport.web.mail import MailFailed
from innexport.web.models import (
    ActionPlan,
    ActionStatus,
    Answer,
    Assessment,
    AssessmentStatus,
    AuditEntry,
    DirectorLink,
    Firm,
    FrameworkVersion,
    Membership,
    PlanAction,
    Respondent,
    Role,
    as_lang,
    link_expiry,
    summary_fields,
)

__all__ = [
    "MAX_SHARE_DAYS",
    "AnswerRejected",
    "AnswersRejected",
    "AssessmentCompleted",
    "Completion",
    "LinkHolder",
    "LinkNotOpen",
    "MailFailed",
    "NoResult",
    "Refused",
    "ReminderRun",
    "SavedAnswer",
    "Team",
    "add_action",
    "advisors_to_notify",
    "answers_of",
    "builtin_catalogue",
    "catalogue_for",
    "complete",
    "completed_result",
    "create_assessment",
    "describe_respondent",
    "director_finished",
    "framework_of",
    "link_finished",
    "make_plan",
    "open_link",
    "open_share_link",
    "peer_values",
    "plan_actions_due",
    "plan_filename",
    "published_frameworks",
    "remake_plan",
    "reminders_due",
    "report_filename",
    "report_html",
    "report_pdf",
    "respondent_sheets",
    "result_of",
    "revoke_share_link",
    "save_answer",
    "save_answers",
    "score",
    "send_due_reminders",
    "send_invitation",
    "send_plan_reminders",
    "sheet_of",
    "team_of",
    "unscored_questions",
]

log = logging.getLogger(__name__)

MAX_SHARE_DAYS = 90
"""Longest validity an advisor may give a private link (the director's or a respondent's)."""

PEERS_MAX = 5000
"""At most this many of the organisation's other firms give :func:`peer_values` (their latest diagnostic each)."""


# --- frameworks ---------------------------------------------------------------------------------


@lru_cache(maxsize=32)
def _parse(framework_yaml: str, modules_yaml: tuple[str, ...]) -> Framework:
    return framework_from_texts(framework_yaml, modules_yaml)


_BY_HASH: dict[str, Framework] = {}
_PARSING = threading.Lock()


def framework_of(version: FrameworkVersion) -> Framework:
    """The framework an assessment was (or will be) scored with, parsed once per process.

    Cached by content hash, so a request that loaded the version without its (large) YAML texts
    (see ``tenancy.assessments``) reads them only the first time; one thread parses, the others wait.
    """
    fw = _BY_HASH.get(version.content_hash)
    if fw is None:
        with _PARSING:
            fw = _BY_HASH.get(version.content_hash)
            if fw is None:
                texts = FrameworkVersion.objects.values_list("framework_yaml", "modules_yaml").get(pk=version.pk)
                fw = _BY_HASH[version.content_hash] = _parse(texts[0], tuple(texts[1]))
    return fw


def warm_up() -> None:
    """Parse the published frameworks now (at a worker's start) rather than in its first requests."""
    for version in published_frameworks().defer("framework_yaml", "modules_yaml"):
        framework_of(version)


def framework_version_from_texts(framework_yaml: str, modules_yaml: list[str], *, published: bool,
                                 builtin: bool = False, user=None) -> FrameworkVersion:
    """Validate the texts and store them as a framework version (or return the identical one).

    Raises :class:`FrameworkError` listing the problems when the files are not valid.
    """
    fw = _parse(framework_yaml, tuple(modules_yaml))
    existing = FrameworkVersion.objects.filter(content_hash=fw.content_hash).first()
    if existing is not None:
        return existing
    return FrameworkVersion.objects.create(
        framework_id=fw.id, version=fw.version, modules=[m.id for m in fw.modules], label=fw.label,
        content_hash=fw.content_hash, framework_yaml=framework_yaml, modules_yaml=list(modules_yaml),
        published=published, builtin=builtin, uploaded_by=user,
    )


def register_builtin_frameworks() -> list[FrameworkVersion]:
    """Publish the frameworks shipped with innexport, alone and with each of their sector modules
    (:func:`~innexport.files.frameworks.builtin_combinations`), idempotently."""
    docs = builtin_documents()
    out = []
    for framework_id, modules in builtin_combinations():
        texts = [docs[m].read_text(encoding="utf-8") for m in modules]
        out.append(framework_version_from_texts(docs[framework_id].read_text(encoding="utf-8"), texts,
                                                published=True, builtin=True))
    return out


def published_frameworks():
    return FrameworkVersion.objects.filter(published=True).order_by("framework_id", "label")


# --- refusals ---------------------------------------------------------------------------------------


AnswerRejected = AnswerRefused
"""An answer (or comment) that breaks the core's answer rule; the message names the question (400)."""


class AnswersRejected(ValueError):
    """One or more answers of a batch refused; nothing was saved. ``errors``: messages by question id."""

    def __init__(self, refusals: list[AnswerRefused]):
        self.refusals = refusals
        self.errors: dict[str, list[str]] = {}
        for refusal in refusals:
            self.errors.setdefault(refusal.question_id, []).append(str(refusal))
        shown = "; ".join(str(r) for r in refusals)
        super().__init__(f"{len(self.errors)} question(s) rejected, nothing was saved: {shown}")


class Refused(Exception):
    """A life-cycle step the assessment's current state does not allow (409); ``message`` is in the
    user's language (worded when read)."""

    def __init__(self, assessment_id: int | None):
        super().__init__(f"assessment {assessment_id}")
        self.assessment_id = assessment_id

    @property
    def message(self) -> str:
        raise NotImplementedError

    def __str__(self) -> str:
        return self.message


class AssessmentCompleted(Refused):
    """The assessment is completed: it is frozen, nothing of it can be changed any more."""

    @property
    def message(self) -> str:
        return _("This diagnostic is completed: its answers can no longer be changed.")


class LinkNotOpen(Refused):
    """The director's private link is not open (never opened, revoked or expired): nothing to send."""

    @property
    def message(self) -> str:
        return _("The director's link is not open: create it (or extend it) first, then send it.")


class NoResult(Refused):
    """The assessment has no result to give: ``reason`` is ``draft`` (still in progress) or
    ``unscorable`` (its answers cannot be scored)."""

    def __init__(self, assessment_id: int | None, reason: str):
        super().__init__(assessment_id)
        self.reason = reason

    @property
    def message(self) -> str:
        if self.reason == "draft":
            return _("This diagnostic is still in progress: its results are available once it is completed.")
        return _("The answers of this diagnostic cannot be scored (too few questions answered).")


# --- the row lock -------------------------------------------------------------------------------------


_STATE_FIELDS = ("status", "completed_at", "result", "updated_at", *summary_fields(None))


def _locked(assessment: Assessment, *, with_result: bool = True) -> Assessment:
    """The assessment's row, locked until the end of the current transaction, as it is now.

    ``SELECT … FOR UPDATE`` on PostgreSQL (no-op on SQLite, whose writing transactions are serialised
    anyway). The caller's instance gets the fresh state too, so what it shows next is true.
    ``with_result=False`` leaves the result document (tens of kB of JSON) unread, for the steps that
    only need the status (saving answers, the director's link).
    """
    rows = Assessment.objects.select_for_update()
    fresh = (rows if with_result else rows.defer("result")).get(pk=assessment.pk)
    _copy_state(fresh, assessment, with_result=with_result)
    return fresh


def _copy_state(source: Assessment, target: Assessment, *, with_result: bool = True) -> None:
    if source is not target:
        for name in _STATE_FIELDS:
            if with_result or name != "result":
                setattr(target, name, getattr(source, name))


def _refuse_if_completed(locked: Assessment, caller: Assessment | None = None) -> None:
    """:class:`AssessmentCompleted` when the locked row is completed; the ``caller``'s copy (locked
    without its result) then gets the kept result too, so that what it shows next is true."""
    if locked.completed:
        if caller is not None:
            caller.result = Assessment.objects.filter(pk=locked.pk).values_list("result", flat=True).get()
        raise AssessmentCompleted(locked.pk)


# --- creating ---------------------------------------------------------------------------------------------


def create_assessment(firm: Firm, framework: FrameworkVersion, *, lang: str, actor: Any,
                      assessed_on: dt.date | None = None, assessor: str = "", note: str = "") -> Assessment:
    """Start a draft diagnostic of ``firm`` with a published framework version, audited (``actor``:
    the request or user; ``note`` ends the audit entry, e.g. ``(API)``)."""
    lang = as_lang(lang)
    user = getattr(actor, "user", actor)
    with transaction.atomic():
        assessment = Assessment.objects.create(
            organisation=firm.organisation, firm=firm, framework=framework, lang=lang,
            assessed_on=assessed_on or timezone.localdate(), assessor=assessor.strip(),
            created_by=user if getattr(user, "is_authenticated", False) else None,
        )
        tenancy.record(actor, AuditEntry.Action.CREATE, assessment,
                       f"{firm.name}: {framework.label}, {lang}, {assessment.assessed_on} {note}".strip())
    return assessment


# --- answers --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SavedAnswer:
    question_id: str
    value: str
    comment: str
    answered: int
    total: int


@dataclass(frozen=True)
class Progress:
    saved: dict[str, Answer]
    """The answers of the questions given (saved or unchanged), by question id."""
    answered: int
    total: int


def drop_kept_result(locked: Assessment, assessment: Assessment | None = None) -> None:
    """The answers that a result consolidates changed (an answer, a respondent, a review): a draft's
    kept result and its summary columns no longer hold. The one home of that rule; ``assessment``
    (the caller's copy of ``locked``) is updated too, so that what it shows next is true."""
    now = timezone.now()
    Assessment.objects.filter(pk=locked.pk).update(updated_at=now, result=None, **summary_fields(None))
    if assessment is not None:
        assessment.updated_at, assessment.result = now, None
        for name, value in summary_fields(None).items():
            setattr(assessment, name, value)


def save_answers(assessment: Assessment, changes: Mapping[str, tuple[AnswerValue, str | None]], *, user: Any = None,
                 via_share_link: bool = False, respondent: Respondent | None = None) -> Progress:
    """Save answers and comments of a draft, all or nothing: ``changes`` maps a question id to
    ``(value, comment)``, either None to keep the saved one (``""`` clears an answer).

    ``respondent``: whose answers they are (None: the first respondent's, see
    :class:`~innexport.web.models.Respondent`); a respondent of another assessment is a ``ValueError``
    (the views and the API answer 404 before). A completed assessment is frozen for every respondent.

    In one transaction holding the assessment's row lock: refused with :class:`AssessmentCompleted`
    when it is completed (nothing saved), with :class:`AnswersRejected` naming every bad answer or
    comment (nothing saved). Rows are written only where something changes; any change drops the
    kept result.
    """
    fw = framework_of(assessment.framework)
    editor = user if getattr(user, "is_authenticated", False) else None
    if respondent is not None and respondent.assessment_id != assessment.pk:
        raise ValueError(f"respondent {respondent.pk} does not answer assessment {assessment.pk}")
    with transaction.atomic():
        locked = _locked(assessment, with_result=False)
        _refuse_if_completed(locked, caller=assessment)
        wanted: dict[str, tuple[str | None, str | None]] = {}
        refusals: list[AnswerRefused] = []
        for qid, (value, comment) in changes.items():
            try:
                code = answer_rule.canonical(fw, qid, "" if value is None else value)
                text = None if comment is None else answer_rule.clean_comment(qid, comment)
            except AnswerRefused as exc:
                refusals.append(exc)
                continue
            wanted[qid] = (None if value is None else code, text)
        if refusals:
            raise AnswersRejected(refusals)
        rows = _answer_rows(locked, respondent)
        existing = {a.question_id: a for a in rows.filter(question_id__in=list(wanted))}
        saved: dict[str, Answer] = {}
        changed = False
        for qid, (given, text) in wanted.items():
            answer = existing.get(qid) or Answer(assessment=locked, respondent=respondent, question_id=qid)
            new = answer._state.adding
            new_value = answer.value if given is None else given
            new_comment = answer.comment if text is None else text
            if new and not new_value and not new_comment:
                continue  # nothing to keep for an unanswered question
            if new or (new_value, new_comment) != (answer.value, answer.comment):
                answer.value, answer.comment = new_value, new_comment
                answer.updated_by, answer.via_share_link = editor, via_share_link
                answer.save()
                changed = True
            saved[qid] = answer
        if changed:
            drop_kept_result(locked, assessment)
        answered = rows.exclude(value="").count()
    return Progress(saved, answered, len(fw.observables))


def _answer_rows(assessment: Assessment, respondent: Respondent | None) -> QuerySet[Answer]:
    """The answer rows of one respondent of the assessment (None: its first respondent's)."""
    if respondent is None:
        return Answer.objects.filter(assessment=assessment, respondent__isnull=True)
    return Answer.objects.filter(assessment=assessment, respondent=respondent)


def save_answer(assessment: Assessment, question_id: str, value: AnswerValue, comment: str | None = None, *,
                user: Any = None, via_share_link: bool = False, respondent: Respondent | None = None) -> SavedAnswer:
    """Save one answer (autosave, API): :func:`save_answers` for one question; ``value`` None keeps
    the saved answer. Refused with :class:`AnswerRejected` or :class:`AssessmentCompleted`."""
    try:
        progress = save_answers(assessment, {question_id: (value, comment)}, user=user, via_share_link=via_share_link,
                                respondent=respondent)
    except AnswersRejected as exc:
        raise exc.refusals[0] from None
    answer = progress.saved.get(question_id)
    return SavedAnswer(question_id, answer.value if answer else "", answer.comment if answer else "",
                       progress.answered, progress.total)


def answers_of(assessment: Assessment, respondent: Respondent | None = None) -> dict[str, Answer]:
    """One respondent's answers by question id (None: the first respondent's, ``Answer.respondent`` empty)."""
    return {a.question_id: a for a in _answer_rows(assessment, respondent)}


def unscored_questions(assessment: Assessment) -> tuple[list[str], list[str]]:
    """The questions without a scored answer (unanswered or "don't know") and those answered
    "don't know" in the consolidated answers (:func:`team_of`), in the framework's order: what a
    refused completion names."""
    fw = framework_of(assessment.framework)
    values = team_of(assessment).sheet.answers
    missing = [o.id for o in fw.observables if values.get(o.id, "") in ("", DONT_KNOW)]
    return missing, [o.id for o in fw.observables if values.get(o.id) == DONT_KNOW]


def respondent_name(assessment: Assessment, respondent: Respondent | None) -> str:
    """How a respondent is named in a result (``RespondentOut.id``, who said what): a further
    respondent's name; the first respondent's is the firm's contact, else its role's code."""
    if respondent is not None:
        return respondent.name.strip() or f"{respondent.role} {respondent.pk}"
    return assessment.firm.contact.strip()[:120] or assessment.respondent_role


def respondent_sheets(assessment: Assessment) -> list[AnswerSheet]:
    """One answer sheet per respondent who gave at least one answer (the first respondent first, then
    in the order they were added), each with its ``respondent`` (:func:`respondent_name`, role); two
    queries whatever the number of respondents. No answers at all: the first respondent's empty sheet."""
    base = _base_sheet(assessment)
    people: list[Respondent | None] = [None, *Respondent.objects.filter(assessment=assessment).order_by("created_at",
                                                                                                      "pk")]
    rows: dict[int | None, list[tuple[str, str, str]]] = {}
    for rid, qid, value, comment in (Answer.objects.filter(assessment=assessment)
                                     .values_list("respondent_id", "question_id", "value", "comment")):
        rows.setdefault(rid, []).append((qid, value, comment))
    names: set[str] = set()
    sheets: list[AnswerSheet] = []
    for person in people:
        name = respondent_name(assessment, person)[:120]
        while name in names:  # two respondents of one name stay apart in the result
            name = f"{name[:110]} #{len(names) + 1}"
        names.add(name)
        given = rows.get(person.pk if person is not None else None, [])
        role = person.role if person is not None else assessment.respondent_role
        sheets.append(base.model_copy(update={
            "respondent": CoreRespondent.model_validate({"id": name, "role": role}),
            "answers": {q: v for q, v, _c in given if v}, "comments": {q: c for q, _v, c in given if c}}))
    return [sheet for sheet in sheets if sheet.answers] or sheets[:1]


def _base_sheet(assessment: Assessment) -> AnswerSheet:
    firm: Firm = assessment.firm
    fw = framework_of(assessment.framework)
    return AnswerSheet(
        framework=fw.id, version=fw.version, modules=[m.id for m in fw.modules], lang=as_lang(assessment.lang),
        firm=CoreFirm.model_validate({
            "id": f"firm-{firm.pk}", "name": firm.name, "country": firm.country or None, "region": firm.region or None,
            "sector": firm.sector or None, "size": firm.size_class or None, "founded": firm.year_founded,
            "export_share": float(firm.export_share) / 100 if firm.export_share is not None else None,
            "rd_intensity": float(firm.rd_intensity) / 100 if firm.rd_intensity is not None else None,
        }),
        assessed_on=assessment.assessed_on, assessor=assessment.assessor or None,
    )


@dataclass(frozen=True)
class Team:
    """An assessment's answers as the core scores them (:func:`team_of`)."""

    sheet: AnswerSheet
    """The consolidated answer sheet (respondent None): what is scored."""
    respondents: list[RespondentOut]
    """One entry per respondent who answered, when there are several (else empty)."""
    disagreement: DisagreementOut | None
    values: np.ndarray | None
    """The respondents' (R, O) answer values for the intervals, when there are several (else None)."""
    fixed: np.ndarray
    """(O,) True where an advisor's review decided the answer: fixed in every draw of the intervals."""


def team_of(assessment: Assessment) -> Team:
    """The respondents' answers consolidated under the advisor's reviews
    (:func:`innexport.core.respondents.consolidate`: the median level per question, "don't know" never
    hiding an answer, a reviewed answer winning; :func:`innexport.web.evidence.reviewed_answers`), the
    one place the web builds what it scores. With a single respondent only the reviews apply, and
    ``respondents``/``disagreement`` stay empty."""
    fw = framework_of(assessment.framework)
    sheets = respondent_sheets(assessment)
    done = consolidate(fw, sheets, evidence.reviewed_answers(assessment))
    sheet = done.sheet.model_copy(update={"respondent": None})
    if len(sheets) < 2:
        return Team(sheet, [], None, None, done.fixed)
    return Team(sheet, list(done.respondents), done.disagreement, done.values, done.fixed)


def sheet_of(assessment: Assessment) -> AnswerSheet:
    """The assessment as one answer sheet, the core's input: its respondents' answers consolidated
    (:func:`team_of`)."""
    return team_of(assessment).sheet


def peer_values(assessment: Assessment) -> np.ndarray | None:
    """The (m, O) answer values (0–1 scale, NaN: unanswered or "don't know"; columns in the framework's
    question order) of the organisation's other firms diagnosed with the same framework: each firm's
    latest completed diagnostic's consolidated answers, at most :data:`PEERS_MAX` (the most recent),
    in one query; None when there is none. What the intervals draw unanswered questions from
    (:func:`innexport.core.assessment.diagnose`, ``peers``)."""
    fw = framework_of(assessment.framework)
    done = Assessment.objects.filter(status=AssessmentStatus.COMPLETED, framework__framework_id=fw.id)
    latest = done.filter(firm=OuterRef("firm")).order_by("-assessed_on", "-completed_at", "-pk").values("pk")[:1]
    rows = list(done.filter(organisation_id=assessment.organisation_id, pk=Subquery(latest), result__isnull=False)
                .exclude(firm_id=assessment.firm_id).order_by("-assessed_on", "-pk")
                .values_list("result__answers", flat=True)[:PEERS_MAX])
    if not rows:
        return None
    columns = {o.id: j for j, o in enumerate(fw.observables)}
    levels = [{lv.code: lv.value for lv in fw.scale_by_id[o.scale].levels} for o in fw.observables]
    values = np.full((len(rows), len(columns)), np.nan)
    for i, answers in enumerate(rows):
        for qid, code in (answers or {}).items():
            j = columns.get(qid)
            if j is not None and code in levels[j]:
                values[i, j] = levels[j][code]
    return values


# --- the director's private link ---------------------------------------------------------------------


def check_link_days(days: int) -> None:
    """A private link is opened or extended for 1 to :data:`MAX_SHARE_DAYS` days: a ``ValueError`` otherwise.

    >>> check_link_days(91)
    Traceback (most recent call last):
    ValueError: days: 91 is not between 1 and 90
    """
    if not 1 <= days <= MAX_SHARE_DAYS:
        raise ValueError(f"days: {days} is not between 1 and {MAX_SHARE_DAYS}")


def open_link(holder: Assessment | Respondent, days: int) -> None:
    """Open ``holder``'s private link (the assessment's: the director's; a respondent's own) for ``days``
    days, or extend the open one: the person keeps the link already sent (the one rule of both links;
    the caller saves). ``ValueError`` outside :func:`check_link_days`."""
    check_link_days(days)
    if isinstance(holder, Assessment):
        if holder.share_token:
            holder.share_expires_at = link_expiry(days)
        else:
            holder.open_share_link(days)
    elif holder.token:
        holder.expires_at = link_expiry(days)
    else:
        holder.open_link(days)


def open_share_link(assessment: Assessment, days: int, actor: Any) -> None:
    """Open the director's private link for ``days`` days (1 to :data:`MAX_SHARE_DAYS`), or extend
    the one already sent (:func:`open_link`); refused with :class:`AssessmentCompleted` for a completed
    assessment."""
    check_link_days(days)
    with transaction.atomic():
        locked = _locked(assessment)
        _refuse_if_completed(locked)
        open_link(locked, days)
        locked.save(update_fields=["share_token", "share_expires_at", "updated_at"])
        assessment.share_token, assessment.share_expires_at = locked.share_token, locked.share_expires_at
        user = getattr(actor, "user", actor)
        DirectorLink.objects.update_or_create(
            assessment=locked, defaults={"opened_by": user if getattr(user, "is_authenticated", False) else None})
        tenancy.record(actor, AuditEntry.Action.CHANGE, locked, f"director's link valid for {days} day(s)")


def revoke_share_link(assessment: Assessment, actor: Any) -> None:
    """Revoke the director's private link (allowed in any state)."""
    with transaction.atomic():
        locked = _locked(assessment, with_result=False)
        locked.share_token, locked.share_expires_at = None, None
        locked.save(update_fields=["share_token", "share_expires_at", "updated_at"])
        assessment.share_token, assessment.share_expires_at = None, None
        # a later link is a new one: its invitation, reminders and "finished" start afresh
        DirectorLink.objects.filter(assessment=locked).delete()
        tenancy.record(actor, AuditEntry.Action.CHANGE, locked, "director's link revoked")


def send_invitation(assessment: Assessment, email: str, actor: HttpRequest) -> DirectorLink:
    """E-mail the open private link to the director at ``email`` (:func:`innexport.web.mail.invitation`,
    in the questionnaire's language), and record who sent it to whom, and when, in the audit trail
    (never the token). The reminders of this invitation start afresh.

    Refusals: ``ValueError`` naming a malformed address, :class:`AssessmentCompleted`,
    :class:`LinkNotOpen`; :class:`innexport.web.mail.MailFailed` when the mail server fails (the
    link stays open and valid; the failure is audited too).
    """
    email = email.strip()
    try:
        validate_email(email)
    except ValidationError:
        raise ValueError(f"email: '{email}' is not a valid e-mail address") from None
    user = actor.user if actor.user.is_authenticated else None
    with transaction.atomic():
        locked = _locked(assessment, with_result=False)
        _refuse_if_completed(locked, assessment)
        if not locked.share_link_valid:
            raise LinkNotOpen(assessment.pk)
        token = locked.share_token
    url = mail.absolute_url(reverse("share-start", args=[token]), actor)
    try:
        mail.send(mail.invitation(assessment, email, url, sender=user))
    except MailFailed as exc:
        tenancy.record(actor, AuditEntry.Action.CHANGE, assessment,
                       f"director's link NOT e-mailed to {email}: the mail server failed ({exc})")
        raise
    with transaction.atomic():
        link, _created = DirectorLink.objects.update_or_create(assessment=assessment, defaults={
            "email": email, "sent_by": user, "sent_at": timezone.now(), "reminders_sent": 0,
            "last_reminder_at": None, "finished_at": None})
        tenancy.record(actor, AuditEntry.Action.CHANGE, assessment, f"director's link e-mailed to {email}")
    return link


LinkHolder = DirectorLink | Respondent
"""Whose e-mailed private link is reminded and may say "I have finished": the director's (its
:class:`~innexport.web.models.DirectorLink`; the token and expiry stay on the assessment) or a further
respondent's (:class:`~innexport.web.models.Respondent`, token and expiry its own). Both carry the same
``email``, ``sent_at``, ``reminders_sent``, ``last_reminder_at`` and ``finished_at``."""

_LINK_FIELDS: dict[type[Any], tuple[str, str]] = {
    DirectorLink: ("assessment__share_token", "assessment__share_expires_at"),
    Respondent: ("token", "expires_at"),
}
"""Where each kind of holder keeps its link's token and expiry (a query's field paths)."""


def describe_respondent(respondent: Respondent) -> str:
    """A further respondent as the audit trail names them: number and role, never name or address.

    >>> describe_respondent(Respondent(pk=5, role="rd_lead"))
    'respondent 5 (rd_lead)'
    """
    return f"respondent {respondent.pk} ({respondent.role})"


def _who(holder: LinkHolder) -> str:
    """Who holds the link, for the audit trail ("the director", "respondent 5 (rd_lead)")."""
    return "the director" if isinstance(holder, DirectorLink) else describe_respondent(holder)


def _whose_link(holder: LinkHolder) -> str:
    return "the director's link" if isinstance(holder, DirectorLink) else f"{describe_respondent(holder)}'s link"


def _link_of(holder: LinkHolder) -> tuple[str | None, dt.datetime | None]:
    """The holder's private link now: its token and when it expires."""
    if isinstance(holder, DirectorLink):
        return holder.assessment.share_token, holder.assessment.share_expires_at
    return holder.token, holder.expires_at


def _rows(holder: LinkHolder) -> QuerySet[Any]:
    """The holder's own row, for a conditional update (a claim)."""
    model: Any = type(holder)
    return model.objects.filter(pk=holder.pk)


def _due(now: dt.datetime, model: type[Any]) -> QuerySet[Any]:
    """The one reminder rule (:func:`reminders_due`) over one kind of holder."""
    token, expires = _LINK_FIELDS[model]
    periodic = (Q(reminders_sent__lt=settings.REMINDER_MAX,
                  sent_at__lte=now - dt.timedelta(days=settings.REMINDER_AFTER_DAYS))
                & (Q(last_reminder_at__isnull=True)
                   | Q(last_reminder_at__lte=now - dt.timedelta(days=settings.REMINDER_EVERY_DAYS))))
    due = periodic
    window = dt.timedelta(days=settings.REMINDER_BEFORE_EXPIRY_DAYS)
    if settings.REMINDER_BEFORE_EXPIRY_DAYS:
        last_window = (Q(**{f"{expires}__lte": now + window})
                       & Q(sent_at__lte=now - dt.timedelta(days=1))  # never the day of the invitation
                       & (Q(last_reminder_at__isnull=True)
                          | Q(last_reminder_at__lt=F(expires) - window)))
        due = periodic | last_window
    return (model.objects.select_related("assessment__organisation", "assessment__firm")
            .defer("assessment__result")
            .filter(sent_at__isnull=False, finished_at__isnull=True, assessment__status=AssessmentStatus.DRAFT,
                    **{f"{token}__isnull": False, f"{expires}__gt": now})
            .exclude(email="")
            .filter(due))


def reminders_due(now: dt.datetime | None = None) -> list[LinkHolder]:
    """The e-mailed private links (the director's and every further respondent's: :data:`LinkHolder`)
    whose holder should be reminded now, oldest invitation first: the link still open, the
    questionnaire neither finished by that person nor completed, and either

    * *periodic*: the invitation at least ``REMINDER_AFTER_DAYS`` days old, the last reminder at
      least ``REMINDER_EVERY_DAYS`` days old, fewer than ``REMINDER_MAX`` reminders so far; or
    * *before expiry*: the link expiring within ``REMINDER_BEFORE_EXPIRY_DAYS`` days, the invitation
      at least a day old, and no reminder sent since that last window began (one, the last,
      whatever the count).

    ``REMINDER_MAX`` 0 turns both off (the settings).
    """
    now = now or timezone.now()
    if settings.REMINDER_MAX == 0:
        return []
    holders: list[LinkHolder] = [*_due(now, DirectorLink), *_due(now, Respondent)]
    return sorted(holders, key=lambda h: (h.sent_at or now, isinstance(h, Respondent), h.pk))


@dataclass(frozen=True)
class ReminderRun:
    sent: list[LinkHolder]
    failed: list[LinkHolder]


def send_due_reminders(*, dry_run: bool = False, now: dt.datetime | None = None) -> ReminderRun:
    """Remind every director and respondent :func:`reminders_due` selects (``dry_run``: only say
    whom), with :func:`innexport.web.mail.reminder` in the questionnaire's language.

    Idempotent: each reminder is first claimed by a conditional update of its counters (a second
    run, even a concurrent one, finds nothing due), then sent; a reminder the mail server refuses
    gives its claim back (tried again at the next run) and is audited, without stopping the others.
    """
    now = now or timezone.now()
    due = reminders_due(now)
    if dry_run:
        return ReminderRun(sent=due, failed=[])
    sent: list[LinkHolder] = []
    failed: list[LinkHolder] = []
    for holder in due:
        # the same invitation, still unfinished, not reminded since it was selected (revoking, e-mailing
        # again or finishing in between makes the claim fail)
        claim = _rows(holder).filter(reminders_sent=holder.reminders_sent, last_reminder_at=holder.last_reminder_at,
                                     sent_at=holder.sent_at, finished_at__isnull=True)
        if not claim.update(reminders_sent=holder.reminders_sent + 1, last_reminder_at=now):
            continue  # another run took it
        assessment = holder.assessment
        token, expires = _link_of(holder)
        try:
            url = mail.absolute_url(reverse("share-start", args=[token]))
            mail.send(mail.reminder(assessment, holder.email, url, expires=expires))
        except MailFailed as exc:
            _rows(holder).update(reminders_sent=holder.reminders_sent, last_reminder_at=holder.last_reminder_at)
            tenancy.record(None, AuditEntry.Action.CHANGE, assessment,
                           f"reminder NOT e-mailed to {holder.email} ({_whose_link(holder)}): "
                           f"the mail server failed ({exc})")
            failed.append(holder)
            continue
        holder.reminders_sent, holder.last_reminder_at = holder.reminders_sent + 1, now
        tenancy.record(None, AuditEntry.Action.CHANGE, assessment,
                       f"reminder {holder.reminders_sent} of {_whose_link(holder)} e-mailed to {holder.email}")
        sent.append(holder)
    return ReminderRun(sent=sent, failed=failed)


# --- reminders of plan actions due ----------------------------------------------------------------------


def plan_actions_due(today: dt.date | None = None) -> QuerySet[PlanAction]:
    """The plan actions whose advisor should be reminded now: not done or dropped, due within
    ``PLAN_REMINDER_DAYS`` days (or overdue), and not yet reminded of that due date (a new due date
    is reminded again). ``PLAN_REMINDER_DAYS`` 0: none."""
    today = today or timezone.localdate()
    if settings.PLAN_REMINDER_DAYS == 0:
        return PlanAction.objects.none()
    return (PlanAction.objects.select_related("plan__assessment__firm", "plan__created_by",
                                              "plan__assessment__created_by")
            .defer("plan__assessment__result")
            .filter(status__in=[ActionStatus.TODO, ActionStatus.DOING], due__isnull=False,
                    due__lte=today + dt.timedelta(days=settings.PLAN_REMINDER_DAYS))
            .filter(Q(reminded_for__isnull=True) | ~Q(reminded_for=F("due")))
            .order_by("due", "plan_id", "position", "pk"))


def _plan_advisor(plan: ActionPlan, editors: dict[int, Any]) -> list[Any]:
    """Who is reminded of a plan's actions: who made the plan, else who started the diagnostic,
    while they edit in its organisation and have an e-mail address; else every such editor."""
    for user in (plan.created_by, plan.assessment.created_by):
        if user is not None and user.pk in editors:
            return [user]
    return list(editors.values())


@dataclass(frozen=True)
class PlanReminderRun:
    sent: list[tuple[Any, list[PlanAction]]]
    """(advisor, the actions the message listed), one per message sent (or to send, in a dry run)."""
    failed: list[tuple[Any, list[PlanAction]]]


def send_plan_reminders(*, dry_run: bool = False, today: dt.date | None = None) -> PlanReminderRun:
    """E-mail each advisor one message listing the actions :func:`plan_actions_due` selects in the
    plans they look after (``dry_run``: only say whom). Each action is claimed first (its
    ``reminded_for`` set to its due date, so a second run finds nothing); a message the mail server
    refuses gives its claims back (tried again at the next run) and is audited."""
    today = today or timezone.localdate()
    due = list(plan_actions_due(today))
    by_org = {org_id: {m.user_id: m.user for m in _reachable_editors(org_id)}
              for org_id in {a.plan.organisation_id for a in due}}
    per_user: dict[int, tuple[Any, list[PlanAction]]] = {}
    for action in due:
        for user in _plan_advisor(action.plan, by_org[action.plan.organisation_id]):
            per_user.setdefault(user.pk, (user, []))[1].append(action)
    run = PlanReminderRun(sent=[], failed=[])
    for user, actions in per_user.values():
        if dry_run:
            run.sent.append((user, actions))
            continue
        claimed = [a for a in actions
                   if PlanAction.objects.filter(pk=a.pk, reminded_for=a.reminded_for, due=a.due).update(reminded_for=a.due)]
        if not claimed:
            continue  # another run took them
        try:
            mail.send(mail.actions_due(user, _plans_of(claimed, today), today))
        except MailFailed as exc:
            for a in claimed:
                PlanAction.objects.filter(pk=a.pk).update(reminded_for=a.reminded_for)
            log.warning("plan reminder to user %s not sent: %s", user.pk, exc)
            run.failed.append((user, claimed))
            continue
        for plan_id in {a.plan_id for a in claimed}:
            assessment = next(a.plan.assessment for a in claimed if a.plan_id == plan_id)
            n = sum(a.plan_id == plan_id for a in claimed)
            tenancy.record(None, AuditEntry.Action.CHANGE, assessment,
                           f"{n} action(s) due soon or overdue reminded to {user.get_username()}")
        run.sent.append((user, claimed))
    return run


def _plans_of(actions: list[PlanAction], today: dt.date) -> list[dict[str, Any]]:
    """The actions grouped by plan for :func:`innexport.web.mail.actions_due` (in the active language)."""
    plans: dict[int, dict[str, Any]] = {}
    for a in actions:
        entry = plans.setdefault(a.plan_id, {
            "firm": a.plan.assessment.firm.name, "actions": [],
            "url": mail.absolute_url(reverse("assessment-plan", args=[a.plan.assessment_id]))})
        entry["actions"].append({"title": a.title, "due": a.due, "overdue": a.due is not None and a.due < today,
                                 "status": ActionStatus(a.status).label})
    return list(plans.values())


def advisors_to_notify(assessment: Assessment, respondent: Respondent | None = None) -> list[Any]:
    """Who is told that the director (or a further ``respondent``) finished: for the director, the
    advisor who opened the link, else who e-mailed it; for a respondent, who added them; else who
    started the assessment; each while they still edit in its organisation and have an e-mail
    address; otherwise every admin and advisor of the organisation who has one."""
    editors = list(_reachable_editors(assessment.organisation_id))
    allowed = {m.user_id for m in editors}
    if respondent is None:
        link = DirectorLink.objects.filter(assessment=assessment).select_related("opened_by", "sent_by").first()
        first = [getattr(link, "opened_by", None), getattr(link, "sent_by", None)]
    else:
        first = [respondent.created_by]
    for user in (*first, assessment.created_by):
        if user is not None and user.pk in allowed:
            return [user]
    return [m.user for m in editors]


def _reachable_editors(organisation_id: int) -> QuerySet[Membership]:
    """The organisation's active admins and advisors who have an e-mail address, by user name:
    whom the application may write to about its diagnostics."""
    return (Membership.objects.filter(organisation_id=organisation_id, user__is_active=True,
                                      role__in=[Role.ADMIN, Role.ADVISOR])
            .exclude(user__email="").select_related("user").order_by("user__username"))


def director_finished(assessment: Assessment, request: HttpRequest, *, answered: int, total: int) -> bool:
    """The director said they had finished through the private link: :func:`link_finished` of its
    :class:`~innexport.web.models.DirectorLink`. Whether a notice was sent."""
    link, _created = DirectorLink.objects.get_or_create(assessment=assessment)
    link.assessment = assessment
    return link_finished(link, request, answered=answered, total=total)


def link_finished(holder: LinkHolder, request: HttpRequest | None, *, answered: int, total: int,
                  role: Any = "") -> bool:
    """``holder`` (the director, or a further respondent whose role's label is ``role``) said they had
    finished through their private link: audited every time, and the first time since their link was
    e-mailed (a claim on ``finished_at``, so once even under concurrent presses) the advisors
    (:func:`advisors_to_notify`) get :func:`innexport.web.mail.finished_notice` naming the respondent
    and their role. Whether a notice was sent. A mail server's failure is audited and logged, and
    never makes finishing fail."""
    assessment = holder.assessment
    now = timezone.now()
    with transaction.atomic():
        tenancy.record(None, AuditEntry.Action.CHANGE, assessment,
                       f"{_who(holder)} finished answering through the private link ({answered}/{total})")
        first = bool(_rows(holder).filter(finished_at__isnull=True).update(finished_at=now))
    if not first:
        return False
    holder.finished_at = now
    respondent = holder if isinstance(holder, Respondent) else None
    told = False
    for advisor in advisors_to_notify(assessment, respondent):
        try:
            url = mail.absolute_url(reverse("assessment-questionnaire", args=[assessment.pk]), request)
            mail.send(mail.finished_notice(assessment, advisor, url, answered=answered, total=total,
                                           respondent=respondent, role=role))
        except Exception as exc:  # finishing must never fail because of an e-mail: audited and logged instead
            log.exception("the notice that %s finished assessment %s was not sent", _who(holder), assessment.pk)
            reason = str(exc) if isinstance(exc, MailFailed) else type(exc).__name__
            tenancy.record(None, AuditEntry.Action.CHANGE, assessment,
                           f"the notice that {_who(holder)} finished NOT e-mailed to {advisor.get_username()}: "
                           f"the mail server failed ({reason})")
        else:
            told = True
    return told


# --- completing, scoring and the result -------------------------------------------------------------------


@dataclass(frozen=True)
class Completion:
    result: FirmResult
    already: bool
    """True when the assessment was already completed (nothing changed)."""


def _diagnose(assessment: Assessment) -> FirmResult:
    """Score the consolidated answers (:func:`team_of`) with their intervals (drawing the unanswered
    questions from :func:`peer_values`, and over the respondents), with who answered, where they
    disagree, and the advisor's validation (:func:`innexport.web.evidence.validation_out`)."""
    fw = framework_of(assessment.framework)
    team = team_of(assessment)
    result = diagnose(fw, [team.sheet], as_lang(assessment.lang), peers=peer_values(assessment),
                      respondent_values=[team.values] if team.values is not None else None,
                      fixed=team.fixed[None, :])[0]
    return result.model_copy(update={
        "respondents": team.respondents, "disagreement": team.disagreement,
        "validation": evidence.validation_out(assessment, len(fw.observables))})


def _keep(locked: Assessment, result: FirmResult, *, complete: bool) -> None:
    locked.result = result.model_dump(mode="json", by_alias=True)
    for field, value in summary_fields(result).items():
        setattr(locked, field, value)
    if complete and not locked.completed:
        locked.status = AssessmentStatus.COMPLETED
        locked.completed_at = timezone.now()
    locked.save(update_fields=["result", "status", "completed_at", "updated_at", *summary_fields(None)])


def complete(assessment: Assessment, actor: Any = None, *, note: str = "") -> Completion:
    """Score the answers and freeze the assessment with its result, in one transaction holding its
    row lock (an answer saved meanwhile waits, then is refused: every completed assessment has the
    result of its frozen answers). Audited when ``actor`` (request or user) is given.

    Already completed: its kept result, nothing changed (``already``). Too few answers or answers
    that cannot be scored: :class:`~innexport.core.assessment.AnswersError` (an
    :class:`~innexport.core.assessment.IncompleteError` names the missing questions) or
    :class:`FrameworkError`, and nothing changed.
    """
    with transaction.atomic():
        locked = _locked(assessment)
        if locked.completed and locked.result:
            return Completion(FirmResult.model_validate(locked.result), already=True)
        result = _diagnose(locked)
        _keep(locked, result, complete=True)
        _copy_state(locked, assessment)
        if actor is not None:
            tenancy.record(actor, AuditEntry.Action.CHANGE, locked, f"completed and scored {note}".strip())
    return Completion(result, already=False)


_complete = complete


def score(assessment: Assessment, *, complete: bool = False) -> FirmResult:
    """The result of the assessment's answers now (nothing stored); ``complete=True`` completes it
    (:func:`complete`) and returns the kept result."""
    if complete:
        return _complete(assessment).result
    return _diagnose(assessment)


def completed_result(assessment: Assessment) -> FirmResult:
    """The completed assessment's result (with its benchmark, see :func:`with_benchmark`), or
    :class:`NoResult`: ``draft`` while in progress, ``unscorable`` when its answers cannot be scored.

    The one rule of "the completed result or a refusal" for the results page, the reports, the JSON
    download, the API and the action plans.
    """
    if not assessment.completed:
        raise NoResult(assessment.pk, "draft")
    if assessment.result:
        return with_benchmark(FirmResult.model_validate(assessment.result))
    with transaction.atomic():  # completed without a kept result: score its frozen answers again
        locked = _locked(assessment)
        if not locked.result:
            try:
                _keep(locked, _diagnose(locked), complete=False)
            except (AnswersError, FrameworkError):
                raise NoResult(assessment.pk, "unscorable") from None
            _copy_state(locked, assessment)
    return with_benchmark(FirmResult.model_validate(assessment.result))


def result_of(assessment: Assessment) -> FirmResult | None:
    """:func:`completed_result`, or None when there is none."""
    try:
        return completed_result(assessment)
    except NoResult:
        return None


@lru_cache(maxsize=2)
def _benchmark_population(path: str):
    from innexport.population.io import read_survey

    return read_survey(path).data


def with_benchmark(result: FirmResult) -> FirmResult:
    """``result`` with its place among the configured benchmark population (unchanged if none)."""
    path = getattr(settings, "BENCHMARK_POPULATION", "")
    if not path:
        return result
    from innexport.population.benchmark import benchmark_firm

    by = [c.strip() for c in settings.BENCHMARK_BY.split(",") if c.strip()]
    frame = _benchmark_population(path)
    by = [c for c in by if c in frame]
    return result.model_copy(update={"benchmark": benchmark_firm(frame, result, by)})


def report_filename(assessment: Assessment, ext: str) -> str:
    """The download name of an assessment's report or result, e.g. ``innexport-domaine-x-2026-10-15.pdf``."""
    slug = slugify(assessment.firm.name) or f"firm-{assessment.firm_id}"
    return f"innexport-{slug}-{assessment.assessed_on.isoformat()}.{ext}"


def report_html(assessment: Assessment, result: FirmResult) -> str:
    """The report, with the assessment's action plan when it has one."""
    return report.render_html(result, framework_of(assessment.framework), plan=plans.core_plan_of(assessment))


def report_pdf(assessment: Assessment, result: FirmResult) -> bytes:
    """The report as PDF, with the assessment's action plan when it has one."""
    return report.render_pdf(result, framework_of(assessment.framework), plan=plans.core_plan_of(assessment))


def plan_filename(assessment: Assessment, ext: str) -> str:
    """``innexport-plan-<firm>-<date>.<ext>``, like :func:`report_filename`."""
    return "innexport-plan-" + report_filename(assessment, ext).removeprefix("innexport-")


# --- action plans ----------------------------------------------------------------------------------------


def _plan_result(locked: Assessment) -> FirmResult:
    try:
        return completed_result(locked)
    except NoResult as exc:
        raise plans.refusal(exc.reason) from None


def make_plan(assessment: Assessment, user: Any, *, today: dt.date | None = None) -> ActionPlan:
    """Build the completed assessment's plan with the core and store it (with its actions), audited,
    in one transaction holding the assessment's row lock.

    The actions start ``today`` (due dates staggered by priority), are owned by ``user`` and
    propose the programmes of the organisation's catalogue (:func:`catalogue_for`).
    Raises :class:`~innexport.web.plans.PlanRefused` for a draft, for answers that cannot be scored,
    or when the assessment already has a plan.
    """
    today = today or timezone.localdate()
    with transaction.atomic():
        locked = _locked(assessment)
        result = _plan_result(locked)
        if plans.plan_of(locked) is not None:
            raise plans.refusal("exists")
        core = core_plans.build_plan(result, framework_of(locked.framework), catalogue_for(locked.organisation),
                                     start=today, owner=plans.owner_name(user), lang=as_lang(locked.lang),
                                     created_on=today)
        return plans.store_plan(locked, core, user)


def remake_plan(plan: ActionPlan, user: Any, *, today: dt.date | None = None) -> ActionPlan:
    """Replace the plan by a new one built from the assessment (the actions' edits are lost)."""
    assessment = plan.assessment
    with transaction.atomic():
        locked = _locked(assessment)
        _plan_result(locked)
        plans.drop_plan(plan, user)
        return make_plan(locked, user, today=today)


def add_action(plan: ActionPlan, user: Any, data: Mapping[str, Any], *, today: dt.date | None = None) -> PlanAction:
    """Add an action by hand to the plan of a completed assessment (see
    :func:`innexport.web.plans.add_action`)."""
    assessment = plan.assessment
    result = _plan_result(assessment)
    return plans.add_action(plan, user, data, result=result, framework=framework_of(assessment.framework),
                            today=today)
