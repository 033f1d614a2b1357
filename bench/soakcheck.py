"""What the soak looks at: per step, each consumer group's lag (asked of the broker, so a stalled
consumer cannot report itself level), each outbox's and projection's backlog (the process's own
/metrics), each process's resident memory (/proc); and at the end, the proof from the read
models and the pipeline's event store that every acknowledged command is there exactly once
and nothing else is."""

from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg

from bench.soakload import Ledger
from tests.support.processes import ServiceProcess
from tests.support.progress import behind

# Each service's consumer group and the topics it reads (services/*/bootstrap.py).
CONSUMES = {
    "registration": ("crm.pipeline",),
    "pipeline": ("crm.registration",),
    "forecast": ("crm.pipeline",),
    "notifications": ("crm.registration", "crm.pipeline"),
}
SHORT = {"registration": "reg", "pipeline": "pipe", "forecast": "fcst", "notifications": "notif"}
# Resident memory may end this much above the first minute's: caches (SQLAlchemy's compiled
# statements, the stage sets, connection pools) and the allocator's arenas fill during the first
# minutes and then stay; a leak grows with the commands handled and crosses it in a long soak.
RSS_GROWTH = 0.25
RSS_SLACK_MIB = 16.0  # and at least this much: one pool of connections re-opened after the cut


@dataclass
class Sample:
    seconds: float
    note: str
    acknowledged: int
    refused: int
    lag: dict[str, int | None]  # consumer group → messages behind (None: the broker did not answer)
    backlog: int | None  # every outbox's unpublished events and every projection's unapplied ones
    rss: dict[str, float]  # service → MiB


def sample(
    seconds: float, note: str, processes: dict[str, ServiceProcess], bootstrap: str, prefix: str, ledger: Ledger
) -> Sample:
    with ledger.lock:  # first: the questions below take seconds while the broker is paused
        acknowledged, refused = sum(ledger.acknowledged.values()), sum(ledger.refused.values())
    rss = {name: _rss(process) for name, process in processes.items()}
    asked = [
        (service, f"{prefix}{service}", f"{prefix}{topic}") for service, topics in CONSUMES.items() for topic in topics
    ]
    with ThreadPoolExecutor(len(asked)) as pool:  # together: each waits up to seconds on a paused broker
        answers = list(pool.map(lambda a: behind(bootstrap, a[1], a[2], timeout=4.0), asked))
    lag: dict[str, int | None] = {}
    for service in CONSUMES:
        mine = [answer for (asker, _, _), answer in zip(asked, answers, strict=True) if asker == service]
        lag[service] = None if None in mine else sum(a or 0 for a in mine)
    return Sample(
        seconds,
        note,
        acknowledged,
        refused,
        lag,
        _backlog(processes),
        rss,
    )


def _backlog(processes: dict[str, ServiceProcess]) -> int | None:
    total = 0
    for name, process in processes.items():
        try:
            with httpx.Client(base_url=process.url, timeout=5) as http:
                text = http.get("/metrics").text
        except httpx.HTTPError:
            return None
        from prometheus_client.parser import text_string_to_metric_families

        for family in text_string_to_metric_families(text):
            for s in family.samples:
                if s.name in ("crm_outbox_backlog", "crm_projection_lag") and s.labels.get("service") == name:
                    total += int(s.value)
    return total


