"""The `crm` command.

    crm serve [all|registration|pipeline|forecast]     run the services
    crm audit deal <deal id> [--as-of T] [--format F]   a deal's whole history
    crm audit verify [<service>] [--checkpoints-from-kafka | --checkpoints FILE]
                                                        check the stores' hash chains and checkpoints
    crm replay <service> [--as-of T] [--restart] [--replace]
                                                        rebuild a service's projections and check them
    crm parked list [<service>]                         events a projection could not apply
    crm parked retry <service> [<notification id> …]    apply parked events again once fixed

Configuration comes from the CRM_* environment variables (docs/configuration.md); the
audit and replay commands read the same event stores the services write.
"""
from __future__ import annotations

import argparse
import csv
import json
import sys
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from crm.app import SERVICES, bootstrap_services, create_app
from shared.observability import configure_logging
from shared.settings import Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="crm",
        description="The CRM deal pipeline: serve the services, audit a deal, rebuild projections.",
        epilog="Examples: crm serve · crm audit deal 5a2f… --format table · crm replay pipeline --as-of 2026-10-01",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve one service, or all three in one process (the default)")
    serve.add_argument("service", nargs="?", default="all", choices=("all", *SERVICES))

    audit = commands.add_parser("audit", help="what auditors need: a deal's history, as of any instant")
    audits = audit.add_subparsers(dest="what", required=True)
    deal = audits.add_parser(
        "deal",
        help="every event of a deal in time order (actor, time, reason), and its stage and owner spans",
        description="Reads the registration and pipeline event stores. Nothing is changed.",
    )
    deal.add_argument("deal_id", type=UUID)
    deal.add_argument("--as-of", type=_instant, help="show the deal as it stood then (ISO 8601, UTC if no zone)")
    deal.add_argument("--format", choices=("table", "json", "csv"), default="table")
    check = audits.add_parser(
        "verify",
        help="check every stored event against its stream's hash chain and every stream's head against the last "
        "checkpoint; name what was altered, removed, reordered, truncated or is missing",
        description="Walks the event stores in log order. Exit 0: intact; exit 1: the broken events and streams "
        "are listed. Without an option each store is held to its own checkpoints; the published copy "
        "(crm.checkpoints) also catches a store whose checkpoints were rewritten or cut.",
    )
    check.add_argument("service", nargs="?", choices=SERVICES, help="one service's store (default: all three)")
    copies = check.add_mutually_exclusive_group()
    copies.add_argument("--checkpoints-from-kafka", action="store_true",
                        help="hold the stores to the checkpoints published on crm.checkpoints (CRM_KAFKA_* settings)")
    copies.add_argument("--checkpoints", type=argparse.FileType("rb"), metavar="FILE",
                        help="the same, from a file of the topic's messages, one CloudEvent a line (the embedded "
                        "process keeps <data dir>/checkpoints.jsonl)")

    rebuild = commands.add_parser(
        "replay",
        help="rebuild a service's projections from its event store and check them against the live ones",
        description="Builds beside the live projections (schema <schema>_rebuild, or views.rebuild.sqlite), "
        "resuming where an interrupted run stopped, then compares row by row. With --as-of the rebuild "
        "stops at that instant (schema <schema>_asof) to show the world as it was; nothing is compared.",
    )
    rebuild.add_argument("service", choices=SERVICES)
    rebuild.add_argument("--as-of", type=_instant)
    rebuild.add_argument("--restart", action="store_true", help="start the rebuild again from the first event")
    rebuild.add_argument("--replace", action="store_true", help="where they differ, put the rebuilt projection in place of the live one")

    held = commands.add_parser("parked", help="events a projection could not apply and set aside")
    held_commands = held.add_subparsers(dest="action", required=True)
    listing = held_commands.add_parser("list", help="every parked event, with its projection and error")
    listing.add_argument("service", nargs="?", choices=SERVICES)
    retry = held_commands.add_parser("retry", help="apply parked events again (all of the service's, or those named)")
    retry.add_argument("service", choices=SERVICES)
    retry.add_argument("notification_ids", nargs="*", type=int)

    args = parser.parse_args(argv)
    settings = Settings()
    if args.command == "parked":
        return _parked(settings, args.action, [args.service] if args.service else list(SERVICES),
                       getattr(args, "notification_ids", None) or None)
    if args.command == "serve":
        return _serve(settings, args.service)
    if args.command == "audit" and args.what == "verify":
        return _verify(settings, [args.service] if args.service else list(SERVICES),
                       args.checkpoints_from_kafka, args.checkpoints)
    if args.command == "audit":
        return _audit_deal(settings, args.deal_id, args.as_of, args.format)
    return _replay(settings, args.service, args.as_of, args.restart, args.replace)


