"""Reads for measurement schedules: a course's anchors, the staff worklist, a patient's card."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, NamedTuple

from django.core.paginator import Page, Paginator
from django.db.models import (
    Count,
    DateField,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.utils import timezone

from afterglow.accounts.models import Clinic
from afterglow.core.choices import Labels, choice_labels
from afterglow.core.daytext import day_formatter
from afterglow.core.links import pk_links
from afterglow.diary.models import DiaryEntry, DiaryLink
from afterglow.patients.models import Patient
from afterglow.schedules.models import (
    OPEN_STATUSES,
    WORKLIST_OPEN,
    Channel,
    Delivery,
    Invitation,
    InvitationStatus,
)
from afterglow.schedules.rules import Anchors, Dose
from afterglow.treatment.models import (
    Course,
    CourseStatus,
    DosingSession,
    PlannedSession,
    SessionKind,
)

#: How far back the worklist lists expired invitations.
EXPIRED_RECENT_DAYS = 14


def course_anchors(*, course: Course) -> Anchors:
    """The course's anchors: each dose's recorded start, else its planned date.

    A cancelled planned session is no dose; a dose recorded on it anyway (a session begun
    before the course was ended) still is one. Two queries.
    """
    return anchors_from(
        course=course,
        planned=PlannedSession.objects.filter(course=course).order_by("number"),
        given=DosingSession.objects.filter(course=course, started_at__isnull=False).values_list(
            "number", "started_at"
        ),
    )


def anchors_from(
    *,
    course: Course,
    planned: Iterable[PlannedSession],
    given: Iterable[tuple[int, dt.datetime | None]],
) -> Anchors:
    """:func:`course_anchors` from rows already read (for bulk work such as the demo):
    ``given`` holds (number, dose start) of the dosing sessions with a recorded dose."""
    started = {number: at for number, at in given if at is not None}
    doses: list[Dose] = []
    for session in sorted(planned, key=lambda p: p.number):
        is_course = session.kind == SessionKind.COURSE
        at = started.pop(session.number, None)
        if at is not None:
            doses.append(Dose(session.number, at, course=is_course))
        elif not session.cancelled:
            doses.append(Dose(session.number, session.planned_date, course=is_course))
    doses += [Dose(number, at) for number, at in started.items()]
    return Anchors(course_start=course.start_date, doses=tuple(doses))


@dataclass(frozen=True)
class StatusBadge:
    """An invitation's status as staff pages show it (the worklist, the chart's
    Measurements card, the cancel page): display text worked out once in Python."""

    css_class: str
    text: str
    #: "2 reminders" for a questionnaire sent and reminded; else "".
    reminders: str
    reason: str


@dataclass(frozen=True)
class Summary:
    """An invitation's status badge and its messages' summary, as the worklist and the
    chart's Measurements card show them."""

    status: StatusBadge
    deliveries: int
    #: "3 messages"; the latest message's kind and channel in lower case, its state
    #: (sent, failed, unknown, sending) and when it went ("d M H:i").
    deliveries_text: str
    last_kind: str
    last_channel: str
    last_state: str
    last_sent: str


def status_badge(i: Invitation, statuses: Labels | None = None) -> StatusBadge:
    """The status badge of invitation ``i`` (``statuses``: the status labels, when a
    table has looked them up once for all its rows)."""
    if i.status == InvitationStatus.COMPLETED:
        css_class, text = "status status-active", "Completed"
    elif i.status == InvitationStatus.SENT:
        css_class, text = "status status-new", "Running" if i.is_diary else "Sent"
    elif i.status == InvitationStatus.UNDELIVERABLE:
        css_class, text = "flag flag-review", "Cannot contact"
    elif i.status == InvitationStatus.SCHEDULED:
        css_class, text = "status", "Scheduled"
    else:
        labels = statuses if statuses is not None else choice_labels(InvitationStatus)
        css_class, text = "status status-expired", labels[i.status]
    reminded = i.status == InvitationStatus.SENT and not i.is_diary and i.reminders_sent
    return StatusBadge(
        css_class=css_class,
        text=text,
        reminders=_plural(i.reminders_sent, "reminder") if reminded else "",
        reason=i.status_reason,
    )


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


