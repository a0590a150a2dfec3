"""Kill test of ``innexport serve`` (issue 10): no acknowledged save is lost, and the restart succeeds.

A real ``innexport serve`` (gunicorn, two workers) on 127.0.0.1 and a free port, with its own data
folder and database: SQLite, or a database of its own on the PostgreSQL server of ``DATABASE_URL``
when that is set (scripts/test.sh runs tests/web a second time so). Two client threads autosave
answers as the questionnaire does (``POST /assessments/<id>/answer/``, one after the other on a
kept-alive connection as a browser's, each save carrying its own number in the comment) and record
every acknowledged save (200, ``ok``, the save echoed); mid-load the gunicorn master gets SIGKILL;
``innexport serve`` is started again at once on the same port and must be serving within
:data:`RESTART_BOUND` seconds (before issue 10 the orphaned workers held the port 10-12 s and the
new start gave up: ``Errno 98``); on Linux the old workers must be gone within
:data:`ORPHAN_BOUND` seconds (they die with their master). The clients go on through the restart;
the answers are then read back through the API (``GET /api/assessments/<id>``, with a token) and
every acknowledged save must be there: for each question, the stored answer is the last
acknowledged save of it or a later attempt (a save whose answer never came may or may not be
stored). Everything runs on loopback, is bounded in time (a few seconds of load), and the process
groups are killed whatever happens.
"""

from __future__ import annotations

import http.client
import http.cookiejar
import itertools
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(os.name != "posix", reason="innexport serve (gunicorn) needs a POSIX system (fork)")

CLI = [sys.executable, "-c", "import innexport.cli.web; from innexport.cli import main; main()"]
PASSWORD = "kill-test-orchard-velvet-42"
START_BOUND = 60.0
"""Seconds the first start may take (a fresh database is migrated); beyond, the machine is too busy: skip."""
RESTART_BOUND = 20.0
"""Seconds from the kill until the restarted server answers (it waits up to 15 s for its port)."""
ORPHAN_BOUND = 8.0
"""Seconds from the kill until every worker of the killed master has exited (Linux)."""
ENVIRONMENT_FAILURES = ("Can't connect to", "Permission denied")
"""The first start failing so is this machine's doing (no loopback, a sandbox), not the code's: skip.
The restart failing so is the defect this test is about (``Errno 98``: the port still taken)."""

