"""Seeded synthetic fMRI runs with known effects, for tests, the demo and docs. No Django.

A run is a small 4-D image (16 × 16 × 12 = 3,072 voxels, 150 volumes at TR 2 s) with an
amygdala and a hippocampus mask (boxes of 27 and 36 voxels). Every voxel carries a
baseline (≈1,000, varying over space), a slow linear drift and white noise; the two
regions also share a latent fluctuation, so the correlation of their mean time series
is the requested ``connectivity_r``; in a task run the amygdala also responds to blocks
of trauma and neutral cues (convolved with the Glover HRF, the model ``extract`` fits)
with ``reactivity_psc`` percent signal change more to trauma than to neutral cues.

How the injected effects follow evidence.md §5 (Duek et al. 2023, ketamine vs midazolam
after therapy, n=27): amygdala reactivation to trauma reminders fell (−0.33) and
amygdala–hippocampus connectivity fell (−0.28) after ketamine. The generator gives a
patient whose PCL-5 fell by :data:`REFERENCE_IMPROVEMENT` those changes (reactivity in
percent signal change, connectivity in Fisher z), scaled in proportion to the patient's
own fractional improvement. That proportional link is a **synthetic design choice** so
the dashboard has something to find: Duek et al. found symptom change did *not* differ
between arms, and no study in evidence.md reports these sizes per point of PCL-5. The
baseline values (:data:`BASELINE_R`, :data:`BASELINE_REACTIVITY_PSC`) are UNCONFIRMED
illustrative numbers, not published norms.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = [
    "BASELINE_R",
    "BASELINE_REACTIVITY_PSC",
    "CONNECTIVITY_CHANGE_Z",
    "REACTIVITY_CHANGE_PSC",
    "REFERENCE_IMPROVEMENT",
    "SyntheticRun",
    "session_targets",
    "synthetic_run",
    "write_run",
]

SHAPE = (16, 16, 12)
N_VOLUMES = 150
TR = 2.0
AMYGDALA_BOX = (slice(3, 6), slice(6, 9), slice(4, 7))  # 27 voxels
HIPPOCAMPUS_BOX = (slice(9, 13), slice(6, 9), slice(4, 7))  # 36 voxels
#: Block design: 20 s cue blocks (trauma, neutral alternating) separated by 10 s of rest.
BLOCK_SECONDS = 20.0
REST_SECONDS = 10.0
#: Fluctuation shared by the regions (and region-specific), in signal units on ≈1,000.
LATENT_AMPLITUDE = 10.0
#: In a task run the fluctuation is smaller, so the cue response stands out (t ≈ 10).
TASK_LATENT_AMPLITUDE = 3.0
VOXEL_NOISE = 1.0
DRIFT_PER_VOLUME = 0.05

#: Duek et al. 2023 (evidence.md §5): change after ketamine + exposure vs midazolam.
CONNECTIVITY_CHANGE_Z = -0.28
REACTIVITY_CHANGE_PSC = -0.33
#: The fractional PCL-5 fall that gets exactly those changes (the 30 % response rule).
REFERENCE_IMPROVEMENT = 0.30
#: UNCONFIRMED illustrative pre-treatment values (not published norms).
BASELINE_R = 0.45
BASELINE_REACTIVITY_PSC = 0.8


@dataclass(frozen=True)
class SyntheticRun:
    bold: np.ndarray  # float32 (x, y, z, t)
    amygdala: np.ndarray  # uint8 mask
    hippocampus: np.ndarray  # uint8 mask
    affine: np.ndarray
    tr: float
    events: pd.DataFrame | None  # BIDS events (onset, duration, trial_type) or None at rest


def session_targets(*, baseline_pcl5: float, post_pcl5: float) -> dict[str, float]:
    """The pre and post values the generator injects for a patient's PCL-5 change."""
    if baseline_pcl5 <= 0:
        raise ValueError("baseline PCL-5 must be above 0")
    improvement = (baseline_pcl5 - post_pcl5) / baseline_pcl5
    scale = improvement / REFERENCE_IMPROVEMENT
    pre_z = math.atanh(BASELINE_R)
    post_z = pre_z + CONNECTIVITY_CHANGE_Z * scale
    return {
        "pre_r": BASELINE_R,
        "post_r": math.tanh(post_z),
        "pre_reactivity_psc": BASELINE_REACTIVITY_PSC,
        "post_reactivity_psc": BASELINE_REACTIVITY_PSC + REACTIVITY_CHANGE_PSC * scale,
    }


def _block_events(n_volumes: int, tr: float) -> pd.DataFrame:
    rows, onset, kinds = [], REST_SECONDS, ("trauma", "neutral")
    index = 0
    while onset + BLOCK_SECONDS <= n_volumes * tr - REST_SECONDS:
        rows.append((onset, BLOCK_SECONDS, kinds[index % 2]))
        onset += BLOCK_SECONDS + REST_SECONDS
        index += 1
    return pd.DataFrame(rows, columns=["onset", "duration", "trial_type"])