class _Words(NamedTuple):
    """What a table's summaries say, looked up once for all its rows: the time of a
    message ("d M H:i") and the labels of statuses and channels, in the request's
    timezone and language."""

    when: Callable[[Any], str]
    statuses: Labels
    channels: Labels


def _words() -> _Words:
    return _Words(
        when=day_formatter(with_time=True, with_year=False),
        statuses=choice_labels(InvitationStatus),
        channels=choice_labels(Channel),
    )


def _summary(i: Invitation, count: int, last: Delivery | None, words: _Words) -> Summary:
    return Summary(
        status=status_badge(i, words.statuses),
        deliveries=count,
        deliveries_text=_plural(count, "message"),
        last_kind=last.kind.lower() if last else "",
        last_channel=words.channels[last.channel].lower() if last else "",
        last_state=last.state if last else "",
        last_sent=words.when(last.finished_at) if last else "",
    )


@dataclass(frozen=True)
class MeasurementRow:
    """One invitation on the chart's Measurements card, with its links and its messages'
    summary worked out once in Python (issue 13 §2: cheaper than template lookups)."""

    invitation: Invitation
    deliveries: int
    last_delivery: Delivery | None
    response_url: str
    send_now_url: str
    cancel_url: str
    messages_url: str
    #: Display text (issue 13 §2, round 4): the due time ("D d M Y H:i", clinic time), a
    #: diary's days ("d M–d M Y"), the status badge and the messages' summary, as on the
    #: worklist (:class:`Summary`).
    due: str
    period: str
    summary: Summary


@dataclass(frozen=True)
class Measurements:
    """A patient's invitations of one course, by due time: the rows of one kind (still
    open or to come on the chart; closed on its on-demand table) and how many there are
    of each kind."""

    course: Course | None
    rows: list[MeasurementRow]
    open_count: int
    closed_count: int

    def __bool__(self) -> bool:
        return self.course is not None


#: The invitation columns the card's rows show (``jinja2/schedules/_measurement_rows.html``);
#: most of a course's invitations are closed and only counted, so the rest (six times
#: and the schedule's bookkeeping) is not read (issue 13 §2).
CARD_FIELDS = (
    "patient",
    "course",
    "instrument",
    "label",
    "due_at",
    "period_start",
    "period_end",
    "status",
    "status_reason",
    "reminders_sent",
    "response",
)


