"""Research imaging for a subset of the demo clinic: real extractions of synthetic runs.

For up to :data:`DEMO_IMAGING_PATIENTS` patients who consented to research and have a
baseline and a follow-up PCL-5 near day 14, a task run is synthesised before the first
dose (day -5) and after it (the follow-up's day), with the effects
``imaging.synthetic.session_targets`` ties to the patient's own PCL-5 change, and each
is measured with ``afterglow imaging extract``'s code and stored through
``imaging_session_record``. The images live in a temporary folder and are deleted.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

from afterglow.accounts.models import Clinic
from afterglow.analytics.selectors import cohort_data
from afterglow.imaging.extract import ExtractOptions, extract
from afterglow.imaging.models import ScanKind, Source
from afterglow.imaging.services import imaging_session_record, measures_from_extract
from afterglow.imaging.synthetic import TR, session_targets, synthetic_run, write_run
from afterglow.patients.models import Patient

DEMO_IMAGING_PATIENTS = 12
PRE_SCAN_DAY = -5
#: The post scan goes with the follow-up PCL-5 nearest this day (within the window).
POST_SCAN_DAY = 14
POST_WINDOW = (7, 28)


def seed_imaging(*, clinic: Clinic, by: Any) -> int:
    """Store the demo's imaging sessions; returns how many patients were scanned."""
    data = cohort_data(clinic=clinic)
    consented = set(
        Patient.objects.filter(clinic=clinic, consent_research=True).values_list("pk", flat=True)
    )
    frame = data.frame[data.frame["patient_id"].isin(consented)]
    chosen: list[tuple[int, float, float, int]] = []
    for patient_id, rows in frame.groupby("patient_id", sort=True):
        baseline = rows[rows["day"] <= 0]
        after = rows[(rows["day"] >= POST_WINDOW[0]) & (rows["day"] <= POST_WINDOW[1])]
        if baseline.empty or after.empty:
            continue
        nearest = after.iloc[(after["day"] - POST_SCAN_DAY).abs().argsort().iloc[0]]
        chosen.append(
            (
                int(patient_id),
                float(baseline.iloc[-1]["pcl5_total"]),
                float(nearest["pcl5_total"]),
                int(nearest["day"]),
            )
        )
        if len(chosen) == DEMO_IMAGING_PATIENTS:
            break
    patients = Patient.objects.in_bulk([row[0] for row in chosen])
    day0s = _first_dose_days(data, chosen)
    with tempfile.TemporaryDirectory(prefix="afterglow-imaging-") as folder:
        for index, (patient_id, baseline, post, post_day) in enumerate(chosen):
            targets = session_targets(baseline_pcl5=baseline, post_pcl5=post)
            for label, day, r, psc in (
                ("pre", PRE_SCAN_DAY, targets["pre_r"], targets["pre_reactivity_psc"]),
                ("post", post_day, targets["post_r"], targets["post_reactivity_psc"]),
            ):
                run = synthetic_run(
                    seed=1000 + 2 * index + (label == "post"),
                    connectivity_r=r,
                    reactivity_psc=psc,
                    task=True,
                )
                paths = write_run(run, Path(folder) / f"{index}-{label}")
                result = extract(
                    bold=paths["bold"],
                    amygdala=paths["amygdala"],
                    hippocampus=paths["hippocampus"],
                    events=paths["events"],
                    options=ExtractOptions(tr=TR, contrast="trauma - neutral"),
                )
                measures, provenance = measures_from_extract(result)
                provenance["synthetic"] = {"seed": 1000 + 2 * index + (label == "post")}
                imaging_session_record(
                    patient=patients[patient_id],
                    by=by,
                    label=label,
                    scanned_on=day0s[patient_id] + dt.timedelta(days=day),
                    kind=ScanKind.TASK,
                    task_name="trauma and neutral cues (synthetic)",
                    site="Demo imaging centre",
                    measures=measures,
                    provenance=provenance,
                    source=Source.EXTRACT,
                )
    return len(chosen)


def _first_dose_days(data: Any, chosen: list[tuple[int, float, float, int]]) -> dict[int, dt.date]:
    from afterglow.imaging.selectors import first_dose_day

    patients = Patient.objects.select_related("clinic").in_bulk([row[0] for row in chosen])
    days = {}
    for patient_id, patient in patients.items():
        day0 = first_dose_day(patient=patient)
        assert day0 is not None  # chosen patients have a signed dose (they are in the frame)
        days[patient_id] = day0
    return days
