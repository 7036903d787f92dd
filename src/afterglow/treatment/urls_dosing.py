"""The chair-side dosing session (namespace ``dosing``), mounted under ``staff/``.

``planned_pk`` is a PlannedSession; every other ``pk`` is a DosingSession, and
``alert_pk`` a SessionAlert of that session.
"""

from django.urls import path

from afterglow.treatment.views import sessions as views

app_name = "dosing"

urlpatterns = [
    path("planned/<int:planned_pk>/start/", views.start, name="start"),
    path("sessions/<int:pk>/", views.session_detail, name="session"),
    path("sessions/<int:pk>/predose/", views.predose, name="predose"),
    path("sessions/<int:pk>/dose/", views.dose, name="dose"),
    path("sessions/<int:pk>/stop/", views.stop, name="stop"),
    path("sessions/<int:pk>/vitals/", views.vitals, name="vitals"),
    path("sessions/<int:pk>/dissociation/", views.dissociation, name="dissociation"),
    path("sessions/<int:pk>/sedation/", views.sedation, name="sedation"),
    path("sessions/<int:pk>/side-effects/", views.side_effects, name="side_effects"),
    path("sessions/<int:pk>/adverse-events/", views.adverse_event, name="adverse_event"),
    path(
        "sessions/<int:pk>/alerts/<int:alert_pk>/acknowledge/",
        views.alert_ack,
        name="alert_ack",
    ),
    path("sessions/<int:pk>/alerts/acknowledge/", views.alerts_ack, name="alerts_ack"),
    path("sessions/<int:pk>/discharge/", views.discharge, name="discharge"),
    path(
        "sessions/<int:pk>/discharge/override/",
        views.discharge_override,
        name="discharge_override",
    ),
    path("sessions/<int:pk>/not-dosed/", views.not_dosed, name="not_dosed"),
    path(
        "sessions/<int:pk>/not-dosed/withdraw/",
        views.not_dosed_withdraw,
        name="not_dosed_withdraw",
    ),
    path("sessions/<int:pk>/sign/", views.sign, name="sign"),
    path("sessions/<int:pk>/amend/", views.amend, name="amend"),
]
