"""Derived imaging measures from one fMRI run: amygdala–hippocampus connectivity and
amygdala reactivity. No Django; the images are read here and never stored.

What is measured (docs/imaging.md says the same for readers):

- **Region time series.** For each region, the mean over the mask's voxels at each
  volume. The BOLD image is read lazily, a few volumes at a time, so memory stays a
  small fraction of the image (nibabel's array proxy; only the masked voxels of one
  chunk are ever in memory).
- **Connectivity** (``amygdala_hippocampus_r``, ``amygdala_hippocampus_z``): the Pearson
  correlation of the two regions' time series after regressing out, jointly, a constant,
  a linear trend and the confound columns asked for (none by default), with
  :func:`nilearn.signal.clean` (detrending the series and the confounds, then projecting
  the confounds out, which by the Frisch–Waugh–Lovell theorem equals one regression on
  constant + trend + confounds). ``z`` is Fisher's ``atanh(r)``. Optional and reported
  when used: a Butterworth high-pass and/or low-pass filter, and censoring of volumes
  whose framewise displacement exceeds a threshold.
- **Reactivity** (``amygdala_reactivity``): a first-level GLM of the amygdala's mean
  time series, scaled to percent of its mean, with nilearn: the events convolved with
  the Glover HRF, a cosine drift model (high-pass 0.01 Hz), the confounds asked for,
  and an AR(1) noise model; the contrast's effect size (percent signal change) and its
  t statistic. Fitting the regional mean equals averaging the voxel-wise effects under
  ordinary least squares (the model is linear and the design the same for every voxel);
  with AR(1) it is the usual ROI analysis, not the voxel mean.

Masks must be in the image's space: same shape and affine, or they are resampled to it
with nearest-neighbour interpolation and the output says so.

Research use only: these are group-level research measures (evidence.md §5; samples of
n≈20–27), not a diagnostic test for a person.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "DRIFT_MODEL",
    "HIGH_PASS_DRIFT_HZ",
    "HRF_MODEL",
    "NOISE_MODEL",
    "ExtractOptions",
    "ImagingInputError",
    "extract",
    "sha256_file",
]

HRF_MODEL = "glover"
DRIFT_MODEL = "cosine"
#: The cosine drift basis's cut-off, nilearn's default (a 128 s period is SPM's).
HIGH_PASS_DRIFT_HZ = 0.01
NOISE_MODEL = "ar1"
#: The TR written in the header must agree with --tr to this relative tolerance.
TR_TOLERANCE = 0.01
#: Volumes read at a time (memory ≈ CHUNK × voxels per volume × 4 bytes at most).
CHUNK_VOLUMES = 16

_CONTRAST = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*-\s*([A-Za-z_][A-Za-z0-9_]*)\s*$")


class ImagingInputError(ValueError):
    """The inputs cannot give a measure; the message says what to fix, on one line."""


@dataclass(frozen=True)
class ExtractOptions:
    tr: float
    confound_columns: Sequence[str] | None = None  # None: every column of the file
    high_pass_hz: float | None = None
    low_pass_hz: float | None = None
    scrub_fd_mm: float | None = None
    contrast: str | None = None


@dataclass
class _Mask:
    name: str
    data: np.ndarray  # boolean, the image's 3-D shape
    resampled: bool


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _load(path: Path, what: str) -> Any:
    import nibabel as nib

    if not path.is_file():
        raise ImagingInputError(f"{what} {path}: no such file")
    try:
        return nib.load(str(path))
    except Exception as error:  # nibabel raises several types for unreadable files
        raise ImagingInputError(f"{what} {path}: not a NIfTI image ({error})") from None


def _bold(path: Path, tr: float) -> Any:
    image = _load(path, "BOLD")
    if len(image.shape) != 4:
        raise ImagingInputError(
            f"BOLD {path.name}: a {len(image.shape)}-D image; a BOLD run is 4-D (x, y, z, time)"
        )
    if image.shape[3] < 3:
        raise ImagingInputError(f"BOLD {path.name}: only {image.shape[3]} volumes")
    if not (math.isfinite(tr) and tr > 0):
        raise ImagingInputError(f"--tr must be a positive number of seconds, not {tr}")
    zooms = image.header.get_zooms()
    header_tr = float(zooms[3]) if len(zooms) > 3 else 0.0
    units = image.header.get_xyzt_units()[1] if hasattr(image.header, "get_xyzt_units") else "sec"
    if units == "msec":
        header_tr /= 1000.0
    if header_tr > 0 and abs(header_tr - tr) > TR_TOLERANCE * tr:
        raise ImagingInputError(
            f"--tr {tr:g} s does not match the TR in {path.name}'s header ({header_tr:g} s)"
        )
    return image


def _mask(path: Path, name: str, bold: Any) -> _Mask:
    image = _load(path, f"{name} mask")
    if len(image.shape) != 3 and not (len(image.shape) == 4 and image.shape[3] == 1):
        raise ImagingInputError(f"{name} mask {path.name}: must be a 3-D image")
    shape3 = tuple(bold.shape[:3])
    resampled = False
    if tuple(image.shape[:3]) != shape3 or not np.allclose(image.affine, bold.affine, atol=1e-4):
        from nilearn.image import index_img, resample_to_img

        reference = index_img(bold, 0)
        image = resample_to_img(
            image, reference, interpolation="nearest", force_resample=True, copy_header=True
        )
        resampled = True
    data = np.asarray(image.dataobj).reshape(shape3) > 0
    if not data.any():
        raise ImagingInputError(
            f"{name} mask {path.name}: no voxels"
            + (" after resampling to the BOLD image's space" if resampled else "")
        )
    return _Mask(name=name, data=data, resampled=resampled)


def region_means(bold: Any, masks: Sequence[np.ndarray]) -> np.ndarray:
    """(volumes × regions) mean of each mask's voxels at each volume, read in chunks."""
    n_volumes = bold.shape[3]
    proxy = bold.dataobj
    out = np.empty((n_volumes, len(masks)), dtype=np.float64)
    for start in range(0, n_volumes, CHUNK_VOLUMES):
        stop = min(start + CHUNK_VOLUMES, n_volumes)
        chunk = np.asarray(proxy[..., start:stop], dtype=np.float64)
        for column, mask in enumerate(masks):
            out[start:stop, column] = chunk[mask].mean(axis=0)
    if not np.isfinite(out).all():
        raise ImagingInputError("the BOLD image has non-finite values inside a mask")
    return out


