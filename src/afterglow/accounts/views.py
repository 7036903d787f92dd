from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import timezone
from django.views.decorators.http import require_POST

from afterglow.accounts.access import (
    StaffRequest,
    acting_user,
    get_membership_for,
    staff_required,
)
from afterglow.accounts.capabilities import Capability, has_capability
from afterglow.accounts.forms import ClinicSettingsForm, MemberForm, NewMemberForm
from afterglow.accounts.lockout import account_unlock
from afterglow.accounts.mfa import mfa_reset
from afterglow.accounts.models import Membership, Role
from afterglow.accounts.selectors import SESSION_CLINIC_KEY, member_security, memberships_for_user
from afterglow.accounts.services import (
    clinic_update_settings,
    membership_create,
    membership_update,
)

#: A prescriber's home on a dosing day (see :func:`staff_home`).
DOSING_DAY_HOME = "board:today"

#: Where each role starts after signing in: the page its daily work begins on.
HOME_FOR_ROLE = {
    Role.ADMIN: "intake:queue",
    Role.COORDINATOR: "intake:queue",
    Role.PRESCRIBER: "schedules:worklist",
    Role.NURSE: "board:today",
    Role.THERAPIST: "board:therapist_home",
    Role.RESEARCHER: "analytics:dashboard",
}


@staff_required(capability=Capability.ACCOUNT)
def staff_home(request: StaffRequest) -> HttpResponse:
    """Send a member to their role's starting page (a researcher may not open intake).

    A prescriber starts on the Today board on a dosing day (today, in the clinic's
    timezone, is one of the clinic's dosing days: the "Dosing days" setting), else on the
    worklist. The board itself lists any session started on another day.
    """
    membership = request.membership
    role = Role(membership.role)
    clinic = membership.clinic
    today = timezone.localdate(timezone=clinic.tzinfo)
    if role == Role.PRESCRIBER and today.weekday() in clinic.weekdays:
        return redirect(DOSING_DAY_HOME)
    return redirect(HOME_FOR_ROLE.get(role, "patients:list"))


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:password_change_done")


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "accounts/password_change_done.html"


@require_POST
@staff_required(capability=Capability.ACCOUNT)
def switch_clinic(request: StaffRequest) -> HttpResponse:
    wanted = request.POST.get("clinic", "")
    for membership in memberships_for_user(acting_user(request)):
        if str(membership.clinic_id) == wanted:
            request.session[SESSION_CLINIC_KEY] = membership.clinic_id
            return redirect("home_staff")
    raise Http404("Not a member of that clinic")


@staff_required(capability=Capability.CLINIC_SETTINGS)
def clinic_settings(request: StaffRequest) -> HttpResponse:
    clinic = request.membership.clinic
    form = ClinicSettingsForm(request.POST or None, instance=clinic)
    if request.method == "POST" and form.is_valid():
        try:
            clinic_update_settings(clinic=clinic, data=form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Clinic settings saved.")
            return redirect("accounts:clinic_settings")
    return render(request, "accounts/clinic_settings.html", {"form": form})


@staff_required(capability=Capability.STAFF_DIRECTORY)
def staff_list(request: StaffRequest) -> HttpResponse:
    membership = request.membership
    is_admin = has_capability(membership, Capability.STAFF_MANAGE)
    form = NewMemberForm(request.POST or None) if is_admin else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied("Only a clinic admin can add staff.")
        if form.is_valid():
            try:
                added = membership_create(clinic=membership.clinic, **form.cleaned_data)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(
                    request, f"{added.user.username} added as {added.get_role_display()}."
                )
                return redirect("accounts:staff")
    members = list(
        Membership.objects.filter(clinic=membership.clinic)
        .select_related("user")
        .order_by("-is_active", "user__last_name", "user__username")
    )
    security = member_security(members) if is_admin else {}
    return render(
        request,
        "accounts/staff.html",
        {
            "rows": [(m, security.get(m.pk)) for m in members],
            "form": form,
            "is_admin": is_admin,
            "roles": Role.choices,
        },
    )


@require_POST
@staff_required(capability=Capability.STAFF_MANAGE)
def staff_update(request: StaffRequest, pk: int) -> HttpResponse:
    target = get_membership_for(request.membership, pk)
    form = MemberForm(request.POST, instance=Membership.objects.get(pk=target.pk))
    if form.is_valid():
        try:
            membership_update(
                membership=target,
                role=form.cleaned_data["role"],
                is_active=form.cleaned_data["is_active"],
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, f"{target.user.username}: saved.")
    else:
        messages.error(request, "Choose a valid role.")
    return redirect("accounts:staff")


@require_POST
@staff_required(capability=Capability.STAFF_MANAGE)
def staff_unlock(request: StaffRequest, pk: int) -> HttpResponse:
    """Clear a member's failed sign-ins so they can try again at once."""
    target = get_membership_for(request.membership, pk)
    account_unlock(user=target.user, by=acting_user(request))
    messages.success(request, f"{target.user.username} can sign in again.")
    return redirect("accounts:staff")


@require_POST
@staff_required(capability=Capability.STAFF_MANAGE)
def staff_mfa_reset(request: StaffRequest, pk: int) -> HttpResponse:
    """Remove a member's authenticator (a lost phone): they set up a new one at next sign-in."""
    target = get_membership_for(request.membership, pk)
    mfa_reset(user=target.user, by=acting_user(request))
    messages.success(
        request,
        f"Two-step sign-in reset for {target.user.username}: they will set up a new "
        "authenticator app at their next sign-in.",
    )
    return redirect("accounts:staff")
