"""``manage.py createuser USERNAME --org NAME --role admin|advisor|analyst``: add a person to an organisation."""

from __future__ import annotations

import getpass
import sys
from typing import Any

from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import validate_email
from django.db import transaction

from innexport.core.framework import LANGUAGES
from innexport.web.models import Membership, Organisation, Role


class Command(BaseCommand):
    help = ("Create a user in an organisation with a role: admin (manages the organisation), advisor (runs "
            "diagnostics) or analyst (reads only). The password is asked for unless given with --password.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--org", required=True, help="The organisation's exact name (see createorg).")
        parser.add_argument("--role", required=True, help="admin, advisor or analyst.")
        parser.add_argument("--password", help="The password (default: asked twice on the terminal).")
        parser.add_argument("--email", default="")
        parser.add_argument("--language", default="en",
                            help=f"Interface language: {', '.join(LANGUAGES)} (default en).")
        parser.add_argument("--staff", action="store_true",
                            help="Also a staff user: may upload and publish frameworks (shared by all organisations).")

    def handle(self, *args: Any, username: str, org: str, role: str, password: str | None, email: str,
               language: str, staff: bool, **options: Any) -> str:
        User = get_user_model()
        username = username.strip()
        if not username:
            raise CommandError("the user name is empty")
        roles = [r.value for r in Role]
        if role not in roles:
            raise CommandError(f"unknown role '{role}': use {', '.join(roles[:-1])} or {roles[-1]}")
        if language not in LANGUAGES:
            raise CommandError(f"unknown language '{language}': use {', '.join(LANGUAGES)}")
        organisation = Organisation.objects.filter(name=org.strip()).first() or \
            Organisation.objects.filter(name__iexact=org.strip()).first()
        if organisation is None:
            known = list(Organisation.objects.order_by("name").values_list("name", flat=True)[:20])
            raise CommandError(f"unknown organisation '{org}'"
                               + (f" (existing: {', '.join(known)})" if known else " (there is none yet)")
                               + "; create it with: innexport createorg NAME")
        if User.objects.filter(username__iexact=username).exists():
            raise CommandError(f"user '{username}' already exists")
        try:
            User._meta.get_field("username").run_validators(username)
        except ValidationError as exc:
            raise CommandError(f"user name '{username}': {' '.join(exc.messages)}") from None
        email = email.strip()
        if email:
            try:
                validate_email(email)
            except ValidationError:
                raise CommandError(f"'{email}' is not a valid e-mail address") from None
        candidate = User(username=username, email=email)
        if password is None:
            password = self._ask_password(candidate)
        try:
            password_validation.validate_password(password, user=candidate)
        except ValidationError as exc:
            raise CommandError("password refused: " + " ".join(exc.messages)) from None
        with transaction.atomic():
            user = User.objects.create_user(username=username, email=email, password=password, is_staff=staff)
            Membership.objects.create(user=user, organisation=organisation, role=role, language=language)
        self.stdout.write(f"created user '{user.username}': {Role(role).label} of '{organisation.name}'"
                          + (", staff" if staff else ""))
        return ""

    def _ask_password(self, candidate: Any) -> str:
        if not sys.stdin.isatty():
            raise CommandError("no --password given and no terminal to ask for it")
        for _attempt in range(3):
            first = getpass.getpass("Password: ")
            if first != getpass.getpass("Password (again): "):
                self.stderr.write("The passwords differ; try again.")
                continue
            try:
                password_validation.validate_password(first, user=candidate)
            except ValidationError as exc:
                self.stderr.write("Password refused: " + " ".join(exc.messages))
                continue
            return first
        raise CommandError("no acceptable password given")
