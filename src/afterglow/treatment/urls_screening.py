from django.urls import path

from afterglow.treatment.views import screening as views

app_name = "screening"

urlpatterns = [
    path("patients/<int:patient_pk>/screening/new/", views.screening_new, name="new"),
    path("screenings/<int:pk>/", views.screening_detail, name="detail"),
    path("screenings/<int:pk>/decide/", views.screening_decide_view, name="decide"),
]
