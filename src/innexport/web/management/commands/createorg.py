"""``manage.py createorg NAME``: create an organisation (a chamber of commerce, an agency, an office)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from innexport.web.models import Organisation


class Command(BaseCommand):
    help = "Create an organisation; then add its people with createuser."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="The organisation's name (unique), e.g. \"CCI Nouvelle-Aquitaine\".")

    def handle(self, *args: Any, name: str, **options: Any) -> str:
        name = name.strip()
        if not name:
            raise CommandError("the organisation's name is empty")
        longest = Organisation._meta.get_field("name").max_length
        if longest is not None and len(name) > longest:
            raise CommandError(f"the organisation's name is longer than {longest} characters")
        existing = Organisation.objects.filter(name__iexact=name).first()
        if existing is not None:
            raise CommandError(f"organisation '{existing.name}' already exists")
        org = Organisation.objects.create(name=name)
        self.stdout.write(f"created organisation '{org.name}' (id {org.pk}); add its people with: "
                          f"innexport createuser USERNAME --org \"{org.name}\" --role admin|advisor|analyst")
        return ""
