"""Definition-driven scoring of questionnaire answers.

Every rule comes from the instrument's definition (see ``catalog``); nothing
here knows about a particular questionnaire, so a new instrument with a summed
total, subscales, a provisional-diagnosis rule, a cutoff, severity bands and
item alerts needs no code.
Django-free on purpose: the web app, the ``afterglow score`` command and the
tests all call the same function.

Missing answers are never counted as zero and never imputed: an incomplete
response has no total, no severity, no diagnosis and no flag, and lists the
items that are missing. Subscales whose items were all answered are still
reported.

Item alerts are the exception, on purpose: an alert depends on one item only,
so it fires whenever that item is answered above its threshold, complete
response or not. A safety signal (PHQ-9 item 9, thoughts of self-harm) must
never be hidden because another question was skipped.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from afterglow.instruments.catalog import Instrument, ItemAlert

__all__ = ["Score", "ScoringInputError", "resolve_cutoff", "score"]


class ScoringInputError(ValueError):
    """The answers (or the cutoff) cannot be scored; the message says how to fix them."""


@dataclass(frozen=True)
class Score:
    """The scored result of one administration.

    ``None`` means "cannot be computed", never zero: ``total``, ``severity``,
    ``provisional_diagnosis`` and ``flag`` are ``None`` unless every item was
    answered, and a subscale is ``None`` when any of its own items is missing.
    ``alerts`` holds the item alerts that fired, in definition order, and is
    filled even for an incomplete response (see the module docstring).
    """

    complete: bool
    total: int | None
    subscales: dict[str, int | None]
    provisional_diagnosis: bool | None  # None also when the instrument defines no such rule
    flag: bool | None  # total >= cutoff, e.g. probable PTSD
    cutoff: int | None  # the cutoff applied; None when the instrument has none
    missing_items: list[int]  # 1-based item numbers
    flag_name: str | None = field(default=None)  # result key for ``flag``, e.g. "probable_ptsd"
    severity: str | None = None  # severity band label; None when incomplete or no bands
    alerts: tuple[ItemAlert, ...] = ()  # item alerts that fired
    # Whether the instrument defines severity bands / item alerts: their keys appear in
    # to_dict() only then, so instruments without them (the PCL-5) keep their output.
    has_severity: bool = False
    has_alerts: bool = False

    def to_dict(self) -> dict[str, object]:
        """JSON-ready result, keys in a fixed order.

        ``complete, total, [severity], clusters, provisional_diagnosis, [flag],
        [alerts], missing_items``. ``clusters`` holds the subscales; the flag's
        key is the definition's flag name and is left out for an instrument
        without a cutoff; ``severity`` (the band label) appears only for an
        instrument with severity bands and ``alerts`` (the codes of the item
        alerts that fired) only for one with item alerts.

        PCL-5: ``complete, total, clusters, provisional_diagnosis,
        probable_ptsd, missing_items``. PHQ-9: ``complete, total, severity,
        clusters, provisional_diagnosis, alerts, missing_items``.
        """
        result: dict[str, object] = {"complete": self.complete, "total": self.total}
        if self.has_severity:
            result["severity"] = self.severity
        result["clusters"] = dict(self.subscales)
        result["provisional_diagnosis"] = self.provisional_diagnosis
        if self.flag_name is not None:
            result[self.flag_name] = self.flag
        if self.has_alerts:
            result["alerts"] = [alert.code for alert in self.alerts]
        result["missing_items"] = list(self.missing_items)
        return result


def resolve_cutoff(instrument: Instrument, cutoff: int | None = None) -> int | None:
    """The cutoff to apply: ``cutoff`` if given and valid, else the definition's default.

    Returns ``None`` for an instrument without a cutoff rule. Raises
    ``ScoringInputError`` for a cutoff that is not an integer within the
    instrument's score range (PCL-5: 0-80).
    """
    rule = instrument.scoring.cutoff
    if rule is None:
        if cutoff is not None:
            raise ScoringInputError(
                f"{instrument.code} has no cutoff; leave the cutoff out for this instrument"
            )
        return None
    if cutoff is None:
        return rule.default
    low, high = instrument.scoring.min, instrument.scoring.max
    if isinstance(cutoff, bool) or not isinstance(cutoff, int) or not low <= cutoff <= high:
        raise ScoringInputError(
            f"the cutoff must be a whole number from {low} to {high} "
            f"(default {rule.default}), got {_show(cutoff)}"
        )
    return cutoff


def score(
    instrument: Instrument, answers: Sequence[int | None], *, cutoff: int | None = None
) -> Score:
    """Score one set of answers with the instrument's own rules.

    ``answers`` holds one value per item in item order (``answers[0]`` is item
    1); each is one of the instrument's response option values, or ``None``
    for an unanswered item.

    Formulas, with x_i the value of item i (method "sum")::

        total            T   = sum of x_i over all items
        subscale k       S_k = sum of x_i over the items of k
        endorsed item        x_i >= t
        provisional dx       for every required subscale k: (endorsed items in k) >= r_k
        flag                 T >= cutoff
        severity             the label of the band with min <= T <= max
        item alert a         x_(item of a) > above_a, whenever that item is answered

    For the PCL-5 (20 items, 0 Not at all ... 4 Extremely): T is 0-80; the
    clusters are B intrusion = items 1-5, C avoidance = 6-7, D negative
    alterations in cognition and mood = 8-14, E arousal and reactivity =
    15-20; t = 2 (Moderately) with r_B = 1, r_C = 1, r_D = 2, r_E = 2; the flag
    is probable PTSD with a default cutoff of 33 (31-33 recommended; a clinic
    may choose its own).

    For the PHQ-9 (9 items, 0 Not at all ... 3 Nearly every day): T is 0-27;
    no subscales, diagnosis rule or cutoff; severity 0-4 minimal, 5-9 mild,
    10-14 moderate, 15-19 moderately severe, 20-27 severe; one urgent item
    alert, item 9 (thoughts of being better off dead or of self-harm) > 0.

    Sources: Weathers FW et al., The PTSD Checklist for DSM-5 (PCL-5), National
    Center for PTSD, 2013 (scoring text); Blevins CA et al., J Trauma Stress
    2015;28(6):489-498; Bovin MJ et al., Psychol Assess 2016;28(11):1379-1391;
    Forkus SR et al., Clin Psychol (New York) 2023;30(1):110-121. Kroenke K,
    Spitzer RL, Williams JBW, J Gen Intern Med 2001;16(9):606-613.

    Assumptions: a provisional diagnosis is a screening result, not a
    diagnosis (DSM-5 also needs Criterion A exposure, duration and
    impairment). Missing answers are not imputed or prorated: ``total``,
    ``severity``, ``provisional_diagnosis`` and ``flag`` are then ``None``.
    Item alerts are not affected by missing answers elsewhere: an alert fires
    when its own item is answered above the threshold, even if the response is
    incomplete, and does not fire when its own item is unanswered (a skipped
    safety question is visible through ``missing_items``).

    Raises ``ScoringInputError`` when the number of answers is wrong, a value
    is not one of the response option values (``True``/``False``, ``2.0`` and
    ``"2"`` are rejected), or the cutoff is invalid.
    """
    applied_cutoff = resolve_cutoff(instrument, cutoff)
    values = _checked_answers(instrument, answers)
    by_number = dict(zip(instrument.item_numbers, values, strict=True))
    missing = [number for number, value in by_number.items() if value is None]
    complete = not missing

    subscales: dict[str, int | None] = {}
    for subscale in instrument.subscales:
        part = [by_number[number] for number in subscale.items]
        subscales[subscale.key] = _sum_or_none(part)

    total = _sum_or_none(values)
    diagnosis = _provisional_diagnosis(instrument, by_number) if complete else None
    flag = None if total is None or applied_cutoff is None else total >= applied_cutoff
    rules = instrument.scoring
    severity = None if total is None or rules.severity is None else rules.severity.label_for(total)
    # Not gated on ``complete``: a safety signal is never hidden by a skipped item.
    alerts = tuple(
        alert
        for alert in rules.item_alerts
        if (value := by_number[alert.item]) is not None and value > alert.above
    )
    return Score(
        complete=complete,
        total=total,
        subscales=subscales,
        provisional_diagnosis=diagnosis,
        flag=flag,
        cutoff=applied_cutoff,
        missing_items=missing,
        flag_name=rules.cutoff.flag if rules.cutoff is not None else None,
        severity=severity,
        alerts=alerts,
        has_severity=rules.severity is not None,
        has_alerts=bool(rules.item_alerts),
    )


def _sum_or_none(values: Sequence[int | None]) -> int | None:
    total = 0
    for value in values:
        if value is None:
            return None
        total += value
    return total


def _provisional_diagnosis(instrument: Instrument, by_number: dict[int, int | None]) -> bool | None:
    rule = instrument.scoring.provisional_diagnosis
    if rule is None:
        return None
    for key, needed in rule.require:
        endorsed = sum(
            1
            for number in instrument.subscale(key).items
            if (value := by_number[number]) is not None and value >= rule.endorsed_at_least
        )
        if endorsed < needed:
            return False
    return True


def _checked_answers(instrument: Instrument, answers: object) -> list[int | None]:
    count = len(instrument.items)
    how = (
        f"pass a list of {count} answers in item order, each one of "
        f"{_allowed(instrument)}, or None (JSON null) for an unanswered item"
    )
    # A string is a Sequence too, but "0123..." is never a valid set of answers.
    if not isinstance(answers, Sequence) or isinstance(answers, str | bytes):
        raise ScoringInputError(f"answers must be a list; {how}")
    if len(answers) != count:
        raise ScoringInputError(
            f"{instrument.code} has {count} items but {_answers(len(answers))} given; {how}"
        )
    allowed = set(instrument.option_values)
    for number, value in zip(instrument.item_numbers, answers, strict=True):
        if value is None:
            continue
        # bool is a subclass of int in Python; True must not be read as 1.
        if isinstance(value, bool) or not isinstance(value, int) or value not in allowed:
            raise ScoringInputError(
                f"item {number} is {_show(value)}, which is not an answer; "
                f"use one of {_allowed(instrument)}, or None (JSON null) if it was not answered"
            )
    return list(answers)


def _answers(count: int) -> str:
    return "1 answer was" if count == 1 else f"{count} answers were"


def _allowed(instrument: Instrument) -> str:
    return ", ".join(str(value) for value in instrument.option_values)


def _show(value: object) -> str:
    """Show a bad value as it would appear in JSON input (true, "2", 1.5)."""
    try:
        return json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)
