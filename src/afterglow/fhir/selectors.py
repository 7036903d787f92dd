"""Reads for the FHIR resources: rows from the database, built by the pure modules.

Each resource type has one or more *sources* (a queryset of the clinic's rows, the
field that stands for ``meta.lastUpdated`` and a builder). Search filters each source
by patient and ``_lastUpdated`` in SQL and pages over the sources in a fixed order;
``read`` finds one resource by its id. Everything is limited to one clinic.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.db.models import F, QuerySet
from django.db.models.functions import Coalesce

from afterglow.accounts.models import Clinic
from afterglow.diary.models import DiaryEntry
from afterglow.fhir.codes import mrn_system
from afterglow.fhir.observations import (
    DiaryRow,
    PatientRow,
    ScoreRow,
    diary_observations,
    patient_resource,
    score_observations,
)
from afterglow.fhir.questionnaires import ResponseRow, questionnaire, questionnaire_response
from afterglow.fhir.treatment import (
    AdverseEventRow,
    DoseRow,
    TherapyRow,
    adverse_event,
    dosing_encounter,
    dosing_procedure,
    medication_administration,
    therapy_encounter,
    therapy_procedure,
)
from afterglow.instruments.catalog import UnknownInstrument, all_instruments, get_instrument
from afterglow.instruments.models import Response, Source
from afterglow.patients.models import CareStatus, Patient
from afterglow.treatment.models import AdverseEvent, DosingSession, SessionStatus, TherapySession
from afterglow.treatment.models.sessions import LOCKED_STATUSES

Resource = dict[str, Any]
Builder = Callable[[Any], list[Resource]]

#: The patient-data resource types, in the order of an export.
PATIENT_TYPES = (
    "Patient",
    "QuestionnaireResponse",
    "Observation",
    "Encounter",
    "Procedure",
    "MedicationAdministration",
    "AdverseEvent",
)
TYPES = ("Questionnaire", *PATIENT_TYPES)


@dataclass(frozen=True)
class RowSource:
    queryset: QuerySet[Any]
    build: Builder
    patient_field: str = "patient_id"
    one_each: bool = True  # one resource per row: a page is sliced in SQL


def _person(user: User | None) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


# --- rows ----------------------------------------------------------------------------------------


def _patient_rows(patient: Patient) -> list[Resource]:
    row = PatientRow(
        pk=patient.pk,
        clinic_slug=patient.clinic.slug,
        mrn=patient.mrn,
        given_name=patient.given_name,
        family_name=patient.family_name,
        preferred_name=patient.preferred_name,
        date_of_birth=patient.date_of_birth,
        sex=patient.sex,
        email=patient.email,
        phone=patient.phone,
        active=patient.status != CareStatus.DISCHARGED,
        last_updated=patient.fhir_updated,  # type: ignore[attr-defined]
        preferred_channel=patient.preferred_channel,
        sms_opted_out=patient.sms_opted_out_at is not None,
    )
    return [patient_resource(row)]


def response_identifier(response: Response) -> str:
    """The client's identifier of a response created through FHIR, else a stable one."""
    stored = getattr(response, "fhir_identifier", None)
    return stored.value if stored is not None else f"{response.clinic.slug}-{response.pk}"


def _response_row(response: Response) -> ResponseRow:
    return ResponseRow(
        pk=response.pk,
        patient_pk=response.patient_id,
        instrument=get_instrument(response.instrument),
        answers=response.answers,
        administered_at=response.administered_at,
        complete=response.complete,
        voided=response.is_voided,
        identifier=response_identifier(response),
        patient_mrn=response.patient.mrn,
        mrn_system=mrn_system(response.clinic.slug),
        by_patient=response.source == Source.PATIENT_LINK,
        last_updated=response.fhir_updated,  # type: ignore[attr-defined]
    )


def _questionnaire_responses(response: Response) -> list[Resource]:
    return [questionnaire_response(_response_row(response))]


def _score_observations(response: Response) -> list[Resource]:
    return score_observations(
        ScoreRow(
            response_pk=response.pk,
            patient_pk=response.patient_id,
            instrument=get_instrument(response.instrument),
            administered_at=response.administered_at,
            total=response.total,
            subscales=response.subscales or {},
            severity=response.severity,
            voided=response.is_voided,
            last_updated=response.fhir_updated,  # type: ignore[attr-defined]
        )
    )


def _diary_observations(entry: DiaryEntry) -> list[Resource]:
    return diary_observations(
        DiaryRow(
            pk=entry.pk,
            patient_pk=entry.patient_id,
            day=entry.day,
            intrusive_memories=entry.intrusive_memories,
            flashbacks=entry.flashbacks,
            nightmares=entry.nightmares,
            peak_distress=entry.peak_distress,
            last_updated=entry.updated_at,
        )
    )


