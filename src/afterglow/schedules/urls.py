from django.urls import path

from afterglow.schedules import views

app_name = "schedules"

urlpatterns = [
    path("staff/worklist/", views.worklist_page, name="worklist"),
    path("staff/invitations/<int:pk>/messages/", views.deliveries_page, name="deliveries"),
    path(
        "staff/patients/<int:patient_pk>/measurements/closed/",
        views.closed_page,
        name="measurements_closed",
    ),
    path("staff/invitations/<int:pk>/send/", views.send_now, name="send_now"),
    path("staff/invitations/<int:pk>/cancel/", views.cancel, name="cancel"),
    path("staff/invitations/<int:pk>/again/", views.send_again, name="send_again"),
    path("staff/invitations/<int:pk>/channel/", views.switch_channel, name="switch_channel"),
    path("sms/twilio/status/", views.twilio_status, name="twilio_status"),
    path("sms/twilio/inbound/", views.twilio_inbound, name="twilio_inbound"),
]