def _confounds(path: Path | None, columns: Sequence[str] | None, n_volumes: int) -> pd.DataFrame:
    if path is None:
        if columns:
            raise ImagingInputError("--confound-columns needs --confounds")
        return pd.DataFrame(index=range(n_volumes))
    if not path.is_file():
        raise ImagingInputError(f"confounds {path}: no such file")
    try:
        frame = pd.read_csv(path, sep="\t")
    except Exception as error:
        raise ImagingInputError(f"confounds {path.name}: not a TSV file ({error})") from None
    if len(frame) != n_volumes:
        raise ImagingInputError(f"confounds {path.name}: {len(frame)} rows for {n_volumes} volumes")
    if columns is not None:
        missing = [name for name in columns if name not in frame.columns]
        if missing:
            raise ImagingInputError(f"confounds {path.name}: no column {', '.join(missing)}")
        frame = frame[list(columns)]
    bad = [name for name in frame.columns if not pd.api.types.is_numeric_dtype(frame[name])]
    if bad:
        raise ImagingInputError(f"confounds {path.name}: column {bad[0]} is not numeric")
    return frame


def _events(path: Path, n_volumes: int, tr: float) -> pd.DataFrame:
    if not path.is_file():
        raise ImagingInputError(f"events {path}: no such file")
    try:
        events = pd.read_csv(path, sep="\t")
    except Exception as error:
        raise ImagingInputError(f"events {path.name}: not a TSV file ({error})") from None
    missing = [name for name in ("onset", "duration", "trial_type") if name not in events.columns]
    if missing:
        raise ImagingInputError(f"events {path.name}: no column {', '.join(missing)}")
    if events.empty:
        raise ImagingInputError(f"events {path.name}: no events")
    onset = pd.to_numeric(events["onset"], errors="coerce")
    duration = pd.to_numeric(events["duration"], errors="coerce")
    if onset.isna().any() or duration.isna().any() or (duration < 0).any():
        raise ImagingInputError(f"events {path.name}: onset and duration must be numbers ≥ 0")
    run_seconds = n_volumes * tr
    outside = events[(onset < 0) | (onset + duration > run_seconds + 1e-9)]
    if not outside.empty:
        row = outside.index[0] + 2  # header is line 1
        raise ImagingInputError(
            f"events {path.name} line {row}: event outside the run (0–{run_seconds:g} s)"
        )
    return pd.DataFrame(
        {"onset": onset, "duration": duration, "trial_type": events["trial_type"].astype(str)}
    )


