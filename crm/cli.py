"""The `crm` command.

    crm serve [all|<service>|console]                  all four services, one of them, or the console
    crm demo [--url URL] [--deals N] [--seed S]         record the demo data in a running server
    crm audit deal <deal id> [--as-of T] [--format F] [--locale L]
                                                        a deal's whole history
    crm audit verify [<service>] [--checkpoints-from-kafka | --checkpoints FILE]
                                                        check the stores' hash chains and checkpoints
    crm replay <service> [--as-of T] [--restart] [--replace]
                                                        rebuild a service's projections and check them
    crm parked list [<service>]                         events a projection could not apply
    crm parked retry <service> [<notification id> …]    apply parked events again once fixed

Configuration comes from the CRM_* environment variables (docs/configuration.md); the
audit and replay commands read the same event stores the services write. Only Click is
loaded to parse the command line: the services, the settings, Rich and Babel are imported
by the command that needs them, so `crm --help` and a usage error answer at once.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Sequence
from datetime import datetime
from typing import IO, TYPE_CHECKING
from uuid import UUID

import click

from crm.demo_cli import demo
from crm.params import DEFAULT_LOCALE, BabelLocale, Instant

if TYPE_CHECKING:
    from babel import Locale

    from shared.settings import Settings

# The names of crm.app.SERVICES (a test holds the two equal): importing them from there
# would load FastAPI and every service before the command line is even read.
SERVICES = ("registration", "pipeline", "forecast", "notifications")


@click.group(
    commands=[demo],
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110},
    epilog="Examples: crm serve · crm audit deal 5a2f… --format table · crm replay pipeline --as-of 2026-10-01\n\n"
    + "Configuration: the CRM_* environment variables (docs/configuration.md). A usage error exits with 2.",
)
def cli() -> None:
    """The CRM deal pipeline: serve the services, audit a deal, rebuild projections."""


@cli.command(short_help="Serve one service, or all four in one process (the default), or the console.")
@click.argument("service", default="all", type=click.Choice(("all", *SERVICES, "console")), metavar="[SERVICE]")
def serve(service: str) -> int:
    """Serve one service (registration, pipeline, forecast or notifications), all four in one process (all), or the console."""
    from crm.app import serving
    from crm.server import serve as run
    from shared.observability import configure_logging

    settings = _settings()
    configure_logging(settings.log_format, settings.log_level)
    # A graceful stop on SIGTERM (crm/server.py): live streams end, in-flight work commits.
    run(serving(settings, service), settings.host, settings.port)
    return 0


@cli.group(short_help="A deal's history as of any instant; the stores' tamper evidence.")
def audit() -> None:
    """What auditors need: a deal's history, as of any instant; the stores checked for tampering."""


@audit.command(
    short_help="Every event of a deal, who did it and why; its stage and owner spans.",
    epilog="Exit 1 when the stores hold no such deal (at all, or as of --as-of).",
)
@click.argument("deal_id", type=click.UUID)
@click.option("--as-of", type=Instant(), help="Show the deal as it stood then (ISO 8601, UTC if no zone).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(("table", "json", "csv")),
    default="table",
    show_default=True,
    help="A table for people; JSON or CSV (unchanged by --locale) for programs and spreadsheets.",
)
@click.option(
    "--locale",
    type=BabelLocale(),
    default=DEFAULT_LOCALE,
    envvar="CRM_LOCALE",
    show_default=True,
    show_envvar=True,
    help="How the table writes money and dates (a Babel locale: zh_CN, en, de, …).",
)
def deal(deal_id: UUID, as_of: datetime | None, fmt: str, locale: Locale) -> int:
    """Every event of a deal in time order (actor, time, reason), and its stage and owner spans.

    Reads the registration and pipeline event stores. Nothing is changed.
    """
    from crm.audit import deal_history

    try:
        history = deal_history(_settings(), deal_id, as_of)
    except LookupError as error:
        click.echo(f"crm audit: {error}", err=True)
        return 1
    if fmt == "json":
        json.dump(history, sys.stdout, ensure_ascii=False, indent=2)
        print()
    elif fmt == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(["time", "service", "event", "version", "actor", "reason", "details"])
        for event in history["events"]:
            writer.writerow(
                [
                    event["time"],
                    event["service"],
                    event["event"],
                    event["version"],
                    event["actor"],
                    event["reason"] or "",
                    json.dumps(event["details"], ensure_ascii=False),
                ]
            )
    else:
        from crm.display import print_history

        print_history(history, locale)
    return 0


