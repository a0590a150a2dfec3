"""Single sign-on (OpenID Connect) against a real provider on loopback: panva's certified
``oidc-provider`` for Node (tests/web/oidc/provider.mjs), started on a free port with a static
client and test accounts whose claims carry the organisation and role; the Django live server and
Playwright with Debian's chromium go through the provider's own login form.

An advisor lands in her organisation with her role and logs out of both; a role claim outside the
roles is refused; a user without claims waits for an admin; local passwords still work.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.test import Client

from innexport.web import sso
from innexport.web.models import AuditEntry, Membership, Organisation, Role
from innexport.web.settings import oidc_settings

from .browser import launch, screenshot
from .conftest import PASSWORD

playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
pytest.importorskip("mozilla_django_oidc", reason="mozilla-django-oidc (the sso extra) is not installed")

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop here

OIDC_DIR = Path(__file__).resolve().parent / "oidc"
ORG = "Chambre de commerce SSO"
SECRET = "test-client-secret-0123456789abcdef"
ACCOUNTS: dict[str, dict[str, Any]] = {
    "ana": {"password": "ana-password-1", "claims": {"email": "ana@cci.example", "given_name": "Ana",
                                                    "family_name": "Pérez", "innexport_org": ORG,
                                                    "innexport_role": "advisor"}},
    "bruno": {"password": "bruno-password-2", "claims": {"email": "bruno@cci.example", "innexport_org": ORG,
                                                         "innexport_role": "superuser"}},
    "carla": {"password": "carla-password-3", "claims": {"email": "carla@cci.example"}},
    "dora": {"password": "dora-password-4", "claims": {"innexport_org": "Nowhere Agency",
                                                       "innexport_role": "admin"}},
}


def _npm_ci() -> None:
    if (OIDC_DIR / "node_modules" / "oidc-provider").is_dir():
        return
    result = subprocess.run([shutil.which("npm") or "npm", "ci", "--no-audit", "--no-fund"], cwd=OIDC_DIR,
                            capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        pytest.fail(f"npm ci in {OIDC_DIR} failed:\n{result.stderr[-2000:]}")


@pytest.fixture(scope="module")
def provider(live_server, tmp_path_factory) -> Iterator[str]:
    """The provider's issuer address; the process ends with the module."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node and npm are needed for the OpenID provider of the single sign-on tests")
    _npm_ci()
    config = tmp_path_factory.mktemp("oidc") / "provider.json"
    config.write_text(json.dumps({
        "client": {"client_id": "innexport", "client_secret": SECRET,
                   "redirect_uris": [f"{live_server.url}/oidc/callback/"],
                   "post_logout_redirect_uris": [f"{live_server.url}/accounts/login/"]},
        "accounts": ACCOUNTS}))
    log = config.with_name("provider.log")
    with log.open("w") as errors:
        process = subprocess.Popen([shutil.which("node") or "node", str(OIDC_DIR / "provider.mjs"), str(config)],
                                   cwd=OIDC_DIR, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors,
                                   text=True)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout or []], daemon=True).start()
    try:
        try:
            line = lines.get(timeout=30)  # a bounded wait for the READY line
        except queue.Empty:
            line = "(nothing within 30 s)"
        if not line.startswith("READY "):
            pytest.fail(f"the OpenID provider did not start: {line}\n{log.read_text()[-2000:]}")
        yield line.split()[1]
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture
def sso_on(settings, provider) -> str:
    """Single sign-on configured as the environment would configure it (settings.oidc_settings)."""
    for name, value in oidc_settings({"INNEXPORT_OIDC_ISSUER": provider, "INNEXPORT_OIDC_CLIENT_ID": "innexport",
                                      "INNEXPORT_OIDC_CLIENT_SECRET": SECRET,
                                      "INNEXPORT_OIDC_SCOPES": "openid email profile innexport",
                                      "INNEXPORT_OIDC_PROVIDER_NAME": "CCI Connect"}).items():
        setattr(settings, name, value)
    settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS, "innexport.web.sso.Backend"]
    policy = json.loads(json.dumps(settings.CONTENT_SECURITY_POLICY))
    policy["DIRECTIVES"]["form-action"].append(provider)  # as the settings' block adds the provider
    settings.CONTENT_SECURITY_POLICY = policy
    return provider


@pytest.fixture(scope="module")
def playwright():
    with playwright_api.sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright):
    b = launch(playwright)
    yield b
    b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    yield context.new_page()
    context.close()


@pytest.fixture
def organisation(db) -> Organisation:
    return Organisation.objects.create(name=ORG)


