"""Management commands (createorg, createuser, seed_demo) and ``innexport serve``."""

from __future__ import annotations

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from innexport.core.assessment import diagnose
from innexport.files.answers import read_answers
from innexport.files.frameworks import load_framework
from innexport.support.plans import build_plan
from innexport.web import demo, services
from innexport.web.models import Assessment, AssessmentStatus, Firm, FrameworkVersion, Membership, Organisation

EXAMPLES = sorted((Path(__file__).parents[2] / "examples").glob("*.yaml"))
GOOD_PASSWORD = "plum-orchard-velvet-42"


def run(name: str, *args: str, **options: object) -> str:
    out = StringIO()
    call_command(name, *args, stdout=out, stderr=StringIO(), **options)
    return out.getvalue()


# --- createorg, createuser ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_createorg() -> None:
    assert "created organisation 'CCI Maule'" in run("createorg", "CCI Maule")
    assert Organisation.objects.filter(name="CCI Maule").exists()
    with pytest.raises(CommandError, match="organisation 'CCI Maule' already exists"):
        run("createorg", "cci maule")
    with pytest.raises(CommandError, match="name is empty"):
        run("createorg", "  ")
    assert Organisation.objects.count() == 1


@pytest.mark.django_db
def test_createuser() -> None:
    org = Organisation.objects.create(name="CCI Maule")
    out = run("createuser", "javiera", org="CCI Maule", role="advisor", password=GOOD_PASSWORD,
              email="javiera@example.org", language="es")
    assert "created user 'javiera'" in out and "CCI Maule" in out
    user = User.objects.get(username="javiera")
    assert user.check_password(GOOD_PASSWORD) and user.email == "javiera@example.org" and not user.is_staff
    assert (user.membership.organisation, user.membership.role, user.membership.language) == (org, "advisor", "es")
    run("createuser", "boss", org="CCI Maule", role="admin", password=GOOD_PASSWORD, staff=True)
    boss = User.objects.get(username="boss")
    assert boss.is_staff and boss.membership.role == "admin" and boss.membership.language == "en"


@pytest.mark.django_db
@pytest.mark.parametrize(("options", "message"), [
    ({"org": "Nowhere"}, "unknown organisation 'Nowhere' (existing: CCI Maule)"),
    ({"role": "boss"}, "unknown role 'boss': use admin, advisor or analyst"),
    ({"language": "de"}, "unknown language 'de'"),
    ({"password": "short"}, "password refused: This password is too short"),
    ({"password": "password123"}, "password refused: This password is too common"),
    ({"password": "javiera-soto"}, "too similar to the username"),
    ({"email": "not-an-address"}, "not a valid e-mail address"),
])
def test_createuser_errors(options: dict, message: str) -> None:
    Organisation.objects.create(name="CCI Maule")
    with pytest.raises(CommandError, match=re.escape(message)):
        run("createuser", "javiera-soto", **{"org": "CCI Maule", "role": "analyst", "password": GOOD_PASSWORD,
                                            **options})
    assert not User.objects.filter(username="javiera-soto").exists()


@pytest.mark.django_db
def test_createuser_existing_user_and_no_password() -> None:
    Organisation.objects.create(name="CCI Maule")
    run("createuser", "ana", org="CCI Maule", role="analyst", password=GOOD_PASSWORD)
    with pytest.raises(CommandError, match="user 'ANA' already exists"):
        run("createuser", "ANA", org="CCI Maule", role="analyst", password=GOOD_PASSWORD)
    with pytest.raises(CommandError, match="no --password given and no terminal"):
        run("createuser", "bob", org="CCI Maule", role="analyst")  # stdin is not a terminal under pytest
    with pytest.raises(CommandError, match="the following arguments are required: --org"):
        run("createuser", "bob", role="analyst", password=GOOD_PASSWORD)
    assert Membership.objects.count() == 1


# --- seed_demo -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_scores_the_examples() -> None:
    assert len(EXAMPLES) == 3
    out = run("seed_demo", password=GOOD_PASSWORD)
    assert f"demo login: user demo  password {GOOD_PASSWORD}" in out and "3 created now" in out
    out = run("seed_demo")  # again: nothing new; a new random password is printed, and it works
    assert "3 firm(s), none new" in out
    password = re.search(r"password (\S+)", out).group(1)
    assert password != GOOD_PASSWORD and User.objects.get(username="demo").check_password(password)

    org = Organisation.objects.get(name=demo.ORGANISATION)
    assert Organisation.objects.count() == 1 and User.objects.count() == 1
    user = User.objects.get(username="demo")
    assert user.is_staff and user.membership.organisation == org and user.membership.role == "admin"
    assert FrameworkVersion.objects.filter(builtin=True, published=True).count() == 4  # iiep, and with each sector module
    assert Firm.objects.filter(organisation=org).count() == 3
    assert Assessment.objects.count() == 6  # each example's diagnostic, and an earlier one

    framework = load_framework("iiep", ["wine"])
    for path in EXAMPLES:
        sheet = read_answers(path)[0]
        expected = diagnose(framework, [sheet])[0]
        firm = Firm.objects.get(organisation=org, name=sheet.firm.name)
        assert firm.country == sheet.firm.country and firm.size_class == sheet.firm.size
        assert float(firm.export_share) == pytest.approx(sheet.firm.export_share * 100)
        earlier, assessment = firm.assessments.order_by("assessed_on")
        assert assessment.status == AssessmentStatus.COMPLETED and assessment.completed_at is not None
        assert assessment.framework.content_hash == framework.content_hash
        assert assessment.lang == sheet.lang and assessment.assessed_on == sheet.assessed_on
        for index in ("iip", "iep", "iiep"):
            assert assessment.result["indices"][index]["value"] == pytest.approx(expected.indices[index].value)
            assert assessment.result["indices"][index]["class"] == expected.indices[index].class_
        assert [p["activity"] for p in assessment.result["priorities"]][:3] == \
            [p.activity for p in expected.priorities][:3]
        # and the action plan an advisor would make from it, due dates counted from the diagnostic
        plan = build_plan(expected, framework, services.catalogue_for(org), start=sheet.assessed_on)
        stored = assessment.plan
        assert [(a.key, a.due) for a in stored.actions.order_by("position")] == [(a.id, a.due) for a in plan.actions]
        assert stored.actions_total == len(plan.actions) > 0
        # the earlier diagnostic: six months before, weaker, its plan acted on (first two priorities done)
        assert earlier.assessed_on == sheet.assessed_on - demo.EARLIER and earlier.status == "completed"
        assert earlier.iiep < assessment.iiep
        acted = earlier.plan
        done = acted.actions.filter(status="done")
        assert acted.supported and sorted({a.rank for a in done}) == sorted({a.rank for a in acted.actions.all()})[:2]
        assert all(a.chosen == a.proposed[:1] and a.done_on == earlier.assessed_on + demo.EARLIER / 2 for a in done)
        assert acted.actions_done == done.count() and acted.programmes_used == list(dict.fromkeys(
            p for a in done.order_by("position") for p in a.chosen))


