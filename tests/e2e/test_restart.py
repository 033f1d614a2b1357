"""A consumer killed in the middle of a stream resumes as if it had never stopped."""

from __future__ import annotations

import signal
import threading
import time

import httpx
import psycopg
import pytest

from tests.support.flow import CLOSE_DATE, eventually
from tests.support.identities import AUDITOR
from tests.support.processes import ServiceProcess, isolated_env
from tests.support.progress import consumed_to_the_end, metric

pytestmark = pytest.mark.slow

DEALS = 60


def register(http, n: int) -> str:
    response = http.post(
        "/registration/deals",
        headers={"X-User-Id": f"rep-{n % 10}"},  # within every rep's holding limit
        json={
            "name": f"deal {n}",
            "account": {"name": f"Customer {n:03d} Ltd."},
            "value": {"amount": f"{1000 + n}.00", "currency": "CNY"},
            "expected_close_date": CLOSE_DATE.isoformat(),
        },
    )
    assert response.status_code == 201, response.text
    return response.json()["deal_id"]


def listed(http) -> list[dict]:
    return http.get("/pipeline/deals", headers=AUDITOR, params={"limit": 500}).json()["items"]


def pipeline_consumed_everything(kafka: str, prefix: str) -> bool:
    """The pipeline's group has handled every message registration published: any duplicate
    delivery has landed by then (what it has committed will not come again)."""
    return consumed_to_the_end(kafka, f"{prefix}pipeline", f"{prefix}crm.registration")


@pytest.mark.parametrize("stop", [signal.SIGKILL, signal.SIGTERM], ids=["killed", "terminated"])
def test_the_pipeline_stopped_mid_stream_ends_with_every_deal_exactly_once(
    stop, database_url, schema_prefix, kafka, tmp_path
):
    """SIGKILL: no goodbye at all. SIGTERM: the graceful path — stop consuming, let the
    in-flight transaction commit, exit 0. Either way nothing is lost or doubled."""
    env = isolated_env(database_url, schema_prefix, kafka)
    registration = ServiceProcess("registration", env, tmp_path).launch()
    pipeline = ServiceProcess("pipeline", env, tmp_path).launch()
    try:
        registration.wait_ready()
        pipeline.wait_ready()
        reg_http, pipe_http = registration.client(), pipeline.client()
        deal_ids: list[str] = []

        def keep_registering() -> None:
            for n in range(DEALS):
                deal_ids.append(register(reg_http, n))
                time.sleep(0.03)

        writer = threading.Thread(target=keep_registering)
        writer.start()
        eventually(lambda: len(listed(pipe_http)) >= 5, timeout=30)
        pipeline.stop(stop)
        seen_before_kill = len(deal_ids)
        if stop == signal.SIGTERM:  # uvicorn re-raises the signal once it has shut down cleanly
            assert pipeline.process.returncode in (0, -signal.SIGTERM)
            log = pipeline.log_path.read_text()
            assert "Application shutdown complete" in log and "Traceback" not in log
        writer.join()
        assert seen_before_kill < DEALS, "the kill should land in the middle of the stream"

        pipeline.launch().wait_ready(timeout=60)
        pipe_http = pipeline.client()
        eventually(lambda: len(listed(pipe_http)) >= DEALS, timeout=60)
        eventually(lambda: pipeline_consumed_everything(kafka, schema_prefix), timeout=60)
        rows = listed(pipe_http)

        assert sorted(row["deal_id"] for row in rows) == sorted(deal_ids)
        assert {row["stage"] for row in rows} == {"prospecting"}
        with psycopg.connect(database_url) as connection:
            per_deal = connection.execute(
                f'SELECT originator_id, count(*) FROM "{schema_prefix}pipeline".pipeline_events GROUP BY originator_id'
            ).fetchall()
            versions = connection.execute(
                f'SELECT DISTINCT version FROM "{schema_prefix}pipeline".pipeline_deals'
            ).fetchall()
        assert len(per_deal) == DEALS
        assert {count for _, count in per_deal} == {2}  # Tracked + entered prospecting, once each
        assert versions == [(2,)]
    finally:
        pipeline.stop()
        registration.stop()