def provider_login(page, base: str, login: str, password: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.click("#sso-login")
    page.wait_for_selector("#login")
    page.fill("#login", login)
    page.fill("#password", password)
    page.click("#sign-in")


def log_out(page) -> None:
    page.click("details.account summary")  # the account menu
    page.click("details.account form[action='/accounts/logout/'] button")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_login_through_the_provider_lands_in_the_organisation_and_logs_out_of_both(
        live_server, sso_on, organisation, page) -> None:
    base = live_server.url
    provider_login(page, base, "ana", "wrong-password")
    assert page.locator("#error").inner_text() == "Wrong login or password."  # the provider checks passwords
    page.fill("#login", "ana")
    page.fill("#password", ACCOUNTS["ana"]["password"])
    page.click("#sign-in")
    page.wait_for_url(f"{base}/firms/")
    screenshot(page, "sso-logged-in")

    user = User.objects.get(username="sso-ana")
    assert (user.email, user.first_name, user.last_name, user.has_usable_password()) == \
        ("ana@cci.example", "Ana", "Pérez", False)
    assert (user.membership.organisation, user.membership.role) == (organisation, Role.ADVISOR)
    assert ORG in page.content()
    logins = AuditEntry.objects.filter(user=user, action=AuditEntry.Action.LOGIN)
    assert [(e.organisation, e.description) for e in logins] == [(organisation, "single sign-on (CCI Connect)")]
    assert AuditEntry.objects.filter(user=user, object_type="membership", action=AuditEntry.Action.CREATE,
                                     organisation=organisation).count() == 1

    log_out(page)
    page.wait_for_selector("#sign-out")  # the provider asks to confirm (RP-initiated logout)
    assert page.url.startswith(f"{sso_on}/session/end")
    page.click("#sign-out")
    page.wait_for_url(f"{base}/accounts/login/")
    page.goto(f"{base}/firms/")
    assert page.url.startswith(f"{base}/accounts/login/")  # the local session ended
    page.click("#sso-login")
    page.wait_for_selector("#login")  # and the provider's: it asks for the password again

    # a second login updates the user, keeps one membership and writes one more login entry
    page.fill("#login", "ana")
    page.fill("#password", ACCOUNTS["ana"]["password"])
    page.click("#sign-in")
    page.wait_for_url(f"{base}/firms/")
    assert Membership.objects.filter(user=user).count() == 1
    assert logins.all().count() == 2  # a fresh query (the list above filled the cache)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_role_claim_outside_the_roles_is_refused(live_server, sso_on, organisation, page) -> None:
    base = live_server.url
    provider_login(page, base, "bruno", ACCOUNTS["bruno"]["password"])
    page.wait_for_url(f"{base}/accounts/sso/refused/")
    message = page.locator("#sso-message").inner_text()
    assert message == "The role superuser given by the identity provider is not one of admin, advisor, analyst."
    assert not User.objects.filter(username="sso-bruno").exists()
    refusal = AuditEntry.objects.get(action=AuditEntry.Action.LOGIN)
    assert (refusal.description, refusal.user) == (f"single sign-on refused: {message}", None)
    page.goto(f"{base}/firms/")
    assert page.url.startswith(f"{base}/accounts/login/")  # not signed in

    # bruno is still signed in at the provider: the refusal page offers to end that session
    page.goto(f"{base}/accounts/login/")
    page.click("#sso-login")
    page.wait_for_url(f"{base}/accounts/sso/refused/")  # no password asked: the provider knows him
    page.click("#sso-provider-logout")
    page.click("#sign-out")
    page.wait_for_url(f"{base}/accounts/login/")
    provider_login(page, base, "dora", ACCOUNTS["dora"]["password"])  # an organisation unknown here
    page.wait_for_url(f"{base}/accounts/sso/refused/")
    assert page.locator("#sso-message").inner_text() == ("The organisation Nowhere Agency named by the identity "
                                                         "provider is not known here; an administrator must create "
                                                         "it first.")
    assert not Organisation.objects.filter(name="Nowhere Agency").exists()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_user_without_claims_waits_for_an_admin(live_server, sso_on, organisation, page) -> None:
    base = live_server.url
    provider_login(page, base, "carla", ACCOUNTS["carla"]["password"])
    page.wait_for_url(f"{base}/accounts/sso/waiting/")
    assert "An administrator must add you" in page.locator("#sso-message").inner_text()
    user = User.objects.get(username="sso-carla")
    assert not Membership.objects.filter(user=user).exists()
    entry = AuditEntry.objects.get(user=user, action=AuditEntry.Action.LOGIN)
    assert (entry.organisation, entry.description) == (None, "single sign-on (CCI Connect); no organisation yet")

    Membership.objects.create(user=user, organisation=organisation, role=Role.ANALYST)  # the admin assigns her
    page.goto(f"{base}/accounts/sso/waiting/")
    page.wait_for_url(f"{base}/firms/")
    # claims that say nothing keep the admin's assignment at the next login
    log_out(page)
    page.click("#sign-out")
    page.wait_for_url(f"{base}/accounts/login/")
    provider_login(page, base, "carla", ACCOUNTS["carla"]["password"])
    page.wait_for_url(f"{base}/firms/")
    assert (Membership.objects.get(user=user).organisation, Membership.objects.get(user=user).role) == \
        (organisation, Role.ANALYST)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_local_passwords_still_work_with_single_sign_on(live_server, sso_on, organisation, page) -> None:
    base = live_server.url
    user = User.objects.create_user("local-lea", password=PASSWORD)
    Membership.objects.create(user=user, organisation=organisation, role=Role.ADMIN)
    page.goto(f"{base}/accounts/login/")
    assert page.locator("#sso-login").inner_text() == "Log in with CCI Connect"
    screenshot(page, "sso-login-page")
    page.fill("#id_username", "local-lea")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/firms/")
    log_out(page)  # no single sign-on: the local logout only
    page.wait_for_url(f"{base}/accounts/login/")
    page.goto(f"{base}/firms/")
    assert page.url.startswith(f"{base}/accounts/login/")


# --- without a provider ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_without_configuration_there_is_no_button_and_no_sso_page(settings) -> None:
    settings.INNEXPORT_SSO = False
    client = Client()
    page = client.get("/accounts/login/")
    assert page.status_code == 200 and b"sso-login" not in page.content
    for url in ("/oidc/authenticate/", "/oidc/callback/?code=x&state=y", "/accounts/sso/refused/"):
        assert client.get(url).status_code == 404, url


@pytest.mark.django_db
def test_local_logout_without_sso(settings) -> None:
    settings.INNEXPORT_SSO = False
    user = User.objects.create_user("local-max", password=PASSWORD)
    client = Client()
    client.force_login(user)
    assert client.get("/accounts/logout/").status_code == 405  # a link cannot log anyone out
    response = client.post("/accounts/logout/")
    assert (response.status_code, response["Location"]) == (302, "/accounts/login/")
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_an_unreachable_provider_is_a_clear_refusal_not_an_error(settings) -> None:
    for name, value in oidc_settings({"INNEXPORT_OIDC_ISSUER": "http://127.0.0.1:9", "INNEXPORT_OIDC_CLIENT_ID": "c",
                                      "INNEXPORT_OIDC_CLIENT_SECRET": "s"}).items():
        setattr(settings, name, value)
    client = Client()
    response = client.get("/oidc/authenticate/")
    assert (response.status_code, response["Location"]) == (302, "/accounts/sso/refused/")
    refused = client.get("/accounts/sso/refused/")
    assert refused.status_code == 403
    assert "The identity provider cannot be reached; try again in a moment." in refused.content.decode()


@pytest.mark.parametrize(("env", "variable"), [
    ({"INNEXPORT_OIDC_ISSUER": "https://id.example"}, "INNEXPORT_OIDC_CLIENT_SECRET"),
    ({"INNEXPORT_OIDC_ISSUER": "ftp://id.example", "INNEXPORT_OIDC_CLIENT_SECRET": "s"}, "INNEXPORT_OIDC_ISSUER"),
    ({"INNEXPORT_OIDC_ISSUER": "https://id.example", "INNEXPORT_OIDC_CLIENT_SECRET": "s",
      "INNEXPORT_OIDC_SCOPES": "email"}, "INNEXPORT_OIDC_SCOPES"),
    ({"INNEXPORT_OIDC_ISSUER": "https://id.example", "INNEXPORT_OIDC_CLIENT_SECRET": "s",
      "INNEXPORT_OIDC_TOKEN_AUTH": "jwt"}, "INNEXPORT_OIDC_TOKEN_AUTH"),
])
def test_a_configuration_that_cannot_work_names_its_variable(env, variable) -> None:
    with pytest.raises(ImproperlyConfigured, match=variable):
        oidc_settings({"INNEXPORT_OIDC_CLIENT_ID": "innexport", **env})


def test_production_needs_https() -> None:
    env = {"INNEXPORT_OIDC_ISSUER": "http://id.example", "INNEXPORT_OIDC_CLIENT_ID": "c",
           "INNEXPORT_OIDC_CLIENT_SECRET": "s"}
    assert oidc_settings(env)["INNEXPORT_SSO"] is True
    with pytest.raises(ImproperlyConfigured, match="https://"):
        oidc_settings(env, production=True)


@pytest.mark.parametrize("role", ["ADMIN", "advisor", " analyst "])
def test_every_role_is_accepted_in_any_case(role) -> None:
    assert sso.decide({"innexport_org": "X", "innexport_role": role}) == ("X", role.strip().lower())


@pytest.mark.parametrize("claims", [{"org": "X", "r": "owner"}, {"r": "root"}, {"org": "X", "r": 3},
                                    {"org": ["X", "Y"], "r": "advisor"}])
def test_bad_claims_are_refused(claims) -> None:
    with pytest.raises(sso.Refused):
        sso.decide(claims, org_claim="org", role_claim="r")


@pytest.fixture
def sso_settings(settings) -> None:
    for name, value in oidc_settings({"INNEXPORT_OIDC_ISSUER": "https://id.example/realms/cci",
                                      "INNEXPORT_OIDC_CLIENT_ID": "innexport",
                                      "INNEXPORT_OIDC_CLIENT_SECRET": SECRET}).items():
        setattr(settings, name, value)


@pytest.mark.django_db
def test_claims_move_the_membership_and_the_move_is_audited(sso_settings) -> None:
    first, second = Organisation.objects.create(name="CCI Lyon"), Organisation.objects.create(name="CCI Lille")
    backend = sso.Backend()
    claims = {"sub": "u-42", "email": "eva@cci.example", "innexport_org": "cci lyon", "innexport_role": "advisor"}
    assert backend.verify_claims(claims)
    user = backend.create_user(claims)
    assert (user.username, user.membership.organisation, user.membership.role) == ("sso-u-42", first, "advisor")
    assert backend.filter_users_by_claims(claims).get() == user

    moved = {**claims, "innexport_org": "CCI Lille", "innexport_role": "ADMIN", "email": "eva@lille.example"}
    backend.verify_claims(moved)
    backend.update_user(user, moved)
    user.refresh_from_db()
    assert (user.email, user.membership.organisation, user.membership.role) == ("eva@lille.example", second, "admin")
    entries = AuditEntry.objects.filter(object_type="membership").order_by("pk")
    assert [(e.organisation, e.action) for e in entries] == [(first, "create"), (second, "change")]
    backend.update_user(user, moved)  # the same claims again: nothing changes, nothing is written
    assert entries.count() == 2

    silent = {"sub": "u-42"}  # no claims: the assignment stays
    backend.verify_claims(silent)
    backend.update_user(user, silent)
    assert Membership.objects.get(user=user).organisation == second


@pytest.mark.django_db
def test_an_id_token_of_another_issuer_or_client_is_not_accepted(sso_settings, monkeypatch) -> None:
    from mozilla_django_oidc.auth import OIDCAuthenticationBackend

    payload: dict[str, Any] = {}
    monkeypatch.setattr(OIDCAuthenticationBackend, "verify_token", lambda self, token, **kw: dict(payload))
    backend = sso.Backend()
    payload.update(iss="https://id.example/realms/cci", aud=["innexport", "other"], sub="x")
    assert backend.verify_token("t")["sub"] == "x"
    for bad in ({"iss": "https://evil.example/realms/cci"}, {"aud": "other-client"}):
        payload.update({"iss": "https://id.example/realms/cci", "aud": "innexport", **bad})
        with pytest.raises(SuspiciousOperation):
            backend.verify_token("t")


@pytest.mark.django_db
def test_a_refusal_is_shown_in_the_person_s_language_and_audited_in_english(sso_settings) -> None:
    from django.contrib.sessions.backends.db import SessionStore
    from django.test import RequestFactory
    from django.utils import translation

    request = RequestFactory().get("/oidc/callback/")
    request.session = SessionStore()
    with translation.override("fr"):
        with pytest.raises(sso.Refused) as refusal:
            sso.decide({"innexport_org": "CCI", "innexport_role": "owner"})
        sso._refuse(request, refusal.value)
    assert request.session[sso.REFUSAL_KEY] == ("Le rôle owner transmis par le fournisseur d'identité ne fait pas "
                                                "partie de : admin, advisor, analyst.")
    assert AuditEntry.objects.get().description == ("single sign-on refused: The role owner given by the identity "
                                                    "provider is not one of admin, advisor, analyst.")