def measurements_for_patient(
    *, patient: Patient, closed: bool = False, courses: Sequence[Course] = ()
) -> Measurements:
    """The invitations of the patient's latest course that has a schedule, by due time:
    rows for the open ones (``closed`` False: the chart's card) or the answered, expired
    and cancelled ones (``closed`` True: loaded when the card's closed list is opened,
    issue 13 §2); the other kind is only counted.

    Three queries (the invitations; the shown rows' messages, two: :func:`_messages`),
    however many rows; two when none of the shown rows has a message. The chart passes
    the patient's ``courses`` it has read (all of them, with their protocols): the
    invitations' course is then taken from them, not joined onto every row (one more
    query only if it is not among them), and a patient with one course needs no subquery
    for the latest; without ``courses`` the course is joined as before.
    """
    if len(courses) == 1:
        rows_qs = Invitation.objects.filter(patient=patient, course_id=courses[0].pk)
    else:
        latest = (
            Invitation.objects.filter(patient=patient)
            .order_by("-course__start_date", "-course_id")
            .values("course_id")[:1]
        )
        rows_qs = Invitation.objects.filter(patient=patient, course_id__in=latest)
    rows_qs = rows_qs.only(*CARD_FIELDS)
    if not courses:
        rows_qs = rows_qs.select_related("course__protocol")
    invitations = list(rows_qs.order_by("due_at", "pk"))
    course = None
    if invitations:
        known = {c.pk: c for c in courses}
        course_id = invitations[0].course_id
        course = known.get(course_id) or (
            invitations[0].course
            if not courses
            else Course.objects.select_related("protocol").get(pk=course_id)
        )
        for i in invitations:
            i.course = course  # one course for all (``latest``): no query per row
    shown = [i for i in invitations if (i.status in OPEN_STATUSES) != closed]
    sent = _messages(shown)  # as on the worklist: the count and the latest message
    response_url = pk_links("instruments:response_detail")
    send_now_url, cancel_url = pk_links("schedules:send_now"), pk_links("schedules:cancel")
    messages_url = pk_links("schedules:deliveries")
    due = day_formatter(with_weekday=True, with_time=True)
    day, short = day_formatter(), day_formatter(with_year=False)
    words = _words()
    rows = []
    for i in shown:
        count, last = sent.get(i.pk, (0, None))
        if last is not None:
            last.invitation = i  # its kind depends on the invitation: no query
        rows.append(
            MeasurementRow(
                invitation=i,
                deliveries=count,
                last_delivery=last,
                response_url=response_url(i.response_id) if i.response_id else "",
                send_now_url=send_now_url(i.pk) if i.can_send_now else "",
                cancel_url=cancel_url(i.pk) if i.can_cancel else "",
                messages_url=messages_url(i.pk),
                due=due(i.due_at),
                period=f"{short(i.period_start)}–{day(i.period_end)}" if i.is_diary else "",
                summary=_summary(i, count, last, words),
            )
        )
    n_closed = sum(1 for i in invitations if i.status not in OPEN_STATUSES)
    return Measurements(
        course=course,
        rows=rows,
        open_count=len(invitations) - n_closed,
        closed_count=n_closed,
    )


def invitation_deliveries(*, invitation: Invitation) -> list[Delivery]:
    """The invitation's messages, oldest first. One query."""
    return list(invitation.deliveries.order_by("sequence", "pk"))


@dataclass(frozen=True)
class WorklistRow:
    """A worklist row as it is shown: text, flags and links worked out once in Python, so
    the template only writes them out (issue 13 §2: a template lookup or filter per cell
    cost more than the page's queries). Set on each invitation as ``row``.

    Its messages are summarised by the latest one (the full list is loaded when the row's
    messages are opened, like the chart's card).
    """

    patient_name: str
    mrn: str
    opted_out_of_texts: bool
    chart_url: str
    label: str
    instrument_name: str
    #: The due time, or for an expired row the time it expired ("d M H:i", clinic time).
    when: str
    course_paused: bool
    summary: Summary
    messages_url: str
    phone: str
    #: "Send now", "Send again" (undeliverable), or "" when it cannot be sent now.
    send_now_label: str
    send_now_url: str
    can_send_again: bool
    send_again_url: str
    #: "Switch to email" / "Switch to text messages" when both ways are open; else "".
    switch_label: str
    switch_channel_url: str


#: What a worklist row's summary shows of a message (kind, channel, state, time sent).
_MESSAGE_FIELDS = (
    "invitation_id",
    "sequence",
    "channel",
    "status",
    "claimed_at",
    "finished_at",
)


def _messages(invitations: list[Invitation]) -> dict[int, tuple[int, Delivery]]:
    """Each invitation's message count and latest message, by invitation pk, for the rows
    of every worklist section and of the chart's Measurements card: two queries, however
    many rows (cheaper than a count and a latest-message subquery on every section's
    query). The first reads every message of the rows as (id, invitation, sequence) only,
    to count them and find each row's latest; the second loads those latest as models
    (:data:`_MESSAGE_FIELDS`). Reading every message's times as well cost more than the
    second query: Django converts each datetime it reads from SQLite (issue 13 §2)."""
    if not invitations:
        return {}
    count: Counter[int] = Counter()
    latest: dict[int, tuple[int, int]] = {}  # invitation pk -> (sequence, pk)
    queries = _queries()
    for pk, invitation_id, sequence in queries.messages.filter(
        invitation__in=[i.pk for i in invitations]
    ):
        count[invitation_id] += 1
        last = latest.get(invitation_id)
        if last is None or (sequence, pk) > last:
            latest[invitation_id] = (sequence, pk)
    return {
        message.invitation_id: (count[message.invitation_id], message)
        for message in queries.latest_messages.filter(pk__in=[pk for _, pk in latest.values()])
    }


