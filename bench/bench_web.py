"""Load test of the web application: simulated advisors answering questions against gunicorn.

    .venv/bin/python bench/bench_web.py [--db sqlite|postgres] [--advisors 50] [--seconds 30]

Starts gunicorn on a free loopback port with a throwaway database (SQLite in WAL mode, or a
throwaway PostgreSQL cluster from Debian's packages started on loopback), creates one advisor
and one diagnostic per simulated user, logs them all in, then for a bounded time each advisor
saves answers one after the other (the questionnaire's autosave call), pausing about --think
seconds between two (an advisor reading the next question; 0 for a stress test), and every tenth
time opens a results page. Prints requests per second and the p50/p95/p99 latencies of saving an answer
(target p95 < 150 ms) and of rendering a results page. Only 127.0.0.1 is ever contacted.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "load-test-password-42"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def postgres_cluster():
    """A throwaway PostgreSQL cluster on loopback; yields its DATABASE_URL."""
    bins = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
    if not bins:
        sys.exit("PostgreSQL is not installed (apt-get install postgresql)")
    pg_bin = bins[-1]
    work = Path(tempfile.mkdtemp(prefix="innexport-pgbench-"))
    port = free_port()
    as_pg = []
    if os.geteuid() == 0:
        shutil.chown(work, "postgres")
        as_pg = ["runuser", "-u", "postgres", "--"]
    subprocess.run([*as_pg, pg_bin / "initdb", "-D", work / "data", "-A", "trust", "-U", "postgres"],
                   check=True, capture_output=True)
    subprocess.run([*as_pg, pg_bin / "pg_ctl", "-D", work / "data", "-l", work / "log", "-w", "-o",
                    f"-h 127.0.0.1 -p {port} -k {work} -c max_connections=200", "start"], check=True, capture_output=True)
    try:
        yield f"postgres://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*as_pg, pg_bin / "pg_ctl", "-D", work / "data", "-m", "fast", "-w", "stop"], capture_output=True)
        shutil.rmtree(work, ignore_errors=True)


def prepare(env: dict[str, str], advisors: int) -> dict:
    """Migrate and create the organisation, the advisors and their diagnostics (in a subprocess)."""
    code = f"""
import json, django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.contrib.auth.models import User
from django.urls import reverse
from innexport.web import services
from innexport.web.models import Assessment, Firm, Membership, Organisation
fv = [f for f in services.register_builtin_frameworks() if f.modules == ["wine"]][0]
fw = services.framework_of(fv)
org = Organisation.objects.create(name="Load test chamber")
out = {{"advisors": [], "questions": {{}}}}
for o in fw.observables:
    out["questions"][o.id] = [l.code for l in fw.scale_by_id[o.scale].levels] + ["dk"]
for i in range({advisors}):
    user = User.objects.create_user(f"advisor{{i}}", password={PASSWORD!r})
    Membership.objects.create(user=user, organisation=org, role="advisor")
    firm = Firm.objects.create(organisation=org, name=f"Firm {{i}}", country="FR", sector="11.02")
    a = Assessment.objects.create(organisation=org, firm=firm, framework=fv, lang="fr", created_by=user)
    out["advisors"].append({{"user": user.username, "answer_url": reverse("assessment-answer", args=[a.pk])}})
done = Assessment.objects.create(organisation=org, firm=Firm.objects.get(name="Firm 0"), framework=fv, lang="fr")
for o in fw.observables:
    services.save_answer(done, o.id, fw.scale_by_id[o.scale].levels[-1].code)
