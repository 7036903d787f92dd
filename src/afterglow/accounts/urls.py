from django.contrib.auth import views as auth_views
from django.urls import path

from afterglow.accounts import views
from afterglow.accounts.access import staff_required
from afterglow.accounts.models import Role

# Any member of a clinic, whatever their role.
staff = staff_required(roles=Role.values)

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
]
