"""Who may see and change what, through every deal endpoint: the wrong owner or role gets
403 and nothing is recorded; with authentication configured, only a verified token counts."""

from __future__ import annotations

import time
from datetime import date, timedelta
from uuid import UUID

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient

from crm.app import create_app
from shared.settings import Settings
from tests.support.embedded import embedded_settings, settle
from tests.support.flow import CLOSE_PERIOD, capture_and_convert, eventually, pipeline_stage
from tests.support.identities import AUDITOR, EAST_MANAGER, REP, REP2, WEST_MANAGER


@pytest.fixture
def deal_id(client):
    _, deal_id = capture_and_convert(client, company="Owned By Rep One")
    eventually(lambda: pipeline_stage(client, deal_id) == "prospecting")
    registration = client.app.state.services["registration"].app
    eventually(lambda: registration.get_deal(deal_id).version == 2)  # it has noted the pipeline's entry
    return deal_id


def versions(client, deal_id) -> tuple[int, int]:
    services = client.app.state.services
    return services["pipeline"].app.get_deal(deal_id).version, services["registration"].app.get_deal(deal_id).version


CHANGES = [
    ("post", "/pipeline/deals/{id}/stage", {"to_stage": "proposal"}),
    ("patch", "/pipeline/deals/{id}", {"priority": "high"}),
    ("post", "/pipeline/deals/{id}/activities", {"kind": "call", "subject": "hijack"}),
    ("post", "/pipeline/deals/{id}/close", {"outcome": "won"}),
]


@pytest.mark.parametrize(("method", "path", "body"), CHANGES, ids=lambda v: v if isinstance(v, str) else "")
@pytest.mark.parametrize(
    "intruder", [REP2, WEST_MANAGER, AUDITOR], ids=["another rep", "another team's manager", "auditor"]
)
def test_nobody_outside_the_owners_reach_changes_a_deal_and_nothing_is_recorded(
    client, deal_id, method, path, body, intruder
):
    before = versions(client, deal_id)
    response = getattr(client, method)(path.format(id=deal_id), headers=intruder, json=body)
    assert response.status_code == 403
    assert versions(client, deal_id) == before


@pytest.mark.parametrize(("method", "path", "body"), CHANGES[:3], ids=lambda v: v if isinstance(v, str) else "")
def test_the_owner_and_their_teams_manager_may(client, deal_id, method, path, body):
    for who in (REP, EAST_MANAGER):
        assert getattr(client, method)(path.format(id=deal_id), headers=who, json=body).status_code in (200, 201)


def test_another_rep_neither_reads_the_deal_nor_finds_it_in_their_lists(client, deal_id):
    assert client.get(f"/pipeline/deals/{deal_id}", headers=REP2).status_code == 403
    assert client.get(f"/registration/deals/{deal_id}", headers=REP2).status_code == 403
    assert client.get("/pipeline/deals", headers=REP2).json()["items"] == []
    board = client.get("/pipeline/board", headers=REP2).json()
    assert sum(column["count"] for column in board["columns"]) == 0
    eventually(lambda: client.get("/pipeline/deals", headers=REP).json()["items"])
    assert [i["deal_id"] for i in client.get("/pipeline/deals", headers=EAST_MANAGER).json()["items"]] == [deal_id]
    assert client.get(f"/pipeline/deals/{deal_id}", headers=AUDITOR).status_code == 200


@pytest.mark.parametrize("action", ["recycle", "assign"])
def test_a_manager_acts_only_on_their_teams_deals_and_assigns_only_within_reach(client, deal_id, action):
    body = {"reason": "x"} if action == "recycle" else {"owner_id": "rep-2"}
    before = versions(client, deal_id)
    assert client.post(f"/registration/deals/{deal_id}/{action}", headers=WEST_MANAGER, json=body).status_code == 403
    assert versions(client, deal_id) == before
    if action == "assign":
        outside = client.post(
            f"/registration/deals/{deal_id}/assign", headers=EAST_MANAGER, json={"owner_id": "rep-outsider"}
        )
        assert outside.status_code == 403
        assert versions(client, deal_id) == before
    assert client.post(f"/registration/deals/{deal_id}/{action}", headers=EAST_MANAGER, json=body).status_code == 200


