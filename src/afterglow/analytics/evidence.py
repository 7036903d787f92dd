"""The published trials, and the clinic's figures set beside them.

Django-free: the dashboard, reports and tests call :func:`load_trials` and
:func:`comparisons`. The trials live in ``data/trials.json``, one entry per
study or meta-analysis of evidence.md §4 (the file's schema is described in
:func:`load_trials`). Each result figure carries the ``quote`` it was copied
from, and anything evidence.md marks UNCONFIRMED is flagged in the entry.

Sign convention (also stated in the file): ``mean_change`` is after minus
before and ``mean_difference`` is ketamine minus comparator, so negative means
fewer symptoms; effect sizes (d, d', g) are positive when symptoms improved.

:func:`comparisons` pairs each clinic figure with the trial figure closest to
it and labels the pair with one of three labels, and only these: "like for
like" (same instrument, same rule, same clock), "closest comparison" (every
difference stated: PCL-5 vs CAPS-5, clinic population vs trial sample, design,
timing, rule) and "different measure" (not comparable; shown for context only,
e.g. a pre–post effect beside a between-group g). PCL-5 against CAPS-5 is never
like for like: :class:`Comparison` refuses it. No study number is typed into
this module: every one shown comes from the data file.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Sequence
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from afterglow.analytics import evidence_schema as schema
from afterglow.analytics.evidence_clinic import (
    ClinicFigures,
    ClinicValue,
    num,
    pct,
    standardised_mean_change,
)
from afterglow.analytics.evidence_schema import (
    Arm,
    Comparator,
    Figure,
    Regimen,
    Trial,
    TrialDataError,
)

__all__ = [
    "CLOSEST",
    "COMPARABILITY",
    "DIFFERENT",
    "LIKE_FOR_LIKE",
    "Arm",
    "ClinicFigures",
    "ClinicValue",
    "Comparator",
    "Comparison",
    "Figure",
    "Regimen",
    "Trial",
    "TrialDataError",
    "comparisons",
    "get_trial",
    "load_trials",
    "standardised_mean_change",
]


# --- loading -------------------------------------------------------------------------------------


def _data_file() -> Traversable:
    return resources.files("afterglow.analytics") / "data" / "trials.json"


def load_trials(source: Traversable | Path | None = None) -> list[Trial]:
    """Read and check the trials data file (default: the shipped ``data/trials.json``).

    The file is ``{"source", "sign_convention", "gaps", "entries": [...]}``; the
    fields of an entry and of a result figure are listed in
    :mod:`afterglow.analytics.evidence_schema`. Unknown or missing fields, wrong
    types, a proportion outside 0–1, a value outside its own CI or a duplicate
    id raise :class:`TrialDataError` naming the entry id and the field, e.g.
    ``"feder2021: figures[2].value must be a proportion from 0 to 1, got 67"``.
    """
    if source is None:
        return list(_shipped())
    try:
        raw = json.loads(source.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise TrialDataError("(file)", str(source), f"cannot be read as JSON: {error}") from None
    return schema.parse_file(raw)


@functools.cache
def _shipped() -> tuple[Trial, ...]:
    return tuple(load_trials(_data_file()))


def get_trial(trial_id: str) -> Trial:
    """The shipped entry with this id; ``KeyError`` lists the known ids."""
    for trial in _shipped():
        if trial.id == trial_id:
            return trial
    known = ", ".join(trial.id for trial in _shipped())
    raise KeyError(f"no trial {trial_id!r}; known ids: {known}")


# --- comparisons ---------------------------------------------------------------------------------

#: The three labels a comparison may carry, and only these (issue 9 §2).
LIKE_FOR_LIKE = "like for like"  # same instrument, same rule, same clock
CLOSEST = "closest comparison"  # every difference stated in ``differences``
DIFFERENT = "different measure"  # not comparable; shown for context only
COMPARABILITY = (LIKE_FOR_LIKE, CLOSEST, DIFFERENT)

OBSERVATIONAL = (
    "Clinic figures are observational: with no control group they include placebo response, "
    "natural recovery and regression to the mean. Trial arms were randomised."
)
SELECTION = (
    "People who come to a clinic differ from people who enrol in a trial with strict "
    "exclusions (psychosis, bipolar disorder, substance use, high suicide risk)."
)
PCL5_VS_CAPS5 = (
    "Instrument: the clinic uses the PCL-5 (self-report); {study} used the CAPS-5 (clinician "
    "interview). Their totals correlate only moderately (r = .66), and in military samples "
    "the PCL-5 tends to run higher. The 30% response rule comes from CAPS-5 trials and has "
    "not been validated on the PCL-5."
)
POPULATION = "Population: the clinic's patients, not the trial's sample. " + SELECTION
DESIGN = (
    "Design: the clinic's figure is observational, with no control group; {study}'s was a "
    "randomised ketamine arm."
)


@dataclasses.dataclass(frozen=True)
class Comparison:
    """A clinic figure beside one study figure, with the caveats to show in place.

    ``clinic`` is ``None`` when the figure is hidden or missing, and
    ``clinic_reason`` then says why ("fewer than 10 patients").
    ``comparability`` is one of :data:`COMPARABILITY`: "like for like" only when the
    clinic's and the study's instrument are the same (so PCL-5 against CAPS-5 never
    is); "closest comparison" states every difference in ``differences``; "different
    measure" is shown for context only.
    """

    key: str
    label: str
    clinic: ClinicValue | None
    clinic_reason: str | None
    clinic_measure: str
    study: Trial
    figure: Figure
    study_summary: str
    measure_note: str
    caveats: tuple[str, ...]
    comparability: str
    differences: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.comparability not in COMPARABILITY:
            raise ValueError(
                f"comparability must be one of {', '.join(COMPARABILITY)}, "
                f"got {self.comparability!r}"
            )
        if self.comparability == LIKE_FOR_LIKE and (
            self.clinic_measure != self.figure.measure or self.differences
        ):
            raise ValueError(
                f"{self.key}: {self.clinic_measure} against {self.figure.measure} (or with "
                "stated differences) cannot be like for like"
            )
        if self.comparability == CLOSEST and not self.differences:
            raise ValueError(f"{self.key}: a closest comparison must state every difference")

    @property
    def clinic_text(self) -> str:
        return self.clinic.text() if self.clinic is not None else (self.clinic_reason or "")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the study appears as its id, short name and citation."""
        return {
            "key": self.key,
            "label": self.label,
            "comparability": self.comparability,
            "differences": list(self.differences),
            "clinic": None if self.clinic is None else dataclasses.asdict(self.clinic),
            "clinic_reason": self.clinic_reason,
            "clinic_text": self.clinic_text,
            "study": {
                "id": self.study.id,
                "short_name": self.study.short_name,
                "citation": self.study.citation,
                "doi": self.study.doi,
                "figure": self.figure.key,
            },
            "study_summary": self.study_summary,
            "measure_note": self.measure_note,
            "caveats": list(self.caveats),
        }


