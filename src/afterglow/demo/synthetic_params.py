"""Parameters of the synthetic demo clinic, each with where it comes from. No Django import.

Citations point at ``shared/evidence.md`` (section in brackets). Three kinds of value:

* **cited** — taken from, or computed from, a figure in evidence.md;
* **derived** — chosen to sit inside a cited range, with the arithmetic shown;
* **illustrative** — evidence.md has no figure; the value only makes the demo look
  like a clinic and nothing clinical should be read from it.

The trajectory model these feed is described in ``afterglow.demo.synthetic``.
"""

from __future__ import annotations

import math

# --- The clinic's population ----------------------------------------------------------------------

# Illustrative: evidence.md gives no clinic case mix. Feder 2021 enrolled civilian and military
# trauma [§4a]; a US private ketamine clinic is assumed to see mostly civilians.
TRAUMA_CONTEXT_WEIGHTS: dict[str, float] = {"civilian": 0.65, "military": 0.25, "both": 0.10}
# Illustrative: status of people with military or combined trauma (civilian trauma -> "none").
SERVICE_STATUS_WEIGHTS: dict[str, float] = {"veteran": 0.75, "reserve": 0.15, "active": 0.10}

# Derived: Feder 2014 was 46% female, Feder 2021 23/30 female (registry) [§4a]; 0.60 sits between.
FEMALE_SHARE_CIVILIAN = 0.60
# Illustrative: veteran samples are mostly men (Marx 2022 thresholds come from male veterans [§1],
# Abdallah 2022 veterans/active duty [§4a]); no percentage in evidence.md.
FEMALE_SHARE_SERVICE = 0.20
SEX_UNDISCLOSED_SHARE = 0.02  # illustrative

# Age: Feder 2014 mean age 36 [§4a]; the brief limits demo adults to 21-70.
AGE_MEAN_YEARS = 38.0
AGE_SD_YEARS = 11.0
AGE_MIN_YEARS = 21
AGE_MAX_YEARS = 70

# --- PCL-5 at entry -------------------------------------------------------------------------------

# Entry rule: PCL-5 > 33 at screening (Shiroma 2020 entry criterion [§4a]; 31-33 is the probable-
# PTSD cut-off [§1]). Baseline totals are drawn from a normal truncated below this value.
ENTRY_MIN_TOTAL = 34
# Derived: evidence.md reports no baseline PCL-5 mean. Albott 2018 saw a mean fall of 33.3 points
# [§4a], which needs baselines well above the entry cut; 50 (SD 10) keeps almost every draw inside
# 34-80 and leaves room for a 33-point fall.
BASELINE_MEAN = 50.0
BASELINE_SD = 10.0

# Derived: Marx 2022 reliable change index >= 15 points [§1]. RCI = 1.96 * sqrt(2) * SEM, so
# SEM = 15 / 2.77 = 5.4; each administration gets independent normal noise of this SD.
MEASUREMENT_SD = 15.0 / (1.96 * math.sqrt(2.0))

# --- Treatment response (6 infusions over 2 weeks) ------------------------------------------------

# Feder 2021: 6 infusions, 3/week for 2 weeks, primary outcome at week 2 [§4a, §6].
END_OF_COURSE_DAY = 14
# Feder 2021 response = >= 30% reduction from baseline (CAPS-5 there; applied to PCL-5 here) [§2].
RESPONSE_REDUCTION = 0.30

# Probability that a patient is a responder (latent; the observed rate also carries noise).
# Civilian: Feder 2021 responders 67% (ketamine) vs 20% (midazolam) [§4a]. With measurement noise
# some responders miss the 30% mark on the day, so the observed rate comes out near 0.6.
RESPONDER_PROBABILITY_CIVILIAN = 0.67
# Service members: Abdallah 2022 found no group x time effect on PCL-5 in veterans and active
# duty, and the 2023 review says repeated ketamine helped civilians but not veterans [§4a]; a
# rate near the midazolam arm of Feder 2021 (20%) plus a little real benefit gives 0.30.
RESPONDER_PROBABILITY_SERVICE = 0.30

