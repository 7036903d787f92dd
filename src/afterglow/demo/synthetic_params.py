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

# Feder 2021: median time to loss of response 27.5 days [§4a], counted among responders at the
# end of the two-week course, from that assessment [§2]; so here, from the end of the course.
# Time to loss is exponential with this median (rate = ln 2 / 27.5 per day). Albott 2018's
# median time to relapse of 41 days in veteran remitters [§4a] is the upper reference for tests.
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

# --- Treatment: screening, protocol, doses ------------------------------------------------------
# Used by ``synthetic_treatment``. Same three kinds of value as above (cited / derived /
# illustrative); section numbers are evidence.md's.

# Protocol each enrolled patient is started on (shipped preset codes, ``treatment/presets``).
# Illustrative mix: Feder 2021's six infusions are the clinic's standard [§4a]; service members
# are likelier to be on the veteran regimens (Abdallah 2022 enrolled veterans and active duty;
# the ketamine-enhanced PE trial NCT04560660 enrolled veterans) [§4a]; esketamine is a minority
# (not approved for PTSD, no RCT in chronic PTSD [§4a]).
PROTOCOL_WEIGHTS_CIVILIAN: dict[str, float] = {
    "feder2021_six": 0.80,
    "abdallah2022_eight_05": 0.05,
    "kepe_weekly": 0.05,
    "esketamine_label": 0.10,
}
PROTOCOL_WEIGHTS_SERVICE: dict[str, float] = {
    "feder2021_six": 0.55,
    "abdallah2022_eight_05": 0.15,
    "kepe_weekly": 0.25,
    "esketamine_label": 0.05,
}
# Clinic defaults the generator assumes (they equal ``accounts.Clinic``'s defaults, which the
# demo clinic keeps): Monday-Friday dosing, 10 mg/mL ketamine, 120 min minimum observation.
CLINIC_WEEKDAYS = (0, 1, 2, 3, 4)
CLINIC_CONCENTRATION_MG_PER_ML = 10
CLINIC_OBSERVATION_MINUTES = 120

# Body size at screening (illustrative adult values; evidence.md has none). Normal, clipped.
WEIGHT_KG: dict[str, tuple[float, float]] = {
    "male": (88.0, 15.0),
    "female": (75.0, 17.0),
    "other": (82.0, 16.0),
}
WEIGHT_KG_RANGE = (48.0, 160.0)
HEIGHT_CM: dict[str, tuple[float, float]] = {
    "male": (177.0, 7.0),
    "female": (163.0, 7.0),
    "other": (170.0, 8.0),
}
SESSION_WEIGHT_SD_KG = 0.6  # illustrative day-to-day change

# Resting BP and heart rate (illustrative adult values; evidence.md gives none). People who
# answered "yes" to high blood pressure at intake sit higher (treated, so still below the
# 140/90 reassessment level on most days [§6]).
SYSTOLIC_MEAN, SYSTOLIC_SD = 119.0, 9.0
DIASTOLIC_MEAN, DIASTOLIC_SD = 72.0, 6.0
HYPERTENSION_SHIFT = (9.0, 5.0)
SESSION_BP_SD = (5.0, 3.0)  # day-to-day, illustrative
READING_BP_SD = (4.0, 2.5)  # reading-to-reading, illustrative
HEART_RATE_MEAN, HEART_RATE_SD = 72.0, 9.0

# The BP rise during a dose. Cited: SBP and DBP peak at 40 min, mean +16.0 / +11.0 mmHg (Yale
# chart review, 2342 infusions, Gen Hosp Psychiatry 2024 [§6]). The spread between sessions is
# illustrative. Shape (derived): linear rise from the dose start to the peak at the end of the
# 40-minute infusion, then exponential return with this time constant, so 120 min after the
# start 7% of the rise is left: "BP back to baseline during recovery" (Emory series [§6]).
BP_PEAK_MINUTE = 40
BP_RISE_MEAN = (16.0, 11.0)
BP_RISE_SD = (6.0, 3.0)
BP_DECAY_MINUTES = 30.0
HEART_RATE_RISE = 8.0  # illustrative: evidence.md gives no heart-rate figure
# Severe surges: 0.98% of 2342 sessions in 138 patients, 43.4% of the severe events in the
# first three infusions (Gen Hosp Psychiatry 2024 [§6]). Derived: about 23 events, 10 of them
# in the first 3 x 138 = 414 infusions (2.4%) and 13 in the other 1928 (0.68%). A surge peaks
# at about 188/106 (mean; SD 6/4 mmHg, systolic at least 182), past the default pause level
# of 180/100 (illustrative: evidence.md gives the frequency, not the height).
SURGE_PROBABILITY_EARLY = 0.024
SURGE_PROBABILITY_LATER = 0.0068
SURGE_EARLY_INFUSIONS = 3
SURGE_PEAK = (188.0, 106.0)
SURGE_PEAK_SD = (6.0, 4.0)
SURGE_PEAK_MIN_SYSTOLIC = 182.0

# Vitals every 10-15 min from 10 min before the dose to 120 min (trials took HR/BP every 10
# min during the infusion, NCT02727998 [§6]), then hourly until the observation time.
VITALS_MINUTES = (-10, 0, 10, 20, 30, 40, 50, 60, 75, 90, 105, 120)
VITALS_LATE_EVERY = 60