def _dose_row(session: DosingSession) -> DoseRow:
    signed_at = session.signed_at or session.created_at
    return DoseRow(
        pk=session.pk,
        patient_pk=session.patient_id,
        number=session.number,
        route=session.route,
        dosed=session.status == SessionStatus.SIGNED and session.actual_dose_mg is not None,
        dose_mg=session.actual_dose_mg,
        started_at=session.started_at,
        stopped_at=session.stopped_at,
        checked_at=session.predose_checked_at,
        discharged_at=session.discharged_at,
        signed_at=signed_at,
        performer=_person(session.dose_recorded_by),
        not_dosed_reason=session.get_not_dosed_reason_display() if session.not_dosed_reason else "",
        last_updated=signed_at,
    )


def _therapy_row(session: TherapySession) -> TherapyRow:
    return TherapyRow(
        pk=session.pk,
        patient_pk=session.patient_id,
        modality=session.modality,
        modality_label=session.get_modality_display(),
        started_at=session.started_at,
        duration_minutes=session.duration_minutes,
        therapist=_person(session.therapist),
        last_updated=session.created_at,
    )


def _adverse_events(event: AdverseEvent) -> list[Resource]:
    session = event.session
    onset = None
    if session.started_at is not None and event.onset_minute is not None:
        onset = session.started_at + dt.timedelta(minutes=event.onset_minute)
    return [
        adverse_event(
            AdverseEventRow(
                pk=event.pk,
                patient_pk=session.patient_id,
                session_pk=session.pk,
                session_dosed=session.status == SessionStatus.SIGNED
                and session.actual_dose_mg is not None,
                description=event.description,
                severity=event.severity,
                serious=event.serious,
                action_label=event.get_action_display(),
                onset=onset,
                recorded_at=event.recorded_at,
            )
        )
    ]


# --- sources per type ----------------------------------------------------------------------------


def _sources(clinic: Clinic, resource_type: str) -> list[RowSource]:
    responses = (
        Response.all_objects.filter(clinic=clinic)
        .select_related("clinic", "patient", "fhir_identifier")
        .annotate(fhir_updated=Coalesce("voided_at", "created_at"))
    )
    locked = (
        DosingSession.objects.filter(clinic=clinic, status__in=LOCKED_STATUSES)
        .select_related("dose_recorded_by")
        .annotate(fhir_updated=Coalesce("signed_at", "created_at"))
    )
    therapy = (
        TherapySession.objects.filter(clinic=clinic)
        .select_related("therapist")
        .annotate(fhir_updated=F("created_at"))
    )
    if resource_type == "Patient":
        patients = (
            Patient.objects.filter(clinic=clinic)
            .select_related("clinic")
            .annotate(fhir_updated=F("updated_at"))
        )
        return [RowSource(patients, _patient_rows, patient_field="pk")]
    if resource_type == "QuestionnaireResponse":
        return [RowSource(responses, _questionnaire_responses)]
    if resource_type == "Observation":
        diary = DiaryEntry.objects.filter(clinic=clinic).annotate(fhir_updated=F("updated_at"))
        return [
            RowSource(responses, _score_observations, one_each=False),
            RowSource(diary, _diary_observations, one_each=False),
        ]
    if resource_type == "MedicationAdministration":
        doses = locked.filter(status=SessionStatus.SIGNED, actual_dose_mg__isnull=False)
        return [RowSource(doses, lambda s: [medication_administration(_dose_row(s))])]
    if resource_type == "Encounter":
        return [
            RowSource(locked, lambda s: [dosing_encounter(_dose_row(s))]),
            RowSource(therapy, lambda s: [therapy_encounter(_therapy_row(s))]),
        ]
    if resource_type == "Procedure":
        return [
            RowSource(locked, lambda s: [dosing_procedure(_dose_row(s))]),
            RowSource(therapy, lambda s: [therapy_procedure(_therapy_row(s))]),
        ]
    if resource_type == "AdverseEvent":
        events = (
            AdverseEvent.objects.filter(session__clinic=clinic, session__status__in=LOCKED_STATUSES)
            .select_related("session")
            .annotate(fhir_updated=F("recorded_at"))
        )
        return [RowSource(events, _adverse_events, patient_field="session__patient_id")]
    raise KeyError(resource_type)


# --- search, read, everything --------------------------------------------------------------------


@dataclass(frozen=True)
class UpdatedBound:
    """One ``_lastUpdated`` condition, e.g. ``ge`` 2026-01-01T00:00:00+00:00."""

    prefix: str  # eq, ge, gt, le, lt
    moment: dt.datetime
    end: dt.datetime  # end of the precision given (eq on a day means that whole day)


