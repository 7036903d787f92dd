"""``afterglow apitoken create|list|revoke``: API tokens from the command line."""

from __future__ import annotations

import argparse
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from afterglow.accounts.models import Clinic
from afterglow.api.models import ApiToken, Scope
from afterglow.api.services import apitoken_create, apitoken_revoke
from afterglow.core.cli import USAGE_ERROR, ComputeCommand, OneLineParser

HELP = f"""\
API tokens for the REST API (docs/api.md).

  afterglow apitoken create --clinic SLUG --user USERNAME --scope read|write
                            [--expires-days N] [--name NAME]
      Make a token acting as USERNAME (an active member of the clinic) and print it
      once, alone on standard output; only its hash is stored. Default lifetime
      {settings.AFTERGLOW_API_TOKEN_DAYS} days (AFTERGLOW_API_TOKEN_DAYS), at most
      {settings.AFTERGLOW_API_TOKEN_MAX_DAYS} (AFTERGLOW_API_TOKEN_MAX_DAYS).

  afterglow apitoken list --clinic SLUG
      One line per token: id, prefix, state, scope, user, expiry, last use, name.

  afterglow apitoken revoke ID
      Stop token ID working (it stays listed as revoked).

Bad input exits 2 with one line on standard error.
"""


def _usage(message: str) -> CommandError:
    return CommandError(message, returncode=USAGE_ERROR)


class Command(ComputeCommand):
    help = HELP
    # It writes the database, but prints no migration notice: stdout is the token.
    requires_migrations_checks = False

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="what", required=True, parser_class=OneLineParser)
        create = sub.add_parser("create", help="make a token and print it once")
        create.add_argument("--clinic", metavar="SLUG", required=True)
        create.add_argument("--user", metavar="USERNAME", required=True)
        create.add_argument("--scope", choices=Scope.values, required=True)
        create.add_argument("--expires-days", metavar="N", type=int)
        create.add_argument("--name", default="", help="what the token is for")
        listing = sub.add_parser("list", help="the clinic's tokens")
        listing.add_argument("--clinic", metavar="SLUG", required=True)
        revoke = sub.add_parser("revoke", help="stop a token working")
        revoke.add_argument("id", type=int, metavar="ID")

    def handle(self, *args: Any, **options: Any) -> None:
        {"create": self._create, "list": self._list, "revoke": self._revoke}[options["what"]](
            options
        )

    def _clinic(self, slug: str) -> Clinic:
        clinic = Clinic.objects.filter(slug=slug).first()
        if clinic is None:
            raise _usage(f"no clinic with slug {slug!r}")
        return clinic

    def _create(self, options: dict[str, Any]) -> None:
        clinic = self._clinic(options["clinic"])
        user = get_user_model().objects.filter(username=options["user"]).first()
        if user is None:
            raise _usage(f"no user {options['user']!r}")
        name = options["name"].strip() or f"{options['scope']} token for {user.get_username()}"
        try:
            _row, token = apitoken_create(
                clinic=clinic,
                user=user,
                scope=options["scope"],
                name=name,
                expires_days=options["expires_days"],
                by=None,
            )
        except ValidationError as exc:
            raise _usage(" ".join(exc.messages)) from None
        self.stdout.write(token)

    def _list(self, options: dict[str, Any]) -> None:
        clinic = self._clinic(options["clinic"])
        for token in ApiToken.objects.for_clinic(clinic).select_related("user"):
            used = token.last_used_at.isoformat() if token.last_used_at else "never"
            self.stdout.write(
                f"{token.pk}\t{token.prefix}…\t{token.state}\t{token.scope}\t"
                f"{token.user.get_username()}\t{token.expires_at.isoformat()}\t{used}\t{token.name}"
            )

    def _revoke(self, options: dict[str, Any]) -> None:
        token = ApiToken.objects.filter(pk=options["id"]).first()
        if token is None:
            raise _usage(f"no API token with id {options['id']}")
        apitoken_revoke(token=token, by=None)
        self.stdout.write(f"revoked {token.pk} {token.prefix}… ({token.name})")
