"""Command-line options shared by every command that applies the outcome rules
(``afterglow outcome`` and ``afterglow analyze``), so their flags read the same."""

from __future__ import annotations

import argparse

from afterglow.outcomes.rules import DEFAULT_LOSS_CONFIRMATIONS, MAX_LOSS_CONFIRMATIONS


def add_loss_rule_arguments(parser: argparse.ArgumentParser) -> None:
    """``--confirm-loss C`` and ``--response-requires-reliable`` (evidence.md §1)."""
    parser.add_argument(
        "--confirm-loss",
        metavar="C",
        help=(
            "consecutive follow-ups no longer meeting response that confirm a loss, "
            f"1-{MAX_LOSS_CONFIRMATIONS} (default {DEFAULT_LOSS_CONFIRMATIONS}; "
            "1 = a single dip)"
        ),
    )
    parser.add_argument(
        "--response-requires-reliable",
        action="store_true",
        help="response also needs a fall of at least the reliable-change points",
    )
