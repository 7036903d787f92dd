"""Errors as ``application/problem+json`` (RFC 9457), for every answer under ``/api/``.

Each error body is ``{"type", "title", "status", "detail"}``, and validation errors add
``"errors": [{"loc": "query.limit", "msg": "..."}]``. ``detail`` says what to change.
Three layers make sure no error leaves the API in another shape:

- :func:`install_handlers` gives the django-ninja API one handler per exception type
  (authentication, validation, 404, the domain's own input errors, and any unexpected
  exception, which is logged and answered 500 without a traceback);
- :class:`ProblemMiddleware` rewrites every other error answer under ``/api/`` (Django's
  404 for an unknown path, ninja's 405, a 500 from a middleware) into the same shape;
- the OpenAPI document declares the error answers with the ``Problem`` schema
  (``v1.py``), so clients and the fuzz test know what to expect.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from functools import partial
from http import HTTPStatus
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from afterglow.analytics.engine import AnalysisInputError
from afterglow.api.auth import ApiAuthError
from afterglow.diary.services import DayNotEditable
from afterglow.instruments.catalog import UnknownInstrument
from afterglow.instruments.scoring import ScoringInputError

logger = logging.getLogger(__name__)

PROBLEM_TYPE = "application/problem+json"
API_PREFIX = "/api/"


class ProblemError(Exception):
    """Raised by endpoint code for a refusal with its status and a sentence to act on."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


class Problem(Schema):
    """An error (RFC 9457 problem details)."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[dict[str, str]] | None = None


def problem_response(
    status: int,
    detail: str,
    *,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = errors
    response = JsonResponse(body, status=status, content_type=PROBLEM_TYPE)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _location(loc: Iterable[Any]) -> str:
    return ".".join(str(part) for part in loc)


def _validation(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors = [
        {"loc": _location(e.get("loc", ())), "msg": str(e.get("msg", ""))} for e in exc.errors
    ]
    summary = "; ".join(f"{e['loc']}: {e['msg']}" for e in errors[:5])
    return problem_response(422, f"The request is not valid: {summary}.", errors=errors)


def _django_validation(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    if hasattr(exc, "error_dict"):
        errors = [
            {"loc": f"body.{field}", "msg": " ".join(str(m) for m in messages)}
            for field, messages in exc.message_dict.items()
        ]
        summary = "; ".join(f"{e['loc']}: {e['msg']}" for e in errors)
        return problem_response(422, f"The request is not valid: {summary}", errors=errors)
    return problem_response(422, " ".join(exc.messages))


def _auth(request: HttpRequest, exc: ApiAuthError) -> HttpResponse:
    headers = {"WWW-Authenticate": 'Bearer realm="afterglow"'} if exc.status == 401 else {}
    if exc.status == 429:
        headers["Retry-After"] = "60"
    return problem_response(exc.status, exc.detail, headers=headers)


def _status(status: int, request: HttpRequest, exc: Exception) -> HttpResponse:
    return problem_response(status, str(exc))


def _problem(request: HttpRequest, exc: ProblemError) -> HttpResponse:
    return problem_response(exc.status, exc.detail)


def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if isinstance(exc, AuthenticationError):
        return problem_response(401, "No credentials. Send 'Authorization: Bearer <token>'.")
    detail = str(exc)
    if exc.status_code == 400 and detail == "Cannot parse request body":
        detail = "The request body is not valid JSON (send Content-Type: application/json)."
    return problem_response(exc.status_code, detail)


def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    # Http404's own text may name a model; say what a client can act on instead.
    return problem_response(
        404, "No such object in your clinic (or no such path); check the id and the URL."
    )


def _too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return problem_response(413, "The request body is too large; send fewer records per call.")


def _day_not_editable(request: HttpRequest, exc: DayNotEditable) -> HttpResponse:
    why = (
        "is in the future in the clinic's time zone"
        if exc.reason == "future"
        else "is past the clinic's diary edit window (setting diary_edit_days)"
    )
    return problem_response(422, f"day {exc.day.isoformat()} {why}; nothing was stored.")


def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    # The traceback goes to the log (no path, no body: RouteNotPath), never to the client.
    logger.error("API error %s", type(exc).__name__, exc_info=exc)
    return problem_response(
        500,
        "The server failed to answer this request; it has been logged. Quote the "
        "X-Request-ID header when you report it.",
    )


def install_handlers(api: NinjaAPI) -> None:
    handlers: dict[type[Exception], Callable[..., HttpResponse]] = {
        Exception: _unexpected,
        NinjaValidationError: _validation,
        DjangoValidationError: _django_validation,
        HttpError: _http_error,
        Http404: _not_found,
        ApiAuthError: _auth,
        ProblemError: _problem,
        RequestDataTooBig: _too_big,
        UnknownInstrument: partial(_status, 422),
        ScoringInputError: partial(_status, 422),
        AnalysisInputError: partial(_status, 422),
        DayNotEditable: _day_not_editable,
    }
    for exc_class, handler in handlers.items():
        api.add_exception_handler(exc_class, handler)


_DETAILS = {
    404: "No such path in the API; see /api/v1/docs for the paths there are.",
    405: "This path does not take that method; the Allow header lists the ones it takes.",
}


class ProblemMiddleware:
    """Every error answer under ``/api/`` in problem+json (module docstring)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            request.path.startswith(API_PREFIX)
            and response.status_code >= 400
            and not response.get("Content-Type", "").startswith(PROBLEM_TYPE)
        ):
            status = response.status_code
            detail = _DETAILS.get(status, HTTPStatus(status).description or "Request refused.")
            # Keep what the middleware below added (Allow, Cache-Control, CSP, request id).
            headers = {
                name: value
                for name, value in response.items()
                if name.lower() not in ("content-type", "content-length")
            }
            return problem_response(status, detail, headers=headers)
        return response
