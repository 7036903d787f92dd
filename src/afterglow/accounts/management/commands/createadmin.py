"""``afterglow createadmin``: a clinic admin account, without the Django admin.

The password is asked twice on a terminal, or read from the first line of standard
input with ``--password-stdin`` (for scripts: ``afterglow createadmin ... < file``),
never from the command line, where other users could read it in the process list.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from afterglow.accounts.management.commands.createclinic import one_line
from afterglow.accounts.models import Clinic, Role
from afterglow.accounts.services import membership_create
from afterglow.core.cli import USAGE_ERROR


class Command(BaseCommand):
    help = "Create a clinic admin (manages staff and clinic settings) for an existing clinic."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--clinic", required=True, metavar="SLUG", help="the clinic's slug")
        parser.add_argument("--username", required=True)
        parser.add_argument("--email", required=True)
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        parser.add_argument(
            "--password-stdin", action="store_true", help="read the password from standard input"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        clinic = Clinic.objects.filter(slug=options["clinic"]).first()
        if clinic is None:
            raise CommandError(
                f"no clinic with the slug {options['clinic']!r}: create it with "
                "afterglow createclinic",
                returncode=USAGE_ERROR,
            )
        password = self._password(options["password_stdin"])
        try:
            membership = membership_create(
                clinic=clinic,
                username=options["username"],
                email=options["email"],
                first_name=options["first_name"],
                last_name=options["last_name"],
                role=Role.ADMIN,
                password=password,
            )
        except ValidationError as exc:
            raise CommandError(one_line(exc), returncode=USAGE_ERROR) from None
        self.stdout.write(
            f"Created {membership.user.username}, admin of {clinic.name}. "
            "Sign in at /staff/ and add the rest of the team there."
        )

    @staticmethod
    def _password(from_stdin: bool) -> str:
        if from_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
        elif sys.stdin.isatty():
            password = getpass.getpass("Password: ")
            if getpass.getpass("Password (again): ") != password:
                raise CommandError("the two passwords differ", returncode=USAGE_ERROR)
        else:
            raise CommandError(
                "no terminal to ask for the password: pass --password-stdin and pipe it in",
                returncode=USAGE_ERROR,
            )
        if not password:
            raise CommandError("the password is empty", returncode=USAGE_ERROR)
        return password
