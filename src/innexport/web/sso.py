"""Single sign-on with OpenID Connect: who may come in through the organisation's identity provider,
and as what (issue 13).

Login is the authorisation code flow with PKCE (RFC 7636) and a nonce, by mozilla-django-oidc (the
``sso`` extra), configured from the environment (:func:`innexport.web.settings.oidc_settings`);
without configuration there is no button and nothing here is reachable (404). Local passwords keep
working either way.

The rules decided here (one home each):

* **Who**: a user is the provider's subject (``sub``, OpenID Connect Core 1.0 §2: unique and never
  reassigned within an issuer), kept as the user name ``sso-<sub>`` (:func:`username_for`), created
  at the first login with no usable password and updated (e-mail, names) at each login. The ID token
  must come from the configured issuer for this client (``iss``, ``aud``; OIDC Core §3.1.3.7), and
  the user-info ``sub`` must be the ID token's (OIDC Core §5.3.4).
* **Where and as what** (:func:`decide`): the organisation claim (``innexport_org`` unless
  ``INNEXPORT_OIDC_ORG_CLAIM`` says otherwise) names an organisation that must exist here (the
  provider never creates one); the role claim (``innexport_role``) must be one of
  :class:`innexport.web.models.Role`, else the login is refused with a page that says why; an
  organisation without a role gives ``INNEXPORT_OIDC_DEFAULT_ROLE`` (``analyst``, the least). With
  the claims, the provider is the source of truth and the membership follows it at each login. Without
  them, an admin's assignment is kept, and a user nobody assigned yet lands on a page saying that an
  administrator must add them to an organisation.
* **Logout** (:func:`logout`, which serves ``accounts/logout/`` for everyone): the local session
  ends; after a single sign-on, the provider's too when it has an ``end_session_endpoint`` (OpenID
  Connect RP-Initiated Logout 1.0), which sends the browser back to the login page.
* **Audit**: each single sign-on login is in the organisation's audit log with the provider's name;
  a membership set or changed by claims, and a refused login, are recorded too.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from typing import Any
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.contrib import auth
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.exceptions import SuspiciousOperation
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render, resolve_url
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_
from django.views.decorators.http import require_POST

from innexport.web.models import AuditEntry, Membership, Organisation, Role

try:
    from mozilla_django_oidc.auth import OIDCAuthenticationBackend
    from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView
except ImportError:  # pragma: no cover - without the sso extra there is no single sign-on (settings refuses it)
    from django.contrib.auth.backends import ModelBackend as OIDCAuthenticationBackend
    from django.views import View as OIDCAuthenticationCallbackView
    from django.views import View as OIDCAuthenticationRequestView

REFUSAL_KEY = "innexport_sso_refusal"
"""Where the reason of a refused login waits in the session for the page that shows it."""
DISCOVERY_SECONDS = 3600
"""How long a provider's discovered configuration is kept before it is asked again."""
UNREACHABLE = N_("The identity provider cannot be reached; try again in a moment.")


class Refused(Exception):
    """A single sign-on that may not go on: ``str()`` is the reason in the active language (the
    refusal page), :meth:`english` the same in English (the audit log); ``who`` the account and
    organisation concerned, when known.

    >>> str(Refused(N_("The organisation %(name)s named by the identity provider is not known here; "
    ...                "an administrator must create it first."), name="CCI"))
    'The organisation CCI named by the identity provider is not known here; an administrator must create it first.'
    """

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message)
        self.message, self.params = message, params
        self.who: tuple[Any, Organisation | None] = (None, None)

    def __str__(self) -> str:
        return _(self.message) % self.params if self.params else _(self.message)

    def english(self) -> str:
        return self.message % self.params if self.params else self.message


def enabled() -> bool:
    """Whether single sign-on is configured (``INNEXPORT_OIDC_CLIENT_ID`` and its companions)."""
    return bool(getattr(settings, "INNEXPORT_SSO", False))


def username_for(sub: str) -> str:
    """The local user name of the provider's subject ``sub``: ``sso-<sub>`` when short and plain,
    else ``sso-`` and the first 40 hex digits of its SHA-256 (user names hold 150 characters).

    >>> username_for("3f2a-91c0")
    'sso-3f2a-91c0'
    >>> username_for("CN=Ana Pérez,OU=CCI")
    'sso-49e044f7b9d6030507a5f76b8ded8330cb6c6156'
    """
    if re.fullmatch(r"[\w.@+-]{1,100}", sub, flags=re.ASCII):
        return f"sso-{sub}"
    return "sso-" + hashlib.sha256(sub.encode()).hexdigest()[:40]


def _claim(claims: dict[str, Any], name: str) -> str | None:
    value = claims.get(name)
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise Refused(N_("The identity provider's claim %(claim)s is not a single name."), claim=name)
    return value.strip()


