from django.contrib.auth import views as auth_views
from django.urls import path

from afterglow.accounts import views, views_signin
from afterglow.accounts.access import staff_required
from afterglow.accounts.capabilities import Capability

# Any member of a clinic, whatever their role.
staff = staff_required(capability=Capability.ACCOUNT)

app_name = "accounts"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", staff(views.PasswordChangeView.as_view()), name="password_change"),
    path(
        "password/done/", staff(views.PasswordChangeDoneView.as_view()), name="password_change_done"
    ),
    path("clinic/", views.switch_clinic, name="switch_clinic"),
    path("clinic/settings/", views.clinic_settings, name="clinic_settings"),
    path("staff/", views.staff_list, name="staff"),
    path("staff/<int:pk>/", views.staff_update, name="staff_update"),
    path("staff/<int:pk>/unlock/", views.staff_unlock, name="staff_unlock"),
    path("staff/<int:pk>/mfa-reset/", views.staff_mfa_reset, name="staff_mfa_reset"),
    # Two-step sign-in and the session clock (signed-in users, whatever their clinic).
    path("mfa/", views_signin.mfa_verify_view, name="mfa_verify"),
    path("mfa/setup/", views_signin.mfa_setup, name="mfa_setup"),
    path("session/", views_signin.session_status, name="session_status"),
    # Password reset by email (public, rate-limited).
    path("password/reset/", views_signin.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password/reset/sent/",
        views_signin.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        views_signin.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/complete/",
        views_signin.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
]
