"""Which roles may do what in treatment. Viewing is open to every clinical role."""

from __future__ import annotations

from afterglow.accounts.models import CLINICAL_ROLES, Role

VIEW_ROLES = CLINICAL_ROLES
# Pre-treatment assessment: prescribers and nurses take it; only a prescriber decides.
SCREENING_ROLES = frozenset({Role.PRESCRIBER, Role.NURSE})
DECIDE_ROLES = frozenset({Role.PRESCRIBER})
# Protocols and courses are prescribing decisions; clinic admins maintain protocols.
PROTOCOL_ROLES = frozenset({Role.PRESCRIBER, Role.ADMIN})
COURSE_ROLES = frozenset({Role.PRESCRIBER})
# The chair-side session: nurses run it, prescribers too; both can sign. A therapist
# cannot record or sign a dose.
DOSING_ROLES = frozenset({Role.NURSE, Role.PRESCRIBER})
THERAPY_ROLES = frozenset({Role.THERAPIST, Role.PRESCRIBER})