services.score(done, complete=True)
out["results_url"] = reverse("assessment-results", args=[done.pk])
out["login_url"] = reverse("login")
print(json.dumps(out))
"""
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False)
    if proc.returncode:
        sys.exit(f"preparing the database failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


class Advisor:
    def __init__(self, base: str, username: str):
        self.base = base
        self.username = username
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def csrf(self) -> str:
        return next((c.value for c in self.jar if c.name == "csrftoken"), "")

    def login(self, login_url: str) -> None:
        page = self.opener.open(self.base + login_url, timeout=30).read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        data = urllib.parse.urlencode({"username": self.username, "password": PASSWORD,
                                       "csrfmiddlewaretoken": token}).encode()
        req = urllib.request.Request(self.base + login_url, data=data, headers={"Referer": self.base + login_url})
        self.opener.open(req, timeout=30).read()
        if not any(c.name == "sessionid" for c in self.jar):
            raise RuntimeError(f"{self.username} could not log in")

    def post_json(self, url: str, body: dict) -> None:
        req = urllib.request.Request(self.base + url, data=json.dumps(body).encode(), method="POST", headers={
            "Content-Type": "application/json", "X-CSRFToken": self.csrf(), "Referer": self.base + url})
        self.opener.open(req, timeout=30).read()

    def get(self, url: str) -> None:
        self.opener.open(self.base + url, timeout=30).read()


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def run(db: str, advisors: int, seconds: float, workers: int, think: float) -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="innexport-load-"))
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "innexport.web.settings", "INNEXPORT_DATA_DIR": str(data_dir)}
    with (postgres_cluster() if db == "postgres" else _nothing()) as url:
        if url:
            env["DATABASE_URL"] = url
        setup = prepare(env, advisors)
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "innexport.web.wsgi:application", "-b", f"127.0.0.1:{port}",
             "-w", str(workers), "--threads", "4", "--log-level", "warning"], env=env)
        base = f"http://127.0.0.1:{port}"
        try:
            _wait(base + setup["login_url"])
            people = [Advisor(base, a["user"]) for a in setup["advisors"]]
            for person in people:
                person.login(setup["login_url"])
            answer_times: list[float] = []
            result_times: list[float] = []
            errors: list[str] = []
            stop_at = time.monotonic() + seconds
            lock = threading.Lock()

            def work(person: Advisor, answer_url: str) -> None:
                rnd = random.Random(person.username)
                questions = list(setup["questions"].items())
                i = 0
                while time.monotonic() < stop_at:
                    qid, codes = rnd.choice(questions)
                    t0 = time.perf_counter()
                    try:
                        if i % 10 == 9:
                            person.get(setup["results_url"])
                            with lock:
                                result_times.append(time.perf_counter() - t0)
                        else:
                            person.post_json(answer_url, {"question_id": qid, "value": rnd.choice(codes), "comment": ""})
                            with lock:
                                answer_times.append(time.perf_counter() - t0)
                    except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
                        with lock:
                            errors.append(str(exc))
                    i += 1
                    if think:
                        time.sleep(rnd.uniform(0.5, 1.5) * think)  # an advisor reads the next question

            started = time.monotonic()
            threads = [threading.Thread(target=work, args=(p, a["answer_url"]))
                       for p, a in zip(people, setup["advisors"], strict=True)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            elapsed = time.monotonic() - started
        finally:
            server.terminate()
            server.wait(timeout=30)
    shutil.rmtree(data_dir, ignore_errors=True)
    total = len(answer_times) + len(result_times)
    print(f"web load test — {db}, gunicorn {workers} workers × 4 threads, {advisors} advisors "
          f"(pause {think:g} s on average), {elapsed:.0f} s")
    print(f"  requests: {total} ({total / elapsed:.0f}/s), errors: {len(errors)}")
    for name, times, target in (("save an answer", answer_times, " (target p95 < 150 ms)"),
                                ("results page", result_times, "")):
        if times:
            ms = [t * 1000 for t in times]
            print(f"  {name:15s} n={len(ms):6d}  p50 {percentile(ms, 50):6.1f} ms  p95 {percentile(ms, 95):6.1f} ms  "
                  f"p99 {percentile(ms, 99):6.1f} ms{target}")
    if errors:
        print(f"  first error: {errors[0]}")


@contextmanager
def _nothing():
    yield None


def _wait(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=5).read()
            return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.3)
    sys.exit(f"the server did not answer at {url}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--advisors", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1))
    parser.add_argument("--think", type=float, default=1.0,
                        help="mean pause of an advisor between two actions, seconds (0: as fast as possible)")
    args = parser.parse_args()
    for db in (["sqlite", "postgres"] if args.db == "both" else [args.db]):
        run(db, args.advisors, args.seconds, args.workers, args.think)


if __name__ == "__main__":
    main()
