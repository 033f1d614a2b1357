"""`crm whatif`: the recorded history replayed under other rules, beside the rules in force,
read straight from the event stores (as `crm audit` and `crm replay` read them), with a
progress bar on stderr; nothing is recorded. Only Click is imported until a command runs."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import click

from crm.params import Instant

FORMATS = click.Choice(("table", "json"))


@click.group(short_help="Replay the recorded history under other rules: recycling, stage probabilities.")
def whatif() -> None:
    """What would have happened under other rules: replays the stored history beside the live
    system and changes nothing."""


@whatif.command(
    short_help="Which deals other recycling rules would have recycled, when, and which were won later.",
    epilog="Options left out keep the rules in force (GET /registration/rules). Example: "
    "crm whatif recycling --from 2026-01-01 --to 2026-12-31 --stale-days 10",
)
@click.option("--from", "first", required=True, type=click.DateTime(("%Y-%m-%d",)), help="First day (UTC).")
@click.option("--to", "last", required=True, type=click.DateTime(("%Y-%m-%d",)), help="Last day (UTC).")
@click.option("--stale-days", type=click.IntRange(min=0), help="Recycle after N days without work (0: never).")
@click.option("--close-date-grace-days", type=click.IntRange(min=-1), help="Days past the close date (-1: never).")
@click.option("--protection/--no-protection", default=None, help="Recycle when the protection expires.")
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True)
def recycling(
    first: datetime,
    last: datetime,
    stale_days: int | None,
    close_date_grace_days: int | None,
    protection: bool | None,
    fmt: str,
) -> int:
    """The days --from to --to replayed under the rules in force and under these: each deal
    that would have gone back to the pool, when and why, and whether it was won later."""
    from crm.app import bootstrap_services
    from crm.display import rebuild_progress
    from services.registration.queries.whatif import recycling_whatif
    from services.registration.rules import RecyclingPolicy

    if last < first:
        raise click.BadParameter("--to is on or after --from", param_hint="--to")
    (service,) = bootstrap_services(_settings(), ["registration"])
    try:
        in_force = service.app.rules.recycling  # type: ignore[attr-defined]
        changes: dict[str, Any] = {}
        if stale_days is not None:
            changes["stale_days"] = stale_days or None
        if close_date_grace_days is not None:
            changes["close_date_grace_days"] = None if close_date_grace_days < 0 else close_date_grace_days
        if protection is not None:
            changes["recycle_when_protection_expires"] = protection
        default = RecyclingPolicy(**{**in_force.default.model_dump(), **changes})
        alternative = in_force.model_copy(update={"default": default})
        with rebuild_progress() as tell:
            answer = recycling_whatif(
                service.app,  # type: ignore[arg-type]
                alternative,
                first.date(),
                last.date(),
                progress=lambda done, total: tell("registration events", done, total),
            )
    finally:
        service.close()
    if fmt == "json":
        click.echo(_json(answer))
        return 0
    click.echo(f"{answer['replayed_events']} events replayed, {first.date()} to {last.date()}")
    for name in ("in_force", "alternative"):
        scenario = answer[name]
        rules = scenario["rules"]["default"]
        click.echo(
            f"\n{name.replace('_', ' ')} (stale {rules['stale_days']}, close-date grace {rules['close_date_grace_days']}, "
            f"protection {rules['recycle_when_protection_expires']}): {scenario['recycled']} recycled, "
            f"{scenario['later_won']} of them won later ({_money(scenario['later_won_value'])}); "
            f"{len(scenario['spared'])} recorded recycles spared"
        )
        for deal in scenario["deals"]:
            won = f"won later by {deal['won_by']}" if deal["later_won"] else deal["outcome"] or "open"
            click.echo(
                f"  {deal['at']:%Y-%m-%d %H:%M}  {deal['reason']:<18} {deal['owner_id'] or '-':<12} {won:<22} {deal['name']}"
            )
    return 0


@whatif.command(
    short_help="The forecast each week under other stage probabilities, beside the one shown and what was won.",
    epilog="Example: crm whatif probabilities --period 2026 -p proposal=60 -p negotiation=80",
)
@click.option("--period", required=True, help="2026, 2026-Q4 or 2026-11.")
@click.option("-p", "--probability", "given", multiple=True, required=True, metavar="STAGE=PERCENT")
@click.option("--date", "dates", multiple=True, type=Instant(), help="Instants to show (default: weekly).")
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True)
def probabilities(period: str, given: tuple[str, ...], dates: tuple[datetime, ...], fmt: str) -> int:
    """Each week's forecast of PERIOD had the open deals on the stages named been weighed by
    the percentages given (the other stages keep theirs), beside the forecast shown and what
    was won, with each one's mean absolute error."""
    from crm.app import bootstrap_services
    from crm.display import rebuild_progress
    from services.forecast.domain import parse_period
    from services.forecast.queries.whatif import probabilities_whatif

    try:
        parsed = parse_period(period)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--period") from None
    stages: dict[str, int] = {}
    for item in given:
        stage, _, percent = item.partition("=")
        if not stage or not percent.isdigit() or not 0 <= int(percent) <= 100:
            raise click.BadParameter(f"{item!r} is not STAGE=PERCENT (0 to 100)", param_hint="--probability")
        stages[stage] = int(percent)
    (service,) = bootstrap_services(_settings(), ["forecast"])
    try:
        app: Any = service.app
        with rebuild_progress() as tell, service.storage.engine.connect() as connection:
            answer = probabilities_whatif(
                connection,
                parsed,
                app.rules,
                app.clock.now(),
                stages,
                list(dates) or None,
                progress=lambda done, total: tell("weeks", done, total),
            )
    finally:
        service.close()
    if fmt == "json":
        click.echo(_json(answer))
        return 0
    click.echo(f"{period}: won {_money(answer['actual_won'])}; probabilities {stages}")
    click.echo(f"  {'as of':<12} {'shown':>22} {'what-if':>22} {'won':>22}")
    for point in answer["points"]:
        click.echo(
            f"  {point['as_of'][:10]:<12} {_money(point['in_force']['forecast']):>22} "
            f"{_money(point['alternative']['forecast']):>22} {_money(point['won']):>22}"
        )
    mae = answer["mean_absolute_error"]
    click.echo(f"mean absolute error: shown {_money(mae['in_force'])}, what-if {_money(mae['alternative'])}")
    return 0


def _money(amounts: list[dict[str, str]]) -> str:
    return ", ".join(f"{m['amount']} {m['currency']}" for m in amounts) or "0"


def _json(answer: dict[str, Any]) -> str:
    import json

    def plain(value: Any) -> str:
        return value.isoformat() if isinstance(value, (date, datetime)) else str(value)

    return json.dumps(answer, ensure_ascii=False, indent=2, default=plain)


def _settings() -> Any:
    from shared.settings import Settings

    return Settings()
