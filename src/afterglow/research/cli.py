"""What ``afterglow redcap`` and ``afterglow export`` share: choosing the clinic and the
user, and CSV files in, with one-line errors (exit 2)."""

from __future__ import annotations

import csv
from pathlib import Path

from django.contrib.auth.models import User
from django.core.management.base import CommandError

from afterglow.accounts.models import Clinic
from afterglow.core.cli import USAGE_ERROR


def usage(message: str) -> CommandError:
    return CommandError(" ".join(message.split()), returncode=USAGE_ERROR)


def clinic_named(slug: str | None) -> Clinic:
    """The clinic ``slug``; without one, the only clinic there is."""
    if slug:
        clinic = Clinic.objects.filter(slug=slug).first()
        if clinic is None:
            raise usage(f"no clinic with slug {slug!r}")
        return clinic
    clinics = list(Clinic.objects.order_by("slug")[:2])
    if len(clinics) != 1:
        known = ", ".join(Clinic.objects.order_by("slug").values_list("slug", flat=True))
        raise usage(f"name the clinic with --clinic SLUG (known: {known or 'none'})")
    return clinics[0]


def user_named(username: str | None) -> User | None:
    if not username:
        return None
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise usage(f"no active user {username!r}")
    return user


def read_csv_rows(path: str) -> list[dict[str, str]]:
    """A CSV file's rows as dicts (the header names the columns), or a one-line error."""
    try:
        with Path(path).open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            rows = list(reader)
            header = reader.fieldnames or []
    except FileNotFoundError:
        raise usage(f"{path}: no such file") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise usage(f"{path}: not a readable CSV file ({exc})") from None
    if not header:
        raise usage(f"{path}: empty file")
    return rows


def read_pairs(path: str, key: str, value: str) -> dict[str, str]:
    """Two named columns of a CSV file as a dict (a mapping or events file)."""
    rows = read_csv_rows(path)
    if rows and (key not in rows[0] or value not in rows[0]):
        raise usage(f"{path}: needs the columns {key} and {value}")
    return {(r[key] or "").strip(): (r[value] or "").strip() for r in rows if r.get(key)}
