"""``innexport serve``, ``innexport createorg``, ``innexport createuser`` and ``innexport manage``.

``serve`` runs the web application with gunicorn (migrating the database and seeding the demo
first); the others wrap Django's management commands so that no ``manage.py`` is needed. All of
them use ``innexport.web.settings`` (configured by environment variables: see docs/deployment.md).

``serve`` survives its own crash. Its workers die with their master: each asks Linux to send it
SIGTERM when its parent dies (``prctl(PR_SET_PDEATHSIG)``, prctl(2)) and checks that the master
is still there once that is in place; a stopping worker lets go of the listening socket at once,
then finishes its requests in progress (gunicorn's graceful shutdown would keep the port for up
to ``graceful_timeout`` seconds; on a crash that made a new start fail with ``Errno 98``). And a
start whose port is still taken waits for it (:data:`PORT_WAIT_SECONDS`, saying so) instead of
giving up. The port is not shared with ``SO_REUSEPORT``: the kernel would then spread new
connections over the dying workers too, and a second server started by mistake on the same port
would go unnoticed. Under systemd the unit's control group does the same job: see
docs/deployment.md, "Run gunicorn".
"""

from __future__ import annotations

import errno
import os
import signal
import socket
import sys
import time
from typing import Annotated, Any, Literal

import typer

from innexport.cli import app
from innexport.cli._common import console, err, fail, lang_option

SETTINGS = "innexport.web.settings"


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS)
    import django

    django.setup()


def _call(name: str, *args: Any, **options: Any) -> None:
    """Run a management command; its errors become a clear message and exit code 2."""
    from django.core.management import CommandError, call_command
    from django.db import DatabaseError

    _django()
    try:
        call_command(name, *args, **options)
    except CommandError as exc:
        raise fail(str(exc)) from None
    except DatabaseError as exc:
        raise fail(f"database error: {exc}\n(is the database migrated? run: innexport manage migrate)") from None


# --- serve ---------------------------------------------------------------------------------------


PORT_WAIT_SECONDS = 15.0
"""How long ``serve`` waits for its port while another process listens on it (the workers of a
server that has just been killed let it go within about a second)."""

PR_SET_PDEATHSIG = 1
"""prctl(2) option: the signal this process receives when its parent dies (linux/prctl.h)."""


def _die_with_master(server: Any, worker: Any) -> None:
    """gunicorn's ``post_fork`` hook: the worker gets SIGTERM when its master dies (Linux), and
    stops at once if the master is already gone (it may have died before the request was made)."""
    if sys.platform.startswith("linux"):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0) != 0:
            server.log.warning("worker %s: prctl(PR_SET_PDEATHSIG) failed: %s", worker.pid,
                               os.strerror(ctypes.get_errno()))
    if os.getppid() != worker.ppid:
        server.log.warning("worker %s: its master %s is gone, stopping", worker.pid, worker.ppid)
        sys.exit(0)


def _worker_class() -> type:
    """gunicorn's threaded worker, closing its listening sockets as soon as it stops accepting for good.

    gunicorn's own worker closes them only after its graceful shutdown (up to ``graceful_timeout``
    seconds); while the master lives that is harmless (it holds the sockets too), but the orphaned
    workers of a killed master kept the port that long. A worker that stops (SIGTERM, or its
    parent changed) now releases the port first, then finishes the requests it has accepted.
    With a gunicorn whose worker has no ``set_accept_enabled``, this is gunicorn's worker as is
    (the start still waits for the port).
    """
    from gunicorn.workers.gthread import ThreadWorker

    class InnexportWorker(ThreadWorker):
        def set_accept_enabled(self, enabled: bool) -> None:
            super().set_accept_enabled(enabled)
            if not enabled and (not self.alive or os.getppid() != self.ppid):
                for listener in self.sockets:
                    listener.close()  # idempotent: gunicorn closes them again at the end

    return InnexportWorker


