from django.contrib import admin
from django.urls import include, path

from afterglow.accounts.views import staff_home
from afterglow.api.v1 import api as api_v1

urlpatterns = [
    path("", include("afterglow.ops.urls")),
    path("staff/", staff_home, name="home_staff"),
    path("staff/accounts/", include("afterglow.accounts.urls")),
    path("staff/admin/", admin.site.urls),
    path("", include("afterglow.patients.urls")),
    path("", include("afterglow.instruments.urls")),
    path("", include("afterglow.treatment.urls")),
    path("", include("afterglow.intake.urls")),
    path("", include("afterglow.diary.urls")),
    path("", include("afterglow.alerts.urls")),
    path("", include("afterglow.schedules.urls")),
    path("", include("afterglow.reports.urls")),
    path("", include("afterglow.analytics.urls")),
    path("", include("afterglow.audit.urls")),
    path("", include("afterglow.api.urls")),
    path("api/v1/", api_v1.urls),
]
