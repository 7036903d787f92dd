"""Fixtures for the browser tests: headless Chromium through Playwright's sync API.

- ``browser``: one Chromium for the whole session (the system's, never downloaded);
- ``new_context``: a factory of fresh browser contexts (phone-sized by default), each
  pointed at the live server, all closed after the test;
- ``page``: a page in a phone-sized context (390×844, touch, 2× pixels);
- ``snap``: saves a screenshot into ``$AFTERGLOW_SHOTS_DIR`` when that is set (for
  people reviewing the pages), and does nothing otherwise;
- ``make_clinic``, ``clinic``, ``nurse``: the clinic the browser tests speak about
  ("Harbour Clinic", ``harbour``) built with the settings a file needs
  (``make_clinic(timezone=...)``; a file overrides ``clinic`` with such a call), and
  its personas, the nurse ``nurse.kim`` (Dana Kim) and the prescriber ``dr.okafor``
  (Ada Okafor);
- ``sign_in(page, path, username)``: signs a persona in through the sign-in page, as a
  person does (browser tests never use ``force_login``: the session cookie would have to
  be copied into the browser, and the sign-in page would go untested);
- ``csp_violations``: every Content-Security-Policy violation any page of the test
  saw (the ``securitypolicyviolation`` event and Chromium's console report). A test
  that leaves one unclaimed fails at teardown, so every browser test also checks
  that the pages run under the policy; a test that provokes one on purpose claims
  it with ``csp_violations.take()``.

When a test fails, every page it opened is saved to ``test-artifacts/<test>.png``
(``<test>-2.png`` ... for further pages).
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

# Playwright's sync API runs an asyncio event loop in the test thread and leaves it
# set as the thread's running loop for the whole session. Django refuses ORM calls
# from a thread with a running loop (SynchronousOnlyOperation), which would break
# every ORM call in test bodies, factories and pytest-django's own database setup and
# teardown. Nothing here is actually async: the ORM calls run synchronously between
# Playwright calls, so the check is switched off. It is set at import (not in a
# fixture) because the loop outlives any one test: session teardown and tests
# collected after these still run in that thread.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

from playwright.sync_api import (
    Browser,
    BrowserContext,
    Locator,
    Page,
    expect,
    sync_playwright,
)

from afterglow.accounts.models import Clinic, Membership, Role
from tests.factories import PASSWORD, ClinicFactory, MembershipFactory, UserFactory

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Generous: CI runs two workers on two cores, and a loaded machine is slow, not wrong.
TIMEOUT_MS = 20_000
PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
}
DESKTOP: dict[str, Any] = {"viewport": {"width": 1280, "height": 900}}
ARTIFACTS_DIR = "test-artifacts"

expect.set_options(timeout=TIMEOUT_MS)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    # Keep each phase's report on the item so fixtures can tell, at teardown,
    # whether the test failed.
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def _failed(item: pytest.Item) -> bool:
    return any(
        getattr(getattr(item, f"rep_{when}", None), "failed", False) for when in ("setup", "call")
    )


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    # Never download a browser: use the system's Chromium.
    executable = os.environ.get("AFTERGLOW_CHROMIUM", "/usr/bin/chromium")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


# Runs in every document before its own scripts: forwards each CSP violation to the
# test through the binding the context exposes (survives navigation, unlike a
# variable on window).
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", function (e) {
  window.__afterglowCspViolation(
    e.effectiveDirective + " blocked " + (e.blockedURI || "?") + " at " +
    (e.sourceFile || document.location.pathname) + ":" + e.lineNumber +
    (e.sample ? " (" + e.sample + ")" : "")
  );
});
"""
# How Chromium words a violation in the console (enforced or report-only).
CSP_CONSOLE = re.compile(r"Content Security Policy", re.IGNORECASE)


@dataclass
class CspViolations:
    """The CSP violations seen by the pages of one test, in order."""

    seen: list[str] = field(default_factory=list)

    def add(self, where: str, text: str) -> None:
        self.seen.append(f"{where}: {text}")

    def take(self) -> list[str]:
        """Return the violations so far and forget them (for a test that expects some)."""
        taken, self.seen = self.seen, []
        return taken


@pytest.fixture
def csp_violations() -> CspViolations:
    return CspViolations()


def _watch_csp(context: BrowserContext, violations: CspViolations) -> None:
    context.expose_binding(
        "__afterglowCspViolation",
        lambda source, text: violations.add(source["page"].url, f"[event] {text}"),
    )
    context.add_init_script(CSP_LISTENER)

    def on_page(page: Page) -> None:
        page.on(
            "console",
            lambda message: (
                violations.add(page.url, f"[console] {message.text}")
                if CSP_CONSOLE.search(message.text)
                else None
            ),
        )

    context.on("page", on_page)


