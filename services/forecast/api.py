"""Forecast's HTTP routes: the forecast (now or as of an instant), targets, reports, changes."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict
from sqlalchemy import Engine

from services.forecast import reports
from services.forecast.application import ForecastApplication
from services.forecast.changes import explain
from services.forecast.periods import Period, parse_period
from services.forecast.queries import forecast
from shared.access import Access
from shared.commands import Invalid
from shared.contracts import Money
from shared.inputs import MoneyIn
from shared.http import AUDITORS, MANAGERS, CallerDep, require_role

PeriodText = Annotated[str, Path(pattern=r"^\d{4}(-Q[1-4]|-(0[1-9]|1[0-2]))?$")]


class SetTarget(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount: MoneyIn


def router(app: ForecastApplication, engine: Engine, access: Access) -> APIRouter:
    routes = APIRouter(prefix="/forecast", tags=["forecast"])

    @routes.get("/rules")
    def rules(who: CallerDep) -> dict[str, Any]:
        return app.rules.model_dump(mode="json")

    @routes.get("/pipeline")
    def pipeline_forecast(
        who: CallerDep,
        period: str,
        group_by: Literal["owner", "team", "stage", "source", "forecast_category"] | None = None,
        as_of: datetime | None = Query(default=None, description="the forecast as it stood at this instant"),
        probabilities: Literal["stage", "learned"] = "stage",
    ) -> dict[str, Any]:
        with engine.connect() as connection:
            return forecast(
                connection, _period(period), app.rules, group_by=group_by, as_of=_utc(as_of),
                probabilities=probabilities, owners=access.owners_visible(who.identity),
            )

    @routes.put("/targets/{owner_id}/{period}")
    def set_owner_target(owner_id: str, period: PeriodText, body: SetTarget, who: CallerDep) -> dict[str, Any]:
        return _set_target("owner", owner_id, period, body, who)

    @routes.put("/team-targets/{team}/{period}")
    def set_team_target(team: str, period: PeriodText, body: SetTarget, who: CallerDep) -> dict[str, Any]:
        require_role(who, *MANAGERS)
        if team not in app.rules.teams:
            raise Invalid("team", f"no team {team!r} in the forecast rules", "path")
        return _set_target("team", team, period, body, who)

    def _set_target(kind: str, subject: str, period: str, body: SetTarget, who: Any) -> dict[str, Any]:
        require_role(who, *MANAGERS)
        target = app.set_target(kind, subject, period, body.amount.amount, body.amount.currency, who.meta)
        return {"kind": kind, "subject_id": subject, "period": period,
                "amount": Money(amount=target.amount, currency=target.currency).model_dump(mode="json")}

    @routes.get("/reports/{name}")
    def report(
        name: Literal["win-rate", "stage-conversion", "time-in-stage", "sales-cycle", "source-performance", "accuracy"],
        who: CallerDep,
        period: str | None = None,
        group_by: Literal["owner", "source", "period"] = "owner",
        dates: list[datetime] | None = Query(default=None, description="backtest instants (default: weekly)"),
    ) -> dict[str, Any]:
        require_role(who, *AUDITORS)  # company-wide figures: managers, auditors, admins
        needs_period = name in ("win-rate", "sales-cycle", "accuracy")
        if needs_period and not period:
            raise Invalid("period", f"the {name} report needs a period", "query")
        parsed = _period(period) if period else None
        with engine.connect() as connection:
            if name == "win-rate":
                return reports.win_rate(connection, parsed, group_by)
            if name == "stage-conversion":
                return reports.stage_conversion(connection)
            if name == "time-in-stage":
                return reports.time_in_stage(connection)
            if name == "sales-cycle":
                return reports.sales_cycle(connection, parsed)
            if name == "source-performance":
                return reports.source_performance(connection, parsed)
            return reports.accuracy(
                connection, parsed, app.rules, app.clock.now(), [_utc(d) for d in dates] if dates else None
            )

    @routes.get("/changes")
    def changes(
        who: CallerDep,
        period: str,
        from_: Annotated[datetime, Query(alias="from")],
        to: datetime,
    ) -> dict[str, Any]:
        require_role(who, *AUDITORS)
        with engine.connect() as connection:
            return explain(connection, _period(period), _utc(from_), _utc(to))

    return routes


def _period(text: str) -> Period:
    try:
        return parse_period(text)
    except ValueError as error:
        raise Invalid("period", str(error), "query") from None


def _utc(moment: datetime | None) -> Any:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
