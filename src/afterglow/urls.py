from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("staff/", RedirectView.as_view(pattern_name="intake:queue"), name="home_staff"),
    path("staff/accounts/", include("afterglow.accounts.urls")),
    path("staff/admin/", admin.site.urls),
    path("", include("afterglow.patients.urls")),
    path("", include("afterglow.instruments.urls")),
    path("", include("afterglow.treatment.urls")),
    path("", include("afterglow.intake.urls")),
    path("", include("afterglow.diary.urls")),
    path("", include("afterglow.alerts.urls")),
]