def comparisons(
    clinic: ClinicFigures, *, trials: Sequence[Trial] | None = None
) -> list[Comparison]:
    """The clinic's figures beside the trials, in a fixed order, hidden below ``clinic.min_n``.

    1. response after a six-infusion course vs Feder 2021's responders (67% vs
       20% with midazolam) -- a closest comparison (PCL-5 vs CAPS-5, clinic vs
       trial sample, observational vs randomised, timing);
    2. response at the end of any course vs the same figure (also: courses differ);
    3. median time to loss of response, among responders at the durability
       timepoint and from that day, vs Feder 2021's median -- a closest comparison;
    4. the same vs Albott 2018's median time to PTSD relapse among remitters: a
       different measure;
    5. the veterans' response rate vs Abdallah 2022's null randomised result: a
       different measure;
    6. the clinic's standardised mean change (:func:`standardised_mean_change`)
       vs the pooled g of Borgogna 2024: a different measure (within-group vs
       between-group).

    Almeida 2024's 0.25 is never set beside a standardised effect: evidence.md §4b
    says it is not a pooled standardised mean difference. ``trials`` defaults to the
    shipped data file.
    """
    by_id = {trial.id: trial for trial in (trials if trials is not None else _shipped())}

    def study(trial_id: str, figure_key: str) -> tuple[Trial, Figure]:
        if trial_id not in by_id:
            raise KeyError(f"the trials data has no entry {trial_id!r}")
        return by_id[trial_id], by_id[trial_id].figure(figure_key)

    min_n = clinic.min_n
    result: list[Comparison] = []

    feder, responders = study("feder2021", "responders")
    followup = _followup_caveat(feder, responders, clinic.response_day)
    arm_note = (
        f"{feder.short_name} had {responders.n} patients per arm, so its own rates are imprecise."
    )
    measure_note = (
        f"Clinic: {clinic.response_rule}. {feder.short_name}: {responders.note or 'responders'}"
    )
    instrument = PCL5_VS_CAPS5.format(study=feder.short_name)
    design = DESIGN.format(study=feder.short_name)
    for key, label, prefix, extra in (
        (
            "six_infusion_response",
            "Response after a six-infusion course",
            "six_infusion_response",
            (),
        ),
        (
            "response_any_course",
            "Response at the end of any course",
            "response",
            (
                f"Course: the courses in this selection may differ from {feder.short_name}'s "
                "six infusions.",
            ),
        ),
    ):
        value, reason = _rate(clinic, prefix, min_n)
        result.append(
            Comparison(
                key=key,
                label=label,
                clinic=value,
                clinic_reason=reason,
                clinic_measure=clinic.measure,
                study=feder,
                figure=responders,
                study_summary=_summary(feder, responders),
                measure_note=measure_note,
                caveats=(OBSERVATIONAL, arm_note),
                comparability=CLOSEST,
                differences=(instrument, POPULATION, design, followup, *extra),
            )
        )

    durability_value, durability_reason = _durability(clinic, min_n)
    censoring = (
        "Follow-up: lengths and visit schedules differ; a short follow-up leaves more "
        "responders still responding (censored), and the median is only estimated once half "
        "of them have lost response."
    )
    feder_loss = feder.figure("median_days_to_loss_of_response")
    from_day = clinic.durability_from_day
    clock = (
        f"Clock: the clinic counts among patients responding at day {from_day} after the first "
        f"dose, from that {clinic.measure}, as {feder.short_name} counted among responders at "
        "the end of its two-week course, from that assessment."
        if from_day is not None
        else "Clock: how the clinic's durability was timed is not given for this selection."
    )
    if from_day is not None and from_day != END_OF_FEDER_COURSE_DAY:
        clock += (
            f" Day {from_day} is not the end of a two-week course (day {END_OF_FEDER_COURSE_DAY})."
        )
    confirmations = clinic.loss_confirmations
    loss_rule = (
        "Loss rule: the clinic confirms a loss only after "
        f"{confirmations} consecutive follow-up{'s' if confirmations != 1 else ''} no longer "
        f"meeting the response rule (clinic setting, evidence.md §1); {feder.short_name}'s "
        "exact loss rule is UNCONFIRMED."
        if confirmations is not None
        else f"Loss rule: {feder.short_name}'s exact loss rule is UNCONFIRMED."
    )
    result.append(
        Comparison(
            key="durability",
            label="Median time to loss of response",
            clinic=durability_value,
            clinic_reason=durability_reason,
            clinic_measure=clinic.measure,
            study=feder,
            figure=feder_loss,
            study_summary=_summary(feder, feder_loss),
            measure_note=(
                f"Clinic: among patients meeting the response rule at day "
                f"{from_day if from_day is not None else '?'}, days from that {clinic.measure} "
                f"to a confirmed loss of response. {feder.short_name}: median time to loss of "
                f"response on the {feder_loss.measure} among responders at the end of the "
                "course."
            ),
            caveats=(OBSERVATIONAL,),
            comparability=CLOSEST,
            differences=(
                PCL5_VS_CAPS5.format(study=feder.short_name),
                POPULATION,
                design,
                clock,
                loss_rule,
                censoring,
            ),
        )
    )
    albott, relapse = study("albott2018", "median_days_to_relapse")
    result.append(
        Comparison(
            key="durability_vs_relapse",
            label="Median time to loss of response, beside time to relapse of remission",
            clinic=durability_value,
            clinic_reason=durability_reason,
            clinic_measure=clinic.measure,
            study=albott,
            figure=relapse,
            study_summary=_summary(albott, relapse),
            measure_note=(
                f"Not the same measure: {albott.short_name} timed PTSD relapse after "
                "remission, a stricter state than a response, in veterans treated open-label."
            ),
            caveats=(OBSERVATIONAL, censoring, *albott.caveats),
            comparability=DIFFERENT,
        )
    )

    abdallah, null_result = study("abdallah2022", "pcl5_no_effect")
    veteran_value, veteran_reason = _rate(clinic, "veteran_response", min_n, who="veterans")
    uncontrolled = [
        f"Uncontrolled veteran data can look strong: the open-label {albott.short_name} reported "
        f"{pct(fig.value)} remission in {fig.n} veterans."
        for fig in albott.figures
        if fig.key == "remission" and fig.value is not None
    ]
    result.append(
        Comparison(
            key="veteran_response",
            label="Veterans: response rate, beside a randomised null result",
            clinic=veteran_value,
            clinic_reason=veteran_reason,
            clinic_measure=clinic.measure,
            study=abdallah,
            figure=null_result,
            study_summary=_summary(abdallah, null_result),
            measure_note=(
                f"{abdallah.short_name} compared ketamine with placebo on the "
                f"{null_result.measure} and found no difference; a response rate without a "
                "control group can neither confirm nor refute that."
            ),
            caveats=(
                OBSERVATIONAL,
                f"{abdallah.short_name}: {abdallah.population.lower()}; "
                f"{abdallah.regimen.description if abdallah.regimen else ''}.",
                *uncontrolled,
                SELECTION,
            ),
            comparability=DIFFERENT,
        )
    )

    effect_value, effect_reason = _effect(clinic, min_n)
    not_comparable = (
        "Not comparable: the clinic's figure is a within-group pre–post change divided by the "
        "SD of change; the trials' is a between-group difference (ketamine vs control). A "
        "pre–post effect includes placebo response and natural recovery and is usually larger. "
        "Shown for context only."
    )
    meta, pooled = study("borgogna2024", "overall")
    extra_figures = [
        f"{fig.label}: {_effect_text(fig)}"
        + (f" — {fig.note}" if fig.direction == "no_difference" and fig.note else "")
        + "."
        for fig in meta.figures
        if fig.key in ("bias_adjusted", "vs_active_control", "one_week")
    ]
    result.append(
        Comparison(
            key="standardised_change_vs_borgogna2024",
            label=f"Standardised change, beside {meta.short_name}'s pooled effect",
            clinic=effect_value,
            clinic_reason=effect_reason,
            clinic_measure=clinic.measure,
            study=meta,
            figure=pooled,
            study_summary=_summary(meta, pooled),
            measure_note=(
                f"Clinic: mean {clinic.measure} improvement / SD of change (d_z, positive = "
                f"fewer symptoms). {meta.short_name}: {pooled.label}."
            ),
            caveats=(not_comparable, *extra_figures, *meta.caveats, OBSERVATIONAL),
            comparability=DIFFERENT,
        )
    )
    return result


