"""``/healthz``: for the clinic's monitoring. No login, no data, never cached."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponseRedirect, JsonResponse
from django.templatetags.static import static
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from afterglow.ops.health import health_report


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    report = health_report()
    return JsonResponse(report.as_dict(), status=200 if report.ok else 503)


@require_safe
def favicon(request: HttpRequest) -> HttpResponseRedirect:
    """``/favicon.ico``, asked for by browsers that ignore the page's ``<link rel=icon>``."""
    return HttpResponseRedirect(static("favicon.ico"))
