"""Tenant isolation and roles: the only way views reach an organisation's data.

Every query for firms, assessments or audit entries starts from :func:`firms`, :func:`assessments`
or :func:`audit` for the request's user, so another organisation's objects are simply not found
(404). Changes need an editing role (organisation admin or advisor); an analyst who tries gets 403.

The audit log (:func:`record`) keeps who did what to which object, never a firm's name: an entry
about a firm or about anything of a firm (assessment, plan, action) names it by its opaque
reference ``firm #<id>`` (:func:`firm_reference`), whoever wrote the description. Erasing a firm
(:func:`erase_firm`, the one home of the erasure used by the web view and the API) also blanks the
descriptions of every earlier entry about the firm's objects (free text such as action titles may
describe the firm) and replaces any remaining mention of its name; the SQLite pages are zeroed
(``secure_delete``) and the write-ahead log emptied after the commit
(:func:`innexport.web.security.purge_erased_pages`). GDPR art. 17 (right to erasure) and art. 5(1)(c)
(data minimisation).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from innexport.web import security
from innexport.web.models import ActionPlan, Assessment, AuditEntry, Firm, Membership, Organisation, PlanAction, Role


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


def firm_reference(firm: Firm) -> str:
    """The opaque name of ``firm`` in the audit log.

    >>> firm_reference(Firm(pk=12, name="Acme"))
    'firm #12'
    """
    return f"firm #{firm.pk}"


def firm_of(obj: Any) -> Firm | None:
    """The firm ``obj`` belongs to: itself, an assessment's, a plan's or an action's; else None."""
    for path in ((), ("firm",), ("assessment", "firm"), ("plan", "assessment", "firm")):
        target = obj
        for name in path:
            target = getattr(target, name, None)
            if target is None:
                break
        if isinstance(target, Firm):
            return target
    return None


def without_firm_name(text: str, firm: Firm) -> str:
    """``text`` with every mention of the firm's name (any case) replaced by :func:`firm_reference`.

    >>> without_firm_name("Acme Ltd: FW 1.0, en; ACME LTD again", Firm(pk=3, name="Acme Ltd"))
    'firm #3: FW 1.0, en; firm #3 again'
    """
    name = (firm.name or "").strip()
    if not name:
        return text
    return re.sub(rf"(?<!\w){re.escape(name)}(?!\w)", firm_reference(firm), text, flags=re.IGNORECASE)


def record(request_or_user: Any, action: str, obj: Any, description: str = "") -> AuditEntry:
    """Write an audit entry for ``obj`` (a model instance) by the request's user.

    The description never keeps the name of the firm ``obj`` belongs to (:func:`without_firm_name`).
    """
    user = getattr(request_or_user, "user", request_or_user)
    user = user if getattr(user, "is_authenticated", False) else None
    org = getattr(obj, "organisation", None) or (organisation(user) if user is not None else None)
    firm = firm_of(obj)
    if firm is not None:
        description = without_firm_name(description, firm)
    return AuditEntry.objects.create(
        organisation=org, user=user, action=action, object_type=obj.__class__.__name__.lower(),
        object_id=str(getattr(obj, "pk", "") or ""), description=description[:300],
    )


ERASED_DESCRIPTION = "(details erased with {reference})"
"""What an earlier audit entry about an erased firm's objects says instead of its description."""


def erase_firm(request_or_user: Any, firm: Firm, via: str = "") -> int:
    """Erase ``firm`` with its assessments, answers, results and plans; the number of assessments.

    The audit trail keeps that the objects existed and who did what when, not what they said: see
    the module docstring. ``via`` is appended to the erasure's own entry (e.g. ``" (API)"``).
    """
    reference = firm_reference(firm)
    with transaction.atomic():
        assessment_ids = [str(pk) for pk in firm.assessments.values_list("pk", flat=True)]
        plan_ids = [str(pk) for pk in ActionPlan.objects.filter(assessment__firm=firm).values_list("pk", flat=True)]
        action_ids = [str(pk) for pk in PlanAction.objects.filter(plan__assessment__firm=firm).values_list("pk", flat=True)]
        entries = AuditEntry.objects.filter(organisation=firm.organisation)
        about = (Q(object_type="firm", object_id=str(firm.pk)) | Q(object_type="assessment", object_id__in=assessment_ids)
                 | Q(object_type="actionplan", object_id__in=plan_ids)
                 | Q(object_type="planaction", object_id__in=action_ids))
        entries.filter(about).update(description=ERASED_DESCRIPTION.format(reference=reference))
        if firm.name.strip():
            for entry in entries.filter(description__icontains=firm.name.strip()).only("pk", "description"):
                entry.description = without_firm_name(entry.description, firm)[:300]
                entry.save(update_fields=["description"])
        record(request_or_user, AuditEntry.Action.DELETE, firm,
               f"{reference} and {len(assessment_ids)} assessment(s) erased{via}")
        firm.delete()
        transaction.on_commit(security.purge_erased_pages)
    return len(assessment_ids)
