"""Hardening of the web application: the secret key, private files, browser policies, erasure.

What this module decides, each in one place:

* **Secret key** (:func:`secret_key`): in production the operator's ``INNEXPORT_SECRET_KEY``, refused
  when missing or shorter than Django's own minimum (50 characters, 5 distinct; the rule of
  ``manage.py check --deploy``, security.W009); outside production a random key generated once
  and kept in ``$INNEXPORT_DATA_DIR/secret_key`` (mode 0600), never a fixed public string.
* **Private files** (:func:`private_dir`, :func:`private_file`): the data folder is created 0700, the
  SQLite database 0600 (SQLite gives its ``-wal`` and ``-shm`` files the database's mode).
* **Permissions-Policy** (:class:`SecurityHeadersMiddleware`): every browser feature the application
  does not use (camera, microphone, geolocation…) is switched off (W3C Permissions Policy,
  https://www.w3.org/TR/permissions-policy/).
* **Framed documents**: the Content-Security-Policy (django-csp, settings ``CONTENT_SECURITY_POLICY``)
  forbids framing (``frame-ancestors 'none'``, ``X-Frame-Options: DENY``) except for the
  standalone HTML documents listed in ``INNEXPORT_FRAMED_DOCUMENTS`` (the diagnostic report the
  results page shows in an ``<iframe>``): they may be framed by the application itself and get a
  policy of their own — no script at all, their inline styles allowed (OWASP Clickjacking Defense
  Cheat Sheet; CSP Level 3, https://www.w3.org/TR/CSP3/).
* **Erasure** (:func:`purge_erased_pages`): with ``PRAGMA secure_delete=ON`` (settings) SQLite
  overwrites deleted content with zeros; a ``wal_checkpoint(TRUNCATE)`` after an erasure copies the
  overwritten pages into the database and empties the write-ahead log, so the erased text is in
  neither file (https://www.sqlite.org/pragma.html#pragma_secure_delete).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured

KEY_VARIABLE = "INNEXPORT_SECRET_KEY"
KEY_FILE_NAME = "secret_key"
SECRET_KEY_MIN_LENGTH = 50  # django.core.checks.security.base.SECRET_KEY_MIN_LENGTH
SECRET_KEY_MIN_UNIQUE_CHARACTERS = 5  # django.core.checks.security.base.SECRET_KEY_MIN_UNIQUE_CHARACTERS

PERMISSIONS_POLICY = ", ".join(f"{feature}=()" for feature in (
    "accelerometer", "autoplay", "camera", "display-capture", "encrypted-media", "fullscreen",
    "geolocation", "gyroscope", "magnetometer", "microphone", "midi", "payment", "picture-in-picture",
    "publickey-credentials-get", "screen-wake-lock", "usb", "xr-spatial-tracking",
))
"""Every feature off (``feature=()``: allowed for no origin, not even the application's own)."""

FRAMED_DOCUMENT_POLICY: dict[str, list[str]] = {
    "default-src": ["'none'"],
    "script-src": ["'none'"],
    "style-src": ["'unsafe-inline'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'", "data:"],
    "frame-ancestors": ["'self'"],
    "base-uri": ["'none'"],
    "form-action": ["'none'"],
}
"""The policy of a standalone document (the report): styles of its own, no script, framed by us only."""


def private_dir(path: Path) -> Path:
    """Create the folder ``path`` (and its parents) readable by its owner only (0700).

    An existing folder keeps the mode its administrator gave it.

    >>> import tempfile
    >>> d = private_dir(Path(tempfile.mkdtemp()) / "data")
    >>> oct(d.stat().st_mode & 0o777)
    '0o700'
    """
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def private_file(path: Path) -> Path:
    """Make ``path`` a file readable and writable by its owner only (0600), creating it empty.

    >>> import tempfile
    >>> f = private_file(Path(tempfile.mkdtemp()) / "db.sqlite3")
    >>> oct(f.stat().st_mode & 0o777), f.stat().st_size
    ('0o600', 0)
    """
    fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
    try:
        if stat.S_IMODE(os.fstat(fd).st_mode) != 0o600:
            os.fchmod(fd, 0o600)
    finally:
        os.close(fd)
    return path


def _strong_enough(key: str) -> bool:
    return len(key) >= SECRET_KEY_MIN_LENGTH and len(set(key)) >= SECRET_KEY_MIN_UNIQUE_CHARACTERS


def persisted_secret_key(data_dir: Path) -> str:
    """The random key kept in ``data_dir/secret_key``, generated on the first call.

    The file is written to a temporary name (mode 0600) and linked into place, so two processes
    starting together agree on one key and none reads a half-written file. A file that does not
    hold a strong enough key is a refusal, not silently replaced (sessions would be lost).

    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> key = persisted_secret_key(d)
    >>> len(key) >= 50, key == persisted_secret_key(d), oct((d / "secret_key").stat().st_mode & 0o777)
    (True, True, '0o600')
    """
    path = data_dir / KEY_FILE_NAME
    if not path.exists():
        tmp = data_dir / f".{KEY_FILE_NAME}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="ascii") as out:
                out.write(secrets.token_urlsafe(64) + "\n")
                out.flush()
                os.fsync(out.fileno())
            with contextlib.suppress(FileExistsError):  # another process was first: keep its key
                os.link(tmp, path)  # atomic: the name appears with the whole key or not at all
        finally:
            tmp.unlink(missing_ok=True)
    key = path.read_text(encoding="ascii", errors="replace").strip()
    if not _strong_enough(key):
        raise ImproperlyConfigured(
            f"{path}: the secret key kept there is shorter than {SECRET_KEY_MIN_LENGTH} characters "
            f"or too repetitive; delete the file to have a new one generated (signed-in users will "
            f"have to sign in again)"
        )
    return key


def secret_key(environ: Any, data_dir: Path, production: bool) -> str:
    """The ``SECRET_KEY`` of the application (see the module docstring for the rule).

    >>> secret_key({"INNEXPORT_SECRET_KEY": "x" * 10 + "abcde" + "y" * 40}, Path("."), True)[:5]
    'xxxxx'
    >>> secret_key({}, Path("."), True)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    django.core.exceptions.ImproperlyConfigured: INNEXPORT_SECRET_KEY must be set in production mode ...
    >>> secret_key({"INNEXPORT_SECRET_KEY": "abc"}, Path("."), True)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    django.core.exceptions.ImproperlyConfigured: INNEXPORT_SECRET_KEY is too weak: 3 characters, ...
    """
    key = str(environ.get(KEY_VARIABLE, "")).strip()
    how = 'e.g. from python -c "import secrets; print(secrets.token_urlsafe(64))"'
    if production:
        if not key:
            raise ImproperlyConfigured(
                f"{KEY_VARIABLE} must be set in production mode (INNEXPORT_PRODUCTION=1): "
                f"a random string of at least {SECRET_KEY_MIN_LENGTH} characters, {how}"
            )
        if not _strong_enough(key):
            raise ImproperlyConfigured(
                f"{KEY_VARIABLE} is too weak: {len(key)} characters, {len(set(key))} distinct; "
                f"production mode needs at least {SECRET_KEY_MIN_LENGTH} characters, "
                f"{SECRET_KEY_MIN_UNIQUE_CHARACTERS} distinct"
            )
        return key
    return key or persisted_secret_key(data_dir)


class SecurityHeadersMiddleware:
    """Permissions-Policy on every response, and the framing rule of the standalone documents.

    Place it right after ``csp.middleware.CSPMiddleware`` in ``MIDDLEWARE``: it marks a framed
    document's policy before CSPMiddleware writes the header, and it replaces the ``DENY`` that
    Django's ``XFrameOptionsMiddleware`` (further in) wrote; every response it wraps, static files
    and refusals of the middleware further in included, gets the Permissions-Policy.
    """

    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        from django.conf import settings

        self.get_response = get_response
        self.framed = frozenset(getattr(settings, "INNEXPORT_FRAMED_DOCUMENTS", ()))

    def __call__(self, request: Any) -> Any:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        match = getattr(request, "resolver_match", None)
        if match is not None and match.view_name in self.framed and response.status_code == 200:
            response.headers["X-Frame-Options"] = "SAMEORIGIN"  # XFrameOptionsMiddleware keeps a set header
            response._csp_config = FRAMED_DOCUMENT_POLICY  # django-csp's per-response policy, read by CSPMiddleware
        return response


def purge_erased_pages(using: str = "default") -> None:
    """After an erasure, empty SQLite's write-ahead log into the (zeroed) database pages.

    Call it once the erasing transaction is committed (``transaction.on_commit``). A database that
    is not SQLite has nothing to do here (PostgreSQL: ``VACUUM`` is the operator's; see
    docs/deployment.md).
    """
    from django.db import connections

    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
