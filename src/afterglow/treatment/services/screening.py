"""Writes for the pre-treatment screening and the prescriber's decision."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from afterglow.audit.models import Action
from afterglow.audit.services import CHANGED, audit_record
from afterglow.instruments.models import Response
from afterglow.patients.models import Patient
from afterglow.treatment import eligibility
from afterglow.treatment.models import Decision, Screening
from afterglow.treatment.selectors_screening import latest_baseline_pcl5


def screening_record(
    *,
    patient: Patient,
    by: User | None,
    answers: Mapping[str, str],
    systolic: int,
    diastolic: int,
    heart_rate: int,
    spo2: int | None,
    weight_kg: Decimal,
    height_cm: int,
    route: str = "iv",
    baseline_pcl5: Response | None = None,
    notes: str = "",
    assessed_at: dt.datetime | None = None,
) -> Screening:
    """Store one pre-treatment assessment, awaiting the prescriber's decision.

    Every checklist question must be answered (yes, no or unknown). Without an
    explicit ``baseline_pcl5`` the patient's latest complete past-month PCL-5
    taken by ``assessed_at`` is linked, so the decision page shows the score the
    course will be measured against. ``route`` is the treatment screened for ("iv",
    "im" or "intranasal"): which flags are absolute follows that drug's label.
    """
    now = timezone.now()
    assessed_at = assessed_at or now
    problems = eligibility.answer_problems(answers)
    if problems:
        raise ValidationError({"answers": problems})
    if assessed_at > now + dt.timedelta(minutes=5):
        raise ValidationError({"assessed_at": "The assessment time is in the future."})
    if baseline_pcl5 is None:
        baseline_pcl5 = latest_baseline_pcl5(patient=patient, before=assessed_at)
    elif baseline_pcl5.patient_id != patient.pk:
        raise ValidationError({"baseline_pcl5": "That PCL-5 belongs to another patient."})
    screening = Screening(
        clinic=patient.clinic,
        patient=patient,
        answers={item.code: answers[item.code] for item in eligibility.CHECKLIST},
        route=route,
        systolic=systolic,
        diastolic=diastolic,
        heart_rate=heart_rate,
        spo2=spo2,
        weight_kg=weight_kg,
        height_cm=height_cm,
        baseline_pcl5=baseline_pcl5,
        notes=notes,
        assessed_at=assessed_at,
        assessed_by=by,
    )
    # assessed_by is nullable without blank=True (the user may be deleted later): not validated.
    screening.full_clean(exclude=["assessed_by"])
    with transaction.atomic():
        screening.save()
        audit_record(
            action=Action.CREATE,
            actor=by,
            clinic=screening.clinic_id,
            patient=screening.patient_id,
            obj=screening,
        )
    return screening


def screening_flags(screening: Screening) -> list[eligibility.Flag]:
    """Every flag of a screening: the checklist's, then the measured baseline BP's."""
    raised = eligibility.flags(screening.answers or {}, route=screening.route)
    clinic = screening.patient.clinic
    bp = eligibility.baseline_bp_flag(
        systolic=screening.systolic,
        diastolic=screening.diastolic,
        systolic_limit=clinic.predose_systolic_reassess,
        diastolic_limit=clinic.predose_diastolic_reassess,
    )
    return [*raised, bp] if bp else raised


def _locked(screening: Screening) -> ValidationError:
    return ValidationError(
        f"This screening was already decided ({screening.get_decision_display().lower()}) "
        "and is locked. To change the decision, record a new screening."
    )


def screening_decide(
    *, screening: Screening, by: User, decision: str, reason: str, override_reason: str = ""
) -> Screening:
    """Record the prescriber's decision once; a decided screening is locked.

    Raises ``ValidationError`` (by field) when the decision lacks the written
    reasons it needs (``eligibility.decision_errors``), or when the screening was
    already decided: a changed decision is a new screening, so the first one and
    its reasons stay on the record.
    """
    if screening.decision != Decision.PENDING:
        raise _locked(screening)
    errors = eligibility.decision_errors(
        decision=decision,
        reason=reason,
        override_reason=override_reason,
        flags=screening_flags(screening),
    )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        # Re-read under the write lock so two prescribers deciding at once cannot both win.
        locked = Screening.objects.select_for_update().get(pk=screening.pk)
        if locked.decision != Decision.PENDING:
            raise _locked(locked)
        locked.decision = decision
        locked.decision_reason = reason.strip()
        locked.override_reason = override_reason.strip()
        locked.decided_at = timezone.now()
        locked.decided_by = by
        locked.full_clean(exclude=["assessed_by"])
        locked.save(
            update_fields=[
                "decision",
                "decision_reason",
                "override_reason",
                "decided_at",
                "decided_by",
            ]
        )
        # A decision is the prescriber's signature on the screening; reasons are free text.
        audit_record(
            action=Action.SIGN,
            actor=by,
            clinic=locked.clinic_id,
            patient=locked.patient_id,
            obj=locked,
            changes={
                "decision": {"old": Decision.PENDING.value, "new": decision},
                "decision_reason": CHANGED,
                **({"override_reason": CHANGED} if locked.override_reason else {}),
            },
        )
    for field in ("decision", "decision_reason", "override_reason", "decided_at", "decided_by"):
        setattr(screening, field, getattr(locked, field))
    return screening
