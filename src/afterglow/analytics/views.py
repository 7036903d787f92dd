"""The cohort outcomes dashboard, its de-identified CSV export and its PDF."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpResponse, QueryDict
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import content_disposition_header

from afterglow.accounts.access import StaffRequest, staff_required
from afterglow.accounts.capabilities import Capability
from afterglow.accounts.models import Clinic
from afterglow.analytics.cache import DashboardCache
from afterglow.analytics.charts import dashboard_figures
from afterglow.analytics.charts_print import print_figures
from afterglow.analytics.dashboard import (
    Dashboard,
    banded,
    build_dashboard,
    filter_options,
    select_patients,
)
from afterglow.analytics.export import deidentified_frame
from afterglow.analytics.forms import FILTER_COLUMNS, CohortFilterForm
from afterglow.analytics.selectors import CohortData, clinic_config, cohort_data
from afterglow.audit.models import Action
from afterglow.audit.reads import audited_read
from afterglow.core.csvsafe import neutral_frame
from afterglow.reports.http import pdf_response, pdf_unavailable
from afterglow.reports.pdf import PdfUnavailable, print_context, render_pdf

#: Cohort figures are de-identified aggregates: the clinic's lead roles and researchers.
#: Nurses, therapists and coordinators work with individual patients and do not need them.


@dataclass(frozen=True)
class Selection:
    """The clinic's cohort (read once) and the filters of this request."""

    data: CohortData
    form: CohortFilterForm
    query: str  # the valid filters as a query string, for the export and PDF links

    @property
    def selected(self) -> CohortData:
        return self.data.for_patients(select_patients(self.data.patients, self.form.selected()))


def _selection(clinic: Clinic, params: QueryDict, cached: DashboardCache) -> Selection:
    data = cached.cohort(lambda: banded(cohort_data(clinic=clinic)))
    present = {key: params[key] for key in FILTER_COLUMNS if params.get(key)}
    form = CohortFilterForm(present or None, options=filter_options(data.patients))
    query = QueryDict(mutable=True)
    if form.is_bound and form.is_valid():
        query.update({k: v for k, v in form.cleaned_data.items() if v})
    return Selection(data=data, form=form, query=query.urlencode())


def _board(clinic: Clinic, selection: Selection) -> Dashboard:
    """Every figure, computed once for this request's filters."""
    return build_dashboard(
        selection.data,
        chosen=selection.form.selected(),
        min_n=clinic.analytics_min_n,
        config=clinic_config(clinic),
    )


def _board_and_figures(
    clinic: Clinic, selection: Selection, cached: DashboardCache
) -> tuple[Dashboard, dict[str, Any]]:
    """The board and its page figures for these filters, reused until the data change."""

    def build() -> tuple[Dashboard, dict[str, Any]]:
        board = _board(clinic, selection)
        return board, dashboard_figures(board, cutoff=clinic.pcl5_cutoff)

    return cached.figures(selection.form.selected(), build)


@staff_required(capability=Capability.ANALYTICS)
def dashboard(request: StaffRequest) -> HttpResponse:
    clinic = request.membership.clinic
    cached = DashboardCache.for_clinic(clinic)
    selection = _selection(clinic, request.GET, cached)

    board, figures = _board_and_figures(clinic, selection, cached)
    return render(
        request,
        "analytics/dashboard.html",
        {
            "form": selection.form,
            "board": board,
            "figures": figures,
            "query": selection.query,
            "filters_rejected": selection.form.is_bound and not selection.form.is_valid(),
        },
    )


@staff_required(capability=Capability.ANALYTICS)
@audited_read("deidentified_csv", action=Action.EXPORT, keep_query=True)
def export_csv(request: StaffRequest) -> HttpResponse:
    clinic = request.membership.clinic
    selection = _selection(clinic, request.GET, DashboardCache.for_clinic(clinic))
    selected = selection.selected
    # Imaging changes sit above analytics (imaging reads the cohort): imported here.
    from afterglow.imaging.research import with_imaging_changes

    frame = with_imaging_changes(clinic=clinic, data=selection.data, frame=selected.frame)
    rows = deidentified_frame(frame, selected.patients)
    if rows["patient_id"].nunique() < clinic.analytics_min_n:
        # Row-level data of a handful of people is too easy to re-identify.
        return render(
            request,
            "analytics/export_refused.html",
            {
                "min_n": clinic.analytics_min_n,
                "exported": rows["patient_id"].nunique(),
                "query": selection.query,
            },
        )
    stamp = timezone.localdate(timezone=clinic.tzinfo).isoformat()
    # Text such as a protocol name starting with "=" must not run as a spreadsheet formula.
    response = HttpResponse(
        neutral_frame(rows).to_csv(index=False), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=f"afterglow-cohort-{clinic.slug}-{stamp}.csv"
    )
    response["Cache-Control"] = "no-store"
    return response


@staff_required(capability=Capability.ANALYTICS)
@audited_read("clinic_report_pdf", keep_query=True)
def report_pdf(request: StaffRequest) -> HttpResponse:
    """The dashboard's figures and tables as a printable black-and-white PDF, same filters."""
    membership = request.membership
    clinic = membership.clinic
    cached = DashboardCache.for_clinic(clinic)
    selection = _selection(clinic, request.GET, cached)
    board, _ = _board_and_figures(clinic, selection, cached)
    now = timezone.now()
    user = membership.user
    context = {
        "board": board,
        # The matplotlib charts take most of a second each: reused until the data change.
        "charts": cached.figures(
            selection.form.selected(),
            lambda: print_figures(board, cutoff=clinic.pcl5_cutoff),
            kind="print",
        ),
        "filters": selection.form.described(),
        **print_context(
            clinic=clinic,
            title="Clinic outcomes report",
            now=now,
            prepared_by=f"{user.get_full_name() or user.get_username()} "
            f"({membership.get_role_display()})",
        ),
    }
    try:
        pdf = render_pdf(template="analytics/report.html", context=context, tz=clinic.tzinfo)
    except PdfUnavailable as error:
        return pdf_unavailable(request, error)
    stamp = timezone.localdate(now, timezone=clinic.tzinfo).isoformat()
    return pdf_response(pdf, filename=f"afterglow-outcomes-{clinic.slug}-{stamp}.pdf")