def _with_rows(
    invitations: list[Invitation], *, expired: bool, sent: dict[int, tuple[int, Delivery]]
) -> None:
    """Sets each invitation's ``row`` (:class:`WorklistRow`)."""
    chart = pk_links("patients:chart")
    messages, send_now = pk_links("schedules:deliveries"), pk_links("schedules:send_now")
    send_again, switch = pk_links("schedules:send_again"), pk_links("schedules:switch_channel")
    words = _words()
    when = words.when
    for i in invitations:
        p, (count, delivery) = _row_patient(i), sent.get(i.pk, (0, None))
        if delivery is not None:
            delivery.invitation = i  # its kind depends on the invitation: no query
        i.row = WorklistRow(  # type: ignore[attr-defined]
            patient_name=Patient.joined_name(p.given_name, p.family_name),
            mrn=p.mrn,
            opted_out_of_texts=p.sms_opted_out_at is not None,
            chart_url=chart(i.patient_id) + "#measurements",
            label=i.label,
            instrument_name=i.instrument_name,
            when=when(i.status_changed_at if expired else i.due_at),
            course_paused=i.course_status == CourseStatus.PAUSED,  # type: ignore[attr-defined]
            summary=_summary(i, count, delivery, words),
            messages_url=messages(i.pk),
            phone=p.phone,
            send_now_label=(
                ("Send again" if i.status == InvitationStatus.UNDELIVERABLE else "Send now")
                if i.can_send_now
                else ""
            ),
            send_now_url=send_now(i.pk),
            can_send_again=i.can_send_again(delivery),
            send_again_url=send_again(i.pk),
            switch_label=(
                ("Switch to email" if p.preferred_channel == "sms" else "Switch to text messages")
                if i.can_cancel and p.email and p.phone and p.sms_opted_out_at is None
                else ""
            ),
            switch_channel_url=switch(i.pk),
        )


@dataclass(frozen=True)
class DiaryGap:
    """A row of the worklist's diary gaps, with its text worked out (display row)."""

    patient_id: int
    mrn: str
    days_missed: int
    last_entry: dt.date | None
    link_made_on: dt.date
    patient_name: str
    chart_url: str
    #: "d M Y", or "none" before the first entry.
    last_entry_text: str
    link_made_on_text: str


#: The columns a worklist row reads (fewer columns: less SQL to build, fewer fields to load).
_WORKLIST_COLUMNS = (
    "patient_id",
    "key",
    "instrument",
    "label",
    "due_at",
    "status",
    "status_reason",
    "status_changed_at",
    "reminders_sent",
)

#: The patient's columns a worklist row reads, with the row: no patient model per row
#: (issue 13 §2, round 6; a model's loading goes through every field it has).
_PATIENT_COLUMNS = (
    "given_name",
    "family_name",
    "mrn",
    "phone",
    "email",
    "preferred_channel",
    "sms_opted_out_at",
)


class _RowPatient(NamedTuple):
    """A worklist row's patient, as read with the row (``row_patient_*``)."""

    given_name: str
    family_name: str
    mrn: str
    phone: str
    email: str
    preferred_channel: str
    sms_opted_out_at: dt.datetime | None


def _row_patient(i: Invitation) -> _RowPatient:
    return _RowPatient(*(getattr(i, f"row_patient_{name}") for name in _PATIENT_COLUMNS))


