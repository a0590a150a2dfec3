"""E-mail of the advisor's daily work (issue 11): the director's invitation, reminders, the notice
that the director finished, through Django's SMTP backend and a real SMTP server (aiosmtpd) on the
loopback interface; and the e-mail settings read from the environment."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from innexport.web import services, tenancy
from innexport.web.models import ActionPlan, Assessment, AuditEntry, DirectorLink, Membership, PlanAction
from innexport.web.settings import email_settings

from .mailbox import SITE, parts, subject
from .test_plans import completed

pytestmark = pytest.mark.django_db

DIRECTOR = "directora@vina-sur.cl"


@pytest.fixture(autouse=True)
def _reminder_settings(settings) -> None:
    settings.REMINDER_AFTER_DAYS, settings.REMINDER_EVERY_DAYS, settings.REMINDER_MAX = 7, 3, 2


@pytest.fixture
def spanish(org_a, assessment: Assessment) -> Assessment:
    """A Spanish questionnaire of a firm whose director's address is known; the advisor's screens are in English."""
    assessment.lang = "es"
    assessment.save()
    org_a.firm.contact_email = DIRECTOR
    org_a.firm.save()
    return assessment


def advisor(org) -> Client:
    """The organisation's advisor, signed in: one client per test (so the messages after a redirect show)."""
    client = vars(org).get("_advisor_client")
    if client is None:
        client = vars(org)["_advisor_client"] = org.client()
    return client


def share(org, assessment: Assessment, **data: str):
    data.setdefault("next", reverse("assessment-page", args=[assessment.pk, 1]))
    response = advisor(org).post(reverse("assessment-share", args=[assessment.pk]), data)
    assessment.refresh_from_db()
    return response


def page_text(org, assessment: Assessment) -> str:
    return advisor(org).get(reverse("assessment-page", args=[assessment.pk, 1])).content.decode()


# --- the invitation -----------------------------------------------------------------------------------


def test_invitation_arrives_in_the_questionnaires_language(org_a, spanish, inbox) -> None:
    share(org_a, spanish, action="open", days="10")
    token = spanish.share_token
    assert token
    page = page_text(org_a, spanish)
    assert f'value="{DIRECTOR}"' in page, "the address is prefilled from the firm"
    response = share(org_a, spanish, action="send", email=DIRECTOR)
    assert response.status_code == 302
    assert f"se envió a {DIRECTOR}" in page_text(org_a, spanish)  # the questionnaire's language

    [message] = inbox.messages
    assert message["To"] == DIRECTOR and message["From"] == "diagnostic@cci.example.org"
    assert subject(message) == "Chamber A: el cuestionario de innovación y exportación de Chamber A Winery"
    text, html = parts(message)
    link = f"http://testserver/s/{token}/"
    with translation.override("es"):
        expires = date_format(timezone.localtime(spanish.share_expires_at), "DATE_FORMAT")
    assert "de 20" in expires  # Spanish date: "16 de diciembre de 2026"
    assert link in text and f'href="{link}"' in html
    assert f"El enlace es válido hasta el {expires}." in text and expires in html
    assert "Chamber A invita" in text or "Chamber A le invita" in text
    assert "Hello" not in text and "valid until" not in text and 'lang="es"' in html
    # the audit trail: who sent it to whom, when; never the token
    entry = AuditEntry.objects.get(description__contains="e-mailed to")
    assert entry.user == org_a.advisor and entry.description == f"director's link e-mailed to {DIRECTOR}"
    assert entry.object_id == str(spanish.pk) and abs(entry.at - timezone.now()) < dt.timedelta(minutes=1)
    assert not AuditEntry.objects.filter(description__contains=token).exists()
    link_state = DirectorLink.objects.get(assessment=spanish)
    assert link_state.email == DIRECTOR and link_state.sent_by == org_a.advisor and link_state.reminders_sent == 0


