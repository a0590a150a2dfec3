"""Log in and out, and the user's interface language."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from innexport.core.framework import LANGUAGES
from innexport.web.models import AuditEntry, Membership


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the interface language; kept in the user's profile (or the session when anonymous)."""
    lang = request.POST.get("language", "")
    if lang not in LANGUAGES:
        lang = "en"
    if request.user.is_authenticated:
        Membership.objects.filter(user=request.user).update(language=lang)
    translation.activate(lang)
    nxt = request.POST.get("next", "/")
    if not url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        nxt = "/"
    response = HttpResponseRedirect(nxt)
    response.set_cookie("django_language", lang, samesite="Lax", secure=request.is_secure())
    return response


@receiver(user_logged_in)
def _audit_login(sender, request, user, **kwargs) -> None:
    try:
        org = user.membership.organisation
    except Membership.DoesNotExist:
        return
    AuditEntry.objects.create(organisation=org, user=user, action=AuditEntry.Action.LOGIN, object_type="user",
                              object_id=str(user.pk))


urlpatterns = [
    path("accounts/login/", auth_views.LoginView.as_view(template_name="web/login.html",
                                                         redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("language/", set_language, name="set-language"),
]