def _regressor(events: pd.DataFrame, kind: str, n_volumes: int, tr: float) -> np.ndarray:
    from nilearn.glm.first_level import compute_regressor

    chosen = events[events["trial_type"] == kind]
    condition = np.vstack([chosen["onset"], chosen["duration"], np.ones(len(chosen))])
    signal, _ = compute_regressor(condition, "glover", np.arange(n_volumes) * tr)
    return np.asarray(signal[:, 0], dtype=np.float64)


def _exact_correlation_pair(rng: np.random.Generator, r: float, n: int) -> np.ndarray:
    """Two series whose sample correlation is exactly ``r`` (after removing the mean
    and linear trend, as ``extract`` does), each of unit variance."""
    t = np.arange(n, dtype=np.float64)
    basis = np.column_stack([np.ones(n), t])
    raw = rng.standard_normal((n, 2))
    raw -= basis @ np.linalg.lstsq(basis, raw, rcond=None)[0]
    q, _ = np.linalg.qr(raw)  # orthonormal, orthogonal to constant and trend
    a = q[:, 0]
    b = r * q[:, 0] + math.sqrt(1 - r * r) * q[:, 1]
    return np.column_stack([a, b]) * math.sqrt(n)


def synthetic_run(
    *,
    seed: int,
    connectivity_r: float,
    reactivity_psc: float = 0.0,
    task: bool = True,
    n_volumes: int = N_VOLUMES,
    tr: float = TR,
) -> SyntheticRun:
    """A run whose region means correlate at ``connectivity_r`` once voxel noise and the
    task response are removed; in a task run the amygdala responds ``reactivity_psc``
    percent more to trauma than to neutral cues."""
    if not -1 < connectivity_r < 1:
        raise ValueError("connectivity_r must be strictly between -1 and 1")
    rng = np.random.default_rng(seed)
    baseline = 1000.0 + 20.0 * rng.standard_normal(SHAPE)
    drift = DRIFT_PER_VOLUME * np.arange(n_volumes)
    bold = baseline[..., None] + drift + VOXEL_NOISE * rng.standard_normal((*SHAPE, n_volumes))
    amplitude = TASK_LATENT_AMPLITUDE if task else LATENT_AMPLITUDE
    latent = amplitude * _exact_correlation_pair(rng, connectivity_r, n_volumes)
    amygdala = np.zeros(SHAPE, dtype=np.uint8)
    hippocampus = np.zeros(SHAPE, dtype=np.uint8)
    amygdala[AMYGDALA_BOX] = 1
    hippocampus[HIPPOCAMPUS_BOX] = 1
    bold[AMYGDALA_BOX] += latent[:, 0]
    bold[HIPPOCAMPUS_BOX] += latent[:, 1]
    events = None
    if task:
        events = _block_events(n_volumes, tr)
        # Both cue types evoke a response; trauma evokes reactivity_psc more.
        neutral_psc = 0.5
        response = (neutral_psc + reactivity_psc) * _regressor(
            events, "trauma", n_volumes, tr
        ) + neutral_psc * _regressor(events, "neutral", n_volumes, tr)
        region = bold[AMYGDALA_BOX]
        bold[AMYGDALA_BOX] = region + baseline[AMYGDALA_BOX][..., None] * response / 100.0
    affine = np.diag([3.0, 3.0, 3.0, 1.0])
    return SyntheticRun(
        bold=bold.astype(np.float32),
        amygdala=amygdala,
        hippocampus=hippocampus,
        affine=affine,
        tr=tr,
        events=events,
    )


def write_run(run: SyntheticRun, directory: Path, *, prefix: str = "sub-01") -> dict[str, Path]:
    """Write the run as NIfTI-1 (.nii.gz, TR in the header) and BIDS TSV; return the paths."""
    import nibabel as nib

    directory.mkdir(parents=True, exist_ok=True)
    bold = nib.Nifti1Image(run.bold, run.affine)
    bold.header.set_xyzt_units("mm", "sec")
    bold.header["pixdim"][4] = run.tr
    paths = {
        "bold": directory / f"{prefix}_bold.nii.gz",
        "amygdala": directory / f"{prefix}_amygdala_mask.nii.gz",
        "hippocampus": directory / f"{prefix}_hippocampus_mask.nii.gz",
    }
    nib.save(bold, paths["bold"])
    nib.save(nib.Nifti1Image(run.amygdala, run.affine), paths["amygdala"])
    nib.save(nib.Nifti1Image(run.hippocampus, run.affine), paths["hippocampus"])
    if run.events is not None:
        paths["events"] = directory / f"{prefix}_events.tsv"
        run.events.to_csv(paths["events"], sep="\t", index=False)
    return paths
