"""The director's private link: the questionnaire without an account, while the link is valid.

An advisor opens the link (``assessment-share``) for a number of days; whoever holds it can
answer the questionnaire of that one assessment (answers flagged ``via_share_link``), but cannot
complete or score it, nor reach anything else. Once the assessment is completed the link shows
it read-only and every change is refused (409) by the service layer
(:class:`innexport.web.services.AssessmentCompleted`), as on the advisor's pages. An unknown,
revoked or expired link shows a page saying it is no longer valid (404). The interface speaks the assessment's language.
When the director presses "I have finished", the advisor who opened the link is told by e-mail
(:func:`innexport.web.services.director_finished`).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_http_methods, require_POST

from innexport.web import services
from innexport.web.middleware import json_errors
from innexport.web.models import Assessment
from innexport.web.services import AssessmentCompleted
from innexport.web.views.assessments import (
    Questionnaire,
    answer_from_json,
    completed_message,
    json_error,
    nav_target,
    page_context,
)


def _find(token: str) -> tuple[Assessment | None, str | None]:
    """The assessment whose link is ``token`` if the link is valid, and the language to speak."""
    assessment = (Assessment.objects.select_related("firm", "framework", "organisation")
                  .filter(share_token=token).first() if token else None)
    if assessment is not None and assessment.share_link_valid:
        return assessment, assessment.lang
    return None, assessment.lang if assessment is not None else None


def share_link(*, json: bool = False) -> Callable[..., Any]:
    """Resolve the token to its assessment (or a 404 "no longer valid"), in the assessment's language."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, token: str, *args: Any, **kwargs: Any) -> HttpResponse:
            assessment, lang = _find(token)
            lang = lang or translation.get_language() or "en"
            with translation.override(lang):
                if assessment is None:
                    if json:
                        response: HttpResponse = json_error(_("This link is no longer valid."), 404)
                    else:
                        response = render(request, "web/share_invalid.html", status=404)
                else:
                    response = view(request, assessment, *args, **kwargs)
            response["Content-Language"] = lang
            # the token must not leak to other sites; same-origin still sends the Origin that CSRF checks
            response["Referrer-Policy"] = "same-origin"
            response["X-Robots-Tag"] = "noindex, nofollow"
            add_never_cache_headers(response)
            return response

        return wrapped

    return decorator


def _page_url(assessment: Assessment) -> Callable[[int], str]:
    return lambda n: reverse("share-page", args=[assessment.share_token, n])


def _render_page(request: HttpRequest, q: Questionnaire, page: int, *, status: int = 200,
                 posted: Any = None, errors: dict[str, str] | None = None) -> HttpResponse:
    assessment = q.assessment
    token = assessment.share_token
    context = page_context(q, page, editable=not assessment.completed,
                           page_url=_page_url(assessment), answer_url=reverse("share-answer", args=[token]),
                           form_action=reverse("share-page", args=[token, page]), posted=posted, errors=errors)
    context.update({"is_share": True, "done_url": reverse("share-done", args=[token])})
    return render(request, "web/share_page.html", context, status=status)


@require_http_methods(["GET", "HEAD"])
@share_link()
def share_start(request: HttpRequest, assessment: Assessment) -> HttpResponse:
    """Open the questionnaire where the director left it."""
    page = Questionnaire(assessment).first_unanswered_page()
    return redirect("share-page", token=assessment.share_token, page=page)


@require_http_methods(["GET", "HEAD", "POST"])
@share_link()
@ensure_csrf_cookie
def share_page(request: HttpRequest, assessment: Assessment, page: int) -> HttpResponse:
    q = Questionnaire(assessment)
    q.dimension(page)
    if request.method != "POST":
        return _render_page(request, q, page)
    try:
        errors = q.save_posted(page, request.POST, via_share_link=True)
    except AssessmentCompleted:
        return _render_page(request, q, page, status=409)
    if errors:
        return _render_page(request, q, page, status=400, posted=request.POST, errors=errors)
    nav = request.POST.get("nav", "next")
    if nav == "done":  # audited; the advisor is told by e-mail (a mail failure never stops this)
        services.director_finished(assessment, request, answered=q.answered, total=q.total)
        return redirect("share-done", token=assessment.share_token)
    return redirect("share-page", token=assessment.share_token, page=nav_target(nav, page, q.n_pages))


@json_errors
@require_POST
@share_link(json=True)
def share_answer(request: HttpRequest, assessment: Assessment) -> HttpResponse:
    """Autosave (JSON) through the private link."""
    return answer_from_json(request, assessment, via_share_link=True)


@require_http_methods(["GET", "HEAD"])
@share_link()
def share_done(request: HttpRequest, assessment: Assessment) -> HttpResponse:
    """Thanks, what is left unanswered, and how to come back."""
    q = Questionnaire(assessment)
    pages = q.pages(_page_url(assessment))
    return render(request, "web/share_done.html", {
        "assessment": assessment, "firm": assessment.firm, "answered": q.answered, "total": q.total,
        "unfinished": [p for p in pages if not p.done], "resume_url": reverse("share-start",
                                                                              args=[assessment.share_token]),
        "completed": assessment.completed, "completed_message": completed_message(),
    })


urlpatterns = [
    path("s/<str:token>/", share_start, name="share-start"),
    path("s/<str:token>/page/<int:page>/", share_page, name="share-page"),
    path("s/<str:token>/answer/", share_answer, name="share-answer"),
    path("s/<str:token>/done/", share_done, name="share-done"),
]