# Responders' fraction of baseline removed by the end of the course, normal then clipped.
# Derived: at least the 30% response threshold (Feder 2021 [§2]) plus a margin; the mean of 50%
# sits between that threshold and Albott 2018's 33.3-point fall (~66% of a baseline of 50) [§4a].
RESPONDER_REDUCTION_MEAN = 0.50
RESPONDER_REDUCTION_SD = 0.12
RESPONDER_REDUCTION_MIN = 0.36
RESPONDER_REDUCTION_MAX = 0.85

# Share of a responder's end-of-course reduction already present on each day of the course
# (linear in between). Day 1: Feder 2014 found a clear effect 24 h after one infusion, and
# Borgogna 2024 pooled g = 0.35 at 24 h vs 0.24 at ~1 week [§4b]: most of the early effect is
# there by day 1. Values are derived from that shape, not measured.
RESPONSE_ONSET: tuple[tuple[int, float], ...] = ((0, 0.0), (1, 0.60), (7, 0.85), (14, 1.0))

# Non-responders: a small change. Borgogna 2024 overall g = 0.27 [§4b]; read as a within-person
# change of 0.27 baseline SDs = 2.7 points, following the same onset curve, then losing
# NONRESPONDER_FADE of it by the last follow-up (illustrative).
NONRESPONDER_CHANGE_MEAN = 0.27 * BASELINE_SD
NONRESPONDER_CHANGE_SD = 4.0  # illustrative spread between people
NONRESPONDER_FADE = 0.5

# --- Durability --------------------------------------------------------------------------------

# Feder 2021: median time to loss of response 27.5 days [§4a]. evidence.md does not say from
# when; it is counted here from the end of the course. Time to loss is exponential with this
# median (rate = ln 2 / 27.5 per day). Albott 2018's median time to relapse of 41 days in veteran
# remitters [§4a] is the upper reference for tests.
LOSS_OF_RESPONSE_MEDIAN_DAYS = 27.5
LOSS_OF_RESPONSE_RATE = math.log(2.0) / LOSS_OF_RESPONSE_MEDIAN_DAYS
# Before the loss the benefit holds, then wanes: reduction(t) = R - (R - 0.30) * (s / L)^3 with s
# days since the end of the course, so it crosses the 30% threshold exactly at L (shape
# illustrative). After the loss it settles to a residual reduction over RELAPSE_SETTLE_DAYS.
WANING_EXPONENT = 3.0
RELAPSE_SETTLE_DAYS = 14
RELAPSE_RESIDUAL_REDUCTION = (0.0, 0.20)  # uniform range, illustrative

# --- Cluster structure of the 20 items --------------------------------------------------------

# PCL-5 clusters [§1]: B = items 1-5, C = 6-7, D = 8-14, E = 15-20.
CLUSTER_ITEMS: dict[str, tuple[int, ...]] = {
    "B": (1, 2, 3, 4, 5),
    "C": (6, 7),
    "D": (8, 9, 10, 11, 12, 13, 14),
    "E": (15, 16, 17, 18, 19, 20),
}
# How strongly each cluster's share shrinks as the total falls. Feder 2021 reports gains in the
# intrusion, avoidance and negative cognition/mood clusters [§4a] (arousal not named), and the
# intrusion cluster B is the clinical focus [§1]: B most, E least. Magnitudes illustrative.
CLUSTER_RESPONSIVENESS: dict[str, float] = {"B": 1.0, "C": 0.8, "D": 0.7, "E": 0.45}
CLUSTER_SHIFT = 0.8  # weight of an item falls by SHIFT * responsiveness * fractional improvement
# Relative severity of each item at baseline (1.0 = typical). Illustrative: D1 (item 8, memory
# gaps) and E2 (item 16, risky behaviour) are rated lower than the other symptoms in most samples.
ITEM_BASE_SEVERITY: dict[int, float] = {8: 0.45, 16: 0.40}
# Person-to-person variation of item weights: gamma with this shape and mean 1 (CV = 1/sqrt(5)).
ITEM_WEIGHT_SHAPE = 5.0

# --- Schedule and missing data ----------------------------------------------------------------

