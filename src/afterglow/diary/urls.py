from django.urls import path

from afterglow.diary import views

app_name = "diary"

# The staff diary page (name "patient") is added to this namespace from ``charts.urls``
# in afterglow/urls.py: it reads the patient chart, which sits above this app.

urlpatterns = [
    path("d/<str:token>/", views.today, name="today"),
    path("d/<str:token>/<str:day>/", views.day, name="day"),
    path("staff/patients/<int:patient_pk>/diary-link/", views.link_new, name="link_new"),
    path("staff/diary-links/<int:pk>/revoke/", views.link_revoke, name="link_revoke"),
]
