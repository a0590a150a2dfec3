"""WSGI entry point: ``gunicorn innexport.web.wsgi:application``."""

import contextlib
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "innexport.web.settings")
application = get_wsgi_application()


def _warm_up() -> None:
    from django.db import DatabaseError

    from innexport.web import services

    with contextlib.suppress(DatabaseError):  # not migrated yet: the first requests will parse instead
        services.warm_up()


_warm_up()
