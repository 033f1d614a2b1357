"""The OpenAPI documents say what the server does: who may call, every error a route can
answer (in the shape it is answered), closed models for every success body, one document
per service; and /docs loads nothing from outside the process."""

from __future__ import annotations

import re
from uuid import uuid4

import jsonschema
import pytest
from fastapi.testclient import TestClient

from crm.app import SERVICES, create_app
from shared.settings import Settings
from tests.support.embedded import embedded_settings
from tests.support.identities import ADMIN, REP

COMMANDS = ("post", "put", "patch")


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    app = create_app(embedded_settings(tmp_path_factory.mktemp("openapi")))
    with TestClient(app) as http:
        yield http


@pytest.fixture(scope="module")
def doc(client):
    return client.get("/openapi.json").json()


def operations(doc):
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def schema_of(doc, response):
    return response["content"]["application/json"]["schema"]


def resolved(doc, schema):
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def conforms(doc, schema, body) -> None:
    jsonschema.Draft202012Validator({**schema, "components": doc["components"]}).validate(body)


# -- who may call ---------------------------------------------------------------------------


def test_the_identity_headers_are_declared_as_api_keys_in_the_embedded_mode(doc):
    schemes = doc["components"]["securitySchemes"]
    assert schemes["UserId"] == {**schemes["UserId"], "type": "apiKey", "in": "header", "name": "X-User-Id"}
    assert {schemes[s]["name"] for s in schemes} == {"X-User-Id", "X-User-Role", "X-User-Teams", "X-User-Partner"}
    assert doc["security"] and all("UserId" in requirement for requirement in doc["security"])


def test_a_bearer_jwt_is_declared_where_an_issuer_is_configured(tmp_path):
    settings = Settings(data_dir=tmp_path / "data", auth_issuer="https://issuer.example", auth_key="not used here")
    with TestClient(create_app(settings)) as http:
        doc = http.get("/openapi.json").json()
    assert doc["components"]["securitySchemes"] == {
        "Bearer": {
            **doc["components"]["securitySchemes"]["Bearer"],
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
        }
    }
    assert doc["security"] == [{"Bearer": []}]
    assert "WWW-Authenticate" in doc["paths"]["/pipeline/deals"]["get"]["responses"]["401"]["headers"]


# -- errors -----------------------------------------------------------------------------------


def test_every_operation_declares_every_error_it_can_answer_with_one_error_body(doc):
    for path, method, operation in operations(doc):
        responses = operation["responses"]
        wanted = {"401", "403", "413", "422", "503"}
        if method in COMMANDS:
            wanted |= {"400", "409"}
        if "application/json" in operation.get("requestBody", {}).get("content", {}):
            wanted.add("415")
        if "{deal_id}" in path or "{lead_id}" in path:
            wanted.add("404")
        assert wanted <= set(responses), f"{method.upper()} {path} leaves out {sorted(wanted - set(responses))}"
        for status, response in responses.items():
            if status.startswith("2"):
                continue
            model = "ValidationProblem" if status == "422" else "ErrorBody"
            assert schema_of(doc, response) == {"$ref": f"#/components/schemas/{model}"}, f"{method} {path} {status}"
    assert "HTTPValidationError" not in doc["components"]["schemas"]
    assert doc["paths"]["/pipeline/stages"]["get"]["responses"]["404"]


def test_the_validation_problem_requires_what_every_422_answer_holds(doc):
    problem = resolved(doc, doc["components"]["schemas"]["ValidationProblem"]["properties"]["detail"]["items"])
    assert set(problem["required"]) == {"loc", "msg", "type"}


def test_real_error_answers_match_the_declared_schemas(client, doc):
    error = {"$ref": "#/components/schemas/ErrorBody"}
    problem = {"$ref": "#/components/schemas/ValidationProblem"}
    missing = f"/pipeline/deals/{uuid4()}"
    answers = [
        (client.get("/pipeline/deals"), 401, error),
        (client.post(f"/registration/deals/{uuid4()}/approve", headers=REP), 403, error),
        (client.get(missing, headers=ADMIN), 404, error),
        (client.get("/pipeline/stages?pipeline=nope", headers=ADMIN), 404, error),
        (client.get("/pipeline/deals?limit=0", headers=ADMIN), 422, problem),
        (client.get("/pipeline/deals", headers={**ADMIN, "X-User-Role": "boss"}), 422, problem),
        (client.post("/registration/deals", headers=ADMIN, content=b"x"), 415, error),
    ]
    for response, status, schema in answers:
        assert response.status_code == status, (response.request.url, response.text)
        conforms(doc, schema, response.json())


@pytest.mark.parametrize("field", ["name", "value", "expected_close_date", "priority"])
def test_a_null_in_an_edit_is_answered_in_the_validation_problem_shape(client, doc, field):
    response = client.patch(f"/pipeline/deals/{uuid4()}", headers=ADMIN, json={field: None})
    assert response.status_code == 422
    assert response.json()["detail"] == [{"loc": ["body", field], "msg": "may not be null", "type": "value_error"}]
    conforms(doc, {"$ref": "#/components/schemas/ValidationProblem"}, response.json())


# -- success bodies -----------------------------------------------------------------------------


STREAMS = {"/pipeline/live", "/registration/live", "/notifications/live"}


def test_every_success_answer_is_a_named_closed_model(doc):
    for path, method, operation in operations(doc):
        successes = {s: r for s, r in operation["responses"].items() if s.startswith("2")}
        assert successes, f"{method.upper()} {path}"
        if path in STREAMS or path in FILES:
            continue  # a text stream or a file, not a JSON body: the tests below
        for response in successes.values():
            schema = schema_of(doc, response)
            refs = [schema] if "$ref" in schema else schema.get("anyOf", [])
            assert refs and all("$ref" in ref for ref in refs), f"{method.upper()} {path}: {schema}"
            for ref in refs:
                model = resolved(doc, ref)
                assert model.get("properties"), f"{method.upper()} {path}: an open object"


