"""Django settings of the innexport web application, read from the environment.

Environment variables (all optional for a local run):

* ``DATABASE_URL``: e.g. ``postgres://user:pass@127.0.0.1:5432/innexport``; default SQLite
  (WAL mode) at ``$INNEXPORT_DATA_DIR/innexport.sqlite3``.
* ``INNEXPORT_DATA_DIR``: where the SQLite database and uploads live (default ``./.innexport``).
* ``INNEXPORT_SECRET_KEY``: required in production (at least 50 characters); elsewhere a random key
  is generated once and kept in ``$INNEXPORT_DATA_DIR/secret_key`` (:mod:`innexport.web.security`).
* ``INNEXPORT_PRODUCTION=1``: secure cookies, HSTS, SSL redirect, no debug.
* ``INNEXPORT_ALLOWED_HOSTS``: comma-separated host names (production).
* ``INNEXPORT_DEBUG=1``: Django debug pages (development only).
* ``INNEXPORT_EMAIL_URL`` (e.g. ``smtp://user:pass@mail.example.org:587?tls=1``) or
  ``INNEXPORT_EMAIL_HOST``/``_PORT``/``_USER``/``_PASSWORD``/``_TLS``/``_SSL``; ``INNEXPORT_EMAIL_FROM``,
  ``INNEXPORT_EMAIL_TIMEOUT``: how the director's invitations, reminders and the advisor's notices
  are sent (:func:`email_settings`; Django's console backend when nothing is set).
* ``INNEXPORT_SITE_URL``: the address in e-mails sent outside a request (``send_reminders``).
* ``INNEXPORT_EVIDENCE_S3_BUCKET`` (with ``_ENDPOINT_URL``, ``_REGION``, ``_ACCESS_KEY_ID``,
  ``_SECRET_ACCESS_KEY``, ``_PREFIX``): keep the advisors' evidence files in an S3-compatible bucket
  instead of ``$INNEXPORT_DATA_DIR/evidence`` (:func:`evidence_storage`).
* ``INNEXPORT_REMINDER_AFTER_DAYS``/``_EVERY_DAYS``/``_MAX``/``_BEFORE_EXPIRY_DAYS``: when directors are reminded;
  ``INNEXPORT_PLAN_REMINDER_DAYS``: how long before a plan action is due its advisor is reminded.
* ``INNEXPORT_PORTFOLIO_WARM_DELAY``: seconds after an organisation's last change before its portfolio
  is computed in the background (default 2; ``off``: only when viewed), :mod:`innexport.web.warming`.
  Computed portfolios are kept in ``$INNEXPORT_DATA_DIR/cache`` (files shared by the worker processes).

Browser policies (Content-Security-Policy with django-csp, Permissions-Policy, framing) and the
private modes of the data folder (0700) and database (0600) are decided in
:mod:`innexport.web.security`; docs/deployment.md lists them.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import dj_database_url
from babel import Locale
from django.core.exceptions import ImproperlyConfigured

from innexport.core.framework import LANGUAGES as FRAMEWORK_LANGUAGES
from innexport.web import security

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("INNEXPORT_DATA_DIR", Path.cwd() / ".innexport")).resolve()
PRODUCTION = os.environ.get("INNEXPORT_PRODUCTION", "") in {"1", "true", "yes"}
DEBUG = os.environ.get("INNEXPORT_DEBUG", "") in {"1", "true", "yes"} and not PRODUCTION

security.private_dir(DATA_DIR)
SECRET_KEY = security.secret_key(os.environ, DATA_DIR, PRODUCTION)

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
    "csp",
    "ninja",  # ninja's Swagger UI from its own static files, not from a CDN (ninja.openapi.docs)
    "innexport.web.apps.WebConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    # inside CSP (marks the framed documents' policy before CSPMiddleware writes it), outside the
    # rest: every response, static files and early refusals included, gets Permissions-Policy
    "innexport.web.security.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "innexport.web.middleware.EdgeMiddleware",  # refuses what no view should see; DB outage → 503 (issue 10)
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "innexport.web.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    "innexport.web.warming.WarmAfterChangeMiddleware",  # after a change, the portfolio computed ahead
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

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'innexport.sqlite3'}",  # empty means unset
        conn_max_age=60, conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The database file is created 0600 before SQLite opens it (its -wal and -shm files take its mode).
    if DATABASES["default"]["NAME"] not in {"", ":memory:"}:
        security.private_file(Path(DATABASES["default"]["NAME"]))
    # WAL: readers do not block the writer; a busy database waits instead of failing at once.
    # secure_delete: deleted content is overwritten with zeros (an erased firm is not left readable
    # in free pages; security.purge_erased_pages empties the write-ahead log after an erasure).
    # mmap_size: pages are read through a memory map of the file (up to 1 GiB of address space, not of
    # memory: the pages are the system's file cache) rather than copied by one system call each into
    # each connection's own small cache — each request opens its connection (CONN_MAX_AGE 0), and the
    # portfolio of 10,000 firms reads some 30,000 pages (bench/bench_portfolio.py).
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA secure_delete=ON; "
                        "PRAGMA mmap_size=1073741824;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # Tests use a file too (not the shared in-memory database, whose table locks fail concurrent
    # requests of a live server instead of waiting like WAL does).
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The computed portfolios (innexport.web.views.portfolio.portfolio_of, keyed on the organisation's last
# change, so never stale) are kept in files of the data folder (0700; each file 0600), shared by the
# server's worker processes: computed once after a change, by the first view or ahead of it
# (innexport.web.warming), every worker's next view reads them.
CACHES = {
    "default": {
        "BACKEND": "innexport.web.filecache.PlainFileCache",  # Django's file cache, without compression
        "LOCATION": str(DATA_DIR / "cache"),
        "TIMEOUT": 7 * 24 * 3600,
        "OPTIONS": {"MAX_ENTRIES": 300},  # beyond, a third dropped at random (some 300 kB each at 10,000 firms)
    },
}

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

def evidence_storage(environ: Mapping[str, str], data_dir: Path) -> dict[str, Any]:
    """Where the advisors' evidence files are kept (``STORAGES["evidence"]``): the folder
    ``evidence/`` of the data folder, or an S3-compatible bucket (django-storages, the ``s3`` extra)
    when ``INNEXPORT_EVIDENCE_S3_BUCKET`` is set, with ``INNEXPORT_EVIDENCE_S3_ENDPOINT_URL`` (a
    MinIO, Scaleway, OVH… address; empty for AWS), ``INNEXPORT_EVIDENCE_S3_REGION``,
    ``INNEXPORT_EVIDENCE_S3_ACCESS_KEY_ID``, ``INNEXPORT_EVIDENCE_S3_SECRET_ACCESS_KEY`` (empty:
    boto3's own credentials chain) and ``INNEXPORT_EVIDENCE_S3_PREFIX`` (a folder in the bucket).
    Either way the files have no public address (no ``MEDIA_URL``, private objects): only
    :mod:`innexport.web.views.reviews` serves them, to members of their organisation.

    >>> evidence_storage({}, Path("/srv/innexport"))["OPTIONS"]["location"]
    '/srv/innexport/evidence'
    >>> s3 = evidence_storage({"INNEXPORT_EVIDENCE_S3_BUCKET": "cci-evidence",
    ...                        "INNEXPORT_EVIDENCE_S3_ENDPOINT_URL": "https://s3.fr-par.scw.cloud"}, Path("/srv"))
    >>> s3["BACKEND"], s3["OPTIONS"]["bucket_name"], s3["OPTIONS"]["default_acl"]
    ('storages.backends.s3.S3Storage', 'cci-evidence', 'private')
    """
    bucket = environ.get("INNEXPORT_EVIDENCE_S3_BUCKET", "").strip()
    if not bucket:
        return {"BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": str(data_dir / "evidence"), "base_url": None,
                            "file_permissions_mode": 0o600, "directory_permissions_mode": 0o700}}
    if importlib.util.find_spec("storages") is None:
        raise ImproperlyConfigured("INNEXPORT_EVIDENCE_S3_BUCKET is set but django-storages is not installed: "
                                   "pip install 'innexport[s3]'")
    endpoint = environ.get("INNEXPORT_EVIDENCE_S3_ENDPOINT_URL", "").strip()
    if endpoint and urlsplit(endpoint).scheme not in {"http", "https"}:
        raise ImproperlyConfigured(f"INNEXPORT_EVIDENCE_S3_ENDPOINT_URL: '{endpoint}' is not an http(s):// address")
    options: dict[str, Any] = {
        "bucket_name": bucket, "endpoint_url": endpoint or None,
        "region_name": environ.get("INNEXPORT_EVIDENCE_S3_REGION", "").strip() or None,
        "access_key": environ.get("INNEXPORT_EVIDENCE_S3_ACCESS_KEY_ID", "").strip() or None,
        "secret_key": environ.get("INNEXPORT_EVIDENCE_S3_SECRET_ACCESS_KEY", "").strip() or None,
        "location": environ.get("INNEXPORT_EVIDENCE_S3_PREFIX", "").strip().strip("/"),
        "default_acl": "private", "querystring_auth": True, "file_overwrite": False,
    }
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}


STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
    # advisors' evidence files (web.models.AnswerReview), served only inside their organisation
    "evidence": evidence_storage(os.environ, DATA_DIR),
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
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"  # the framed documents (below) get SAMEORIGIN from security.SecurityHeadersMiddleware

# Content-Security-Policy (django-csp 4): scripts, styles, images and connections from the
# application's own origin only; no inline script (the templates' behaviours live in
# static/web/*.js), no inline <style> (static/web/*.css). Exception: inline style *attributes*
# (style-src-attr 'unsafe-inline'), which carry computed bar widths and heat-map colours and
# cannot hold a nonce; they cannot run script. The results page frames the report ('self').
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "style-src-elem": ["'self'"],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
    },
}
INNEXPORT_FRAMED_DOCUMENTS = ["assessment-report-html", "api:report_html"]
"""Views (URL names) whose standalone HTML may be framed by the application itself (security.py)."""

BENCHMARK_POPULATION = os.environ.get("INNEXPORT_BENCHMARK_POPULATION", "")
"""A population table (``innexport population import``) to place every firm among its peers; empty: none."""
BENCHMARK_BY = os.environ.get("INNEXPORT_BENCHMARK_BY", "country,sector,size")

SHARE_LINK_DAYS = int(os.environ.get("INNEXPORT_SHARE_LINK_DAYS", "14"))
"""Default validity of a director's private link."""

# --- e-mail (the director's invitation and reminders, the advisor's notice: innexport.web.mail) ---

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}
_EMAIL_SCHEMES = {"smtp": False, "smtps": True}


