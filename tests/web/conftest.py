"""Fixtures of the web tests: two organisations, each with an admin, an advisor and an analyst."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.contrib.auth.models import User
from django.test import Client

from innexport.web import services
from innexport.web.models import Assessment, Firm, FrameworkVersion, Membership, Organisation, Role

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