#: The worklist's sections, most urgent first (``?show=`` names one of them).
SECTIONS = ("due", "overdue", "expired", "diary")
#: Rows per page when one section is shown.
WORKLIST_PAGE_SIZE = 50
#: Rows per section when every section is shown (each links to its own pages).
WORKLIST_OVERVIEW_ROWS = 20


@dataclass(frozen=True)
class Worklist:
    """The rows shown of each section and each section's total.

    With ``show`` = ``"all"`` every section holds its first :data:`WORKLIST_OVERVIEW_ROWS` rows;
    with one section named, only that section has rows: the page ``page`` of it.
    """

    today: dt.date
    due_today: list[Invitation]
    overdue: list[Invitation]
    expired: list[Invitation]
    diary_gaps: list[DiaryGap]
    missed_days_threshold: int
    counts: dict[str, int]
    show: str = "all"
    page: Page[Any] | None = None
    page_size: int = WORKLIST_PAGE_SIZE

    @property
    def is_empty(self) -> bool:
        return not any(self.counts.values())

    @property
    def left_out(self) -> dict[str, int]:
        """Per section, the rows the all-sections view does not show (0 on a section's page)."""
        shown: dict[str, list[Any]] = {
            "due": self.due_today,
            "overdue": self.overdue,
            "expired": self.expired,
            "diary": self.diary_gaps,
        }
        if self.show != "all":
            return dict.fromkeys(SECTIONS, 0)
        return {name: self.counts[name] - len(rows) for name, rows in shown.items()}


def _day_bounds(day: dt.date, clinic: Clinic) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(day, dt.time(0), tzinfo=clinic.tzinfo)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=clinic.tzinfo)
    return start, end


def _diary_gaps(*, clinic: Clinic, today: dt.date, missed_days: int) -> list[_Gap]:
    """Every working diary link with a gap of ``missed_days`` or more, longest gap first
    (then by name): one query, whatever the clinic's size.

    The SQL form of :func:`afterglow.alerts.rules.diary_gap` selects the links: the gap
    starts the day after the later of the last entry and the link's local date, and
    ``missed_days`` or more whole days before today have no entry exactly when that later
    day is on or before ``today - missed_days - 1``. ``tests/schedules/
    test_worklist_diary_gaps.py`` holds the query to the rule on the boundary days.

    The rows are ordered here rather than in SQL: the gap's start needs the link's local
    date, a per-row time-zone conversion that SQLite makes through a Python function, and
    a window count for the total, which together cost more than reading the (few hundred
    at 10,000 patients) rows and sorting them (issue 13 §2). The database orders them by
    name first, with its own collation, and the stable sort keeps that order within a day.
    """
    cutoff = today - dt.timedelta(days=missed_days + 1)
    # The filter compares the link's time with a clinic-time midnight rather than its local
    # date, so no per-row conversion is needed to select the links.
    made_by, _ = _day_bounds(cutoff + dt.timedelta(days=1), clinic)
    # Patients who wrote after the cutoff, from the index on (clinic, day, patient) alone;
    # the database checks each working link against that set (the partial index
    # ``diarylink_working_idx`` holds only working links). The last entry is looked up
    # only for the links kept.
    wrote = DiaryEntry.objects.filter(clinic=clinic, day__gt=cutoff).values("patient_id")
    rows = (
        _queries()
        .diary_gaps.usable()
        .filter(clinic=clinic, created_at__lt=made_by)
        .exclude(patient__in=wrote)
    )
    gaps = []
    tz = clinic.tzinfo
    for patient_id, mrn, given, family, created_at, last_entry in rows:
        made_on = created_at.astimezone(tz).date()
        anchor = made_on if last_entry is None else max(last_entry, made_on)
        missed = (today - anchor).days - 1  # whole days after the anchor, before today
        gaps.append(_Gap(missed, patient_id, mrn, given, family, made_on, last_entry))
    gaps.sort(key=lambda g: -g.days_missed)
    return gaps


