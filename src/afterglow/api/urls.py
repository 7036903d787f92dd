from django.urls import path

from afterglow.api import views

app_name = "api_tokens"

urlpatterns = [
    path("staff/api-tokens/", views.token_list, name="list"),
    path("staff/api-tokens/<int:pk>/revoke/", views.token_revoke, name="revoke"),
]
