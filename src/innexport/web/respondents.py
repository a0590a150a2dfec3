"""Several respondents per assessment: who they are, their private links, their progress.

An assessment's *first respondent* is as it always was: its answers are the ``Answer`` rows without
a respondent, its role is ``Assessment.respondent_role``, and the director's private link answers
for it (:func:`innexport.web.services.open_share_link`). An advisor may add further respondents (an
export manager, an R&D lead…; the roles are :data:`innexport.core.assessment.RESPONDENT_ROLES`),
each answering the same questionnaire through their own private link, or entered by the advisor.
The result consolidates them all (:func:`innexport.web.services.team_of`, with
:func:`innexport.core.respondents.consolidate`).

Every step here runs in one transaction holding the assessment's row lock (the service layer's
rule, :mod:`innexport.web.services`) and is audited; a completed assessment is frozen for every
respondent (:class:`~innexport.web.services.AssessmentCompleted`):

* :func:`add_respondent` / :func:`remove_respondent` (its answers go with it, and a kept result is
  dropped);
* :func:`open_respondent_link` / :func:`revoke_respondent_link`: the respondent's private link, by
  the director's link's rules (:func:`innexport.web.services.open_link`,
  :func:`innexport.web.models.link_open`: one home for both);
* :func:`send_respondent_link`: e-mailed with the director's invitation
  (:func:`innexport.web.mail.invitation`, in the questionnaire's language); from then on reminded on
  the director's schedule by the same run (:func:`innexport.web.services.send_due_reminders`,
  ``innexport manage send_reminders``) until they finish, the link closes or the diagnostic is
  completed; e-mailing the link again starts its reminders afresh, revoking it ends them;
* :func:`respondent_finished`: the respondent said they had finished (audited), and the advisors are
  told once, naming the respondent and their role (:func:`innexport.web.services.link_finished`, the
  director's rule).

The audit trail names a respondent by its number and role, never by its name or address (except
the address a link was e-mailed to, as for the director's link).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Count, Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from innexport.core.assessment import RESPONDENT_ROLES
from innexport.core.framework import DONT_KNOW
from innexport.web import mail, services, tenancy
from innexport.web.mail import MailFailed
from innexport.web.models import Answer, Assessment, AuditEntry, Respondent
from innexport.web.services import Refused

__all__ = [
    "NAME_MAX", "ROLE_LABELS", "RespondentLinkNotOpen", "RespondentRow", "add_respondent", "by_token",
    "open_respondent_link", "remove_respondent", "respondent_finished", "respondents_of", "revoke_respondent_link",
    "role_label", "send_respondent_link",
]

NAME_MAX = 200
"""Longest name of a respondent (the model's column)."""

ROLE_LABELS: dict[str, Promise] = {
    "director": _lazy("Director"),
    "export_manager": _lazy("Export manager"),
    "rd_lead": _lazy("R&D lead"),
    "advisor": _lazy("Advisor"),
    "other": _lazy("Other"),
}
"""The translated label of each role of :data:`~innexport.core.assessment.RESPONDENT_ROLES` (the core's list)."""
if set(ROLE_LABELS) != set(RESPONDENT_ROLES):  # pragma: no cover - a role added to the core needs its label here
    raise RuntimeError(f"ROLE_LABELS must label exactly the core's roles {RESPONDENT_ROLES}")


def role_label(role: str) -> str:
    """A role's label in the active language (its code when unknown).

    >>> role_label("rd_lead"), role_label("pilot")
    ('R&D lead', 'pilot')
    """
    return str(ROLE_LABELS.get(role, role))


class RespondentLinkNotOpen(Refused):
    """The respondent's private link is not open (never opened, revoked or expired): nothing to send."""

    @property
    def message(self) -> str:
        return _("This respondent's link is not open: create it (or extend it) first, then send it.")


_describe = services.describe_respondent


def _clean(name: str, role: str, email: str) -> tuple[str, str, str]:
    """The fields of a new respondent, or a ``ValueError`` naming the field."""
    name, email = " ".join(name.split()), email.strip()
    if not name:
        raise ValueError("name: give the respondent's name")
    if len(name) > NAME_MAX:
        raise ValueError(f"name: at most {NAME_MAX} characters")
    if role not in RESPONDENT_ROLES:
        raise ValueError(f"role: '{role[:40]}' is not one of {', '.join(RESPONDENT_ROLES)}")
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise ValueError(f"email: '{email[:254]}' is not a valid e-mail address") from None
    return name, role, email


def add_respondent(assessment: Assessment, *, name: str, role: str, email: str = "", actor: Any) -> Respondent:
    """Add a further respondent to a draft assessment, audited. ``ValueError`` naming a bad field
    (empty or too long name, a role not in :data:`~innexport.core.assessment.RESPONDENT_ROLES`, a
    malformed address); :class:`~innexport.web.services.AssessmentCompleted` once completed."""
    name, role, email = _clean(name, role, email)
    user = getattr(actor, "user", actor)
    with transaction.atomic():
        locked = services._locked(assessment, with_result=False)
        services._refuse_if_completed(locked, assessment)
        respondent = Respondent.objects.create(
            assessment=locked, name=name, role=role, email=email,
            created_by=user if getattr(user, "is_authenticated", False) else None)
        tenancy.record(actor, AuditEntry.Action.CREATE, locked, f"{_describe(respondent)} added")
    return respondent


def remove_respondent(respondent: Respondent, actor: Any) -> int:
    """Remove a respondent of a draft assessment with their answers (a kept result is dropped),
    audited; the number of answers removed. Refused once completed."""
    assessment = respondent.assessment
    with transaction.atomic():
        locked = services._locked(assessment, with_result=False)
        services._refuse_if_completed(locked, assessment)
        answers = Answer.objects.filter(respondent=respondent).exclude(value="").count()
        described = _describe(respondent)
        respondent.delete()
        services.drop_kept_result(locked)
        tenancy.record(actor, AuditEntry.Action.DELETE, locked, f"{described} removed with {answers} answer(s)")
    return answers


def open_respondent_link(respondent: Respondent, days: int, actor: Any) -> None:
    """Open the respondent's private link for ``days`` days, or extend it (the director's link's rules:
    :func:`innexport.web.services.open_link`), audited. ``ValueError`` for the days; refused once completed."""
    services.check_link_days(days)
    with transaction.atomic():
        locked = services._locked(respondent.assessment, with_result=False)
        services._refuse_if_completed(locked)
        services.open_link(respondent, days)
        respondent.save(update_fields=["token", "expires_at"])
        tenancy.record(actor, AuditEntry.Action.CHANGE, locked, f"{_describe(respondent)}'s link valid for {days} day(s)")


def revoke_respondent_link(respondent: Respondent, actor: Any) -> None:
    """Revoke the respondent's private link (in any state), audited; a later link is a new one."""
    with transaction.atomic():
        locked = services._locked(respondent.assessment, with_result=False)
        # a later link is a new one: its invitation, reminders and "finished" start afresh
        respondent.token, respondent.expires_at, respondent.finished_at = None, None, None
        respondent.sent_at, respondent.reminders_sent, respondent.last_reminder_at = None, 0, None
        respondent.save(update_fields=["token", "expires_at", "finished_at", "sent_at", "reminders_sent",
                                       "last_reminder_at"])
        tenancy.record(actor, AuditEntry.Action.CHANGE, locked, f"{_describe(respondent)}'s link revoked")


def send_respondent_link(respondent: Respondent, email: str, actor: HttpRequest) -> None:
    """E-mail the respondent's open link to ``email`` (the director's invitation,
    :func:`innexport.web.mail.invitation`, with this link's expiry), keep the address, and audit it.
    Its reminders and "finished" start afresh (:func:`innexport.web.services.reminders_due`).

    Refusals: ``ValueError`` naming a malformed address, :class:`~innexport.web.services.AssessmentCompleted`,
    :class:`RespondentLinkNotOpen`; :class:`~innexport.web.mail.MailFailed` when the mail server fails
    (audited; the link stays open).
    """
    email = email.strip()
    try:
        validate_email(email)
    except ValidationError:
        raise ValueError(f"email: '{email[:254]}' is not a valid e-mail address") from None
    assessment = respondent.assessment
    user = actor.user if actor.user.is_authenticated else None
    with transaction.atomic():
        locked = services._locked(assessment, with_result=False)
        services._refuse_if_completed(locked, assessment)
        respondent.refresh_from_db(fields=["token", "expires_at"])
        if not respondent.link_valid or respondent.token is None:
            raise RespondentLinkNotOpen(assessment.pk)
        token = respondent.token
    url = mail.absolute_url(reverse("share-start", args=[token]), actor)
    try:
        mail.send(mail.invitation(assessment, email, url, sender=user, expires=respondent.expires_at))
    except MailFailed as exc:
        tenancy.record(actor, AuditEntry.Action.CHANGE, assessment,
                       f"{_describe(respondent)}'s link NOT e-mailed to {email}: the mail server failed ({exc})")
        raise
    with transaction.atomic():
        fresh = {"email": email, "sent_at": timezone.now(), "reminders_sent": 0, "last_reminder_at": None,
                 "finished_at": None}
        Respondent.objects.filter(pk=respondent.pk).update(**fresh)
        for field, value in fresh.items():
            setattr(respondent, field, value)
        tenancy.record(actor, AuditEntry.Action.CHANGE, assessment, f"{_describe(respondent)}'s link e-mailed to {email}")


def respondent_finished(respondent: Respondent, request: HttpRequest | None = None, *, answered: int,
                        total: int) -> bool:
    """The respondent said they had finished through their link: audited, kept (``finished_at``), and
    the first time since their link was e-mailed the advisors get a notice naming them and their role
    (:func:`innexport.web.services.link_finished`, the director's one rule: a mail server's failure is
    audited and never makes finishing fail). ``request`` gives the links' host (else
    ``INNEXPORT_SITE_URL``). Whether a notice was sent."""
    return services.link_finished(respondent, request, answered=answered, total=total,
                                  role=ROLE_LABELS.get(respondent.role, respondent.role))


def by_token(token: str) -> Respondent | None:
    """The respondent whose private link is ``token`` (valid or not), with its assessment."""
    if not token:
        return None
    return (Respondent.objects.select_related("assessment__firm", "assessment__framework",
                                              "assessment__organisation")
            .filter(token=token).first())


@dataclass(frozen=True)
class RespondentRow:
    """One respondent of an assessment as the advisor's pages and the API show it."""

    respondent: Respondent | None
    """None: the first respondent (the assessment's own answers)."""
    name: str
    role: str
    answered: int
    """Questions answered with a level of their scale."""
    dont_know: int
    total: int

    @property
    def id(self) -> int | None:
        return self.respondent.pk if self.respondent is not None else None

    @property
    def role_label(self) -> str:
        return role_label(self.role)

    @property
    def first(self) -> bool:
        return self.respondent is None


def _shown_name(assessment: Assessment, person: Respondent | None) -> str:
    """The respondent's name on the advisor's pages: :func:`innexport.web.services.respondent_name`,
    except a first respondent without a contact, shown by its role's label (in the active language)."""
    if person is None and not assessment.firm.contact.strip():
        return role_label(assessment.respondent_role)
    return services.respondent_name(assessment, person)


def respondents_of(assessment: Assessment) -> list[RespondentRow]:
    """Every respondent of the assessment, the first one first, with their progress (two queries)."""
    total = len(services.framework_of(assessment.framework).observables)
    counts: dict[int | None, dict[str, Any]] = {row["respondent_id"]: dict(row) for row in (
        Answer.objects.filter(assessment=assessment).values("respondent_id")
        .annotate(answered=Count("pk", filter=~Q(value="") & ~Q(value=DONT_KNOW)),
                  dont_know=Count("pk", filter=Q(value=DONT_KNOW))))}
    people: list[Respondent | None] = [None, *Respondent.objects.filter(assessment=assessment).order_by("created_at",
                                                                                                      "pk")]
    rows = []
    for person in people:
        c: dict[str, Any] = counts.get(person.pk if person is not None else None, {})
        rows.append(RespondentRow(
            respondent=person, name=_shown_name(assessment, person),
            role=person.role if person is not None else assessment.respondent_role,
            answered=c.get("answered", 0), dont_know=c.get("dont_know", 0), total=total))
    return rows