# -- authentication -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def keys():
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


def token(private, **claims) -> str:
    now = int(time.time())
    body = {
        "iss": "https://id.example.com",
        "aud": "crm",
        "sub": "rep-1",
        "iat": now,
        "exp": now + 300,
        "crm_role": "rep",
        **claims,
    }
    return jwt.encode({k: v for k, v in body.items() if v is not None}, private, algorithm="RS256")


@pytest.fixture
def secured(tmp_path, keys, caplog):
    _, public = keys
    settings = embedded_settings(tmp_path, auth_issuer="https://id.example.com", auth_audience="crm", auth_key=public)
    with TestClient(create_app(settings)) as http:
        yield http


def lead(http, headers):
    return http.post("/registration/leads", headers=headers, json={"company": "Secured Co", "contact": {"name": "Li"}})


def test_the_actor_is_the_tokens_subject_and_a_header_cannot_forge_it(secured, keys):
    private, _ = keys
    created = lead(
        secured, {"Authorization": f"Bearer {token(private)}", "X-User-Id": "mallory", "X-User-Role": "admin"}
    )
    assert created.status_code == 201
    app = secured.app.state.services["registration"].app
    event = app.to_domain_event(app.read_notifications(0, 10)[-1])
    assert event.meta["actor"] == "rep-1"


@pytest.mark.parametrize(
    "claims",
    [dict(exp=int(time.time()) - 3600), dict(aud="another-app"), dict(iss="https://evil.example.com"), dict(sub=None)],
    ids=["expired", "wrong audience", "wrong issuer", "no subject"],
)
def test_a_token_that_does_not_verify_is_401_and_records_nothing(secured, keys, claims):
    private, _ = keys
    response = lead(secured, {"Authorization": f"Bearer {token(private, **claims)}"})
    assert response.status_code == 401
    assert secured.app.state.services["registration"].app.recorder.max_notification_id() in (None, 0)


def test_a_partners_token_names_its_organisation_in_crm_partner_and_acts_for_it(secured, keys):
    private, _ = keys
    admin = {"Authorization": f"Bearer {token(private, sub='admin-1', crm_role='admin')}"}
    body = {"partner_id": "org-jwt", "name": "JWT 渠道", "channel_managers": ["mgr-channel"]}
    assert secured.post("/registration/partners", headers=admin, json=body).status_code == 201
    partner = {"Authorization": f"Bearer {token(private, sub='p-1', crm_role='partner', crm_partner='org-jwt')}"}
    deal = {
        "name": "JWT deal",
        "account": {"name": "JWT Customer Co"},
        "value": {"amount": "1000.00", "currency": "CNY"},
        "expected_close_date": (date.today() + timedelta(days=30)).isoformat(),
    }
    registered = secured.post("/registration/deals", headers={**partner, "X-User-Partner": "org-other"}, json=deal)
    assert registered.status_code == 201 and registered.json()["registration_status"] == "pending"
    app = secured.app.state.services["registration"].app
    assert app.get_deal(UUID(registered.json()["deal_id"])).partner == "org-jwt"  # the claim's, not the header's
    without = {"Authorization": f"Bearer {token(private, sub='p-2', crm_role='partner')}"}
    assert secured.get("/registration/deals", headers=without).status_code == 403


def test_without_a_token_the_identity_headers_alone_are_refused(secured):
    assert lead(secured, REP).status_code == 401


def test_a_token_signed_by_another_key_is_refused(secured):
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert lead(secured, {"Authorization": f"Bearer {token(stranger)}"}).status_code == 401


def test_a_body_over_the_limit_is_413_and_records_nothing(tmp_path):
    settings = Settings(data_dir=tmp_path / "data", max_request_bytes=2048)
    with TestClient(create_app(settings)) as http:
        huge = http.post("/registration/leads", headers=REP, json={"company": "x" * 5000, "contact": {"name": "Li"}})
        assert huge.status_code == 413
        assert http.app.state.services["registration"].app.recorder.max_notification_id() in (None, 0)
        assert lead(http, REP).status_code == 201  # a normal one still passes