def _contrast_vector(contrast: str, columns: Sequence[str]) -> np.ndarray:
    match = _CONTRAST.match(contrast)
    if not match:
        raise ImagingInputError(
            f'--contrast "{contrast}": write it as "A - B" with two trial types'
        )
    vector = np.zeros(len(columns))
    for name, weight in ((match.group(1), 1.0), (match.group(2), -1.0)):
        if name not in columns:
            raise ImagingInputError(
                f'--contrast "{contrast}": no trial type "{name}" in the events'
            )
        vector[list(columns).index(name)] = weight
    return vector


def connectivity(
    series: np.ndarray,
    confounds: pd.DataFrame,
    options: ExtractOptions,
    sample_mask: np.ndarray | None,
) -> tuple[float, float]:
    """Pearson r and Fisher z of two columns after the cleaning described above."""
    from nilearn.signal import clean

    cleaned = clean(
        series,
        detrend=True,
        standardize=None,
        confounds=confounds.to_numpy(dtype=np.float64) if confounds.shape[1] else None,
        standardize_confounds=True,
        filter="butterworth" if (options.high_pass_hz or options.low_pass_hz) else False,
        high_pass=options.high_pass_hz,
        low_pass=options.low_pass_hz,
        t_r=options.tr,
        sample_mask=sample_mask,
    )
    a, b = cleaned[:, 0], cleaned[:, 1]
    if np.std(a) == 0 or np.std(b) == 0:
        raise ImagingInputError("a region's time series is constant after cleaning")
    r = float(np.corrcoef(a, b)[0, 1])
    if abs(r) >= 1 - 1e-12:
        raise ImagingInputError(
            "the two regions' time series are identical up to scale; are the masks the same?"
        )
    return r, float(np.arctanh(r))


def reactivity(
    amygdala: np.ndarray,
    events: pd.DataFrame,
    confounds: pd.DataFrame,
    options: ExtractOptions,
) -> dict[str, Any]:
    """Effect (percent signal change) and t of the contrast in the amygdala's mean series."""
    from nilearn.glm.contrasts import compute_contrast
    from nilearn.glm.first_level import make_first_level_design_matrix, run_glm

    assert options.contrast is not None
    n_volumes = len(amygdala)
    frame_times = np.arange(n_volumes) * options.tr
    design = make_first_level_design_matrix(
        frame_times,
        events=events,
        hrf_model=HRF_MODEL,
        drift_model=DRIFT_MODEL,
        high_pass=HIGH_PASS_DRIFT_HZ,
        add_regs=confounds.to_numpy(dtype=np.float64) if confounds.shape[1] else None,
        add_reg_names=[f"confound_{name}" for name in confounds.columns] or None,
    )
    vector = _contrast_vector(options.contrast, list(design.columns))
    mean = float(amygdala.mean())
    if mean == 0:
        raise ImagingInputError("the amygdala's mean signal is 0; cannot scale to percent")
    y = (amygdala / mean * 100.0)[:, None]
    labels, results = run_glm(y, design.to_numpy(), noise_model=NOISE_MODEL, n_jobs=1)
    result = compute_contrast(labels, results, vector, stat_type="t")
    return {
        "contrast": options.contrast,
        "effect": float(np.ravel(result.effect_size())[0]),
        "stat": float(np.ravel(result.stat())[0]),
        "stat_type": "t",
        "unit": "percent signal change",
        "hrf_model": HRF_MODEL,
        "drift_model": DRIFT_MODEL,
        "drift_high_pass_hz": HIGH_PASS_DRIFT_HZ,
        "noise_model": NOISE_MODEL,
    }


