"""The pre-treatment checklist, its flags and the checks on a prescriber's decision.

Django-free on purpose: the screening service, the pages and the tests use the
same list and the same rules.

The checklist follows the exclusions common to the PTSD ketamine trials and the
contraindications on the esketamine (Spravato) label (``shared/evidence.md`` §6,
"Common exclusions in PTSD trials" and "Esketamine (Spravato) REMS"). Each
question is answered "yes", "no" or "unknown". A "yes" raises a flag; so does
"unknown", marked as such, because an unasked question is not a "no". An answer
that is missing altogether (a question added to the list after the screening was
taken) also counts as "unknown": no flag is ever dropped silently.

Flags do not decide anything. The prescriber decides, and the only rules here
are about documentation (:func:`decision_errors`):

- "not eligible" needs a reason;
- "eligible" with an *absolute* flag needs a written override reason;
- nothing else is required, and no flag ever prevents a documented decision.

How each item was classed (a decision of this module, stated so it can be argued):

- **absolute** — the four esketamine label contraindications (aneurysmal
  vascular disease, arteriovenous malformation, intracerebral haemorrhage,
  hypersensitivity); states in which the drug's own effects are the danger
  (psychotic disorder, current mania — ketamine is psychotomimetic, BPRS+/YMRS
  are tracked in trials for this reason, evidence.md §3); prior ketamine or PCP
  misuse (misuse of the very drug to be given); pregnancy or breastfeeding and a
  high current suicide risk (excluded by every trial cited, no safety data, and
  the first needs a different level of care before an elective treatment).
- **relative** — trial exclusions a prescriber commonly weighs case by case:
  bipolar disorder without current mania, moderate–severe brain injury, a
  moderate–severe alcohol or substance use disorder in the last 6 months,
  dementia, another medical condition making ketamine unsafe, and untreated
  hyperthyroidism (ketamine's sympathomimetic effect; see its source). A
  measured baseline BP at or above the clinic's reassessment level raises its
  own relative flag (:func:`baseline_bp_flag`).
- **depends on the drug** — "a significant rise in blood pressure would be a
  serious hazard" (uncontrolled hypertension, a recent cardiovascular or
  cerebrovascular event, an aneurysm) is **absolute** for racemic ketamine, IV
  or IM: the ketamine (Ketalar) label lists exactly this as a contraindication.
  For esketamine it keeps the esketamine label's wording: the label's
  contraindications (aneurysmal vascular disease, arteriovenous malformation,
  intracerebral haemorrhage) are asked as their own absolute items, and an
  elevated BP is a reason to *consider delaying* (>140/90), so the item is
  relative there. Pass the route of the treatment screened for to
  :func:`flags`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "ABSOLUTE",
    "ANSWERS",
    "CHECKLIST",
    "DECISIONS",
    "RELATIVE",
    "ChecklistItem",
    "Flag",
    "absolute_flags",
    "answer_problems",
    "baseline_bp_flag",
    "decision_errors",
    "decision_problems",
    "flags",
    "get_item",
    "kind_for",
]

YES = "yes"
NO = "no"
UNKNOWN = "unknown"
ANSWERS: tuple[str, ...] = (YES, NO, UNKNOWN)
ANSWER_LABELS = {YES: "Yes", NO: "No", UNKNOWN: "Unknown"}

Kind = Literal["absolute", "relative"]
ABSOLUTE: Kind = "absolute"
RELATIVE: Kind = "relative"

ELIGIBLE = "eligible"
NOT_ELIGIBLE = "not_eligible"
DECISIONS: tuple[str, ...] = (ELIGIBLE, NOT_ELIGIBLE)

_TRIALS = "NCT04560660, NCT02727998, NCT06795659, Shiroma 2020"
_LABEL = "Esketamine (Spravato) label contraindication — evidence.md §6"
#: Checked with the search tool (Dec 2026): the US Ketalar label's contraindication as quoted by
#: secondary summaries of the FDA label; the primary DailyMed text itself was not retrieved.
_KETALAR = (
    "Ketamine (Ketalar) US prescribing information, Contraindications: patients for whom a "
    "significant elevation of blood pressure would constitute a serious hazard (wording seen in "
    "secondary summaries of the FDA label; verbatim label text UNCONFIRMED); the Swiss ketamine "
    "label also names a previous cerebrovascular event. Ketamine raises BP, peak ~40 min, severe "
    "hypertension in 12.5% of patients (Gen Hosp Psychiatry 2024) — evidence.md §6"
)
_ESKETAMINE_BP = (
    "Esketamine label: consider delaying if baseline BP is elevated (>140/90); its aneurysm, "
    "AVM and intracerebral-haemorrhage contraindications are asked separately — evidence.md §6"
)
#: Ketamine routes (racemic, Ketalar) and the esketamine route, as stored on Route.
KETAMINE_ROUTES = frozenset({"iv", "im"})


@dataclass(frozen=True, slots=True)
class ChecklistItem:
    """One question. ``kind``/``source`` apply to every route unless ``esketamine_kind``
    (and ``esketamine_source``) give the esketamine label's own classification."""

    code: str
    question: str
    kind: Kind
    source: str
    label: str  # short name for flags and tables
    esketamine_kind: Kind | None = None
    esketamine_source: str = ""

    def kind_for(self, route: str) -> Kind:
        if route not in KETAMINE_ROUTES and self.esketamine_kind is not None:
            return self.esketamine_kind
        return self.kind

    def source_for(self, route: str) -> str:
        if route not in KETAMINE_ROUTES and self.esketamine_source:
            return self.esketamine_source
        return self.source