def _filtered(
    source: RowSource, *, patient_id: int | None, updated: Iterable[UpdatedBound]
) -> QuerySet[Any]:
    rows = source.queryset
    if patient_id is not None:
        rows = rows.filter(**{source.patient_field: patient_id})
    for bound in updated:
        if bound.prefix == "eq":
            rows = rows.filter(fhir_updated__gte=bound.moment, fhir_updated__lt=bound.end)
        elif bound.prefix == "ge":
            rows = rows.filter(fhir_updated__gte=bound.moment)
        elif bound.prefix == "gt":
            rows = rows.filter(fhir_updated__gte=bound.end)
        elif bound.prefix == "le":
            rows = rows.filter(fhir_updated__lt=bound.end)
        elif bound.prefix == "lt":
            rows = rows.filter(fhir_updated__lt=bound.moment)
    return rows.order_by("fhir_updated", "pk")


@dataclass(frozen=True)
class Page:
    total: int
    resources: list[Resource]


def search(
    clinic: Clinic,
    resource_type: str,
    *,
    patient_id: int | None = None,
    updated: Iterable[UpdatedBound] = (),
    offset: int = 0,
    count: int = 50,
) -> Page:
    """One page of the clinic's resources of a type, oldest update first."""
    if resource_type == "Questionnaire":
        every = [questionnaire(instrument) for instrument in all_instruments()]
        return Page(len(every), every[offset : offset + count])
    bounds = list(updated)
    sources = _sources(clinic, resource_type)
    if all(source.one_each for source in sources):
        # One resource per row: count each source and fetch only the page's rows.
        total, skip = 0, offset
        page: list[Resource] = []
        for source in sources:
            rows = _filtered(source, patient_id=patient_id, updated=bounds)
            size = rows.count()
            total += size
            wanted = count - len(page)
            if wanted > 0 and skip < size:
                page += [r for row in rows[skip : skip + wanted] for r in source.build(row)]
            skip = max(0, skip - size)
        return Page(total, page)
    # Several Observations per response: build them all, then slice (scores are small).
    resources: list[Resource] = []
    for source in sources:
        rows = _filtered(source, patient_id=patient_id, updated=bounds)
        resources.extend(
            resource for row in rows.iterator(chunk_size=500) for resource in source.build(row)
        )
    return Page(len(resources), resources[offset : offset + count])


def everything(clinic: Clinic, patient_id: int) -> Iterator[Resource]:
    """Every resource about one patient, type by type (the Questionnaires they answered too)."""
    codes: set[str] = set()
    for resource_type in PATIENT_TYPES:
        for source in _sources(clinic, resource_type):
            for row in _filtered(source, patient_id=patient_id, updated=()).iterator(
                chunk_size=500
            ):
                if resource_type == "QuestionnaireResponse":
                    codes.add(row.instrument)
                yield from source.build(row)
    for code in sorted(codes):
        try:
            yield questionnaire(get_instrument(code))
        except UnknownInstrument:
            continue


def every_resource(clinic: Clinic, resource_type: str) -> Iterator[Resource]:
    """Every resource of a type in the clinic (for the Bulk Data style export)."""
    if resource_type == "Questionnaire":
        yield from (questionnaire(instrument) for instrument in all_instruments())
        return
    for source in _sources(clinic, resource_type):
        for row in _filtered(source, patient_id=None, updated=()).iterator(chunk_size=500):
            yield from source.build(row)


def read(clinic: Clinic, resource_type: str, resource_id: str) -> Resource | None:
    """One resource of the clinic by type and id, or ``None`` (also for another clinic's)."""
    if resource_type == "Questionnaire":
        for instrument in all_instruments():
            built = questionnaire(instrument)
            if built["id"] == resource_id:
                return built
        return None
    pk = _pk_in(resource_id)
    if pk is None:
        return None
    for source in _sources(clinic, resource_type):
        for row in source.queryset.filter(pk=pk):
            for resource in source.build(row):
                if resource["id"] == resource_id:
                    return resource
    return None


def _pk_in(resource_id: str) -> int | None:
    """The row id inside a resource id: ``12``, ``r12-total``, ``d3-flashbacks``, ``dosing-4``."""
    head = resource_id.split("-", 1)
    for part in (head[0], head[0][1:], head[-1] if len(head) > 1 else ""):
        if part.isdigit() and len(part) < 12:
            return int(part)
    return None


def patient_in_clinic(clinic: Clinic, patient_id: int) -> bool:
    return Patient.objects.filter(clinic=clinic, pk=patient_id).exists()


def patient_by_mrn(clinic: Clinic | None, mrn: str) -> list[Patient]:
    rows = Patient.objects.filter(mrn=mrn).select_related("clinic")
    if clinic is not None:
        rows = rows.filter(clinic=clinic)
    return list(rows)