def _settle(contexts: list[BrowserContext]) -> None:
    """One round trip to every open page, so reports already sent have arrived."""
    for context in contexts:
        for open_page in context.pages:
            # A page that crashed or is navigating has nothing to add.
            with contextlib.suppress(Exception):
                open_page.evaluate("0")


@pytest.fixture
def new_context(
    browser: Browser,
    live_server: Any,
    request: pytest.FixtureRequest,
    csp_violations: CspViolations,
) -> Iterator[Callable[..., BrowserContext]]:
    """Open a fresh context (no cookies): ``new_context()`` is a phone,
    ``new_context(desktop=True)`` a 1280-wide desktop. Pages use relative URLs."""
    contexts: list[BrowserContext] = []

    def make(*, desktop: bool = False, **options: Any) -> BrowserContext:
        context = browser.new_context(
            base_url=live_server.url, **{**(DESKTOP if desktop else PHONE), **options}
        )
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        _watch_csp(context, csp_violations)
        contexts.append(context)
        return context

    yield make

    _settle(contexts)
    failed_already = _failed(request.node)

    if failed_already:
        directory = Path(request.config.rootpath) / ARTIFACTS_DIR
        directory.mkdir(parents=True, exist_ok=True)
        stem = re.sub(r"[^\w.-]+", "_", request.node.name)
        pages = [p for c in contexts for p in c.pages]
        for index, failed_page in enumerate(pages, start=1):
            path = directory / (f"{stem}.png" if index == 1 else f"{stem}-{index}.png")
            try:
                failed_page.screenshot(path=str(path), full_page=True)
            except Exception as exc:  # a crashed page must not hide the real failure
                print(f"could not save {path}: {exc}")
            else:
                print(f"screenshot of the failed test: {path}")
    for context in contexts:
        context.close()
    if csp_violations.seen and failed_already:
        print("Content-Security-Policy violations:\n" + "\n".join(csp_violations.seen))
    if csp_violations.seen and not failed_already:
        pytest.fail(
            "Content-Security-Policy violations (move the code to a static file, "
            "see CONTRIBUTING.md):\n" + "\n".join(csp_violations.seen),
            pytrace=False,
        )


@pytest.fixture
def page(new_context: Callable[..., BrowserContext]) -> Page:
    """A page on a phone-sized screen, in its own context."""
    return new_context().new_page()


@pytest.fixture
def snap() -> Callable[..., None]:
    """``snap(page, "name")`` saves ``$AFTERGLOW_SHOTS_DIR/name.png`` if that is set;
    ``full_page=False`` keeps only what the screen shows."""
    directory = os.environ.get("AFTERGLOW_SHOTS_DIR", "")

    def save(target: Page, name: str, *, full_page: bool = True) -> None:
        if not directory:
            return
        Path(directory).mkdir(parents=True, exist_ok=True)
        target.screenshot(path=str(Path(directory) / f"{name}.png"), full_page=full_page)

    return save


# --- The public intake form ("Start your journey") ------------------------------------

SUCCESS_TEXT = "Thank you! Your submission has been received!"
FAILURE_TEXT = "Oops! Something went wrong while submitting the form."

# Safety question (a phrase unique to its legend) -> the answer the newcomer gives.
SAFETY_QUESTIONS = {
    "psychosis_or_mania": "psychosis",
    "high_blood_pressure": "high blood pressure",
    "heart_or_vascular": "heart disease",
    "pregnancy": "pregnant",
    "substance_use": "alcohol or drug use",
}
ANSWER_LABELS = {"yes": "Yes", "no": "No", "unsure": "Not sure"}


@dataclass
class Newcomer:
    """What a person types into the intake form (labels as shown on the page)."""

    given_name: str = "Maya"
    family_name: str = "Okafor"
    date_of_birth: str = "1988-04-12"  # the value of <input type="date">
    email: str = "maya.okafor@example.org"
    phone: str = ""
    reason: str = "Nightmares and flashbacks since a car crash in 2019.\nI want to sleep again."
    symptoms: tuple[str, ...] = (
        "Intrusive, unwanted memories",
        "Flashbacks — feeling it is happening again",
    )
    # One "Yes" (high blood pressure), the rest "No".
    safety: dict[str, str] = field(
        default_factory=lambda: {
            "psychosis_or_mania": "no",
            "high_blood_pressure": "yes",
            "heart_or_vascular": "no",
            "pregnancy": "no",
            "substance_use": "no",
        }
    )
    consent: bool = True

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"