def _sample_mask(confounds_path: Path | None, threshold: float | None, n: int) -> np.ndarray | None:
    if threshold is None:
        return None
    if confounds_path is None:
        raise ImagingInputError("--scrub-fd needs --confounds with a framewise_displacement column")
    frame = pd.read_csv(confounds_path, sep="\t")
    if "framewise_displacement" not in frame.columns:
        raise ImagingInputError(
            f"confounds {confounds_path.name}: no framewise_displacement column for --scrub-fd"
        )
    fd = pd.to_numeric(frame["framewise_displacement"], errors="coerce").fillna(0.0).to_numpy()
    keep = np.flatnonzero(fd <= threshold)
    if len(keep) < max(10, n // 2):
        raise ImagingInputError(
            f"--scrub-fd {threshold:g} mm keeps {len(keep)} of {n} volumes; too few to measure"
        )
    return keep


def extract(
    *,
    bold: Path,
    amygdala: Path,
    hippocampus: Path,
    options: ExtractOptions,
    confounds: Path | None = None,
    events: Path | None = None,
) -> dict[str, Any]:
    """Measure one run; raise :class:`ImagingInputError` (one line) on bad input."""
    if (events is None) != (options.contrast is None):
        raise ImagingInputError("--events and --contrast go together")
    for name, value in (("--high-pass", options.high_pass_hz), ("--low-pass", options.low_pass_hz)):
        if value is not None and not (math.isfinite(value) and 0 < value < 0.5 / options.tr):
            raise ImagingInputError(
                f"{name} {value:g} Hz must be above 0 and below the Nyquist frequency "
                f"{0.5 / options.tr:g} Hz"
            )
    if options.scrub_fd_mm is not None and not (options.scrub_fd_mm > 0):
        raise ImagingInputError("--scrub-fd must be a positive number of millimetres")
    image = _bold(bold, options.tr)
    n_volumes = int(image.shape[3])
    masks = [_mask(amygdala, "amygdala", image), _mask(hippocampus, "hippocampus", image)]
    confound_frame = _confounds(confounds, options.confound_columns, n_volumes)
    event_frame = _events(events, n_volumes, options.tr) if events is not None else None
    sample_mask = _sample_mask(confounds, options.scrub_fd_mm, n_volumes)

    series = region_means(image, [m.data for m in masks])
    r, z = connectivity(series, confound_frame, options, sample_mask)
    out: dict[str, Any] = {
        "amygdala_hippocampus_r": r,
        "amygdala_hippocampus_z": z,
        "n_volumes": n_volumes,
        "tr_seconds": options.tr,
        "voxels": {m.name: int(m.data.sum()) for m in masks},
        "overlap_voxels": int((masks[0].data & masks[1].data).sum()),
        "masks_resampled": {m.name: m.resampled for m in masks},
        "connectivity_cleaning": {
            "regressed_out": ["constant", "linear trend"]
            + [str(name) for name in confound_frame.columns],
            "high_pass_hz": options.high_pass_hz,
            "low_pass_hz": options.low_pass_hz,
            "scrub_fd_mm": options.scrub_fd_mm,
            "volumes_used": len(sample_mask) if sample_mask is not None else n_volumes,
        },
    }
    if event_frame is not None:
        out["amygdala_reactivity"] = reactivity(series[:, 0], event_frame, confound_frame, options)
    inputs = {"bold": bold, "amygdala": amygdala, "hippocampus": hippocampus}
    if confounds is not None:
        inputs["confounds"] = confounds
    if events is not None:
        inputs["events"] = events
    out["inputs_sha256"] = {name: sha256_file(path) for name, path in inputs.items()}
    out["software"] = {name: version(name) for name in ("nibabel", "nilearn", "numpy", "scipy")}
    return out
