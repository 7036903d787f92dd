"""The dashboard's filters: GET parameters, each a choice among the values the clinic has."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django import forms

from afterglow.patients.models import Sex
from afterglow.treatment.models import Route

#: Filter field (the GET parameter) -> the patient-table column it selects on, in order.
FILTER_COLUMNS: dict[str, str] = {
    "population": "population",
    "sex": "sex",
    "age_band": "age_band",
    "severity": "baseline_severity_band",
    "protocol": "protocol",
    "route": "route",
    "therapy": "psychotherapy_in_window",
}
#: How each column is named on the page.
COLUMN_LABELS = {
    "population": "Population",
    "sex": "Sex",
    "age_band": "Age at first dose",
    "baseline_severity_band": "Baseline PCL-5",
    "protocol": "Protocol",
    "route": "Route",
    "mg_per_kg": "Dose (mg/kg)",
    "dose_band": "Dose (mg/kg)",
    "baseline": "Baseline PCL-5 total",
    "age": "Age",
    "psychotherapy_in_window": "Therapy in the post-dose window",
}
POPULATION_LABELS = {
    "civilian": "Civilian",
    "veteran": "Veteran or service member",
    "unknown": "Not recorded",
}
THERAPY_LABELS = {"yes": "With therapy in the window", "no": "Without therapy in the window"}
_VALUE_LABELS: dict[str, Mapping[str, str]] = {
    "population": POPULATION_LABELS,
    "sex": dict(Sex.choices),
    "route": dict(Route.choices),
    "psychotherapy_in_window": THERAPY_LABELS,
}


def column_label(column: str) -> str:
    return COLUMN_LABELS.get(column, column.replace("_", " ").capitalize())


def value_label(column: str, value: object) -> str:
    """How a column's value reads on the page ("iv" -> "Intravenous infusion")."""
    text = "" if value is None else str(value)
    return _VALUE_LABELS.get(column, {}).get(text, text)


class CohortFilterForm(forms.Form):
    """One optional choice per covariate; the choices are the values present in the data.

    ``options`` maps each column of :data:`FILTER_COLUMNS` to its values (text); a value
    typed into the URL that is not among them is an inline error, not a silent no-op.
    """

    def __init__(
        self, data: Mapping[str, Any] | None, *, options: Mapping[str, Iterable[str]]
    ) -> None:
        super().__init__(data)
        for name, column in FILTER_COLUMNS.items():
            values = list(dict.fromkeys(str(v) for v in options.get(column, ())))
            self.fields[name] = forms.ChoiceField(
                label=column_label(column),
                required=False,
                choices=[("", "All"), *((v, value_label(column, v)) for v in values)],
            )

    def selected(self) -> dict[str, str]:
        """Column -> chosen value, for the valid, non-empty choices only."""
        if not self.is_valid():
            return {}
        return {FILTER_COLUMNS[name]: value for name, value in self.cleaned_data.items() if value}

    def described(self) -> list[tuple[str, str]]:
        """(label, value label) of each applied filter, for headings and the PDF."""
        if not self.is_valid():
            return []
        return [
            (column_label(FILTER_COLUMNS[name]), value_label(FILTER_COLUMNS[name], value))
            for name, value in self.cleaned_data.items()
            if value
        ]
