from django.contrib import admin
from django.urls import include, path

from afterglow.accounts.views import staff_home
from afterglow.api.v1 import api as api_v1
from afterglow.charts import urls as chart_urls
from afterglow.diary import urls as diary_urls
from afterglow.patients import urls as patient_urls

urlpatterns = [
    path("", include("afterglow.ops.urls")),
    path("staff/", staff_home, name="home_staff"),
    path("staff/accounts/", include("afterglow.accounts.urls")),
    path("staff/admin/", admin.site.urls),
    # The chart pages live in ``charts`` (above patients and diary) under their old names.
    path("", include((patient_urls.urlpatterns + chart_urls.patient_patterns, "patients"))),
    path("", include("afterglow.instruments.urls")),
    path("", include("afterglow.treatment.urls")),
    path("", include("afterglow.intake.urls")),
    path("", include((diary_urls.urlpatterns + chart_urls.diary_patterns, "diary"))),
    path("", include("afterglow.alerts.urls")),
    path("", include("afterglow.schedules.urls")),
    path("", include("afterglow.reports.urls")),
    path("", include("afterglow.analytics.urls")),
    path("", include("afterglow.research.urls")),
    path("", include("afterglow.audit.urls")),
    path("", include("afterglow.imaging.urls")),
    path("", include("afterglow.fhir.urls")),
    path("", include("afterglow.api.urls")),
    path("api/v1/", api_v1.urls),
]
