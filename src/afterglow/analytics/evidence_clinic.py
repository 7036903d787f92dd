"""The clinic's side of "beside the evidence": its figures, how one is shown, and the
within-group standardised change. Django-free; :mod:`afterglow.analytics.evidence` sets
these beside the trials (and re-exports them)."""

from __future__ import annotations

import dataclasses
import math

__all__ = ["ClinicFigures", "ClinicValue", "num", "pct", "standardised_mean_change"]


@dataclasses.dataclass(frozen=True)
class ClinicFigures:
    """The clinic's figures for the current selection, as the analysis engine computed them.

    Every figure is optional: leave out what the engine did not compute.
    Rates are proportions 0–1 with Wilson 95% CIs; ``*_n`` are the patients in
    the denominator. Durability is the Kaplan–Meier median time to a confirmed
    loss of response (``loss_confirmations`` consecutive failing follow-ups) among
    the ``n_responders`` responding at day ``durability_from_day``, from that day
    (an upper limit of ``math.inf`` means "not reached"). ``mean_change`` and
    ``sd_change`` are the mean and SD of (end-of-course total minus baseline) over
    ``n`` patients.
    ``response_day`` is the day after the first dose at which response was
    read; ``min_n`` is the clinic's ``analytics_min_n``.
    """

    min_n: int = 10
    measure: str = "PCL-5"
    response_rule: str = "a fall of at least 30% in the PCL-5 total from baseline"
    response_day: int | None = None
    response_rate: float | None = None
    response_ci95: tuple[float, float] | None = None
    response_n: int | None = None
    six_infusion_response_rate: float | None = None
    six_infusion_response_ci95: tuple[float, float] | None = None
    six_infusion_response_n: int | None = None
    veteran_response_rate: float | None = None
    veteran_response_ci95: tuple[float, float] | None = None
    veteran_response_n: int | None = None
    median_days_to_loss_of_response: float | None = None
    median_days_ci95: tuple[float, float] | None = None
    n_responders: int | None = None
    durability_from_day: int | None = None
    loss_confirmations: int | None = None
    mean_change: float | None = None
    sd_change: float | None = None
    n: int | None = None

    def __post_init__(self) -> None:
        if isinstance(self.min_n, bool) or not isinstance(self.min_n, int) or self.min_n < 1:
            raise ValueError(f"min_n must be a whole number of at least 1, got {self.min_n!r}")
        for prefix in ("response", "six_infusion_response", "veteran_response"):
            rate = getattr(self, f"{prefix}_rate")
            if rate is not None and not 0 <= rate <= 1:
                raise ValueError(f"{prefix}_rate must be a proportion from 0 to 1, got {rate!r}")
            _check_ci(f"{prefix}_ci95", getattr(self, f"{prefix}_ci95"))
            _check_count(f"{prefix}_n", getattr(self, f"{prefix}_n"))
        _check_ci("median_days_ci95", self.median_days_ci95)
        for name in ("n_responders", "n", "response_day", "durability_from_day"):
            _check_count(name, getattr(self, name))
        if self.sd_change is not None and self.sd_change < 0:
            raise ValueError(f"sd_change must not be negative, got {self.sd_change!r}")


def _check_ci(name: str, ci: tuple[float, float] | None) -> None:
    if ci is not None and (len(ci) != 2 or not ci[0] <= ci[1]):
        raise ValueError(f"{name} must be (low, high) with low <= high, got {ci!r}")


def _check_count(name: str, value: int | None) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        raise ValueError(f"{name} must be a whole number of at least 0, got {value!r}")


@dataclasses.dataclass(frozen=True)
class ClinicValue:
    """One clinic figure shown beside a study: ``unit`` is proportion, days or sd_units."""

    value: float
    ci95: tuple[float, float] | None
    n: int
    unit: str

    def text(self) -> str:
        """The value for a table cell, e.g. ``"54% (95% CI 40%–67%), n=38"``.

        Proportions as whole percentages, days to 0.1 (an infinite CI limit is "not
        reached"), standardised effects to 0.01.
        """
        if self.unit == "proportion":
            main, ci = pct(self.value), self.ci95 and f"{pct(self.ci95[0])}–{pct(self.ci95[1])}"
            return f"{main} (95% CI {ci}), n={self.n}" if ci else f"{main}, n={self.n}"
        if self.unit == "days":
            ci = self.ci95 and f"{num(self.ci95[0])}–{num(self.ci95[1])}"
            ci_text = f" (95% CI {ci})" if ci else ""
            return f"{num(self.value)} days{ci_text}, {self.n} responders"
        ci = self.ci95 and f"{self.ci95[0]:.2f} to {self.ci95[1]:.2f}"
        return f"{self.value:.2f} (95% CI {ci}), n={self.n}" if ci else f"{self.value:.2f}"


def standardised_mean_change(
    mean_change: float, sd_change: float, n: int
) -> tuple[float, tuple[float, float]]:
    """Within-group standardised mean change d_z with an approximate 95% CI.

    ``d_z = -mean_change / sd_change`` (sign flipped so that a fall in the total
    is positive, like the trials' effect sizes), with the usual large-sample
    variance ``1/n + d_z**2 / (2n)`` and CI ``d_z ± 1.96 √variance``. Assumes
    roughly normal change scores; no small-sample correction. It divides by the
    SD of change, not of scores, so it is not a between-group d or g.
    """
    if n < 2 or not sd_change > 0:
        raise ValueError("needs n >= 2 and sd_change > 0")
    d = -mean_change / sd_change
    half = 1.959963984540054 * math.sqrt(1 / n + d * d / (2 * n))
    return d, (d - half, d + half)


def pct(value: float) -> str:
    return f"{round(100 * value)}%"


def num(value: float) -> str:
    if math.isinf(value):
        return "not reached"
    return f"{value:g}" if value == round(value, 1) else f"{value:.1f}"
