"""``innexport serve``, ``innexport createorg``, ``innexport createuser`` and ``innexport manage``.

``serve`` runs the web application with gunicorn (migrating the database and seeding the demo
first); the others wrap Django's management commands so that no ``manage.py`` is needed. All of
them use ``innexport.web.settings`` (configured by environment variables: see docs/deployment.md).
"""

from __future__ import annotations

import os
import sys
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
        console.print(f"innexport is served at {url} (Ctrl-C stops)", highlight=False)
        sys.stdout.flush()
        connections.close_all()  # the workers are forked: none may inherit the master's connection
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
    options = {
        "bind": f"[{host}]:{port}" if ":" in host and not host.startswith("[") else f"{host}:{port}",
        "workers": workers,
        "threads": 4,
        "worker_class": "gthread",
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
