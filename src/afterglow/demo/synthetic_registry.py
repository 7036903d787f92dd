"""A seeded, vectorised synthetic PCL-5 registry for benchmarks and tests. No Django import.

The same hidden-trajectory model as the demo clinic (``synthetic_pcl5``; every
parameter and its source in ``synthetic_params``), drawn with numpy for many
patients at once: a registry of 100 000 patients takes about a second. It
produces totals only (no item answers, no dates): one row per PCL-5 with
``patient_id``, ``day`` (after the first dose), ``pcl5_total`` and the patient's
covariates ``trauma_context``, ``sex``, ``age``, ``protocol``.

Per patient (as ``synthetic_pcl5``): a true baseline ~ N(50, 10) redrawn until
it is at most 80 and the screening PCL-5 (the baseline plus measurement noise of
SD 5.4) passes entry (>= 34); responder with probability 0.67 (civilian) or 0.30
(military or both); a responder's end-of-course reduction ~ N(0.50, 0.12)
clipped to 0.36-0.85, reached along ``RESPONSE_ONSET``, lost after an
exponential time with median 27.5 days after the course, settling to a residual
reduction ~ U(0, 0.2); a non-responder changes by ~ N(2.7, 4) points, half of
it fading by day 90; dropout during the course (6 %) or follow-up (20 %), missed
questionnaires (2 % in clinic, 10 % by link), answers up to a few days late, and
2 % of follow-up PCL-5s left incomplete (no total, so no row: never a 0).

Schedule: ``synthetic_params.SCHEDULE`` (10 administrations from screening to
day 90) plus ``EXTRA_VISITS``, so a patient has about 15 totals on average.
The protocol column is drawn from ``PROTOCOL_WEIGHTS_*`` but does not change the
trajectory (illustrative, like the demo).
"""

from __future__ import annotations

import dataclasses
import os

import duckdb
import numpy as np
import pandas as pd

from afterglow.core.csvsafe import neutral_frame
from afterglow.demo import synthetic_params as p

__all__ = [
    "EXTRA_VISITS",
    "REGISTRY_SCHEDULE",
    "Registry",
    "expected_reduction",
    "generate",
    "registry_file",
    "write_csv",
    "write_parquet",
]

# Illustrative registry visits beyond the demo schedule (day, source, days late at most): a
# past-week PCL-5 before infusions 2, 3, 5 and 6 of Feder 2021's Monday-Wednesday-Friday course
# (days 2, 4, 9, 11 [§4a]), and link follow-ups every week or two between weeks 4 and 12.
EXTRA_VISITS: tuple[tuple[int, str, int], ...] = (
    (2, "staff", 0),
    (4, "staff", 0),
    (9, "staff", 0),
    (11, "staff", 0),
    (35, "patient_link", 3),
    (49, "patient_link", 3),
    (63, "patient_link", 3),
    (70, "patient_link", 3),
    (77, "patient_link", 3),
)
#: (day, source, days late at most), in day order: the demo schedule plus EXTRA_VISITS.
REGISTRY_SCHEDULE: tuple[tuple[int, str, int], ...] = tuple(
    sorted([(day, source, late) for day, _, source, late in p.SCHEDULE] + list(EXTRA_VISITS))
)
_LAST_DAY = p.SCHEDULE[-1][0]  # the non-responders' fading reaches its end here (day 90)
_COURSE_DAYS = np.array([d for d, _, _ in REGISTRY_SCHEDULE if 1 < d <= p.END_OF_COURSE_DAY])
_FOLLOW_UP_DAYS = np.array([d for d, _, _ in REGISTRY_SCHEDULE if d > p.END_OF_COURSE_DAY])


@dataclasses.dataclass(frozen=True)
class Registry:
    observations: pd.DataFrame  # patient_id, day, pcl5_total, trauma_context, sex, age, protocol
    truth: pd.DataFrame  # per patient: the hidden trajectory (for checking estimates)


