"""Keeping each organisation's portfolio computed after a change, before anyone asks for it.

What this module decides: **when** the portfolio page's computation
(:func:`innexport.web.views.portfolio.computed_unless_kept`, kept in the shared cache under the
organisation's last change) runs ahead of a view. The page itself never waits for it: a view that
comes first computes the portfolio as it always did; the warming then finds it kept and does
nothing.

* What starts it: a change by a member of the organisation — any request other than GET, HEAD or
  OPTIONS (a form, an API call) that a signed-in member made and that succeeded
  (:class:`WarmAfterChangeMiddleware`). Everything the portfolio reads (completed diagnostics,
  firms, plans) is changed that way; a change made outside the web (a command) is computed by the
  next view. Signing in is such a request too: the portfolio is ready when the member opens it.
* When: :data:`settings.PORTFOLIO_WARM_DELAY` seconds after the organisation's **last** change
  (``INNEXPORT_PORTFOLIO_WARM_DELAY``, default 2 s; ``off``: never), so that a burst of changes —
  a questionnaire saved at every answer, a plan's actions ticked one by one — is computed once.
* What: the portfolio with no filter (the page as it opens), unless the cache already holds it
  for the organisation's current data (a draft's answers change nothing the portfolio reads, so
  they cost one short query).
* Where: one background thread per server process, started at the first change and stopped after
  :data:`IDLE_SECONDS` without any; it closes its database connections after each organisation.

The cache is shared by the server's worker processes (files under the data directory, see the
settings), so whichever worker computed it, every worker's next view reads it. At 10,000 firms
(30,000 diagnostics) a kept portfolio page answers in about 50 ms, where computing it takes about
250 ms (``bench/bench_portfolio.py``, which also times the page right after a change).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import connections
from django.http import HttpRequest, HttpResponse

log = logging.getLogger(__name__)

IDLE_SECONDS = 60.0
"""How long the warming thread waits for another change before it stops (a new change starts it again)."""

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
"""The requests that change nothing, hence start no warming."""

_changed = threading.Condition()
_due: dict[int, float] = {}  # organisation id → when to warm it (time.monotonic())
_busy: set[int] = set()  # organisations being warmed now
_thread: threading.Thread | None = None


def delay() -> float | None:
    """Seconds between an organisation's last change and the warming of its portfolio; None: never."""
    return getattr(settings, "PORTFOLIO_WARM_DELAY", None)


def schedule(organisation_id: int) -> bool:
    """Warm the organisation's portfolio :func:`delay` seconds from now (postponed by each change
    until then); False when warming is off.

    >>> from django.test import override_settings
    >>> with override_settings(PORTFOLIO_WARM_DELAY=None):
    ...     schedule(1)
    False
    """
    wait = delay()
    if wait is None:
        return False
    global _thread
    with _changed:
        _due[organisation_id] = time.monotonic() + wait
        if _thread is None or not _thread.is_alive():
            _thread = threading.Thread(target=_run, name="innexport-portfolio-warming", daemon=True)
            _thread.start()
        _changed.notify_all()
    return True


def _next() -> int | None:
    """The next organisation due (waiting until it is), or None after :data:`IDLE_SECONDS` idle."""
    global _thread
    idle_until = time.monotonic() + IDLE_SECONDS
    with _changed:
        while True:
            now = time.monotonic()
            if _due:
                organisation_id, when = min(_due.items(), key=lambda item: item[1])
                if when <= now:
                    del _due[organisation_id]
                    _busy.add(organisation_id)
                    return organisation_id
                _changed.wait(when - now)
                idle_until = time.monotonic() + IDLE_SECONDS
            elif now >= idle_until:
                _thread = None
                return None
            else:
                _changed.wait(idle_until - now)


def _run() -> None:
    while (organisation_id := _next()) is not None:
        try:
            warm(organisation_id)
        except Exception:  # a failed warming costs the next view its cache, never the server
            log.exception("warming the portfolio of organisation %s failed", organisation_id)
        finally:
            connections.close_all()  # this thread's own; the next round opens fresh ones
            with _changed:
                _busy.discard(organisation_id)
                _changed.notify_all()


def warm(organisation_id: int) -> bool:
    """Compute and keep the organisation's portfolio with no filter, unless the cache holds it for the
    organisation's current data (or the organisation is gone); True when it was computed."""
    from innexport.web.models import Organisation
    from innexport.web.views.portfolio import computed_unless_kept

    organisation = Organisation.objects.filter(pk=organisation_id).first()
    started = time.perf_counter()
    if organisation is None or not computed_unless_kept(organisation, {}):
        return False
    log.info("portfolio of organisation %s computed ahead of its next view in %.0f ms", organisation_id,
             (time.perf_counter() - started) * 1000)
    return True


def settle(timeout: float = 30.0) -> bool:
    """Wait until nothing is due nor being warmed (at most ``timeout`` seconds); True when settled.
    For tests and benchmarks, which look at the cache once the warming is done."""
    deadline = time.monotonic() + timeout
    with _changed:
        while _due or _busy:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            _changed.wait(min(left, 0.05))
    return True


def _after_fork() -> None:
    """A forked worker starts with no thread and no plan (the parent's lock may have been held)."""
    global _changed, _thread
    _changed = threading.Condition()
    _due.clear()
    _busy.clear()
    _thread = None


os.register_at_fork(after_in_child=_after_fork)


class WarmAfterChangeMiddleware:
    """Schedules the warming of the member's organisation after a change that succeeded (a request
    other than GET, HEAD, OPTIONS or TRACE answered below 400, by a signed-in member — the API's
    token user included)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.method not in SAFE_METHODS and response.status_code < 400 and delay() is not None:
            organisation_id = _organisation_of(getattr(request, "user", None))
            if organisation_id is not None:
                schedule(organisation_id)
        return response


def _organisation_of(user: Any) -> int | None:
    from innexport.web.models import Membership

    if user is None or not getattr(user, "is_authenticated", False):
        return None
    try:
        return int(user.membership.organisation_id)
    except (Membership.DoesNotExist, AttributeError):
        return None
