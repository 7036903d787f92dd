"""Each role lands on its own starting page after signing in."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from afterglow.accounts.models import Role
from afterglow.accounts.views import HOME_FOR_ROLE
from tests.conftest import _persona

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", list(Role))
def test_staff_home_sends_each_role_to_a_page_it_may_open(clinic, role):
    client = _persona(clinic, role, f"home-{role}").client
    # A Saturday, not a dosing day: the prescriber's home is the worklist (on a dosing
    # day it is the Today board, tests/treatment/test_today_board.py).
    clinic.dosing_weekdays = "0,1,2,3,4"
    clinic.save()
    with time_machine.travel(dt.datetime(2026, 3, 7, 17, 0, tzinfo=dt.UTC), tick=False):
        response = client.get(reverse("home_staff"))
        landing = client.get(response["Location"])
    assert response.status_code == 302
    assert response["Location"] == reverse(HOME_FOR_ROLE[role])
    assert landing.status_code == 200, f"{role} cannot open its own home page"


def test_researcher_is_not_sent_to_intake(clinic):
    client = _persona(clinic, Role.RESEARCHER, "home-researcher").client
    assert client.get(reverse("home_staff"))["Location"] == reverse("analytics:dashboard")


def test_login_redirects_through_the_role_home(client, clinic):
    user = _persona(clinic, Role.NURSE, "home-login").user
    user.set_password("a-long-test-password-1")
    user.save()
    response = client.post(
        reverse("accounts:login"),
        {"username": "home-login", "password": "a-long-test-password-1"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("home_staff")


@pytest.mark.parametrize("role", list(Role))
def test_the_navigation_shows_exactly_the_pages_the_role_can_open(clinic, role):
    """The menu shows a page exactly when the role × capability table grants its capability.

    Every link shown opens (200) and every menu page left out refuses (403).
    """
    from afterglow.accounts.capabilities import ROLE_CAPABILITIES
    from afterglow.accounts.templatetags.staff_nav import NAV_LINKS, capability_for

    client = _persona(clinic, role, f"nav-{role}").client
    page = client.get(reverse("accounts:password_change")).content.decode()
    nav = page[page.index('<nav aria-label="Main">') : page.index("</nav>")]
    for url_name, label, _ in NAV_LINKS:
        url = reverse(url_name)
        granted = capability_for(url_name) in ROLE_CAPABILITIES[role]
        assert (f'href="{url}"' in nav) == granted, f"{role}: {label} in menu != table"
        status = client.get(url).status_code
        if granted:
            assert status == 200, f"{role}: menu shows {label} but it answers {status}"
        else:
            assert status == 403, f"{role}: {label} answers {status} but is not in the menu"


def test_a_member_of_two_clinics_switches_from_the_header(clinic, other_clinic):
    from tests.factories import MembershipFactory

    persona = _persona(clinic, Role.PRESCRIBER, "two-clinics")
    MembershipFactory(clinic=other_clinic, role=Role.RESEARCHER, user=persona.user)
    page = persona.client.get(reverse("patients:list")).content.decode()
    assert 'action="/staff/accounts/clinic/"' in page
    assert "Other Clinic (Researcher)" in page

    response = persona.client.post(
        reverse("accounts:switch_clinic"), {"clinic": str(other_clinic.pk)}
    )
    assert response["Location"] == reverse("home_staff")
    # Now a researcher at the other clinic: the dashboard, not that clinic's patients.
    assert persona.client.get(reverse("home_staff"))["Location"] == reverse("analytics:dashboard")
    assert persona.client.get(reverse("patients:list")).status_code == 403


def test_a_member_of_one_clinic_sees_its_name_and_no_switcher(clinic):
    page = _persona(clinic, Role.NURSE, "one-clinic").client.get(reverse("patients:list"))
    html = page.content.decode()
    assert "Home Clinic" in html
    assert 'name="clinic"' not in html


def _membership_queries(client) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("patients:list")).status_code == 200
    return sum('FROM "accounts_membership"' in q["sql"] for q in ctx.captured_queries)


def test_the_header_reads_the_memberships_once_per_page(clinic, other_clinic):
    """Choosing the membership and drawing the clinic switcher share one query (issue 13 §2)."""
    from tests.factories import MembershipFactory

    persona = _persona(clinic, Role.PRESCRIBER, "one-read")
    page = persona.client.get(reverse("patients:list")).content.decode()
    assert '<span class="clinic-name">Home Clinic</span>' in page and "clinic-switch" not in page
    assert _membership_queries(persona.client) == 1
    MembershipFactory(clinic=other_clinic, role=Role.RESEARCHER, user=persona.user)
    page = persona.client.get(reverse("patients:list")).content.decode()
    assert "Other Clinic (Researcher)" in page and '<option value="' in page
    assert _membership_queries(persona.client) == 1


def test_the_menu_marks_the_current_section_and_keeps_each_role_apart(clinic):
    """Each role's links are reversed once and cached: another role's menu never leaks in."""
    prescriber = _persona(clinic, Role.PRESCRIBER, "menu-prescriber").client
    coordinator = _persona(clinic, Role.COORDINATOR, "menu-coordinator").client
    page = prescriber.get(reverse("schedules:worklist")).content.decode()
    assert f'<a href="{reverse("schedules:worklist")}" aria-current="page">Worklist</a>' in page
    assert f'<a href="{reverse("patients:list")}">Patients</a>' in page
    page = coordinator.get(reverse("intake:queue")).content.decode()
    assert f'<a href="{reverse("intake:queue")}" aria-current="page">Intake</a>' in page
    assert reverse("schedules:worklist") not in page and ">Alerts<" not in page