def _flag(name: str, value: str) -> bool:
    if value.strip().lower() in _TRUE:
        return True
    if value.strip().lower() in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}: '{value}' is not 1/0, true/false or yes/no")


def _number(name: str, value: str, low: int, high: int) -> int:
    try:
        number = int(value)
    except ValueError:
        number = low - 1
    if not low <= number <= high:
        raise ImproperlyConfigured(f"{name}: '{value}' is not a whole number from {low} to {high}")
    return number


def email_settings(environ: Mapping[str, str]) -> dict[str, Any]:
    """Django's e-mail settings from the environment: ``INNEXPORT_EMAIL_URL``, else
    ``INNEXPORT_EMAIL_HOST`` (with ``_PORT``, ``_USER``, ``_PASSWORD``, ``_TLS``, ``_SSL``), else the
    console backend (messages printed on the server's standard output, nothing sent). Every SMTP
    connection gives up after ``INNEXPORT_EMAIL_TIMEOUT`` seconds (default 10, at most 120).
    A value that cannot be used stops the start with ``ImproperlyConfigured`` naming the variable.

    >>> s = email_settings({"INNEXPORT_EMAIL_URL": "smtp://ana%40cci.fr:s3cret@mail.cci.fr:587?tls=1"})
    >>> s["EMAIL_HOST"], s["EMAIL_PORT"], s["EMAIL_HOST_USER"], s["EMAIL_HOST_PASSWORD"], s["EMAIL_USE_TLS"]
    ('mail.cci.fr', 587, 'ana@cci.fr', 's3cret', True)
    >>> email_settings({})["EMAIL_BACKEND"]
    'django.core.mail.backends.console.EmailBackend'
    """
    out: dict[str, Any] = {
        "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend", "EMAIL_HOST": "localhost",
        "EMAIL_PORT": 25, "EMAIL_HOST_USER": "", "EMAIL_HOST_PASSWORD": "", "EMAIL_USE_TLS": False,
        "EMAIL_USE_SSL": False,
        "EMAIL_TIMEOUT": _number("INNEXPORT_EMAIL_TIMEOUT", environ.get("INNEXPORT_EMAIL_TIMEOUT") or "10", 1, 120),
        "DEFAULT_FROM_EMAIL": environ.get("INNEXPORT_EMAIL_FROM") or "innexport@localhost",
    }
    url = environ.get("INNEXPORT_EMAIL_URL", "").strip()
    if url:
        parts = urlsplit(url)
        if parts.scheme == "console":
            return out
        if parts.scheme not in _EMAIL_SCHEMES or not parts.hostname:
            raise ImproperlyConfigured("INNEXPORT_EMAIL_URL: expected smtp://user:password@host:port?tls=1 "
                                       "(or smtps://… for SSL, console:// to print), not "
                                       f"'{parts.scheme}://{parts.hostname or ''}…'")
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        try:
            port = parts.port
        except ValueError:
            raise ImproperlyConfigured("INNEXPORT_EMAIL_URL: the port is not a number from 1 to 65535") from None
        host, user, password = parts.hostname, unquote(parts.username or ""), unquote(parts.password or "")
        ssl = _EMAIL_SCHEMES[parts.scheme] or _flag("INNEXPORT_EMAIL_URL ssl", query.get("ssl", ""))
        tls = _flag("INNEXPORT_EMAIL_URL tls", query.get("tls", ""))
    elif environ.get("INNEXPORT_EMAIL_HOST", "").strip():
        host = environ["INNEXPORT_EMAIL_HOST"].strip()
        port = _number("INNEXPORT_EMAIL_PORT", environ["INNEXPORT_EMAIL_PORT"], 1, 65535) \
            if environ.get("INNEXPORT_EMAIL_PORT") else None
        user, password = environ.get("INNEXPORT_EMAIL_USER", ""), environ.get("INNEXPORT_EMAIL_PASSWORD", "")
        tls = _flag("INNEXPORT_EMAIL_TLS", environ.get("INNEXPORT_EMAIL_TLS", ""))
        ssl = _flag("INNEXPORT_EMAIL_SSL", environ.get("INNEXPORT_EMAIL_SSL", ""))
    else:
        return out
    if tls and ssl:
        raise ImproperlyConfigured("INNEXPORT_EMAIL: choose TLS (STARTTLS, port 587) or SSL (port 465), not both")
    out.update({
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend", "EMAIL_HOST": host,
        "EMAIL_PORT": port or (465 if ssl else 587 if tls else 25), "EMAIL_HOST_USER": user,
        "EMAIL_HOST_PASSWORD": password, "EMAIL_USE_TLS": tls, "EMAIL_USE_SSL": ssl,
    })
    return out


