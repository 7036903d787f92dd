"""Check a resource against the ``fhir.resources`` R4B models (the closest to R4 4.0.1).

Used by the tests for every resource type Afterglow emits, and by ``afterglow fhir
... --validate``. See docs/fhir.md for the R4/R4B differences that matter here.
"""

from __future__ import annotations

from typing import Any

from fhir.resources.R4B import get_fhir_model_class


class InvalidResource(ValueError):
    """The resource does not fit the R4B model; the message lists the problems."""


def validate(resource: dict[str, Any]) -> None:
    """Raise :class:`InvalidResource` unless ``resource`` parses as its R4B model."""
    resource_type = resource.get("resourceType")
    if not isinstance(resource_type, str):
        raise InvalidResource("resourceType is missing")
    try:
        model = get_fhir_model_class(resource_type)
    except (KeyError, ValueError) as exc:
        raise InvalidResource(f"unknown resourceType {resource_type!r}") from exc
    try:
        model.model_validate(resource)
    except Exception as exc:  # pydantic.ValidationError and the models' own checks
        raise InvalidResource(f"{resource_type}/{resource.get('id', '?')}: {exc}") from None
