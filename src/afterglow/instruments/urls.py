from django.urls import path

from afterglow.instruments import views

app_name = "instruments"

urlpatterns = [
    path("staff/instruments/", views.catalog, name="catalog"),
    path(
        "staff/patients/<int:patient_pk>/responses/new/<slug:code>/",
        views.response_new,
        name="response_new",
    ),
    path("staff/responses/<int:pk>/", views.response_detail, name="response_detail"),
    path("staff/responses/<int:pk>/void/", views.response_void_page, name="response_void"),
    path("staff/patients/<int:patient_pk>/links/new/", views.link_new, name="link_new"),
    path("staff/links/<int:pk>/revoke/", views.link_revoke, name="link_revoke"),
    path("q/<str:token>/", views.answer, name="answer"),
]