_EMAIL = email_settings(os.environ)
EMAIL_BACKEND: str = _EMAIL["EMAIL_BACKEND"]
EMAIL_HOST: str = _EMAIL["EMAIL_HOST"]
EMAIL_PORT: int = _EMAIL["EMAIL_PORT"]
EMAIL_HOST_USER: str = _EMAIL["EMAIL_HOST_USER"]
EMAIL_HOST_PASSWORD: str = _EMAIL["EMAIL_HOST_PASSWORD"]
EMAIL_USE_TLS: bool = _EMAIL["EMAIL_USE_TLS"]
EMAIL_USE_SSL: bool = _EMAIL["EMAIL_USE_SSL"]
EMAIL_TIMEOUT: int = _EMAIL["EMAIL_TIMEOUT"]
DEFAULT_FROM_EMAIL: str = _EMAIL["DEFAULT_FROM_EMAIL"]
SERVER_EMAIL = DEFAULT_FROM_EMAIL

SITE_URL = os.environ.get("INNEXPORT_SITE_URL", "").strip().rstrip("/")
"""The application's address (``https://diagnostic.example.org``) for links in e-mails sent outside a
request (``innexport manage send_reminders``); a request's own address is used otherwise."""
if SITE_URL and urlsplit(SITE_URL).scheme not in {"http", "https"}:
    raise ImproperlyConfigured(f"INNEXPORT_SITE_URL: '{SITE_URL}' is not an http(s):// address")

