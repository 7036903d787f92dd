"""When the lower-urgency (routine) alerts fire, and what they say.

Django-free, like ``outcomes.rules`` whose results it reads: the services, the
tests and any command share these functions.

Routine alerts (issue 4 §5):

- **Reliable deterioration on the PCL-5**: the latest follow-up of the latest course
  is at least the clinic's reliable-change points above the course baseline
  (``outcomes.rules``; default 10, NCPTSD "Using the PCL-5", evidence.md §1).
- **Loss of response**: only a *confirmed* loss -- the clinic's
  ``loss_confirmations`` (default 2) consecutive follow-ups, after response was first
  met, that no longer meet it (``outcomes.rules``; evidence.md §1: one failing
  follow-up is weak evidence, and the trials' exact loss rule is UNCONFIRMED).
  Raised on the follow-up that confirms it, once per course. A possible loss (a
  shorter run at the latest follow-up) raises nothing: the chart shows it.
- **Missed diary days**: ``clinic.diary_missed_days_alert`` whole days in a row
  without a diary entry while the patient holds a working diary link (Afterglow
  default 3; diary studies ask for an entry every day, evidence.md §7).

Routine alerts are listed in the inbox and the worklist; they are not emailed, so
nobody is paged at night for a signal that can wait for the working day.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from afterglow.outcomes.rules import OutcomeRules, TimepointOutcome, Trajectory

__all__ = [
    "DETERIORATION_CODE",
    "LOSS_OF_RESPONSE_CODE",
    "DiaryGap",
    "OutcomeAlert",
    "diary_gap",
    "diary_gap_wording",
    "outcome_alerts",
]

DETERIORATION_CODE = "pcl5_reliable_deterioration"
LOSS_OF_RESPONSE_CODE = "pcl5_loss_of_response"

RELIABLE_CHANGE_SOURCE = (
    "NCPTSD “Using the PCL-5”: a change of 10 points or more is clinically meaningful "
    "(evidence.md §1); Marx 2022 found 15–18 points in veterans"
)
RESPONSE_SOURCE = (
    "response: Feder 2021's 30 % rule, defined on the CAPS-5 and not validated on the PCL-5 "
    "(evidence.md §2); loss confirmed by consecutive follow-ups: clinic setting, evidence.md §1"
)
DIARY_GAP_SOURCE = (
    "Afterglow default 3 days; diary studies ask for one entry every day (evidence.md §7)"
)


@dataclasses.dataclass(frozen=True)
class OutcomeAlert:
    """A routine alert the trajectory calls for, on the follow-up of day ``day``."""

    code: str
    day: int
    label: str
    message: str


def outcome_alerts(trajectory: Trajectory, rules: OutcomeRules) -> list[OutcomeAlert]:
    """The routine PCL-5 alerts of a course's trajectory, as it stands now.

    - ``pcl5_reliable_deterioration`` on the latest follow-up when it is a reliable
      deterioration (``latest.reliable_deterioration``: total - baseline >= R);
    - ``pcl5_loss_of_response`` on the follow-up that confirmed the loss of response
      (``trajectory.loss_confirmed_day``), when there is a confirmed loss; never for a
      possible loss.

    Whether an alert is new (one per response and code, loss of response once per
    course) is the caller's business: this only reads the trajectory.
    """
    found: list[OutcomeAlert] = []
    latest = trajectory.latest
    if latest is not None and latest.reliable_deterioration:
        found.append(
            OutcomeAlert(
                code=DETERIORATION_CODE,
                day=latest.day,
                label=f"Reliable deterioration on the PCL-5 (day {latest.day} of the course)",
                message=(
                    f"PCL-5 {latest.total}, {latest.change} points above baseline "
                    f"{trajectory.baseline} — reliable deterioration (≥{rules.reliable_points}). "
                    f"Rule: a rise of at least {rules.reliable_points} points from the "
                    f"baseline before the first dose (clinic setting; {RELIABLE_CHANGE_SOURCE})."
                ),
            )
        )
    loss_day = trajectory.loss_of_response_day
    confirmed_day = trajectory.loss_confirmed_day
    if loss_day is not None and confirmed_day is not None:
        point = next(p for p in trajectory.timepoints if p.day == confirmed_day)
        n = rules.loss_confirmations
        run = f"day {loss_day}" if loss_day == confirmed_day else f"days {loss_day}–{confirmed_day}"
        found.append(
            OutcomeAlert(
                code=LOSS_OF_RESPONSE_CODE,
                day=confirmed_day,
                label=(
                    f"Loss of response on the PCL-5 (from day {loss_day} of the course, "
                    f"confirmed day {confirmed_day})"
                ),
                message=(
                    f"PCL-5 {point.total}, {_versus_baseline(point, trajectory.baseline)} — "
                    f"no longer a response (≥{rules.response_percent} % below baseline) at "
                    f"{n} consecutive follow-up{'s' if n != 1 else ''} ({run}); response first "
                    f"met on day {trajectory.first_response_day}. Rule: loss of response = "
                    f"{n} consecutive follow-up{'s' if n != 1 else ''} after response that no "
                    f"longer meet it, dated from the first (clinic setting; {RESPONSE_SOURCE})."
                ),
            )
        )
    return found


def _versus_baseline(point: TimepointOutcome, baseline: int) -> str:
    """E.g. "24.0 % below baseline 50", "2 points above baseline 50"."""
    if point.percent_change is not None and point.change < 0:
        return f"{-point.percent_change} % below baseline {baseline}"
    if point.change > 0:
        return f"{point.change} points above baseline {baseline}"
    return f"level with baseline {baseline}"


@dataclasses.dataclass(frozen=True)
class DiaryGap:
    """A run of days without a diary entry, still open on ``today``.

    ``since`` is the first day without an entry; ``missed`` the whole days from
    ``since`` up to yesterday (today is not over, so it is never counted).
    """

    since: dt.date
    missed: int
    last_entry: dt.date | None
    link_since: dt.date


def diary_gap(
    *, last_entry: dt.date | None, link_since: dt.date, today: dt.date, missed_days: int
) -> DiaryGap | None:
    """The open gap when ``missed_days`` or more whole days in a row have no entry.

    The gap starts the day after the later of the last entry and the day the working
    diary link was created: the patient could not write before they had the link, so
    an entry older than the link (a previous, revoked or expired link) does not start
    a gap on its own. Days are the clinic's local dates.

    With ``missed_days`` = 3, a last entry on the 1st, and ``today`` the 4th, the
    2nd and 3rd are missed (2 days): no gap. On the 5th the 2nd-4th are missed: a gap
    since the 2nd. The gap keeps its ``since`` however long it lasts, so a daily sweep
    finds the same gap again; an entry on a later day ends it, and the next gap has a
    new ``since``.
    """
    if missed_days < 1:
        raise ValueError(f"missed_days must be at least 1, got {missed_days}.")
    anchor = link_since if last_entry is None else max(last_entry, link_since)
    since = anchor + dt.timedelta(days=1)
    missed = (today - since).days
    if missed < missed_days:
        return None
    return DiaryGap(since=since, missed=missed, last_entry=last_entry, link_since=link_since)


def diary_gap_wording(gap: DiaryGap, missed_days: int) -> tuple[str, str]:
    """The alert's label and message for ``gap`` (``missed_days``: the clinic setting)."""
    label = f"No diary entry for {gap.missed} days (since {gap.since:%d %b %Y})"
    if gap.last_entry is not None and gap.last_entry >= gap.link_since:
        last = f"Last entry {gap.last_entry:%d %b %Y}."
    else:
        last = f"No entry since the diary link was sent on {gap.link_since:%d %b %Y}."
    message = (
        f"{last} The clinic raises this after {missed_days} whole days in a row without an "
        f"entry (clinic setting; {DIARY_GAP_SOURCE}). Missing days are missing, not zero."
    )
    return label, message