def _rss(process: ServiceProcess) -> float:
    """VmRSS of the service's process (it forks no workers), in MiB."""
    assert process.process is not None
    for line in Path(f"/proc/{process.process.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def drained(processes: dict[str, ServiceProcess], bootstrap: str, prefix: str, timeout: float) -> float:
    """Seconds until every group has consumed its topics to the end and every outbox and
    projection is level (or `timeout`, and the verdict will say the lag did not come back)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        level = all(
            behind(bootstrap, f"{prefix}{service}", f"{prefix}{topic}") == 0
            for service, topics in CONSUMES.items()
            for topic in topics
        )
        if level and _backlog(processes) == 0:
            return time.monotonic() - started
        time.sleep(1.0)
    return time.monotonic() - started


def table(samples: list[Sample], header: bool = True) -> str:
    names = list(CONSUMES)
    head = ["t (s)", "acked", "refused", "rate/s", *(f"lag {SHORT[n]}" for n in names), "backlog"]
    head += [f"RSS {SHORT[n]}" for n in names] + ["events"]
    rows = []
    for i, s in enumerate(samples):
        before = samples[i - 1] if i else None
        span = s.seconds - before.seconds if before else 0
        pace = f"{(s.acknowledged - before.acknowledged) / span:.0f}" if before and span > 0 else ""
        lags = ["?" if s.lag[n] is None else str(s.lag[n]) for n in names]
        backlog = "?" if s.backlog is None else str(s.backlog)
        rows.append(
            [f"{s.seconds:.0f}", str(s.acknowledged), str(s.refused), pace, *lags, backlog]
            + [f"{s.rss[n]:.0f}" for n in names]
            + [s.note]
        )
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    shown = [head, ["-" * w for w in widths], *rows] if header else rows
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in shown)


@dataclass
class Verdict:
    checks: list[tuple[str, bool, str]] = field(default_factory=list)
    summary: str = ""

    @property
    def passed(self) -> bool:
        return all(ok for _, ok, _ in self.checks)

    def check(self, name: str, ok: bool, detail: str = "") -> None:
        self.checks.append((name, ok, detail))

    def text(self) -> str:
        lines = [self.summary] + [
            f"  {'ok  ' if ok else 'FAIL'} {name}{f': {d}' if d else ''}" for name, ok, d in self.checks
        ]
        return "\n".join([*lines, f"verdict: {'PASS' if self.passed else 'FAIL'}"])


def verify(
    ledger: Ledger,
    samples: list[Sample],
    url: str,
    prefix: str,
    rate: float,
    capacity: float | None,
    deadlettered: dict[str, float | None],
) -> Verdict:
    verdict = Verdict()
    acked = ledger.accounts
    refused = ", ".join(f"{k} ×{v}" for k, v in sorted(ledger.refused.items())) or "none"
    verdict.summary = (
        f"rate {rate:.0f}/s"
        + (f" (capacity {capacity:.0f}/s)" if capacity else "")
        + f"; acknowledged {sum(ledger.acknowledged.values())} ({', '.join(f'{k} {v}' for k, v in sorted(ledger.acknowledged.items()))});"
        f" refused or unanswered: {refused}; ticks skipped (clients busy): {ledger.skipped};"
        f" sent again with their key: {ledger.retried}; applied with the answer lost: {len(ledger.applied)}"
    )
    registration, pipeline, forecast, stage_events, activity_events = _read(url, prefix)
    verdict.check(
        "every command answered in the end (503 or no answer sent again with its Idempotency-Key)",
        not (ledger.unanswered or ledger.uncertain),
        f"{len(ledger.unanswered)} registrations and {len(ledger.uncertain)} deals' commands never answered"
        if ledger.unanswered or ledger.uncertain
        else "",
    )
    allowed = set(acked.values()) | ledger.unanswered
    _same_deals(verdict, "registration read model", acked, registration, allowed, ledger.applied)
    _same_deals(verdict, "pipeline read model", acked, pipeline, allowed, ledger.applied)
    _same_deals(verdict, "forecast read model", acked, forecast, allowed, ledger.applied)
    sure = [d for d in acked if d not in ledger.uncertain]
    wrong = [
        d
        for d in sure
        if not (
            pipeline.get(d, (None, None, 0))[1]
            == forecast.get(d, (None, None, 0))[1]
            == ledger.stage.get(d, "prospecting")
        )
    ]
    verdict.check(
        "every deal stands, in both read models, on its last acknowledged stage",
        not wrong,
        f"{len(sure) - len(wrong)} of {len(sure)} ({sum(ledger.moves.values())} stage changes)"
        + (f"; e.g. {wrong[:3]}" if wrong else ""),
    )
    moved = [d for d in sure if stage_events.get(d, 0) != 1 + ledger.moves[d]]  # 1: entering prospecting
    verdict.check(
        "each acknowledged stage change recorded once",
        not moved,
        f"off on {len(moved)} deals (deal, acknowledged, recorded, refused on it): "
        + str([(d, 1 + ledger.moves[d], stage_events.get(d, 0), ledger.refused_on[d]) for d in moved[:3]])
        if moved
        else "",
    )
    logged = [d for d in sure if activity_events.get(d, 0) != ledger.activities[d]]
    verdict.check(
        "each acknowledged activity recorded once",
        not logged,
        f"{sum(ledger.activities.values())} activities"
        + (
            f"; off on {len(logged)} deals (deal, acknowledged, recorded, refused on it): "
            + str([(d, ledger.activities[d], activity_events.get(d, 0), ledger.refused_on[d]) for d in logged[:3]])
            if logged
            else ""
        ),
    )
    parked = _parked(url, prefix)
    verdict.check(
        "nothing parked or dead-lettered",
        not any(parked.values()) and not any(deadlettered.values()),
        ", ".join(
            [
                *(f"{k} parked {v}" for k, v in parked.items() if v),
                *(f"{k} dead-lettered {v:.0f}" for k, v in deadlettered.items() if v),
            ]
        ),
    )
    lost = [d for d in acked if d not in pipeline or d not in registration or d not in forecast]
    if lost:  # where the chain dropped them: recorded by registration at all, and at which position
        verdict.summary += (
            f"\n  missing from a read model, as registration recorded them: {_traced(url, prefix, lost[:5])}"
        )
    last, first = samples[-1], samples[0]
    verdict.check(
        "consumer lag back to where it started",
        all(v == 0 for v in last.lag.values()) and last.backlog == 0,
        f"start {first.lag} backlog {first.backlog}; end {last.lag} backlog {last.backlog}",
    )
    minute = next((s for s in samples if s.seconds >= 55), samples[1] if len(samples) > 1 else first)
    grown = {
        n: f"{minute.rss[n]:.0f}→{last.rss[n]:.0f}"
        for n in last.rss
        if last.rss[n] > max(minute.rss[n] * (1 + RSS_GROWTH), minute.rss[n] + RSS_SLACK_MIB)
    }
    verdict.check(
        f"resident memory within {RSS_GROWTH:.0%} (or {RSS_SLACK_MIB:.0f} MiB) of the first minute's",
        not grown,
        ", ".join(f"{n} {minute.rss[n]:.0f}→{last.rss[n]:.0f} MiB" for n in last.rss),
    )
    return verdict


def _same_deals(
    verdict: Verdict, where: str, acked: dict[str, str], seen: dict[str, Any], allowed: set[str], applied: set[str]
) -> None:
    """`applied`: accounts registered (409 `applied`) whose deal id the client never learned."""
    accounts = {account for account, _, _ in seen.values()}
    missing = [d for d in acked if d not in seen] + [a for a in applied if a not in accounts]
    unknown = [d for d, (account, _, _) in seen.items() if d not in acked and account not in allowed | applied]
    doubled = [d for d, (_, _, copies) in seen.items() if copies != 1]
    twice = [a for a, n in Counter(account for account, _, _ in seen.values()).items() if n > 1]
    verdict.check(
        f"every acknowledged registration in the {where} exactly once, no deal no command made",
        not (missing or unknown or doubled or twice),
        f"{len(acked) + len(applied)} acknowledged, {len(seen)} there; missing {len(missing)}, unknown {len(unknown)},"
        f" doubled {len(doubled) + len(twice)}"
        + (f"; e.g. {(missing + unknown + doubled + twice)[:3]}" if missing or unknown or doubled or twice else ""),
    )


Row = tuple[str | None, str | None, int]  # account, current stage, copies


def _read(
    url: str, prefix: str
) -> tuple[dict[str, Row], dict[str, Row], dict[str, Row], dict[str, int], dict[str, int]]:
    with psycopg.connect(url) as connection:
        registration: dict[str, Row] = {
            d: (a, None, 1)
            for d, a in connection.execute(
                f'SELECT deal_id, account_name FROM "{prefix}registration".registration_deals'
            )
        }
        pipeline: dict[str, Row] = {
            d: (a, s, 1)
            for d, a, s in connection.execute(
                f'SELECT deal_id, account_name, stage FROM "{prefix}pipeline".pipeline_deals'
            )
        }
        # The forecast has no account names: its deals are told apart by id, the pipeline's name them.
        forecast: dict[str, Row] = {
            d: (pipeline.get(d, (None, None, 0))[0], s, n)
            for d, s, n in connection.execute(
                f"SELECT deal_id, max(stage) FILTER (WHERE valid_to IS NULL), count(*) FILTER (WHERE valid_to IS NULL)"
                f' FROM "{prefix}forecast".forecast_versions GROUP BY deal_id'
            )
        }
        events = f'"{prefix}pipeline".pipeline_events'
        stage_events: dict[str, int] = dict(
            connection.execute(
                f"SELECT originator_id::text, count(*) FROM {events} WHERE topic LIKE %s GROUP BY 1",
                ("%.StageChanged",),
            ).fetchall()
        )
        activity_events: dict[str, int] = dict(
            connection.execute(
                f"SELECT originator_id::text, count(*) FROM {events} WHERE topic LIKE %s"
                " AND convert_from(state, 'UTF8')::jsonb->>'kind' <> 'task' GROUP BY 1",  # the stages' own tasks
                ("%.ActivityLogged",),
            ).fetchall()
        )
    return registration, pipeline, forecast, stage_events, activity_events


def _parked(url: str, prefix: str) -> dict[str, int]:
    """Events a projection or consumer set aside (parked_events), per service."""
    counts = {}
    with psycopg.connect(url) as connection:
        for service in CONSUMES:
            counts[service] = connection.execute(f'SELECT count(*) FROM "{prefix}{service}".parked_events').fetchone()[
                0
            ]  # type: ignore[index]
    return counts


def _traced(url: str, prefix: str, deal_ids: list[str]) -> list[tuple[str, Any]]:
    with psycopg.connect(url) as connection:
        return [
            (
                d,
                connection.execute(
                    f'SELECT notification_id, topic FROM "{prefix}registration".registration_events'
                    " WHERE originator_id = %s ORDER BY notification_id",
                    (d,),
                ).fetchall(),
            )
            for d in deal_ids
        ]
