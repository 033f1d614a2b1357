"""What every part of `make bench` shares: the sizes, the database, the services as real
processes driven over HTTP, and figures as the median of repeated runs with their spread."""

from __future__ import annotations

import http.client
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parents[1]))

from shared.contracts import CloudEvent, Money, parse_event  # noqa: E402
from shared.contracts import events as public  # noqa: E402
from shared.eventstore.application import meta  # noqa: E402
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
# Each throughput is the median of this many runs, min and max beside it: one sitting on a
# shared machine swings two- to three-fold, a single run says little.
REPEATS = max(1, int(os.environ.get("CRM_BENCH_REPEATS", "3")))
WHO = meta("bench", "bench")
ADMIN = {"X-User-Id": "bench-admin", "X-User-Role": "admin"}
LOGS = Path(tempfile.mkdtemp(prefix="crm-bench-"))

# One line of the printed table: measure, ours, baseline, ratio, goal, met.
Row = list[Any]


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds else float("inf")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


@dataclass(frozen=True)
class Spread:
    """Repeated measurements of one figure."""

    values: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    def text(self, unit: str = "/s") -> str:
        if len(self.values) == 1:
            return f"{self.values[0]:,.0f}{unit}"
        return f"{self.median:,.0f}{unit} ({min(self.values):,.0f}–{max(self.values):,.0f}, n={len(self.values)})"


def repeat(measure: Callable[[int], float], times: int = REPEATS) -> Spread:
    """`measure(run)` for run 0, 1, …: each run does fresh work (new ids, topics or schemas)."""
    return Spread(tuple(measure(run) for run in range(times)))


def versus(measure: str, ours: Spread, baseline_name: str, baseline: Spread, goal: float) -> Row:
    """A throughput beside its same-run baseline; the ratio is of the medians."""
    ratio = ours.median / baseline.median
    return [measure, ours.text(), f"{baseline_name} {baseline.text()}", f"{ratio:.0%}", f"≥ {goal:.0%}", ratio >= goal]


def registered(deal_id: str, n: int, amount: str = "1000", owner: str = "bench") -> Any:
    """A registration's public event as the pipeline receives it."""
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


Request = tuple[str, str, dict[str, Any] | None, dict[str, str]]


def drive(url: str, requests: list[Request]) -> tuple[float, list[Answer]]:
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


def driven(url: str, requests: list[Request], status: int) -> float:
    """The rate at which the server answered every request with `status`."""
    seconds, answers = drive(url, requests)
    wrong = [a.text for a in answers if a.status_code != status]
    assert not wrong, wrong[:3]
    return rate(len(answers), seconds)


def wait_until(probe: Callable[[], bool], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not probe():
        if time.monotonic() > deadline:
            raise TimeoutError("the services did not catch up in time")
        time.sleep(0.1)


def fill(service: Any, events: int, per_deal: int) -> None:
    """Record about `events` events in the pipeline's store: deals entering the pipeline
    (two events each), then activity notes, one save per deal."""
    for n in range(max(1, events // per_deal)):
        deal_id = str(uuid.uuid4())
        service.handle(registered(deal_id, n))
        deal = service.app.get_deal(deal_id)
        for k in range(per_deal - 2):
            deal.log_activity(f"a{k}", "note", f"note {k}", None, None, datetime.now(UTC), WHO)
        service.app.save(deal)