SETUP = """
import json
from django.contrib.auth.models import User
from django.urls import reverse
from innexport.web import services
from innexport.web.api import create_token
from innexport.web.models import Assessment, Firm, Membership, Organisation
version = next(f for f in services.register_builtin_frameworks() if f.modules == ["wine"])
framework = services.framework_of(version)
org = Organisation.objects.create(name="Kill test chamber")
user = User.objects.create_user("kill-advisor", password=__PASSWORD__)
Membership.objects.create(user=user, organisation=org, role="advisor", language="en")
firm = Firm.objects.create(organisation=org, name="Kill test winery", country="FR", sector="11.02", created_by=user)
a = Assessment.objects.create(organisation=org, firm=firm, framework=version, lang="en", created_by=user)
print(json.dumps({
    "id": a.pk, "answer_url": reverse("assessment-answer", args=[a.pk]), "login_url": reverse("login"),
    "token": create_token(user, "kill test"),
    "questions": {o.id: [level.code for level in framework.scale_by_id[o.scale].levels]
                  for o in framework.observables},
}))
"""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _database() -> Iterator[str | None]:
    """The server's DATABASE_URL: None (SQLite in its data folder), or a new database on the
    PostgreSQL server of ``DATABASE_URL``, dropped afterwards (never the test database)."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        yield None
        return
    psycopg = pytest.importorskip("psycopg", reason="psycopg is not installed")
    name = f"innexport_kill_{os.getpid()}_{secrets.token_hex(4)}"
    parts = urllib.parse.urlsplit(url)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (Linux /proc; elsewhere an empty list)."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def _running(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie, exited but not yet reaped, is not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


class Server:
    """One ``innexport serve`` in its own process group, its output in a log file."""

    def __init__(self, env: dict[str, str], port: int, log: Path) -> None:
        self.log = log
        with log.open("w") as out:
            self.process = subprocess.Popen([*CLI, "serve", "--port", str(port), "--workers", "2", "--no-demo"],
                                            stdout=out, stderr=subprocess.STDOUT, env=env, cwd=log.parent,
                                            start_new_session=True)
        self.base = f"http://127.0.0.1:{port}"

    def wait_up(self, bound: float, *, first: bool = False) -> float:
        """Seconds until it has said it serves and the login page answers (the workers of a killed
        server may still answer before); fails, showing the log, if it stops or takes over ``bound``
        (the ``first`` start skips instead when this machine does not let gunicorn listen, or is too busy)."""
        start = time.monotonic()
        while time.monotonic() - start < bound:
            if self.process.poll() is not None:
                output = self.log.read_text()
                if first and any(reason in output for reason in ENVIRONMENT_FAILURES):
                    pytest.skip(f"gunicorn cannot listen here: {output[-500:]}")
                pytest.fail(f"innexport serve stopped (exit {self.process.returncode}):\n{output}")
            if "served at" not in self.log.read_text():
                time.sleep(0.1)
                continue
            try:
                with urllib.request.urlopen(f"{self.base}/accounts/login/", timeout=2) as response:
                    if response.status == 200:
                        return time.monotonic() - start
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.1)
        if first:
            pytest.skip(f"innexport serve did not answer within {bound:.0f} s (a busy machine?)")
        pytest.fail(f"innexport serve did not answer within {bound:.0f} s:\n{self.log.read_text()[-2000:]}")

    def kill_group(self) -> None:
        """SIGKILL to the whole process group (master, and any workers left), then reap the master."""
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        with suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)


@dataclass
class Load:
    """Autosaving clients: every attempt by number, and the numbers of the acknowledged ones."""

    base: str
    answer_url: str
    stop: threading.Event
    attempts: dict[int, tuple[str, str, str]] = field(default_factory=dict)  # number → (question, value, comment)
    acked: list[int] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)  # 4xx answers: a defect of the test or of the server
    numbers: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def client(self, cookies: str, csrf: str, questions: dict[str, list[str]]) -> None:
        """Save answers one after the other on one kept-alive connection (as a browser does), opening
        a new one whenever it breaks; a save counts as acknowledged on a 200 answer echoing it."""
        parts = urllib.parse.urlsplit(self.base)
        connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=5)
        headers = {"Content-Type": "application/json", "X-CSRFToken": csrf, "Cookie": cookies,
                   "Referer": self.base + self.answer_url}
        try:
            for n, question in zip(self.numbers, itertools.cycle(questions), strict=False):
                if self.stop.is_set():
                    return
                levels = [*questions[question], "dk"]
                value, comment = levels[n % len(levels)], f"save {n}"
                self.attempts[n] = (question, value, comment)
                body = json.dumps({"question_id": question, "value": value, "comment": comment})
                try:
                    connection.request("POST", self.answer_url, body=body, headers=headers)
                    response = connection.getresponse()
                    data = json.loads(response.read() or b"null")
                except (OSError, http.client.HTTPException, ValueError):
                    connection.close()  # the server is down or restarting: not acknowledged, try the next one
                    time.sleep(0.05)
                    continue
                if response.status == 200 and isinstance(data, dict) and data.get("ok") and \
                        (data.get("value"), data.get("comment")) == (value, comment):
                    self.acked.append(n)
                elif 400 <= response.status < 500:
                    self.refusals.append(f"save {n}: {response.status} {str(data)[:300]}")
        finally:
            connection.close()

    def wait_for(self, count: int, bound: float) -> bool:
        deadline = time.monotonic() + bound
        while len(self.acked) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return len(self.acked) >= count


def _login(base: str, login_url: str) -> tuple[str, str]:
    """Log the advisor in; the session's ``Cookie`` header and CSRF token."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(base + login_url, timeout=10) as response:
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.read().decode()).group(1)
    data = urllib.parse.urlencode({"username": "kill-advisor", "password": PASSWORD, "csrfmiddlewaretoken": token})
    request = urllib.request.Request(base + login_url, data=data.encode(), headers={"Referer": base + login_url})
    with opener.open(request, timeout=30) as response:
        response.read()
    cookies = {c.name: c.value for c in jar}
    assert "sessionid" in cookies, "the advisor could not log in"
    return "; ".join(f"{k}={v}" for k, v in cookies.items()), cookies["csrftoken"]