CHECKLIST: tuple[ChecklistItem, ...] = (
    ChecklistItem(
        "psychotic_disorder",
        "Psychotic disorder (schizophrenia spectrum) or psychotic features, now or in the past?",
        ABSOLUTE,
        f"Trial exclusion: psychotic disorder or psychotic features ({_TRIALS}); the APA "
        "consensus asks for a psychosis history before ketamine (Sanacora 2017) — evidence.md §6",
        "Psychotic disorder",
    ),
    ChecklistItem(
        "current_mania",
        "Current mania or hypomania?",
        ABSOLUTE,
        f"Trial exclusion: bipolar disorder/current mania ({_TRIALS}) — evidence.md §6",
        "Current mania",
    ),
    ChecklistItem(
        "bipolar_disorder",
        "Bipolar disorder (not currently manic)?",
        RELATIVE,
        f"Trial exclusion: bipolar disorder/current mania ({_TRIALS}) — evidence.md §6",
        "Bipolar disorder",
    ),
    ChecklistItem(
        "brain_injury",
        "Moderate or severe traumatic brain injury?",
        RELATIVE,
        f"Trial exclusion: moderate–severe TBI ({_TRIALS}) — evidence.md §6",
        "Moderate–severe brain injury",
    ),
    ChecklistItem(
        "pregnancy",
        "Pregnant, possibly pregnant, or breastfeeding?",
        ABSOLUTE,
        f"Trial exclusion: pregnancy/breastfeeding ({_TRIALS}) — evidence.md §6",
        "Pregnancy or breastfeeding",
    ),
    ChecklistItem(
        "suicide_risk",
        "High current suicide risk (e.g. active ideation with plan or intent)?",
        ABSOLUTE,
        f"Trial exclusion: high current suicide risk ({_TRIALS}); C-SSRS is the scale trials "
        "used — evidence.md §3, §6",
        "High current suicide risk",
    ),
    ChecklistItem(
        "substance_use",
        "Moderate or severe alcohol or substance use disorder in the last 6 months?",
        RELATIVE,
        "Trial exclusion: alcohol or substance use disorder within 6 months, moderate–severe "
        f"in some trials, severe only in NCT04560660 ({_TRIALS}) — evidence.md §6",
        "Substance use disorder (6 months)",
    ),
    ChecklistItem(
        "ketamine_misuse",
        "Ever misused ketamine or phencyclidine (PCP)?",
        ABSOLUTE,
        f"Trial exclusion: prior ketamine/PCP misuse ({_TRIALS}) — evidence.md §6",
        "Prior ketamine/PCP misuse",
    ),
    ChecklistItem(
        "bp_rise_hazard",
        "Would a significant rise in blood pressure be a serious hazard: uncontrolled "
        "hypertension, a recent heart attack, stroke or other cardiovascular or cerebrovascular "
        "event, or an aneurysm?",
        ABSOLUTE,
        _KETALAR,
        "Blood-pressure rise would be a serious hazard",
        esketamine_kind=RELATIVE,
        esketamine_source=_ESKETAMINE_BP,
    ),
    ChecklistItem(
        "untreated_hyperthyroidism",
        "Untreated or inadequately treated hyperthyroidism?",
        RELATIVE,
        "Swiss ketamine prescribing information (Swissmedic reg. 67199) lists untreated or "
        "inadequately treated hyperthyroidism as a contraindication; severe hypertension and "
        "tachycardia with ketamine in patients on thyroid hormone (Kaplan & Cooperman, "
        "Anesthesiology 1971, as cited in a drug-interaction reference). Not in evidence.md; "
        "not seen in the US Ketalar label — UNCONFIRMED there. Relative: treat it and re-screen",
        "Untreated hyperthyroidism",
    ),
    ChecklistItem(
        "aneurysmal_vascular_disease",
        "Aneurysmal vascular disease (intracranial, thoracic or abdominal aorta, or peripheral "
        "arteries)?",
        ABSOLUTE,
        _LABEL,
        "Aneurysmal vascular disease",
    ),
    ChecklistItem(
        "arteriovenous_malformation",
        "Arteriovenous malformation?",
        ABSOLUTE,
        _LABEL,
        "Arteriovenous malformation",
    ),
    ChecklistItem(
        "intracerebral_haemorrhage",
        "History of intracerebral haemorrhage?",
        ABSOLUTE,
        _LABEL,
        "Intracerebral haemorrhage",
    ),
    ChecklistItem(
        "hypersensitivity",
        "Hypersensitivity to ketamine, esketamine or an excipient?",
        ABSOLUTE,
        _LABEL,
        "Hypersensitivity",
    ),
    ChecklistItem(
        "dementia",
        "Dementia?",
        RELATIVE,
        f"Trial exclusion: dementia ({_TRIALS}) — evidence.md §6",
        "Dementia",
    ),
    ChecklistItem(
        "unsafe_medical_condition",
        "Another medical condition that would make ketamine unsafe (e.g. unstable heart or lung "
        "disease)? Describe it in the notes.",
        RELATIVE,
        f"Trial exclusion: medical conditions making ketamine unsafe ({_TRIALS}); the APA "
        "consensus asks for a medical and cardiovascular review (Sanacora 2017) — evidence.md §6",
        "Other unsafe medical condition",
    ),
)

