"""The embedded default: four services in one process, SQLite files, in-process bus."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from crm.app import create_app
from tests.support.embedded import embedded_settings
from tests.support.flow import CLOSE_DATE, capture_and_convert, drive_first_flow, eventually, pipeline_stage
from tests.support.identities import REP


def test_a_converted_lead_travels_through_pipeline_into_the_forecast(client):
    result = drive_first_flow(client)
    history = client.get(f"/pipeline/deals/{result.deal_id}", headers=REP).json()["stage_history"]
    assert [entry["stage"] for entry in history] == ["prospecting", "proposal"]
    assert history[1]["reason"] == "quote sent"
    registration = client.get(f"/registration/deals/{result.deal_id}", headers=REP).json()
    assert registration["owner_id"] == "rep-1"
    assert registration["registration_status"] == "approved"


def test_the_list_view_and_the_board_show_the_deal(client):
    _, deal_id = capture_and_convert(client)
    eventually(lambda: pipeline_stage(client, deal_id) == "prospecting")

    def listed():
        items = client.get("/pipeline/deals", headers=REP, params={"owner": "rep-1"}).json()["items"]
        return items if items else None

    assert [card["deal_id"] for card in eventually(listed)] == [deal_id]
    board = client.get("/pipeline/board", headers=REP).json()
    first = board["columns"][0]
    assert first["stage"] == "prospecting"
    assert first["count"] == 1
    assert first["weighted"] == [{"amount": "10000.00", "currency": "CNY"}]


def test_registering_the_same_customer_again_is_a_409_naming_the_deal(client):
    _, deal_id = capture_and_convert(client, company="ACME Co., Ltd.")
    again = client.post(
        "/registration/deals",
        headers={"X-User-Id": "rep-2"},
        json={
            "name": "ACME again",
            "account": {"name": "acme"},
            "value": {"amount": "5000.00", "currency": "CNY"},
            "expected_close_date": CLOSE_DATE.isoformat(),
        },
    )
    assert again.status_code == 409
    assert again.json()["conflicting_deal_id"] == deal_id


def test_bad_input_is_a_422_naming_the_field_and_records_nothing(client):
    response = client.post(
        "/registration/deals",
        headers=REP,
        json={
            "name": "x",
            "account": {"name": "A"},
            "value": {"amount": "lots"},
            "expected_close_date": CLOSE_DATE.isoformat(),
        },
    )
    assert response.status_code == 422
    assert ["body", "value", "amount"] in [error["loc"] for error in response.json()["detail"]]
    assert client.app.state.services["registration"].app.recorder.max_notification_id() in (None, 0)


def test_a_stage_that_does_not_exist_is_a_422_naming_to_stage(client):
    _, deal_id = capture_and_convert(client)
    eventually(lambda: pipeline_stage(client, deal_id) == "prospecting")
    response = client.post(f"/pipeline/deals/{deal_id}/stage", headers=REP, json={"to_stage": "teleported"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "to_stage"]


def test_a_caller_without_identity_is_refused(client):
    assert client.post("/registration/leads", json={}).status_code == 401


def test_a_poison_message_is_parked_and_the_consumer_carries_on(client, tmp_path):
    bus = client.app.state.runtime.bus

    from shared.contracts import REGISTRATION
    from shared.messaging.bus import Record

    client.portal.call(bus.publish, [Record(REGISTRATION, "k", b"{not json")])
    parked = [json.loads(line) for line in (tmp_path / "data" / "deadletter.jsonl").read_text().splitlines()]
    # each consumer of registration's topic parks it once, for its own operators
    assert sorted(line["headers"]["deadletter-consumer"] for line in parked) == ["notifications", "pipeline"]
    for line in parked:
        assert line["value"] == "{not json"
        assert line["headers"]["deadletter-reason"].startswith("not JSON")
    # and the pipeline still takes the next deal
    _, deal_id = capture_and_convert(client)
    eventually(lambda: pipeline_stage(client, deal_id) == "prospecting")


def test_metrics_count_commands_and_readiness_reports_ready(client):
    capture_and_convert(client, company="Metrics Co")
    assert client.get("/readyz").json() == {"status": "ready", "problems": {}}
    text = client.get("/metrics").text
    assert 'crm_commands_total{outcome="201",route="POST /registration/leads",service="registration"}' in text
    assert "crm_command_seconds_bucket" in text
    assert 'crm_messages_consumed_total{outcome="applied",service="pipeline"}' in text


def test_logs_are_json_lines_carrying_the_correlation_id(client, capsys):
    import logging

    from shared.observability import configure_logging, correlation_id

    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    configure_logging("json")
    token = correlation_id.set("corr-42")
    try:
        logging.getLogger("crm.test").warning("a line for the shipper")
    finally:
        correlation_id.reset(token)
        root.handlers[:], root.level = handlers, level
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert (line["message"], line["correlation_id"], line["level"]) == ("a line for the shipper", "corr-42", "WARNING")


TRACE = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


@pytest.mark.parametrize("on", [True, False], ids=["propagating", "off"])
def test_the_request_trace_context_rides_every_downstream_event_when_on(tmp_path, on):
    from shared.contracts import PIPELINE, parse_event

    settings = embedded_settings(tmp_path, trace_propagation=on)
    with TestClient(create_app(settings)) as client:
        seen = []

        async def tap(records):
            seen.extend(records)

        client.app.state.runtime.bus.subscribe(PIPELINE, tap)
        lead = client.post(
            "/registration/leads",
            headers={**REP, "traceparent": TRACE},
            json={"company": "Traced Co", "contact": {"name": "Li"}},
        ).json()["lead_id"]
        client.post(
            f"/registration/leads/{lead}/convert",
            headers={**REP, "traceparent": TRACE},
            json={"value": {"amount": "10.00"}, "expected_close_date": CLOSE_DATE.isoformat()},
        )
        record = eventually(lambda: seen[:1])[0]  # the pipeline's reaction, two hops away
    assert (record.header("traceparent") == TRACE) is on
    assert (parse_event(record.value).envelope.traceparent == TRACE) is on