@pytest.mark.django_db
def test_seed_demo_without_examples(tmp_path: Path) -> None:
    result = demo.seed_demo("x" * 12, examples=tmp_path)
    assert result.firms == [] and result.warnings
    with pytest.raises(CommandError, match="not a folder"):
        run("seed_demo", examples=tmp_path / "missing")


# --- the CLI wrappers ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_cli_createorg_createuser_and_manage() -> None:
    from typer.testing import CliRunner

    import innexport.cli.web  # noqa: F401 - registers the commands
    from innexport.cli import app

    runner = CliRunner()
    result = runner.invoke(app, ["createorg", "Agencia Sur"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["createorg", "Agencia Sur"])
    assert result.exit_code == 2 and "already exists" in result.output
    result = runner.invoke(app, ["createuser", "lucia", "--org", "Agencia Sur", "--role", "admin",
                                 "--password", GOOD_PASSWORD, "--language", "es", "--staff"])
    assert result.exit_code == 0, result.output
    lucia = User.objects.get(username="lucia")
    assert lucia.is_staff and lucia.membership.role == "admin" and lucia.membership.language == "es"
    result = runner.invoke(app, ["createuser", "pablo", "--org", "Nowhere", "--role", "advisor",
                                 "--password", GOOD_PASSWORD])
    assert result.exit_code == 2 and "unknown organisation 'Nowhere'" in result.output
    result = runner.invoke(app, ["createuser", "pablo", "--org", "Agencia Sur", "--role", "boss"])
    assert result.exit_code == 2  # typer refuses the role before Django is asked
    result = runner.invoke(app, ["manage", "check", "--deploy", "--fail-level", "CRITICAL"])
    assert result.exit_code == 0, result.output


# --- innexport serve ------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


ENVIRONMENT_FAILURES = ("Connection in use", "Can't connect to", "Permission denied", "Address already in use")


@pytest.mark.skipif(sys.platform == "win32", reason="gunicorn needs a POSIX system (fork)")
def test_serve_migrates_seeds_and_serves(tmp_path: Path) -> None:
    pytest.importorskip("gunicorn", reason="gunicorn is not installed")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INNEXPORT_", "DATABASE_URL", "DJANGO_"))}
    env.update(INNEXPORT_DATA_DIR=str(tmp_path / "data"), PYTHONUNBUFFERED="1")
    log = tmp_path / "serve.log"
    # importing innexport.cli.web registers its commands even before cli._register() names it
    command = [sys.executable, "-c", "import innexport.cli.web; from innexport.cli import main; main()",
               "serve", "--port", str(port), "--workers", "1"]
    with log.open("w") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=tmp_path)
    base = f"http://127.0.0.1:{port}"
    try:
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        deadline, page = time.monotonic() + 60, None
        while time.monotonic() < deadline and page is None:
            if process.poll() is not None:
                output = log.read_text()
                if any(reason in output for reason in ENVIRONMENT_FAILURES):
                    pytest.skip(f"gunicorn cannot start here: {output[-500:]}")
                pytest.fail(f"innexport serve stopped (exit {process.returncode}):\n{output}")
            try:
                with opener.open(f"{base}/accounts/login/", timeout=5) as response:
                    page = response.read().decode()
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.3)
        if page is None:
            pytest.skip(f"gunicorn did not answer within 60 s: {log.read_text()[-500:]}")
        output = log.read_text()
        assert f"served at {base}/" in output
        match = re.search(r"Demo login: user (\S+)\s+password (\S+)", output)
        assert match, output
        username, password = match.groups()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        data = urllib.parse.urlencode({"username": username, "password": password, "csrfmiddlewaretoken": token,
                                       "next": ""}).encode()
        with opener.open(urllib.request.Request(f"{base}/accounts/login/", data=data,
                                                headers={"Referer": f"{base}/accounts/login/"}), timeout=30) as response:
            firms = response.read().decode()
            assert response.url == f"{base}/firms/"
        assert "Domaine des Trois Collines" in firms and "Viña Cerro Alto" in firms and "Bodega Los Aromos" in firms
        with opener.open(f"{base}/static/web/app.css", timeout=10) as response:
            assert response.status == 200
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    assert process.returncode == 0, log.read_text()