def warm_delay(value: str) -> float | None:
    """``INNEXPORT_PORTFOLIO_WARM_DELAY``: seconds (0 to 3600; empty: 2), or ``off`` (never).

    >>> warm_delay(""), warm_delay("0.5"), warm_delay("off")
    (2.0, 0.5, None)
    >>> warm_delay("soon")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    django.core.exceptions.ImproperlyConfigured: INNEXPORT_PORTFOLIO_WARM_DELAY: 'soon' is not a number of seconds...
    """
    text = value.strip().lower()
    if text in {"off", "no", "never", "false"}:
        return None
    try:
        seconds = float(text) if text else 2.0
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= 3600:
        raise ImproperlyConfigured(f"INNEXPORT_PORTFOLIO_WARM_DELAY: '{value}' is not a number of seconds "
                                   "from 0 to 3600, nor 'off'")
    return seconds


PORTFOLIO_WARM_DELAY = warm_delay(os.environ.get("INNEXPORT_PORTFOLIO_WARM_DELAY", ""))
"""Seconds after an organisation's last change before its portfolio is computed ahead (None: never)."""

REMINDER_AFTER_DAYS = _number("INNEXPORT_REMINDER_AFTER_DAYS", os.environ.get("INNEXPORT_REMINDER_AFTER_DAYS") or "7",
                              1, 365)
