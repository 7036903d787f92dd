"""The audit log: an append-only, hash-chained record of who read or changed what.

Floors: this module imports nothing from Afterglow's apps (actor, clinic and patient
are stored as plain ids plus a username snapshot, never as foreign keys), so every
app, ``accounts`` included, can write events through ``audit.services`` without an
arrow running upwards, and deleting or renaming a user never touches the log.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, NoReturn

from django.db import models


class Action(models.TextChoices):
    READ = "read", "Read"
    EXPORT = "export", "Export"
    CREATE = "create", "Create"
    UPDATE = "update", "Update"
    VOID = "void", "Void"
    SIGN = "sign", "Sign"
    AMEND = "amend", "Amend"
    SETTINGS = "settings", "Clinic settings"
    ROLE = "role", "Role or membership"
    LINK_CREATE = "link_create", "Personal link created"
    LINK_REVOKE = "link_revoke", "Personal link revoked"
    API_TOKEN_CREATE = "api_token_create", "API token created"
    API_TOKEN_REVOKE = "api_token_revoke", "API token revoked"
    SIGN_IN = "sign_in", "Sign-in"
    SIGN_IN_FAILED = "sign_in_failed", "Failed sign-in"
    SIGN_OUT = "sign_out", "Sign-out"
    LOCKOUT = "lockout", "Lockout"
    UNLOCK = "unlock", "Unlock"
    MFA_ENROL = "mfa_enrol", "MFA enrolled"
    MFA_VERIFY = "mfa_verify", "MFA passed"
    MFA_FAILED = "mfa_failed", "MFA failed"
    MFA_RECOVERY = "mfa_recovery", "MFA recovery code used"
    MFA_RESET = "mfa_reset", "MFA reset"
    PASSWORD_CHANGE = "password_change", "Password changed"
    PASSWORD_RESET = "password_reset", "Password reset"


class AppendOnlyError(Exception):
    """The application tried to change or remove an audit event."""


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("Audit events are never updated.")

    def delete(self) -> NoReturn:  # type: ignore[override]
        raise AppendOnlyError("Audit events are never deleted.")

    def bulk_update(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("Audit events are never updated.")

    def bulk_create(self, *args: Any, **kwargs: Any) -> NoReturn:  # type: ignore[override]
        # bulk_create would skip the chain: every event goes through audit_record.
        raise AppendOnlyError("Audit events are appended one at a time by audit_record.")

    def for_clinic(self, clinic_id: int) -> AuditEventQuerySet:
        return self.filter(clinic_id=clinic_id)


class AuditEvent(models.Model):
    """One event. Written only by ``audit.services.audit_record``; never changed.

    On PostgreSQL a trigger refuses UPDATE and DELETE on this table; on SQLite a
    trigger refuses UPDATE (a DELETE trigger would break the test runner's flush, so
    the application refusal and the chain head catch removals there).
    """

    seq = models.PositiveBigIntegerField(unique=True, help_text="Position in the chain, from 1.")
    at = models.DateTimeField(db_index=True)
    action = models.CharField(max_length=40, choices=Action.choices, db_index=True)
    actor_user_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    actor_username = models.CharField(max_length=150, blank=True)
    clinic_id = models.BigIntegerField(null=True, blank=True)
    patient_id = models.BigIntegerField(null=True, blank=True)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    changes = models.JSONField(
        default=dict,
        blank=True,
        help_text=(
            "Changed fields: {field: {old, new}}, or {field: 'changed'} for answers and "
            "free-text clinical notes, whose values are never copied here."
        ),
    )
    note = models.CharField(max_length=300, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    client_hash = models.CharField(
        max_length=64, blank=True, help_text="HMAC-SHA-256 of the client address (keyed)."
    )
    user_agent = models.CharField(max_length=300, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-seq"]
        indexes = [
            models.Index(fields=["clinic_id", "-seq"], name="audit_clinic_seq"),
            models.Index(fields=["patient_id", "-seq"], name="audit_patient_seq"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # A guard, not logic: the only legitimate save is the first insert.
        if not self._state.adding:
            raise AppendOnlyError("Audit events are never updated.")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:  # type: ignore[override]
        raise AppendOnlyError("Audit events are never deleted.")

    def content(self) -> dict[str, Any]:
        """Everything the hash covers (all stored fields but ``id`` and ``hash``)."""
        return {
            "seq": self.seq,
            "at": self.at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
            "action": self.action,
            "actor_user_id": self.actor_user_id,
            "actor_username": self.actor_username,
            "clinic_id": self.clinic_id,
            "patient_id": self.patient_id,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "changes": self.changes,
            "note": self.note,
            "request_id": self.request_id,
            "client_hash": self.client_hash,
            "user_agent": self.user_agent,
            "prev_hash": self.prev_hash,
        }


class AuditChainHead(models.Model):
    """The single row (pk 1) every append locks: the chain's length and last hash.

    Appends take this row ``select_for_update`` (PostgreSQL) inside their
    transaction, so two appends can never read the same ``last_hash``; on SQLite
    the IMMEDIATE transaction mode (settings) already serialises writers at BEGIN.
    """

    seq = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"audit chain head at {self.seq}"
