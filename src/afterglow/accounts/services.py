"""Writes for clinic settings and staff memberships."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from afterglow.accounts.models import Clinic, Membership, Role
from afterglow.audit.models import Action
from afterglow.audit.services import audit_record, field_changes, snapshot, stored_values

CLINIC_SETTING_FIELDS = (
    "name",
    "timezone",
    "pcl5_cutoff",
    "link_expiry_days",
    "emergency_number",
    "crisis_line",
    "crisis_line_phone",
    "crisis_line_sms",
    "urgent_response_text",
    "dosing_weekdays",
    "max_dose_mg",
    "default_concentration_mg_per_ml",
    # Dose guardrails (issue 9): above them, a reason and a second prescriber's co-signature.
    "max_mg_per_kg_iv",
    "max_mg_per_kg_im",
    "iv_max_mg_per_kg_per_hour",
    "dose_above_planned_percent",
    "predose_systolic_reassess",
    "predose_diastolic_reassess",
    "dosing_systolic_pause",
    "dosing_diastolic_pause",
    "dosing_spo2_pause_below",
    "dosing_heart_rate_pause_above",
    "observation_minutes",
    "therapy_window_start_hours",
    "therapy_window_end_hours",
    "diary_link_days",
    "diary_edit_days",
    "outcome_response_percent",
    "outcome_reliable_points",
    "loss_confirmations",
    "response_requires_reliable",
    "invitation_reminders",
    "reminder_interval_hours",
    "diary_missed_days_alert",
    "analytics_min_n",
)


def clinic_create(*, name: str, slug: str, timezone: str) -> Clinic:
    """A new clinic with every clinical setting at its documented default."""
    with transaction.atomic():
        if Clinic.objects.filter(slug=slug).exists():
            raise ValidationError(f"A clinic with the slug {slug!r} already exists.")
        clinic = Clinic(name=name, slug=slug, timezone=timezone)
        clinic.full_clean()
        clinic.save()
    return clinic


def clinic_update_settings(*, clinic: Clinic, data: dict[str, Any]) -> Clinic:
    with transaction.atomic():
        before = stored_values(clinic, CLINIC_SETTING_FIELDS)
        for field in CLINIC_SETTING_FIELDS:
            if field in data:
                setattr(clinic, field, data[field])
        clinic.full_clean()
        clinic.save()
        # Thresholds and settings are recorded with their old and new values.
        changes = field_changes(before, snapshot(clinic, CLINIC_SETTING_FIELDS))
        if changes:
            audit_record(action=Action.SETTINGS, clinic=clinic, obj=clinic, changes=changes)
    return clinic


def membership_create(
    *,
    clinic: Clinic,
    username: str,
    email: str,
    first_name: str,
    last_name: str,
    role: str,
    password: str,
) -> Membership:
    """Create a staff account and its membership in ``clinic``.

    An existing account (same username) joins the clinic instead; its password is
    left alone, since it may already be in use at another clinic.
    """
    with transaction.atomic():
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username, email=email, first_name=first_name, last_name=last_name)
            validate_password(password, user)
            user.set_password(password)
            user.full_clean()
            user.save()
        if Membership.objects.filter(user=user, clinic=clinic).exists():
            raise ValidationError(f"{username} is already a member of {clinic.name}.")
        membership = Membership(user=user, clinic=clinic, role=role)
        membership.full_clean()
        membership.save()
        audit_record(
            action=Action.ROLE,
            clinic=clinic,
            obj=membership,
            changes={"user": username, "role": {"old": None, "new": role}},
        )
    return membership


def membership_update(*, membership: Membership, role: str, is_active: bool) -> Membership:
    """Change a member's role or deactivate them, never leaving the clinic without an admin."""
    with transaction.atomic():
        losing_admin = membership.role == Role.ADMIN and (role != Role.ADMIN or not is_active)
        if losing_admin:
            other_admins = (
                Membership.objects.active()
                .filter(clinic=membership.clinic, role=Role.ADMIN)
                .exclude(pk=membership.pk)
                .select_for_update()
            )
            if not other_admins.exists():
                raise ValidationError("A clinic needs at least one active admin.")
        before = stored_values(membership, ("role", "is_active"))
        membership.role = role
        membership.is_active = is_active
        membership.full_clean()
        membership.save()
        changes = field_changes(before, snapshot(membership, ("role", "is_active")))
        if changes:
            changes["user"] = membership.user.get_username()
            audit_record(
                action=Action.ROLE, clinic=membership.clinic, obj=membership, changes=changes
            )
    return membership
