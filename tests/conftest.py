"""Shared fixtures: fast settings and the personas every test speaks about.

Personas (after healthchecks' hc/test.py):
- ``clinician``: a prescriber at the home clinic;
- ``colleague``: a nurse at the same clinic;
- ``admin``: the home clinic's admin (staff, settings, unlocking accounts);
- ``outsider``: a prescriber at another clinic, who must never see home data;
- ``anonymous``: a visitor with no account.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client

from afterglow.accounts.models import Clinic, Membership, Role
from tests.cli import CliRunner, cli_environment, cli_runner
from tests.factories import ClinicFactory, MembershipFactory, UserFactory


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@dataclass
class Persona:
    membership: Membership
    client: Client

    @property
    def user(self):
        return self.membership.user

    @property
    def clinic(self) -> Clinic:
        return self.membership.clinic


def _persona(clinic: Clinic, role: str, username: str) -> Persona:
    membership = MembershipFactory(clinic=clinic, role=role, user=UserFactory(username=username))
    client = Client()
    client.force_login(membership.user)
    return Persona(membership=membership, client=client)


@pytest.fixture
def clinic(db) -> Clinic:
    return ClinicFactory(name="Home Clinic", slug="home")


@pytest.fixture
def other_clinic(db) -> Clinic:
    return ClinicFactory(name="Other Clinic", slug="other")


@pytest.fixture
def clinician(clinic: Clinic) -> Persona:
    return _persona(clinic, Role.PRESCRIBER, "clinician")


@pytest.fixture
def admin(clinic: Clinic) -> Persona:
    return _persona(clinic, Role.ADMIN, "clinic-admin")


@pytest.fixture
def colleague(clinic: Clinic) -> Persona:
    return _persona(clinic, Role.NURSE, "colleague")


@pytest.fixture
def coordinator(clinic: Clinic) -> Persona:
    return _persona(clinic, Role.COORDINATOR, "coordinator")


@pytest.fixture
def researcher(clinic: Clinic) -> Persona:
    return _persona(clinic, Role.RESEARCHER, "researcher")


@pytest.fixture
def outsider(other_clinic: Clinic) -> Persona:
    return _persona(other_clinic, Role.PRESCRIBER, "outsider")


@pytest.fixture
def anonymous(db) -> Client:
    return Client()


@pytest.fixture
def cli_env(tmp_path) -> dict[str, str]:
    """The environment ``afterglow_cli`` runs commands in (var/ in a temporary folder)."""
    return cli_environment(tmp_path)


@pytest.fixture
def afterglow_cli(cli_env: dict[str, str]) -> CliRunner:
    """Run the real ``afterglow`` console script: ``afterglow_cli("score", "pcl5", stdin=...)``."""
    return cli_runner(cli_env)
