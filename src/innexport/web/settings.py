"""Django settings of the innexport web application, read from the environment.

Environment variables (all optional for a local run):

* ``DATABASE_URL``: e.g. ``postgres://user:pass@127.0.0.1:5432/innexport``; default SQLite
  (WAL mode) at ``$INNEXPORT_DATA_DIR/innexport.sqlite3``.
* ``INNEXPORT_DATA_DIR``: where the SQLite database and uploads live (default ``./.innexport``).
* ``INNEXPORT_SECRET_KEY``: required in production.
* ``INNEXPORT_PRODUCTION=1``: secure cookies, HSTS, SSL redirect, no debug.
* ``INNEXPORT_ALLOWED_HOSTS``: comma-separated host names (production).
* ``INNEXPORT_DEBUG=1``: Django debug pages (development only).
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from babel import Locale
from django.core.exceptions import ImproperlyConfigured

from innexport.core.framework import LANGUAGES as FRAMEWORK_LANGUAGES

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("INNEXPORT_DATA_DIR", Path.cwd() / ".innexport")).resolve()
PRODUCTION = os.environ.get("INNEXPORT_PRODUCTION", "") in {"1", "true", "yes"}
DEBUG = os.environ.get("INNEXPORT_DEBUG", "") in {"1", "true", "yes"} and not PRODUCTION

SECRET_KEY = os.environ.get("INNEXPORT_SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("INNEXPORT_SECRET_KEY must be set in production")
    SECRET_KEY = "innexport-development-key-not-for-production"  # noqa: S105 - a development default, refused in production

ALLOWED_HOSTS = [h.strip() for h in os.environ.get("INNEXPORT_ALLOWED_HOSTS", "").split(",") if h.strip()]
if not PRODUCTION:
    ALLOWED_HOSTS += ["127.0.0.1", "localhost", "testserver", "[::1]"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "innexport.web.apps.WebConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "innexport.web.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # login throttling: first, so it can refuse
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "innexport.web.urls"
WSGI_APPLICATION = "innexport.web.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "innexport.web.tenancy.context",
            ],
        },
    },
]

DATA_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'innexport.sqlite3'}",  # empty means unset
        conn_max_age=60, conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL: readers do not block the writer; a busy database waits instead of failing at once.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # Tests use a file too (not the shared in-memory database, whose table locks fail concurrent
    # requests of a live server instead of waiting like WAL does).
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
# The languages of the interface are the frameworks' (innexport.core.framework.LANGUAGES), each
# named in itself (Babel's CLDR data: "Français", "Español", "English").
def _endonym(code: str) -> str:
    name = Locale.parse(code).get_display_name(code) or code
    return name[:1].upper() + name[1:]


LANGUAGES = [(code, _endonym(code)) for code in FRAMEWORK_LANGUAGES]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True  # serve static files without collectstatic in development

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "firm-list"
LOGOUT_REDIRECT_URL = "login"

# Login throttling (django-axes): 5 failures per user name and address lock for 15 minutes.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.25
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "web/locked_out.html"

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # the questionnaire's script reads it to autosave answers
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = os.environ.get("INNEXPORT_SSL_REDIRECT", "1") in {"1", "true", "yes"}
    SECURE_HSTS_SECONDS = int(os.environ.get("INNEXPORT_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = False
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "SAMEORIGIN"

BENCHMARK_POPULATION = os.environ.get("INNEXPORT_BENCHMARK_POPULATION", "")
"""A population table (``innexport population import``) to place every firm among its peers; empty: none."""
BENCHMARK_BY = os.environ.get("INNEXPORT_BENCHMARK_BY", "country,sector,size")

SHARE_LINK_DAYS = int(os.environ.get("INNEXPORT_SHARE_LINK_DAYS", "14"))
"""Default validity of a director's private link."""

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
