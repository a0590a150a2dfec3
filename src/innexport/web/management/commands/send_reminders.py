"""``innexport manage send_reminders [--dry-run]``: remind the directors and the further respondents
who have not finished, and the advisors of their plans' actions due.

A director to whom the private link was e-mailed (the questionnaire's "Send the link by e-mail"),
or a further respondent to whom their own link was e-mailed (the respondents' page), who has
neither pressed "I have finished" nor seen the diagnostic completed, while the link is still open,
gets the link again (:func:`innexport.web.mail.reminder`, in the questionnaire's language)
``INNEXPORT_REMINDER_AFTER_DAYS`` days after the invitation (default 7), then at most once in
``INNEXPORT_REMINDER_EVERY_DAYS`` days (default 7), at most ``INNEXPORT_REMINDER_MAX`` times
(default 2), and once more in the last ``INNEXPORT_REMINDER_BEFORE_EXPIRY_DAYS`` days of the link.
The rules, one for every respondent, are :func:`innexport.web.services.reminders_due`; the count
printed covers both; running the command twice sends nothing more, so it is meant for cron, e.g.
every morning::

    15 8 * * *  innexport manage send_reminders

The same run e-mails each advisor one message listing the actions of the plans they look after
that are not done or dropped and due within ``INNEXPORT_PLAN_REMINDER_DAYS`` days (default 7) or
overdue, once per due date (:func:`innexport.web.services.send_plan_reminders`).

Links in the messages use ``INNEXPORT_SITE_URL`` (refused with exit status 2 when it is not set).
Exit status 1 when a reminder could not be sent (it is tried again at the next run).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from innexport.web import services
from innexport.web.models import Respondent


def _whom(link: services.LinkHolder) -> str:
    """A further respondent's number and role after the assessment's; nothing for the director."""
    return f", {services.describe_respondent(link)}" if isinstance(link, Respondent) else ""


class Command(BaseCommand):
    help = ("E-mail the private link again to the directors and respondents who have not finished the questionnaire "
            "(settings INNEXPORT_REMINDER_AFTER_DAYS, _EVERY_DAYS, _MAX, _BEFORE_EXPIRY_DAYS) and tell advisors of "
            "their plans' actions due (INNEXPORT_PLAN_REMINDER_DAYS); safe to run daily from cron.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="List who would be reminded; send nothing.")

    def handle(self, *args: Any, dry_run: bool = False, **options: Any) -> str:
        if not settings.SITE_URL and not dry_run:
            raise CommandError("set INNEXPORT_SITE_URL (e.g. https://diagnostic.example.org): the reminders "
                               "carry a link to the application", returncode=2)
        run = services.send_due_reminders(dry_run=dry_run)
        plans = services.send_plan_reminders(dry_run=dry_run)
        verb = "would remind" if dry_run else "reminded"
        for link in run.sent:
            number = link.reminders_sent + (1 if dry_run else 0)
            self.stdout.write(f"{verb} {link.email} (assessment {link.assessment_id}{_whom(link)}, reminder {number} "
                              f"of {settings.REMINDER_MAX})")
        for link in run.failed:
            self.stderr.write(f"not sent to {link.email} (assessment {link.assessment_id}{_whom(link)}): "
                              "the mail server failed")
        respondents = sum(isinstance(link, Respondent) for link in run.sent)
        self.stdout.write(f"{len(run.sent)} reminder(s) {'to send' if dry_run else 'sent'}"
                          f" ({len(run.sent) - respondents} to directors, {respondents} to further respondents)"
                          + (f", {len(run.failed)} failed" if run.failed else ""))
        verb = "would tell" if dry_run else "told"
        for user, actions in plans.sent:
            self.stdout.write(f"{verb} {user.email} of {len(actions)} plan action(s) due")
        for user, actions in plans.failed:
            self.stderr.write(f"not sent to {user.email} ({len(actions)} plan action(s) due): the mail server failed")
        self.stdout.write(f"{len(plans.sent)} plan reminder(s) {'to send' if dry_run else 'sent'}"
                          + (f", {len(plans.failed)} failed" if plans.failed else ""))
        failed = len(run.failed) + len(plans.failed)
        if failed:
            raise CommandError(f"{failed} reminder(s) could not be sent; they are tried again at the next run")
        return ""
