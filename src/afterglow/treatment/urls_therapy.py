from django.urls import path

app_name = "therapy"

urlpatterns: list = []
