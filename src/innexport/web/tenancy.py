"""Tenant isolation and roles: the only way views reach an organisation's data.

Every query for firms, assessments or audit entries starts from :func:`firms`, :func:`assessments`
or :func:`audit` for the request's user, so another organisation's objects are simply not found
(404). Changes need an editing role (organisation admin or advisor); an analyst who tries gets 403.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest

from innexport.web.models import Assessment, AuditEntry, Firm, Membership, Organisation, Role


def membership(user: Any) -> Membership:
    """The user's membership; a user without one (e.g. a bare superuser) may see nothing."""
    try:
        return user.membership
    except (Membership.DoesNotExist, AttributeError):
        raise PermissionDenied("this account belongs to no organisation") from None


def signed_in(request: HttpRequest) -> User:
    """The signed-in user of ``request``, as the model the foreign keys take (the views behind
    :func:`member_required` always have one); ``PermissionDenied`` for an anonymous visitor."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied("sign in first")
    return user


def organisation(user: Any) -> Organisation:
    return membership(user).organisation


def firms(user: Any) -> QuerySet[Firm]:
    return Firm.objects.filter(organisation=organisation(user))


def assessments(user: Any) -> QuerySet[Assessment]:
    return (Assessment.objects.filter(organisation=organisation(user)).select_related("firm", "framework")
            .defer("framework__framework_yaml", "framework__modules_yaml"))


def audit_entries(user: Any) -> QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(organisation=organisation(user))


def require_editor(user: Any) -> Membership:
    m = membership(user)
    if not m.can_edit:
        raise PermissionDenied("read-only analysts cannot change data")
    return m


def require_admin(user: Any) -> Membership:
    m = membership(user)
    if m.role != Role.ADMIN:
        raise PermissionDenied("only an organisation admin can do this")
    return m


def member_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Login required, and the user must belong to an organisation."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        membership(request.user)
        return view(request, *args, **kwargs)

    return wrapped


def editor_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Login required, and an editing role (organisation admin or advisor)."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        require_editor(request.user)
        return view(request, *args, **kwargs)

    return wrapped


def context(request: HttpRequest) -> dict[str, Any]:
    """Template context: the user's organisation and role."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    try:
        m = user.membership
    except Membership.DoesNotExist:
        return {}
    return {"organisation": m.organisation, "role": m.role, "can_edit": m.can_edit}


def record(request_or_user: Any, action: str, obj: Any, description: str = "") -> AuditEntry:
    """Write an audit entry for ``obj`` (a model instance) by the request's user."""
    user = getattr(request_or_user, "user", request_or_user)
    user = user if getattr(user, "is_authenticated", False) else None
    org = getattr(obj, "organisation", None) or (organisation(user) if user is not None else None)
    return AuditEntry.objects.create(
        organisation=org, user=user, action=action, object_type=obj.__class__.__name__.lower(),
        object_id=str(getattr(obj, "pk", "") or ""), description=description[:300],
    )
