"""The staff gate hands every view its membership: no view looks it up again."""

from __future__ import annotations

import inspect
import typing

from afterglow.accounts.access import StaffRequest
from tests.accounts.test_access import all_named_patterns


def staff_views() -> list[tuple[str, typing.Any]]:
    """Every URL whose view is behind ``staff_required``, in every app, unwrapped."""
    return [
        (name, inspect.unwrap(pattern.callback))
        for name, pattern in all_named_patterns()
        if getattr(pattern.callback, "staff_capability", None) is not None
    ]


def test_every_staff_view_reads_the_membership_the_gate_checked() -> None:
    views = staff_views()

    assert len(views) > 80
    apps = {view.__module__.split(".")[1] for _, view in views} - {"contrib", "fhir"}
    every_app_with_staff_pages = {
        "accounts", "alerts", "analytics", "api", "audit", "charts", "diary", "imaging",
        "instruments", "intake", "patients", "reports", "research", "schedules", "treatment",
    }  # fmt: skip
    assert apps == every_app_with_staff_pages
    for name, view in views:
        source = inspect.getsource(view)
        assert "require_membership(" not in source, name
        parameters = list(inspect.signature(view).parameters)
        if view.__module__ == "afterglow.fhir.views":  # ``fhir_view`` passes the membership
            assert parameters[:2] == ["request", "membership"], name
            continue
        first = parameters[0]
        if first == "self":  # a class-based view (Django's own forms): no membership use
            continue
        assert typing.get_type_hints(view).get(first) is StaffRequest, (name, first)
