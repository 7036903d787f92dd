"""The vectorised synthetic registry follows the demo clinic's cited trajectory model."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from afterglow.analytics.engine import AnalysisConfig, analyze, load_csv
from afterglow.demo import synthetic_params as p
from afterglow.demo.synthetic_pcl5 import Trajectory
from afterglow.demo.synthetic_registry import (
    REGISTRY_SCHEDULE,
    expected_reduction,
    generate,
    write_csv,
)


@pytest.fixture(scope="module")
def registry():  # type: ignore[no-untyped-def]
    return generate(3000, seed=21)


def test_the_same_seed_gives_the_same_registry_and_another_seed_another():
    first, again, other = generate(200, seed=5), generate(200, seed=5), generate(200, seed=6)

    pd.testing.assert_frame_equal(first.observations, again.observations)
    assert not first.observations["pcl5_total"].equals(other.observations["pcl5_total"])


def test_patients_have_about_fifteen_totals_with_screening_and_baseline(registry):
    obs = registry.observations
    per_patient = obs.groupby("patient_id", observed=True).size()

    assert len(per_patient) == 3000
    assert 14.0 <= per_patient.mean() <= 17.0
    assert per_patient.max() <= len(REGISTRY_SCHEDULE)
    assert (obs.loc[obs["day"] == -7, "pcl5_total"] >= p.ENTRY_MIN_TOTAL).all()
    assert obs.loc[obs["day"] == -7, "patient_id"].nunique() == 3000
    assert obs.loc[obs["day"] == 0, "patient_id"].nunique() == 3000  # never missed
    assert obs["pcl5_total"].between(0, 80).all()
    assert not obs.duplicated(["patient_id", "day"]).any()


def test_latent_responders_follow_the_cited_probabilities(registry):
    truth = registry.truth
    for service, expected in (
        (False, p.RESPONDER_PROBABILITY_CIVILIAN),
        (True, p.RESPONDER_PROBABILITY_SERVICE),
    ):
        group = truth[truth["service"] == service]
        se = math.sqrt(expected * (1 - expected) / len(group))
        assert abs(group["responder"].mean() - expected) < 4 * se
    responders = truth[truth["responder"]]
    median_loss = float(np.median(responders["loss_of_response_after_days"]))
    assert median_loss == pytest.approx(p.LOSS_OF_RESPONSE_MEDIAN_DAYS, rel=0.15)


def test_vectorised_reduction_equals_the_demo_trajectory_model():
    rng = np.random.default_rng(3)
    n = 50
    responder = rng.random(n) < 0.5
    reduction = np.where(responder, rng.uniform(0.36, 0.85, n), rng.normal(0.05, 0.08, n))
    loss = np.where(responder, rng.exponential(40, n), np.inf)
    residual = rng.uniform(0, 0.2, n)
    days = np.arange(-7, 121)

    vectorised = expected_reduction(
        np.broadcast_to(days, (n, len(days))), responder, reduction, loss, residual
    )

    for i in range(n):
        truth = Trajectory(
            baseline=50.0,
            responder=bool(responder[i]),
            end_of_course_reduction=float(reduction[i]),
            loss_of_response_after_days=float(loss[i]) if responder[i] else None,
            residual_reduction=float(residual[i]),
            dropout_day=None,
        )
        expected = [truth.reduction(int(day)) for day in days]
        assert vectorised[i] == pytest.approx(expected, abs=1e-12)


def test_a_written_registry_reads_back_unchanged(tmp_path, registry):
    obs = registry.observations.head(500)
    path = tmp_path / "registry.csv"

    write_csv(obs, path)
    back = load_csv(path)

    assert back["patient_id"].tolist() == obs["patient_id"].astype(str).tolist()
    assert back["day"].tolist() == obs["day"].tolist()
    assert back["pcl5_total"].tolist() == obs["pcl5_total"].tolist()
    assert back["trauma_context"].tolist() == obs["trauma_context"].astype(str).tolist()


def test_the_engine_sees_more_response_in_civilians_than_service_members(registry):
    result = analyze(registry.observations, AnalysisConfig(days=(14,)), by="trauma_context")

    civilian = result["by"]["civilian"]["timepoints"]["14"]
    military = result["by"]["military"]["timepoints"]["14"]
    assert civilian["response_ci95"][0] > military["response_ci95"][1]
    assert result["timepoints"]["14"]["ci95"][1] < 0  # symptoms fall by the end of the course
    assert result["n_excluded_no_baseline"] == 0
