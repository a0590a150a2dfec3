"""WSGI entry point: ``gunicorn innexport.web.wsgi:application``."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "innexport.web.settings")
application = get_wsgi_application()


def _warm_up() -> None:
    from django.db import DatabaseError

    from innexport.web import services

    try:
        services.warm_up()
    except DatabaseError:  # not migrated yet: the first requests will parse instead
        pass


_warm_up()
