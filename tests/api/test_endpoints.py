"""The resources: clinic isolation, pagination, scoring on create, audit of every read."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.utils import timezone

from afterglow.alerts.models import Alert
from afterglow.analytics.evidence import load_trials
from afterglow.audit.models import Action, AuditEvent
from afterglow.diary.models import DiaryEntry
from afterglow.instruments.models import Response
from afterglow.patients.models import Patient
from tests.api.data import clinic_with_history
from tests.factories import PatientFactory

PROBLEM = "application/problem+json"


def reads() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=Action.READ).order_by("seq"))


def test_every_object_of_another_clinic_is_404_and_leaks_nothing(clinician, api_outsider) -> None:
    history = clinic_with_history(clinician)
    for path in (
        f"/api/v1/patients/{history.patient.pk}",
        f"/api/v1/patients/{history.patient.pk}/outcome",
        f"/api/v1/responses/{history.baseline.pk}",
        f"/api/v1/courses/{history.course.pk}",
        f"/api/v1/dosing-sessions/{history.session.pk}",
        f"/api/v1/responses?patient_id={history.patient.pk}",
        f"/api/v1/diary-entries?patient_id={history.patient.pk}",
    ):
        answer = api_outsider.get(path)
        assert answer.status_code == 404, path
        assert answer["Content-Type"] == PROBLEM
        assert b"Zebedee" not in answer.content
    for path in ("/api/v1/patients", "/api/v1/responses", "/api/v1/diary-entries"):
        assert api_outsider.get(path).json()["items"] == [], path
    posted = api_outsider.post(
        "/api/v1/responses",
        {"patient_id": history.patient.pk, "instrument": "pcl5", "answers": [0] * 20},
    )
    assert posted.status_code == 404
    assert Response.objects.filter(patient=history.patient).count() == 2
    # A 404 is not a read of anything: no event names the home clinic's patient.
    assert not [event for event in reads() if event.patient_id == history.patient.pk]


def test_each_read_of_patient_data_writes_one_audit_event_naming_the_token_user(
    clinician, api
) -> None:
    history = clinic_with_history(clinician)
    patient = history.patient
    cases = [
        (f"/api/v1/patients/{patient.pk}", "api:patient", patient.pk),
        (f"/api/v1/patients/{patient.pk}/outcome", "api:outcome", patient.pk),
        (f"/api/v1/responses/{history.baseline.pk}", "api:response", patient.pk),
        (f"/api/v1/courses/{history.course.pk}", "api:course", patient.pk),
        (f"/api/v1/dosing-sessions/{history.session.pk}", "api:dosing_session", patient.pk),
        (f"/api/v1/diary-entries?patient_id={patient.pk}", "api:diary_list", patient.pk),
        ("/api/v1/patients", "api:patient_list", None),
        ("/api/v1/analysis/cohort", "api:cohort_analysis", None),
    ]
    for path, object_type, patient_id in cases:
        before = AuditEvent.objects.count()
        assert api.get(path).status_code == 200, path
        assert AuditEvent.objects.count() == before + 1, path
        event = AuditEvent.objects.order_by("-seq").first()
        assert (event.action, event.object_type, event.patient_id) == (
            Action.READ,
            object_type,
            patient_id,
        )
        assert event.actor_user_id == clinician.user.pk
        assert event.clinic_id == clinician.clinic.pk
    # The trials catalog holds no patient data: no event.
    before = AuditEvent.objects.count()
    assert api.get("/api/v1/trials").status_code == 200
    assert AuditEvent.objects.count() == before


def test_patients_page_by_cursor_without_gaps_or_repeats(clinician, api) -> None:
    made = {PatientFactory(clinic=clinician.clinic).pk for _ in range(7)}
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        body = api.get("/api/v1/patients", params).json()
        seen += [p["id"] for p in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert pages == 3 and sorted(seen) == sorted(made) and len(seen) == 7


def test_a_tampered_or_foreign_cursor_is_400(clinician, api) -> None:
    for _ in range(3):
        PatientFactory(clinic=clinician.clinic)
    cursor = api.get("/api/v1/patients", {"limit": 1}).json()["next_cursor"]
    tampered = api.get("/api/v1/patients", {"cursor": cursor[:-2] + "xx"})
    assert tampered.status_code == 400 and "cursor" in tampered.json()["detail"]
    # A patients cursor means nothing to the responses list.
    assert api.get("/api/v1/responses", {"cursor": cursor}).status_code == 400


def test_updated_since_returns_changed_patients_and_needs_a_time_zone(
    clinician, api, time_machine
) -> None:
    time_machine.move_to(dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC), tick=False)
    old = PatientFactory(clinic=clinician.clinic)
    PatientFactory(clinic=clinician.clinic)
    time_machine.move_to(dt.datetime(2026, 3, 2, 12, tzinfo=dt.UTC), tick=False)
    old.phone = "555-0100"
    old.save()
    body = api.get("/api/v1/patients", {"updated_since": "2026-03-02T00:00:00Z"}).json()
    assert [p["id"] for p in body["items"]] == [old.pk]
    assert body["items"][0]["updated_at"] == "2026-03-02T12:00:00Z"
    naive = api.get("/api/v1/patients", {"updated_since": "2026-03-02T00:00:00"})
    assert naive.status_code == 422 and "time zone" in naive.json()["detail"]


def test_a_posted_response_is_scored_by_the_catalog_audited_and_raises_its_alerts(
    clinician, api
) -> None:
    patient = PatientFactory(clinic=clinician.clinic)
    answer = api.post(
        "/api/v1/responses",
        {
            "patient_id": patient.pk,
            "instrument": "phq9",
            "answers": [3, 3, 2, 2, 1, 1, 0, 0, 1],  # 13: moderate; item 9 > 0
            "administered_at": "2026-01-05T09:30:00+01:00",
            "timepoint": "baseline",
        },
    )
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert (body["total"], body["severity"], body["complete"]) == (13, "moderate", True)
    assert body["administered_at"] == "2026-01-05T08:30:00Z"
    stored = Response.objects.get(pk=body["id"])
    assert stored.entered_by == clinician.user and stored.total == 13
    assert Alert.objects.filter(patient=patient, response=stored).exists()
    event = AuditEvent.objects.get(action=Action.CREATE, object_id=str(stored.pk))
    assert event.actor_user_id == clinician.user.pk


def test_a_skipped_item_is_stored_incomplete_without_a_total(clinician, api) -> None:
    patient = PatientFactory(clinic=clinician.clinic)
    answers = [2] * 20
    answers[4] = None
    body = api.post(
        "/api/v1/responses", {"patient_id": patient.pk, "instrument": "pcl5", "answers": answers}
    ).json()
    assert (body["complete"], body["total"], body["missing_items"]) == (False, None, [5])


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"instrument": "gad7"}, "unknown instrument 'gad7'; known codes"),
        ({"answers": [1] * 8}, "9"),
        ({"answers": [1] * 8 + [7]}, "item 9 is 7"),
        ({"administered_at": "2099-01-01T00:00:00Z"}, "in the future"),
        ({"answers": "many"}, "body.payload.answers"),
    ],
)
def test_bad_answers_are_422_with_a_reason_and_nothing_is_stored(
    clinician, api, change, says
) -> None:
    patient = PatientFactory(clinic=clinician.clinic)
    body = {"patient_id": patient.pk, "instrument": "phq9", "answers": [0] * 9, **change}
    answer = api.post("/api/v1/responses", body)
    assert answer.status_code == 422
    assert answer["Content-Type"] == PROBLEM
    problem = answer.json()
    assert problem["status"] == 422 and problem["title"] and says in problem["detail"]
    assert not patient.responses.exists()


def test_a_body_that_is_not_json_is_400_problem(clinician, api) -> None:
    answer = api.client.post(
        "/api/v1/responses",
        "{not json",
        content_type="application/json",
        headers=api._headers(),
    )
    assert answer.status_code == 400 and "not valid JSON" in answer.json()["detail"]


def test_unknown_paths_and_methods_are_problems_too(api) -> None:
    missing = api.get("/api/v1/no-such-thing")
    assert missing.status_code == 404 and missing["Content-Type"] == PROBLEM
    assert missing["Cache-Control"] == "no-store" and missing["X-Request-ID"]
    wrong = api.client.delete("/api/v1/patients", headers=api._headers())
    assert wrong.status_code == 405 and wrong["Allow"] == "GET"
    assert wrong.json()["detail"].startswith("This path does not take that method")


def test_diary_entries_follow_the_diary_rules(clinician, api) -> None:
    patient = PatientFactory(clinic=clinician.clinic)
    today = timezone.localdate(timezone=clinician.clinic.tzinfo)
    entry = {"patient_id": patient.pk, "day": today.isoformat()}
    first = api.post("/api/v1/diary-entries", {**entry, "intrusive_memories": 3, "flashbacks": 1})
    assert first.status_code == 201
    again = api.post("/api/v1/diary-entries", {**entry, "none_today": True})
    assert again.status_code == 200 and again.json()["intrusive_memories"] == 0
    assert DiaryEntry.objects.filter(patient=patient).count() == 1
    missing = api.post("/api/v1/diary-entries", {**entry})
    assert missing.status_code == 422 and "Both counts" in missing.json()["detail"]
    future = (today + dt.timedelta(days=1)).isoformat()
    refused = api.post("/api/v1/diary-entries", {**entry, "day": future, "flashbacks": 0})
    assert refused.status_code == 422 and "future" in refused.json()["detail"]
    urgent = api.post(
        "/api/v1/diary-entries",
        {**entry, "day": (today - dt.timedelta(days=1)).isoformat(), "urgent": True},
    )
    assert urgent.status_code == 201
    assert Alert.objects.filter(patient=patient).count() == 1
    listed = api.get("/api/v1/diary-entries", {"patient_id": patient.pk}).json()["items"]
    # Oldest change first: today's entry, then yesterday's urgent note.
    assert [e["day"] for e in listed] == [
        today.isoformat(),
        (today - dt.timedelta(days=1)).isoformat(),
    ]


def test_the_outcome_is_what_afterglow_outcome_prints_for_the_same_course(clinician, api) -> None:
    clinic_with_history(clinician)
    patient = Patient.objects.get(given_name="Zebedee")
    body = api.get(f"/api/v1/patients/{patient.pk}/outcome").json()
    assert body["available"] is True and body["baseline"] == 50
    latest = body["outcome"]["latest"]
    # Hand-worked: 50 -> 30 is -20 points, -40.0 %: a response (>= 30 %), a reliable
    # improvement (>= 10 points), below the cutoff of 33, so a reliable recovery.
    assert (latest["total"], latest["change"], latest["percent_change"]) == (30, -20, -40.0)
    assert latest["response"] and latest["reliable_improvement"] and latest["reliable_recovery"]
    out = io.StringIO()
    line = json.dumps({"baseline": 50, "followups": [{"day": latest["day"], "total": 30}]})
    call_command("outcome", "pcl5", stdin=io.StringIO(line + "\n"), stdout=out)
    assert body["outcome"] == json.loads(out.getvalue())


def test_cohort_analysis_hides_a_clinic_below_its_minimum_n(clinician, api) -> None:
    clinic_with_history(clinician)
    body = api.get("/api/v1/analysis/cohort").json()
    assert body == {
        "min_n": 10,
        "shown": False,
        "reason": "fewer than 10 treated patients with PCL-5 data",
        "analysis": None,
    }
    assert api.get("/api/v1/analysis/cohort", {"by": "shoe_size"}).status_code == 422


def test_the_trials_catalog_is_the_shipped_file(api) -> None:
    body = api.get("/api/v1/trials").json()
    assert [e["id"] for e in body["entries"]] == [t.id for t in load_trials()]


def test_courses_and_sessions_read_as_recorded(clinician, api) -> None:
    history = clinic_with_history(clinician)
    course = api.get(f"/api/v1/courses/{history.course.pk}").json()
    assert course["protocol"]["route"] == "iv" and course["patient_id"] == history.patient.pk
    sessions = api.get("/api/v1/dosing-sessions", {"course_id": history.course.pk}).json()
    assert [(s["number"], s["status"], s["actual_dose_mg"]) for s in sessions["items"]] == [
        (1, "signed", 40.0)
    ]


def test_a_patient_reads_with_their_channel_and_sms_opt_out_and_a_stop_shows_in_the_sync(
    clinician, api, time_machine
) -> None:
    from afterglow.patients.services import patient_sms_opt_change

    time_machine.move_to(dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC), tick=False)
    texter = PatientFactory(clinic=clinician.clinic, phone="+15555550142", preferred_channel="sms")
    quiet = PatientFactory(clinic=clinician.clinic, preferred_channel="")
    body = api.get(f"/api/v1/patients/{texter.pk}").json()
    assert (body["preferred_channel"], body["sms_opted_out_at"]) == ("sms", None)
    assert api.get(f"/api/v1/patients/{quiet.pk}").json()["preferred_channel"] == ""

    # The patient texts STOP a day later: the next sync by updated_since carries it.
    time_machine.move_to(dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC), tick=False)
    assert patient_sms_opt_change(sender="+15555550142", opted_out=True) == [texter]
    synced = api.get("/api/v1/patients", {"updated_since": "2026-03-02T00:00:00Z"}).json()
    [row] = synced["items"]
    assert (row["id"], row["preferred_channel"], row["sms_opted_out_at"]) == (
        texter.pk,
        "sms",
        "2026-03-02T09:30:00Z",
    )


def test_the_channel_and_opt_out_are_read_only_in_the_schema(api) -> None:
    schema = api.get("/api/v1/openapi.json").json()["components"]["schemas"]
    patient = schema["PatientOut"]["properties"]
    assert "preferred_channel" in patient and "sms_opted_out_at" in patient
    assert "Read only." in patient["preferred_channel"]["description"]
    # No operation writes a patient: the API has no POST/PUT/PATCH under /patients.
    paths = api.get("/api/v1/openapi.json").json()["paths"]
    for path, operations in paths.items():
        if path.startswith("/api/v1/patients"):
            assert set(operations) <= {"get"}, path
