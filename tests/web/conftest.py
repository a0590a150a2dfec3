"""Fixtures of the web tests: two organisations, each with an admin, an advisor and an analyst."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from aiosmtpd.controller import Controller
from django.contrib.auth.models import User
from django.test import Client

from innexport.web import services
from innexport.web.models import Assessment, Firm, FrameworkVersion, Membership, Organisation, Role

from .mailbox import SITE, Inbox, free_port

PASSWORD = "correct-horse-battery-9"


@dataclass
class Org:
    organisation: Organisation
    admin: User
    advisor: User
    analyst: User
    firm: Firm

    def client(self, who: str = "advisor") -> Client:
        client = Client()
        client.force_login(getattr(self, who))
        return client


def make_org(name: str, prefix: str) -> Org:
    org = Organisation.objects.create(name=name)
    users = {}
    for role in (Role.ADMIN, Role.ADVISOR, Role.ANALYST):
        user = User.objects.create_user(f"{prefix}-{role}", password=PASSWORD)
        Membership.objects.create(user=user, organisation=org, role=role, language="en")
        users[role.value] = user
    firm = Firm.objects.create(organisation=org, name=f"{name} Winery", country="FR", sector="11.02",
                               size_class="small", created_by=users["advisor"])
    return Org(org, users["admin"], users["advisor"], users["analyst"], firm)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _no_background_warming(settings) -> None:
    """No portfolio computed in a background thread (:mod:`innexport.web.warming`) unless a test asks for
    it: its connections would outlive the test's database."""
    settings.PORTFOLIO_WARM_DELAY = None


@pytest.fixture
def frameworks(db) -> list[FrameworkVersion]:
    return services.register_builtin_frameworks()


@pytest.fixture
def org_a(db, frameworks) -> Org:
    return make_org("Chamber A", "a")


@pytest.fixture
def org_b(db, frameworks) -> Org:
    return make_org("Agency B", "b")


@pytest.fixture
def wine_framework(frameworks) -> FrameworkVersion:
    return next(f for f in frameworks if f.modules == ["wine"])


@pytest.fixture
def assessment(org_a: Org, wine_framework: FrameworkVersion) -> Assessment:
    return Assessment.objects.create(organisation=org_a.organisation, firm=org_a.firm, framework=wine_framework,
                                     lang="en", created_by=org_a.advisor)


# --- e-mail: a real SMTP server on loopback -------------------------------------------------------------


@pytest.fixture
def inbox(settings) -> Iterator[Inbox]:
    """A real SMTP server on 127.0.0.1 (a free port), with Django's SMTP backend pointed at it."""
    handler = Inbox()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 5
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.DEFAULT_FROM_EMAIL = "diagnostic@cci.example.org"
    settings.SITE_URL = SITE
    try:
        yield handler
    finally:
        controller.stop()


@pytest.fixture
def smtp_down(settings) -> None:
    """Django's SMTP backend pointed at a port where nothing listens."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.SITE_URL = SITE

