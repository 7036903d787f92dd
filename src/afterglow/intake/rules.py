"""Safety flags raised by the intake form's screening answers. No Django import.

These flags do not decide eligibility: they tell the person triaging which
answers need a clinician's review before ketamine is considered. The list follows
the exclusions common to the PTSD ketamine trials and the esketamine label
(``shared/evidence.md`` §6, "Common exclusions in PTSD trials" and "Esketamine
(Spravato) REMS"). Severity is "review" for answers the clinician must assess and
"caution" for answers that are often manageable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

YES = "yes"
UNSURE = "unsure"
NO = "no"


@dataclass(frozen=True)
class SafetyQuestion:
    field: str
    question: str
    flag_label: str
    severity: str  # "review" (likely exclusion, must be assessed) or "caution"
    source: str


SAFETY_QUESTIONS: tuple[SafetyQuestion, ...] = (
    SafetyQuestion(
        "psychosis_or_mania",
        "Have you ever been diagnosed with, or had episodes of, psychosis (such as hearing "
        "voices others do not hear), schizophrenia, bipolar disorder or mania?",
        "Psychosis or mania history",
        "review",
        "Trial exclusions: psychotic disorder, bipolar disorder/current mania "
        "(NCT04560660, NCT02727998, Shiroma 2020) — evidence.md §6",
    ),
    SafetyQuestion(
        "high_blood_pressure",
        "Do you have high blood pressure, or take medicine for it?",
        "High blood pressure",
        "caution",
        "Ketamine raises BP, peak ~40 min (+16/+11 mmHg); hypertension history predicts "
        "surges (Gen Hosp Psychiatry 2024) — evidence.md §6",
    ),
    SafetyQuestion(
        "heart_or_vascular",
        "Have you had heart disease, a stroke, a bleed in the brain, an aneurysm or another "
        "blood-vessel condition?",
        "Heart or vascular disease",
        "review",
        "Esketamine label contraindications: aneurysmal vascular disease, AVM, intracerebral "
        "haemorrhage — evidence.md §6",
    ),
    SafetyQuestion(
        "pregnancy",
        "Are you pregnant, possibly pregnant, or breastfeeding?",
        "Pregnancy or breastfeeding",
        "review",
        "Trial exclusion: pregnancy/breastfeeding — evidence.md §6",
    ),
    SafetyQuestion(
        "substance_use",
        "In the last 6 months, has alcohol or drug use caused problems for you, or have you "
        "ever misused ketamine or PCP?",
        "Substance use",
        "review",
        "Trial exclusion: alcohol or substance use disorder within 6 months (moderate–severe "
        "in some trials; NCT04560660 excludes severe only); prior ketamine/PCP misuse — "
        "evidence.md §6",
    ),
)

SAFETY_FIELDS = tuple(q.field for q in SAFETY_QUESTIONS)


@dataclass(frozen=True)
class SafetyFlag:
    field: str
    label: str
    severity: str
    answer: str  # "yes" or "unsure": an unsure answer is flagged too, never dropped
    source: str


def safety_flags(answers: Mapping[str, str]) -> list[SafetyFlag]:
    """Flags for every safety answer that is "yes" or "unsure", most serious first."""
    flags = [
        SafetyFlag(q.field, q.flag_label, q.severity, answers[q.field], q.source)
        for q in SAFETY_QUESTIONS
        if answers.get(q.field) in (YES, UNSURE)
    ]
    return sorted(flags, key=lambda f: (f.severity != "review", f.answer != YES))