#: The end of Feder 2021's two-week course, in days after the first dose.
END_OF_FEDER_COURSE_DAY = 14


def _rate(
    clinic: ClinicFigures, prefix: str, min_n: int, *, who: str = "patients"
) -> tuple[ClinicValue | None, str | None]:
    rate = getattr(clinic, f"{prefix}_rate")
    n = getattr(clinic, f"{prefix}_n")
    hidden = _hidden(n, min_n, who)
    if hidden or rate is None or n is None:
        return None, hidden or "not available for this selection"
    return ClinicValue(rate, getattr(clinic, f"{prefix}_ci95"), n, "proportion"), None


def _durability(clinic: ClinicFigures, min_n: int) -> tuple[ClinicValue | None, str | None]:
    n = clinic.n_responders
    hidden = _hidden(n, min_n, "responders")
    if hidden or n is None:
        return None, hidden or "not available for this selection"
    if clinic.median_days_to_loss_of_response is None:
        return None, "median not reached: over half of responders still responding when last seen"
    return ClinicValue(
        clinic.median_days_to_loss_of_response, clinic.median_days_ci95, n, "days"
    ), None


def _effect(clinic: ClinicFigures, min_n: int) -> tuple[ClinicValue | None, str | None]:
    n = clinic.n
    hidden = _hidden(n, min_n, "patients")
    if hidden or n is None or clinic.mean_change is None or clinic.sd_change is None:
        return None, hidden or "not available for this selection"
    if clinic.sd_change == 0 or n < 2:
        return None, "no spread in the change to standardise by"
    d, ci = standardised_mean_change(clinic.mean_change, clinic.sd_change, n)
    return ClinicValue(d, ci, n, "sd_units"), None


