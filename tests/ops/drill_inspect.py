"""Look at a database from outside the command under test (a child process).

``python -m tests.ops.drill_inspect [--tamper]`` against ``DATABASE_URL`` prints JSON:
the tables the database really has (introspection), every table's rows and checksum,
the next primary key a new clinic gets, and with ``--tamper`` the tables that differ
after one row is changed (so the comparison is shown able to fail).
"""

from __future__ import annotations

import json
import os
import sys


def main(tamper: bool) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "afterglow.settings")
    import django

    django.setup()
    from django.db import connection

    from afterglow.accounts.models import Clinic
    from afterglow.ops.backup.tables import differences, table_sums

    sums = table_sums("default")
    report: dict[str, object] = {
        "introspected": sorted(connection.introspection.table_names()),
        "tables": {t: s.as_dict() for t, s in sums.items()},
    }
    if tamper:
        clinic = Clinic.objects.order_by("pk").first()
        assert clinic is not None
        Clinic.objects.filter(pk=clinic.pk).update(name=clinic.name + " (changed)")
        report["tampered"] = differences(report["tables"], table_sums("default"))  # type: ignore[arg-type]
        top = Clinic.objects.order_by("-pk").values_list("pk", flat=True).first()
        new = Clinic.objects.create(name="New clinic", slug="new-after-copy")
        report["max_clinic_pk"], report["new_clinic_pk"] = top, new.pk
    print(json.dumps(report))


if __name__ == "__main__":
    main("--tamper" in sys.argv[1:])
