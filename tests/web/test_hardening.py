"""Hardening of the web application (issue 10): browser policies, API docs without a CDN, the secret
key, private files, erasure that erases, and ``manage.py check --deploy`` in production mode.

The policies are decided in :mod:`innexport.web.security` and ``innexport.web.settings``; these tests
read the real response headers, start the real settings in fresh processes and look for an erased
firm's name in the bytes of the SQLite files.
"""

from __future__ import annotations

import os
import re
import secrets
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test import Client
from django.urls import reverse

from innexport.web import security, services, tenancy
from innexport.web.api import create_token
from innexport.web.models import Assessment, AuditEntry, Firm

from .test_results import answer_all

TEMPLATES = Path(__file__).resolve().parents[2] / "src/innexport/web/templates"


def directives(response) -> dict[str, list[str]]:
    """The response's Content-Security-Policy as {directive: [sources]}."""
    header = response.headers["Content-Security-Policy"]
    parts = (p.split() for p in header.split(";") if p.strip())
    return {p[0]: p[1:] for p in parts}


# --- response headers ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_normal_page_has_the_full_set_of_headers(org_a) -> None:
    response = org_a.client().get(reverse("firm-list"))
    assert response.status_code == 200
    csp = directives(response)
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]  # no 'unsafe-inline', no 'unsafe-eval', no CDN
    assert csp["style-src"] == csp["style-src-elem"] == ["'self'"]
    assert csp["style-src-attr"] == ["'unsafe-inline'"]  # the documented exception
    assert csp["img-src"] == ["'self'", "data:"]
    assert csp["frame-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    policy = dict(item.strip().split("=", 1) for item in response.headers["Permissions-Policy"].split(","))
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert policy[feature] == "()"


@pytest.mark.django_db
def test_the_login_page_errors_and_static_files_have_the_policies_too(client) -> None:
    for url, status in ((reverse("login"), 200), ("/no-such-page/", 404), ("/api/firms", 401),
                        ("/static/web/app.js", 200)):
        response = client.get(url)
        assert response.status_code == status, url
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"], url
        assert response.headers["Permissions-Policy"].startswith("accelerometer=()"), url


@pytest.fixture
def done(org_a, assessment) -> Assessment:
    answer_all(assessment, "top")
    services.score(assessment, complete=True)
    assessment.refresh_from_db()
    return assessment


@pytest.mark.django_db
def test_the_report_may_be_framed_by_the_application_only(org_a, done) -> None:
    client = org_a.client()
    results = client.get(reverse("assessment-results", args=[done.pk]))
    report_url = reverse("assessment-report-html", args=[done.pk])
    assert f'src="{report_url}"' in results.content.decode()  # the results page frames the report…
    assert "frame-src 'self'" in results.headers["Content-Security-Policy"]  # …which its policy allows
    assert results.headers["X-Frame-Options"] == "DENY"  # but the results page itself is never framed

    report = client.get(report_url)
    assert report.status_code == 200
    csp = directives(report)
    assert report.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert csp["frame-ancestors"] == ["'self'"]
    assert csp["script-src"] == ["'none'"]  # a document: no script at all
    assert csp["style-src"] == ["'unsafe-inline'"]  # its own <style>, as in the downloaded file
    assert "<style" in report.content.decode()
    assert report.headers["X-Content-Type-Options"] == "nosniff"
    assert report.headers["Permissions-Policy"].startswith("accelerometer=()")

    # the same document through the API (a token's client, or a browser tab)
    token = create_token(org_a.advisor, "t")
    api = Client().get(f"/api/assessments/{done.pk}/report.html", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api.status_code == 200
    assert directives(api)["frame-ancestors"] == ["'self'"]


@pytest.mark.django_db
def test_a_refused_report_is_not_frameable(org_a, assessment) -> None:
    """A draft has no report (409): the error is an ordinary page, framed by nobody."""
    response = org_a.client().get(reverse("assessment-report-html", args=[assessment.pk]))
    assert response.status_code == 409
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


# --- templates and API docs: nothing the policy would block ------------------------------------------


def test_templates_have_no_inline_script_style_or_event_handler() -> None:
    offences = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        for m in re.finditer(r"<script\b([^>]*)>", text):
            attrs = m.group(1)
            if "src=" not in attrs and 'type="application/json"' not in attrs:
                offences.append(f"{path.name}: inline <script>")
        if re.search(r"<style\b", text):
            offences.append(f"{path.name}: inline <style>")
        offences += [f"{path.name}: {m.group(1)} attribute" for m in re.finditer(r"\s(on[a-z]+)\s*=", text)]
        if "javascript:" in text:
            offences.append(f"{path.name}: javascript: URL")
    assert offences == []


@pytest.mark.django_db
def test_api_docs_are_served_from_the_application_itself(client) -> None:
    response = client.get("/api/docs")
    assert response.status_code == 200
    html = response.content.decode()
    urls = re.findall(r'(?:src|href)="([^"]*)"', html)
    assert any(u.endswith("swagger-ui-bundle.js") for u in urls)
    assert any(u.endswith("swagger-ui.css") for u in urls)
    assert all(u.startswith("/") and not u.startswith("//") for u in urls), urls
    assert "cdn" not in html.lower()
    # … and those files are really served
    for url in urls:
        if url.startswith(settings.STATIC_URL):
            served = client.get(url)
            assert served.status_code == 200, url
            body = b"".join(served.streaming_content) if served.streaming else served.content
            assert len(body) > 100, url
    assert directives(response)["script-src"] == ["'self'"]


# --- secret key and private files --------------------------------------------------------------------


def embedded_environ() -> dict[str, str]:
    """This process's environment for a fresh start in the embedded mode (SQLite in the data folder):
    without innexport's settings and without DATABASE_URL (the PostgreSQL run of the suite sets it)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("INNEXPORT_") and k != "DATABASE_URL"}


def start_settings(data_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Import the real settings in a fresh process (as every start of the server does)."""
    environ = embedded_environ()
    environ |= {"INNEXPORT_DATA_DIR": str(data_dir), "DJANGO_SETTINGS_MODULE": "innexport.web.settings", **env}
    code = "from django.conf import settings; print(settings.SECRET_KEY)"
    return subprocess.run([sys.executable, "-c", code], env=environ, capture_output=True, text=True, timeout=60,
                          check=False)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_development_key_is_random_persisted_and_private(tmp_path) -> None:
    data = tmp_path / "data"
    first = start_settings(data)
    assert first.returncode == 0, first.stderr
    key = first.stdout.strip()
    assert len(key) >= 50 and "innexport-development-key" not in key
    assert (data / "secret_key").read_text().strip() == key
    assert mode(data / "secret_key") == 0o600
    assert mode(data) == 0o700
    assert mode(data / "innexport.sqlite3") == 0o600
    assert [p.name for p in data.iterdir() if p.name.startswith(".secret_key")] == []  # no temporary left
    again = start_settings(data)
    assert again.stdout.strip() == key  # the same on the next start: sessions survive a restart
    other = start_settings(tmp_path / "elsewhere")
    assert other.stdout.strip() != key  # every installation its own


def test_concurrent_first_starts_agree_on_one_key(tmp_path) -> None:
    keys = set()
    for _ in range(3):  # a few rounds of two processes racing on an empty folder
        data = tmp_path / secrets.token_hex(4)
        data.mkdir()
        with_env = {"INNEXPORT_DATA_DIR": str(data)}
        code = ("import sys; from pathlib import Path; from innexport.web.security import persisted_secret_key; "
                "print(persisted_secret_key(Path(sys.argv[1])))")
        procs = [subprocess.Popen([sys.executable, "-c", code, str(data)], stdout=subprocess.PIPE, text=True,
                                  env=os.environ | with_env) for _ in range(2)]
        outs = {p.communicate(timeout=60)[0].strip() for p in procs}
        assert len(outs) == 1
        keys |= outs
    assert len(keys) == 3


def test_the_sqlite_write_ahead_log_is_private_too(tmp_path) -> None:
    data = tmp_path / "data"
    environ = embedded_environ()
    environ |= {"INNEXPORT_DATA_DIR": str(data), "DJANGO_SETTINGS_MODULE": "innexport.web.settings"}
    code = ("import django; django.setup(); from django.db import connection; c = connection.cursor(); "
            "c.execute('create table t (x)'); c.execute('insert into t values (1)'); "
            "print(c.execute('pragma journal_mode').fetchone()[0], c.execute('pragma secure_delete').fetchone()[0]); "
            "import os; print(sorted(oct(os.stat(os.path.join(os.environ['INNEXPORT_DATA_DIR'], f)).st_mode & 0o777) "
            "for f in os.listdir(os.environ['INNEXPORT_DATA_DIR']) if f.startswith('innexport.sqlite3')))")
    done = subprocess.run([sys.executable, "-c", code], env=environ, capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode == 0, done.stderr
    pragmas, modes = done.stdout.splitlines()
    assert pragmas == "wal 1"
    assert modes == "['0o600', '0o600', '0o600']"  # the database, its -shm and its -wal


@pytest.mark.parametrize(("key", "message"), [
    (None, "INNEXPORT_SECRET_KEY must be set in production mode"),
    ("", "INNEXPORT_SECRET_KEY must be set in production mode"),
    ("abc", "INNEXPORT_SECRET_KEY is too weak: 3 characters"),
    ("a" * 49 + "bcdef", None),  # 54 characters, 6 distinct: strong enough by Django's rule
    ("ab" * 40, "INNEXPORT_SECRET_KEY is too weak: 80 characters, 2 distinct"),
])
def test_production_refuses_a_missing_or_weak_key(key, message) -> None:
    environ = {} if key is None else {"INNEXPORT_SECRET_KEY": key}
    if message is None:
        assert security.secret_key(environ, Path("/nonexistent"), production=True) == key
        return
    with pytest.raises(ImproperlyConfigured, match=re.escape(message)):
        security.secret_key(environ, Path("/nonexistent"), production=True)


def test_production_start_without_key_is_a_clear_message_not_a_traceback_of_keyerror(tmp_path) -> None:
    started = start_settings(tmp_path / "prod", INNEXPORT_PRODUCTION="1", INNEXPORT_SECRET_KEY="short")
    assert started.returncode != 0
    assert "ImproperlyConfigured: INNEXPORT_SECRET_KEY is too weak" in started.stderr
    assert "KeyError" not in started.stderr
    assert not (tmp_path / "prod" / "secret_key").exists()  # production never invents a key


def test_a_corrupt_key_file_is_refused_not_replaced(tmp_path) -> None:
    (tmp_path / "secret_key").write_text("tiny\n")
    with pytest.raises(ImproperlyConfigured, match="secret_key: the secret key kept there is shorter"):
        security.persisted_secret_key(tmp_path)
    assert (tmp_path / "secret_key").read_text() == "tiny\n"


def test_check_deploy_in_production_mode_is_clean_apart_from_documented_exceptions(tmp_path) -> None:
    unset = ("INNEXPORT_", "DJANGO_ALLOW_ASYNC_UNSAFE", "DATABASE_URL")  # the browser tests set the second
    environ = {k: v for k, v in os.environ.items() if not k.startswith(unset)}
    environ |= {"INNEXPORT_DATA_DIR": str(tmp_path / "prod"), "DJANGO_SETTINGS_MODULE": "innexport.web.settings",
                "INNEXPORT_PRODUCTION": "1", "INNEXPORT_SECRET_KEY": secrets.token_urlsafe(64),
                "INNEXPORT_ALLOWED_HOSTS": "innexport.example.org"}
    done = subprocess.run([sys.executable, "-m", "django", "check", "--deploy"], env=environ, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    issues = set(re.findall(r"\((\w+\.[EW]\d+)\)", done.stdout + done.stderr))
    # docs/deployment.md: W021 (HSTS preload) is the operator's decision for the whole domain
    assert issues <= {"security.W021"}, done.stdout + done.stderr


# --- erasure that erases -----------------------------------------------------------------------------

NAME = "Quokkaberg Tonnellerie Zw"


@pytest.mark.django_db
def test_audit_entries_never_name_the_firm(org_a, frameworks) -> None:
    client = org_a.client()
    response = client.post(reverse("firm-create"), {"name": NAME, "country": "FR", "sector": "11.02",
                                                    "size_class": "small", "region": ""})
    assert response.status_code == 302, response.content[:500]
    firm = Firm.objects.get(name=NAME)
    services.create_assessment(firm, frameworks[0], lang="en", actor=org_a.advisor)
    texts = list(AuditEntry.objects.values_list("description", flat=True))
    assert texts and not any(NAME.lower() in t.lower() for t in texts), texts
    assert any(f"firm #{firm.pk}" in t for t in texts)


def sqlite_bytes() -> bytes:
    name = Path(connection.settings_dict["NAME"])
    return b"".join(p.read_bytes() for p in name.parent.glob(name.name + "*") if p.is_file())


@pytest.mark.django_db(transaction=True)
def test_erasure_leaves_no_trace_in_the_audit_log_or_the_sqlite_files(org_a, frameworks) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("the files checked are SQLite's")
    client = org_a.client()
    client.post(reverse("firm-create"), {"name": NAME, "country": "FR", "sector": "11.02", "size_class": "small"})
    firm = Firm.objects.get(name=NAME)
    a = services.create_assessment(firm, frameworks[0], lang="en", actor=org_a.advisor)
    services.save_answer(a, services.framework_of(a.framework).activities[0].observables[0].id, None,
                         comment=f"{NAME} exports mostly to Quebec")
    # an entry written before this rule (or by hand) that still names the firm, and one elsewhere
    AuditEntry.objects.create(organisation=org_a.organisation, action="change", object_type="assessment",
                              object_id=str(a.pk), description=f"old text about {NAME}")
    AuditEntry.objects.create(organisation=org_a.organisation, action="export", object_type="organisation",
                              object_id="", description=f"portfolio with {NAME.upper()} in it")
    unrelated = tenancy.record(org_a.advisor, AuditEntry.Action.CHANGE, org_a.firm, "unrelated change")
    connection.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert NAME.encode() in sqlite_bytes()  # the test can see the name while the firm exists

    response = client.post(reverse("firm-erase", args=[firm.pk]), {"confirm_name": NAME})
    assert response.status_code == 302
    assert not Firm.objects.filter(pk=firm.pk).exists()
    assert not Assessment.objects.filter(pk=a.pk).exists()
    texts = list(AuditEntry.objects.values_list("description", flat=True))
    assert not any(NAME.lower() in t.lower() for t in texts), texts
    assert f"firm #{firm.pk} and 1 assessment(s) erased" in texts
    assert f"portfolio with firm #{firm.pk} in it" in texts
    erased = AuditEntry.objects.filter(object_type="assessment", object_id=str(a.pk))
    assert {e.description for e in erased} == {f"(details erased with firm #{firm.pk})"}
    assert AuditEntry.objects.get(pk=unrelated.pk).description == "unrelated change"  # other firms untouched

    raw = sqlite_bytes()
    assert NAME.encode() not in raw
    assert b"Quokkaberg" not in raw and b"QUOKKABERG" not in raw and b"exports mostly to Quebec" not in raw
    wal = Path(connection.settings_dict["NAME"] + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0  # checkpointed and truncated


@pytest.mark.django_db(transaction=True)
def test_erasure_through_the_api_is_the_same(org_a, frameworks) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("the files checked are SQLite's")
    firm = Firm.objects.create(organisation=org_a.organisation, name=NAME, country="FR", sector="11.02",
                               size_class="small")
    AuditEntry.objects.create(organisation=org_a.organisation, action="create", object_type="firm",
                              object_id=str(firm.pk), description=NAME)
    token = create_token(org_a.advisor, "t")
    response = Client().delete(f"/api/firms/{firm.pk}", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 204, response.content
    texts = list(AuditEntry.objects.values_list("description", flat=True))
    assert f"firm #{firm.pk} and 0 assessment(s) erased (API)" in texts
    assert not any("quokkaberg" in t.lower() for t in texts)
    assert b"Quokkaberg" not in sqlite_bytes()


# --- in a real browser: the policy blocks nothing the pages need ---------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_no_page_breaks_the_content_security_policy(live_server) -> None:
    """Every kind of page in chromium: no CSP violation in the console, and the behaviours moved to
    static files work (report frame fitted, language picker, confirmation before deleting)."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from .browser import launch
    from .conftest import make_org

    services.register_builtin_frameworks()
    org = make_org("Chamber CSP", "csp")
    framework = next(v for v in services.published_frameworks() if v.modules == ["wine"])
    done = Assessment.objects.create(organisation=org.organisation, firm=org.firm, framework=framework, lang="en",
                                     created_by=org.advisor)
    answer_all(done, "bottom")
    services.score(done, complete=True)
    draft = Assessment.objects.create(organisation=org.organisation, firm=org.firm, framework=framework, lang="en",
                                      created_by=org.advisor)
    base = live_server.url
    problems: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = launch(p)
        try:
            page = browser.new_context(locale="en-GB").new_page()
            page.on("console", lambda m: problems.append(f"{page.url}: {m.text}")
                    if "Content Security Policy" in m.text or "Refused to" in m.text else None)
            page.on("pageerror", lambda e: problems.append(f"{page.url}: {e}"))
            page.goto(f"{base}/accounts/login/")
            page.fill("#id_username", "csp-admin")
            page.fill("#id_password", "correct-horse-battery-9")
            page.click("button[type=submit]")
            page.wait_for_url(f"{base}/firms/")

            # the results page frames the report, and app.js fits the frame to it
            page.goto(base + reverse("assessment-results", args=[done.pk]))
            frame = page.frame_locator("#report-frame")
            frame.locator("body").wait_for()
            page.wait_for_function("() => parseFloat(document.getElementById('report-frame').style.height) > 200")

            # the plan: made, then a deletion asks first (data-confirm) and dismissing keeps the action
            page.goto(base + reverse("assessment-plan", args=[done.pk]))
            page.click("button:has-text('Make the action plan')")
            page.wait_for_selector("table.plan")
            rows = page.locator("form[data-confirm]").count()
            assert rows > 0
            asked: list[str] = []
            page.once("dialog", lambda d: (asked.append(d.message), d.dismiss()))
            page.locator("form[data-confirm] button").first.click()
            page.wait_for_timeout(300)
            assert asked and page.locator("form[data-confirm]").count() == rows

            for url in (reverse("firm-detail", args=[org.firm.pk]), reverse("portfolio"), reverse("api-tokens"),
                        reverse("programme-create"), reverse("firm-compare", args=[org.firm.pk]),
                        reverse("assessment-page", args=[draft.pk, 1]), reverse("audit-log")):
                page.goto(base + url)
                page.wait_for_load_state("load")

            # the API documentation: Swagger UI from our own static files, rendered
            page.goto(f"{base}/api/docs")
            page.wait_for_selector(".swagger-ui .info", timeout=15000)

            # the language picker submits itself (data-autosubmit)
            page.goto(base + reverse("firm-list"))
            with page.expect_navigation():
                page.select_option("select[name=language]", "es")
            assert page.locator("html").get_attribute("lang") == "es"
        finally:
            browser.close()
    assert problems == []