"""A director e-mailed the private link who has not finished is reminded this many days after the invitation,"""
REMINDER_EVERY_DAYS = _number("INNEXPORT_REMINDER_EVERY_DAYS", os.environ.get("INNEXPORT_REMINDER_EVERY_DAYS") or "7",
                              1, 365)
"""then again at most once in this many days,"""
REMINDER_MAX = _number("INNEXPORT_REMINDER_MAX", os.environ.get("INNEXPORT_REMINDER_MAX") or "2", 0, 20)
"""and at most this many times per invitation (0: no reminders);"""
REMINDER_BEFORE_EXPIRY_DAYS = _number("INNEXPORT_REMINDER_BEFORE_EXPIRY_DAYS",
                                      os.environ.get("INNEXPORT_REMINDER_BEFORE_EXPIRY_DAYS") or "2", 0, 60)
"""and once more, the last, when the link expires within this many days (0: not)."""
PLAN_REMINDER_DAYS = _number("INNEXPORT_PLAN_REMINDER_DAYS", os.environ.get("INNEXPORT_PLAN_REMINDER_DAYS") or "7", 0, 90)
"""An advisor is reminded of a plan's actions not done or dropped this many days before they are due
(or when they are overdue and were never reminded), once per due date (0: never)."""

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}

# --- single sign-on (OpenID Connect; innexport.web.sso, docs/deployment.md "Single sign-on") ------- begin


