from django.urls import path

from afterglow.research import views

app_name = "research"

urlpatterns = [
    path("staff/outcomes/research.zip", views.export_zip, name="export_zip"),
]
