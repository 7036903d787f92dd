"""The Today board and the therapist's home (namespace ``board``), mounted under ``staff/``."""

from django.urls import path

from afterglow.treatment.views import board as views

app_name = "board"

urlpatterns = [
    path("today/", views.today, name="today"),
    path("today/rows/", views.today_rows, name="today_rows"),
    path("therapy/home/", views.therapist_home, name="therapist_home"),
]