class IntakePage:
    """Drives the public intake form through its labels, as a person would."""

    def __init__(self, page: Page) -> None:
        self.page = page

    def open(self) -> None:
        response = self.page.goto("/")
        assert response is not None and response.status == 200
        expect(self.page.get_by_role("heading", name="Start your journey", level=1)).to_be_visible()

    def safety_group(self, field_name: str) -> Locator:
        return self.page.get_by_role("group", name=re.compile(SAFETY_QUESTIONS[field_name]))

    def safety_radio(self, field_name: str, answer: str) -> Locator:
        return self.safety_group(field_name).get_by_label(ANSWER_LABELS[answer], exact=True)

    @property
    def consent(self) -> Locator:
        return self.page.get_by_label("I agree that the clinic may contact me")

    @property
    def send_button(self) -> Locator:
        return self.page.get_by_role("button", name="Send", exact=True)

    def fill(self, who: Newcomer) -> None:
        page = self.page
        page.get_by_label("First name").fill(who.given_name)
        page.get_by_label("Last name").fill(who.family_name)
        page.get_by_label("Date of birth").fill(who.date_of_birth)
        page.get_by_role("textbox", name="Email", exact=True).fill(who.email)
        page.get_by_label("Phone").fill(who.phone)
        page.get_by_label("What brings you here?").fill(who.reason)
        for label in who.symptoms:
            page.get_by_label(label, exact=True).check()
        for field_name, answer in who.safety.items():
            self.safety_radio(field_name, answer).check()
        if who.consent:
            self.consent.check()

    def expect_values(self, who: Newcomer) -> None:
        """Every typed value, ticked box and chosen answer is still in the form."""
        page = self.page
        expect(page.get_by_label("First name")).to_have_value(who.given_name)
        expect(page.get_by_label("Last name")).to_have_value(who.family_name)
        expect(page.get_by_label("Date of birth")).to_have_value(who.date_of_birth)
        expect(page.get_by_role("textbox", name="Email", exact=True)).to_have_value(who.email)
        expect(page.get_by_label("Phone")).to_have_value(who.phone)
        expect(page.get_by_label("What brings you here?")).to_have_value(who.reason)
        symptoms = page.get_by_role("group", name="Which of these do you live with?")
        checked = symptoms.locator("input[type=checkbox]:checked")
        expect(checked).to_have_count(len(who.symptoms))
        for label in who.symptoms:
            expect(symptoms.get_by_label(label, exact=True)).to_be_checked()
        for field_name, answer in who.safety.items():
            group = self.safety_group(field_name)
            expect(group.locator("input[type=radio]:checked")).to_have_count(1)
            expect(self.safety_radio(field_name, answer)).to_be_checked()
        if who.consent:
            expect(self.consent).to_be_checked()
        else:
            expect(self.consent).not_to_be_checked()


@pytest.fixture
def intake_page(page: Page) -> IntakePage:
    return IntakePage(page)


# --- the clinic and personas the browser tests speak about ----------------------------

HARBOUR: dict[str, Any] = {"name": "Harbour Clinic", "slug": "harbour"}


@pytest.fixture
def make_clinic(transactional_db: None) -> Callable[..., Clinic]:
    """``make_clinic(**settings)``: Harbour Clinic with ``settings`` (``accounts.Clinic``
    fields, e.g. ``timezone``, ``dosing_weekdays``) over the factory's defaults.

    ``transactional_db``: the live server reads the rows from another thread.
    """

    def make(**settings: Any) -> Clinic:
        clinic: Clinic = ClinicFactory(**{**HARBOUR, **settings})
        return clinic

    return make


@pytest.fixture
def clinic(make_clinic: Callable[..., Clinic]) -> Clinic:
    """Harbour Clinic with the factory's settings; a file that needs others overrides this
    fixture with ``make_clinic(...)``."""
    return make_clinic()


@pytest.fixture
def nurse(clinic: Clinic) -> Membership:
    """Dana Kim (``nurse.kim``, password ``tests.factories.PASSWORD``), a nurse at ``clinic``."""
    membership: Membership = MembershipFactory(
        clinic=clinic,
        role=Role.NURSE,
        user=UserFactory(username="nurse.kim", first_name="Dana", last_name="Kim"),
    )
    return membership


@pytest.fixture
def prescriber(clinic: Clinic) -> Membership:
    """Ada Okafor (``dr.okafor``, password ``tests.factories.PASSWORD``), a prescriber at
    ``clinic``."""
    membership: Membership = MembershipFactory(
        clinic=clinic,
        role=Role.PRESCRIBER,
        user=UserFactory(username="dr.okafor", first_name="Ada", last_name="Okafor"),
    )
    return membership


def sign_in(page: Page, path: str, username: str) -> None:
    """Signs ``username`` (password ``tests.factories.PASSWORD``) in as a person does:
    ``path``, a staff page, sends the signed-out browser to the sign-in page, which brings
    it back to ``path`` once the name and password are accepted."""
    page.goto(path)
    expect(page).to_have_url(re.compile(r"/staff/accounts/login/\?next="))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(re.escape(path) + "$"))
