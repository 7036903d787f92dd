"""``afterglow demo``: seed the synthetic demo clinic once and print its logins.

Safe to run again: a second run finds the clinic by its slug, adds nothing and prints
the logins again. All data are synthetic (``afterglow.demo.synthetic``).
"""

from __future__ import annotations

import argparse
import zoneinfo
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from afterglow.demo.seed import (
    DEMO_TIMEZONE,
    LOGIN_CREATED,
    LOGIN_MISSING,
    SeedResult,
    seed_demo_clinic,
)
from afterglow.demo.seed_diary import between_visits_summary
from afterglow.demo.synthetic import DEFAULT_SEED, generate_clinic

DEFAULT_PATIENTS = 120


class Command(BaseCommand):
    help = (
        "Create the synthetic demo clinic (staff for every role, patients with intake "
        "submissions, PCL-5 histories, screenings, courses, dosing sessions and therapy, new "
        "submissions in the queue) and print the demo "
        "logins. Does nothing but print the logins if the clinic already exists."
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--seed",
            type=int,
            default=DEFAULT_SEED,
            help=f"generator seed (default {DEFAULT_SEED})",
        )
        parser.add_argument(
            "--patients",
            type=int,
            default=DEFAULT_PATIENTS,
            metavar="N",
            help=f"number of patients (default {DEFAULT_PATIENTS})",
        )
        parser.add_argument("--slug", default="demo", help="the demo clinic's slug (default demo)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["patients"] < 1:
            raise CommandError("--patients must be at least 1")
        # "Today" in the clinic's own timezone, so nothing is dated in the clinic's future.
        today = timezone.localdate(timezone=zoneinfo.ZoneInfo(DEMO_TIMEZONE))
        synthetic = generate_clinic(
            seed=options["seed"], n_patients=options["patients"], start=today
        )
        result = seed_demo_clinic(synthetic=synthetic, slug=options["slug"])
        self._summary(result)
        self._logins(result)

    def _summary(self, result: SeedResult) -> None:
        clinic = result.clinic
        counts = (
            f"{result.patients} patients, {result.submissions} intake submissions "
            f"({result.waiting} new, waiting in the queue), {result.responses} PCL-5 responses, "
            f"{result.courses} courses, {result.dosing_sessions} signed dosing sessions "
            f"({result.vitals} vitals rows, {result.alerts} alerts, {result.adverse_events} "
            f"adverse events), {result.therapy_sessions} therapy sessions, "
            + between_visits_summary(clinic=clinic)
        )
        if result.created:
            self.stdout.write(
                self.style.SUCCESS(
                    f'Created the demo clinic "{clinic.name}" (slug {clinic.slug}) '
                    f"in {result.seconds:.1f} s: {counts}."
                )
            )
        else:
            self.stdout.write(
                f'The demo clinic "{clinic.name}" (slug {clinic.slug}) already exists; '
                f"nothing was added ({counts})."
            )

    def _logins(self, result: SeedResult) -> None:
        self.stdout.write("")
        self.stdout.write("Demo logins — DEMO ONLY: synthetic data, one shared published password.")
        self.stdout.write(f"  {'username':<18} {'password':<16} role")
        for login in result.logins:
            note = ""
            if login.state == LOGIN_MISSING:
                note = "  (missing: user or membership removed since seeding)"
            elif login.state != LOGIN_CREATED and result.created:
                note = "  (existing user: password not changed)"
            self.stdout.write(
                f"  {login.username:<18} {login.password:<16} {login.role_label}{note}"
            )
        if not result.created:
            self.stdout.write(
                "  Passwords are set when a user is first created and never reset here."
            )
        self.stdout.write("")
        self.stdout.write("Public intake form: /        (e.g. http://127.0.0.1:8000/)")
        self.stdout.write("Staff sign-in:      /staff/  (e.g. http://127.0.0.1:8000/staff/)")
