from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse_lazy
from django.views.decorators.http import require_POST

from afterglow.accounts.access import acting_user, staff_required
from afterglow.accounts.models import Role
from afterglow.accounts.selectors import SESSION_CLINIC_KEY, memberships_for_user


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:password_change_done")


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "accounts/password_change_done.html"


@require_POST
@staff_required(roles=Role.values)
def switch_clinic(request: HttpRequest) -> HttpResponse:
    wanted = request.POST.get("clinic", "")
    for membership in memberships_for_user(acting_user(request)):
        if str(membership.clinic_id) == wanted:
            request.session[SESSION_CLINIC_KEY] = membership.clinic_id
            return redirect("home_staff")
    raise Http404("Not a member of that clinic")