@audit.command(
    short_help="Check the stores' hash chains and checkpoints; name what was tampered with.",
    epilog="Exit 1 when something is broken; 2 when the published checkpoints cannot be read.",
)
@click.argument("service", required=False, type=click.Choice(SERVICES), metavar="[SERVICE]")
@click.option(
    "--checkpoints-from-kafka",
    "from_kafka",
    is_flag=True,
    help="Hold the stores to the checkpoints published on crm.checkpoints (CRM_KAFKA_* settings).",
)
@click.option(
    "--checkpoints",
    "copy",
    type=click.File("rb"),
    metavar="FILE",
    help="The same, from a file of the topic's messages, one CloudEvent a line (the embedded process "
    "keeps <data dir>/checkpoints.jsonl).",
)
def verify(service: str | None, from_kafka: bool, copy: IO[bytes] | None) -> int:
    """Check every stored event against its stream's hash chain and every stream's head against the last
    checkpoint; name what was altered, removed, reordered, truncated or is missing.

    Walks the event stores in log order: SERVICE's (registration, pipeline, forecast or notifications), or
    all four. Without an option each store is held to its own checkpoints; the published
    copy (crm.checkpoints) also catches a store whose checkpoints were rewritten or cut.
    """
    if from_kafka and copy is not None:
        raise click.UsageError("--checkpoints-from-kafka and --checkpoints name two copies: give one")
    from crm.audit import published_checkpoints, verify_store

    settings = _settings()
    published = None
    try:
        if from_kafka:
            published = published_checkpoints(settings)
        elif copy is not None:
            with copy:
                published = [line for line in copy.read().splitlines() if line.strip()]
    except (LookupError, TimeoutError, OSError) as error:
        click.echo(f"crm audit verify: the published checkpoints could not be read: {error}", err=True)
        return 2
    broken = 0
    for name in [service] if service else SERVICES:
        checked, problems, held_to = verify_store(settings, name, published)
        broken += len(problems)
        click.echo(
            f"{name}: {checked} events checked, {'intact' if not problems else f'{len(problems)} broken'}; {held_to}"
        )
        for problem in problems:
            where = f" (notification {problem.notification_id})" if problem.notification_id else ""
            click.echo(f"  stream {problem.stream} version {problem.version}{where}: {problem.problem}")
    return 1 if broken else 0