ATTACHMENT = "/pipeline/deals/{deal_id}/activities/{activity_id}/attachments/{ref}"
FILES = {ATTACHMENT, f"{ATTACHMENT}/thumbnail"}


def test_file_downloads_are_documented_as_bytes_of_the_types_they_answer(doc):
    binary = {"type": "string", "format": "binary"}
    files = {
        path
        for path, method, operation in operations(doc)
        if "application/json" not in operation["responses"].get("200", {"content": {"application/json": 1}})["content"]
        and path not in STREAMS
    }
    assert files == FILES
    download = doc["paths"][ATTACHMENT]["get"]["responses"]["200"]["content"]
    assert {"image/jpeg", "application/pdf", "text/csv"} <= set(download)
    assert all(media["schema"] == binary for media in download.values())
    assert doc["paths"][f"{ATTACHMENT}/thumbnail"]["get"]["responses"]["200"]["content"] == {
        "image/jpeg": {"schema": binary}
    }


def test_the_live_streams_are_documented_as_event_streams_taking_last_event_id(doc):
    streamed = {
        path
        for path, method, operation in operations(doc)
        if "text/event-stream" in operation["responses"].get("200", {}).get("content", {})
    }
    assert streamed == STREAMS
    for path in STREAMS:
        operation = doc["paths"][path]["get"]
        assert set(operation["responses"]["200"]["content"]) == {"text/event-stream"}
        assert "event: changed" in operation["responses"]["200"]["content"]["text/event-stream"]["example"]
        header = next(p for p in operation["parameters"] if p["name"] == "Last-Event-ID")
        assert header["in"] == "header" and not header["required"]


def test_the_answers_carry_the_servers_constraints(doc):
    schemas = doc["components"]["schemas"]
    status = schemas["RegistrationDeal"]["properties"]["registration_status"]
    assert resolved(doc, status)["enum"] == ["pending", "approved", "rejected"]
    assert schemas["MoneyOut"]["properties"]["currency"]["pattern"] == "^[A-Z]{3}$"
    assert schemas["MoneyIn"]["properties"]["currency"]["pattern"] == "^[A-Z]{3}$"
    assert schemas["PipelineDeal"]["properties"]["probability"]["maximum"] == 100
    assert schemas["Activity"]["properties"]["logged_at"]["format"] == "date-time"
    limit = next(p for p in doc["paths"]["/registration/pool"]["get"]["parameters"] if p["name"] == "limit")
    assert limit["schema"]["maximum"] == 500


def test_a_deal_as_answered_matches_its_model(client, doc):
    created = client.post(
        "/registration/deals",
        headers=REP,
        json={
            "name": "ERP",
            "account": {"name": f"ACME {uuid4()}"},
            "value": {"amount": "10.00", "currency": "CNY"},
            "expected_close_date": "2099-01-31",
            "contacts": [{"name": "Li Lei"}],
        },
    )
    assert created.status_code == 201, created.text
    conforms(doc, schema_of(doc, doc["paths"]["/registration/deals"]["post"]["responses"]["201"]), created.json())
    deal = client.get(f"/registration/deals/{created.json()['deal_id']}", headers=REP)
    conforms(doc, schema_of(doc, doc["paths"]["/registration/deals/{deal_id}"]["get"]["responses"]["200"]), deal.json())
    assert deal.json()["contacts"][0].keys() == {"id", "name"}  # absent stays absent, no nulls added


# -- one document per service -----------------------------------------------------------------------


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_serves_its_own_document(client, doc, service):
    own = client.get(f"/{service}/openapi.json")
    assert own.status_code == 200
    mine = own.json()
    assert mine["paths"] and all(path.startswith(f"/{service}/") for path in mine["paths"])
    assert set(mine["paths"]) == {path for path in doc["paths"] if path.startswith(f"/{service}/")}
    assert mine["components"]["securitySchemes"] == doc["components"]["securitySchemes"]
    text = own.text
    for name in set(re.findall(r'"#/components/schemas/([^"]+)"', text)):
        assert name in mine["components"]["schemas"], f"{service}: {name} is referenced but absent"
    others = {s for s in SERVICES if s != service}
    assert not any(f'"/{other}/' in text for other in others)


def test_a_service_deployed_alone_serves_its_document_at_both_addresses(tmp_path):
    with TestClient(create_app(Settings(data_dir=tmp_path / "data"), names=["forecast"])) as http:
        whole, own = http.get("/openapi.json").json(), http.get("/forecast/openapi.json").json()
        assert http.get("/pipeline/openapi.json").status_code == 404
    assert set(whole["paths"]) == set(own["paths"]) and own["paths"]


# -- the API explorer -----------------------------------------------------------------------------


def test_docs_load_swagger_ui_from_the_process_itself(client):
    page = client.get("/docs")
    assert page.status_code == 200
    assets = re.findall(r'<(?:script|link)[^>]*(?:src|href)="([^"]+)"', page.text)
    assert assets, page.text
    assert not [url for url in assets if re.match(r"(https?:)?//", url)], assets
    assert not re.search(r"https?://", page.text), "an outside address on the page"
    for url in assets:
        assert client.get(url).status_code == 200, url
    assert any(url.endswith(".js") for url in assets) and any(url.endswith(".css") for url in assets)
    assert client.get("/redoc").status_code == 404  # ReDoc would come from a CDN
