"""The PDF infrastructure: A4 pages with header, footer and page numbers; safe fetching;
a clear failure without Pango."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from afterglow.reports import pdf
from tests.factories import ClinicFactory
from tests.reports.conftest import page_texts

LONG = """{% extends "reports/print_base.html" %}{% block content %}<h1>Long report</h1>
{% for n in lines %}<p>Paragraph {{ n }} of a report that needs several pages.</p>{% endfor %}
{% endblock %}"""


@pytest.fixture
def long_template(settings, tmp_path) -> str:
    (tmp_path / "long.html").write_text(LONG)
    engine = settings.TEMPLATES[0]
    settings.TEMPLATES = [{**engine, "DIRS": [*engine["DIRS"], tmp_path]}]
    return "long.html"


@pytest.fixture
def clinic_with_marks(db):
    return ClinicFactory(name='Smith & Jones <"Trauma"> Clinic', slug="marks")


def test_every_page_has_the_clinic_the_notice_the_time_and_page_n_of_m(
    long_template, clinic_with_marks
) -> None:
    # 14:30 UTC on 2 March 2026 is 09:30 in New York (EST, UTC−5).
    with time_machine.travel(dt.datetime(2026, 3, 2, 14, 30, tzinfo=dt.UTC), tick=False):
        context = {
            "lines": range(150),
            **pdf.print_context(clinic=clinic_with_marks, title="Long", prepared_by="Dr A"),
        }
        document = pdf.layout(template=long_template, context=context)
    pages = page_texts(document)
    assert len(pages) >= 3
    for number, text in enumerate(pages, start=1):
        assert 'Smith & Jones <"Trauma"> Clinic' in text  # escaped in HTML, intact in print
        assert "Confidential — contains personal health information" in text
        assert "Generated 02 Mar 2026 09:30 EST (America/New_York) · by Dr A" in text
        assert f"Page {number} of {len(pages)}" in text
    assert "Paragraph 149 of a report" in pages[-1]
    # A4: 210 × 297 mm in CSS pixels (96 per inch).
    assert [round(v) for v in (document.pages[0].width, document.pages[0].height)] == [794, 1123]


def test_render_pdf_returns_pdf_bytes(long_template, clinic_with_marks) -> None:
    context = {"lines": range(3), **pdf.print_context(clinic=clinic_with_marks, title="Short")}
    data = pdf.render_pdf(template=long_template, context=context)
    assert data.startswith(b"%PDF-")
    assert data.rstrip().endswith(b"%%EOF")


def test_each_thread_lays_out_every_report_with_its_one_font_configuration(
    long_template, clinic_with_marks
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    context = {"lines": range(3), **pdf.print_context(clinic=clinic_with_marks, title="Short")}
    first = pdf.layout(template=long_template, context=context)
    second = pdf.layout(template=long_template, context=context)
    assert first.font_config is second.font_config is pdf.font_configuration()
    with ThreadPoolExecutor(max_workers=1) as pool:
        other = pool.submit(pdf.font_configuration).result()
    assert other is not first.font_config  # Pango font maps are not shared between threads
    # The shared configuration lays out the same pages as a fresh one.
    assert page_texts(second) == page_texts(first)


def test_the_print_css_is_parsed_once_per_thread_and_still_lays_out_a4_pages(
    long_template, clinic_with_marks
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    context = {"lines": range(3), **pdf.print_context(clinic=clinic_with_marks, title="Short")}
    assert pdf.print_stylesheet() is pdf.print_stylesheet()
    with ThreadPoolExecutor(max_workers=1) as pool:
        assert pool.submit(pdf.print_stylesheet).result() is not pdf.print_stylesheet()
    assert "@page" not in pdf.render_html(template=long_template, context=context)
    (page,) = pdf.layout(template=long_template, context=context).pages
    assert (round(page.width), round(page.height)) == (794, 1123)  # A4 in CSS pixels


def test_the_fetcher_serves_static_files_and_data_but_never_the_network() -> None:
    weasyprint = pdf.load_weasyprint()
    fetcher = pdf._static_fetcher(weasyprint)
    css = fetcher.fetch(pdf.BASE_URL + "static/css/afterglow.css")
    try:
        assert b".button" in css.read()
    finally:
        css.close()
    data = fetcher.fetch("data:text/plain;base64,aGVsbG8=")
    assert data.read() == b"hello"
    data.close()
    for url in (
        "https://example.org/logo.png",
        "http://169.254.169.254/latest/meta-data/",
        "file:///etc/passwd",
        pdf.BASE_URL + "static/../../settings.py",
        pdf.BASE_URL + "static/no-such-file.css",
    ):
        with pytest.raises(ValueError, match="only data: URIs and static files"):
            fetcher.fetch(url)


def test_without_pango_rendering_says_what_to_install(
    without_pango, long_template, clinic_with_marks
) -> None:
    context = {"lines": range(3), **pdf.print_context(clinic=clinic_with_marks, title="Short")}
    with pytest.raises(pdf.PdfUnavailable) as error:
        pdf.render_pdf(template=long_template, context=context)
    assert str(error.value).startswith(
        "PDF reports need the Pango library: apt-get install libpango-1.0-0 libpangoft2-1.0-0"
    )
    assert "cannot load library" in str(error.value)


def test_the_garbage_collector_is_paused_for_a_render_and_restored_after(
    long_template, clinic_with_marks, monkeypatch
) -> None:
    import gc

    seen: list[bool] = []
    real_layout = pdf.layout

    def layout(**kwargs):
        seen.append(gc.isenabled())
        return real_layout(**kwargs)

    monkeypatch.setattr(pdf, "layout", layout)
    context = {"lines": range(3), **pdf.print_context(clinic=clinic_with_marks, title="Short")}
    assert gc.isenabled()
    assert pdf.render_pdf(template=long_template, context=context).startswith(b"%PDF-")
    assert seen == [False]
    assert gc.isenabled()


def test_nested_pauses_restore_the_collector_once_and_never_turn_it_on_uninvited() -> None:
    import gc

    with pdf.collector_paused():
        with pdf.collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer render is still running
    assert gc.isenabled()
    gc.disable()
    try:
        with pdf.collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # it was off before: left off
    finally:
        gc.enable()


def test_the_collector_comes_back_when_a_render_fails() -> None:
    import gc

    with pytest.raises(RuntimeError), pdf.collector_paused():
        raise RuntimeError("layout failed")
    assert gc.isenabled()