@cli.command(
    short_help="Rebuild a service's projections from its event store and check them.",
    epilog="Exit 1 when a rebuilt projection differs from the live one (and --replace was not given).",
)
@click.argument("service", type=click.Choice(SERVICES), metavar="SERVICE")
@click.option("--as-of", type=Instant(), help="Rebuild the world as it stood then (ISO 8601, UTC if no zone).")
@click.option("--restart", is_flag=True, help="Start the rebuild again from the first event.")
@click.option("--replace", is_flag=True, help="Where they differ, put the rebuilt projection in place of the live one.")
def replay(service: str, as_of: datetime | None, restart: bool, replace: bool) -> int:
    """Rebuild SERVICE's projections (registration, pipeline, forecast or notifications) from its event store and check them
    against the live ones.

    Builds beside the live projections (schema <schema>_rebuild, or views.rebuild.sqlite),
    with a progress bar on stderr, resuming where an interrupted run stopped, then compares
    row by row. With --as-of the rebuild stops at that instant (schema <schema>_asof) to show
    the world as it was; nothing is compared.
    """
    from crm.app import bootstrap_services
    from crm.display import rebuild_progress
    from crm.replay import replay as rebuild

    (running,) = bootstrap_services(_settings(), [service])
    try:
        with rebuild_progress() as progress:
            results = rebuild(running, as_of=as_of, restart=restart, replace=replace, progress=progress)
    finally:
        running.close()
    failed = False
    for projection, result in results.items():
        if result.get("restarted"):
            click.echo(f"{projection}: {result['restarted']}")
        differences = result.get("differences")
        if differences:
            failed = not result.get("replaced")
            click.echo("\n  ".join([f"{projection}: the rebuilt projection differs from the live one:", *differences]))
            if result.get("replaced"):
                click.echo(f"{projection}: replaced the live projection with the rebuilt one")
        elif differences == []:
            click.echo(f"{projection}: rebuilt to position {result['position']}, equal to the live projection")
        elif as_of is not None:  # an as-of rebuild compares nothing
            click.echo(
                f"{projection}: as of {as_of.isoformat()}, rebuilt to position {result['position']} in "
                f"'{result['where']}'"
            )
    return 1 if failed else 0


@cli.group()
def parked() -> None:
    """Events a projection could not apply and set aside."""


@parked.command("list", short_help="Every parked event, with its projection and error.")
@click.argument("service", required=False, type=click.Choice(SERVICES), metavar="[SERVICE]")
def list_parked(service: str | None) -> int:
    """Every parked event, with its projection and error: SERVICE's (registration, pipeline or
    forecast), or all four services'."""
    from crm.app import bootstrap_services
    from shared.readmodels.parking import parked as parked_rows

    for running in bootstrap_services(_settings(), [service] if service else SERVICES):
        try:
            with running.storage.engine.connect() as connection:
                rows = parked_rows(connection)
            click.echo(f"{running.name}: {len(rows)} parked")
            for row in rows:
                click.echo(
                    f"  {row['projection']} notification {row['notification_id']} "
                    f"({row['topic'].rsplit('.', 1)[-1]} {row['originator_id']} v{row['originator_version']}, "
                    f"{row['attempts']} attempts, {row['parked_at']:%Y-%m-%d %H:%M:%S}): {row['error'][:300]}"
                )
        finally:
            running.close()
    return 0


@parked.command(
    short_help="Apply parked events again once the cause is fixed.", epilog="Exit 1 while an event is still parked."
)
@click.argument("service", type=click.Choice(SERVICES), metavar="SERVICE")
@click.argument("notification_ids", nargs=-1, type=int)
def retry(service: str, notification_ids: tuple[int, ...]) -> int:
    """Apply parked events again (all of SERVICE's, or those NOTIFICATION_IDS name) once the cause is fixed.

    SERVICE: registration, pipeline, forecast or notifications.
    """
    from crm.app import bootstrap_services

    exit_code = 0
    (running,) = bootstrap_services(_settings(), [service])
    try:
        for projector in running.projectors:
            applied, failing = projector.retry_parked(list(notification_ids) or None)
            click.echo(
                f"{running.name} {projector.projection.name}: {len(applied)} applied, {len(failing)} still parked"
            )
            exit_code = exit_code or (1 if failing else 0)
    finally:
        running.close()
    return exit_code


def main(argv: Sequence[str] | None = None) -> int:
    """Run `crm` on `argv` (the command line when None) and return its exit code; a usage
    error is told on stderr with exit code 2, as Click does when it exits by itself."""
    try:
        return int(cli.main(args=None if argv is None else list(argv), prog_name="crm", standalone_mode=False) or 0)
    except click.ClickException as error:
        error.show()
        return error.exit_code
    except click.Abort:
        click.echo("Aborted!", err=True)
        return 130  # what a shell reports for a command stopped by Ctrl-C


def _settings() -> Settings:
    from shared.settings import Settings

    return Settings()


if __name__ == "__main__":
    sys.exit(main())
