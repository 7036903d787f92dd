"""The clinic at work during the restore drill: intake posts and dosing sessions.

Run as a child process against ``DATABASE_URL`` (the seeded demo clinic) until the file
named by ``argv[2]`` appears. After each round it writes ``{"rounds": n, "errors":
[...]}`` to ``argv[1]``: a round is one public intake post (a transaction of its own)
followed by one dosing session walked to its signature (several transactions).
"""

from __future__ import annotations

import json
import os
import sys
import uuid
from pathlib import Path


def main(progress: Path, stop: Path) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "afterglow.settings")
    import django

    django.setup()
    from django.test import Client

    from afterglow.accounts.models import Clinic, Membership, Role
    from afterglow.treatment.services.sessions import session_sign
    from tests.factories import PatientFactory, course_on, iv_protocol, ready_to_sign
    from tests.intake.test_intake_form import form_data

    clinic = Clinic.objects.get(slug="demo")
    by = Membership.objects.filter(clinic=clinic, role=Role.PRESCRIBER).first().user
    protocol = iv_protocol(clinic, name=f"Drill protocol {uuid.uuid4().hex[:6]}")
    client = Client()
    rounds, errors = 0, []
    while not stop.exists():
        try:
            response = client.post("/c/demo/", form_data(submission_key=str(uuid.uuid4())))
            if response.status_code != 302:
                errors.append(f"intake answered {response.status_code}")
            patient = PatientFactory(clinic=clinic, mrn=f"DRILL-{uuid.uuid4().hex[:8]}")
            course = course_on(protocol, patient=patient, by=by, sessions=1)
            session_sign(session=ready_to_sign(course, by), by=by)
        except Exception as exc:  # reported to the test, which fails on any
            errors.append(f"{type(exc).__name__}: {exc}")
        rounds += 1
        partial = progress.with_suffix(".tmp")
        partial.write_text(json.dumps({"rounds": rounds, "errors": errors}))
        partial.replace(progress)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
