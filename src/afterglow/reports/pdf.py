"""PDF documents from Django templates, laid out by WeasyPrint with print CSS.

Any report is a template that extends ``reports/print_base.html`` (A4, margins, a
running header with the clinic's name and "Confidential — contains personal health
information", a footer with the generation time and "Page n of m"), rendered with
:func:`print_context` plus its own context, then turned into PDF bytes by
:func:`render_pdf`. Charts are inline SVG from :mod:`afterglow.reports.figures`.

WeasyPrint needs the Pango system library. It is imported only when a PDF is made,
so the rest of Afterglow runs without it; if it is missing, :func:`render_pdf`
raises :class:`PdfUnavailable` with the install command, and views answer 503
(``reports.http.pdf_unavailable``), never 500.

A view making a report (see ``reports.views.patient_pdf``)::

    context = {"data": ..., **print_context(clinic=clinic, title="…", prepared_by="…")}
    try:
        pdf = render_pdf(template="app/report.html", context=context, tz=clinic.tzinfo)
    except PdfUnavailable as error:
        return pdf_unavailable(request, error)  # reports.http: 503 with the fix
    return pdf_response(pdf, filename="afterglow-….pdf")  # attachment, no-store

Resources: a report may use ``data:`` URIs and the project's static files (looked up
through the staticfiles finders, by path). Nothing else is fetched: no network, so
a template cannot be made to reach other hosts, and rendering never waits on the
app's own web server.

Speed (issue 13): Python's garbage collector is paused while WeasyPrint lays out and
draws (:func:`collector_paused`), charts are drawn once per set of numbers
(``reports.figures.cached_chart``), and each thread keeps one WeasyPrint font
configuration and one parsed print CSS for all its reports (:func:`font_configuration`,
:func:`print_stylesheet`). What a report costs,
and what did not help, is in README "Performance".
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import threading
import zoneinfo
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import timezone

from afterglow.accounts.models import Clinic

PANGO_HINT = "PDF reports need the Pango library: apt-get install libpango-1.0-0 libpangoft2-1.0-0"
#: Relative URLs in a report resolve against this; the fetcher only serves static files
#: by path, so the host never matters and is never contacted.
BASE_URL = "https://afterglow.invalid/"
CONFIDENTIAL = "Confidential — contains personal health information"

#: The print CSS of every report (A4, header and footer, type, tables): :func:`print_stylesheet`.
PRINT_CSS = "reports/print.css"
# font_configuration's and print_stylesheet's objects, one of each per thread.
_per_thread = threading.local()

# collector_paused's state: renders running, and whether the collector was on before.
_paused = 0
_was_enabled: list[bool] = []
_paused_lock = threading.Lock()


class PdfUnavailable(RuntimeError):
    """WeasyPrint (or the Pango library under it) cannot be loaded on this machine."""


def load_weasyprint() -> ModuleType:
    """The ``weasyprint`` module, or :class:`PdfUnavailable` naming what to install.

    Without Pango, ``import weasyprint`` fails with ``OSError`` ("cannot load library
    'libpango-1.0-0'") while loading the library through cffi.
    """
    try:
        import weasyprint
    except (OSError, ImportError) as exc:
        raise PdfUnavailable(f"{PANGO_HINT} ({exc})") from exc
    return weasyprint


def print_context(
    *, clinic: Clinic, title: str, now: dt.datetime | None = None, prepared_by: str = ""
) -> dict[str, Any]:
    """What ``reports/print_base.html`` needs: clinic, title and the generation time.

    ``report_generated_at`` is in the clinic's timezone, named in the footer.
    """
    tz = clinic.tzinfo
    generated = timezone.localtime(now or timezone.now(), tz)
    return {
        "report_clinic": clinic,
        "report_title": title,
        "report_generated_at": generated,
        "report_generated_label": (
            f"Generated {generated:%d %b %Y %H:%M} {generated.tzname()} ({clinic.timezone})"
        ),
        "report_prepared_by": prepared_by,
        "report_confidential": CONFIDENTIAL,
    }


def render_html(
    *, template: str, context: Mapping[str, Any], tz: zoneinfo.ZoneInfo | None = None
) -> str:
    """The HTML WeasyPrint will lay out; ``tz`` is the timezone dates are shown in."""
    if tz is None:
        return render_to_string(template, dict(context))
    with timezone.override(tz):
        return render_to_string(template, dict(context))


def layout(
    *,
    template: str,
    context: Mapping[str, Any],
    base_url: str | None = None,
    tz: zoneinfo.ZoneInfo | None = None,
) -> Any:
    """The laid-out ``weasyprint.Document`` (its ``pages`` can be inspected in tests)."""
    weasyprint = load_weasyprint()
    html = render_html(template=template, context=context, tz=tz)
    return weasyprint.HTML(
        string=html, base_url=base_url or BASE_URL, url_fetcher=_static_fetcher(weasyprint)
    ).render(font_config=font_configuration(), stylesheets=[print_stylesheet()])


def font_configuration() -> Any:
    """This thread's ``weasyprint.text.fonts.FontConfiguration``, made on first use.

    Left to itself WeasyPrint loads Fontconfig's configuration and makes a new Pango
    font map for every document, so every report opened its fonts again and started
    with cold glyph caches (≈ 30 ms of a patient PDF). Reports use installed fonts only
    (no ``@font-face``, which would add fonts to the shared configuration), so one
    configuration serves them all. Pango font maps are not thread-safe: one per thread
    (gunicorn's gthread workers run several).
    """
    config = getattr(_per_thread, "fonts", None)
    if config is None:
        from weasyprint.text.fonts import FontConfiguration

        config = _per_thread.fonts = FontConfiguration()
    return config


def print_stylesheet() -> Any:
    """:data:`PRINT_CSS` (page, header, footer, type, tables) as a ``weasyprint.CSS``,
    parsed once per thread: every report is laid out with it.

    ``print_base.html`` no longer carries it in its ``<style>``, which WeasyPrint parsed
    again for every report (≈ 10 ms). Given to WeasyPrint as a user stylesheet, it is
    cascaded below the report's own ``{% block style %}`` rules, which is how they were
    meant to apply. An edit to the file shows after a restart.
    """
    sheet = getattr(_per_thread, "css", None)
    if sheet is None:
        weasyprint = load_weasyprint()
        sheet = _per_thread.css = weasyprint.CSS(
            string=render_to_string(PRINT_CSS), font_config=font_configuration()
        )
    return sheet


def render_pdf(
    *,
    template: str,
    context: Mapping[str, Any],
    base_url: str | None = None,
    tz: zoneinfo.ZoneInfo | None = None,
) -> bytes:
    """PDF bytes of ``template`` rendered with ``context`` (see the module docstring).

    Raises :class:`PdfUnavailable` when WeasyPrint's system libraries are missing.
    """
    with collector_paused():
        document = layout(template=template, context=context, base_url=base_url, tz=tz)
        pdf: bytes = document.write_pdf()
        del document  # freed before the collector is back (see collector_paused)
    return pdf


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off while a report is laid out and drawn.

    WeasyPrint builds a box tree of tens of thousands of objects that lives for the
    whole render: the collector would scan it again and again and promote it to the
    oldest generation, which then forces a full collection of the whole process (every
    module, the dashboard's cache) about every other report, half a second each. Off
    for one render, the tree is freed by reference counting when the render ends and
    what cycles remain go at the next young-generation collection. Memory stays bounded
    by one report. Nested or concurrent renders keep it off until the last one ends.
    """
    global _paused
    with _paused_lock:
        _paused += 1
        if _paused == 1:
            _was_enabled.append(gc.isenabled())
            gc.disable()
    try:
        yield
    finally:
        with _paused_lock:
            _paused -= 1
            if _paused == 0 and _was_enabled.pop():
                gc.enable()


def _static_fetcher(weasyprint: ModuleType) -> Any:
    """A WeasyPrint URL fetcher for ``data:`` URIs and static files only."""
    base = weasyprint.urls.URLFetcher

    class StaticOnlyFetcher(base):  # type: ignore[misc, valid-type]
        def fetch(self, url: str, headers: Any = None) -> Any:
            if url.startswith("data:"):
                return super().fetch(url, headers)
            path = unquote(urlsplit(url).path)
            static_url = settings.STATIC_URL or "/static/"
            relative = path.removeprefix(static_url)
            if path.startswith(static_url) and ".." not in relative.split("/"):
                found = finders.find(relative)
                if isinstance(found, str):
                    return super().fetch(Path(found).as_uri(), headers)
            raise ValueError(f"PDF reports load only data: URIs and static files, not {url}")

    return StaticOnlyFetcher(allowed_protocols=("data", "file"))
