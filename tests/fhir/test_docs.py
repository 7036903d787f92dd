"""docs/fhir.md's worked example runs: its commands, its requests and its POST, with
the totals and the error message the page states."""

from __future__ import annotations

import json
import re
import shlex
from io import StringIO
from pathlib import Path

from django.core.management import call_command

from afterglow.fhir.validation import validate
from afterglow.instruments.models import Response

DOC = Path(__file__).resolve().parents[2] / "docs" / "fhir.md"


def example() -> str:
    return DOC.read_text(encoding="utf-8").split("## Worked example", 1)[1]


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", example(), flags=re.DOTALL)


def test_the_documented_commands_run_and_print_valid_fhir(chart, tmp_path) -> None:
    (console,) = blocks("console")
    commands = [line[2:] for line in console.splitlines() if line.startswith("$ ")]
    assert len(commands) == 3
    for command in commands:
        args = shlex.split(command.replace("fhir-export", str(tmp_path / "fhir-export")))
        assert args[:2] == ["afterglow", "fhir"]
        out = StringIO()
        call_command(*args[1:], stdout=out)
        if "--all" not in args:
            validate(json.loads(out.getvalue()))
    for name in ("Patient", "Observation"):  # the files the page names
        assert (tmp_path / "fhir-export" / f"{name}.ndjson").read_text().strip()


def test_the_documented_requests_answer_200_with_valid_fhir(clinician, chart) -> None:
    (http,) = blocks("http")
    requests = [line.split(" ", 1) for line in http.strip().splitlines()]
    assert len(requests) == 4
    for method, path in requests:
        assert method == "GET"
        response = clinician.client.get(path.replace("PATIENT_ID", str(chart.patient.pk)))
        assert response.status_code == 200, path
        assert response["Content-Type"].startswith("application/fhir+json")
        validate(json.loads(response.content))


def test_the_documented_post_gives_the_documented_total_severity_and_refusal(
    clinician, chart
) -> None:
    (raw,) = blocks("json")
    text = example()
    total = int(re.search(r"total \*\*(\d+)\*\*", text).group(1))
    severity = re.search(r"severity \*\*([a-z ]+)\*\*", text).group(1)
    refusal = re.search(r"diagnostics read\n?\s*`([^`]+)`", text).group(1)

    def send(body: str):
        return clinician.client.post(
            "/fhir/r4/QuestionnaireResponse", body, content_type="application/fhir+json"
        )

    created = send(raw)
    assert created.status_code == 201, created.content
    stored = Response.objects.get(pk=int(json.loads(created.content)["id"]))
    assert (stored.total, stored.severity) == (total, severity)
    observation = json.loads(
        clinician.client.get(f"/fhir/r4/Observation/r{stored.pk}-total").content
    )
    assert observation["code"]["coding"][0]["code"] == "44261-6"
    assert observation["valueQuantity"]["value"] == total
    assert send(raw).status_code == 200

    wrong = json.loads(raw)
    wrong["identifier"]["value"] = "tablet-other"
    wrong["item"][2]["answer"][0]["valueInteger"] = 4
    refused = send(json.dumps(wrong))
    assert refused.status_code == 422
    assert json.loads(refused.content)["issue"][0]["diagnostics"] == refusal
