"""The REST API, version 1: ``/api/v1/`` (django-ninja), its OpenAPI document and docs page.

- ``/api/v1/openapi.json``: the OpenAPI 3.1 document (public: it holds no data);
- ``/api/v1/docs``: Swagger UI served from django-ninja's own static files (no CDN, no
  inline script: its settings travel in a ``type="application/json"`` block that the
  browser never runs), so it works under the site's strict Content-Security-Policy;
- every other path needs ``Authorization: Bearer <token>`` (``afterglow.api.auth``).

Every error, including those of django-ninja itself, is ``application/problem+json``
(``problems.py``); the document declares them on every operation.
"""

from __future__ import annotations

from typing import Any

from ninja import NinjaAPI
from ninja.openapi.docs import Swagger

from afterglow.api.problems import PROBLEM_TYPE, Problem, install_handlers
from afterglow.api.routes import cohort, measurements, patients, treatment
from afterglow.api.security import ReadToken

DESCRIPTION = """\
Read and write a clinic's data as its staff would, with an API token from
**Staff → API tokens** (or `afterglow apitoken create`). Send it as
`Authorization: Bearer <token>`. A token acts as its user's role in the clinic: it sees
that clinic only (another clinic's ids answer 404) and only what the role may see; a
read-scope token can never write. Lists are cursor-paginated (`next_cursor`); times are
ISO 8601 with a zone. Errors are `application/problem+json` with a `detail` saying what
to change. Guide: docs/api.md.
"""

#: Errors any operation can answer, declared in the document (problem details).
COMMON_ERRORS = {
    "400": "Bad request: a cursor not issued by this list, or a body that is not JSON.",
    "401": "No token, or an unknown, expired or revoked one.",
    "403": "The token's scope or its user's role does not allow this call.",
    "404": "No such object in the token's clinic.",
    "422": "A parameter or a field of the body is not valid (see `errors`).",
    "429": "Too many calls with this token this minute (see Retry-After).",
}


BEARER = "bearerToken"


class AfterglowAPI(NinjaAPI):
    def get_openapi_schema(self, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(**kwargs)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components["Problem"] = Problem.model_json_schema()
        problem = {"content": {PROBLEM_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}}
        # One bearer scheme for readers of the document; the scope is checked per call.
        schemes = schema["components"].get("securitySchemes", {})
        if schemes:
            schema["components"]["securitySchemes"] = {
                BEARER: {**next(iter(schemes.values())), "description": "An API token."}
            }
        for item in schema.get("paths", {}).values():
            for operation in item.values():
                if not isinstance(operation, dict) or "responses" not in operation:
                    continue
                if operation.get("security"):
                    operation["security"] = [{BEARER: []}]
                responses = operation["responses"]
                for status, description in COMMON_ERRORS.items():
                    responses.setdefault(status, {"description": description, **problem})
        return schema


api = AfterglowAPI(
    title="Afterglow API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api-v1",
    auth=ReadToken(),
    docs=Swagger(settings={"validatorUrl": None, "persistAuthorization": False}),
    docs_url="/docs",
    openapi_url="/openapi.json",
)
install_handlers(api)
api.add_router("", patients.router)
api.add_router("", measurements.router)
api.add_router("", treatment.router)
api.add_router("", cohort.router)
