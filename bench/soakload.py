"""The soak's load: a mix of commands over HTTP from a small pool of clients, and a ledger of
what the clients were told. Each command carries an Idempotency-Key of its own, and a 503 or
no answer at all is sent again with the same key (backing off, for up to RETRY_SECONDS), so
every command ends known: acknowledged (2xx, or a replay of it), applied with its answer
lost (409 `applied`: it happened, once), or refused (any other status: it did not happen).
Only a command still unanswered after all its retries is left uncertain (and the verdict
counts it).

Commands on one deal never overlap (a deal is busy while a command on it is in flight), so
the order of a deal's acknowledged stage changes is the order they were decided in, and the
stage it must end on is the last one acknowledged."""

from __future__ import annotations

import http.client
import json
import queue
import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench.common import ADMIN
from bench.generate import ACTIVITIES, OPEN_STAGES, OWNERS

Task = tuple[str, str, str]  # kind (register / stage / activity), deal id or account, argument
TIMEOUT = 90.0  # longer than a store's own retries through an outage: every command gets an answer
RETRY_SECONDS = 75.0  # a command answered 503 or not at all is sent again for this long (an outage is shorter)


@dataclass
class Ledger:
    """What the clients were told; every field guarded by `lock`."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    accounts: dict[str, str] = field(default_factory=dict)  # acknowledged registration: deal id → account
    unanswered: set[str] = field(default_factory=set)  # accounts whose registration got no answer, retries and all
    applied: set[str] = field(default_factory=set)  # accounts registered once, the answer (the deal id) lost
    arrived: set[str] = field(default_factory=set)  # acknowledged deals the pipeline has shown
    waiting: set[str] = field(default_factory=set)  # acknowledged deals not yet seen there
    idle: list[str] = field(default_factory=list)  # arrived deals with no command in flight
    stage: dict[str, str] = field(default_factory=dict)  # the last acknowledged stage of each deal
    moves: Counter[str] = field(default_factory=Counter)  # acknowledged stage changes per deal
    activities: Counter[str] = field(default_factory=Counter)  # acknowledged activities per deal
    uncertain: set[str] = field(default_factory=set)  # deals with a command that got no answer, retries and all
    acknowledged: Counter[str] = field(default_factory=Counter)  # per kind
    refused: Counter[str] = field(default_factory=Counter)  # per kind and status
    refused_on: Counter[str] = field(default_factory=Counter)  # refused stage changes and activities per deal
    skipped: int = 0  # ticks not sent because every client was still busy
    retried: int = 0  # attempts sent again (same key) after a 503 or no answer
    sent: int = 0

    def arrive(self, deal_ids: set[str]) -> None:
        with self.lock:
            for deal_id in deal_ids & self.waiting:
                self.waiting.discard(deal_id)
                self.arrived.add(deal_id)
                self.idle.append(deal_id)


class Load:
    def __init__(self, registration: str, pipeline: str, clients: int, seed: int = 17) -> None:
        self.urls = {"register": registration, "stage": pipeline, "activity": pipeline}
        self.clients = clients
        self.ledger = Ledger()
        self.rng = random.Random(seed)
        self.numbers = iter(range(10**9))
        self.tag = f"{seed}-{time.time_ns() % 10**9}"

    # -- what to send next ----------------------------------------------------------------------

    def next_task(self) -> Task:
        """Four in ten register a deal, the rest change a stage or log an activity on a deal
        the pipeline has and no client is working on (a registration when there is none)."""
        ledger, roll = self.ledger, self.rng.random()
        with ledger.lock:
            if roll >= 0.4 and ledger.idle:
                deal_id = ledger.idle.pop(self.rng.randrange(len(ledger.idle)))
                if roll < 0.7:
                    here = ledger.stage.get(deal_id, "prospecting")
                    return "stage", deal_id, self.rng.choice([s for s in OPEN_STAGES if s != here])
                return "activity", deal_id, self.rng.choice(ACTIVITIES)
        return "register", f"Soak {self.tag} Customer {next(self.numbers):07d} Ltd.", self.rng.choice(OWNERS)

    # -- sending it ------------------------------------------------------------------------------

    def send(self, connections: dict[str, http.client.HTTPConnection], task: Task) -> None:
        kind, subject, argument = task
        if kind == "register":
            path, headers = "/registration/deals", {"X-User-Id": argument, "X-User-Role": "rep"}
            body: dict[str, Any] = {
                "name": f"{subject} rollout",
                "account": {"name": subject},
                "value": {"amount": "120000.00", "currency": "CNY"},
                "expected_close_date": "2027-06-30",
            }
        elif kind == "stage":
            path, headers, body = f"/pipeline/deals/{subject}/stage", ADMIN, {"to_stage": argument, "reason": "soak"}
        else:
            path, headers = f"/pipeline/deals/{subject}/activities", ADMIN
            body = {"kind": argument, "subject": f"soak {argument}"}
        status, text = self._until_answered(connections, self.urls[kind], path, body, headers)
        self.record(task, status, text)

    def _until_answered(
        self,
        connections: dict[str, http.client.HTTPConnection],
        url: str,
        path: str,
        body: dict[str, Any],
        headers: dict[str, str],
    ) -> tuple[int, str]:
        """The command's answer, sent again with the same key while it is 503 (the store away,
        perhaps cut while it committed), none at all, or 409 `in-flight` (a first attempt the
        client gave up on is still being answered)."""
        keyed = {**headers, "Idempotency-Key": str(uuid.uuid4())}
        give_up, pause = time.monotonic() + RETRY_SECONDS, 0.25
        while True:
            try:
                status, text = _post(connections, url, path, body, keyed)
            except (OSError, http.client.HTTPException):
                status, text = 0, ""
                connections.pop(url, None)  # a fresh connection for the next attempt
            if not (status in (0, 503) or _idempotency(status, text) == "in-flight") or time.monotonic() > give_up:
                return status, text
            with self.ledger.lock:
                self.ledger.retried += 1
            time.sleep(pause)
            pause = min(pause * 2, 8.0)

    def record(self, task: Task, status: int, text: str) -> None:
        kind, subject, argument = task
        ledger = self.ledger
        applied = _idempotency(status, text) == "applied"  # it happened, once; its answer was lost
        with ledger.lock:
            ledger.sent += 1
            if 200 <= status < 300 or applied:
                ledger.acknowledged[kind] += 1
                if kind == "register" and applied:
                    ledger.applied.add(subject)
                elif kind == "register":
                    deal_id = json.loads(text)["deal_id"]
                    ledger.accounts[deal_id] = subject
                    ledger.waiting.add(deal_id)
                elif kind == "stage":
                    ledger.stage[subject] = argument
                    ledger.moves[subject] += 1
                else:
                    ledger.activities[subject] += 1
            else:
                ledger.refused[f"{kind} {status or 'no answer'}"] += 1
                if kind != "register":
                    ledger.refused_on[subject] += 1
                # Still no answer after every retry: it may or may not have happened, so it is
                # kept out of the exact checks (the verdict counts these; the soak expects none).
                if status in (0, 503):
                    (ledger.unanswered if kind == "register" else ledger.uncertain).add(subject)
            if kind != "register":
                ledger.idle.append(subject)

    # -- the client pool -------------------------------------------------------------------------

    def _client(self, take: Callable[[], Task | None]) -> None:
        connections: dict[str, http.client.HTTPConnection] = {}
        while (task := take()) is not None:
            self.send(connections, task)
        for connection in connections.values():
            connection.close()

    def flat_out(self, seconds: float) -> float:
        """Closed loop, every client sending its next command as soon as the last was answered:
        the capacity of this mix, in acknowledged commands per second."""
        before = sum(self.ledger.acknowledged.values())
        stop_at = time.monotonic() + seconds

        def take() -> Task | None:
            return self.next_task() if time.monotonic() < stop_at else None

        started = time.monotonic()
        self._pool(take)
        return (sum(self.ledger.acknowledged.values()) - before) / (time.monotonic() - started)

    def steady(self, rate: float, seconds: float, stopped: threading.Event) -> None:
        """Open loop: one command every 1/rate s, whatever the answers; a tick when every client
        is still busy (a queue of more than two per client) is skipped and counted."""
        tasks: queue.Queue[Task | None] = queue.Queue()

        def dispatch() -> None:
            due, stop_at = time.monotonic(), time.monotonic() + seconds
            while due < stop_at and not stopped.is_set():
                time.sleep(max(0.0, due - time.monotonic()))
                if tasks.qsize() > 2 * self.clients:
                    with self.ledger.lock:
                        self.ledger.skipped += 1
                else:
                    tasks.put(self.next_task())
                due += 1 / rate
            for _ in range(self.clients):
                tasks.put(None)

        dispatcher = threading.Thread(target=dispatch, name="soak-dispatch")
        dispatcher.start()
        self._pool(tasks.get)
        dispatcher.join()

    def _pool(self, take: Callable[[], Task | None]) -> None:
        threads = [threading.Thread(target=self._client, args=(take,), name=f"soak-{n}") for n in range(self.clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()


def _post(
    connections: dict[str, http.client.HTTPConnection],
    url: str,
    path: str,
    body: dict[str, Any],
    headers: dict[str, str],
) -> tuple[int, str]:
    if url not in connections:
        host, port = url.removeprefix("http://").split(":")
        connections[url] = http.client.HTTPConnection(host, int(port), timeout=TIMEOUT)
    connection = connections[url]
    connection.request("POST", path, body=json.dumps(body), headers={"content-type": "application/json", **headers})
    response = connection.getresponse()
    return response.status, response.read().decode()


def _idempotency(status: int, text: str) -> str | None:
    """What a 409 says of the command's Idempotency-Key (`in-flight`, `applied`), if anything."""
    if status != 409:
        return None
    try:
        return json.loads(text).get("idempotency")
    except (ValueError, AttributeError):
        return None