def test_invitation_in_french_names_the_advisor_to_reply_to(org_a, assessment, inbox) -> None:
    org_a.advisor.first_name, org_a.advisor.last_name, org_a.advisor.email = "Ana", "Roux", "ana@cci.example.org"
    org_a.advisor.save()
    assessment.lang = "fr"
    assessment.save()
    share(org_a, assessment, action="open")
    share(org_a, assessment, action="send", email="jean@domaine.fr")
    [message] = inbox.messages
    text, _html = parts(message)
    assert message["Reply-To"] == "ana@cci.example.org"
    assert text.startswith("Bonjour,") and "Ana Roux\nChamber A" in text and "valable jusqu'au" in text


@pytest.mark.parametrize("address", ["", "not-an-address", "a@b@c.fr", "x@y.fr\nBcc: z@w.fr"])
def test_a_bad_address_is_refused_and_nothing_is_sent(org_a, spanish, inbox, address) -> None:
    share(org_a, spanish, action="open")
    response = share(org_a, spanish, action="send", email=address)
    assert response.status_code == 302
    assert "no es una dirección de correo electrónico válida" in page_text(org_a, spanish)
    assert inbox.messages == [] and not DirectorLink.objects.filter(assessment=spanish, sent_at__isnull=False).exists()


def test_no_link_open_nothing_to_send(org_a, spanish, inbox) -> None:
    response = share(org_a, spanish, action="send", email=DIRECTOR)
    assert response.status_code == 302
    assert "no está abierto" in page_text(org_a, spanish) and inbox.messages == []
    assert org_a.client("analyst").post(reverse("assessment-share", args=[spanish.pk]),
                                        {"action": "send", "email": DIRECTOR}).status_code == 403


def test_smtp_down_gives_a_clear_message_and_the_link_stays_open(org_a, spanish, smtp_down) -> None:
    share(org_a, spanish, action="open")
    token = spanish.share_token
    response = share(org_a, spanish, action="send", email=DIRECTOR)
    assert response.status_code == 302
    page = page_text(org_a, spanish)
    assert "No se pudo enviar el correo" in page and "El enlace sigue siendo válido" in page
    assert spanish.share_token == token and spanish.share_link_valid
    assert Client().get(reverse("share-start", args=[token])).status_code == 302, "the director's link still opens"
    entry = AuditEntry.objects.get(description__contains="NOT e-mailed")
    assert entry.user == org_a.advisor and DIRECTOR in entry.description and token not in entry.description
    assert not DirectorLink.objects.filter(assessment=spanish, sent_at__isnull=False).exists()


def test_the_firm_form_keeps_the_directors_address_for_the_invitation(org_a, assessment) -> None:
    form = advisor(org_a).get(reverse("firm-create")).content.decode()
    assert 'type="email" name="contact_email"' in form
    data = {"name": "Viña Sur", "country": "CL", "sector": "11.02", "contact": "Ana Pérez, directora"}
    response = advisor(org_a).post(reverse("firm-create"), {**data, "contact_email": "ana@@vina"})
    assert response.status_code == 400 and "contact_email" in response.content.decode()
    response = advisor(org_a).post(reverse("firm-create"), {**data, "contact_email": "ana@vina-sur.cl"})
    assert response.status_code == 302
    firm = org_a.organisation.firms.get(name="Viña Sur")
    assert firm.contact_email == "ana@vina-sur.cl"
    draft = Assessment.objects.create(organisation=org_a.organisation, firm=firm, framework=assessment.framework,
                                      lang="es", created_by=org_a.advisor)
    share(org_a, draft, action="open")
    assert 'value="ana@vina-sur.cl"' in page_text(org_a, draft)


def test_erasing_the_firm_erases_the_directors_address(org_a, spanish, inbox) -> None:
    share(org_a, spanish, action="open")
    share(org_a, spanish, action="send", email=DIRECTOR)
    assert AuditEntry.objects.filter(description__contains=DIRECTOR).exists()
    tenancy.erase_firm(org_a.advisor, org_a.firm)
    assert not DirectorLink.objects.exists()
    assert not AuditEntry.objects.filter(description__contains=DIRECTOR).exists()


