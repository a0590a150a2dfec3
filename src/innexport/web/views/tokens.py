"""API tokens: each member lists, creates (shown once) and revokes their own personal tokens."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from innexport.web import tenancy
from innexport.web.api import create_token, hash_token
from innexport.web.models import ApiToken, AuditEntry
from innexport.web.tenancy import member_required

MAX_TOKENS_PER_USER = 20


class TokenForm(forms.Form):
    name = forms.CharField(label=_lazy("name"), max_length=100,
                           help_text=_lazy("What the token is for, e.g. “CRM synchronisation”."))

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("This field is required."))
        if ApiToken.objects.filter(user=self.user).count() >= MAX_TOKENS_PER_USER:
            raise forms.ValidationError(_("You already have %(n)d tokens; revoke one first.")
                                        % {"n": MAX_TOKENS_PER_USER})
        return name


@never_cache
@member_required
def token_list(request: HttpRequest) -> HttpResponse:
    """GET lists the user's tokens; POST creates one and shows it, this once."""
    form = TokenForm(request.POST or None, user=request.user)
    new_token = None
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            new_token = create_token(request.user, form.cleaned_data["name"])
            token = ApiToken.objects.get(key_hash=hash_token(new_token))
            tenancy.record(request, AuditEntry.Action.CREATE, token,
                           f"API token “{token.name}” ({token.prefix}…)")
        form = TokenForm(user=request.user)
    tokens = ApiToken.objects.filter(user=tenancy.signed_in(request)).order_by("-created_at")
    status = 400 if form.errors else 200
    return render(request, "web/tokens.html", {"tokens": tokens, "form": form, "new_token": new_token}, status=status)


@require_POST
@member_required
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)  # others' tokens are not found
    with transaction.atomic():
        tenancy.record(request, AuditEntry.Action.DELETE, token,
                       f"API token “{token.name}” ({token.prefix}…) revoked")
        token.delete()
    messages.success(request, _("The token was revoked; programs using it can no longer connect."))
    return redirect("api-tokens")


urlpatterns = [
    path("account/tokens/", token_list, name="api-tokens"),
    path("account/tokens/<int:pk>/revoke/", token_revoke, name="api-token-revoke"),
]
