from django.urls import path

from afterglow.intake import views

app_name = "intake"

urlpatterns = [
    path("", views.start, name="start"),
    path("thanks/", views.thanks, name="thanks"),
    path("c/<slug:slug>/", views.start, name="start_clinic"),
    path("c/<slug:slug>/thanks/", views.thanks, name="thanks_clinic"),
    path("staff/intake/", views.queue, name="queue"),
    path("staff/intake/<int:pk>/", views.detail, name="detail"),
    path("staff/intake/<int:pk>/status/", views.set_status, name="set_status"),
    path("staff/intake/<int:pk>/enrol/", views.enrol, name="enrol"),
]
