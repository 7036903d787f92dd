"""API tokens: one per integration, per clinic, acting as one staff member.

A token is shown once, when it is made; only its SHA-256 is stored (as for personal
links, ``core/tokens.py``: the input is 256 random bits, so an unsalted digest leaves
nothing to brute-force). ``prefix`` is the token's first characters, kept in clear so a
clinic admin can tell which token a log line or a support request is about; it is not
enough to use the token.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from afterglow.accounts.models import Clinic


class Scope(models.TextChoices):
    READ = "read", "Read only"
    WRITE = "write", "Read and write"


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def for_clinic(self, clinic: Clinic) -> ApiTokenQuerySet:
        return self.filter(clinic=clinic)


class ApiToken(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="api_tokens")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        help_text="The staff member the token acts as: their role in the clinic decides "
        "what it may read and write.",
    )
    name = models.CharField(max_length=100, help_text="What the token is for, e.g. 'REDCap sync'.")
    scope = models.CharField(max_length=10, choices=Scope.choices, default=Scope.READ)
    prefix = models.CharField(max_length=16, help_text="The token's first characters, not secret.")
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"API token {self.prefix}… ({self.name})"

    @property
    def state(self) -> str:
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "active"

    @property
    def can_write(self) -> bool:
        return self.scope == Scope.WRITE
