"""The application's e-mails: how each message is built and sent (their one home).

Four messages, each a plain-text body with an HTML alternative (``multipart/alternative``,
RFC 2046 §5.1.4) rendered from ``templates/web/email/<name>.txt``, ``<name>.html`` and
``<name>_subject.txt``:

* :func:`invitation`: the director's private link, to the director, in the **questionnaire's**
  language (the assessment's ``lang``, not the advisor's screen), with the link, the date it
  expires and the organisation's name; replies go to the advisor who sent it;
* :func:`reminder`: the same link again (the director's or a further respondent's own), to the same
  address and in the same language, while that person has not finished (when:
  :func:`innexport.web.services.reminders_due`, one schedule for every respondent);
* :func:`finished_notice`: to an advisor, in the advisor's interface language
  (``Membership.language``), saying the director, or a further respondent named with their role,
  finished through their private link, with a link to the assessment (its results once computed);
* :func:`actions_due`: to an advisor, in the advisor's interface language, the plan actions due
  soon or overdue, firm by firm, each plan with its link (when:
  :func:`innexport.web.services.plan_actions_due`).

:func:`send` hands a message to Django's e-mail backend (settings from the environment,
:func:`innexport.web.settings.email_settings`: SMTP with a bounded timeout, or the console backend
by default; Django's "Sending email" documentation). Any refusal or failure of the mail server
(:mod:`smtplib` errors, refused or timed-out connections) becomes :class:`MailFailed`, which the
callers turn into a message for the user or a log line; nothing here decides *when* to send
(:mod:`innexport.web.services` does).
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
import ssl
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import EmailMultiAlternatives
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone, translation

from innexport.web.language import user_language
from innexport.web.models import Assessment, Respondent

log = logging.getLogger(__name__)

__all__ = ["MailFailed", "Message", "absolute_url", "actions_due", "finished_notice", "invitation", "reminder", "send"]


class MailFailed(Exception):
    """The message could not be handed to the mail server (refused, unreachable, timed out).

    ``str()`` names the kind of failure only (never the recipient or the link), for logs and audit.
    """


class NoSiteUrl(MailFailed):
    """A link must be written outside a request and ``INNEXPORT_SITE_URL`` is not set."""


@dataclass(frozen=True)
class Message:
    """One e-mail ready to send: recipient, subject, plain text and its HTML alternative."""

    to: str
    subject: str
    text: str
    html: str
    reply_to: str = ""


def absolute_url(path: str, request: HttpRequest | None = None) -> str:
    """``path`` as an address the recipient can open: on the request's host when there is a request,
    else on ``INNEXPORT_SITE_URL`` (:class:`NoSiteUrl` when it is not set).

    >>> from django.test import override_settings
    >>> with override_settings(SITE_URL="https://diag.example.org"):
    ...     absolute_url("/s/abc/")
    'https://diag.example.org/s/abc/'
    """
    if request is not None:
        return request.build_absolute_uri(path)
    if not settings.SITE_URL:
        raise NoSiteUrl("INNEXPORT_SITE_URL is not set: the e-mail's links need the application's address")
    return f"{settings.SITE_URL}{path}"


def _render(name: str, context: dict[str, Any], lang: str, to: str, reply_to: str = "") -> Message:
    with translation.override(lang):
        subject = " ".join(render_to_string(f"web/email/{name}_subject.txt", context).split())
        text = render_to_string(f"web/email/{name}.txt", context)
        html = render_to_string(f"web/email/{name}.html", {**context, "lang": lang})
    return Message(to=to, subject=subject, text=text, html=html, reply_to=reply_to)


def _link_context(assessment: Assessment, link_url: str) -> dict[str, Any]:
    expires = assessment.share_expires_at
    return {
        "organisation": assessment.organisation.name, "firm": assessment.firm.name, "link_url": link_url,
        "expires": timezone.localtime(expires) if expires is not None else None,
    }


def invitation(assessment: Assessment, to: str, link_url: str, sender: User | None = None, *,
               expires: dt.datetime | None = None) -> Message:
    """The director's invitation, in the questionnaire's language (``assessment.lang``); a further
    respondent's too, with their own link and its expiry (``expires``).

    ``sender``: the advisor, named in the message and given as the address to reply to.
    """
    name = (sender.get_full_name() or sender.get_username()) if sender is not None else ""
    context = {**_link_context(assessment, link_url), "sender": name}
    if expires is not None:
        context["expires"] = timezone.localtime(expires)
    return _render("invitation", context, assessment.lang, to, reply_to=getattr(sender, "email", "") or "")


def reminder(assessment: Assessment, to: str, link_url: str, *, expires: dt.datetime | None = None) -> Message:
    """A reminder of the private link to an unfinished questionnaire, in the questionnaire's language
    (``assessment.lang``, the language the link's pages speak); ``expires``: a further respondent's
    own link's expiry (default: the director's link's)."""
    context = _link_context(assessment, link_url)
    if expires is not None:
        context["expires"] = timezone.localtime(expires)
    return _render("reminder", context, assessment.lang, to)


def finished_notice(assessment: Assessment, advisor: User, url: str, *, answered: int, total: int,
                    respondent: Respondent | None = None, role: Any = "") -> Message:
    """The advisor's notice that the director (or a further ``respondent``, named with their role's
    label ``role``, a lazy translation rendered here) finished through their private link, in the
    advisor's interface language, with ``url`` (the assessment's page: its results once computed)."""
    lang = user_language(advisor)
    context = {"organisation": assessment.organisation.name, "firm": assessment.firm.name, "url": url,
               "answered": answered, "total": total,
               "respondent": respondent.name if respondent is not None else "", "role": role}
    return _render("finished", context, lang, advisor.email)


def actions_due(advisor: User, plans: list[dict[str, Any]], today: dt.date) -> Message:
    """The advisor's reminder of plan actions due soon or overdue, in the advisor's interface
    language: ``plans`` is a list of ``{"firm", "url", "actions": [{"title", "due", "status",
    "overdue"}]}``, one per firm's plan (:func:`innexport.web.services.send_plan_reminders`)."""
    lang = user_language(advisor)
    count = sum(len(p["actions"]) for p in plans)
    return _render("actions_due", {"plans": plans, "count": count, "today": today}, lang, advisor.email)


def send(message: Message) -> None:
    """Hand ``message`` to the configured backend; :class:`MailFailed` when the server refuses it
    or cannot be reached within ``EMAIL_TIMEOUT`` seconds."""
    mail = EmailMultiAlternatives(message.subject, message.text, to=[message.to],
                                  reply_to=[message.reply_to] if message.reply_to else None)
    mail.attach_alternative(message.html, "text/html")
    try:
        mail.send()
    except (smtplib.SMTPException, ssl.SSLError, OSError) as exc:  # OSError: refused, unreachable, timeout
        log.warning("e-mail not sent (%s: %s)", type(exc).__name__, exc)
        raise MailFailed(type(exc).__name__) from exc