@dataclass(frozen=True)
class _Queries:
    """The worklist's queries without the values of the request (clinic, day, time).

    Built once per process: Django takes longer to build a query's select, joins, order
    and fixed filters than the database takes to answer it on the demo clinic, so each
    request adds only its own filters to a copy (``filter`` copies; these are never
    evaluated themselves). Issue 13 §2."""

    #: Open invitations as rows, by due time ("due today", "overdue").
    open_rows: QuerySet[Invitation]
    #: Expired invitations as rows, the latest first.
    expired_rows: QuerySet[Invitation]
    #: Open invitations, to count (``WORKLIST_OPEN`` as it is: its partial index).
    open: QuerySet[Invitation]
    expired: QuerySet[Invitation]
    #: Diary links as gap rows (``_diary_gaps`` adds the working links' filter).
    diary_gaps: Any
    #: Messages as (pk, invitation pk, sequence) tuples, unordered.
    messages: Any
    #: Messages as models with :data:`_MESSAGE_FIELDS` only, unordered.
    latest_messages: QuerySet[Delivery]


@cache
def _queries() -> _Queries:
    # The course (for its status: paused, held) and the patient are read as columns of
    # the row, not as models.
    rows = Invitation.objects.only(*_WORKLIST_COLUMNS).annotate(
        course_status=F("course__status"),
        **{f"row_patient_{name}": F(f"patient__{name}") for name in _PATIENT_COLUMNS},
    )
    expired = Invitation.objects.filter(status=InvitationStatus.EXPIRED)
    last_entry = (
        DiaryEntry.objects.filter(patient=OuterRef("patient_id")).order_by("-day").values("day")
    )
    return _Queries(
        open_rows=rows.filter(WORKLIST_OPEN).order_by("due_at", "pk"),
        expired_rows=rows.filter(status=InvitationStatus.EXPIRED).order_by(
            "-status_changed_at", "-pk"
        ),
        open=Invitation.objects.filter(WORKLIST_OPEN),
        expired=expired,
        diary_gaps=DiaryLink.objects.annotate(
            last_entry=Subquery(last_entry[:1], output_field=DateField())
        )
        .order_by("patient__family_name", "patient__given_name", "pk")
        .values_list(
            "patient_id",
            "patient__mrn",
            "patient__given_name",
            "patient__family_name",
            "created_at",
            "last_entry",
        ),
        messages=Delivery.objects.order_by().values_list("pk", "invitation_id", "sequence"),
        latest_messages=Delivery.objects.order_by().only(*_MESSAGE_FIELDS),
    )


class _Gap(NamedTuple):
    """A diary gap as read: :func:`_gap_rows` makes the display rows of those shown."""

    days_missed: int
    patient_id: int
    mrn: str
    given_name: str
    family_name: str
    link_made_on: dt.date
    last_entry: dt.date | None


def _gap_rows(gaps: Iterable[_Gap]) -> list[DiaryGap]:
    chart, day = pk_links("patients:chart"), day_formatter()
    return [
        DiaryGap(
            patient_id=g.patient_id,
            mrn=g.mrn,
            days_missed=g.days_missed,
            last_entry=g.last_entry,
            link_made_on=g.link_made_on,
            patient_name=Patient.joined_name(g.given_name, g.family_name),
            chart_url=chart(g.patient_id) + "#diary",
            last_entry_text=day(g.last_entry) or "none",
            link_made_on_text=day(g.link_made_on),
        )
        for g in gaps
    ]