def test_secrets_never_reach_the_settings_repr_or_the_logs(tmp_path, caplog):
    import logging

    settings = Settings(
        database_url="postgresql://crm:hunter2-secret@127.0.0.1:1/none",
        kafka_sasl_password="kafka-pw-7",
        auth_key="-----BEGIN KEY----- secret",
    )
    logging.getLogger("crm.test").warning("settings in force: %s", settings)
    shown = repr(settings) + caplog.text
    assert "hunter2-secret" not in shown and "kafka-pw-7" not in shown and "BEGIN KEY" not in shown


def test_kafka_tls_and_sasl_options_reach_the_clients():
    from shared.messaging.kafka import faststream_security
    from shared.settings import kafka_security

    settings = Settings(
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_mechanism="SCRAM-SHA-512",
        kafka_sasl_username="crm",
        kafka_sasl_password="pw",
    )
    options = kafka_security(settings)
    assert (options["security_protocol"], options["sasl_mechanism"], options["sasl_plain_password"]) == (
        "SASL_SSL",
        "SCRAM-SHA-512",
        "pw",
    )
    assert options["ssl_context"] is not None
    assert type(faststream_security(settings)).__name__ == "SASLScram512"
    assert faststream_security(Settings()) is None


BODIES = {
    "/registration/leads": {"company": "Audit Probe", "contact": {"name": "Li"}},
    "/registration/leads/{lead_id}/convert": {"value": {"amount": "1.00"}, "expected_close_date": "2027-01-01"},
    "/registration/deals": {
        "name": "n",
        "account": {"name": "Probe"},
        "value": {"amount": "1.00"},
        "expected_close_date": "2027-01-01",
    },
    "/registration/deals/{deal_id}/reject": {"reason": "other"},
    "/registration/deals/{deal_id}/assign": {"owner_id": "rep-2"},
    "/registration/deals/{deal_id}/recycle": {"reason": "probe"},
    "/pipeline/pipelines/{pipeline_id}": {
        "stages": [
            {"key": "a", "labels": {"en": "A"}, "probability": 5, "forecast_category": "pipeline"},
            {"key": "w", "labels": {"en": "W"}, "probability": 100, "forecast_category": "closed", "state": "won"},
            {"key": "l", "labels": {"en": "L"}, "probability": 0, "forecast_category": "omitted", "state": "lost"},
        ]
    },
    "/pipeline/deals/{deal_id}/stage": {"to_stage": "proposal"},
    "/pipeline/products": {
        "code": "AUDIT-PROBE",
        "name_zh": "探针",
        "product_line": "probe",
        "unit": "套",
        "list_price": {"amount": "1.00"},
    },
    "/pipeline/products/{code}": {"unit": "件"},
    "/registration/leads/{lead_id}/disqualify": {"reason": "probe"},
    "/registration/assignment-rules": {"rules": []},
    "/registration/assignment-rules/dry-run": {"candidates": [{}]},
    "/registration/assignment-rules/apply": {"lead_ids": ["00000000-0000-0000-0000-00000000beef"]},
    "/pipeline/deals/{deal_id}/line-items": {"items": [{"product_code": "AUDIT-PROBE", "quantity": 1}]},
    "/pipeline/deals/{deal_id}": {"priority": "high"},
    "/pipeline/deals/{deal_id}/activities": {"kind": "call", "subject": "probe"},
    "/pipeline/deals/{deal_id}/close": {"outcome": "won"},
    "/pipeline/deals/{deal_id}/reopen": {},
    "/forecast/targets/{owner_id}/{period}": {"amount": {"amount": "1.00"}},
    "/forecast/team-targets/{team}/{period}": {"amount": {"amount": "1.00"}},
    "/forecast/visit-plans/{owner_id}/{period}": {"visits_per_day": 1},
    "/registration/partners": {"partner_id": "org-probe", "name": "Probe", "channel_managers": ["mgr-1"]},
}


