"""``manage.py seed_demo``: the demonstration organisation, user and firms (idempotent)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from innexport.web.demo import DemoError, seed_demo


class Command(BaseCommand):
    help = ("Publish the built-in frameworks and create the demo organisation, its user 'demo' (organisation "
            "admin and staff) and the example firms with completed diagnostics. Safe to run again: it adds "
            "nothing twice, and sets the demo password again (printed).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--password", help="The demo user's password (default: a new random one).")
        parser.add_argument("--examples", type=Path, help="Folder of example answers files (default: examples/ of "
                                                          "the source checkout).")

    def handle(self, *args: Any, password: str | None, examples: Path | None, **options: Any) -> str:
        if examples is not None and not examples.is_dir():
            raise CommandError(f"--examples {examples}: not a folder")
        try:
            demo = seed_demo(password, examples)
        except DemoError as exc:
            raise CommandError(str(exc)) from None
        for warning in demo.warnings:
            self.stderr.write(f"warning: {warning}")
        created = f", {len(demo.created_firms)} created now" if demo.created_firms else ", none new"
        self.stdout.write(f"demo organisation '{demo.organisation.name}': {len(demo.firms)} firm(s){created}")
        self.stdout.write(f"demo login: user {demo.username}  password {demo.password}")
        return ""