def worklist(
    *,
    clinic: Clinic,
    now: dt.datetime | None = None,
    show: str = "all",
    page: str | int | None = None,
    per_page: int | None = None,
) -> Worklist:
    """What needs the team today, in the clinic's own day, most urgent first.

    - *Due today*: open invitations due today (clinic time);
    - *overdue*: open invitations due before today and not answered (a diary that is
      running is not overdue: its days are in the diary list);
    - *expired*: invitations that expired in the last two weeks;
    - *diary gaps*: patients with a working diary link and no entry for at least the
      clinic's ``diary_missed_days_alert`` whole days before today.

    ``show`` = ``"all"`` gives each section's first :data:`WORKLIST_OVERVIEW_ROWS` rows;
    a section of :data:`SECTIONS` gives page ``page`` of that section alone (an
    out-of-range page is the last one; ``per_page`` defaults to
    :data:`WORKLIST_PAGE_SIZE`). Whatever the clinic's size: one query for the diary gaps
    (read whole: they count themselves), one per invitation section shown, two for the
    messages of every row shown (:func:`_messages`), and at most two count queries. The
    overview counts only its full sections in the database (one query for "due today"
    and "overdue", one for "expired"): a section with fewer rows than the overview holds
    counts its rows.
    """
    show = show if show in SECTIONS else "all"
    per_page = per_page or WORKLIST_PAGE_SIZE
    now = now or timezone.now()
    today = timezone.localdate(now, timezone=clinic.tzinfo)
    start, end = _day_bounds(today, clinic)
    threshold = clinic.diary_missed_days_alert
    queries = _queries()
    # The partial index on WORKLIST_OPEN serves "due today" and "overdue".
    recently = {"status_changed_at__gte": now - dt.timedelta(days=EXPIRED_RECENT_DAYS)}
    sections: dict[str, QuerySet[Any]] = {
        "due": queries.open_rows.filter(clinic=clinic, due_at__gte=start, due_at__lt=end),
        "overdue": queries.open_rows.filter(clinic=clinic, due_at__lt=start),
        "expired": queries.expired_rows.filter(clinic=clinic, **recently),
    }
    # Every diary gap is read (a few hundred at 10,000 patients), so they count themselves.
    gaps = _diary_gaps(clinic=clinic, today=today, missed_days=threshold)
    shown: dict[str, list[Any]] = {name: [] for name in SECTIONS}
    current: Page[Any] | None = None
    if show == "all":
        limit = min(per_page, WORKLIST_OVERVIEW_ROWS)
        for name, section in sections.items():
            shown[name] = list(section[:limit])
        shown["diary"] = gaps[:limit]
        # A section with room to spare on the overview shows all its rows: they count
        # themselves, and only a full section is counted in the database (issue 13 §2).
        full = {name for name in sections if len(shown[name]) == limit}
    else:
        full = set(sections)
    counts = {name: len(shown[name]) for name in sections if name not in full}
    open_full = [name for name in ("due", "overdue") if name in full]
    if open_full:
        # "Due today" and "overdue" counted in one pass over the partial index.
        window = {"due": Q(due_at__gte=start), "overdue": Q(due_at__lt=start)}
        counts |= queries.open.filter(clinic=clinic, due_at__lt=end).aggregate(
            **{name: Count("pk", filter=window[name]) for name in open_full}
        )
    if "expired" in full:
        counts["expired"] = queries.expired.filter(clinic=clinic, **recently).count()
    counts["diary"] = len(gaps)
    if show != "all":
        rows: QuerySet[Any] | list[_Gap] = gaps if show == "diary" else sections[show]
        # The count is known: the paginator need not ask again.
        paginator = Paginator(rows, per_page)
        paginator.count = counts[show]  # type: ignore[misc]
        current = paginator.get_page(page)
        shown[show] = list(current.object_list)
    counts = {name: counts[name] for name in SECTIONS}  # in the sections' order
    shown["diary"] = _gap_rows(shown["diary"])
    sent = _messages(shown["due"] + shown["overdue"] + shown["expired"])
    for name in ("due", "overdue", "expired"):
        _with_rows(shown[name], expired=name == "expired", sent=sent)
    return Worklist(
        today=today,
        due_today=shown["due"],
        overdue=shown["overdue"],
        expired=shown["expired"],
        diary_gaps=shown["diary"],
        missed_days_threshold=threshold,
        counts=counts,
        show=show,
        page=current,
        page_size=per_page,
    )
