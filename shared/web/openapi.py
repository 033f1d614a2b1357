"""The OpenAPI documents and the API explorer.

- Who may call: the identity headers (`X-User-Id`, `X-User-Role`, `X-User-Teams`,
  `X-User-Partner`) as API
  keys in the embedded default, a bearer JWT where an issuer is configured
  (`crm.app.authenticator` picks the same way).
- Every error a route can answer, with one body for all (`ErrorBody`) but the 422 of
  refused values (`ValidationProblem`, its own shape): 401, 403, 413, 422 and 503 for every
  route; 400 and 409 for the commands (POST, PUT, PATCH); 415 where a JSON body is taken;
  404 where the route names something (declared on the route: `shared.web.responses.NOT_FOUND`).
- The optional `Idempotency-Key` header on every command (`shared.web.idempotency`).
- One document for the whole process (`/openapi.json`) and one per service
  (`/registration/openapi.json`, …), since each service is also deployed alone.
- `/docs`: Swagger UI from the files the `swagger-ui-bundle-v2` package ships, served by
  the process itself (no CDN).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel

from shared.web.http import RETRY_AFTER_SECONDS
from shared.web.responses import ErrorBody, ValidationProblem

ASSETS = "/docs/assets"
COMMANDS = ("post", "put", "patch")
_SCHEMAS = "#/components/schemas/"

HEADER_SCHEMES: dict[str, dict[str, Any]] = {
    "UserId": {
        "type": "apiKey",
        "in": "header",
        "name": "X-User-Id",
        "description": "The caller (at most 200 printable characters): the actor of every event it causes.",
    },
    "UserRole": {
        "type": "apiKey",
        "in": "header",
        "name": "X-User-Role",
        "description": "One of rep (the default), manager, auditor, admin, partner.",
    },
    "UserTeams": {
        "type": "apiKey",
        "in": "header",
        "name": "X-User-Teams",
        "description": "The caller's teams, comma-separated (what a manager's reach covers).",
    },
    "UserPartner": {
        "type": "apiKey",
        "in": "header",
        "name": "X-User-Partner",
        "description": "The partner organisation a caller of role partner acts for (required for that role only).",
    },
}
# X-User-Id always; the role and the teams when the caller has them to say.
HEADER_SECURITY: list[dict[str, list[str]]] = [
    {"UserId": [], "UserRole": [], "UserTeams": []},
    {"UserId": [], "UserRole": [], "UserPartner": []},
    {"UserId": [], "UserRole": []},
    {"UserId": []},
]
BEARER_SCHEMES: dict[str, dict[str, Any]] = {
    "Bearer": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "A JWT from the configured issuer: `sub` the user, `crm_role` the role, `crm_teams` the teams, "
        "`crm_partner` a partner's organisation. "
        "The X-User-* headers are then ignored.",
    },
}


IDEMPOTENCY_KEY: dict[str, Any] = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Makes the command safe to send again: a retry with the same key and the same request "
    "answers the first outcome (header `Idempotent-Replayed: true`) and records nothing; the same key for "
    "another request is refused (422). Scoped to the caller.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[ -~]+$"},
}


def _error(description: str, model: str = "ErrorBody", headers: dict[str, Any] | None = None) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"{_SCHEMAS}{model}"}}},
    }
    if headers:
        answer["headers"] = headers
    return answer


def errors(bearer: bool) -> dict[str, dict[str, Any]]:
    """Every error any route may answer, by status."""
    challenge = {"WWW-Authenticate": {"description": "Bearer", "schema": {"type": "string"}}} if bearer else None
    return {
        "401": _error(
            "No identity: a missing or invalid bearer token"
            if bearer
            else "No identity: the X-User-Id header is missing",
            headers=challenge,
        ),
        "403": _error("The caller's role or reach does not allow this"),
        "413": _error("The request body is over its limit"),
        "422": _error("Refused values: where each is, and why", model="ValidationProblem"),
        "503": _error(
            "The event store is unavailable: nothing was recorded (unless it went away mid-commit), "
            "send the same request again later with the same Idempotency-Key",
            headers={
                "Retry-After": {
                    "description": f"seconds to wait ({RETRY_AFTER_SECONDS})",
                    "schema": {"type": "integer"},
                }
            },
        ),
        # commands only
        "400": _error("The body cannot be read: not UTF-8, or a malformed form"),
        "409": _error(
            "A rule refuses the command, another changed the same thing at once (retry), or its "
            "Idempotency-Key is taken: `idempotency` says `in-flight` (the first is still being answered) "
            "or `applied` (it was applied and its answer was not kept)"
        ),
        # routes that take JSON
        "415": _error("The body is not JSON (send content-type application/json)"),
    }


def document(
    title: str, version: str, routes: Iterable[Any], *, bearer: bool, description: str | None = None
) -> dict[str, Any]:
    """The OpenAPI document of `routes`: FastAPI's, with the identity and every error."""
    doc = get_openapi(title=title, version=version, routes=list(routes), description=description)
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    for model in (ErrorBody, ValidationProblem):
        _add_schema(schemas, model)
    answers = errors(bearer)
    for item in doc.get("paths", {}).values():
        for method, operation in item.items():
            if method not in ("get", "put", "post", "delete", "patch", "head", "options"):
                continue
            declared = operation.setdefault("responses", {})
            wanted = ["401", "403", "413", "422", "503"]
            if method in COMMANDS:
                wanted += ["400", "409"]
                operation.setdefault("parameters", []).append(IDEMPOTENCY_KEY)
            if "application/json" in operation.get("requestBody", {}).get("content", {}):
                wanted.append("415")
            declared.pop("422", None)  # FastAPI's HTTPValidationError: not the shape answered here
            for status in wanted:
                declared.setdefault(status, answers[status])
            operation["responses"] = dict(sorted(declared.items()))
    for unused in ("HTTPValidationError", "ValidationError"):  # only FastAPI's 422 named them
        schemas.pop(unused, None)
    doc["components"]["schemas"] = dict(sorted(schemas.items()))
    doc["components"]["securitySchemes"] = BEARER_SCHEMES if bearer else HEADER_SCHEMES
    doc["security"] = [{"Bearer": []}] if bearer else HEADER_SECURITY
    return doc


