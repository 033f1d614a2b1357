"""Readiness says why a process should get no traffic: a projection behind by more than
CRM_READY_MAX_LAG is catching up, a worker failing CRM_READY_STUCK_FAILURES times in a row
is stuck, a start-up that cannot reach Kafka is not ready (and HTTP answers all along)."""

from __future__ import annotations

import threading

from fastapi.testclient import TestClient

from crm.app import create_app
from tests.support.embedded import embedded_settings
from tests.support.flow import capture_and_convert, eventually
from tests.support.infrastructure import free_port


def readiness(client: TestClient) -> tuple[int, dict]:
    response = client.get("/readyz")
    return response.status_code, response.json()


def test_a_projection_behind_by_more_than_the_limit_is_lagging_until_it_catches_up(tmp_path):
    app = create_app(embedded_settings(tmp_path, ready_max_lag=1))
    projector = app.state.services["registration"].projectors[0]
    held = threading.Event()
    held.set()  # while set, the projector applies nothing
    apply = projector.run_once
    projector.run_once = lambda *args, **kwargs: 0 if held.is_set() else apply(*args, **kwargs)
    with TestClient(app) as client:
        capture_and_convert(client)
        behind = app.state.services["registration"].app.recorder.max_notification_id()
        assert behind > 1 and projector.position() == 0
        status, body = readiness(client)
        assert (status, body["status"]) == (503, "catching up")
        assert body["problems"][f"registration projection {projector.projection.name}"] == f"lagging: {behind} events"
        held.clear()
        eventually(lambda: readiness(client)[0] == 200)


def test_a_worker_failing_again_and_again_is_stuck_naming_the_error_until_it_recovers(tmp_path):
    app = create_app(embedded_settings(tmp_path, ready_stuck_failures=3))
    projector = app.state.services["pipeline"].projectors[0]
    failing = threading.Event()
    failing.set()
    apply = projector.run_once

    def run_once(*args, **kwargs) -> int:
        if failing.is_set():
            raise ZeroDivisionError("a bug in the projection")
        return apply(*args, **kwargs)

    projector.run_once = run_once
    with TestClient(app) as client:
        status, body = eventually(lambda: (answer := readiness(client))[0] == 503 and answer)
        assert body == {
            "status": "not ready",
            "problems": {f"pipeline projector {projector.projection.name}": "stuck: ZeroDivisionError"},
        }
        failing.clear()
        eventually(lambda: readiness(client)[0] == 200, timeout=20)


def test_an_unreachable_broker_at_start_up_is_reported_while_http_answers_and_shutdown_is_prompt(tmp_path):
    nobody = f"127.0.0.1:{free_port()}"  # nothing listens there
    app = create_app(embedded_settings(tmp_path, kafka_bootstrap_servers=nobody), names=["pipeline"])
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        status, body = eventually(lambda: (answer := readiness(client))[1]["status"] == "not ready" and answer)
        assert status == 503
        assert body["problems"]["start-up"].startswith("connecting to Kafka failed, retrying: KafkaConnectionError")
        assert client.get("/pipeline/stages", headers={"X-User-Id": "rep-1"}).status_code == 200
    # leaving the client ran the shutdown: the retrying start-up was given up, not awaited
