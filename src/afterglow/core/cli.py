"""What the project's pure-computation commands share (``score``, ``dose``,
``outcome``, ``analyze``): exit status 2 with one line for bad usage, help text that
keeps its line breaks, and no system or migration checks (they touch no database).
"""

from __future__ import annotations

import argparse
import json
from typing import Any, NoReturn

from django.core.management.base import (
    BaseCommand,
    CommandError,
    CommandParser,
    DjangoHelpFormatter,
)

#: Exit status for bad usage or bad input, as argparse and most Unix tools use.
USAGE_ERROR = 2


class OneLineParser(CommandParser):
    """argparse prints the usage and then the error; a pipeline wants one line."""

    def error(self, message: str) -> NoReturn:
        if self.called_from_command_line:
            self.exit(USAGE_ERROR, f"{self.prog}: error: {message}\n")
        raise CommandError(f"Error: {message}", returncode=USAGE_ERROR)


class HelpFormatter(DjangoHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Keep the line breaks of the command's help (its input and output examples)."""


class ComputeCommand(BaseCommand):
    """Base for a command that only computes: one-line usage errors, no checks."""

    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        kwargs.setdefault("formatter_class", HelpFormatter)
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        # BaseCommand builds a CommandParser itself; only error() differs, so swap the class.
        parser.__class__ = OneLineParser
        return parser


def bad_line(number: int, reason: str) -> CommandError:
    """Input line ``number`` is wrong: one line on stderr, whatever the reason says."""
    return CommandError(f"line {number}: {' '.join(reason.split())}", returncode=USAGE_ERROR)


def json_line(number: int, text: str) -> Any:
    """Parse one JSON Lines record strictly, or raise :func:`bad_line`.

    Python's json would accept NaN and Infinity (not JSON) and keep the last of two
    equal keys, silently dropping the first; both are refused here.
    """
    try:
        return json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as exc:
        raise bad_line(number, f"not valid JSON ({exc.msg})") from None
    except ValueError as exc:  # from the two hooks
        raise bad_line(number, str(exc)) from None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    record: dict[str, Any] = {}
    for key, value in pairs:
        if key in record:
            raise ValueError(f"the key {json.dumps(key)} appears more than once")
        record[key] = value
    return record
