from django.urls import path

from afterglow.alerts import views

app_name = "alerts"

urlpatterns = [
    path("staff/alerts/", views.inbox, name="inbox"),
    path("staff/alerts/<int:pk>/acknowledge/", views.acknowledge, name="acknowledge"),
]