# (day after first dose, timepoint label, source, maximum days a link answer may come late).
# Day 0 is the baseline before the first dose. In-clinic visits (staff-entered) follow the
# Feder 2021 course [§4a]; follow-ups by personal link follow the registries: Yale NCT02727998
# PCL-5 at 7, 30, 90 days; Albott 2018 8-week follow-up; Abdallah 2022 4-week follow-up [§4a].
SCHEDULE: tuple[tuple[int, str, str, int], ...] = (
    (-7, "screening", "staff", 0),
    (0, "baseline", "staff", 0),
    (1, "24 hours", "patient_link", 0),
    (7, "week 1", "staff", 0),
    (14, "week 2 (end of course)", "staff", 0),
    (21, "week 3", "patient_link", 2),
    (28, "week 4", "patient_link", 3),
    (42, "week 6", "patient_link", 3),
    (56, "week 8", "patient_link", 3),
    (90, "day 90", "patient_link", 5),
)
# Illustrative missingness: single missed questionnaires, people who stop coming during the
# course and people who stop answering during follow-up. Screening and baseline are never missed.
MISSED_CLINIC_PROBABILITY = 0.02
MISSED_LINK_PROBABILITY = 0.10
DROPOUT_DURING_COURSE = 0.06
DROPOUT_DURING_FOLLOW_UP = 0.20
# Illustrative: a rare response with one item left blank (scored as incomplete, never as zero).
INCOMPLETE_RESPONSE_PROBABILITY = 0.02

# Dates (illustrative): first doses spread over the ~9 months before the start date, a few booked
# in the coming week; intake form submitted 5-30 days before screening; enrolled 1-4 days before.
DAY0_SPREAD_DAYS = 270
BOOKED_AHEAD_SHARE = 0.05
# Status after enrolment: a dropout within this many days is "paused", older ones "discharged".
PAUSED_WINDOW_DAYS = 30
DISCHARGE_AFTER_DAYS = 95
RESEARCH_CONSENT_PROBABILITY = 0.70  # illustrative

# Illustrative: besides the new ones, a few submissions further along the queue, never enrolled:
# status -> (count, oldest and newest submission in days before the start date, staff notes).
QUEUE_OTHER_STATUSES: dict[str, tuple[int, int, int, tuple[str, ...]]] = {
    "contacted": (3, 14, 2, ("Left a voicemail.", "Emailed to book a call.")),
    "screening": (2, 21, 5, ("Screening call booked.", "Waiting for records from their doctor.")),
    "declined": (3, 120, 20, ("Not suitable now; referred back to their own doctor.",)),
}
# Every third new submission carries at least one "yes" or "not sure" safety answer, so the
# queue always shows flags (illustrative).
NEW_FLAGGED_EVERY = 3

# --- Intake answers -----------------------------------------------------------------------------

# Safety answers (intake.rules, following the trial exclusions of [§6]). Rates are illustrative:
# enrolled patients were screened, so serious "yes" answers are rare among them; the people still
# in the queue or declined answered more often "yes" or "not sure".
# field -> (P(yes), P(unsure)); pregnancy only for women.
SAFETY_RATES_ENROLLED: dict[str, tuple[float, float]] = {
    "psychosis_or_mania": (0.0, 0.02),
    "high_blood_pressure": (0.12, 0.04),
    "heart_or_vascular": (0.01, 0.02),
    "pregnancy": (0.0, 0.01),
    "substance_use": (0.02, 0.03),
}
SAFETY_RATES_QUEUE: dict[str, tuple[float, float]] = {
    "psychosis_or_mania": (0.03, 0.03),
    "high_blood_pressure": (0.12, 0.04),
    "heart_or_vascular": (0.02, 0.02),
    "pregnancy": (0.02, 0.01),
    "substance_use": (0.05, 0.04),
}

# Must match afterglow.intake.models.SYMPTOM_CHOICES / TREATMENT_CHOICES (a test checks it).
# Symptom codes per PCL-5 cluster, so the ticked boxes agree with the baseline answers [§1].
SYMPTOMS_BY_CLUSTER: dict[str, tuple[str, ...]] = {
    "B": ("intrusive_memories", "flashbacks", "nightmares"),
    "C": ("avoidance",),
    "D": ("low_mood", "numbness", "guilt_shame"),
    "E": ("on_edge", "sleep", "anger"),
}
# Illustrative; Abdallah 2022 enrolled people who had failed antidepressants [§4a].
TREATMENT_RATES: dict[str, float] = {
    "trauma_therapy": 0.55,
    "other_therapy": 0.50,
    "antidepressant": 0.65,
    "other_medication": 0.30,
    "ketamine": 0.05,
}
MEDICATIONS: tuple[str, ...] = (
    "sertraline 100 mg daily",
    "escitalopram 10 mg daily",
    "venlafaxine XR 150 mg daily",
    "prazosin 2 mg at night",
    "bupropion XL 150 mg daily",
    "trazodone 50 mg at night",
)