def generate(
    n_patients: int, seed: int | tuple[int, ...] = 20240501, first_id: int = 0
) -> Registry:
    """``n_patients`` synthetic patients; the same seed gives the same registry.

    Ids are ``R`` and the patient's number from ``first_id`` (zero-padded to 6 digits),
    so chunks drawn with different seeds and offsets never share an id.
    """
    rng = np.random.default_rng(seed)
    n = n_patients
    contexts = list(p.TRAUMA_CONTEXT_WEIGHTS)
    context = rng.choice(len(contexts), size=n, p=_weights(p.TRAUMA_CONTEXT_WEIGHTS))
    service = context != contexts.index("civilian")
    sexes = ["female", "male", "undisclosed"]
    female = rng.random(n) < np.where(service, p.FEMALE_SHARE_SERVICE, p.FEMALE_SHARE_CIVILIAN)
    sex = np.where(female, 0, 1)
    sex = np.where(rng.random(n) < p.SEX_UNDISCLOSED_SHARE, 2, sex)
    age = np.clip(
        np.rint(rng.normal(p.AGE_MEAN_YEARS, p.AGE_SD_YEARS, n)), p.AGE_MIN_YEARS, p.AGE_MAX_YEARS
    ).astype(np.int64)
    protocols = sorted(set(p.PROTOCOL_WEIGHTS_SERVICE) | set(p.PROTOCOL_WEIGHTS_CIVILIAN))
    protocol = np.where(
        service,
        rng.choice(len(protocols), n, p=_weights(p.PROTOCOL_WEIGHTS_SERVICE, protocols)),
        rng.choice(len(protocols), n, p=_weights(p.PROTOCOL_WEIGHTS_CIVILIAN, protocols)),
    )

    baseline, screening = _entry(rng, n)
    responder = rng.random(n) < np.where(
        service, p.RESPONDER_PROBABILITY_SERVICE, p.RESPONDER_PROBABILITY_CIVILIAN
    )
    responder_reduction = np.clip(
        rng.normal(p.RESPONDER_REDUCTION_MEAN, p.RESPONDER_REDUCTION_SD, n),
        p.RESPONDER_REDUCTION_MIN,
        p.RESPONDER_REDUCTION_MAX,
    )
    change = rng.normal(p.NONRESPONDER_CHANGE_MEAN, p.NONRESPONDER_CHANGE_SD, n)
    reduction = np.where(responder, responder_reduction, change / baseline)
    loss = np.where(responder, rng.exponential(1.0 / p.LOSS_OF_RESPONSE_RATE, n), np.inf)
    residual = rng.uniform(*p.RELAPSE_RESIDUAL_REDUCTION, n)
    draw = rng.random(n)
    dropout = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    in_course = draw < p.DROPOUT_DURING_COURSE
    in_follow_up = ~in_course & (draw < p.DROPOUT_DURING_COURSE + p.DROPOUT_DURING_FOLLOW_UP)
    dropout[in_course] = rng.choice(_COURSE_DAYS, int(in_course.sum()))
    dropout[in_follow_up] = rng.choice(_FOLLOW_UP_DAYS, int(in_follow_up.sum()))

    # One column per scheduled visit, then keep the ones that happened.
    visit_day = np.array([d for d, _, _ in REGISTRY_SCHEDULE])
    late = np.array([lt for _, _, lt in REGISTRY_SCHEDULE])
    link = np.array([source == "patient_link" for _, source, _ in REGISTRY_SCHEDULE])
    k = len(visit_day)
    actual = visit_day[None, :] + (rng.random((n, k)) * (late[None, :] + 1)).astype(np.int64)
    missed_p = np.where(link, p.MISSED_LINK_PROBABILITY, p.MISSED_CLINIC_PROBABILITY)
    missed = (visit_day[None, :] > 0) & (rng.random((n, k)) < missed_p[None, :])
    incomplete = (visit_day[None, :] > 0) & (rng.random((n, k)) < p.INCOMPLETE_RESPONSE_PROBABILITY)
    happened = (visit_day[None, :] < dropout[:, None]) & ~missed & ~incomplete
    expected = baseline[:, None] * (
        1.0 - expected_reduction(actual, responder, reduction, loss, residual)
    )
    noise = rng.normal(0.0, p.MEASUREMENT_SD, (n, k))
    totals = np.clip(np.rint(expected + noise), 0, 80).astype(np.int64)
    totals[:, visit_day < 0] = screening[:, None]  # the screening PCL-5 is the one that passed

    rows_patient, rows_visit = np.nonzero(happened)
    ids = pd.Index([f"R{i:06d}" for i in range(first_id, first_id + n)])
    # Categoricals: cheap to build for millions of rows, and they write as plain text.
    observations = pd.DataFrame(
        {
            "patient_id": pd.Categorical.from_codes(rows_patient, ids),
            "day": actual[rows_patient, rows_visit],
            "pcl5_total": totals[rows_patient, rows_visit],
            "trauma_context": pd.Categorical.from_codes(context[rows_patient], contexts),
            "sex": pd.Categorical.from_codes(sex[rows_patient], sexes),
            "age": age[rows_patient],
            "protocol": pd.Categorical.from_codes(protocol[rows_patient], protocols),
        }
    )
    truth = pd.DataFrame(
        {
            "patient_id": ids,
            "trauma_context": np.array(contexts)[context],
            "service": service,
            "baseline": baseline,
            "responder": responder,
            "end_of_course_reduction": reduction,
            "loss_of_response_after_days": np.where(responder, loss, np.nan),
            "residual_reduction": residual,
            "dropout_day": np.where(dropout == np.iinfo(np.int64).max, -1, dropout),
        }
    )
    return Registry(observations=observations, truth=truth)


