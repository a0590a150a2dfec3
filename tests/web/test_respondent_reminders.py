"""Reminders and "I have finished" for every respondent (issue 12): a further respondent whose own
private link was e-mailed is reminded on the director's one schedule (services.reminders_due), by
the same run (``innexport manage send_reminders``), in the questionnaire's language, with their own
link and its expiry; when they finish, the advisor is told once, in the advisor's language, naming
them and their role. Through a real SMTP server on loopback (aiosmtpd, ``inbox``/``smtp_down``)."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from itertools import pairwise

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from innexport.web import services
from innexport.web.models import Assessment, AuditEntry, DirectorLink, Membership, Respondent

from .mailbox import SITE, free_port, parts, subject

pytestmark = pytest.mark.django_db

LUIS = "luis@vina-sur.cl"
DIRECTOR = "directora@vina-sur.cl"
ADVISOR = "advisor@cci.example.org"


@pytest.fixture(autouse=True)
def _reminder_settings(settings) -> None:
    """Reminded 7 days after the invitation, then at most once in 3 days, at most twice; one last
    reminder in the last 2 days of the link."""
    settings.REMINDER_AFTER_DAYS, settings.REMINDER_EVERY_DAYS, settings.REMINDER_MAX = 7, 3, 2
    settings.REMINDER_BEFORE_EXPIRY_DAYS = 2


@pytest.fixture
def spanish(assessment: Assessment) -> Assessment:
    """A Spanish questionnaire; the advisor's screens are in English."""
    assessment.lang = "es"
    assessment.save()
    return assessment


def respondents_page(org, assessment: Assessment, data: dict[str, str]):
    response = org.client().post(reverse("assessment-respondents", args=[assessment.pk]), data)
    assert response.status_code in (200, 302), response.content[:300]
    return response


def e_mailed(org, assessment: Assessment, days: int = 30, email: str = LUIS, name: str = "Luis Rojas") -> Respondent:
    """An export manager added on the respondents' page, their link opened for ``days`` days and
    e-mailed to ``email`` (through the page: the invitation goes to the inbox)."""
    respondents_page(org, assessment, {"action": "add", "name": name, "role": "export_manager", "email": ""})
    person = Respondent.objects.get(assessment=assessment, name=name)
    respondents_page(org, assessment, {"action": "open", "respondent": str(person.pk), "days": str(days)})
    respondents_page(org, assessment, {"action": "send", "respondent": str(person.pk), "email": email})
    person.refresh_from_db()
    return person


def invited_days_ago(person: Respondent, days: float) -> None:
    Respondent.objects.filter(pk=person.pk).update(sent_at=timezone.now() - dt.timedelta(days=days))


