"""Bad input gets a 4xx that names the problem, and records nothing: control characters,
lone surrogates, NaN, bytes that are not JSON, negative or unknown money, unknown nested
fields, past dates, empty or oversize files."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from tests.support.embedded import settle
from tests.support.flow import capture_and_convert, eventually, pipeline_stage
from tests.support.identities import ADMIN, EAST_MANAGER, REP

NEXT_MONTH = (date.today() + timedelta(days=30)).isoformat()


@pytest.fixture
def deal_id(client):
    _, deal_id = capture_and_convert(client, company="Input Checks Ltd")
    eventually(lambda: pipeline_stage(client, deal_id) == "prospecting")
    # Every reaction to the set-up recorded (registration notes the first stage, the forecast
    # tracks the deal), so the tests' before/after counts see only their own request's.
    settle(client.app)
    return deal_id


def recorded(client) -> tuple[int, ...]:
    """How many events every store holds, but what the services record on a timer (the
    forecast's snapshots, each store's checkpoints): equal before and after means the
    request recorded nothing."""
    counts = []
    for service in client.app.state.services.values():
        notifications = service.app.recorder.select_notifications(start=1, limit=100_000)
        counts.append(sum(1 for n in notifications if "Snapshot" not in n.topic and "Checkpoint" not in n.topic))
    return tuple(counts)


def registration(**overrides):
    body = {
        "name": "Deal",
        "account": {"name": "Acme"},
        "value": {"amount": "10.00", "currency": "CNY"},
        "expected_close_date": NEXT_MONTH,
    }
    return body | overrides


BAD_TEXT = {
    "NUL": "a\u0000b",
    "escape": "a\u001bb",
    "bell": "\u0007",
    "DEL": "a\u007f",
}

# (method, path, body with {bad} where the text goes, the field's location)
TEXT_FIELDS = [
    ("post", "/registration/leads", {"company": "{bad}", "contact": {"name": "x"}}, ["body", "company"]),
    ("post", "/registration/leads", {"company": "c", "contact": {"name": "{bad}"}}, ["body", "contact", "name"]),
    ("post", "/registration/deals", registration(name="{bad}"), ["body", "name"]),
    ("post", "/registration/deals", registration(account={"name": "{bad}"}), ["body", "account", "name"]),
    (
        "post",
        "/registration/deals",
        registration(contacts=[{"name": "n", "phone": "{bad}"}]),
        ["body", "contacts", 0, "phone"],
    ),
    ("patch", "/pipeline/deals/{id}", {"name": "{bad}"}, ["body", "name"]),
    ("patch", "/pipeline/deals/{id}", {"competitors": ["ok", "{bad}"]}, ["body", "competitors", 1]),
    ("post", "/pipeline/deals/{id}/activities", {"kind": "call", "subject": "{bad}"}, ["body", "subject"]),
    ("post", "/pipeline/deals/{id}/stage", {"to_stage": "qualification", "reason": "{bad}"}, ["body", "reason"]),
]


def _fill(body, bad):
    return json.loads(json.dumps(body).replace('"{bad}"', json.dumps(bad)))


@pytest.mark.parametrize("bad", list(BAD_TEXT.values()), ids=list(BAD_TEXT))
@pytest.mark.parametrize(
    ("method", "path", "body", "loc"),
    TEXT_FIELDS,
    ids=lambda v: "" if not isinstance(v, list) else ".".join(map(str, v)),
)
def test_text_with_a_control_character_is_refused_naming_the_field(client, deal_id, bad, method, path, body, loc):
    before = recorded(client)
    response = getattr(client, method)(path.format(id=deal_id), headers=EAST_MANAGER, json=_fill(body, bad))
    assert response.status_code == 422, response.text
    assert [problem["loc"] for problem in response.json()["detail"]] == [loc]
    assert "control character" in response.json()["detail"][0]["msg"]
    assert recorded(client) == before


def test_a_lone_surrogate_is_refused_with_a_422_that_does_not_echo_it(client):
    before = recorded(client)
    raw = '{"company": "x\\ud800y", "contact": {"name": "n"}}'
    response = client.post("/registration/leads", headers=REP | {"content-type": "application/json"}, content=raw)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "company"]
    assert "surrogate" in response.json()["detail"][0]["msg"]
    assert recorded(client) == before


def test_tab_and_newline_are_kept(client):
    response = client.post(
        "/registration/leads", headers=REP, json={"company": "A\tB", "contact": {"name": "line\nbreak"}}
    )
    assert response.status_code == 201


def test_a_control_character_in_a_query_or_path_parameter_is_refused(client):
    assert client.get("/forecast/pipeline?period=2026%00", headers=ADMIN).status_code == 422
    response = client.put("/forecast/targets/rep%00x/2026-Q4", headers=ADMIN, json={"amount": {"amount": "1"}})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["path"]


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_nan_and_infinity_are_refused_in_numbers(client, deal_id, literal):
    before = recorded(client)
    headers = EAST_MANAGER | {"content-type": "application/json"}
    patched = client.patch(f"/pipeline/deals/{deal_id}", headers=headers, content=f'{{"probability": {literal}}}')
    assert patched.status_code == 422, patched.text
    assert patched.json()["detail"][0]["loc"] == ["body", "probability"]
    valued = client.patch(
        f"/pipeline/deals/{deal_id}",
        headers=headers,
        content=f'{{"value": {{"amount": {literal}, "currency": "CNY"}}}}',
    )
    assert valued.status_code == 422, valued.text
    assert recorded(client) == before


@pytest.mark.parametrize("content_type", ["text/plain", "application/octet-stream"])
def test_bytes_that_are_not_json_get_a_415(client, content_type):
    before = recorded(client)
    response = client.post(
        "/registration/leads", headers=REP | {"content-type": content_type}, content=b"\xff\xfe\x00bad"
    )
    assert response.status_code == 415
    assert "application/json" in response.json()["detail"]
    assert recorded(client) == before


def test_json_that_is_not_utf8_gets_a_400_saying_so(client):
    response = client.post(
        "/registration/leads", headers=REP | {"content-type": "application/json"}, content=b'{"company": "\xff"}'
    )
    assert response.status_code == 400
    assert "UTF-8" in response.json()["detail"]


def test_a_file_posted_to_a_json_route_gets_a_415(client):
    response = client.post(
        "/registration/leads", headers=REP, files={"file": ("x.bin", b"\x00\xff", "application/octet-stream")}
    )
    assert response.status_code == 415


@pytest.mark.parametrize(
    ("method", "path", "body", "loc"),
    [
        (
            "post",
            "/registration/deals",
            registration(value={"amount": "-5.00", "currency": "CNY"}),
            ["body", "value", "amount"],
        ),
        (
            "post",
            "/registration/leads",
            {"company": "c", "contact": {"name": "n"}, "budget": {"amount": "-1"}},
            ["body", "budget", "amount"],
        ),
        (
            "patch",
            "/pipeline/deals/{id}",
            {"value": {"amount": "-0.01", "currency": "CNY"}},
            ["body", "value", "amount"],
        ),
        (
            "put",
            "/forecast/targets/rep-1/2026-Q4",
            {"amount": {"amount": "-100", "currency": "CNY"}},
            ["body", "amount", "amount"],
        ),
    ],
    ids=["register", "lead budget", "patch value", "target"],
)
def test_money_is_never_negative(client, deal_id, method, path, body, loc):
    before = recorded(client)
    response = getattr(client, method)(path.format(id=deal_id), headers=EAST_MANAGER, json=body)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == loc
    assert recorded(client) == before


@pytest.mark.parametrize("currency", ["ZZZ", "RMB", "XXX"])
def test_a_currency_outside_iso_4217_is_refused(client, currency):
    response = client.post(
        "/registration/deals", headers=REP, json=registration(value={"amount": "5.00", "currency": currency})
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "value", "currency"]
    assert "ISO 4217" in response.json()["detail"][0]["msg"]


def test_any_iso_4217_currency_is_accepted(client):
    response = client.post(
        "/registration/deals", headers=REP, json=registration(value={"amount": "5.00", "currency": "JPY"})
    )
    assert response.status_code == 201, response.text


def test_unknown_fields_nested_in_objects_are_refused(client):
    before = recorded(client)
    response = client.post(
        "/registration/deals", headers=REP, json=registration(value={"amount": "5", "currency": "CNY", "fx": 1})
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "value", "fx"]
    assert recorded(client) == before


def test_a_past_close_date_is_refused_when_editing_as_when_registering(client, deal_id):
    before = recorded(client)
    response = client.patch(f"/pipeline/deals/{deal_id}", headers=REP, json={"expected_close_date": "2000-01-01"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "expected_close_date"]
    assert recorded(client) == before
    assert (
        client.patch(f"/pipeline/deals/{deal_id}", headers=REP, json={"expected_close_date": NEXT_MONTH}).status_code
        == 200
    )


@pytest.mark.parametrize("content", [b"", b"company,contact_name\n"], ids=["no bytes", "header only"])
def test_an_import_with_no_rows_is_refused(client, content):
    response = client.post(
        "/registration/imports/leads", headers=REP, files={"file": ("leads.csv", content, "text/csv")}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "file"]


def test_an_import_row_with_a_control_character_is_refused_and_the_others_kept(client):
    csv = b"company,contact_name\nGood Co,Ann\nBad\x00Co,Bob\n"
    report = client.post(
        "/registration/imports/leads", headers=REP, files={"file": ("leads.csv", csv, "text/csv")}
    ).json()
    assert [row["status"] for row in report["report"]] == ["created", "refused"]
    assert report["report"][1]["errors"][0]["field"] == "company"


def test_an_oversize_body_sent_in_chunks_gets_a_413(client):
    def chunks():
        for _ in range(64):
            yield b" " * 8192  # 512 KiB, over the 256 KiB limit, without a Content-Length

    response = client.post("/registration/leads", headers=REP | {"content-type": "application/json"}, content=chunks())
    assert response.status_code == 413


def test_a_converted_leads_contact_reaches_the_deal_in_the_pipeline(client, deal_id):
    contacts = client.get(f"/pipeline/deals/{deal_id}", headers=REP).json()["contacts"]
    assert [(c["name"], c["phone"][:3], c["email"].endswith("@example.com")) for c in contacts] == [
        ("张三", "138", True)
    ]


def test_a_query_parameter_in_any_script_is_read_as_utf8(client):
    response = client.get("/pipeline/stages?pipeline=%C4%80%E6%96%B0", headers=REP)
    assert response.status_code == 404  # no such pipeline, and no server error


@pytest.mark.parametrize("field", ["competitors", "contacts"])
def test_a_null_list_in_an_edit_empties_it_and_is_answered(client, deal_id, field):
    filled = {"competitors": ["Rival Co"], "contacts": [{"name": "Ann", "role": "decision_maker"}]}[field]
    assert client.patch(f"/pipeline/deals/{deal_id}", headers=EAST_MANAGER, json={field: filled}).status_code == 200
    response = client.patch(f"/pipeline/deals/{deal_id}", headers=EAST_MANAGER, json={field: None})
    assert response.status_code == 200, response.text
    assert response.json()[field] == []