def recorded_everywhere(client) -> int:
    return sum((s.app.recorder.max_notification_id() or 0) for s in client.app.state.services.values())


def test_an_auditor_is_refused_by_every_command_of_every_service_and_nothing_is_recorded(client, deal_id):
    lead_id = client.post(
        "/registration/leads", headers=REP, json={"company": "Lead Probe", "contact": {"name": "Wu"}}
    ).json()["lead_id"]
    settle(client.app)  # every reaction to the setup (the forecast tracking the deal) recorded before counting
    before = recorded_everywhere(client)
    values = {
        "deal_id": deal_id,
        "lead_id": lead_id,
        "activity_id": "a1",
        "owner_id": "rep-1",
        "period": "2026-Q4",
        "team": "east",
        "pipeline_id": "default",
        "kind": "deals",
        "code": "AUDIT-PROBE",
    }
    commands = [
        (method, path)
        for path, ops in client.app.openapi()["paths"].items()
        for method in ops
        if method in ("post", "put", "patch") and not path.startswith("/notifications/") and "/what-if/" not in path
    ]  # an auditor's own inbox and preferences are theirs to keep: the one thing they change; a
    # what-if is a question asked by POST (its rules in the body) that records nothing
    assert len(commands) >= 18
    for method, path in commands:
        url = path.format(**values)
        if path.startswith("/registration/imports") or path.endswith("/attachments"):  # uploads: a file
            response = client.post(url, headers=AUDITOR, files={"file": ("x.csv", b"name\n")})
        else:
            response = client.request(method.upper(), url, headers=AUDITOR, json=BODIES.get(path))
        assert response.status_code == 403, (method, path, response.status_code, response.text)
    assert recorded_everywhere(client) == before


def test_a_rep_sees_only_their_own_deals_in_the_forecast_and_no_company_reports(client, deal_id):
    def figures(headers):
        return client.get("/forecast/pipeline", headers=headers, params={"period": CLOSE_PERIOD}).json()

    eventually(lambda: figures(REP)["count"] == 1)
    assert figures(REP2)["count"] == 0
    assert figures(EAST_MANAGER)["count"] == 1 and figures(AUDITOR)["count"] == 1
    assert client.get("/forecast/reports/win-rate", headers=REP, params={"period": "2026"}).status_code == 403
    assert client.get("/forecast/reports/win-rate", headers=EAST_MANAGER, params={"period": "2026"}).status_code == 200


def test_secrets_can_come_from_mounted_files(tmp_path):
    (tmp_path / "CRM_DATABASE_URL").write_text("postgresql://crm:from-a-file@db:5432/crm")
    (tmp_path / "CRM_KAFKA_SASL_PASSWORD").write_text("kafka-from-a-file")
    settings = Settings(_secrets_dir=tmp_path)
    assert settings.database_url.get_secret_value().endswith("from-a-file@db:5432/crm")
    assert settings.kafka_sasl_password.get_secret_value() == "kafka-from-a-file"
    assert "from-a-file" not in repr(settings)


def test_signing_keys_can_come_from_the_issuers_jwks_url(tmp_path, keys):
    import http.server
    import json as json_
    import threading

    private, public = keys
    jwk = json_.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key()))
    document = json_.dumps({"keys": [{**jwk, "kid": "k1", "use": "sig", "alg": "RS256"}]}).encode()

    class JWKS(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the stdlib's name
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.end_headers()
            self.wfile.write(document)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), JWKS)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        settings = Settings(
            data_dir=tmp_path / "data",
            auth_issuer="https://id.example.com",
            auth_audience="crm",
            auth_jwks_url=f"http://127.0.0.1:{server.server_port}/jwks.json",
        )
        signed = jwt.encode(
            {
                "iss": "https://id.example.com",
                "aud": "crm",
                "sub": "rep-7",
                "crm_role": "rep",
                "exp": int(time.time()) + 60,
            },
            private,
            algorithm="RS256",
            headers={"kid": "k1"},
        )
        with TestClient(create_app(settings)) as http_:
            assert lead(http_, {"Authorization": f"Bearer {signed}"}).status_code == 201
    finally:
        server.shutdown()