def remind(*args: str) -> str:
    out = StringIO()
    call_command("send_reminders", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def finish(token: str):
    return Client().post(reverse("share-page", args=[token, 1]), {"nav": "done"})


def descriptions(prefix: str) -> list[str]:
    return list(AuditEntry.objects.filter(description__startswith=prefix).order_by("pk")
                .values_list("description", flat=True))


# --- reminders -------------------------------------------------------------------------------------------


def test_a_respondent_is_reminded_on_schedule_once_per_window(org_a, spanish, inbox) -> None:
    person = e_mailed(org_a, spanish)
    assert [m["To"] for m in inbox.messages] == [LUIS], "the invitation"
    assert person.sent_at is not None and person.reminders_sent == 0 and person.last_reminder_at is None
    assert spanish.share_token is None, "the director's link is not even open: only the respondent's own is used"
    invited_days_ago(person, 6.9)
    assert "0 reminder(s) sent" in remind() and len(inbox.messages) == 1, "not before 7 days"

    invited_days_ago(person, 7.05)
    out = remind("--dry-run")  # says whom, sends and changes nothing
    assert (f"would remind {LUIS} (assessment {spanish.pk}, respondent {person.pk} (export_manager), "
            f"reminder 1 of 2)") in out
    assert "1 reminder(s) to send (0 to directors, 1 to further respondents)" in out
    assert len(inbox.messages) == 1 and Respondent.objects.get(pk=person.pk).reminders_sent == 0

    assert "1 reminder(s) sent (0 to directors, 1 to further respondents)" in remind()
    message = inbox.messages[-1]
    text, html = parts(message)
    link = f"{SITE}/s/{person.token}/"
    assert message["To"] == LUIS and subject(message).startswith("Recordatorio: el cuestionario")
    assert link in text and f'href="{link}"' in html and 'lang="es"' in html
    with translation.override("es"):
        expires = date_format(timezone.localtime(person.expires_at), "DATE_FORMAT")
    assert f"El enlace es válido hasta el {expires}." in text, "the respondent's own link's expiry"
    assert "Hello" not in text and "«Terminé»" in text

    # idempotent: at once again, nothing
    assert "0 reminder(s) sent" in remind() and len(inbox.messages) == 2
    state = Respondent.objects.get(pk=person.pk)
    assert state.reminders_sent == 1 and state.last_reminder_at is not None
    last = state.last_reminder_at
    # once per window of 3 days; at most twice
    assert services.send_due_reminders(now=last + dt.timedelta(days=2, hours=23)).sent == []
    [again] = services.send_due_reminders(now=last + dt.timedelta(days=3)).sent
    assert again.pk == person.pk and isinstance(again, Respondent)
    assert services.send_due_reminders(now=last + dt.timedelta(days=9)).sent == []
    assert len(inbox.messages) == 3 and Respondent.objects.get(pk=person.pk).reminders_sent == 2
    assert descriptions("reminder ") == [
        f"reminder 1 of respondent {person.pk} (export_manager)'s link e-mailed to {LUIS}",
        f"reminder 2 of respondent {person.pk} (export_manager)'s link e-mailed to {LUIS}",
    ]
    assert token_never_audited(person.token)


def token_never_audited(token: str | None) -> bool:
    return bool(token) and not AuditEntry.objects.filter(description__contains=token).exists()


def test_one_run_reminds_the_director_and_each_respondent_with_their_own_link(org_a, spanish, inbox) -> None:
    share = org_a.client().post(reverse("assessment-share", args=[spanish.pk]), {"action": "open", "days": "30"})
    assert share.status_code == 302
    spanish.refresh_from_db()
    DirectorLink.objects.update_or_create(assessment=spanish, defaults={
        "email": DIRECTOR, "sent_by": org_a.advisor, "sent_at": timezone.now() - dt.timedelta(days=9)})
    luis = e_mailed(org_a, spanish)
    ana = e_mailed(org_a, spanish, email="ana@vina-sur.cl", name="Ana Díaz")
    invited_days_ago(luis, 8)
    invited_days_ago(ana, 10)
    inbox.messages.clear()
    assert [type(h).__name__ for h in services.reminders_due()] == ["Respondent", "DirectorLink", "Respondent"], \
        "oldest invitation first"
    out = remind()
    assert "3 reminder(s) sent (1 to directors, 2 to further respondents)" in out
    assert f"reminded {DIRECTOR} (assessment {spanish.pk}, reminder 1 of 2)" in out
    by_address = {m["To"]: parts(m)[0] for m in inbox.messages}
    assert set(by_address) == {DIRECTOR, LUIS, "ana@vina-sur.cl"}
    assert f"/s/{spanish.share_token}/" in by_address[DIRECTOR]
    assert f"/s/{luis.token}/" in by_address[LUIS] and f"/s/{ana.token}/" in by_address["ana@vina-sur.cl"]
    assert f"/s/{ana.token}/" not in by_address[LUIS]
    assert "0 reminder(s) sent (0 to directors, 0 to further respondents)" in remind() and len(inbox.messages) == 3


def test_who_is_not_reminded(org_a, spanish, inbox) -> None:
    """Finished through their link, revoked, expired, never e-mailed, or the diagnostic completed:
    no reminder; e-mailing the link again starts afresh."""
    people = [e_mailed(org_a, spanish, name=f"Person {i}", email=f"p{i}@vina-sur.cl") for i in range(5)]
    for person in people:
        invited_days_ago(person, 20)
    assert len(services.reminders_due()) == 5
    finished, revoked, expired, not_mailed, fifth = people
    assert finish(finished.token).status_code == 302
    respondents_page(org_a, spanish, {"action": "revoke", "respondent": str(revoked.pk)})
    Respondent.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    Respondent.objects.filter(pk=not_mailed.pk).update(sent_at=None)
    assert [h.pk for h in services.reminders_due()] == [fifth.pk]
    assert Respondent.objects.get(pk=revoked.pk).sent_at is None, "a revoked link's invitation is forgotten"
    Assessment.objects.filter(pk=spanish.pk).update(status="completed")
    assert services.reminders_due() == []
    assert "0 reminder(s) sent" in remind()

    # e-mailing the link again after reminders and a "finished": counted afresh
    Assessment.objects.filter(pk=spanish.pk).update(status="draft")
    Respondent.objects.filter(pk=fifth.pk).update(reminders_sent=2, last_reminder_at=timezone.now())
    respondents_page(org_a, spanish, {"action": "send", "respondent": str(finished.pk), "email": "p0@vina-sur.cl"})
    again = Respondent.objects.get(pk=finished.pk)
    assert again.finished_at is None and again.reminders_sent == 0 and again.sent_at is not None
    assert services.reminders_due() == [], "fifth: twice already; the re-sent one: invited just now"
    assert [h.pk for h in services.reminders_due(timezone.now() + dt.timedelta(days=7, minutes=1))] == [finished.pk]


def test_one_last_reminder_before_the_respondents_link_expires(org_a, spanish, inbox, settings) -> None:
    settings.REMINDER_AFTER_DAYS = 60  # periodic reminders never come: only the last one
    person = e_mailed(org_a, spanish, days=10)
    invited_days_ago(person, 2)
    assert person.expires_at is not None
    expires = person.expires_at
    assert services.send_due_reminders(now=expires - dt.timedelta(days=2, minutes=1)).sent == []
    [sent] = services.send_due_reminders(now=expires - dt.timedelta(days=1, hours=23)).sent
    assert sent.pk == person.pk and f"/s/{person.token}/" in parts(inbox.messages[-1])[0]
    assert services.send_due_reminders(now=expires - dt.timedelta(hours=1)).sent == []
    assert services.send_due_reminders(now=expires + dt.timedelta(hours=1)).sent == [], "expired"


@hypothesis_settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(runs=st.lists(st.integers(min_value=0, max_value=31 * 24), min_size=1, max_size=14, unique=True),
       every=st.integers(min_value=1, max_value=6), most=st.integers(min_value=0, max_value=3))
def test_the_director_and_a_respondent_follow_one_schedule(org_a, spanish, settings, runs, every, most) -> None:
    """A director and a respondent e-mailed at the same moment, with links expiring at the same
    moment, are reminded at exactly the same runs, whatever the run times (hours after the invitation)
    and the settings; and the schedule's promises hold: nothing before the 7th day, periodic
    reminders at least ``every`` days apart and at most ``most`` of them, plus at most one in the
    last 2 days of the link; nothing after it expires."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = SITE
    settings.REMINDER_EVERY_DAYS, settings.REMINDER_MAX = every, most
    sent_at = timezone.now().replace(microsecond=0)
    expires = sent_at + dt.timedelta(days=30)
    Assessment.objects.filter(pk=spanish.pk).update(share_token="director-token", share_expires_at=expires)
    DirectorLink.objects.update_or_create(assessment=spanish, defaults={
        "email": DIRECTOR, "sent_at": sent_at, "reminders_sent": 0, "last_reminder_at": None})
    person, _created = Respondent.objects.update_or_create(assessment=spanish, name="Luis Rojas", defaults={
        "role": "export_manager", "email": LUIS, "token": "respondent-token", "expires_at": expires,
        "sent_at": sent_at, "reminders_sent": 0, "last_reminder_at": None, "finished_at": None})
    reminded: dict[str, list[dt.datetime]] = {"DirectorLink": [], "Respondent": []}
    for hours in sorted(runs):
        now = sent_at + dt.timedelta(hours=hours)
        for holder in services.send_due_reminders(now=now).sent:
            reminded[type(holder).__name__].append(now)
    assert reminded["DirectorLink"] == reminded["Respondent"], "one rule for both"
    times = reminded["Respondent"]
    week, window = sent_at + dt.timedelta(days=7), expires - dt.timedelta(days=2)
    moments = [sent_at + dt.timedelta(hours=h) for h in sorted(runs)]
    assert len(times) <= (most + 1 if most else 0)
    assert all(week <= t < expires for t in times)
    for a, b in pairwise(times):
        assert b - a >= dt.timedelta(days=every) or a < window <= b, "once per window"
    if most:  # and nothing is forgotten: the first run from the 7th day, and one run in the last window
        first = next((t for t in moments if week <= t < expires), None)
        assert (times[:1] or [None])[0] == first
        assert any(window <= t for t in times) == any(window <= t < expires for t in moments)
    state = Respondent.objects.get(pk=person.pk)
    assert state.reminders_sent == len(times)


def test_two_runs_that_both_saw_a_reminder_due_send_it_once(org_a, spanish, inbox, monkeypatch) -> None:
    """The claim (a conditional update of the counters) decides: a second run holding the same stale
    list of who is due, as a concurrent run would, sends nothing."""
    person = e_mailed(org_a, spanish)
    invited_days_ago(person, 8)
    stale = services.reminders_due()
    assert [h.pk for h in stale] == [person.pk]
    assert len(services.send_due_reminders().sent) == 1
    monkeypatch.setattr(services, "reminders_due", lambda now=None: stale)
    run = services.send_due_reminders()
    assert run.sent == [] and run.failed == []
    assert [m["To"] for m in inbox.messages] == [LUIS, LUIS], "the invitation and one reminder"
    assert Respondent.objects.get(pk=person.pk).reminders_sent == 1


@pytest.mark.parametrize("meanwhile", ["finished", "revoked", "e-mailed again"])
def test_a_reminder_selected_before_a_change_is_not_sent(org_a, spanish, inbox, monkeypatch, meanwhile) -> None:
    """Between a run's selection and its claim, the respondent finishes, or the advisor revokes or
    e-mails the link again: the claim fails, so no stale link and no reminder of a finished questionnaire."""
    person = e_mailed(org_a, spanish)
    invited_days_ago(person, 8)
    stale = services.reminders_due()
    if meanwhile == "finished":
        finish(person.token)
    elif meanwhile == "revoked":
        respondents_page(org_a, spanish, {"action": "revoke", "respondent": str(person.pk)})
    else:
        respondents_page(org_a, spanish, {"action": "send", "respondent": str(person.pk), "email": LUIS})
    sent_before = len(inbox.messages)
    monkeypatch.setattr(services, "reminders_due", lambda now=None: stale)
    assert services.send_due_reminders().sent == [] and len(inbox.messages) == sent_before
    assert Respondent.objects.get(pk=person.pk).reminders_sent == 0


def test_the_mail_server_down_is_audited_and_retried_at_the_next_run(org_a, spanish, inbox, settings) -> None:
    person = e_mailed(org_a, spanish)
    invited_days_ago(person, 8)
    up = settings.EMAIL_PORT
    settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = free_port(), 2  # nothing listens there
    with pytest.raises(CommandError, match="1 reminder"):
        remind()
    state = Respondent.objects.get(pk=person.pk)
    assert state.reminders_sent == 0 and state.last_reminder_at is None, "the claim was given back"
    assert descriptions("reminder NOT e-mailed") == [
        (f"reminder NOT e-mailed to {LUIS} (respondent {person.pk} (export_manager)'s link): "
         "the mail server failed (ConnectionRefusedError)")]
    settings.EMAIL_PORT = up
    assert "1 reminder(s) sent" in remind()
    assert [m["To"] for m in inbox.messages] == [LUIS, LUIS]
    assert Respondent.objects.get(pk=person.pk).reminders_sent == 1


# --- "I have finished" ----------------------------------------------------------------------------------


def test_the_advisor_is_told_once_when_a_respondent_finishes(org_a, spanish, inbox) -> None:
    org_a.advisor.email = ADVISOR
    org_a.advisor.save()
    Membership.objects.filter(user=org_a.advisor).update(language="fr")
    org_a.admin.email = "admin@cci.example.org"  # an editor too, but the advisor added the respondent
    org_a.admin.save()
    person = e_mailed(org_a, spanish)
    inbox.messages.clear()
    response = finish(person.token)
    assert response.status_code == 302 and response["Location"] == reverse("share-done", args=[person.token])
    [message] = inbox.messages
    text, html = parts(message)
    url = f"http://testserver/assessments/{spanish.pk}/"
    assert message["To"] == ADVISOR
    assert subject(message) == "Chamber A Winery : Luis Rojas (Responsable export) a terminé le questionnaire"
    total = len(services.framework_of(spanish.framework).observables)
    assert text.startswith("Luis Rojas (Responsable export) a fini de répondre au questionnaire de Chamber A "
                           f"Winery par son propre lien privé (0 questions répondues sur {total}).")
    assert url in text and f'href="{url}"' in html and 'lang="fr"' in html and "dirigeant" not in text
    assert Respondent.objects.get(pk=person.pk).finished_at is not None
    # once: finishing again tells no one again, but is audited again
    assert finish(person.token).status_code == 302 and len(inbox.messages) == 1
    assert [d for d in descriptions(f"respondent {person.pk}") if "finished" in d] == [
        f"respondent {person.pk} (export_manager) finished answering through the private link (0/{total})"] * 2
    # the director's "finished" is their own: still to come, and told separately
    assert not DirectorLink.objects.filter(assessment=spanish, finished_at__isnull=False).exists()


def test_the_respondents_notice_speaks_the_advisors_language(org_a, spanish, inbox) -> None:
    org_a.advisor.email = ADVISOR
    org_a.advisor.save()
    Membership.objects.filter(user=org_a.advisor).update(language="es")
    person = e_mailed(org_a, spanish)
    Respondent.objects.filter(pk=person.pk).update(role="rd_lead")
    finish(person.token)
    message = inbox.messages[-1]
    assert subject(message) == "Chamber A Winery: Luis Rojas (Responsable de I+D) terminó el cuestionario"


def test_finishing_never_fails_because_of_the_mail_server(org_a, spanish, inbox, settings, caplog) -> None:
    org_a.advisor.email = ADVISOR
    org_a.advisor.save()
    person = e_mailed(org_a, spanish)
    settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = free_port(), 2
    response = finish(person.token)
    assert response.status_code == 302 and response["Location"].endswith("/done/")
    assert Respondent.objects.get(pk=person.pk).finished_at is not None
    assert descriptions("the notice that") == [
        (f"the notice that respondent {person.pk} (export_manager) finished NOT e-mailed to "
         f"{org_a.advisor.get_username()}: the mail server failed (ConnectionRefusedError)")]
    assert "was not sent" in caplog.text