def test_two_pipeline_replicas_share_the_stream_and_apply_each_event_once(database_url, schema_prefix, kafka, tmp_path):
    env = isolated_env(database_url, schema_prefix, kafka)
    registration = ServiceProcess("registration", env, tmp_path).launch()
    first = ServiceProcess("pipeline", env, tmp_path).launch()
    second = ServiceProcess("pipeline", env, tmp_path)
    try:
        registration.wait_ready()
        first.wait_ready()
        reg_http = registration.client()
        deal_ids = [register(reg_http, n) for n in range(DEALS // 2)]
        second.launch().wait_ready(timeout=60)  # joins the group: a rebalance mid-stream
        deal_ids += [register(reg_http, n) for n in range(DEALS // 2, DEALS)]
        eventually(lambda: len(listed(first.client())) >= DEALS, timeout=90)
        eventually(lambda: pipeline_consumed_everything(kafka, schema_prefix), timeout=60)
        with psycopg.connect(database_url) as connection:
            per_deal = connection.execute(
                f'SELECT originator_id, count(*) FROM "{schema_prefix}pipeline".pipeline_events GROUP BY originator_id'
            ).fetchall()
        assert len(per_deal) == DEALS
        assert {count for _, count in per_deal} == {2}

        def consumed(process: ServiceProcess) -> float:
            return metric(process.client(), "crm_messages_consumed_total", outcome="applied", service="pipeline") or 0.0

        assert consumed(first) > 0 and consumed(second) > 0, "both replicas took a share of the partitions"
    finally:
        second.stop()
        first.stop()
        registration.stop()


def test_after_kill_9_the_pipeline_answers_http_at_once_and_catches_up_before_it_is_ready(
    database_url, schema_prefix, kafka, tmp_path
):
    """The consumer group takes its time to settle after a member died without leaving (its
    session must time out first): meanwhile the new process already answers /healthz and
    reads, and /readyz says it is catching up, with the reason, until it is ready."""
    env = isolated_env(database_url, schema_prefix, kafka)
    registration = ServiceProcess("registration", env, tmp_path).launch()
    pipeline = ServiceProcess("pipeline", env, tmp_path).launch()
    try:
        registration.wait_ready(60)
        pipeline.wait_ready(60)
        reg_http = registration.client()
        deal_ids = [register(reg_http, n) for n in range(5)]
        eventually(lambda: len(listed(pipeline.client())) >= 5, timeout=30)
        pipeline.stop(signal.SIGKILL)
        deal_ids += [register(reg_http, n) for n in range(5, 10)]  # recorded while it is down

        pipeline.launch()
        launched = time.monotonic()
        answers: list[tuple[float, str, str, dict]] = []  # (seconds, endpoint, status, problems)
        read_while_catching_up = None
        while time.monotonic() - launched < 120:
            try:
                live = httpx.get(f"{pipeline.url}/healthz", timeout=2)
                ready = httpx.get(f"{pipeline.url}/readyz", timeout=2)
            except httpx.HTTPError:
                time.sleep(0.1)
                continue
            now = round(time.monotonic() - launched, 1)
            answers.append((now, "healthz", str(live.status_code), {}))
            body = ready.json()
            answers.append((now, "readyz", body["status"], body["problems"]))
            if ready.status_code == 200:
                break
            if read_while_catching_up is None:
                read_while_catching_up = len(listed(pipeline.client()))
            time.sleep(0.2)
        readyz = [(status, problems) for _, endpoint, status, problems in answers if endpoint == "readyz"]
        assert readyz and readyz[-1][0] == "ready", answers
        # HTTP came first: the first answers said "catching up", each with its reason, then "ready".
        assert readyz[0][0] == "catching up", answers
        assert {status for status, _ in readyz[:-1]} == {"catching up"}, answers
        assert all(problems for _, problems in readyz[:-1]), answers
        assert read_while_catching_up is not None and read_while_catching_up >= 5

        rows = eventually(lambda: (r := listed(pipeline.client())) and len(r) >= len(deal_ids) and r, timeout=60)
        assert sorted(row["deal_id"] for row in rows) == sorted(deal_ids)
    finally:
        pipeline.stop()
        registration.stop()