def oidc_settings(environ: Mapping[str, str], production: bool = False) -> dict[str, Any]:
    """The single sign-on settings from the environment (mozilla-django-oidc, the ``sso`` extra):
    none of them (``INNEXPORT_SSO`` false) unless ``INNEXPORT_OIDC_CLIENT_ID`` is set.

    ``INNEXPORT_OIDC_ISSUER`` (its endpoints are discovered from
    ``<issuer>/.well-known/openid-configuration`` at the first login) or the endpoints themselves,
    ``INNEXPORT_OIDC_AUTHORIZATION_ENDPOINT``, ``_TOKEN_ENDPOINT``, ``_USERINFO_ENDPOINT``,
    ``_JWKS_URI`` (and the optional ``_END_SESSION_ENDPOINT``); ``INNEXPORT_OIDC_CLIENT_SECRET``;
    ``INNEXPORT_OIDC_SCOPES`` (default ``openid email profile``); the claims naming the organisation
    and the role, ``INNEXPORT_OIDC_ORG_CLAIM`` (``innexport_org``) and ``INNEXPORT_OIDC_ROLE_CLAIM``
    (``innexport_role``); ``INNEXPORT_OIDC_DEFAULT_ROLE`` (``analyst``: the role of a user whose
    organisation claim comes without a role); ``INNEXPORT_OIDC_SIGN_ALGO`` (``RS256``);
    ``INNEXPORT_OIDC_TOKEN_AUTH`` (``basic`` or ``post``: how the client authenticates at the token
    endpoint); ``INNEXPORT_OIDC_PROVIDER_NAME`` (on the login button). Addresses must be https://
    in production. A configuration that cannot work stops the start with ``ImproperlyConfigured``
    naming the variable.

    >>> oidc_settings({})["INNEXPORT_SSO"]
    False
    >>> s = oidc_settings({"INNEXPORT_OIDC_ISSUER": "https://id.cci.fr/realms/cci/", "INNEXPORT_OIDC_CLIENT_ID": "innexport",
    ...                    "INNEXPORT_OIDC_CLIENT_SECRET": "s3cret"})
    >>> s["INNEXPORT_SSO"], s["INNEXPORT_OIDC_ISSUER"], s["OIDC_RP_SCOPES"], s["INNEXPORT_OIDC_ROLE_CLAIM"]
    (True, 'https://id.cci.fr/realms/cci', 'openid email profile', 'innexport_role')
    >>> oidc_settings({"INNEXPORT_OIDC_CLIENT_ID": "innexport", "INNEXPORT_OIDC_CLIENT_SECRET": "s"})
    Traceback (most recent call last):
    ...
    django.core.exceptions.ImproperlyConfigured: INNEXPORT_OIDC_ISSUER (or ...) is needed with INNEXPORT_OIDC_CLIENT_ID
    """
    def get(name: str, default: str = "") -> str:
        return environ.get(f"INNEXPORT_OIDC_{name}", "").strip() or default

    out: dict[str, Any] = {"INNEXPORT_SSO": False}
    client_id = get("CLIENT_ID")
    if not client_id:
        return out
    if importlib.util.find_spec("mozilla_django_oidc") is None:
        raise ImproperlyConfigured("INNEXPORT_OIDC_CLIENT_ID is set but mozilla-django-oidc is not installed: "
                                   "pip install 'innexport[sso]'")
    if not get("CLIENT_SECRET"):
        raise ImproperlyConfigured("INNEXPORT_OIDC_CLIENT_SECRET is needed with INNEXPORT_OIDC_CLIENT_ID")
    names = {"authorization_endpoint": "AUTHORIZATION_ENDPOINT", "token_endpoint": "TOKEN_ENDPOINT",
             "userinfo_endpoint": "USERINFO_ENDPOINT", "jwks_uri": "JWKS_URI",
             "end_session_endpoint": "END_SESSION_ENDPOINT"}
    issuer = get("ISSUER").rstrip("/")
    endpoints = {key: get(name) for key, name in names.items() if get(name)}
    required = [name for key, name in names.items() if key != "end_session_endpoint"]
    if not issuer and any(get(name) == "" for name in required):
        raise ImproperlyConfigured("INNEXPORT_OIDC_ISSUER (or " + ", ".join(f"INNEXPORT_OIDC_{n}" for n in required)
                                   + ") is needed with INNEXPORT_OIDC_CLIENT_ID")
    for name, url in [("ISSUER", issuer)] + [(names[key], url) for key, url in endpoints.items()]:
        scheme = urlsplit(url).scheme
        if url and (scheme not in {"http", "https"} or (production and scheme != "https")):
            raise ImproperlyConfigured(f"INNEXPORT_OIDC_{name}: '{url}' is not an "
                                       f"{'https' if production else 'http(s)'}:// address")
    scopes = get("SCOPES", "openid email profile")
    if "openid" not in scopes.split():
        raise ImproperlyConfigured(f"INNEXPORT_OIDC_SCOPES: '{scopes}' lacks the scope openid")
    client_auth = get("TOKEN_AUTH", "basic").lower()
    if client_auth not in {"basic", "post"}:
        raise ImproperlyConfigured(f"INNEXPORT_OIDC_TOKEN_AUTH: '{client_auth}' is not basic or post")
    out.update({
        "INNEXPORT_SSO": True, "INNEXPORT_OIDC_ISSUER": issuer, "INNEXPORT_OIDC_ENDPOINTS": endpoints,
        "INNEXPORT_OIDC_ORG_CLAIM": get("ORG_CLAIM", "innexport_org"),
        "INNEXPORT_OIDC_ROLE_CLAIM": get("ROLE_CLAIM", "innexport_role"),
        "INNEXPORT_OIDC_DEFAULT_ROLE": get("DEFAULT_ROLE", "analyst"),
        "INNEXPORT_OIDC_PROVIDER_NAME": get("PROVIDER_NAME"),
        "OIDC_RP_CLIENT_ID": client_id, "OIDC_RP_CLIENT_SECRET": get("CLIENT_SECRET"),
        "OIDC_RP_SIGN_ALGO": get("SIGN_ALGO", "RS256"), "OIDC_RP_SCOPES": scopes,
        "OIDC_USE_PKCE": True, "OIDC_STORE_ID_TOKEN": True, "OIDC_TOKEN_USE_BASIC_AUTH": client_auth == "basic",
        "OIDC_TIMEOUT": 10,
    })
    return out


for _name, _value in oidc_settings(os.environ, PRODUCTION).items():
    globals()[_name] = _value
_template_options: Any = TEMPLATES[0]["OPTIONS"]
_template_options["context_processors"].append("innexport.web.sso.context")  # the login page's button
if globals()["INNEXPORT_SSO"]:
    AUTHENTICATION_BACKENDS.append("innexport.web.sso.Backend")
    # the logout form's answer redirects to the provider's end_session endpoint (form-action covers redirects)
    _end_session = globals()["INNEXPORT_OIDC_ENDPOINTS"].get("end_session_endpoint") or globals()["INNEXPORT_OIDC_ISSUER"]
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"].append(
        "{0.scheme}://{0.netloc}".format(urlsplit(_end_session)))
# --- single sign-on ------------------------------------------------------------------------------- end
