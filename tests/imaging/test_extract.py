"""``afterglow.imaging.extract``: the measures recover what the synthetic runs inject,
connectivity equals an independent numpy computation of the definition, and every bad
input named in the issue is refused with one line."""

from __future__ import annotations

import math
from pathlib import Path

import nibabel as nib
import numpy as np
import pandas as pd
import pytest

from afterglow.imaging.extract import ExtractOptions, ImagingInputError, extract, region_means
from afterglow.imaging.synthetic import synthetic_run, write_run

TR = 2.0


@pytest.fixture(scope="module")
def rest(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    run = synthetic_run(seed=11, connectivity_r=0.45, task=False)
    return write_run(run, tmp_path_factory.mktemp("rest"))


@pytest.fixture(scope="module")
def task(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    run = synthetic_run(seed=12, connectivity_r=0.3, reactivity_psc=0.8, task=True)
    return write_run(run, tmp_path_factory.mktemp("task"))


def measure(paths: dict[str, Path], **options: object) -> dict:
    contrast = options.pop("contrast", None)
    return extract(
        bold=paths["bold"],
        amygdala=paths["amygdala"],
        hippocampus=paths["hippocampus"],
        events=paths.get("events") if contrast else None,
        confounds=options.pop("confounds", None),  # type: ignore[arg-type]
        options=ExtractOptions(tr=TR, contrast=contrast, **options),  # type: ignore[arg-type]
    )


def reference_r(paths: dict[str, Path], confounds: np.ndarray | None = None) -> float:
    """The definition, computed independently: mean over mask voxels per volume, one
    least-squares regression on constant + linear trend + confounds, Pearson r."""
    bold = np.asarray(nib.load(paths["bold"]).get_fdata())
    columns = []
    for name in ("amygdala", "hippocampus"):
        mask = np.asarray(nib.load(paths[name]).get_fdata()) > 0
        columns.append(bold[mask].mean(axis=0))
    y = np.column_stack(columns)
    n = len(y)
    design = [np.ones(n), np.arange(n, dtype=float)]
    if confounds is not None:
        design += list(confounds.T)
    x = np.column_stack(design)
    residual = y - x @ np.linalg.lstsq(x, y, rcond=None)[0]
    return float(np.corrcoef(residual[:, 0], residual[:, 1])[0, 1])


def test_connectivity_is_exactly_the_defined_correlation_and_recovers_the_injected_one(rest):
    out = measure(rest)
    assert out["amygdala_hippocampus_r"] == pytest.approx(reference_r(rest), abs=1e-9)
    assert out["amygdala_hippocampus_z"] == pytest.approx(math.atanh(out["amygdala_hippocampus_r"]))
    # Voxel noise (sd 1 on a shared signal of sd 10, averaged over 27–36 voxels) is all
    # that separates the measure from the injected 0.45: stated tolerance 0.02.
    assert out["amygdala_hippocampus_r"] == pytest.approx(0.45, abs=0.02)
    assert out["n_volumes"] == 150
    assert out["voxels"] == {"amygdala": 27, "hippocampus": 36}
    assert out["overlap_voxels"] == 0
    assert out["masks_resampled"] == {"amygdala": False, "hippocampus": False}
    assert "amygdala_reactivity" not in out


def test_confound_columns_are_regressed_out_jointly_with_the_trend(rest, tmp_path):
    rng = np.random.default_rng(5)
    confounds = rng.standard_normal((150, 2))
    path = tmp_path / "confounds.tsv"
    pd.DataFrame(confounds, columns=["trans_x", "rot_z"]).to_csv(path, sep="\t", index=False)
    out = measure(rest, confounds=path)
    assert out["amygdala_hippocampus_r"] == pytest.approx(reference_r(rest, confounds), abs=1e-9)
    assert out["connectivity_cleaning"]["regressed_out"] == [
        "constant",
        "linear trend",
        "trans_x",
        "rot_z",
    ]


def test_optional_filters_and_scrubbing_are_reported(rest, tmp_path):
    fd = np.full(150, 0.1)
    fd[[10, 40, 90]] = 2.0
    path = tmp_path / "confounds.tsv"
    pd.DataFrame({"framewise_displacement": fd}).to_csv(path, sep="\t", index=False)
    out = measure(
        rest,
        confounds=path,
        confound_columns=[],
        high_pass_hz=0.01,
        low_pass_hz=0.1,
        scrub_fd_mm=0.5,
    )
    cleaning = out["connectivity_cleaning"]
    assert cleaning["high_pass_hz"] == 0.01 and cleaning["low_pass_hz"] == 0.1
    assert cleaning["scrub_fd_mm"] == 0.5 and cleaning["volumes_used"] == 147
    assert -1 < out["amygdala_hippocampus_r"] < 1


def test_reactivity_recovers_the_injected_trauma_minus_neutral_response(task):
    out = measure(task, contrast="trauma - neutral")
    reactivity = out["amygdala_reactivity"]
    # Injected 0.8 % signal change; the model's standard error here is ≈0.05, so the
    # stated tolerance is 0.15 (3 SE); the sign must be right and the t clearly large.
    assert reactivity["effect"] == pytest.approx(0.8, abs=0.15)
    assert reactivity["stat"] > 5
    assert reactivity["contrast"] == "trauma - neutral"
    assert (reactivity["hrf_model"], reactivity["drift_model"], reactivity["noise_model"]) == (
        "glover",
        "cosine",
        "ar1",
    )
    reverse = measure(task, contrast="neutral - trauma")["amygdala_reactivity"]
    assert reverse["effect"] == pytest.approx(-reactivity["effect"])


def test_provenance_names_every_input_by_its_hash_and_the_software(task):
    import hashlib

    out = measure(task, contrast="trauma - neutral")
    assert set(out["inputs_sha256"]) == {"bold", "amygdala", "hippocampus", "events"}
    assert out["inputs_sha256"]["bold"] == hashlib.sha256(task["bold"].read_bytes()).hexdigest()
    assert set(out["software"]) >= {"nibabel", "nilearn", "numpy"}


def test_region_means_reads_in_chunks_and_equals_the_whole_image_mean(rest):
    image = nib.load(rest["bold"])
    mask = np.asarray(nib.load(rest["amygdala"]).dataobj) > 0
    whole = np.asarray(image.get_fdata())[mask].mean(axis=0)
    assert np.allclose(region_means(image, [mask])[:, 0], whole)


def test_a_mask_in_another_grid_is_resampled_nearest_neighbour_and_reported(rest, tmp_path):
    mask = np.asarray(nib.load(rest["amygdala"]).dataobj)
    # The same mask on a grid of half the voxel size (3 mm -> 1.5 mm): nearest-neighbour
    # resampling back to the BOLD grid gives the original voxels.
    fine = np.repeat(np.repeat(np.repeat(mask, 2, 0), 2, 1), 2, 2)
    affine = np.diag([1.5, 1.5, 1.5, 1.0])
    affine[:3, 3] = -0.75
    path = tmp_path / "fine_amygdala.nii.gz"
    nib.save(nib.Nifti1Image(fine, affine), path)
    out = measure({**rest, "amygdala": path})
    assert out["masks_resampled"]["amygdala"] is True
    assert out["voxels"]["amygdala"] == 27
    assert out["amygdala_hippocampus_r"] == pytest.approx(measure(rest)["amygdala_hippocampus_r"])


def refused(paths: dict[str, Path], match: str, **options: object) -> None:
    with pytest.raises(ImagingInputError, match=match) as caught:
        measure(paths, **options)
    assert "\n" not in str(caught.value)


def test_a_mask_with_no_voxels_is_refused(rest, tmp_path):
    path = tmp_path / "empty.nii.gz"
    nib.save(nib.Nifti1Image(np.zeros((16, 16, 12), np.uint8), np.diag([3.0, 3, 3, 1])), path)
    refused({**rest, "hippocampus": path}, "hippocampus mask empty.nii.gz: no voxels")


def test_a_3d_image_given_as_bold_is_refused(rest, tmp_path):
    path = tmp_path / "anat.nii.gz"
    nib.save(nib.Nifti1Image(np.ones((16, 16, 12), np.float32), np.diag([3.0, 3, 3, 1])), path)
    refused({**rest, "bold": path}, "a 3-D image; a BOLD run is 4-D")


def test_a_tr_that_disagrees_with_the_header_is_refused(rest):
    with pytest.raises(ImagingInputError, match="does not match the TR"):
        extract(
            bold=rest["bold"],
            amygdala=rest["amygdala"],
            hippocampus=rest["hippocampus"],
            options=ExtractOptions(tr=2.5),
        )


def test_events_outside_the_run_are_refused(task, tmp_path):
    path = tmp_path / "events.tsv"
    pd.DataFrame(
        {"onset": [10.0, 295.0], "duration": [20.0, 20.0], "trial_type": ["trauma", "neutral"]}
    ).to_csv(path, sep="\t", index=False)
    refused(
        {**task, "events": path},
        r"line 3: event outside the run \(0–300 s\)",
        contrast="trauma - neutral",
    )


def test_a_contrast_naming_an_unknown_trial_type_is_refused(task):
    refused(task, 'no trial type "scary"', contrast="scary - neutral")
    refused(task, 'write it as "A - B"', contrast="trauma")


def test_events_without_a_contrast_are_refused(task):
    with pytest.raises(ImagingInputError, match="go together"):
        extract(
            bold=task["bold"],
            amygdala=task["amygdala"],
            hippocampus=task["hippocampus"],
            events=task["events"],
            options=ExtractOptions(tr=TR),
        )


def test_a_missing_or_unreadable_file_is_refused(rest, tmp_path):
    refused({**rest, "bold": tmp_path / "nope.nii.gz"}, "no such file")
    junk = tmp_path / "junk.nii.gz"
    junk.write_bytes(b"not an image")
    refused({**rest, "amygdala": junk}, "not a NIfTI image")


def test_identical_masks_are_refused_rather_than_giving_an_infinite_z(rest):
    refused({**rest, "hippocampus": rest["amygdala"]}, "identical up to scale")
