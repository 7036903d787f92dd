from django.urls import path

app_name = "dosing"

urlpatterns: list = []
