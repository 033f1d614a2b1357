"""Commands over HTTP (register a deal, change a stage, log an activity), each against the
one service that decides it, as deployed; beside raw `save()` of the same aggregate change."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime

from bench.common import (
    ADMIN,
    COMMANDS,
    CONCURRENCY,
    URL,
    WHO,
    Row,
    Spread,
    driven,
    rate,
    registered,
    repeat,
    serve,
    versus,
)
from bench.generate import stories
from services.pipeline.bootstrap import bootstrap as pipeline_service
from services.pipeline.domain.stages import DEFAULT
from shared.settings import Settings


def raw_save(prefix: str) -> float:
    """The library alone: the aggregate read, changed and saved; no HTTP, no checks, no retries,
    and eventsourcing's own recorder (one transaction per save, no group commit)."""
    service = pipeline_service(Settings(database_url=URL, schema_prefix=prefix, poll_interval=60, group_commit=False))
    deals = [str(uuid.uuid4()) for _ in range(COMMANDS)]
    for n, deal_id in enumerate(deals):
        service.handle(registered(deal_id, n))
    started = time.perf_counter()
    for deal_id in deals:
        deal = service.app.get_deal(deal_id)
        deal.change_stage(DEFAULT, "proposal", None, datetime.now(UTC), WHO)
        service.app.save(deal)
    seconds = time.perf_counter() - started
    service.close()
    return rate(COMMANDS, seconds)


def commands(prefix: str, rows: list[Row]) -> None:
    """Its outbox relay and projector run beside each service, as deployed; the pipeline's
    deals are recorded beforehand, a fresh set for every run."""
    baseline = repeat(lambda run: raw_save(f"{prefix}raw{run}_"))
    process = serve(prefix, "registration")
    try:

        def register(run: int) -> float:
            plot = stories(COMMANDS, seed=1 + run)  # the seed names the customers: no run repeats one
            requests = [
                ("POST", "/registration/deals", s.registration(), {"X-User-Id": s.owner, "X-User-Role": "rep"})
                for s in plot
            ]
            return driven(process.url, requests, 201)

        registering = repeat(register)
    finally:
        process.stop()

    plot = stories(COMMANDS, seed=1)
    ids = [[str(uuid.uuid4()) for _ in plot] for _ in range(max(1, len(baseline.values)))]
    pipeline = pipeline_service(Settings(database_url=URL, schema_prefix=prefix, poll_interval=60))
    for n, deal_id in enumerate(i for run in ids for i in run):
        pipeline.handle(registered(deal_id, n))
    pipeline.projectors[0].catch_up()
    pipeline.close()
    process = serve(prefix, "pipeline")
    try:
        moving = repeat(
            lambda run: driven(
                process.url,
                [
                    ("POST", f"/pipeline/deals/{deal_id}/stage", {"to_stage": s.moves[0]}, ADMIN)
                    for deal_id, s in zip(ids[run], plot, strict=True)
                ],
                200,
            )
        )
        logging_ = repeat(
            lambda run: driven(
                process.url,
                [
                    ("POST", f"/pipeline/deals/{deal_id}/activities", {"kind": s.activities[0], "subject": "x"}, ADMIN)
                    for deal_id, s in zip(ids[run], plot, strict=True)
                ],
                201,
            )
        )
        # The ceiling the HTTP stack alone sets, for comparison: an answer that touches nothing.
        ceiling = repeat(lambda _: driven(process.url, [("GET", "/healthz", None, {})] * COMMANDS, 200))
    finally:
        process.stop()
    for name, ours in (("register a deal", registering), ("change a stage", moving), ("log an activity", logging_)):
        rows.append(versus(f"{name} over HTTP ({CONCURRENCY} clients)", ours, "raw save()", baseline, 1.0))
    rows.append(_for_scale(ceiling, baseline))


def _for_scale(ceiling: Spread, baseline: Spread) -> Row:
    ratio = ceiling.median / baseline.median
    return [
        f"  for scale: GET /healthz ({CONCURRENCY} clients)",
        ceiling.text(),
        "(the HTTP stack alone)",
        f"{ratio:.0%}",
        "",
        True,
    ]
