"""The edge of the web application: what a request may carry, and how refusals and outages answer.

What this module decides, each in one place:

* **Language** (:class:`UserLanguageMiddleware`): each user sees the interface in the language of
  their profile (switchable in the page header).
* **Characters a database refuses** (:func:`check_text`): the NUL character (U+0000), which
  PostgreSQL cannot store in a text value ("the character with the code zero … cannot be stored",
  https://www.postgresql.org/docs/current/datatype-character.html), and the lone surrogates
  U+D800–U+DFFF, which are not characters and cannot be encoded in UTF-8 at all (Unicode 15, §3.9
  D76; Python's ``surrogates not allowed``). Refused with a 400 naming the field.
* **JSON bodies** (:func:`parse_json_body`): the one parser of the JSON the web application
  receives (the questionnaire's autosave, the director's link, and the API through
  :class:`BoundedParser`). The text is parsed by :func:`innexport.files.limits.parse_json` (the
  project's bounded JSON parser: nesting depth ``MAX_NESTING_DEPTH`` checked before parsing, only
  standard JSON, RFC 8259); the body's size is bounded by Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE``
  before it is read. Then, at most ``DATA_UPLOAD_MAX_NUMBER_FIELDS`` members (object keys and
  array items: Django's limit of a form body's fields), only finite numbers, and every string
  (keys too) checked by :func:`check_text`. A refusal is a :class:`BadInput` naming the place
  (``body.comments.q1``; ``line 1, column 65`` for the text itself).
* **The request's edge** (:class:`EdgeMiddleware`): the path, the headers, the cookies, the query
  string and the form fields are checked by :func:`check_text` before any view or database sees
  them; a body over Django's limits (size, number of fields or files) or a malformed multipart body
  is refused (413 or 400) instead of surfacing as an error page; a database that cannot be reached
  (``OperationalError``/``InterfaceError``) answers 503 with ``Retry-After`` (RFC 9110 §15.6.4 and
  §10.2.3), never a 500.
* **JSON or page** (:func:`wants_json`): the API (``/api/…``, django-ninja's ``api`` namespace) and
  the views marked :func:`json_errors` (the autosave endpoints) answer every refusal in JSON — the
  API as ``{"detail": …}``, the autosave as ``{"ok": false, "error": …}`` (what
  ``static/web/questionnaire.js`` reads); pages answer in plain text. No answer carries a traceback.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.urls import Resolver404, resolve
from django.utils import translation
from ninja.parser import Parser
from ninja.types import DictStrAny

from innexport.files.limits import JsonError, parse_json
from innexport.web.models import Membership

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30
"""What a 503 answer asks the client to wait before trying again (``Retry-After``)."""

DATABASE_OUTAGES: tuple[type[Exception], ...] = (OperationalError, InterfaceError)
"""The database errors that mean "the database cannot be reached now", not a defect: answered 503."""

_REFUSED = re.compile("[\x00\ud800-\udfff]")
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


# --- the rule: characters a database refuses ---------------------------------------------------------


class BadInput(ValueError):
    """Input refused at the edge; ``str()`` names the place and the problem, ``status`` is the HTTP status."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


class MalformedJson(BadInput):
    """A body that is not JSON, or not within the parser's limits; ``reason`` says where and why."""

    def __init__(self, reason: str):
        super().__init__(f"the body is not valid JSON: {reason}")
        self.reason = reason


def _shown(text: str, limit: int = 60) -> str:
    """A name as it can be shown in a message: control characters escaped, cut to ``limit`` characters.

    >>> _shown("q\\x00id")
    'q\\\\x00id'
    """
    escaped = text.encode("unicode_escape", "backslashreplace").decode("ascii")
    return escaped if len(escaped) <= limit else escaped[: limit - 1] + "…"


def check_text(value: str, where: str) -> None:
    """Refuse a text no database can store: a NUL character (U+0000) or a lone surrogate.

    ``where`` names the field in the refusal (the message escapes it, so it may be user input too).

    >>> check_text("Exports to Brazil", "comment")
    >>> check_text("a\\x00b", "query parameter q")
    Traceback (most recent call last):
    ...
    innexport.web.middleware.BadInput: query parameter q: contains a NUL character (U+0000), which cannot be stored
    """
    found = _REFUSED.search(value)
    if found is None:
        return
    char = found.group()
    what = ("a NUL character (U+0000)" if char == "\x00"
            else f"an unpaired surrogate (U+{ord(char):04X}, not a character)")
    raise BadInput(f"{_shown(where)}: contains {what}, which cannot be stored")


