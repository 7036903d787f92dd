from django.urls import path

from afterglow.imaging import views

app_name = "imaging"

urlpatterns = [
    path("staff/imaging/", views.research, name="research"),
    path("staff/imaging/upload/", views.upload, name="upload"),
]
