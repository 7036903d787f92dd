"""Published imaging effects to show beside the clinic's, quoted from evidence.md §5.
No Django. Each carries its comparability label and, for a "closest comparison", every
difference between the study's measure and the clinic's."""

from __future__ import annotations

from dataclasses import dataclass

CLOSEST = "closest comparison"
DIFFERENT = "different measure"


@dataclass(frozen=True)
class PublishedEffect:
    key: str
    study: str
    measure: str
    finding: str
    comparability: str
    differences: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.comparability not in (CLOSEST, DIFFERENT):
            raise ValueError(f"unknown comparability {self.comparability!r}")
        if self.comparability == CLOSEST and not self.differences:
            raise ValueError("a closest comparison must list its differences")


_DUEK_DIFFERENCES = (
    "Duek compared ketamine with midazolam (both after therapy); the clinic shows "
    "pre→post change in ketamine-treated patients, with no control arm",
    "Duek scanned during personal trauma scripts; the clinic's scans follow its own protocol",
    "Duek reported Bayesian model estimates with 95% HDIs; the clinic shows Fisher z or "
    "percent signal change",
    "Duek's trial had 27 participants; the clinic sample is observational",
    "In Duek's trial symptom change did not differ between arms",
)

PUBLISHED = (
    PublishedEffect(
        key="duek_reactivity",
        study="Duek et al. 2023 (n=27)",
        measure="Amygdala reactivation to personal trauma scripts",
        finding="Lower after ketamine than midazolam: −0.33 (95% HDI −0.56 to −0.04)",
        comparability=CLOSEST,
        differences=_DUEK_DIFFERENCES,
    ),
    PublishedEffect(
        key="duek_connectivity",
        study="Duek et al. 2023 (n=27)",
        measure="Amygdala–hippocampus connectivity",
        finding="Lower after ketamine than midazolam: −0.28 (95% HDI −0.46 to −0.11)",
        comparability=CLOSEST,
        differences=_DUEK_DIFFERENCES,
    ),
    PublishedEffect(
        key="danbock_vmpfc",
        study="Danböck et al. 2024 (n=26; 12 ketamine, 14 midazolam)",
        measure="Resting vmPFC–amygdala connectivity during the infusion",
        finding="A transient fall with ketamine against midazolam; no predicted increase",
        comparability=DIFFERENT,
    ),
    PublishedEffect(
        key="norbury_vmpfc",
        study="Norbury et al. 2021 (n=21, subset of Feder 2021)",
        measure="vmPFC–amygdala connectivity while viewing emotional faces",
        finding="A rise was the best predictor of PTSD improvement (β=2.90)",
        comparability=DIFFERENT,
    ),
)