def write_csv(observations: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """Write ``observations`` as a CSV with a header (DuckDB: ~6x faster than pandas here)."""
    connection = duckdb.connect()
    connection.execute("SET enable_progress_bar = false")  # it would draw over the CLI's output
    try:
        connection.register("observations", neutral_frame(observations))
        target = os.fspath(path).replace("'", "''")
        connection.execute(f"COPY observations TO '{target}' (HEADER, DELIMITER ',')")
    finally:
        connection.close()


#: Patients drawn at once by :func:`write_parquet` (bounds the generator's memory, ~1.5 GB).
CHUNK_PATIENTS = 1_000_000


def write_parquet(
    n_patients: int,
    path: str | os.PathLike[str],
    seed: int = 20240501,
    csv_path: str | os.PathLike[str] | None = None,
) -> None:
    """Write a registry of ``n_patients`` as Parquet (and, given ``csv_path``, the same as CSV).

    Drawn in chunks of ``CHUNK_PATIENTS`` (chunk k from the seed ``(seed, k)``, ids
    continuing across chunks), each appended to a DuckDB table in a scratch database
    file beside ``path``, then copied out once: 10 million patients (~158 million
    rows) take a few minutes and about 2 GB of memory. A registry of at most one
    chunk equals ``generate(n_patients, seed=(seed, 0))``.
    """
    target = os.fspath(path)
    scratch = target + ".building.duckdb"
    for leftover in (scratch, scratch + ".wal"):
        if os.path.exists(leftover):
            os.remove(leftover)
    connection = duckdb.connect(scratch)
    connection.execute("SET enable_progress_bar = false")  # it would draw over the CLI's output
    try:
        for k, start in enumerate(range(0, n_patients, CHUNK_PATIENTS)):
            size = min(CHUNK_PATIENTS, n_patients - start)
            chunk = generate(size, seed=(seed, k), first_id=start).observations
            connection.register("chunk", neutral_frame(chunk))
            # Categoricals arrive as DuckDB enums of this chunk's values: store text.
            select = ", ".join(
                f'CAST("{name}" AS VARCHAR) AS "{name}"'
                if isinstance(chunk[name].dtype, pd.CategoricalDtype)
                else f'"{name}"'
                for name in chunk.columns
            )
            if k == 0:
                connection.execute(f"CREATE TABLE observations AS SELECT {select} FROM chunk")
            else:
                connection.execute(f"INSERT INTO observations SELECT {select} FROM chunk")
            connection.unregister("chunk")
            del chunk
        quoted = target.replace("'", "''")
        connection.execute(
            f"COPY observations TO '{quoted}' (FORMAT parquet, COMPRESSION zstd, "
            "ROW_GROUP_SIZE 1000000)"
        )
        if csv_path is not None:
            quoted_csv = os.fspath(csv_path).replace("'", "''")
            connection.execute(f"COPY observations TO '{quoted_csv}' (HEADER, DELIMITER ',')")
    finally:
        connection.close()
        for leftover in (scratch, scratch + ".wal"):
            if os.path.exists(leftover):
                os.remove(leftover)


def registry_file(
    n_patients: int, folder: str | os.PathLike[str], seed: int = 20240501, fmt: str = "parquet"
) -> str:
    """The path of a cached registry file (``registry-<n>-<seed>.<fmt>``), written if missing.

    ``fmt`` is ``parquet`` or ``csv``; writing the CSV also writes the Parquet file of
    the same rows (:func:`write_parquet`), so ask for the CSV first to have both.
    """
    os.makedirs(folder, exist_ok=True)
    stem = os.path.join(os.fspath(folder), f"registry-{n_patients}-{seed}")
    parquet, csv = stem + ".parquet", stem + ".csv"
    wanted = parquet if fmt == "parquet" else csv
    if not os.path.exists(wanted):
        partial_parquet, partial_csv = parquet + ".partial", csv + ".partial"
        write_parquet(
            n_patients,
            partial_parquet,
            seed=seed,
            csv_path=partial_csv if fmt == "csv" else None,
        )
        os.replace(partial_parquet, parquet)
        if os.path.exists(partial_csv):
            os.replace(partial_csv, csv)
    return wanted


def expected_reduction(
    day: np.ndarray,
    responder: np.ndarray,
    reduction: np.ndarray,
    loss: np.ndarray,
    residual: np.ndarray,
) -> np.ndarray:
    """``synthetic_pcl5.Trajectory.reduction`` for arrays: rows = patients, columns = days."""
    day = np.asarray(day, dtype=np.float64)
    responder, reduction = responder[:, None], reduction[:, None]
    loss, residual = loss[:, None], residual[:, None]
    onset_days = [d for d, _ in p.RESPONSE_ONSET]
    onset = np.interp(day, onset_days, [f for _, f in p.RESPONSE_ONSET])  # 1.0 after day 14
    end = p.END_OF_COURSE_DAY
    after = np.clip((day - end) / (_LAST_DAY - end), 0.0, 1.0)
    non_responder = reduction * onset * (1.0 - p.NONRESPONDER_FADE * after)
    since = day - end
    threshold = p.RESPONSE_REDUCTION
    with np.errstate(invalid="ignore", divide="ignore"):
        holding = reduction - (reduction - threshold) * (since / loss) ** p.WANING_EXPONENT
    settled = np.clip((since - loss) / p.RELAPSE_SETTLE_DAYS, 0.0, 1.0)
    relapsed = threshold - (threshold - residual) * settled
    responding = np.where(day <= end, reduction * onset, np.where(since < loss, holding, relapsed))
    out = np.where(responder, responding, non_responder)
    return np.where(day <= 0, 0.0, out)


def _entry(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """True baselines (<= 80) whose screening PCL-5 passed entry, and those screening totals."""
    baseline = np.empty(n)
    screening = np.empty(n, dtype=np.int64)
    todo = np.arange(n)
    while todo.size:
        draw = rng.normal(p.BASELINE_MEAN, p.BASELINE_SD, todo.size)
        seen = np.clip(np.rint(draw + rng.normal(0.0, p.MEASUREMENT_SD, todo.size)), 0, 80)
        ok = (draw <= 80) & (seen >= p.ENTRY_MIN_TOTAL)
        baseline[todo[ok]] = draw[ok]
        screening[todo[ok]] = seen[ok].astype(np.int64)
        todo = todo[~ok]
    return baseline, screening


def _weights(weights: dict[str, float], keys: list[str] | None = None) -> np.ndarray:
    """Probabilities in the order of ``keys`` (default: the dict's), 0 for absent keys."""
    order = list(weights) if keys is None else keys
    values = np.array([weights.get(key, 0.0) for key in order], dtype=np.float64)
    return values / values.sum()
