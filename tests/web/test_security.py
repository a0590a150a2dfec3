"""Security a user would expect: login throttling, password rules, CSRF, production settings, audit."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from innexport.web.models import AuditEntry

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_login_is_throttled_after_five_failures(org_a) -> None:
    client = Client()
    url = reverse("login")
    for attempt in range(1, 6):
        response = client.post(url, {"username": "a-advisor", "password": "wrong password"})
        assert response.status_code == (429 if attempt == 5 else 200)  # the fifth failure locks
        assert "_auth_user_id" not in client.session
    assert "15 minutes" in response.content.decode()
    locked = client.post(url, {"username": "a-advisor", "password": PASSWORD})  # even the right password
    assert locked.status_code == 429 and "_auth_user_id" not in client.session
    other = Client().post(url, {"username": "a-admin", "password": PASSWORD})  # another account is unaffected
    assert other.status_code == 302


def test_successful_login_is_audited(org_a) -> None:
    response = Client().post(reverse("login"), {"username": "a-analyst", "password": PASSWORD})
    assert response.status_code == 302
    assert AuditEntry.objects.filter(action="login", user=org_a.analyst).exists()


@pytest.mark.parametrize("password", ["short1", "password123456", "1234567890123", "a-advisor-pass"])
def test_weak_passwords_are_refused(org_a, password: str) -> None:
    with pytest.raises(ValidationError):
        validate_password(password, user=org_a.advisor)


def test_forms_need_the_csrf_token(org_a) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(org_a.advisor)
    response = client.post(reverse("firm-create"), {"name": "No token", "country": "FR"})
    assert response.status_code == 403


def test_production_settings() -> None:
    """With INNEXPORT_PRODUCTION=1: secure cookies, HSTS, HTTPS redirect, no debug; no secret key → refused."""
    code = ("import json, django; from django.conf import settings; django.setup(); print(json.dumps({k: getattr(settings, k) "
            "for k in ['DEBUG', 'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SECURE_HSTS_SECONDS', "
            "'SECURE_SSL_REDIRECT', 'ALLOWED_HOSTS']}))")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "innexport.web.settings", "INNEXPORT_PRODUCTION": "1",
           "INNEXPORT_SECRET_KEY": "0123456789abcdef" * 4, "INNEXPORT_ALLOWED_HOSTS": "diagnostic.example.org",
           "INNEXPORT_DEBUG": "1"}
    env.pop("DATABASE_URL", None)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    values = json.loads(out.stdout.strip().splitlines()[-1])
    assert values == {"DEBUG": False, "SESSION_COOKIE_SECURE": True, "CSRF_COOKIE_SECURE": True,
                      "SECURE_HSTS_SECONDS": 31536000, "SECURE_SSL_REDIRECT": True,
                      "ALLOWED_HOSTS": ["diagnostic.example.org"]}
    env.pop("INNEXPORT_SECRET_KEY")
    refused = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert refused.returncode != 0 and "INNEXPORT_SECRET_KEY must be set in production" in refused.stderr
