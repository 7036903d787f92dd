from __future__ import annotations

from django.http import HttpRequest


def clinic(request: HttpRequest) -> dict[str, object]:
    membership = getattr(request, "membership", None)
    return {
        "membership": membership or None,
        "clinic": membership.clinic if membership else None,
    }
