"""The patient chart: PCL-5 trajectory, its table, and a constant query count."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from afterglow.instruments.services import response_record
from tests.factories import PatientFactory


def _record(patient, answers, days_ago: int, code: str = "pcl5"):
    return response_record(
        patient=patient,
        instrument_code=code,
        answers=answers,
        source="staff",
        administered_at=timezone.now() - dt.timedelta(days=days_ago),
    )


def _chart_queries(persona, patient) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = persona.client.get(reverse("patients:chart", kwargs={"pk": patient.pk}))
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_the_query_count_does_not_grow_with_the_number_of_responses(clinician) -> None:
    one = PatientFactory(clinic=clinician.clinic)
    _record(one, [2] * 20, days_ago=1)
    _record(one, [1] * 9, days_ago=1, code="phq9")
    fifty = PatientFactory(clinic=clinician.clinic)
    for day in range(50):
        _record(fifty, [day % 5] * 20, days_ago=day, code="pcl5" if day % 2 else "pcl5_past_week")
        # PHQ-9s too, some with item 9 above 0 and some incomplete (both drawn and listed).
        _record(fifty, [1] * 8 + [day % 2 if day % 7 else None], days_ago=day, code="phq9")
    # Links too, since the chart lists them.
    assert _chart_queries(clinician, one) == _chart_queries(clinician, fifty)


def test_the_chart_plots_total_and_intrusion_with_the_cutoff_and_a_table(clinician) -> None:
    patient = PatientFactory(clinic=clinician.clinic)
    # Hand-worked: B = 4+4+3+3+2 = 16; C = 3+3 = 6; D = 7 items of 2 = 14; E = 6 items of 1 = 6.
    answers = [4, 4, 3, 3, 2, 3, 3, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1]
    _record(patient, answers, days_ago=10)
    _record(patient, [1] * 20, days_ago=3)
    response = clinician.client.get(reverse("patients:chart", kwargs={"pk": patient.pk}))
    page = response.content.decode()
    figure = response.context["figure"]
    totals = [trace["y"] for trace in figure["data"]]
    assert totals == [[42, 20], [16, 5]]
    assert figure["layout"]["shapes"][0]["y0"] == clinician.clinic.pcl5_cutoff == 33
    assert "/static/vendor/plotly/plotly.min.js" in page
    assert "cdn" not in page.lower()
    table = page.split('id="pcl5-table"')[1]
    assert "<strong>42</strong>" in table and "<strong>20</strong>" in table


def test_an_incomplete_response_is_listed_but_never_plotted_as_zero(clinician) -> None:
    patient = PatientFactory(clinic=clinician.clinic)
    _record(patient, [2] * 20, days_ago=5)
    _record(patient, [None, *([3] * 19)], days_ago=2)
    response = clinician.client.get(reverse("patients:chart", kwargs={"pk": patient.pk}))
    figure = response.context["figure"]
    assert figure["data"][0]["y"] == [40]
    assert "item 1 not answered; not scored" in response.content.decode()


def test_a_clinic_cutoff_setting_changes_the_flag_and_the_line(clinician) -> None:
    clinician.clinic.pcl5_cutoff = 31
    clinician.clinic.save()
    patient = PatientFactory(clinic=clinician.clinic)
    stored = _record(patient, [2] * 15 + [1] * 2 + [0] * 3, days_ago=1)  # total 32
    assert (stored.total, stored.flag, stored.cutoff_used) == (32, True, 31)
    response = clinician.client.get(reverse("patients:chart", kwargs={"pk": patient.pk}))
    assert response.context["figure"]["layout"]["shapes"][0]["y0"] == 31


def test_a_patient_with_no_pcl5_gets_a_plain_message(clinician) -> None:
    patient = PatientFactory(clinic=clinician.clinic)
    response = clinician.client.get(reverse("patients:chart", kwargs={"pk": patient.pk}))
    assert response.context["figure"] is None
    assert b"No complete PCL-5 yet" in response.content


def test_the_plotly_script_is_served_from_the_installed_package(clinician, live_server) -> None:
    import urllib.request

    with urllib.request.urlopen(f"{live_server.url}/static/vendor/plotly/plotly.min.js") as r:
        head = r.read(300).decode()
    assert "plotly.js" in head


@pytest.mark.parametrize("text", ["zeb", "AG-000777", "zebedee@example"])
def test_the_patient_list_searches_name_record_number_and_email(clinician, text) -> None:
    PatientFactory(clinic=clinician.clinic, given_name="Zebedee", mrn="AG-000777")
    PatientFactory(clinic=clinician.clinic, given_name="Ann", mrn="AG-000001")
    page = clinician.client.get(reverse("patients:list"), {"q": text}).content.decode()
    assert "Zebedee" in page and "Ann" not in page.split("<tbody>")[1]


def test_the_patient_list_does_not_show_other_clinics(clinician, other_clinic) -> None:
    PatientFactory(clinic=other_clinic, given_name="Faraway")
    assert b"Faraway" not in clinician.client.get(reverse("patients:list")).content


def test_staff_can_add_and_edit_a_patient_and_bad_input_is_kept(clinician) -> None:
    data = {
        "given_name": "Lee",
        "family_name": "Park",
        "date_of_birth": "2999-01-01",
        "sex": "female",
        "trauma_context": "civilian",
        "veteran_status": "none",
        "status": "screening",
    }
    response = clinician.client.post(reverse("patients:new"), data)
    assert response.status_code == 200 and b"in the future" in response.content
    assert b'value="Lee"' in response.content
    data["date_of_birth"] = "1990-01-01"
    response = clinician.client.post(reverse("patients:new"), data)
    patient = clinician.clinic.patients.get()
    assert response["Location"] == reverse("patients:chart", kwargs={"pk": patient.pk})
    data["preferred_name"] = "Lee-Lee"
    clinician.client.post(reverse("patients:edit", kwargs={"pk": patient.pk}), data)
    patient.refresh_from_db()
    assert patient.preferred_name == "Lee-Lee"
