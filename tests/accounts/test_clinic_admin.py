"""Clinic admins manage their clinic's settings and staff; nobody else does."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.forms.models import model_to_dict
from django.http import HttpRequest
from django.urls import reverse

from afterglow.accounts.models import Membership, Role
from afterglow.accounts.services import CLINIC_SETTING_FIELDS
from tests.conftest import _persona


@pytest.fixture
def admin(clinic):
    return _persona(clinic, Role.ADMIN, "clinic-admin")


def settings_data(clinic, **overrides: object) -> dict[str, object]:
    """Every field of the settings form as the page would post it, with some changes."""
    data = {
        k: "" if v is None else v for k, v in model_to_dict(clinic, CLINIC_SETTING_FIELDS).items()
    }
    data.update(
        timezone="Europe/London",
        pcl5_cutoff=31,
        link_expiry_days=5,
        emergency_number="999",
        crisis_line="Samaritans 116 123",
    )
    data.update(overrides)
    return data


def test_an_admin_changes_the_pcl5_cutoff_and_sees_its_source(admin) -> None:
    page = admin.client.get(reverse("accounts:clinic_settings")).content.decode()
    assert "Bovin et al. 2016" in page
    response = admin.client.post(reverse("accounts:clinic_settings"), settings_data(admin.clinic))
    assert response.status_code == 302
    admin.clinic.refresh_from_db()
    assert (admin.clinic.pcl5_cutoff, admin.clinic.timezone) == (31, "Europe/London")


@pytest.mark.parametrize(
    ("field", "value"), [("pcl5_cutoff", 81), ("link_expiry_days", 0), ("timezone", "Mars/Base")]
)
def test_an_impossible_setting_is_refused_and_the_form_keeps_the_input(admin, field, value) -> None:
    response = admin.client.post(
        reverse("accounts:clinic_settings"), settings_data(admin.clinic, **{field: value})
    )
    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert b"Samaritans 116 123" in response.content
    admin.clinic.refresh_from_db()
    assert admin.clinic.pcl5_cutoff == 33


def test_only_an_admin_opens_the_settings(clinician) -> None:
    assert clinician.client.get(reverse("accounts:clinic_settings")).status_code == 403
    clinician.client.post(reverse("accounts:clinic_settings"), settings_data(clinician.clinic))
    clinician.clinic.refresh_from_db()
    assert clinician.clinic.pcl5_cutoff == 33


def test_an_admin_adds_a_staff_member_who_can_then_sign_in(admin, client) -> None:
    response = admin.client.post(
        reverse("accounts:staff"),
        {
            "username": "newnurse",
            "first_name": "Nia",
            "last_name": "Reed",
            "email": "nia@example.org",
            "role": "nurse",
            "password": "a-long-initial-pass",
        },
    )
    assert response.status_code == 302
    membership = Membership.objects.get(user__username="newnurse")
    assert (membership.clinic, membership.role) == (admin.clinic, "nurse")
    assert client.login(request=HttpRequest(), username="newnurse", password="a-long-initial-pass")


def test_a_weak_initial_password_is_refused(admin) -> None:
    response = admin.client.post(
        reverse("accounts:staff"),
        {
            "username": "weak",
            "first_name": "W",
            "last_name": "K",
            "email": "w@example.org",
            "role": "nurse",
            "password": "password",
        },
    )
    assert response.status_code == 200
    assert "too common" in response.content.decode()
    assert not User.objects.filter(username="weak").exists()


def test_the_last_admin_cannot_remove_themselves(admin) -> None:
    admin.client.post(
        reverse("accounts:staff_update", kwargs={"pk": admin.membership.pk}), {"role": "nurse"}
    )
    admin.membership.refresh_from_db()
    assert admin.membership.role == Role.ADMIN and admin.membership.is_active


def test_an_admin_deactivates_a_colleague_who_then_sees_nothing(admin, colleague) -> None:
    admin.client.post(
        reverse("accounts:staff_update", kwargs={"pk": colleague.membership.pk}),
        {"role": "nurse"},  # is_active unticked
    )
    colleague.membership.refresh_from_db()
    assert not colleague.membership.is_active
    assert colleague.client.get(reverse("patients:list")).status_code == 404


def test_an_admin_cannot_touch_another_clinics_staff(admin, outsider) -> None:
    response = admin.client.post(
        reverse("accounts:staff_update", kwargs={"pk": outsider.membership.pk}), {"role": "nurse"}
    )
    assert response.status_code == 404


def test_other_roles_see_the_staff_list_but_cannot_add(colleague) -> None:
    page = colleague.client.get(reverse("accounts:staff"))
    assert page.status_code == 200 and b"Add a staff member" not in page.content
    assert colleague.client.post(reverse("accounts:staff"), {"username": "x"}).status_code == 403


def test_staff_see_times_in_their_clinics_timezone(clinician) -> None:
    from tests.factories import IntakeSubmissionFactory

    clinician.clinic.timezone = "Asia/Tokyo"
    clinician.clinic.save()
    submission = IntakeSubmissionFactory(clinic=clinician.clinic)
    page = clinician.client.get(reverse("intake:detail", kwargs={"pk": submission.pk}))
    from django.utils import timezone

    local = timezone.localtime(submission.created_at, clinician.clinic.tzinfo)
    assert local.strftime("%d %b %Y %H:%M") in page.content.decode()


def test_an_admin_sets_the_dose_guardrails_and_sees_their_sources(admin) -> None:
    page = admin.client.get(reverse("accounts:clinic_settings")).content.decode()
    assert "IV dose guardrail (mg/kg)" in page and "Andrade 2017" in page
    assert "IM dose guardrail (mg/kg)" in page and "UNCONFIRMED" in page
    data = settings_data(
        admin.clinic,
        max_mg_per_kg_iv="0.6",
        max_mg_per_kg_im="0.8",
        iv_max_mg_per_kg_per_hour="0.9",
        dose_above_planned_percent=10,
    )
    assert admin.client.post(reverse("accounts:clinic_settings"), data).status_code == 302
    admin.clinic.refresh_from_db()
    assert str(admin.clinic.max_mg_per_kg_iv) == "0.60"
    assert admin.clinic.dose_above_planned_percent == 10
    refused = admin.client.post(
        reverse("accounts:clinic_settings"), settings_data(admin.clinic, max_mg_per_kg_iv="3")
    )
    assert refused.status_code == 200 and refused.context["form"].errors["max_mg_per_kg_iv"]
