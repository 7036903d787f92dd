"""The idle warning on a staff page: shown a minute before the end, "Stay signed in"
starts the clock again, and at the end the page goes to sign-in.

The browser's timers run on Playwright's fake clock; the server's idle clock is moved by
rewriting the session's last-seen stamp, so the test takes seconds, not minutes.
"""

from __future__ import annotations

import re
import time

import pytest
from django.contrib.sessions.backends.db import SessionStore
from playwright.sync_api import BrowserContext, Page, expect

from afterglow.accounts.session_policy import LAST_SEEN
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def quiet_for(context: BrowserContext, seconds: float) -> None:
    """Make the server believe the last request was ``seconds`` ago."""
    key = next(c["value"] for c in context.cookies() if c["name"] == "sessionid")
    session = SessionStore(session_key=key)
    session[LAST_SEEN] = time.time() - seconds
    session.save()


def test_the_warning_comes_a_minute_before_and_stay_signed_in_works(
    nurse, new_context, settings
) -> None:
    settings.SESSION_IDLE_MINUTES = 2
    context = new_context(desktop=True)
    page: Page = context.new_page()
    page.clock.install()
    sign_in(page, "/staff/patients/", nurse.user.username)
    # The URL changes when the navigation commits; the idle script (deferred) sets its
    # timer only once the document has been parsed. Moving the clock before that would
    # leave the timer to start afterwards, a whole minute later (a race seen under load).
    page.wait_for_load_state("domcontentloaded")
    warning = page.locator("#idle-warning")
    expect(warning).to_be_hidden()

    quiet_for(context, 65)  # 55 s left on the server
    page.clock.fast_forward("01:01")  # the page's own timer: a minute before its end
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("signed out in about a minute")

    page.get_by_role("button", name="Stay signed in").click()
    expect(warning).to_be_hidden()

    quiet_for(context, 121)  # the server's limit has passed
    page.clock.fast_forward("01:01")
    expect(page).to_have_url(re.compile(r"/staff/accounts/login/\?next=/staff/patients/"))
    expect(page.get_by_text("signed out after a period without activity")).to_be_visible()