def test_kill_the_master_mid_load_loses_no_acknowledged_save(tmp_path: Path) -> None:
    pytest.importorskip("gunicorn", reason="gunicorn is not installed")
    with _database() as database_url:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("INNEXPORT_", "DATABASE_URL", "DJANGO_"))}
        env.update(INNEXPORT_DATA_DIR=str(tmp_path / "data"), PYTHONUNBUFFERED="1")
        if database_url:
            env["DATABASE_URL"] = database_url
        port = _free_port()
        first = Server(env, port, tmp_path / "first.log")
        second: Server | None = None
        stop = threading.Event()
        threads: list[threading.Thread] = []
        try:
            first.wait_up(START_BOUND, first=True)  # serve has migrated the database
            setup = subprocess.run([*CLI, "manage", "shell", "-c", SETUP.replace("__PASSWORD__", repr(PASSWORD))],
                                   env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False)
            assert setup.returncode == 0, setup.stderr
            made = json.loads(setup.stdout.strip().splitlines()[-1])
            questions = list(made["questions"])
            assert len(questions) >= 10

            load = Load(first.base, made["answer_url"], stop=stop)
            cookies, csrf = _login(first.base, made["login_url"])  # one session, kept through the restart
            threads = [threading.Thread(target=load.client, daemon=True,
                                        args=(cookies, csrf, {q: made["questions"][q] for q in part}))
                       for part in (questions[0::2], questions[1::2])]
            for thread in threads:
                thread.start()
            assert load.wait_for(20, bound=15), f"only {len(load.acked)} saves acknowledged before the kill"

            workers = _children(first.process.pid)
            os.kill(first.process.pid, signal.SIGKILL)  # the gunicorn master is the serve process itself
            killed_at, acked_before = time.monotonic(), len(load.acked)
            first.process.wait(timeout=10)
            second = Server(env, port, tmp_path / "second.log")
            second.wait_up(RESTART_BOUND)
            restart = time.monotonic() - killed_at
            assert restart < RESTART_BOUND, f"the restart took {restart:.1f} s"
            if sys.platform.startswith("linux"):
                assert workers, "no gunicorn worker found under the master"
                while any(map(_running, workers)) and time.monotonic() - killed_at < ORPHAN_BOUND:
                    time.sleep(0.1)
                assert not any(map(_running, workers)), f"workers of the killed master still run: {workers}"

            # the clients go on against the new server, in the same session: it takes saves again
            assert load.wait_for(len(load.acked) + 10, bound=15), "no save acknowledged after the restart"
            stop.set()
            for thread in threads:
                thread.join(timeout=10)
            request = urllib.request.Request(f"{second.base}/api/assessments/{made['id']}",
                                             headers={"Authorization": f"Bearer {made['token']}"})
            with urllib.request.urlopen(request, timeout=30) as response:
                stored = json.loads(response.read())["answers"]
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=10)
            first.kill_group()
            if second is not None:
                second.kill_group()

    assert not load.refusals, load.refusals
    assert len(load.acked) > acked_before >= 20
    last_acked: dict[str, int] = {}
    for n in sorted(load.acked):
        last_acked[load.attempts[n][0]] = n
    lost = []
    for question, n in last_acked.items():
        answer = stored.get(question)
        kept = int(answer["comment"].removeprefix("save ")) if answer and answer["comment"].startswith("save ") else 0
        # the stored answer is the last acknowledged save of the question, or a later attempt at it
        if kept < n or load.attempts.get(kept) != (question, answer["value"], answer["comment"]):
            lost.append(f"{question}: acknowledged save {n} {load.attempts[n][1:]}, stored {answer}")
    assert not lost, f"{len(lost)} acknowledged save(s) lost (restart after {restart:.1f} s):\n" + "\n".join(lost)


# --- the start waits for its port ---------------------------------------------------------------------


def _listener() -> socket.socket:
    """A socket listening on a free loopback port, as a server's (or its orphaned workers') would."""
    held = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    held.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    held.bind(("127.0.0.1", 0))
    held.listen(8)
    return held


def test_serve_waits_for_its_port_then_refuses_naming_it(capsys: pytest.CaptureFixture[str]) -> None:
    import typer

    from innexport.cli import web

    held = _listener()
    port = held.getsockname()[1]
    threading.Timer(0.6, held.close).start()  # the holder lets go while serve waits
    start = time.monotonic()
    web._wait_for_port("127.0.0.1", port, timeout=10)
    assert 0.5 < time.monotonic() - start < 5
    assert f"port {port} is in use" in capsys.readouterr().err
    web._wait_for_port("127.0.0.1", port, timeout=10)  # free: returns at once, silently
    assert capsys.readouterr().err == ""

    with _listener() as held:  # never let go: a bounded wait, then exit 2 naming the port
        port = held.getsockname()[1]
        start = time.monotonic()
        with pytest.raises(typer.Exit) as exit_info:
            web._wait_for_port("127.0.0.1", port, timeout=0.5)
        assert exit_info.value.exit_code == 2 and 0.4 < time.monotonic() - start < 5
        message = " ".join(capsys.readouterr().err.split())
        assert f"error: --port {port}: 127.0.0.1:{port} is still in use after 0.5 s" in message
        assert "choose another --port" in message