_BY_CODE = {item.code: item for item in CHECKLIST}


def get_item(code: str) -> ChecklistItem:
    return _BY_CODE[code]


@dataclass(frozen=True, slots=True)
class Flag:
    code: str
    label: str
    question: str
    kind: Kind
    source: str
    answer: str  # "yes" or "unknown"

    @property
    def is_absolute(self) -> bool:
        return self.kind == ABSOLUTE

    @property
    def unknown(self) -> bool:
        return self.answer != YES


def kind_for(code: str, route: str) -> Kind:
    """How the item ``code`` is classed for a treatment by ``route`` ("iv", "im", "intranasal")."""
    return _BY_CODE[code].kind_for(route)


def flags(answers: Mapping[str, str], *, route: str) -> list[Flag]:
    """A flag for every checklist item answered "yes" or not known, absolute ones first.

    ``route`` is the treatment screened for: "iv" or "im" (racemic ketamine, the
    Ketalar label) or "intranasal" (esketamine, its label). Anything other than
    an explicit "no" (``"unknown"``, a missing answer, an unexpected value) is
    flagged as unknown. Within each kind, "yes" comes before "unknown", then
    checklist order.
    """
    raised = [
        Flag(
            code=item.code,
            label=item.label,
            question=item.question,
            kind=item.kind_for(route),
            source=item.source_for(route),
            answer=YES if answers.get(item.code) == YES else UNKNOWN,
        )
        for item in CHECKLIST
        if answers.get(item.code) != NO
    ]
    return sorted(raised, key=lambda f: (not f.is_absolute, f.unknown))