# --- JSON bodies -----------------------------------------------------------------------------------------


def _max_members() -> int | None:
    return settings.DATA_UPLOAD_MAX_NUMBER_FIELDS


def _path(parent: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{parent}[{key}]"
    return f"{parent}.{key}" if parent else key


def _walk(data: Any, origin: str) -> None:
    """Check a parsed JSON value: its number of members, its numbers, every string (keys too).

    Iterative, and the depth is already bounded by the parser."""
    limit = _max_members()
    members = 0
    stack: list[tuple[Any, str]] = [(data, origin)]
    while stack:
        value, where = stack.pop()
        if isinstance(value, str):
            check_text(value, where or "body")
            continue
        if isinstance(value, float) and not math.isfinite(value):  # 1e999 reads as infinity
            raise BadInput(f"{_shown(where or 'body')}: a number too large to be represented (RFC 8259 §6)")
        if not isinstance(value, dict | list):
            continue
        members += len(value)
        if limit is not None and members > limit:
            raise BadInput(f"{origin or 'body'}: more than {limit} members (object keys and array items)")
        if isinstance(value, dict):
            for key, item in value.items():
                check_text(key, f"{_path(where, key)} (a key)")
                stack.append((item, _path(where, key)))
        else:
            stack.extend((item, _path(where, i)) for i, item in enumerate(value))


def parse_json_body(body: bytes | str, origin: str = "") -> Any:
    """Parse a JSON request body within the bounds of the edge, or refuse it with :class:`BadInput`.

    ``origin`` prefixes the places named (``"body"`` on the API: ``body.comments.q1``).

    >>> parse_json_body(b'{"question_id": "q1", "value": "often"}')
    {'question_id': 'q1', 'value': 'often'}
    >>> parse_json_body(b'{"comments": {"q1": "a\\\\u0000b"}}', "body")
    Traceback (most recent call last):
    ...
    innexport.web.middleware.BadInput: body.comments.q1: contains a NUL character (U+0000), which cannot be stored
    >>> try:
    ...     parse_json_body(b"[" * 100_000)
    ... except MalformedJson as exc:
    ...     print(exc.reason)
    line 1, column 65: lists or objects nested deeper than 64 levels
    """
    try:
        data = parse_json(body, origin or "body")
    except JsonError as exc:
        raise MalformedJson(f"{exc.where}: {exc.problem}" if exc.where else exc.problem) from None
    _walk(data, origin)
    return data


class BoundedParser(Parser):
    """django-ninja's parser of API bodies, through :func:`parse_json_body`: a refusal reaches the API's
    error handler as the cause of ninja's ``HttpError(400, "Cannot parse request body")``."""

    def parse_body(self, request: HttpRequest) -> DictStrAny:
        data: DictStrAny = parse_json_body(request.body, "body")  # ninja checks the shape against the schema
        return data


# --- JSON or page ---------------------------------------------------------------------------------------

_V = TypeVar("_V", bound=Callable[..., Any])


def json_errors(view: _V) -> _V:
    """Mark a view whose refusals (at the edge and by the view) are JSON ``{"ok": false, "error": …}``."""
    view.json_errors = True  # type: ignore[attr-defined]
    return view


def wants_json(request: HttpRequest) -> str | None:
    """``"api"`` for the API, ``"autosave"`` for a view marked :func:`json_errors`, ``None`` for a page."""
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return None
    if "api" in match.namespaces:
        return "api"
    return "autosave" if getattr(match.func, "json_errors", False) else None


def api_error(message: str, status: int = 400) -> JsonResponse:
    """An API error: ``{"detail": message}``."""
    return JsonResponse({"detail": message}, status=status, json_dumps_params={"ensure_ascii": False})


def autosave_error(message: str, status: int = 400) -> JsonResponse:
    """An autosave error: ``{"ok": false, "error": message}`` (what ``questionnaire.js`` reads)."""
    return JsonResponse({"ok": False, "error": message}, status=status, json_dumps_params={"ensure_ascii": False})


def refusal(request: HttpRequest, message: str, status: int = 400) -> HttpResponse:
    """The answer to a refused request: JSON on the API and the autosave, plain text on a page."""
    kind = wants_json(request)
    if kind == "api":
        return api_error(message, status)
    if kind == "autosave":
        return autosave_error(message, status)
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


def outage_response(request: HttpRequest) -> HttpResponse:
    """503 with ``Retry-After``: the database cannot be reached (the client may send the same again)."""
    response = refusal(request, f"the service is temporarily unavailable (its database cannot be reached); "
                                f"try again in {RETRY_AFTER_SECONDS} seconds", 503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _limit_message(exc: Exception) -> tuple[str, int]:
    if isinstance(exc, RequestDataTooBig):
        return (f"the request body is larger than the limit of {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes",
                413)
    if isinstance(exc, TooManyFieldsSent):
        return f"the request has more than {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS} fields", 400
    if isinstance(exc, TooManyFilesSent):
        return f"the request has more than {settings.DATA_UPLOAD_MAX_NUMBER_FILES} files", 400
    return f"the request body is a malformed form: {exc}", 400


BODY_LIMITS: tuple[type[Exception], ...] = (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent,
                                            MultiPartParserError)
"""What Django raises when a body breaks its limits or cannot be parsed (answered by :func:`body_refusal`)."""


def body_refusal(request: HttpRequest, exc: Exception) -> HttpResponse:
    """413 for a body over the size limit, 400 for too many fields or files or a malformed form."""
    message, status = _limit_message(exc)
    return refusal(request, message, status)


# --- the middleware ---------------------------------------------------------------------------------------


def _texts(request: HttpRequest) -> Iterator[tuple[str, str]]:
    """Every text of the request a view may store, with the name of its place (bounded by Django's limits)."""
    yield request.path_info, "the address"
    for name, value in request.META.items():
        if name.startswith("HTTP_") and isinstance(value, str):
            header = name[5:].replace("_", "-").title()
            yield value, f"header {header}"
    for name, value in request.COOKIES.items():
        yield name, "a cookie name"
        yield value, f"cookie {name}"
    for name, values in request.GET.lists():
        yield name, "a query parameter name"
        for value in values:
            yield value, f"query parameter {name}"
    if request.method == "POST" and request.content_type in _FORM_TYPES:
        for name, values in request.POST.lists():
            yield name, "a form field name"
            for value in values:
                yield value, f"form field {name}"
        for name, files in request.FILES.lists():
            yield name, "a form field name"
            for upload in files:
                yield upload.name or "", f"the name of the file in form field {name}"


class EdgeMiddleware:
    """Check every request's texts and body limits before the views, and answer database outages 503.

    Placed right after Django's ``SecurityMiddleware`` (and WhiteNoise), before the session is read.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            for value, where in _texts(request):
                check_text(value, where)
        except BadInput as exc:
            return refusal(request, exc.message, exc.status)
        except BODY_LIMITS as exc:
            return body_refusal(request, exc)
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, DATABASE_OUTAGES):
            logger.error("database unreachable on %s %s: %s", request.method, request.path, exception)
            return outage_response(request)
        if isinstance(exception, BODY_LIMITS):
            return body_refusal(request, exception)
        if isinstance(exception, BadInput):
            return refusal(request, exception.message, exception.status)
        return None


class UserLanguageMiddleware:
    """Activate the language of the signed-in user's profile.

    When the database cannot be reached the language stays the default one: the view that needs
    the database then fails, and :class:`EdgeMiddleware` answers 503.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        try:
            if user is not None and user.is_authenticated:
                try:
                    lang = user.membership.language
                except Membership.DoesNotExist:
                    lang = None
                if lang:
                    translation.activate(lang)
                    request.LANGUAGE_CODE = lang
        except DATABASE_OUTAGES:
            pass  # the view answers 503 (EdgeMiddleware.process_exception)
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", translation.get_language())
        return response