def decide(claims: dict[str, Any], org_claim: str = "innexport_org", role_claim: str = "innexport_role",
           default_role: str = "analyst") -> tuple[str | None, str | None]:
    """The organisation name and role the claims give (``None`` for what they do not say); a role
    outside :class:`~innexport.web.models.Role` (any case) is :class:`Refused`.

    >>> decide({"innexport_org": "CCI Bordeaux", "innexport_role": "Advisor"})
    ('CCI Bordeaux', 'advisor')
    >>> decide({"innexport_org": "CCI Bordeaux"})
    ('CCI Bordeaux', 'analyst')
    >>> decide({"sub": "x"})
    (None, None)
    >>> decide({"innexport_org": "CCI", "innexport_role": "superuser"})
    Traceback (most recent call last):
    ...
    innexport.web.sso.Refused: The role superuser given by the identity provider is not one of admin, advisor, analyst.
    """
    org, role = _claim(claims, org_claim), _claim(claims, role_claim)
    allowed = [str(r.value) for r in Role]
    if role is not None and role.lower() not in allowed:
        raise Refused(N_("The role %(role)s given by the identity provider is not one of %(roles)s."),
                      role=role[:60], roles=", ".join(allowed))
    if org is None:
        return None, None
    if role is None and default_role not in allowed:
        raise Refused(N_("The server's INNEXPORT_OIDC_DEFAULT_ROLE is not one of %(roles)s."), roles=", ".join(allowed))
    return org, (role or default_role).lower()


# --- the provider's configuration ------------------------------------------------------------------

_discovered: dict[str, tuple[float, dict[str, Any]]] = {}
_discovery_lock = threading.Lock()


def endpoint(name: str, required: bool = True) -> str:
    """The provider's ``name`` endpoint (``token_endpoint``, ``jwks_uri``…): the one set in the
    environment, else the one its discovery document gives (OpenID Connect Discovery 1.0 §4, kept
    :data:`DISCOVERY_SECONDS`); :class:`Refused` when the provider cannot be reached or lacks it.
    """
    configured: dict[str, str] = getattr(settings, "INNEXPORT_OIDC_ENDPOINTS", {})
    if configured.get(name):
        return configured[name]
    issuer: str = getattr(settings, "INNEXPORT_OIDC_ISSUER", "")
    if not issuer:
        if required:
            raise Refused(N_("Single sign-on is not fully configured (%(name)s)."), name=name)
        return ""
    with _discovery_lock:
        at, document = _discovered.get(issuer, (0.0, {}))
        if time.monotonic() - at > DISCOVERY_SECONDS:
            try:
                response = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=10)
                response.raise_for_status()
                document = response.json()
            except (requests.RequestException, ValueError):
                raise Refused(UNREACHABLE) from None
            if not isinstance(document, dict) or str(document.get("issuer", "")).rstrip("/") != issuer:
                raise Refused(N_("The identity provider's configuration does not name the expected issuer."))
            _discovered[issuer] = (time.monotonic(), document)
    value = document.get(name)
    if not isinstance(value, str) or not value:
        if required:
            raise Refused(N_("The identity provider does not publish its %(name)s."), name=name)
        return ""
    return value


def _refuse(request: HttpRequest, refusal: Refused) -> None:
    """Keep the reason for the refusal page and write it (in English) in the audit log."""
    request.session[REFUSAL_KEY] = str(refusal)
    user, organisation = refusal.who
    AuditEntry.objects.create(organisation=organisation, user=user, action=AuditEntry.Action.LOGIN,
                              object_type="user", object_id=str(getattr(user, "pk", "") or ""),
                              description=f"single sign-on refused: {refusal.english()}"[:300])


# --- authentication ---------------------------------------------------------------------------------


