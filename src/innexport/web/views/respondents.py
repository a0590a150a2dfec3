"""The advisor's page of an assessment's respondents: add, remove, their private links, their progress.

``assessment-respondents`` lists every respondent (the first one, whose link is the director's, then
those added) with how far each has answered, and lets an advisor add one (name, role, optional
e-mail), remove one (with their answers), open, extend, revoke or e-mail each one's private link,
and open each one's answers in the questionnaire (``?respondent=<id>``). Each step is
:mod:`innexport.web.respondents`'s; these views read the form and map its refusals to messages.
The page speaks the advisor's interface language (it is not the questionnaire); an unknown
respondent id, or one of another assessment, is a 404.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from innexport.core.assessment import RESPONDENT_ROLES
from innexport.web import respondents as team
from innexport.web import services, tenancy
from innexport.web.models import Assessment, Respondent
from innexport.web.services import MAX_SHARE_DAYS, AssessmentCompleted
from innexport.web.tenancy import member_required
from innexport.web.views.assessments import with_respondent


def _assessment(request: HttpRequest, pk: int) -> Assessment:
    return get_object_or_404(tenancy.assessments(request.user), pk=pk)


def _respondent(request: HttpRequest, assessment: Assessment) -> Respondent:
    given = request.POST.get("respondent", "").strip()
    if not given.isdigit() or len(given) > 18:
        raise Http404("no such respondent")
    return get_object_or_404(Respondent.objects.select_related("assessment"), assessment=assessment, pk=int(given))


def _rows(request: HttpRequest, assessment: Assessment) -> list[dict[str, Any]]:
    out = []
    for row in team.respondents_of(assessment):
        person = row.respondent
        link = ""
        if person is not None and person.token:
            link = request.build_absolute_uri(reverse("share-start", args=[person.token]))
        out.append({"row": row, "person": person, "link": link, "link_valid": person.link_valid if person else False,
                    "answers_url": with_respondent(reverse("assessment-page", args=[assessment.pk, 1]), person)})
    return out


@require_http_methods(["GET", "HEAD", "POST"])
@member_required
def assessment_respondents(request: HttpRequest, pk: int) -> HttpResponse:
    """The list of respondents; its forms POST ``action`` = add, remove, open, revoke or send."""
    assessment = _assessment(request, pk)
    status = 200
    form: dict[str, str] = {}
    if request.method == "POST":
        tenancy.require_editor(request.user)
        done, form = _act(request, assessment)
        if done:
            return redirect("assessment-respondents", pk=assessment.pk)
        status = 400
    can_edit = tenancy.membership(request.user).can_edit
    return render(request, "web/respondents.html", {
        "assessment": assessment, "firm": assessment.firm, "rows": _rows(request, assessment),
        "roles": [(code, team.role_label(code)) for code in RESPONDENT_ROLES], "form": form,
        "can_edit": can_edit, "editable": can_edit and not assessment.completed,
        "share_days": settings.SHARE_LINK_DAYS, "max_share_days": MAX_SHARE_DAYS,
        "questionnaire_url": reverse("assessment-questionnaire", args=[assessment.pk]),
    }, status=status)


def _act(request: HttpRequest, assessment: Assessment) -> tuple[bool, dict[str, str]]:
    """Do what the form asks; (whether to go back to the list, the add form's values to show again)."""
    action = request.POST.get("action", "")
    if action == "add":
        form = {k: request.POST.get(k, "")[:300] for k in ("name", "role", "email")}
        try:
            team.add_respondent(assessment, name=form["name"], role=form["role"], email=form["email"], actor=request)
        except ValueError as exc:
            messages.error(request, _add_refusal(str(exc)))
            return False, form
        except AssessmentCompleted as exc:
            messages.error(request, exc.message)
            return True, {}
        messages.success(request, _("Respondent added: open their private link, or enter their answers."))
        return True, {}
    if action not in ("remove", "open", "revoke", "send"):
        messages.error(request, _("Unknown action."))
        return False, {}
    person = _respondent(request, assessment)
    try:
        if action == "remove":
            n = team.remove_respondent(person, request)
            messages.success(request, ngettext("Respondent removed, with their %(n)d answer.",
                                               "Respondent removed, with their %(n)d answers.", n) % {"n": n})
        elif action == "revoke":
            team.revoke_respondent_link(person, request)
            messages.success(request, _("The respondent's link is revoked: it no longer opens the questionnaire."))
        elif action == "open":
            try:
                days = int(request.POST.get("days", settings.SHARE_LINK_DAYS))
                team.open_respondent_link(person, days, request)
            except ValueError:
                messages.error(request, _("The link must be valid for 1 to %(max)d days.") % {"max": MAX_SHARE_DAYS})
                return False, {}
            messages.success(request, _("The respondent's link is valid until %(date)s.") % {
                "date": date_format(timezone.localtime(person.expires_at), "SHORT_DATETIME_FORMAT")})
        else:
            email = request.POST.get("email", "").strip()
            try:
                team.send_respondent_link(person, email, request)
            except ValueError:
                messages.error(request, _("“%(email)s” is not a valid e-mail address.") % {"email": email[:254]})
                return False, {}
            except services.MailFailed:
                messages.error(request, _("The e-mail could not be sent: the mail server did not accept it. The link is "
                                          "still valid: copy it and send it yourself, or try again later."))
                return True, {}
            messages.success(request, _("The respondent's link was sent to %(email)s.") % {"email": email})
    except services.Refused as exc:
        messages.error(request, exc.message)
    return True, {}


def _add_refusal(reason: str) -> str:
    """The add form's refusal (``field: …`` from :func:`innexport.web.respondents.add_respondent`) in words."""
    field = reason.split(":", 1)[0]
    if field == "name":
        return _("Give the respondent's name (at most %(max)d characters).") % {"max": team.NAME_MAX}
    if field == "role":
        return _("Choose one of the roles in the list.")
    return _("The e-mail address is not valid.")


urlpatterns = [
    path("assessments/<int:pk>/respondents/", assessment_respondents, name="assessment-respondents"),
]
