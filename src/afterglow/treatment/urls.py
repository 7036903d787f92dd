"""Treatment URLs, one module per area so each stays small.

Namespaces: ``screening``, ``courses`` (protocols and courses), ``dosing``, ``therapy``,
``board`` (the Today board and the therapist's home).
"""

from django.urls import include, path

urlpatterns = [
    path("staff/", include("afterglow.treatment.urls_screening")),
    path("staff/", include("afterglow.treatment.urls_courses")),
    path("staff/", include("afterglow.treatment.urls_dosing")),
    path("staff/", include("afterglow.treatment.urls_therapy")),
    path("staff/", include("afterglow.treatment.urls_board")),
]
