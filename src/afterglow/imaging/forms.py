"""The upload form: one run, its masks and what the session is."""

from __future__ import annotations

from django import forms

from afterglow.imaging.models import ScanKind


class UploadForm(forms.Form):
    mrn = forms.CharField(
        label="Record number",
        max_length=20,
        help_text="The patient's record number, e.g. AG-000042.",
    )
    label = forms.SlugField(
        label="Session label", max_length=40, help_text="e.g. pre or post (BIDS ses-…)."
    )
    scanned_on = forms.DateField(label="Scan date", widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(label="Run", choices=ScanKind.choices)
    task_name = forms.CharField(label="Task", max_length=100, required=False)
    site = forms.CharField(max_length=100, required=False)
    scanner = forms.CharField(max_length=100, required=False)
    tr = forms.FloatField(label="TR (seconds)", min_value=0.1, max_value=10)
    bold = forms.FileField(label="BOLD run (.nii or .nii.gz, 4-D)")
    amygdala = forms.FileField(label="Amygdala mask (.nii or .nii.gz)")
    hippocampus = forms.FileField(label="Hippocampus mask (.nii or .nii.gz)")
    events = forms.FileField(label="Events (BIDS .tsv)", required=False)
    contrast = forms.CharField(
        max_length=100, required=False, help_text='With events, e.g. "trauma - neutral".'
    )
    confounds = forms.FileField(label="Confounds (.tsv)", required=False)

    def clean(self) -> dict:
        data = super().clean() or {}
        if bool(data.get("events")) != bool(data.get("contrast")):
            raise forms.ValidationError("Give the events file and the contrast together.")
        for name in ("bold", "amygdala", "hippocampus"):
            upload = data.get(name)
            if upload and not upload.name.endswith((".nii", ".nii.gz")):
                self.add_error(name, "Choose a NIfTI file (.nii or .nii.gz).")
        return data