def _hidden(n: int | None, min_n: int, who: str) -> str | None:
    if n is not None and n < min_n:
        return f"fewer than {min_n} {who}"
    return None


def _followup_caveat(trial: Trial, figure: Figure, response_day: int | None) -> str:
    when = (
        f"at day {response_day} after the first dose"
        if response_day is not None
        else "at the timepoint chosen above"
    )
    return (
        f"Timing differs: {trial.short_name} read response at {figure.timepoint}; the clinic "
        f"figure is {when}."
    )


def _summary(trial: Trial, figure: Figure) -> str:
    """A sentence built from the data file: ``"Feder 2021 — Responders ...: 67% of 15 vs ..."``."""
    if figure.statistic == "proportion" and figure.value is not None:
        text = f"{pct(figure.value)}" + (f" of {figure.n}" if figure.n else "")
        if figure.comparator is not None:
            other = figure.comparator
            text += f" vs {pct(other.value)}" + (f" of {other.n}" if other.n else "")
            text += f" with {other.label}"
        return f"{trial.short_name} — {figure.label}: {text}."
    if figure.statistic == "median_days" and figure.value is not None:
        among = f" (n={figure.n})" if figure.n else ""
        return f"{trial.short_name} — {figure.label}{among}: {num(figure.value)} days."
    if figure.statistic == "qualitative":
        return f"{trial.short_name} — {figure.quote}"
    return f"{trial.short_name} — {figure.label}: {_effect_text(figure)}."


def _effect_text(figure: Figure) -> str:
    symbol = {"hedges_g": "g", "cohens_d": "d", "d_prime": "d′"}.get(figure.statistic, "effect")
    text = f"{symbol} = {figure.value:.2f}" if figure.value is not None else figure.quote
    if figure.ci95 is not None:
        text += f" (95% CI {figure.ci95[0]:.2f} to {figure.ci95[1]:.2f})"
    if figure.p is not None:
        text += f", p = {figure.p:g}"
    return text


def caveats_once(comparisons: Sequence[Comparison]) -> list[tuple[Comparison, tuple[str, ...]]]:
    """Each comparison with the caveats not already given under an earlier one (as a
    caveat or as a listed difference) nor among its own differences: a page that lists
    several comparisons says each caveat once, where it first applies."""
    seen: set[str] = set()
    result = []
    for comparison in comparisons:
        seen.update(comparison.differences)
        fresh = tuple(c for c in comparison.caveats if c and c not in seen)
        seen.update(fresh)
        result.append((comparison, fresh))
    return result