def test_the_share_boxs_messages_are_in_the_questionnaires_language(org_a, spanish, inbox) -> None:
    """An advisor whose screen is in English, a Spanish questionnaire: the messages about its link
    appear in the questionnaire's (Spanish) area of the page, in Spanish."""
    share(org_a, spanish, action="open")
    text = page_text(org_a, spanish)
    assert "El enlace del director es válido hasta el" in text and "The director's link is valid" not in text
    share(org_a, spanish, action="send", email=DIRECTOR)
    assert f"El enlace del director se envió a {DIRECTOR}." in page_text(org_a, spanish)


# --- reminders ----------------------------------------------------------------------------------------


def invited(org_a, assessment: Assessment, days_ago: float) -> DirectorLink:
    """The link open for 30 days and e-mailed ``days_ago`` (the invitation itself is tested above)."""
    share(org_a, assessment, action="open", days="30")
    link, _ = DirectorLink.objects.update_or_create(assessment=assessment, defaults={
        "email": DIRECTOR, "sent_by": org_a.advisor, "sent_at": timezone.now() - dt.timedelta(days=days_ago)})
    return link


def remind(*args: str) -> str:
    out = StringIO()
    call_command("send_reminders", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_reminder_after_n_days_not_twice_within_m_days_at_most_k(org_a, spanish, inbox) -> None:
    invited(org_a, spanish, days_ago=6.9)
    assert "0 reminder(s) sent" in remind() and inbox.messages == [], "not before N = 7 days"
    DirectorLink.objects.filter(assessment=spanish).update(sent_at=timezone.now() - dt.timedelta(days=7, hours=1))
    # dry run: says whom, sends and changes nothing
    out = remind("--dry-run")
    assert f"would remind {DIRECTOR}" in out and "1 reminder(s) to send" in out
    assert inbox.messages == [] and DirectorLink.objects.get(assessment=spanish).reminders_sent == 0
    # the first reminder
    assert f"reminded {DIRECTOR}" in remind()
    [message] = inbox.messages
    text, html = parts(message)
    assert message["To"] == DIRECTOR and subject(message).startswith("Recordatorio: el cuestionario")
    assert f"{SITE}/s/{spanish.share_token}/" in text and f'href="{SITE}/s/{spanish.share_token}/"' in html
    assert "«Terminé»" in text
    # idempotent: running again at once sends nothing
    assert "0 reminder(s) sent" in remind() and len(inbox.messages) == 1
    state = DirectorLink.objects.get(assessment=spanish)
    assert state.reminders_sent == 1
    now = state.last_reminder_at
    assert now is not None
    # not twice within M = 3 days; again after; never more than K = 2
    assert services.send_due_reminders(now=now + dt.timedelta(days=2, hours=23)).sent == []
    assert len(services.send_due_reminders(now=now + dt.timedelta(days=3)).sent) == 1
    assert services.send_due_reminders(now=now + dt.timedelta(days=10)).sent == []
    assert len(inbox.messages) == 2 and DirectorLink.objects.get(assessment=spanish).reminders_sent == 2
    assert AuditEntry.objects.filter(description__startswith="reminder ", user=None).count() == 2


def test_who_is_not_reminded(org_a, spanish, wine_framework, inbox) -> None:
    """Finished by the director, revoked, expired, never e-mailed, or completed: no reminder."""
    firm = org_a.firm
    cases = []
    for _ in range(5):
        a = Assessment.objects.create(organisation=org_a.organisation, firm=firm, framework=wine_framework, lang="es",
                                      created_by=org_a.advisor)
        cases.append(a)
        invited(org_a, a, days_ago=20)
    finished, revoked, expired, not_mailed, completed = cases
    DirectorLink.objects.filter(assessment=finished).update(finished_at=timezone.now())
    share(org_a, revoked, action="revoke")
    Assessment.objects.filter(pk=expired.pk).update(share_expires_at=timezone.now() - dt.timedelta(minutes=1))
    DirectorLink.objects.filter(assessment=not_mailed).update(email="", sent_at=None)
    Assessment.objects.filter(pk=completed.pk).update(status="completed")
    assert list(services.reminders_due()) == []
    invited(org_a, spanish, days_ago=8)
    assert [link.assessment_id for link in services.reminders_due()] == [spanish.pk]


def test_one_last_reminder_before_the_link_expires(org_a, spanish, inbox, settings) -> None:
    """The link open for 30 days, periodic reminders only after 60 (so never): nothing until the
    last 2 days of the link, then one reminder, whatever the count; then nothing more."""
    settings.REMINDER_AFTER_DAYS = 60
    link = invited(org_a, spanish, days_ago=2)
    expires = Assessment.objects.get(pk=spanish.pk).share_expires_at
    assert expires is not None
    assert services.send_due_reminders(now=expires - dt.timedelta(days=2, minutes=1)).sent == []
    [sent] = services.send_due_reminders(now=expires - dt.timedelta(days=1, hours=23)).sent
    assert sent.pk == link.pk and len(inbox.messages) == 1
    assert f"/s/{spanish.share_token}/" in parts(inbox.messages[0])[0]
    assert services.send_due_reminders(now=expires - dt.timedelta(hours=1)).sent == []
    # even after K periodic reminders, the last window still gets its one reminder
    DirectorLink.objects.filter(pk=link.pk).update(reminders_sent=2, last_reminder_at=expires - dt.timedelta(days=5))
    assert len(services.send_due_reminders(now=expires - dt.timedelta(days=1)).sent) == 1
    assert services.send_due_reminders(now=expires - dt.timedelta(hours=2)).sent == []


def test_no_last_reminder_on_the_day_of_the_invitation(org_a, spanish, inbox, settings) -> None:
    invited(org_a, spanish, days_ago=0.5)
    expires = Assessment.objects.get(pk=spanish.pk).share_expires_at
    assert expires is not None
    assert services.send_due_reminders(now=timezone.now() + dt.timedelta(hours=1)).sent == []
    settings.REMINDER_MAX = 0  # 0 turns every reminder off, the last one too
    assert services.send_due_reminders(now=expires - dt.timedelta(days=1)).sent == []


def test_reminders_need_the_sites_address(settings) -> None:
    settings.SITE_URL = ""
    with pytest.raises(CommandError, match="INNEXPORT_SITE_URL") as refused:
        remind()
    assert refused.value.returncode == 2


def test_a_failed_reminder_is_tried_again(org_a, spanish, settings, smtp_down) -> None:
    invited(org_a, spanish, days_ago=8)
    with pytest.raises(CommandError, match="1 reminder"):
        remind()
    state = DirectorLink.objects.get(assessment=spanish)
    assert state.reminders_sent == 0 and state.last_reminder_at is None
    assert AuditEntry.objects.filter(description__startswith="reminder NOT e-mailed").count() == 1


# --- the director finished ---------------------------------------------------------------------------


def finish(token: str, page: int = 1):
    return Client().post(reverse("share-page", args=[token, page]), {"nav": "done"})


def test_the_advisor_is_told_in_their_language_when_the_director_finishes(org_a, spanish, inbox) -> None:
    org_a.advisor.email = "advisor@cci.example.org"
    org_a.advisor.save()
    Membership.objects.filter(user=org_a.advisor).update(language="fr")
    org_a.admin.email = "admin@cci.example.org"  # an editor too, but the advisor opened the link
    org_a.admin.save()
    share(org_a, spanish, action="open")
    token = spanish.share_token
    response = finish(token)
    assert response.status_code == 302 and response["Location"] == reverse("share-done", args=[token])
    [message] = inbox.messages
    text, html = parts(message)
    url = f"http://testserver/assessments/{spanish.pk}/"
    assert message["To"] == "advisor@cci.example.org"
    assert subject(message) == "Chamber A Winery : le dirigeant a terminé le questionnaire"
    assert url in text and f'href="{url}"' in html and "calculez les résultats" in text
    total = len(services.framework_of(spanish.framework).observables)
    assert f"(0 questions répondues sur {total})" in text
    # once per invitation: finishing again tells no one again
    assert finish(token).status_code == 302 and len(inbox.messages) == 1
    assert AuditEntry.objects.filter(description__contains="director finished").count() == 2


def test_without_the_opener_every_editor_with_an_address_is_told(org_a, spanish, inbox) -> None:
    share(org_a, spanish, action="open")  # the advisor who opened it has no address
    for user, address in ((org_a.admin, "admin@cci.example.org"), (org_a.analyst, "analyst@cci.example.org")):
        user.email = address
        user.save()
    finish(spanish.share_token)
    assert [m["To"] for m in inbox.messages] == ["admin@cci.example.org"], "editors only, not the analyst"


def test_finishing_never_fails_because_of_the_mail_server(org_a, spanish, smtp_down, caplog) -> None:
    org_a.advisor.email = "advisor@cci.example.org"
    org_a.advisor.save()
    share(org_a, spanish, action="open")
    response = finish(spanish.share_token)
    assert response.status_code == 302 and response["Location"].endswith("/done/")
    assert DirectorLink.objects.get(assessment=spanish).finished_at is not None
    assert AuditEntry.objects.filter(description__contains="director finished").exists()
    assert "was not sent" in caplog.text


# --- the settings ------------------------------------------------------------------------------------


def test_email_settings_from_the_environment() -> None:
    assert email_settings({})["EMAIL_BACKEND"].endswith("console.EmailBackend")
    url = email_settings({"INNEXPORT_EMAIL_URL": "smtp://ana%40cci.fr:p%2Fss@mail.cci.fr:587?tls=1",
                          "INNEXPORT_EMAIL_FROM": "Diagnostic <diag@cci.fr>", "INNEXPORT_EMAIL_TIMEOUT": "7"})
    assert (url["EMAIL_BACKEND"], url["EMAIL_HOST"], url["EMAIL_PORT"], url["EMAIL_HOST_USER"],
            url["EMAIL_HOST_PASSWORD"], url["EMAIL_USE_TLS"], url["EMAIL_USE_SSL"], url["EMAIL_TIMEOUT"],
            url["DEFAULT_FROM_EMAIL"]) == ("django.core.mail.backends.smtp.EmailBackend", "mail.cci.fr", 587,
                                           "ana@cci.fr", "p/ss", True, False, 7, "Diagnostic <diag@cci.fr>")
    ssl = email_settings({"INNEXPORT_EMAIL_URL": "smtps://relay.example.org"})
    assert (ssl["EMAIL_PORT"], ssl["EMAIL_USE_SSL"], ssl["EMAIL_USE_TLS"]) == (465, True, False)
    host = email_settings({"INNEXPORT_EMAIL_HOST": "relay", "INNEXPORT_EMAIL_TLS": "yes", "INNEXPORT_EMAIL_USER": "u"})
    assert (host["EMAIL_HOST"], host["EMAIL_PORT"], host["EMAIL_USE_TLS"], host["EMAIL_HOST_USER"]) == \
        ("relay", 587, True, "u")
    assert email_settings({"INNEXPORT_EMAIL_URL": "console://"})["EMAIL_BACKEND"].endswith("console.EmailBackend")


@pytest.mark.parametrize(("environ", "named"), [
    ({"INNEXPORT_EMAIL_URL": "http://mail.example.org"}, "INNEXPORT_EMAIL_URL"),
    ({"INNEXPORT_EMAIL_URL": "smtp://mail.example.org:70000"}, "INNEXPORT_EMAIL_URL"),
    ({"INNEXPORT_EMAIL_URL": "smtp://h?tls=1&ssl=1"}, "not both"),
    ({"INNEXPORT_EMAIL_HOST": "h", "INNEXPORT_EMAIL_PORT": "smtp"}, "INNEXPORT_EMAIL_PORT"),
    ({"INNEXPORT_EMAIL_HOST": "h", "INNEXPORT_EMAIL_TLS": "maybe"}, "INNEXPORT_EMAIL_TLS"),
    ({"INNEXPORT_EMAIL_TIMEOUT": "0"}, "INNEXPORT_EMAIL_TIMEOUT"),
    ({"INNEXPORT_EMAIL_TIMEOUT": "600"}, "INNEXPORT_EMAIL_TIMEOUT"),
])
def test_unusable_email_settings_are_refused_naming_the_variable(environ, named) -> None:
    with pytest.raises(ImproperlyConfigured, match=named):
        email_settings(environ)


# --- reminders of plan actions due --------------------------------------------------------------------


@pytest.fixture
def plan(org_a, wine_framework) -> ActionPlan:
    """A French diagnostic's plan made by the advisor (whose screen is in Spanish): its first three
    actions due in 10, 5 and -2 days, the third done, every other one without a date."""
    Membership.objects.filter(user=org_a.advisor).update(language="es")
    org_a.advisor.email = "asesor@cci.example.org"
    org_a.advisor.save()
    assessment = completed(org_a, wine_framework, lang="fr")
    made = services.make_plan(assessment, org_a.advisor)
    today = timezone.localdate()
    actions = list(made.actions.all())
    assert len(actions) >= 4
    PlanAction.objects.filter(plan=made).update(due=None)
    for action, days, status in zip(actions[:4], (10, 5, -2, -1), ("todo", "doing", "todo", "done"), strict=True):
        PlanAction.objects.filter(pk=action.pk).update(due=today + dt.timedelta(days=days), status=status)
    return made


def test_advisors_are_told_of_their_plans_actions_due(org_a, plan, inbox) -> None:
    today = timezone.localdate()
    first, second, third, _done = list(plan.actions.all())[:4]
    assert [a.pk for a in services.plan_actions_due(today)] == [third.pk, second.pk]  # by due date; 10 days: not yet
    out = remind("--dry-run")
    assert "would tell asesor@cci.example.org of 2 plan action(s) due" in out and inbox.messages == []
    assert "told asesor@cci.example.org of 2 plan action(s) due" in remind()
    [message] = inbox.messages
    text, html = parts(message)
    assert message["To"] == "asesor@cci.example.org"
    assert subject(message) == "Planes de acción: 2 acciones vencen pronto o están vencidas"  # the advisor's language
    assert org_a.firm.name in text and third.title in text and second.title in text and first.title not in text
    assert "(vencida)" in text and "En curso" in text  # the overdue one; the status in the advisor's language
    assert f"{SITE}/assessments/{plan.assessment_id}/plan/" in text and f'href="{SITE}/assessments/' in html
    # once per due date: a second run tells nothing; a new due date is told again
    assert "0 plan reminder(s) sent" in remind() and len(inbox.messages) == 1
    PlanAction.objects.filter(pk=second.pk).update(due=today + dt.timedelta(days=6))
    assert "told asesor@cci.example.org of 1 plan action(s) due" in remind()
    # ten days later the first one is due too; done and dropped actions never are
    later = today + dt.timedelta(days=4)
    assert [a.pk for a in services.plan_actions_due(later)] == [first.pk]
    PlanAction.objects.filter(pk=first.pk).update(status="dropped")
    assert list(services.plan_actions_due(later)) == []
    assert AuditEntry.objects.filter(description__contains="due soon or overdue reminded to a-advisor").count() == 2


def test_a_failed_plan_reminder_is_tried_again(org_a, plan, settings, smtp_down) -> None:
    with pytest.raises(CommandError, match="1 reminder"):  # one message, two actions
        remind()
    assert len(services.plan_actions_due()) == 2  # the claims were given back


def test_plan_reminders_can_be_turned_off(org_a, plan, settings, inbox) -> None:
    settings.PLAN_REMINDER_DAYS = 0
    assert "0 plan reminder(s) sent" in remind() and inbox.messages == []