def _bind_error(host: str, port: int) -> OSError | None:
    """The error of listening on ``host:port`` as gunicorn does (``SO_REUSEADDR``) when the port is
    in use; None when it is free, or when binding fails for another reason (gunicorn reports it)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host.strip("[]"), port))  # no listen(): bind alone meets a listening socket
        except OSError as exc:
            return exc if exc.errno == errno.EADDRINUSE else None
    return None


def _wait_for_port(host: str, port: int, timeout: float = PORT_WAIT_SECONDS) -> None:
    """Return when ``host:port`` can be listened on, waiting up to ``timeout`` seconds (and saying
    so) while another process holds it; after that, refuse (exit 2) naming the port."""
    error = _bind_error(host, port)
    if error is None:
        return
    err.print(f"[yellow]note:[/] port {port} is in use ({error.strerror}), perhaps by a server that has just "
              f"stopped: waiting up to {timeout:g} s for it", highlight=False)
    deadline = time.monotonic() + timeout
    while error is not None and time.monotonic() < deadline:
        time.sleep(0.2)
        error = _bind_error(host, port)
    if error is not None:
        raise fail(f"--port {port}: {host}:{port} is still in use after {timeout:g} s ({error.strerror}): "
                   "stop the program listening there, or choose another --port")


def _gunicorn_application(options: dict[str, Any]):
    from gunicorn.app.base import BaseApplication

    class InnexportApplication(BaseApplication):
        """gunicorn serving ``innexport.web.wsgi:application`` with the given settings."""

        def __init__(self) -> None:
            self.options = options
            super().__init__()

        def load_config(self) -> None:
            for key, value in self.options.items():
                if key in self.cfg.settings and value is not None:  # settings unknown to this gunicorn are skipped
                    self.cfg.set(key, value)

        def load(self):
            from innexport.web.wsgi import application

            return application

    return InnexportApplication()


def _url(host: str, port: int) -> str:
    wildcards = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}  # noqa: S104 - mapped to a URL to open; binds nothing
    shown = wildcards.get(host, host)
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/"


@app.command("serve")
def serve(
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    host: Annotated[str, typer.Option(help="Address to listen on (0.0.0.0: every interface; then set "
                                           "INNEXPORT_ALLOWED_HOSTS).")] = "127.0.0.1",
    workers: Annotated[int, typer.Option(min=1, max=64, help="gunicorn worker processes (4 threads each).")] = 2,
    demo: Annotated[bool, typer.Option("--demo/--no-demo", help="Create the demo organisation, user and firms "
                                                                "(and print the demo credentials).")] = True,
    demo_password: Annotated[str | None, typer.Option(help="The demo user's password (default: a new random one "
                                                           "at each start).")] = None,
    access_log: Annotated[bool, typer.Option("--access-log", help="Log every request on the standard output.")] = False,
) -> None:
    """Run the web application: migrate the database, seed the demo, serve with gunicorn (Ctrl-C stops).

    For a production deployment (PostgreSQL, reverse proxy, several servers), see docs/deployment.md.
    """
    try:
        _django()
        from django.conf import settings
        from django.core.management import call_command
        from django.db import DatabaseError, connections

        try:
            call_command("migrate", interactive=False, verbosity=0)
        except DatabaseError as exc:
            raise fail(f"cannot migrate the database: {exc}") from None
        url = _url(host, port)
        if demo:
            from innexport.web.demo import DemoError, seed_demo

            try:
                seeded = seed_demo(demo_password)
            except DemoError as exc:
                err.print(f"[yellow]warning:[/] no demo: {exc}", highlight=False)
            else:
                for warning in seeded.warnings:
                    err.print(f"[yellow]warning:[/] {warning}", highlight=False)
                console.print(f"Demo organisation: {seeded.organisation.name} ({len(seeded.firms)} firms)",
                              highlight=False)
                console.print(f"Demo login: user {seeded.username}  password {seeded.password}",
                              highlight=False, markup=False)
        database = settings.DATABASES["default"]
        console.print(f"Database: {database['ENGINE'].rsplit('.', 1)[-1]} {database.get('NAME') or ''}", highlight=False)
        if host not in ("127.0.0.1", "localhost", "::1") and not settings.PRODUCTION:
            err.print("[yellow]note:[/] not listening on loopback only: add this machine's host name to "
                      "INNEXPORT_ALLOWED_HOSTS, and see docs/deployment.md before exposing it", highlight=False)
        _wait_for_port(host, port)
        console.print(f"innexport is served at {url} (Ctrl-C stops)", highlight=False)
        sys.stdout.flush()
        connections.close_all()  # the workers are forked: none may inherit the master's connection
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
    options = {
        "bind": f"[{host}]:{port}" if ":" in host and not host.startswith("[") else f"{host}:{port}",
        "workers": workers,
        "threads": 4,
        "worker_class": _worker_class(),
        "post_fork": _die_with_master,
        "accesslog": "-" if access_log else None,
        "errorlog": "-",
        "loglevel": "warning",
        "graceful_timeout": 10,
        "timeout": 120,  # a PDF report can take a few seconds
        "proc_name": "innexport",
        "control_socket_disable": True,
    }
    _gunicorn_application(options).run()  # returns through SystemExit when stopped (Ctrl-C, SIGTERM)


# --- administration --------------------------------------------------------------------------------


@app.command("createorg")
def createorg(name: Annotated[str, typer.Argument(help="The organisation's name (unique).")]) -> None:
    """Create an organisation (a chamber of commerce, an agency, one of their offices)."""
    _call("createorg", name)


@app.command("createuser")
def createuser(
    username: Annotated[str, typer.Argument(help="The user name to log in with.")],
    org: Annotated[str, typer.Option("--org", help="The organisation's name (see createorg).")],
    role: Annotated[Literal["admin", "advisor", "analyst"], typer.Option(
        help="admin: manages the organisation; advisor: runs diagnostics; analyst: reads only.")],
    password: Annotated[str | None, typer.Option(help="The password (default: asked twice).")] = None,
    email: Annotated[str, typer.Option(help="E-mail address.")] = "",
    language: Annotated[str, lang_option("Interface language.", "--language")] = "en",
    staff: Annotated[bool, typer.Option("--staff", help="Also staff: may upload and publish frameworks.")] = False,
) -> None:
    """Create a user in an organisation with a role."""
    options: dict[str, Any] = {"org": org, "role": role, "email": email, "language": language, "staff": staff}
    if password is not None:
        options["password"] = password
    _call("createuser", username, **options)


@app.command("manage", add_help_option=False,
             context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def manage(ctx: typer.Context) -> None:
    """Django's manage.py for the web application: migrate, collectstatic, createsuperuser, shell, seed_demo…

    Everything after ``manage`` goes to Django, e.g. ``innexport manage migrate`` or
    ``innexport manage help``.
    """
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS)
    from django.core.management import execute_from_command_line

    execute_from_command_line(["innexport manage", *ctx.args])