def _serve(settings: Settings, which: str) -> int:
    import uvicorn

    configure_logging(settings.log_format, settings.log_level)
    names = SERVICES if which == "all" else (which,)
    # uvicorn turns SIGTERM into a graceful stop: no new requests, then the lifespan
    # shutdown stops the consumers, lets in-flight work commit, and closes the stores.
    uvicorn.run(
        create_app(settings, names), host=settings.host, port=settings.port, log_config=None, timeout_graceful_shutdown=20
    )
    return 0


def _audit_deal(settings: Settings, deal_id: UUID, as_of: datetime | None, fmt: str) -> int:
    from crm.audit import deal_history

    try:
        history = deal_history(settings, deal_id, as_of)
    except LookupError as error:
        print(f"crm audit: {error}", file=sys.stderr)
        return 1
    if fmt == "json":
        json.dump(history, sys.stdout, ensure_ascii=False, indent=2)
        print()
    elif fmt == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(["time", "service", "event", "version", "actor", "reason", "details"])
        for event in history["events"]:
            writer.writerow([event["time"], event["service"], event["event"], event["version"], event["actor"],
                             event["reason"] or "", json.dumps(event["details"], ensure_ascii=False)])
    else:
        print(f"deal {history['deal_id']}" + (f" as of {history['as_of']}" if history["as_of"] else ""))
        for event in history["events"]:
            reason = f"  ({event['reason']})" if event["reason"] else ""
            print(f"  {event['time'][:19]}  {event['service']:<12} {event['event']:<28} {event['actor']:<14}{reason}")
        for title, spans in (("stages", history["stage_spans"]), ("owners", history["owner_spans"])):
            print(f"{title}:")
            for span in spans:
                print(f"  {span['what']:<22} {span['from'][:19]} → {(span['to'] or 'now')[:19]:<19}  {span['days']:>9} days")
    return 0


def _verify(settings: Settings, names: list[str], from_kafka: bool = False, copy: Any = None) -> int:
    from crm.audit import published_checkpoints, verify_store

    published = None
    try:
        if from_kafka:
            published = published_checkpoints(settings)
        elif copy is not None:
            with copy:
                published = [line for line in copy.read().splitlines() if line.strip()]
    except (LookupError, TimeoutError, OSError) as error:
        print(f"crm audit verify: the published checkpoints could not be read: {error}", file=sys.stderr)
        return 2
    broken = 0
    for name in names:
        checked, problems, held_to = verify_store(settings, name, published)
        broken += len(problems)
        print(f"{name}: {checked} events checked, {'intact' if not problems else f'{len(problems)} broken'}; {held_to}")
        for problem in problems:
            where = f" (notification {problem.notification_id})" if problem.notification_id else ""
            print(f"  stream {problem.stream} version {problem.version}{where}: {problem.problem}")
    return 1 if broken else 0


def _replay(settings: Settings, name: str, as_of: datetime | None, restart: bool, replace: bool) -> int:
    from crm.audit import replay

    (service,) = bootstrap_services(settings, [name])
    try:
        results = replay(service, as_of=as_of, restart=restart, replace=replace)
    finally:
        service.close()
    failed = False
    for projection, result in results.items():
        if result.get("restarted"):
            print(f"{projection}: {result['restarted']}")
        differences = result.get("differences")
        if differences:
            failed = not result.get("replaced")
            print(f"{projection}: the rebuilt projection differs from the live one:", *differences, sep="\n  ")
            if result.get("replaced"):
                print(f"{projection}: replaced the live projection with the rebuilt one")
        elif differences == []:
            print(f"{projection}: rebuilt to position {result['position']}, equal to the live projection")
        else:
            print(f"{projection}: as of {as_of.isoformat()}, rebuilt to position {result['position']} in '{result['where']}'")
    return 1 if failed else 0


def _parked(settings: Settings, action: str, names: list[str], ids: list[int] | None) -> int:
    from shared.readmodels.parking import parked

    exit_code = 0
    for service in bootstrap_services(settings, names):
        try:
            if action == "retry":
                for projector in service.projectors:
                    applied, failing = projector.retry_parked(ids)
                    print(f"{service.name} {projector.projection.name}: {len(applied)} applied, {len(failing)} still parked")
                    exit_code = exit_code or (1 if failing else 0)
                continue
            with service.storage.engine.connect() as connection:
                rows = parked(connection)
            print(f"{service.name}: {len(rows)} parked")
            for row in rows:
                print(f"  {row['projection']} notification {row['notification_id']} ({row['topic'].rsplit('.', 1)[-1]} "
                      f"{row['originator_id']} v{row['originator_version']}, {row['attempts']} attempts, "
                      f"{row['parked_at']:%Y-%m-%d %H:%M:%S}): {row['error'][:300]}")
        finally:
            service.close()
    return exit_code


def _instant(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


if __name__ == "__main__":
    sys.exit(main())
