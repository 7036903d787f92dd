"""The CapabilityStatement served at ``/fhir/r4/metadata``."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from afterglow.fhir.selectors import TYPES

FHIR_VERSION = "4.0.1"


def capability_statement(base_url: str) -> dict[str, Any]:
    search_params = [
        {"name": "patient", "type": "reference", "documentation": "Patient id"},
        {
            "name": "_lastUpdated",
            "type": "date",
            "documentation": "eq, ge, gt, le, lt; may be repeated",
        },
        {"name": "_count", "type": "number", "documentation": "page size, 1-200 (default 50)"},
    ]
    resources = []
    for resource_type in TYPES:
        interactions = [{"code": "read"}, {"code": "search-type"}]
        if resource_type == "QuestionnaireResponse":
            interactions.append({"code": "create"})
        entry: dict[str, Any] = {
            "type": resource_type,
            "interaction": interactions,
            "searchParam": search_params,
        }
        if resource_type == "Patient":
            entry["operation"] = [
                {
                    "name": "everything",
                    "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything",
                }
            ]
        resources.append(entry)
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": timezone.now().isoformat(),
        "kind": "instance",
        "software": {"name": "Afterglow"},
        "implementation": {"description": "Afterglow FHIR R4 API", "url": base_url},
        "fhirVersion": FHIR_VERSION,
        "format": ["application/fhir+json"],
        "rest": [
            {
                "mode": "server",
                "security": {
                    "description": "A signed-in staff session (CSRF token on POST) or, "
                    "once enabled, an API token as a Bearer header. Reading needs the "
                    "clinical-record capability; creating answers needs record-answers."
                },
                "resource": resources,
            }
        ],
    }
