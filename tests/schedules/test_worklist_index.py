"""The worklist's "due today" and "overdue" read the partial index on open invitations
(issue 13 §2): its condition's constants are written into the query's SQL (a bound
parameter never matches an index's constant on SQLite), and SQLite's planner picks it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from afterglow.core.sqlconst import Const
from afterglow.schedules.models import CLOSED_STATUSES, OPEN_STATUSES, WORKLIST_OPEN, Invitation

NOW = dt.datetime(2026, 12, 7, 12, tzinfo=dt.UTC)


def _open_rows(clinic):
    return Invitation.objects.filter(clinic=clinic).filter(WORKLIST_OPEN).filter(due_at__lt=NOW)


def test_the_closed_and_open_statuses_are_every_status() -> None:
    assert set(CLOSED_STATUSES) == {"completed", "expired", "cancelled"}
    every = {value for value, _ in Invitation._meta.get_field("status").choices}
    assert set(CLOSED_STATUSES) | set(OPEN_STATUSES) == every
    assert not set(CLOSED_STATUSES) & set(OPEN_STATUSES)


def test_the_open_rows_condition_is_written_as_constants(clinic) -> None:
    sql, params = _open_rows(clinic).query.sql_with_params()
    assert "'completed', 'expired', 'cancelled'" in sql and "= 'diary'" in sql
    assert not {"completed", "expired", "cancelled", "diary", "sent"} & {str(p) for p in params}


def test_sqlite_reads_the_partial_index_for_the_open_rows(clinic) -> None:
    plan = _open_rows(clinic).order_by("due_at", "pk").explain()
    if connection.vendor == "sqlite":
        assert "invitation_worklist_open_idx" in plan
    else:  # PostgreSQL chooses by its statistics; an empty table may well be scanned.
        assert "schedules_invitation" in plan


@pytest.mark.parametrize("value", ["it's", "a b", "", "x;--"])
def test_a_constant_takes_plain_identifiers_only(value) -> None:
    with pytest.raises(ValueError, match="plain identifier"):
        Const(value)


def test_the_diary_gaps_read_their_two_indexes(clinic) -> None:
    """Who wrote since the cutoff comes from the covering (clinic, day, patient) index on
    diary entries, and the working links from the partial index that holds every column
    the query reads of a link (issue 13 §2 round 5)."""
    from django.test.utils import CaptureQueriesContext

    from afterglow.schedules.selectors import _diary_gaps

    with CaptureQueriesContext(connection) as queries:
        assert _diary_gaps(clinic=clinic, today=NOW.date(), missed_days=3) == []
    [query] = queries.captured_queries  # one query, whatever the clinic's size
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN QUERY PLAN " + query["sql"])
            plan = " | ".join(str(row[-1]) for row in cursor.fetchall())
        assert "diarylink_working_idx" in plan
        assert "USING COVERING INDEX diaryentry_clinic_day_idx" in plan
    else:  # PostgreSQL chooses by its statistics; an empty table may well be scanned.
        assert "diary_diarylink" in query["sql"]