# CADSS total (23 items, 0-92 [§3]) at baseline (-10 min), 40 min and 120 min.
# Cited: mean 7.7 (SD 9.2) in 110 mood-disorder infusions (J Affect Disord 2018) [§3];
# dissociation settles about 120 min after the start and is smaller with repeated infusions
# (Danböck 2024 summary; Abdallah 2022) [§3]. Derived: the rise at 40 min has mean
# CADSS_FIRST_RISE x CADSS_REPEAT_FACTOR^(n-1) for infusion n; over six infusions that averages
# 10 x (1 - 0.85^6) / (6 x 0.15) = 6.9, plus a baseline of 1.0, giving 7.9 (cited 7.7).
# Gamma-distributed with shape 1 / CV^2 = 0.70, CV = 9.2 / 7.7 (the cited spread).
CADSS_MINUTES = (-10, 40, 120)
CADSS_FIRST_RISE = 10.0
CADSS_REPEAT_FACTOR = 0.85
CADSS_SHAPE = (7.7 / 9.2) ** 2
CADSS_BASELINE_CHOICES = (0, 0, 0, 1, 1, 2, 3)  # illustrative: mean 1.0
CADSS_RESIDUAL_PROBABILITY = 0.2  # +1 point left at 120 min, illustrative

# MOAA/S for esketamine at -10, 40 and 120 min. Cited: sedation in 48-61% (Spravato PI [§3]);
# derived: half the sessions below 5 at 40 min, mostly 4.
MOAAS_AT_40: dict[int, float] = {5: 0.50, 4: 0.42, 3: 0.08}
# Esketamine escalation to 84 mg after the first 56 mg session (label: 56, then 56 or 84 mg
# [§6]); the share escalating is illustrative.
ESKETAMINE_ESCALATE_PROBABILITY = 0.6

# Side effects per session (code from ``treatment.safety.SIDE_EFFECTS``: P). Illustrative:
# evidence.md has no rates; the list follows the common effects of the esketamine label
# (nausea, dizziness, sedation, raised BP [§3, §6]). "vomiting" only with nausea.
SIDE_EFFECT_RATES: dict[str, float] = {
    "dizziness": 0.25,
    "nausea": 0.20,
    "headache": 0.15,
    "blurred_vision": 0.08,
    "numbness": 0.06,
    "anxiety": 0.05,
    "vomiting": 0.15,  # of those with nausea
}
SEDATION_SIDE_EFFECT_RATE = 0.10  # IV; esketamine sessions report it when MOAA/S < 5
MODERATE_SIDE_EFFECT_SHARE = 0.15
# Adverse events: a few, mild or moderate, none serious: Feder 2021 reported no serious adverse
# events [§4a]. Rate illustrative. Every surge session also gets one (BP, infusion paused).
ADVERSE_EVENT_PROBABILITY = 0.015

# Dose start times (illustrative clinic hours, 5-minute grid); a dose on a day with an in-clinic
# PCL-5 starts at least 30 min after it. Pre-dose checks 10 min before; the infusion runs
# 40-42 min; discharge 0-20 min after the minimum observation; signed 5-25 min after discharge.
DOSE_START_HOURS = (9, 14)
DISCHARGE_EXTRA_MINUTES = (0, 20)
SIGN_AFTER_MINUTES = (5, 25)
SUICIDE_RISK_PASSIVE_PROBABILITY = 0.05  # illustrative pre-dose answer

# --- Treatment: psychotherapy around the doses ---------------------------------------------------

# Prolonged exposure 24-72 h after each ketamine-enhanced PE infusion, then 7 more PE sessions
# (NCT04560660; Shiroma 2020 gave PE 24 h after [§4a]); the preset carries both numbers. Day
# after the dose (weights, illustrative): most inside the window, some on day +4 (outside).
PE_DAY_WEIGHTS: dict[int, float] = {1: 0.45, 2: 0.35, 3: 0.10, 4: 0.10}
PE_MINUTES = 90  # illustrative (standard PE session length; not in evidence.md)
PE_AFTER_COURSE_EVERY_DAYS = 7  # illustrative spacing of the 7 follow-on sessions
# Other protocols: integration sessions on the clinic day after some doses. Share of patients and
# modality mix illustrative; mindfulness-based therapy after ketamine as in TIMBER (Pradhan
# 2017/2018 [§4a]). Sessions on the next clinic day at a random office hour, so some fall under
# 24 h (before the dose's time of day) or past 72 h (after a weekend): outside the window.
THERAPY_PATIENT_SHARE = 0.6
THERAPY_MODALITY_WEIGHTS: dict[str, float] = {"integration": 0.8, "cpt": 0.1, "mindfulness": 0.1}
THERAPY_AFTER_DOSE_PROBABILITY = 0.6
THERAPY_MINUTES: dict[str, int] = {"integration": 60, "cpt": 60, "mindfulness": 45}
THERAPY_HOURS = (9, 17)
# Share of those sessions booked for a time after the dose's time of day (so 24 h or more later);
# the rest at any office hour, some of them under 24 h (illustrative).
THERAPY_AFTER_DOSE_TIME_SHARE = 0.75
