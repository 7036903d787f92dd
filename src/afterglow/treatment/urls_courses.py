from django.urls import path

from afterglow.treatment.views import courses as views

app_name = "courses"

urlpatterns = [
    path("protocols/", views.protocol_list, name="protocols"),
    path("protocols/new/", views.protocol_new, name="protocol_new"),
    path("protocols/<int:pk>/edit/", views.protocol_edit, name="protocol_edit"),
    path("protocols/adopt/<slug:code>/", views.protocol_adopt, name="protocol_adopt"),
    path("patients/<int:patient_pk>/courses/new/", views.course_new, name="new"),
    path("courses/<int:pk>/", views.course_detail, name="detail"),
    path("courses/<int:pk>/pause/", views.course_pause_view, name="pause"),
    path("courses/<int:pk>/resume/", views.course_resume_view, name="resume"),
    path("courses/<int:pk>/end/", views.course_end_view, name="end"),
    path(
        "courses/<int:pk>/sessions/<int:number>/plan/",
        views.planned_session_edit,
        name="plan_session",
    ),
    path("courses/<int:pk>/maintenance/", views.course_maintenance_view, name="maintenance"),
]