def absolute_flags(answers: Mapping[str, str], *, route: str) -> list[Flag]:
    return [flag for flag in flags(answers, route=route) if flag.is_absolute]


def answer_problems(answers: Mapping[str, str]) -> list[str]:
    """What is wrong with a set of answers before it is stored (empty list = fine).

    Every checklist question needs "yes", "no" or "unknown"; codes outside the
    checklist are refused so a typo cannot hide an answer.
    """
    problems = [
        f"Answer “{item.label}” with yes, no or unknown."
        for item in CHECKLIST
        if answers.get(item.code) not in ANSWERS
    ]
    unknown_codes = sorted(set(answers) - _BY_CODE.keys())
    if unknown_codes:
        problems.append(f"Not on the checklist: {', '.join(unknown_codes)}.")
    return problems


def baseline_bp_flag(
    *, systolic: int, diastolic: int, systolic_limit: int, diastolic_limit: int
) -> Flag | None:
    """A relative flag when the measured baseline BP is at or above the clinic's limits.

    The limits are the clinic's pre-dose reassessment settings (default 140/90,
    the esketamine label's "consider delay" level — evidence.md §6).
    """
    if systolic < systolic_limit and diastolic < diastolic_limit:
        return None
    return Flag(
        code="baseline_bp",
        label=f"Baseline BP {systolic}/{diastolic} mmHg",
        question=(
            f"Measured BP is at or above this clinic's reassessment level "
            f"({systolic_limit}/{diastolic_limit} mmHg)."
        ),
        kind=RELATIVE,
        source="Esketamine label: consider delaying if baseline BP is elevated (>140/90); "
        "clinic setting — evidence.md §6",
        answer=YES,
    )


def decision_errors(
    *, decision: str, reason: str, override_reason: str, flags: Iterable[Flag]
) -> dict[str, str]:
    """Documentation missing from a decision, by form field (empty dict = it can be stored).

    Never refuses a decision for clinical content: only asks for the written
    reasons the decision needs.
    """
    errors: dict[str, str] = {}
    if decision not in DECISIONS:
        errors["decision"] = "Choose “Eligible” or “Not eligible”."
        return errors
    if decision == NOT_ELIGIBLE and not reason.strip():
        errors["reason"] = "Give the reason the patient is not eligible."
    absolute = [flag for flag in flags if flag.is_absolute]
    if decision == ELIGIBLE and absolute and not override_reason.strip():
        names = ", ".join(
            f"{flag.label}{' (unknown)' if flag.unknown else ''}" for flag in absolute
        )
        errors["override_reason"] = (
            f"Deciding “eligible” despite an absolute flag ({names}) needs a written reason "
            "for the override."
        )
    return errors


def decision_problems(
    decision: str, reason: str, override_reason: str, flags: Iterable[Flag]
) -> list[str]:
    """The messages of :func:`decision_errors`, as a list."""
    return list(
        decision_errors(
            decision=decision, reason=reason, override_reason=override_reason, flags=flags
        ).values()
    )