REASONS_CIVILIAN: tuple[str, ...] = (
    "A car crash {years} years ago. I still relive it and can't drive on the highway.",
    "I was assaulted {years} years ago. Therapy helped a little but the nightmares never stopped.",
    "I worked as a paramedic for {years} years. Some calls keep coming back at night.",
    "Our house burned down {years} years ago. I am always on edge and barely sleep.",
    "I lost someone close in a sudden accident {years} years ago and I am stuck.",
    "My therapist suggested I ask about ketamine after {years} years of trying other things.",
)
REASONS_SERVICE: tuple[str, ...] = (
    "Since I came back from deployment {years} years ago I sleep badly and I'm angry all the time.",
    "Combat veteran. Nightmares most nights for {years} years; the VA programs did not stick.",
    "I served {years} years ago and still avoid crowds. My family asked me to look into this.",
    "Military trauma. I have tried two medications and therapy; I want to know about ketamine.",
)
TREATMENTS_OTHER: tuple[str, ...] = ("yoga", "EMDR intensive", "peer support group", "acupuncture")

# --- Names (fictional, small lists) -------------------------------------------------------------

GIVEN_NAMES_FEMALE: tuple[str, ...] = (
    "Ava", "Maya", "Chloe", "Grace", "Hannah", "Imani", "Jasmine", "Leah", "Lucia", "Mei",
    "Nadia", "Olivia", "Priya", "Rosa", "Sofia", "Tara", "Vanessa", "Zoe", "Amara", "Elena",
)  # fmt: skip
GIVEN_NAMES_MALE: tuple[str, ...] = (
    "Aaron", "Ben", "Carlos", "Daniel", "Elijah", "Felix", "Gabriel", "Hugo", "Isaac", "Jamal",
    "Kevin", "Liam", "Marcus", "Nathan", "Omar", "Pedro", "Ravi", "Samuel", "Tomas", "Victor",
)  # fmt: skip
FAMILY_NAMES: tuple[str, ...] = (
    "Abbott", "Alvarez", "Bennett", "Brooks", "Castillo", "Chen", "Dawson", "Delgado", "Ellis",
    "Fischer", "Foster", "Garcia", "Hayes", "Holloway", "Ibarra", "Jensen", "Kaur", "Keller",
    "Lambert", "Lopez", "Mendez", "Morales", "Nakamura", "Nguyen", "Okafor", "Ortiz", "Patel",
    "Quinn", "Ramirez", "Reyes", "Sandoval", "Schmidt", "Shapiro", "Sullivan", "Tanaka", "Torres",
    "Underwood", "Vasquez", "Walsh", "Whitaker", "Yamamoto", "Zimmerman",
)  # fmt: skip
# Fictional phone numbers: 555-0100 to 555-0199 are reserved for fiction in the NANP.
AREA_CODES: tuple[str, ...] = ("212", "347", "646", "718", "917", "929")
PATIENT_EMAIL_DOMAIN = "example.org"
STAFF_EMAIL_DOMAIN = "example.com"

# --- Staff ----------------------------------------------------------------------------------

# DEMO ONLY. Shared by every demo login and printed by ``afterglow demo``; never use it for a
# clinic with real data.
DEMO_PASSWORD = "afterglow-demo"
# (role, given name, family name); usernames are "demo-<role>".
STAFF: tuple[tuple[str, str, str], ...] = (
    ("admin", "Alex", "Morgan"),
    ("prescriber", "Priya", "Raman"),
    ("nurse", "Jordan", "Lee"),
    ("therapist", "Sam", "Rivera"),
    ("coordinator", "Casey", "Park"),
    ("researcher", "Robin", "Okoye"),
)