class Backend(OIDCAuthenticationBackend):
    """mozilla-django-oidc's backend with this module's rules; endpoints are looked up only during a
    single sign-on, so a password login never waits for the provider."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:  # the parent's reads every endpoint at once
        self.UserModel = get_user_model()
        self.OIDC_RP_CLIENT_ID = getattr(settings, "OIDC_RP_CLIENT_ID", "")
        self.OIDC_RP_CLIENT_SECRET = getattr(settings, "OIDC_RP_CLIENT_SECRET", "")
        self.OIDC_RP_SIGN_ALGO = getattr(settings, "OIDC_RP_SIGN_ALGO", "RS256")
        self.OIDC_RP_IDP_SIGN_KEY = None
        self.decision: tuple[Organisation | None, str | None] = (None, None)

    @property
    def OIDC_OP_TOKEN_ENDPOINT(self) -> str:  # the name mozilla-django-oidc reads
        return endpoint("token_endpoint")

    @property
    def OIDC_OP_USER_ENDPOINT(self) -> str:  # the name mozilla-django-oidc reads
        return endpoint("userinfo_endpoint")

    @property
    def OIDC_OP_JWKS_ENDPOINT(self) -> str:  # the name mozilla-django-oidc reads
        return endpoint("jwks_uri")

    def authenticate(self, request: HttpRequest | None, **kwargs: Any) -> Any:
        if request is None or not enabled() or "code" not in request.GET or "state" not in request.GET:
            return None  # a password login, or nothing of ours
        try:
            return super().authenticate(request, **kwargs)
        except Refused as refusal:
            _refuse(request, refusal)
        except requests.RequestException:
            _refuse(request, Refused(UNREACHABLE))
        except SuspiciousOperation:
            _refuse(request, Refused(N_("The identity provider's answer could not be verified.")))
        return None

    def verify_token(self, token: str, **kwargs: Any) -> dict[str, Any]:
        payload: dict[str, Any] = super().verify_token(token, **kwargs)
        issuer = getattr(settings, "INNEXPORT_OIDC_ISSUER", "")
        audience = payload.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if (issuer and str(payload.get("iss", "")).rstrip("/") != issuer) or self.OIDC_RP_CLIENT_ID not in audiences:
            raise SuspiciousOperation("the ID token was not issued by the configured provider for this client")
        self.id_claims = payload
        return payload

    def get_userinfo(self, access_token: str, id_token: str, payload: dict[str, Any]) -> dict[str, Any]:
        userinfo: dict[str, Any] = super().get_userinfo(access_token, id_token, payload)
        if userinfo.get("sub") != payload.get("sub"):
            raise SuspiciousOperation("the user-info subject is not the ID token's")
        return {**payload, **userinfo}  # claims may come in either (e.g. roles in the ID token)

    def verify_claims(self, claims: dict[str, Any]) -> bool:
        if not isinstance(claims.get("sub"), str) or not claims["sub"]:
            raise Refused(N_("The identity provider did not say who you are (no subject)."))
        existing = self.UserModel.objects.filter(username=username_for(claims["sub"])).first()
        membership = Membership.objects.filter(user=existing).first() if existing else None
        try:
            org_name, role = decide(claims, getattr(settings, "INNEXPORT_OIDC_ORG_CLAIM", "innexport_org"),
                                    getattr(settings, "INNEXPORT_OIDC_ROLE_CLAIM", "innexport_role"),
                                    getattr(settings, "INNEXPORT_OIDC_DEFAULT_ROLE", "analyst"))
            organisation = Organisation.objects.filter(name__iexact=org_name).first() if org_name else None
            if org_name and organisation is None:
                raise Refused(N_("The organisation %(name)s named by the identity provider is not known here; "
                                 "an administrator must create it first."), name=org_name[:100])
        except Refused as refusal:
            refusal.who = (existing, membership.organisation if membership else None)
            raise
        self.decision = (organisation, role)
        return True

    def filter_users_by_claims(self, claims: dict[str, Any]) -> Any:
        return self.UserModel.objects.filter(username=username_for(claims["sub"]))

    def create_user(self, claims: dict[str, Any]) -> User:
        with transaction.atomic():
            user = User.objects.create_user(username_for(claims["sub"]))  # no usable password
            return self.update_user(user, claims)

    def update_user(self, user: User, claims: dict[str, Any]) -> User:
        user.email = str(claims.get("email") or user.email)[:254]
        user.first_name = str(claims.get("given_name") or user.first_name)[:150]
        user.last_name = str(claims.get("family_name") or user.last_name)[:150]
        user.save(update_fields=["email", "first_name", "last_name"])
        organisation, role = self.decision
        if organisation is None or role is None:
            return user  # the claims say nothing: an admin's assignment stays (or the user waits for one)
        with transaction.atomic():
            membership = Membership.objects.filter(user=user).first()
            before = (membership.organisation_id, membership.role) if membership else None
            if membership is None:
                membership = Membership(user=user, organisation=organisation, role=role)
            membership.organisation, membership.role = organisation, role
            if before != (organisation.pk, role):
                membership.save()
                AuditEntry.objects.create(
                    organisation=organisation, user=user,
                    action=AuditEntry.Action.CREATE if before is None else AuditEntry.Action.CHANGE,
                    object_type="membership", object_id=str(membership.pk),
                    description=f"single sign-on: role {role} from the identity provider's claims")
        return user


def provider_label() -> str:
    """The provider's name on the login button and in the audit log."""
    name: str = getattr(settings, "INNEXPORT_OIDC_PROVIDER_NAME", "")
    return name or getattr(settings, "INNEXPORT_OIDC_ISSUER", "") or "OpenID Connect"


