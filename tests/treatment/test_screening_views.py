"""Screening: a nurse or prescriber records it, every flag shows with its source, and only a
prescriber decides, once, with the written reasons the decision needs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from afterglow.accounts.models import Role
from afterglow.instruments.services import response_record
from afterglow.treatment.eligibility import CHECKLIST
from afterglow.treatment.models import Screening
from afterglow.treatment.services.screening import screening_decide, screening_record
from tests.conftest import _persona
from tests.factories import PatientFactory, ScreeningFactory, answers

VITALS = {
    "systolic": 124,
    "diastolic": 79,
    "heart_rate": 68,
    "spo2": 98,
    "weight_kg": Decimal("81.4"),
    "height_cm": 180,
}


@pytest.fixture
def patient(clinic):
    return PatientFactory(clinic=clinic, given_name="Ada", family_name="Quill")


@pytest.fixture
def therapist(clinic):
    return _persona(clinic, Role.THERAPIST, "therapist")


def _post_data(**overrides: str) -> dict[str, object]:
    data: dict[str, object] = {f"check_{code}": value for code, value in answers().items()}
    data.update({k: str(v) for k, v in VITALS.items()})
    data["route"] = "iv"
    data.update(overrides)
    return data


def _pcl5(patient, total_items: int, *, days_ago: int, code: str = "pcl5", complete=True):
    items: list[int | None] = [total_items] * 20
    if not complete:
        items[3] = None
    return response_record(
        patient=patient,
        instrument_code=code,
        answers=items,
        source="staff",
        administered_at=timezone.now() - dt.timedelta(days=days_ago),
    )


# --- services -------------------------------------------------------------------------------


def test_the_baseline_is_the_latest_complete_past_month_pcl5(patient) -> None:
    _pcl5(patient, 3, days_ago=40)
    latest_complete = _pcl5(patient, 2, days_ago=10)
    _pcl5(patient, 1, days_ago=5, complete=False)  # incomplete: no score, not a baseline
    _pcl5(patient, 1, days_ago=2, code="pcl5_past_week")  # the weekly version is not baseline
    screening = screening_record(
        patient=patient, by=None, answers=answers(), baseline_pcl5=None, notes="", **VITALS
    )
    assert screening.baseline_pcl5 == latest_complete
    assert screening.baseline_pcl5.total == 40
    assert screening.decision == "pending"
    assert screening.bmi == Decimal("25.1")


def test_a_screening_without_any_pcl5_is_still_stored(patient) -> None:
    screening = screening_record(patient=patient, by=None, answers=answers(), **VITALS)
    assert screening.baseline_pcl5 is None


def test_every_question_must_be_answered(patient) -> None:
    partial = answers()
    del partial["pregnancy"]
    with pytest.raises(ValidationError, match="Pregnancy or breastfeeding"):
        screening_record(patient=patient, by=None, answers=partial, **VITALS)
    assert not Screening.objects.exists()


def test_a_pcl5_of_another_patient_is_refused(patient, clinic) -> None:
    other = _pcl5(PatientFactory(clinic=clinic), 2, days_ago=1)
    with pytest.raises(ValidationError, match="another patient"):
        screening_record(patient=patient, by=None, answers=answers(), baseline_pcl5=other, **VITALS)


def test_not_eligible_needs_a_reason(clinician, patient) -> None:
    screening = ScreeningFactory(patient=patient)
    with pytest.raises(ValidationError) as caught:
        screening_decide(screening=screening, by=clinician.user, decision="not_eligible", reason="")
    assert caught.value.message_dict == {"reason": ["Give the reason the patient is not eligible."]}


def test_eligible_over_an_absolute_flag_needs_the_override_and_keeps_it(clinician, patient):
    screening = ScreeningFactory(patient=patient, answers=answers(current_mania="unknown"))
    with pytest.raises(ValidationError) as caught:
        screening_decide(screening=screening, by=clinician.user, decision="eligible", reason="")
    assert list(caught.value.message_dict) == ["override_reason"]
    screening_decide(
        screening=screening,
        by=clinician.user,
        decision="eligible",
        reason="",
        override_reason="Psychiatric review 3 Dec: euthymic, no mania.",
    )
    screening.refresh_from_db()
    assert screening.decision == "eligible"
    assert screening.override_reason.startswith("Psychiatric review")
    assert screening.decided_by == clinician.user and screening.decided_at is not None


def test_a_decided_screening_is_locked(clinician, patient) -> None:
    screening = ScreeningFactory(patient=patient)
    screening_decide(screening=screening, by=clinician.user, decision="eligible", reason="")
    with pytest.raises(ValidationError, match="locked"):
        screening_decide(
            screening=screening, by=clinician.user, decision="not_eligible", reason="Changed mind"
        )
    # A stale copy loaded before the first decision is refused too.
    stale = Screening.objects.get(pk=screening.pk)
    stale.decision = "pending"
    with pytest.raises(ValidationError, match="locked"):
        screening_decide(screening=stale, by=clinician.user, decision="not_eligible", reason="Race")
    screening.refresh_from_db()
    assert screening.decision == "eligible"


def test_a_high_baseline_bp_is_a_relative_flag_that_needs_no_override(clinician, patient):
    screening = ScreeningFactory(patient=patient, systolic=150, diastolic=95)
    screening_decide(screening=screening, by=clinician.user, decision="eligible", reason="")
    assert screening.decision == "eligible"


# --- pages ----------------------------------------------------------------------------------


def test_a_nurse_records_a_screening(colleague, patient) -> None:
    url = reverse("screening:new", kwargs={"patient_pk": patient.pk})
    page = colleague.client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    for item in CHECKLIST:
        assert escape(item.question) in html, item.code
        assert escape(item.source) in html, item.code
    response = colleague.client.post(url, _post_data(check_pregnancy="unknown"), follow=True)
    screening = Screening.objects.get()
    assert response.redirect_chain[-1][0] == reverse(
        "screening:detail", kwargs={"pk": screening.pk}
    )
    assert screening.assessed_by == colleague.user
    assert screening.answers["pregnancy"] == "unknown"
    assert b"Screening recorded" in response.content
    assert b"Pregnancy or breastfeeding" in response.content
    assert b"answer unknown" in response.content


def test_the_form_keeps_what_was_typed_and_says_what_is_missing(colleague, patient) -> None:
    data = _post_data(systolic="131", notes="Seen with partner.")
    del data["check_dementia"]
    response = colleague.client.post(
        reverse("screening:new", kwargs={"patient_pk": patient.pk}), data
    )
    assert response.status_code == 400
    assert not Screening.objects.exists()
    assert b"Answer yes, no or unknown." in response.content
    assert b'value="131"' in response.content
    assert b"Seen with partner." in response.content
    assert b"Screening recorded" not in response.content


def test_a_failed_save_never_reports_success(colleague, patient, monkeypatch) -> None:
    def broken(**kwargs: object) -> None:
        raise DatabaseError("disk full")

    monkeypatch.setattr("afterglow.treatment.views.screening.screening_record", broken)
    response = colleague.client.post(
        reverse("screening:new", kwargs={"patient_pk": patient.pk}), _post_data(systolic="133")
    )
    assert response.status_code == 503
    assert b"Nothing was saved" in response.content
    assert b'value="133"' in response.content
    assert b"Screening recorded" not in response.content


def test_every_flag_shows_with_its_kind_and_source(clinician, patient) -> None:
    screening = ScreeningFactory(
        patient=patient, answers=answers(arteriovenous_malformation="yes", dementia="unknown")
    )
    page = clinician.client.get(reverse("screening:detail", kwargs={"pk": screening.pk}))
    html = page.content.decode()
    assert page.status_code == 200
    assert "flag-item-absolute" in html and "Arteriovenous malformation" in html
    assert "flag-item-relative" in html and "Dementia" in html
    assert "Esketamine (Spravato) label contraindication" in html
    assert "Trial exclusion: dementia" in html
    # The decision form repeats the flags and asks for the override.
    assert 'name="override_reason"' in html
    assert "Required if you decide “Eligible”" in html


def test_the_override_error_is_inline_and_the_typed_reason_stays(clinician, patient) -> None:
    screening = ScreeningFactory(patient=patient, answers=answers(hypersensitivity="yes"))
    response = clinician.client.post(
        reverse("screening:decide", kwargs={"pk": screening.pk}),
        {"decision": "eligible", "reason": "Benefit outweighs risk.", "override_reason": ""},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "needs a written reason for the override" in html
    assert "Benefit outweighs risk." in html
    assert "Decision recorded" not in html
    screening.refresh_from_db()
    assert screening.decision == "pending"


def test_the_prescriber_decides_and_the_page_locks(clinician, patient) -> None:
    screening = ScreeningFactory(patient=patient)
    url = reverse("screening:decide", kwargs={"pk": screening.pk})
    response = clinician.client.post(
        url, {"decision": "not_eligible", "reason": "Unstable housing; revisit."}, follow=True
    )
    assert b"Decision recorded: not eligible." in response.content
    assert b"A decided screening is locked." in response.content
    assert b'action="' + url.encode() not in response.content
    again = clinician.client.post(url, {"decision": "eligible", "reason": ""}, follow=True)
    assert b"already decided" in again.content
    screening.refresh_from_db()
    assert screening.decision == "not_eligible"


def test_a_nurse_cannot_decide(colleague, patient) -> None:
    screening = ScreeningFactory(patient=patient)
    page = colleague.client.get(reverse("screening:detail", kwargs={"pk": screening.pk}))
    assert page.status_code == 200 and b'name="decision"' not in page.content
    response = colleague.client.post(
        reverse("screening:decide", kwargs={"pk": screening.pk}),
        {"decision": "eligible", "reason": ""},
    )
    assert response.status_code == 403
    screening.refresh_from_db()
    assert screening.decision == "pending"


def test_a_therapist_may_read_but_not_record(therapist, patient):
    screening = ScreeningFactory(patient=patient)
    detail = therapist.client.get(reverse("screening:detail", kwargs={"pk": screening.pk}))
    assert detail.status_code == 200
    new = therapist.client.get(reverse("screening:new", kwargs={"patient_pk": patient.pk}))
    assert new.status_code == 403


def test_a_coordinator_can_neither_read_nor_record_a_screening(coordinator, patient):
    """A screening is a clinical record: not for intake coordinators (minimum necessary)."""
    screening = ScreeningFactory(patient=patient)
    detail = coordinator.client.get(reverse("screening:detail", kwargs={"pk": screening.pk}))
    assert detail.status_code == 403
    new = coordinator.client.get(reverse("screening:new", kwargs={"patient_pk": patient.pk}))
    assert new.status_code == 403


def test_a_researcher_cannot_open_a_screening(researcher, patient) -> None:
    screening = ScreeningFactory(patient=patient)
    response = researcher.client.get(reverse("screening:detail", kwargs={"pk": screening.pk}))
    assert response.status_code == 403
    assert b"Quill" not in response.content


def test_an_outsider_gets_404_for_another_clinics_screening(outsider, patient) -> None:
    screening = ScreeningFactory(patient=patient)
    for method, url in (
        ("get", reverse("screening:detail", kwargs={"pk": screening.pk})),
        ("post", reverse("screening:decide", kwargs={"pk": screening.pk})),
        ("get", reverse("screening:new", kwargs={"patient_pk": patient.pk})),
        ("post", reverse("screening:new", kwargs={"patient_pk": patient.pk})),
    ):
        response = getattr(outsider.client, method)(url, {"decision": "eligible"})
        assert response.status_code == 404, url
        assert b"Quill" not in response.content


def test_an_anonymous_visitor_is_sent_to_log_in(anonymous, patient) -> None:
    screening = ScreeningFactory(patient=patient)
    response = anonymous.get(reverse("screening:detail", kwargs={"pk": screening.pk}))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


# --- the treatment screened for decides which flags are absolute (issue 9 section 5) ---------


def test_a_blood_pressure_hazard_needs_an_override_for_iv_ketamine_only(clinician, patient) -> None:
    vitals = {**VITALS, "weight_kg": Decimal("70.0")}
    given = answers(bp_rise_hazard="yes")
    for_iv = screening_record(patient=patient, by=clinician.user, answers=given, **vitals)
    assert for_iv.route == "iv"
    with pytest.raises(ValidationError) as caught:
        screening_decide(screening=for_iv, by=clinician.user, decision="eligible", reason="")
    assert (
        "Blood-pressure rise would be a serious hazard"
        in caught.value.message_dict["override_reason"][0]
    )
    for_esketamine = screening_record(
        patient=patient, by=clinician.user, answers=given, route="intranasal", **vitals
    )
    decided = screening_decide(
        screening=for_esketamine, by=clinician.user, decision="eligible", reason="BP controlled."
    )
    assert decided.decision == "eligible" and decided.override_reason == ""


def test_the_screening_form_asks_which_treatment_and_shows_both_kinds(colleague, patient) -> None:
    url = reverse("screening:new", kwargs={"patient_pk": patient.pk})
    html = colleague.client.get(url).content.decode()
    assert "Treatment this screening is for" in html
    assert "Absolute for IV/IM ketamine" in html and "Relative for esketamine" in html
    assert "Ketalar" in html
    response = colleague.client.post(url, _post_data(route="im"))
    assert response.status_code == 302
    assert Screening.objects.get().route == "im"


def test_a_course_follows_a_screening_for_the_same_drug(clinician, patient) -> None:
    from afterglow.treatment.services.courses import course_start
    from tests.factories import esketamine_protocol

    ScreeningFactory(patient=patient, eligible=True, route="iv")
    with pytest.raises(ValidationError, match="Record a screening for it first"):
        course_start(
            patient=patient,
            protocol=esketamine_protocol(patient.clinic),
            start_date=timezone.localdate(timezone=patient.clinic.tzinfo),
            by=clinician.user,
        )


# --- the "all answered No" shortcut (issue 14 §5) ------------------------------------------


def _without_checklist(**overrides: str) -> dict[str, object]:
    data = {k: v for k, v in _post_data().items() if not k.startswith("check_")}
    data.update(overrides)
    return data


def test_all_answered_no_is_refused_without_its_confirmation(colleague, patient) -> None:
    url = reverse("screening:new", kwargs={"patient_pk": patient.pk})
    response = colleague.client.post(url, _without_checklist(all_no="on"))
    assert response.status_code == 400
    assert not Screening.objects.exists()
    html = response.content.decode()
    assert "Tick this to confirm every answer was No" in html
    assert 'href="#id_all_no_confirmed"' in html  # the error summary links to it
    assert "Answer yes, no or unknown." not in html  # the shortcut stands in for them


def test_all_answered_no_with_confirmation_records_no_for_every_question(
    colleague, patient
) -> None:
    url = reverse("screening:new", kwargs={"patient_pk": patient.pk})
    response = colleague.client.post(url, _without_checklist(all_no="on", all_no_confirmed="on"))
    assert response.status_code == 302
    screening = Screening.objects.get()
    assert screening.answers == {item.code: "no" for item in CHECKLIST}


def test_all_answered_no_is_refused_when_an_answer_says_otherwise(colleague, patient) -> None:
    url = reverse("screening:new", kwargs={"patient_pk": patient.pk})
    data = _without_checklist(all_no="on", all_no_confirmed="on", check_pregnancy="unknown")
    response = colleague.client.post(url, data)
    assert response.status_code == 400
    assert not Screening.objects.exists()
    assert "is ticked but these are answered otherwise" in response.content.decode()
