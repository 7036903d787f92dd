"""The clinic admin's API tokens page: list, create (shown once), revoke."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from afterglow.accounts.access import StaffRequest, acting_user, staff_required
from afterglow.accounts.capabilities import Capability
from afterglow.api.forms import ApiTokenForm
from afterglow.api.models import ApiToken
from afterglow.api.services import apitoken_create, apitoken_revoke


@staff_required(capability=Capability.STAFF_MANAGE)
def token_list(request: StaffRequest) -> HttpResponse:
    membership = request.membership
    form = ApiTokenForm(request.POST or None, clinic=membership.clinic)
    created: str | None = None
    if request.method == "POST" and form.is_valid():
        try:
            _row, created = apitoken_create(
                clinic=membership.clinic,
                user=form.cleaned_data["member"].user,
                scope=form.cleaned_data["scope"],
                name=form.cleaned_data["name"],
                expires_days=form.cleaned_data["expires_days"],
                by=acting_user(request),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            form = ApiTokenForm(clinic=membership.clinic)
    tokens = ApiToken.objects.for_clinic(membership.clinic).select_related("user", "created_by")
    # The token is in this one answer only (no-store, never in a message or the session).
    return render(
        request,
        "api/tokens.html",
        {"form": form, "tokens": tokens, "created": created},
    )


@require_POST
@staff_required(capability=Capability.STAFF_MANAGE)
def token_revoke(request: StaffRequest, pk: int) -> HttpResponse:
    membership = request.membership
    token = get_object_or_404(ApiToken, pk=pk, clinic_id=membership.clinic_id)
    apitoken_revoke(token=token, by=acting_user(request))
    messages.success(request, f"Token {token.prefix}… ({token.name}) revoked.")
    return redirect("api_tokens:list")