def _add_schema(schemas: dict[str, Any], model: type[BaseModel]) -> None:
    found = model.model_json_schema(mode="serialization", ref_template=_SCHEMAS + "{model}")
    for name, definition in found.pop("$defs", {}).items():
        schemas.setdefault(name, definition)
    schemas.setdefault(model.__name__, found)


def service_document(whole: dict[str, Any], name: str) -> dict[str, Any]:
    """One service's part of the whole document: its paths, and only the schemas they use."""
    paths = {path: item for path, item in whole["paths"].items() if path.startswith(f"/{name}/")}
    schemas = whole["components"]["schemas"]
    used: set[str] = set()
    pending = _refs(paths)
    while pending:
        schema = pending.pop()
        if schema not in used:
            used.add(schema)
            pending |= _refs(schemas[schema])
    return {
        **whole,
        "info": {**whole["info"], "title": f"CRM {name}"},
        "paths": paths,
        "components": {**whole["components"], "schemas": {k: v for k, v in schemas.items() if k in used}},
    }


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"][len(_SCHEMAS) :]} if str(node.get("$ref", "")).startswith(_SCHEMAS) else set()
        return found.union(*(_refs(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(_refs(item) for item in node))
    return set()


def install(app: FastAPI, services: Sequence[str], *, bearer: bool) -> None:
    """The documents (whole and per service) and `/docs` on `app`. Call it after the
    services' routers are included."""
    cache: dict[str, dict[str, Any]] = {}

    def whole() -> dict[str, Any]:
        if "" not in cache:
            cache[""] = document(app.title, app.version, app.routes, bearer=bearer, description=app.description)
        return cache[""]

    app.openapi = whole  # type: ignore[method-assign]

    def of(name: str) -> Any:
        def one() -> JSONResponse:
            if name not in cache:
                cache[name] = service_document(whole(), name)
            return JSONResponse(cache[name])

        return one

    for name in services:
        app.add_api_route(f"/{name}/openapi.json", of(name), methods=["GET"], include_in_schema=False)

    from swagger_ui_bundle import swagger_ui_path

    app.mount(ASSETS, StaticFiles(directory=str(swagger_ui_path)), name="swagger-ui")

    def docs(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - API",
            swagger_js_url=f"{root}{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS}/favicon-32x32.png",
            swagger_ui_parameters={"validatorUrl": None},  # no badge fetched from swagger.io
        )

    app.add_api_route("/docs", docs, methods=["GET"], include_in_schema=False)
