from django.urls import path

from afterglow.diary import views

app_name = "diary"

urlpatterns = [
    path("d/<str:token>/", views.today, name="today"),
    path("d/<str:token>/<str:day>/", views.day, name="day"),
    path("staff/patients/<int:patient_pk>/diary-link/", views.link_new, name="link_new"),
    path("staff/diary-links/<int:pk>/revoke/", views.link_revoke, name="link_revoke"),
    path("staff/patients/<int:patient_pk>/diary/", views.patient_diary, name="patient"),
]
