"""Which roles may download which report."""

from __future__ import annotations

from afterglow.accounts.models import Role

#: The patient progress report carries identifiers and clinical detail for a referring
#: clinician: clinical staff only. Intake coordinators and researchers do not get it.
PATIENT_REPORT_ROLES = frozenset({Role.PRESCRIBER, Role.NURSE, Role.THERAPIST, Role.ADMIN})
