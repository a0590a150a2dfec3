"""The private links: the questionnaire without an account, while the link is valid.

Two kinds of link open the same pages (``/s/<token>/…``): the director's (the assessment's
``share_token``, answering as its first respondent) and each further respondent's own
(:class:`innexport.web.models.Respondent`'s ``token``, answering as that respondent; see
:mod:`innexport.web.respondents`). Both follow one rule of validity
(:func:`innexport.web.models.link_open`). An advisor opens a link for a number of days; whoever holds
it can answer the questionnaire of that one assessment, as that one respondent (answers flagged
``via_share_link``), but cannot complete or score it, nor reach anything else, nor see another
respondent's answers. Once the assessment is completed the link shows it read-only and every change is
refused (409) by the service layer (:class:`innexport.web.services.AssessmentCompleted`), as on the
advisor's pages. An unknown, revoked or expired link shows a page saying it is no longer valid (404).
The interface speaks the assessment's language. When the director presses "I have finished", the
advisor who opened the link is told by e-mail (:func:`innexport.web.services.director_finished`); a
further respondent's "finished" too, naming them and their role, and is shown on the respondents' page
(:func:`innexport.web.respondents.respondent_finished`; one rule: :func:`innexport.web.services.link_finished`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
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

from innexport.web import respondents, services
from innexport.web.middleware import json_errors
from innexport.web.models import Assessment, Respondent
from innexport.web.services import AssessmentCompleted
from innexport.web.views.assessments import (
    Questionnaire,
    answer_from_json,
    completed_message,
    json_error,
    nav_target,
    page_context,
)


@dataclass(frozen=True)
class Link:
    """A valid private link: the assessment, whose answers it gives (``respondent`` None: the
    director's link, the first respondent), its token and when it expires."""

    assessment: Assessment
    respondent: Respondent | None
    token: str
    expires_at: datetime | None


def _find(token: str) -> tuple[Link | None, str | None]:
    """The link ``token`` opens if it is valid (the director's, else a respondent's), and the language to speak."""
    assessment = (Assessment.objects.select_related("firm", "framework", "organisation")
                  .filter(share_token=token).first() if token else None)
    if assessment is not None:
        valid = assessment.share_link_valid
        return (Link(assessment, None, token, assessment.share_expires_at) if valid else None), assessment.lang
    person = respondents.by_token(token)
    if person is None:
        return None, None
    link = Link(person.assessment, person, token, person.expires_at) if person.link_valid else None
    return link, person.assessment.lang


def share_link(*, json: bool = False) -> Callable[..., Any]:
    """Resolve the token to its link (or a 404 "no longer valid"), in the assessment's language."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, token: str, *args: Any, **kwargs: Any) -> HttpResponse:
            link, lang = _find(token)
            lang = lang or translation.get_language() or "en"
            with translation.override(lang):
                if link is None:
                    if json:
                        response: HttpResponse = json_error(_("This link is no longer valid."), 404)
                    else:
                        response = render(request, "web/share_invalid.html", status=404)
                else:
                    response = view(request, link, *args, **kwargs)
            response["Content-Language"] = lang
            # the token must not leak to other sites; same-origin still sends the Origin that CSRF checks
            response["Referrer-Policy"] = "same-origin"
            response["X-Robots-Tag"] = "noindex, nofollow"
            add_never_cache_headers(response)
            return response

        return wrapped

    return decorator


def _page_url(link: Link) -> Callable[[int], str]:
    return lambda n: reverse("share-page", args=[link.token, n])


def _render_page(request: HttpRequest, link: Link, q: Questionnaire, page: int, *, status: int = 200,
                 posted: Any = None, errors: dict[str, str] | None = None) -> HttpResponse:
    assessment = q.assessment
    token = link.token
    context = page_context(q, page, editable=not assessment.completed,
                           page_url=_page_url(link), answer_url=reverse("share-answer", args=[token]),
                           form_action=reverse("share-page", args=[token, page]), posted=posted, errors=errors)
    context.update({"is_share": True, "done_url": reverse("share-done", args=[token]),
                    "link_expires": link.expires_at})
    return render(request, "web/share_page.html", context, status=status)


@require_http_methods(["GET", "HEAD"])
@share_link()
def share_start(request: HttpRequest, link: Link) -> HttpResponse:
    """Open the questionnaire where its respondent left it."""
    page = Questionnaire(link.assessment, link.respondent).first_unanswered_page()
    return redirect("share-page", token=link.token, page=page)


@require_http_methods(["GET", "HEAD", "POST"])
@share_link()
@ensure_csrf_cookie
def share_page(request: HttpRequest, link: Link, page: int) -> HttpResponse:
    q = Questionnaire(link.assessment, link.respondent)
    q.dimension(page)
    if request.method != "POST":
        return _render_page(request, link, q, page)
    try:
        errors = q.save_posted(page, request.POST, via_share_link=True)
    except AssessmentCompleted:
        return _render_page(request, link, q, page, status=409)
    if errors:
        return _render_page(request, link, q, page, status=400, posted=request.POST, errors=errors)
    nav = request.POST.get("nav", "next")
    if nav == "done":  # audited; for the director the advisor is told by e-mail (a mail failure never stops this)
        if link.respondent is None:
            services.director_finished(link.assessment, request, answered=q.answered, total=q.total)
        else:
            respondents.respondent_finished(link.respondent, request, answered=q.answered, total=q.total)
        return redirect("share-done", token=link.token)
    return redirect("share-page", token=link.token, page=nav_target(nav, page, q.n_pages))


@json_errors
@require_POST
@share_link(json=True)
def share_answer(request: HttpRequest, link: Link) -> HttpResponse:
    """Autosave (JSON) through the private link, as its respondent."""
    return answer_from_json(request, link.assessment, via_share_link=True, respondent=link.respondent)


@require_http_methods(["GET", "HEAD"])
@share_link()
def share_done(request: HttpRequest, link: Link) -> HttpResponse:
    """Thanks, what is left unanswered, and how to come back."""
    assessment = link.assessment
    q = Questionnaire(assessment, link.respondent)
    pages = q.pages(_page_url(link))
    return render(request, "web/share_done.html", {
        "assessment": assessment, "firm": assessment.firm, "answered": q.answered, "total": q.total,
        "unfinished": [p for p in pages if not p.done], "resume_url": reverse("share-start", args=[link.token]),
        "completed": assessment.completed, "completed_message": completed_message(), "link_expires": link.expires_at,
    })


urlpatterns = [
    path("s/<str:token>/", share_start, name="share-start"),
    path("s/<str:token>/page/<int:page>/", share_page, name="share-page"),
    path("s/<str:token>/answer/", share_answer, name="share-answer"),
    path("s/<str:token>/done/", share_done, name="share-done"),
]
