"""The chart pages keep their historic names (``patients:chart``, ``diary:patient``):
``afterglow/urls.py`` adds these patterns to the ``patients`` and ``diary`` namespaces,
so ``patients`` and ``diary`` never import this app (it sits above them)."""

from django.urls import path

from afterglow.charts import views

#: In the ``patients`` namespace.
patient_patterns = [
    path("staff/patients/<int:pk>/", views.chart_page, name="chart"),
]
#: In the ``diary`` namespace.
diary_patterns = [
    path("staff/patients/<int:patient_pk>/diary/", views.diary_page, name="patient"),
]