class CallbackView(OIDCAuthenticationCallbackView):
    """The provider's answer: a member goes on to the page asked for, a user nobody assigned to an
    organisation to the waiting page; the login is written in the audit log."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if not enabled():
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    @property
    def failure_url(self) -> str:
        return reverse("sso-refused")

    def login_success(self) -> HttpResponse:
        last = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        response: HttpResponse = super().login_success()  # auth.login: views.accounts audits members' logins
        user = self.user
        membership = Membership.objects.filter(user=user).select_related("organisation").first()
        entry = AuditEntry.objects.filter(pk__gt=last, user=user, action=AuditEntry.Action.LOGIN,
                                          description="").order_by("-pk").first()
        description = f"single sign-on ({provider_label()})"[:300]
        if entry is not None:
            entry.description = description
            entry.save(update_fields=["description"])
        else:
            AuditEntry.objects.create(organisation=membership.organisation if membership else None, user=user,
                                      action=AuditEntry.Action.LOGIN, object_type="user", object_id=str(user.pk),
                                      description=description + ("" if membership else "; no organisation yet"))
        if membership is None:
            return HttpResponseRedirect(reverse("sso-waiting"))
        return response


class LoginView(OIDCAuthenticationRequestView):
    """Sends the browser to the provider's login (state, nonce and PKCE kept in the session)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:  # the parent's reads the endpoint at once
        self.OIDC_RP_CLIENT_ID = getattr(settings, "OIDC_RP_CLIENT_ID", "")
        self.OIDC_OP_AUTH_ENDPOINT = ""

    def get(self, request: HttpRequest) -> HttpResponse:
        if not enabled():
            raise Http404
        try:
            self.OIDC_OP_AUTH_ENDPOINT = endpoint("authorization_endpoint")
        except Refused as refusal:
            request.session[REFUSAL_KEY] = str(refusal)
            return HttpResponseRedirect(reverse("sso-refused"))
        response: HttpResponse = super().get(request)
        return response


def refused(request: HttpRequest) -> HttpResponse:
    """Why the single sign-on did not let the person in (once), and the way back to the login."""
    if not enabled():
        raise Http404
    reason = request.session.pop(REFUSAL_KEY, "") or _("The identity provider did not confirm who you are.")
    # the provider may still hold a session of the refused account: offer to end it to use another one
    return render(request, "web/sso_message.html",
                  {"title": _("Single sign-on refused"), "message": reason, "refused": True,
                   "provider_session": bool(request.session.get("oidc_id_token"))}, status=403)


def waiting(request: HttpRequest) -> HttpResponse:
    """The page of a signed-in user who belongs to no organisation yet."""
    if not request.user.is_authenticated:
        return HttpResponseRedirect(reverse("login"))
    if Membership.objects.filter(user_id=request.user.pk).exists():
        return HttpResponseRedirect(reverse("firm-list"))
    return render(request, "web/sso_message.html", {
        "title": _("Waiting for an organisation"),
        "message": _("You are signed in, but you belong to no organisation yet. An administrator must add "
                     "you to your organisation with a role; then sign in again."),
        "refused": False})


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    """End the local session (every user); after a single sign-on, also the provider's when it has an
    ``end_session_endpoint``, which then sends the browser back to the login page."""
    id_token = request.session.get("oidc_id_token") if enabled() else None
    end_session = ""
    if id_token:
        try:
            end_session = endpoint("end_session_endpoint", required=False)
        except Refused:
            end_session = ""
    auth.logout(request)
    if not end_session:
        return HttpResponseRedirect(resolve_url(settings.LOGOUT_REDIRECT_URL))
    query = urlencode({"id_token_hint": id_token, "client_id": getattr(settings, "OIDC_RP_CLIENT_ID", ""),
                       "post_logout_redirect_uri": request.build_absolute_uri(reverse("login"))})
    return HttpResponseRedirect(f"{end_session}?{query}")


def context(request: HttpRequest) -> dict[str, Any]:
    """Template context: the single sign-on button's address and label (nothing when not configured)."""
    if not enabled():
        return {}
    return {"sso_login_url": reverse("oidc_authentication_init"), "sso_provider": provider_label()}


urlpatterns = [
    # before views.accounts: the one logout, for password and single sign-on users alike
    path("accounts/logout/", logout, name="logout"),
    path("oidc/authenticate/", LoginView.as_view(), name="oidc_authentication_init"),
    path("oidc/callback/", CallbackView.as_view(), name="oidc_authentication_callback"),
    path("accounts/sso/refused/", refused, name="sso-refused"),
    path("accounts/sso/waiting/", waiting, name="sso-waiting"),
]
