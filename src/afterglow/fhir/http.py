"""FHIR over HTTP: the content type, OperationOutcome errors and search parameters."""

from __future__ import annotations

import calendar
import datetime as dt
import json
import re
import zoneinfo
from typing import Any

from django.http import HttpResponse

from afterglow.fhir.selectors import UpdatedBound

CONTENT_TYPE = "application/fhir+json; charset=utf-8"
ACCEPTED_BODY_TYPES = ("application/fhir+json", "application/json")
DEFAULT_COUNT = 50
MAX_COUNT = 200
MAX_OFFSET = 10_000_000
SEARCH_PARAMS = ("patient", "_lastUpdated", "_count", "_offset")
PREFIXES = ("eq", "ge", "gt", "le", "lt")


class FhirHttpError(Exception):
    """Answer with an OperationOutcome: ``status``, an issue ``code`` and the message."""

    def __init__(self, status: int, code: str, message: str, expression: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.expression = expression


def fhir_response(resource: dict[str, Any], status: int = 200) -> HttpResponse:
    return HttpResponse(
        json.dumps(resource, ensure_ascii=False), status=status, content_type=CONTENT_TYPE
    )


def operation_outcome(code: str, message: str, expression: str = "") -> dict[str, Any]:
    issue: dict[str, Any] = {"severity": "error", "code": code, "diagnostics": message}
    if expression:
        issue["expression"] = [expression]
    return {"resourceType": "OperationOutcome", "issue": [issue]}


def outcome_response(error: FhirHttpError) -> HttpResponse:
    return fhir_response(
        operation_outcome(error.code, error.message, error.expression), status=error.status
    )


def parse_body(body: bytes, content_type: str) -> Any:
    media = content_type.split(";", 1)[0].strip().lower()
    if media not in ACCEPTED_BODY_TYPES:
        raise FhirHttpError(
            415, "not-supported", f"send the resource as application/fhir+json, not {media!r}"
        )
    try:
        return json.loads(body.decode("utf-8"), parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError) as exc:
        raise FhirHttpError(400, "invalid", f"the body is not valid JSON: {exc}") from None
    except RecursionError:
        raise FhirHttpError(400, "invalid", "the body is nested too deeply") from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _int_param(name: str, text: str, low: int, high: int) -> int:
    if not re.fullmatch(r"\d{1,9}", text) or not low <= int(text) <= high:
        raise FhirHttpError(
            400, "invalid", f"{name} must be a whole number from {low} to {high}, got {text!r}"
        )
    return int(text)


def patient_param(text: str) -> int:
    """``123`` or ``Patient/123``."""
    bare = text.removeprefix("Patient/")
    if not re.fullmatch(r"\d{1,11}", bare):
        raise FhirHttpError(400, "invalid", f"patient must be a Patient id, got {text!r}")
    return int(bare)


_DATE = re.compile(
    r"(?P<prefix>eq|ne|gt|lt|ge|le|sa|eb|ap)?"
    r"(?P<year>\d{4})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2})"
    r"(?:T(?P<time>\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)(?P<tz>Z|[+-]\d{2}:\d{2}))?)?)?"
)


def updated_bound(text: str, tz: zoneinfo.ZoneInfo) -> UpdatedBound:
    """One ``_lastUpdated`` value: prefix plus a FHIR date (YYYY[-MM[-DD[Thh:mm[:ss]±zz:zz]]]).

    A date without a time is read in the clinic's time zone and covers its whole
    span: ``eq2026-03-01`` is that day, ``gt2026-03`` starts in April.
    """
    match = _DATE.fullmatch(text)
    if match is None:
        raise FhirHttpError(
            400,
            "invalid",
            f"_lastUpdated {text!r} is not a FHIR date such as ge2026-03-01 or "
            "lt2026-03-01T12:00:00Z",
        )
    prefix = match["prefix"] or "eq"
    if prefix not in PREFIXES:
        raise FhirHttpError(
            400, "not-supported", f"_lastUpdated prefix {prefix!r} is not supported"
        )
    year = int(match["year"])
    month = int(match["month"] or 1)
    day = int(match["day"] or 1)
    try:
        if match["time"]:
            moment = dt.datetime.fromisoformat(
                f"{match['year']}-{match['month']}-{match['day']}T{match['time']}"
                f"{'+00:00' if match['tz'] == 'Z' else match['tz']}"
            )
            end = moment + dt.timedelta(microseconds=1)
        else:
            start = dt.date(year, month, day)
            if match["day"]:
                stop = start + dt.timedelta(days=1)
            elif match["month"]:
                stop = start + dt.timedelta(days=calendar.monthrange(year, month)[1])
            else:
                stop = dt.date(year + 1, 1, 1) if year < 9999 else dt.date(9999, 12, 31)
            moment = dt.datetime.combine(start, dt.time.min, tz)
            end = dt.datetime.combine(stop, dt.time.min, tz)
    except ValueError as exc:
        raise FhirHttpError(400, "invalid", f"_lastUpdated {text!r}: {exc}") from None
    return UpdatedBound(prefix=prefix, moment=moment, end=end)


def search_params(query: Any, tz: zoneinfo.ZoneInfo) -> dict[str, Any]:
    """Check the query string; unknown parameters are refused, never silently ignored."""
    unknown = sorted(set(query) - set(SEARCH_PARAMS))
    if unknown:
        raise FhirHttpError(
            400,
            "not-supported",
            f"unknown search parameter {unknown[0]!r}; supported: " + ", ".join(SEARCH_PARAMS),
        )
    for single in ("patient", "_count", "_offset"):
        if len(query.getlist(single)) > 1:
            raise FhirHttpError(400, "invalid", f"{single} may be given once")
    patient = query.get("patient")
    return {
        "patient_id": patient_param(patient) if patient is not None else None,
        "updated": [updated_bound(value, tz) for value in query.getlist("_lastUpdated")],
        "count": _int_param("_count", query["_count"], 1, MAX_COUNT)
        if "_count" in query
        else DEFAULT_COUNT,
        "offset": _int_param("_offset", query["_offset"], 0, MAX_OFFSET)
        if "_offset" in query
        else 0,
    }
