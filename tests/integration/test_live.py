"""The live streams (GET /pipeline/live, GET /registration/live) against the embedded
application: what a subscriber is told after a command, heartbeats, Last-Event-ID, and the
stream ending when the client goes away or the server stops."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient

from crm.app import create_app
from shared.web.live import LiveFeed
from tests.support.embedded import embedded_settings, settle
from tests.support.identities import AUDITOR, MANAGER, REP
from tests.support.streams import Stream


@pytest.fixture(scope="module")
def client(tmp_path_factory) -> Iterator[TestClient]:
    with TestClient(create_app(embedded_settings(tmp_path_factory.mktemp("live")))) as http:
        yield http


def feed(client: TestClient, service: str) -> LiveFeed:
    live = client.app.state.services[service].live  # type: ignore[attr-defined]
    assert live is not None
    return live


def register(client: TestClient, days: int = 60) -> str:
    made = client.post(
        "/registration/deals",
        headers=REP,
        json={
            "name": f"Live {uuid4().hex[:8]}",
            "account": {"name": f"Account {uuid4().hex[:8]}"},
            "value": {"amount": "1000.00", "currency": "CNY"},
            "expected_close_date": (date.today() + timedelta(days=days)).isoformat(),
        },
    )
    assert made.status_code == 201, made.text
    return str(made.json()["deal_id"])


def data(event: dict[str, str]) -> dict[str, object]:
    return dict(json.loads(event["data"]))


@pytest.mark.parametrize("service", ["pipeline", "registration"])
def test_a_subscriber_is_told_the_read_model_changed_after_a_command(client, service):
    settle(client.app)
    stream = Stream(client, f"/{service}/live", REP)
    try:
        assert stream.status == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        assert stream.headers["cache-control"] == "no-cache" and stream.headers["x-accel-buffering"] == "no"
        ready = stream.next_event()
        assert ready["event"] == "ready" and ready["retry"] == "2000"
        before = int(ready["id"])
        assert data(ready) == {"service": service, "position": before}

        register(client)

        changed = stream.next_event()
        assert changed["event"] == "changed"
        assert int(changed["id"]) > before
        assert data(changed) == {"service": service, "position": int(changed["id"])}
    finally:
        stream.close()


def test_a_manager_approving_moves_the_queue_stream_on(client):
    deal_id = register(client, days=500)  # beyond the rules' 12 months: it waits for review
    settle(client.app)
    stream = Stream(client, "/registration/live", AUDITOR)  # any role may listen
    try:
        before = int(stream.next_event()["id"])
        approved = client.post(f"/registration/deals/{deal_id}/approve", headers=MANAGER)
        assert approved.status_code == 200, approved.text
        assert int(stream.next_event()["id"]) > before
    finally:
        stream.close()


def test_an_idle_stream_sends_heartbeats(client):
    settle(client.app)
    live = feed(client, "pipeline")
    live.heartbeat_seconds = 0.2
    try:
        stream = Stream(client, "/pipeline/live", REP)
        assert stream.next_event()["event"] == "ready"
        assert stream.next_block() == ": keep-alive"
        assert stream.next_block() == ": keep-alive"
        stream.close()
    finally:
        live.heartbeat_seconds = 15.0


def test_a_client_back_from_an_older_position_is_told_at_once_and_one_up_to_date_is_not(client):
    settle(client.app)
    live = feed(client, "pipeline")
    live.heartbeat_seconds = 0.2
    try:
        behind = Stream(client, "/pipeline/live", {**REP, "Last-Event-ID": "0"})
        now = int(behind.next_event()["id"])
        assert now > 0  # the earlier tests moved it on
        missed = behind.next_event()
        assert missed["event"] == "changed" and int(missed["id"]) == now
        behind.close()

        current = Stream(client, "/pipeline/live", {**REP, "Last-Event-ID": str(now)})
        assert current.next_event()["event"] == "ready"
        assert current.next_block() == ": keep-alive"  # the next thing it hears: nothing changed
        current.close()
    finally:
        live.heartbeat_seconds = 15.0


def test_a_client_going_away_ends_its_stream_and_the_last_one_stops_the_poller(client):
    live = feed(client, "pipeline")
    first, second = Stream(client, "/pipeline/live", REP), Stream(client, "/pipeline/live", MANAGER)
    first.next_event(), second.next_event()
    assert live.subscribers == 2

    first.close()  # returns once the application has finished the response
    assert live.subscribers == 1 and live._poller is not None
    second.close()
    assert live.subscribers == 0 and live._poller is None


def test_a_closed_feed_ends_open_streams_with_a_complete_response(tmp_path):
    """What the server does as it begins to stop (crm/server.py: `close_streams`, every feed)."""
    with TestClient(create_app(embedded_settings(tmp_path))) as own:
        stream = Stream(own, "/registration/live", REP)
        assert stream.next_event()["event"] == "ready"
        assert own.portal is not None
        own.portal.call(feed(own, "registration").close)
        assert stream.next_block() == ""  # the response's last message: the stream ended, not cut off
        stream.finished.result(10)
        late = Stream(own, "/registration/live", REP)  # and a late subscriber is not kept open
        assert late.status == 200 and late.next_block() == ""
        late.finished.result(10)


def test_a_caller_without_an_identity_or_with_a_bad_last_event_id_is_refused(client):
    anonymous = Stream(client, "/pipeline/live", {})
    assert anonymous.status == 401, anonymous.body()
    anonymous.finished.result(10)
    bad = Stream(client, "/pipeline/live", {**REP, "Last-Event-ID": "yesterday"})
    assert bad.status == 422
    assert json.loads(bad.body())["detail"][0]["loc"] == ["header", "Last-Event-ID"]
    bad.finished.result(10)


def test_on_postgresql_the_stream_follows_the_positions_alone_as_for_a_projector_in_another_replica(
    postgres_settings,
):
    """In Kubernetes the projector that moves on may run in another pod: no nudge reaches this
    one, and the poll of the positions table is what tells its subscribers."""
    with TestClient(create_app(postgres_settings)) as replica:
        for service in replica.app.state.services.values():  # type: ignore[attr-defined]
            for projector in service.projectors:
                projector.listeners.clear()
        stream = Stream(replica, "/pipeline/live", REP)
        try:
            before = int(stream.next_event()["id"])
            register(replica)
            changed = stream.next_event()
            assert changed["event"] == "changed" and int(changed["id"]) > before
        finally:
            stream.close()
