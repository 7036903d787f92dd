"""Chair-side safety guards: a dose above a guardrail needs a reason and a second prescriber's
co-signature, an open "reassess" alert needs a prescriber's confirmation, an off-plan start
needs a reason, a vitals minute cannot be in the future, an early stop asks to confirm.

Personas: ``colleague`` is the nurse, ``clinician`` a prescriber; ``second`` is another
prescriber of the same clinic, ``therapist`` a non-prescriber, ``outsider`` a prescriber of
another clinic. Every user's password is ``tests.factories.PASSWORD``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from afterglow.accounts.models import Role
from afterglow.audit.models import Action, AuditEvent
from afterglow.treatment.models import DosingSession, SessionAlert
from afterglow.treatment.services.sessions import (
    session_record_dose,
    session_start,
    session_stop,
    vitals_record,
)
from tests.conftest import _persona
from tests.factories import PASSWORD, course_on, dosed, iv_protocol, predosed


@pytest.fixture
def second(clinic):
    return _persona(clinic, Role.PRESCRIBER, "second")


@pytest.fixture
def therapist(clinic):
    return _persona(clinic, Role.THERAPIST, "therapist")


@pytest.fixture
def course(clinic, colleague):
    return course_on(iv_protocol(clinic), by=colleague.user)


def url(name: str, session: DosingSession) -> str:
    return reverse(f"dosing:{name}", kwargs={"pk": session.pk})


def record(session: DosingSession, by, mg: str, **extra: Any) -> DosingSession:
    return session_record_dose(
        session=session,
        by=by,
        actual_dose_mg=Decimal(mg),
        concentration_mg_per_ml=Decimal(10),
        lot_number="KET-1",
        started_at=timezone.now(),
        **extra,
    )


def test_the_clinic_settings_default_to_the_dosing_modules_guardrails() -> None:
    from afterglow.accounts.models import Clinic
    from afterglow.treatment.dosing import (
        DEFAULT_ABOVE_PLANNED_PERCENT,
        DEFAULT_IV_MAX_MG_PER_KG_PER_HOUR,
        DEFAULT_MAX_MG_PER_KG,
    )

    def default(name: str) -> object:
        return Clinic._meta.get_field(name).default  # type: ignore[union-attr]

    assert default("max_mg_per_kg_iv") == DEFAULT_MAX_MG_PER_KG["iv"] == Decimal("0.75")
    assert default("max_mg_per_kg_im") == DEFAULT_MAX_MG_PER_KG["im"] == Decimal("1.0")
    assert default("iv_max_mg_per_kg_per_hour") == DEFAULT_IV_MAX_MG_PER_KG_PER_HOUR
    assert default("dose_above_planned_percent") == DEFAULT_ABOVE_PLANNED_PERCENT
    for name in ("max_mg_per_kg_im", "iv_max_mg_per_kg_per_hour", "dose_above_planned_percent"):
        assert "UNCONFIRMED" in Clinic._meta.get_field(name).help_text, name
    assert "Andrade 2017" in Clinic._meta.get_field("max_mg_per_kg_iv").help_text


# --- co-signature above a guardrail (service) -----------------------------------------------------

# 70 kg: the IV guardrail 0.75 mg/kg is 52.5 mg; 56 mg is 0.8 mg/kg and, over 40 min,
# 56 / 70 / 40 x 60 = 1.2 mg/kg/h (> 1.0). It is also 60 % above the planned 35 mg.
ABOVE = {"mg": "56.0", "deviation_reason": "Ordered 0.8 mg/kg after no response to 0.5."}


def test_a_dose_above_the_guardrail_needs_a_reason_and_a_cosignature(
    course, colleague, second
) -> None:
    session = predosed(course, colleague.user)
    with pytest.raises(ValidationError) as caught:
        record(session, colleague.user, **ABOVE)
    errors = caught.value.message_dict
    assert errors.keys() == {"guardrail_reason", "cosigner_username"}
    [reason] = errors["guardrail_reason"]
    assert "0.8 mg/kg is above the clinic's IV guardrail of 0.75 mg/kg (52.5 mg at 70 kg)" in reason
    assert "1.2 mg/kg/h is faster than the clinic's guardrail of 1 mg/kg/h" in reason
    assert "56 mg is more than 5 % above the planned 35 mg" in reason
    assert DosingSession.objects.get().actual_dose_mg is None

    signed = record(
        session,
        colleague.user,
        **ABOVE,
        guardrail_reason="Prescriber's order after two sessions without response.",
        cosigner_username="second",
        cosigner_password=PASSWORD,
    )
    stored = DosingSession.objects.get(pk=signed.pk)
    assert stored.actual_dose_mg == Decimal("56.0")
    assert stored.cosigned_by == second.user and stored.cosigned_at is not None
    assert stored.dose_recorded_by == colleague.user
    assert stored.guardrail_reason == "Prescriber's order after two sessions without response."
    assert "0.75 mg/kg" in stored.guardrail_warnings


@pytest.mark.parametrize(
    ("who", "password", "field", "message"),
    [
        ("second", "not-the-password", "cosigner_password", "do not match an account"),
        ("nobody", PASSWORD, "cosigner_password", "do not match an account"),
        ("clinician", PASSWORD, "cosigner_username", "not the person recording the dose"),
        ("therapist", PASSWORD, "cosigner_username", "Only another prescriber of this clinic"),
        ("colleague", PASSWORD, "cosigner_username", "not the person recording the dose"),
        ("outsider", PASSWORD, "cosigner_username", "Only another prescriber of this clinic"),
        ("", "", "cosigner_username", "A second prescriber must co-sign"),
    ],
)
def test_the_cosigner_must_be_another_prescriber_of_the_clinic_with_the_right_password(
    course, clinician, colleague, second, therapist, outsider, who, password, field, message
) -> None:
    # The prescriber records here, so "clinician" is the recorder; "colleague" is a nurse.
    session = predosed(course, clinician.user)
    recorder = colleague.user if who == "colleague" else clinician.user
    with pytest.raises(ValidationError) as caught:
        record(
            session,
            recorder,
            **ABOVE,
            guardrail_reason="Ordered.",
            cosigner_username=who,
            cosigner_password=password,
        )
    assert list(caught.value.message_dict) == [field]
    assert message in caught.value.message_dict[field][0]
    assert DosingSession.objects.get().actual_dose_mg is None


def test_an_inactive_prescriber_cannot_cosign(course, colleague, second) -> None:
    second.membership.is_active = False
    second.membership.save()
    session = predosed(course, colleague.user)
    with pytest.raises(ValidationError, match="Only another prescriber"):
        record(
            session,
            colleague.user,
            **ABOVE,
            guardrail_reason="Ordered.",
            cosigner_username="second",
            cosigner_password=PASSWORD,
        )


def test_the_tolerance_above_the_planned_dose_is_the_clinics(course, colleague, clinic) -> None:
    session = predosed(course, colleague.user)  # planned 35.0 mg
    # 36.7 mg is 4.9 % above: within the default 5 %; the protocol reason is still asked.
    assert (
        record(session, colleague.user, "36.7", deviation_reason="Vial rounding.").cosigned_by
        is None
    )
    # 36.8 mg is 5.1 % above (36.75 is exactly 5 %).
    with pytest.raises(ValidationError, match=r"more than 5 % above the planned 35 mg"):
        record(session, colleague.user, "36.8", deviation_reason="Vial rounding.")
    clinic.dose_above_planned_percent = 10
    clinic.save()
    assert record(session, colleague.user, "38.5", deviation_reason="x").actual_dose_mg == Decimal(
        "38.5"
    )
    with pytest.raises(ValidationError, match=r"more than 10 % above"):
        record(session, colleague.user, "38.6", deviation_reason="x")


def test_above_the_clinics_maximum_single_dose_needs_a_cosignature(course, colleague, clinic):
    clinic.max_dose_mg = 30
    clinic.save()
    session = predosed(course, colleague.user)  # 35 mg capped: 30 mg planned
    assert session.planned_dose_mg == Decimal("30.0") and session.dose_capped
    with pytest.raises(ValidationError) as caught:
        record(session, colleague.user, "31.0", deviation_reason="x")
    assert "above the clinic's maximum single dose of 30 mg" in " ".join(
        caught.value.message_dict["guardrail_reason"]
    )


def test_no_path_records_more_than_2_mg_per_kg(course, clinician, second) -> None:
    session = predosed(course, clinician.user)  # 70 kg: 140 mg is 2 mg/kg
    with pytest.raises(ValidationError, match=r"more than 2 mg/kg at 70.0 kg \(140 mg\)"):
        record(
            session,
            clinician.user,
            "140.1",
            deviation_reason="x",
            guardrail_reason="x",
            cosigner_username="second",
            cosigner_password=PASSWORD,
        )
    assert DosingSession.objects.get().actual_dose_mg is None


def test_a_dose_within_the_guardrails_clears_an_earlier_cosignature(course, colleague, second):
    session = predosed(course, colleague.user)
    record(
        session,
        colleague.user,
        **ABOVE,
        guardrail_reason="Ordered.",
        cosigner_username="second",
        cosigner_password=PASSWORD,
    )
    corrected = record(session, colleague.user, "35.0")  # typo corrected before signing
    assert (corrected.cosigned_by, corrected.guardrail_warnings, corrected.guardrail_reason) == (
        None,
        "",
        "",
    )


def test_an_im_dose_uses_the_im_guardrail_and_no_rate(clinic, colleague, second) -> None:
    protocol = iv_protocol(clinic, name="IM ketamine", route="im", infusion_minutes=None)
    session = predosed(course_on(protocol), colleague.user)  # 0.5 mg/kg at 70 kg = 35 mg
    clinic.dose_above_planned_percent = 50
    clinic.save()
    # 1.0 mg/kg IM (70 mg) is at the IM guardrail: allowed with a reason only; 70.1 is above.
    with pytest.raises(ValidationError) as caught:
        record(session, colleague.user, "70.1", deviation_reason="x")
    assert (
        "above the clinic's IM guardrail of 1 mg/kg"
        in caught.value.message_dict["guardrail_reason"][0]
    )
    assert "mg/kg/h" not in caught.value.message_dict["guardrail_reason"][0]


# --- co-signature on the page ---------------------------------------------------------------------


def form(session: DosingSession, **changes: str) -> dict[str, str]:
    started_at = timezone.localtime(timezone=session.clinic.tzinfo).strftime("%Y-%m-%dT%H:%M")
    return {
        "actual_dose_mg": "56.0",
        "concentration_mg_per_ml": "10",
        "lot_number": "KET-77",
        "started_at": started_at,
        "deviation_reason": "Ordered 0.8 mg/kg.",
        "guardrail_reason": "Two sessions without response.",
        "cosigner_username": "second",
        "cosigner_password": PASSWORD,
        **changes,
    }


def test_the_dose_form_refuses_a_wrong_password_and_keeps_what_was_typed(
    course, colleague, second
) -> None:
    session = predosed(course, colleague.user)
    response = colleague.client.post(url("dose", session), form(session, cosigner_password="x"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "do not match an account; nothing was saved" in html
    for typed in ('value="56.0"', 'value="KET-77"', 'value="second"'):
        assert typed in html
    assert "Two sessions without response." in html and "Ordered 0.8 mg/kg." in html
    assert PASSWORD not in html  # a password is never written back into the page
    assert DosingSession.objects.get().actual_dose_mg is None


def test_the_signed_record_shows_the_reason_and_both_names(course, colleague, second) -> None:
    session = predosed(course, colleague.user)
    response = colleague.client.post(url("dose", session), form(session))
    assert response.status_code == 302
    html = colleague.client.get(url("session", session)).content.decode()
    assert "Above a guardrail" in html and "Two sessions without response." in html
    recorder = colleague.user.get_full_name()
    cosigner = second.user.get_full_name()
    assert f"Recorded by {recorder}; co-signed by {cosigner} (prescriber)" in html


def test_the_page_warns_before_a_dose_above_the_guardrail(clinic, colleague) -> None:
    protocol = iv_protocol(
        clinic, dose_mg_per_kg=Decimal("0.8"), dose_mg_per_kg_max=Decimal("0.8"),
        dose_mg_per_kg_min=Decimal("0.8"),
    )  # fmt: skip
    session = predosed(course_on(protocol), colleague.user)
    html = colleague.client.get(url("session", session)).content.decode()
    assert "0.8 mg/kg is above the clinic&#x27;s IV guardrail of 0.75 mg/kg" in html
    assert "second prescriber&#x27;s co-signature" in html
    assert "1.2 mg/kg/h" in html  # the pump line shows the rate per kg


# --- an open "reassess" alert ------------------------------------------------------------------


def test_dosing_over_an_open_reassess_alert_needs_a_prescribers_reason(
    course, colleague, clinician
) -> None:
    session = predosed(course, colleague.user, systolic=150, diastolic=95)  # >= 140/90
    [alert] = SessionAlert.objects.filter(level="reassess")
    with pytest.raises(ValidationError) as caught:
        record(session, colleague.user, "35.0")  # the nurse
    assert (
        "a prescriber confirms dosing with a reason"
        in caught.value.message_dict["reassess_reason"][0]
    )
    with pytest.raises(ValidationError, match="Confirm dosing with a reason"):
        record(session, clinician.user, "35.0")
    done = record(session, clinician.user, "35.0", reassess_reason="Repeat BP 138/88, anxious.")
    assert (done.reassess_confirmed_by, done.reassess_confirm_reason) == (
        clinician.user,
        "Repeat BP 138/88, anxious.",
    )
    alert.refresh_from_db()
    assert alert.acknowledged_by == clinician.user  # no longer blocks signing


def test_an_acknowledged_reassess_alert_asks_nothing_more(course, colleague) -> None:
    session = predosed(course, colleague.user, systolic=150, diastolic=95)
    SessionAlert.objects.update(acknowledged_at=timezone.now(), acknowledged_by=colleague.user)
    assert record(session, colleague.user, "35.0").reassess_confirmed_by is None


def test_the_dose_form_asks_for_the_reassess_reason(course, clinician, colleague) -> None:
    session = predosed(course, colleague.user, systolic=150, diastolic=95)
    data = form(session, actual_dose_mg="35.0", deviation_reason="", guardrail_reason="")
    response = clinician.client.post(url("dose", session), data)
    assert response.status_code == 400
    assert "Open reassessment alert" in response.content.decode()
    data["reassess_reason"] = "Repeat BP fine."
    assert clinician.client.post(url("dose", session), data).status_code == 302
    page = clinician.client.get(url("session", session)).content.decode()
    assert "Dosed despite reassessment" in page and "Repeat BP fine." in page


# --- starting off the plan ----------------------------------------------------------------------

# Wednesday 2 December 2026, 10:00 in New York (the factory clinic's timezone): a dosing day.
WEDNESDAY = dt.datetime(2026, 12, 2, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5)))


def test_a_start_on_the_planned_dosing_day_asks_nothing(course, colleague) -> None:
    planned = course.planned.get(number=1)
    planned.planned_date = dt.date(2026, 12, 2)
    planned.save()
    with time_machine.travel(WEDNESDAY, tick=False):
        session = session_start(planned=planned, by=colleague.user)
    assert (session.off_schedule_warning, session.off_schedule_reason) == ("", "")


def test_a_start_on_another_day_or_a_non_dosing_day_needs_a_reason(course, colleague) -> None:
    planned = course.planned.get(number=1)
    planned.planned_date = dt.date(2026, 12, 2)
    planned.save()
    saturday = WEDNESDAY + dt.timedelta(days=3)
    with time_machine.travel(saturday, tick=False):
        with pytest.raises(ValidationError) as caught:
            session_start(planned=planned, by=colleague.user)
        [message] = caught.value.message_dict["off_schedule_reason"]
        assert "Today (Sat 05 Dec) is not this session's planned date (Wed 02 Dec)." in message
        assert "Saturday is not one of the clinic's dosing days." in message
        assert not DosingSession.objects.exists()
        session = session_start(
            planned=planned, by=colleague.user, off_schedule_reason="Patient away Wednesday."
        )
    assert session.off_schedule_reason == "Patient away Wednesday."
    assert "Saturday is not one of the clinic's dosing days." in session.off_schedule_warning


def test_the_start_page_warns_and_keeps_the_form(course, colleague) -> None:
    planned = course.planned.get(number=1)
    planned.planned_date = dt.date(2026, 12, 2)
    planned.save()
    start = reverse("dosing:start", kwargs={"planned_pk": planned.pk})
    with time_machine.travel(WEDNESDAY + dt.timedelta(days=1), tick=False):  # Thursday
        page = colleague.client.get(start).content.decode()
        assert "Off the plan:" in page and "not this session&#x27;s planned date" in page
        refused = colleague.client.post(start, {"off_schedule_reason": "  "})
        assert refused.status_code == 400 and "Give the reason for dosing today." in (
            refused.content.decode()
        )
        done = colleague.client.post(start, {"off_schedule_reason": "Moved by the patient."})
        session = DosingSession.objects.get()
        # Still on the frozen day: leaving it would end the session on its idle limit.
        shown = colleague.client.get(url("session", session)).content.decode()
    assert done.status_code == 302 and session.off_schedule_reason == "Moved by the patient."
    assert "Started off the plan:" in shown and "Moved by the patient." in shown


# --- vitals minutes and the stop time ------------------------------------------------------------


def test_a_vitals_minute_in_the_future_is_refused(course, colleague) -> None:
    session = dosed(course, colleague.user, minutes_ago=30)
    # 30 min elapsed + 5 of slack: minute 35 is accepted, 36 is not.
    vitals_record(session=session, by=colleague.user, minute=35, systolic=130)
    with pytest.raises(ValidationError) as caught:
        vitals_record(session=session, by=colleague.user, minute=40, systolic=130)
    assert caught.value.message_dict["minute"] == [
        "Minute 40 has not happened yet: the dose started 30 min ago. Check the minute."
    ]


def test_the_vitals_row_shows_the_minute_refusal(course, colleague) -> None:
    session = dosed(course, colleague.user, minutes_ago=10)
    data = {"minute": "90", "systolic": "130", "diastolic": "", "heart_rate": "", "spo2": ""}
    response = colleague.client.post(url("vitals", session), {**data, "respiratory_rate": ""})
    assert response.status_code == 400
    assert "Minute 90 has not happened yet" in response.content.decode()
    assert session.vitals.filter(minute=90).count() == 0


def test_a_stop_before_during_readings_warns_then_records_when_confirmed(course, colleague) -> None:
    session = dosed(course, colleague.user, minutes_ago=60)
    vitals_record(session=session, by=colleague.user, minute=45, systolic=130)
    stop = timezone.localtime(session.started_at + dt.timedelta(minutes=40), session.clinic.tzinfo)
    data = {"stopped_at": stop.strftime("%Y-%m-%dT%H:%M")}
    response = colleague.client.post(url("stop", session), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "earlier than readings recorded during the dose (at 45 min)" in html
    assert "Yes, the dose stopped at this time" in html
    assert DosingSession.objects.get().stopped_at is None
    assert colleague.client.post(url("stop", session), {**data, "confirm": "on"}).status_code == 302
    assert session.vitals.get(minute=45).phase == "post"
    # A stop after every "during" reading asks nothing.
    assert (
        session_stop(
            session=session,
            by=colleague.user,
            stopped_at=session.started_at + dt.timedelta(minutes=50),
        ).stopped_at
        is not None
    )


# --- an amendment is no way around the guardrails --------------------------------------------


def test_amending_a_signed_dose_above_a_guardrail_needs_a_cosignature(
    course, colleague, second
) -> None:
    from afterglow.treatment.services.sessions import session_amend, session_sign
    from tests.factories import ready_to_sign

    signed = session_sign(session=ready_to_sign(course, colleague.user), by=colleague.user)
    amend = {"session": signed, "by": colleague.user, "reason": "Pump log shows 56 mg given."}
    with pytest.raises(ValidationError) as caught:
        session_amend(field="actual_dose_mg", new_value="56.0", **amend)
    assert "A second prescriber must co-sign" in caught.value.message_dict["cosigner_username"][0]
    assert "0.75 mg/kg" in " ".join(caught.value.message_dict["new_value"])
    assert DosingSession.objects.get().actual_dose_mg == Decimal("35.0")
    amendment = session_amend(
        field="actual_dose_mg",
        new_value="56.0",
        cosigner_username="second",
        cosigner_password=PASSWORD,
        **amend,
    )
    assert amendment.cosigned_by == second.user and "0.75 mg/kg" in amendment.guardrail_warnings
    assert DosingSession.objects.get().actual_dose_mg == Decimal("56.0")
    # 56 mg at 20 kg would be 2.8 mg/kg: refused whoever co-signs.
    with pytest.raises(ValidationError, match="more than 2 mg/kg"):
        session_amend(
            field="weight_kg",
            new_value="20",
            cosigner_username="second",
            cosigner_password=PASSWORD,
            **amend,
        )
    assert DosingSession.objects.get().weight_kg == Decimal("70.0")
    # A correction within the guardrails needs no co-signer.
    plain = session_amend(field="lot_number", new_value="KET-9", **amend)
    assert plain.cosigned_by is None and plain.guardrail_warnings == ""


def test_wrong_cosigning_passwords_count_towards_that_prescribers_lockout(
    course, colleague, second, settings
) -> None:
    # Guessing a colleague's password through the co-signature box is a failed sign-in
    # like any other: the fifth locks that prescriber out, and each is audited.
    session = predosed(course, colleague.user)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        with pytest.raises(ValidationError):
            record(
                session,
                colleague.user,
                **ABOVE,
                guardrail_reason="Tolerated well before.",
                cosigner_username=second.user.username,
                cosigner_password="not-the-password",
            )
    failed = AuditEvent.objects.filter(action=Action.SIGN_IN_FAILED)
    assert failed.count() == settings.AXES_FAILURE_LIMIT
    assert AuditEvent.objects.filter(action=Action.LOCKOUT).exists()
    with pytest.raises(ValidationError):  # now refused even with the right password
        record(
            session,
            colleague.user,
            **ABOVE,
            guardrail_reason="Tolerated well before.",
            cosigner_username=second.user.username,
            cosigner_password=PASSWORD,
        )
