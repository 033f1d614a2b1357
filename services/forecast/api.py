"""Forecast's HTTP routes: the forecast (now or as of an instant), targets, reports, changes."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from sqlalchemy import Engine

from services.forecast.application import ForecastApplication
from services.forecast.domain import Period, parse_period
from services.forecast.queries import reports
from services.forecast.queries.activity import VISITS, activity_report, when
from services.forecast.queries.changes import explain
from services.forecast.queries.pipeline import ever_owned_a_deal, forecast
from services.forecast.queries.whatif import probabilities_whatif
from services.forecast.requests import ProbabilitiesWhatIf, SetTarget, SetVisitPlan
from services.forecast.responses import (
    ActivityReport,
    AnyReport,
    Changes,
    Forecast,
    ProbabilitiesWhatIfAnswer,
    Target,
    VisitPlan,
)
from services.forecast.rules import ForecastRules
from shared.calendar import Calendar
from shared.clock import as_stored
from shared.contracts import Money
from shared.errors import Invalid
from shared.web.access import Access
from shared.web.export import FILES, FORMAT, Format, report_export
from shared.web.http import Caller, CallerDep
from shared.web.responses import NOT_FOUND

PeriodText = Annotated[str, Path(pattern=r"^\d{4}(-Q[1-4]|-(0[1-9]|1[0-2]))?$")]


def router(app: ForecastApplication, engine: Engine, access: Access, calendar: Calendar) -> APIRouter:
    routes = APIRouter(prefix="/forecast", tags=["forecast"])

    @routes.get("/rules", response_model=ForecastRules)
    def rules(who: CallerDep) -> dict[str, Any]:
        return app.rules.model_dump(mode="json")

    @routes.get("/pipeline", response_model=Forecast, response_model_exclude_unset=True, responses=FILES)
    def pipeline_forecast(
        who: CallerDep,
        period: str,
        group_by: Literal["owner", "team", "stage", "source", "forecast_category", "product_line"] | None = None,
        as_of: datetime | None = Query(default=None, description="the forecast as it stood at this instant"),
        probabilities: Literal["stage", "learned"] = "stage",
        by_category: bool = Query(default=False, description="with group_by: each group's figures per category too"),
        format: Format = FORMAT,  # noqa: A002 - the query parameter's name
    ) -> Any:
        """With `format` csv or xlsx: the figures as a file, a row per group."""
        access.require(who.identity, "forecast", "read")  # a role without a scope: 403, not empty figures
        with engine.connect() as connection:
            answer = forecast(
                connection,
                _period(period),
                app.rules,
                group_by=group_by,
                as_of=_utc(as_of),
                probabilities=probabilities,
                owners=access.owners(who.identity, "forecast", "read"),
                by_category=by_category,
            )
        return report_export(answer, format, f"forecast-{period}") if format != "json" else answer

    @routes.put("/targets/{owner_id}/{period}", response_model=Target)
    def set_owner_target(owner_id: str, period: PeriodText, body: SetTarget, who: CallerDep) -> dict[str, Any]:
        """The owner must be known (see `known_owner`) and, for a manager, in their teams."""
        access.require(who.identity, "target", "set")
        if not known_owner(owner_id):
            raise Invalid("owner_id", f"no owner {owner_id!r}: not in a team (CRM_TEAMS) nor owning a deal", "path")
        access.check(who.identity, "target", "set", owner_id)
        return _set_target("owner", owner_id, period, body, who)

    @routes.put("/team-targets/{team}/{period}", response_model=Target)
    def set_team_target(team: str, period: PeriodText, body: SetTarget, who: CallerDep) -> dict[str, Any]:
        """The team must be in the forecast's teams and, for a manager, one they lead."""
        access.require(who.identity, "team target", "set")
        if team not in app.rules.teams:
            raise Invalid("team", f"no team {team!r} in the forecast rules", "path")
        access.check(who.identity, "team target", "set", team=team)
        return _set_target("team", team, period, body, who)

    @routes.put("/visit-plans/{owner_id}/{period}", response_model=VisitPlan)
    def set_visit_plan(owner_id: str, period: PeriodText, body: SetVisitPlan, who: CallerDep) -> dict[str, Any]:
        """The visits (拜访) a rep plans per working day in the period: a target of kind
        `visits`, beside the sales targets; a month's plan wins over its quarter's, a
        quarter's over its year's."""
        access.require(who.identity, "visit plan", "set")
        if not known_owner(owner_id):
            raise Invalid("owner_id", f"no owner {owner_id!r}: not in a team (CRM_TEAMS) nor owning a deal", "path")
        access.check(who.identity, "visit plan", "set", owner_id)
        app.set_target(VISITS, owner_id, period, Decimal(body.visits_per_day), "", who.meta)
        return {"owner_id": owner_id, "period": period, "visits_per_day": body.visits_per_day}

    @routes.get("/activity", response_model=ActivityReport, responses=NOT_FOUND)
    def activity(
        who: CallerDep,
        period: Literal["day", "week"] = "day",
        on: date | None = Query(default=None, description="a day of the day or week (default: today)"),
        owner: str | None = Query(default=None, max_length=200, description="one rep (default: me)"),
        team: str | None = Query(default=None, max_length=100, description="each rep of a team"),
    ) -> dict[str, Any]:
        """Calls, meetings and visits logged, new deals, moves forward and value won, per
        rep and in all, day by day, against the visit plan. `period=week&team=…` is the
        manager's weekly progress view."""
        owners = access.owner_or_team(who.identity, "activity report", "read", owner, team)
        span = when(on, app.clock.now(), calendar, period)
        with engine.connect() as connection:
            return activity_report(connection, calendar, owners, span, period)

    def known_owner(owner_id: str) -> bool:
        """Known: a member of a configured team (`CRM_TEAMS` or the forecast rules' teams),
        or the owner of a deal the forecast has ever heard of."""
        if access.is_member(owner_id) or any(owner_id in members for members in app.rules.teams.values()):
            return True
        with engine.connect() as connection:
            return ever_owned_a_deal(connection, owner_id)

    def _set_target(kind: str, subject: str, period: str, body: SetTarget, who: Any) -> dict[str, Any]:
        target = app.set_target(kind, subject, period, body.amount.amount, body.amount.currency, who.meta)
        return {
            "kind": kind,
            "subject_id": subject,
            "period": period,
            "amount": Money(amount=target.amount, currency=target.currency).model_dump(mode="json"),
        }

    @routes.get("/reports/{name}", response_model=AnyReport, response_model_exclude_unset=True, responses=FILES)
    def report(
        name: Literal["win-rate", "stage-conversion", "time-in-stage", "sales-cycle", "source-performance", "accuracy"],
        who: CallerDep,
        period: str | None = None,
        group_by: Literal["owner", "source", "period", "product_line"] = "owner",
        dates: list[datetime] | None = Query(default=None, description="backtest instants (default: weekly)"),
        format: Format = FORMAT,  # noqa: A002 - the query parameter's name
    ) -> Any:
        """With `format` csv or xlsx: the report as a file, a row per group, stage or source."""
        answer = _report(name, who, period, group_by, dates)
        return report_export(answer, format, f"{name}-{period}" if period else name) if format != "json" else answer

    def _report(
        name: str, who: Caller, period: str | None, group_by: str, dates: list[datetime] | None
    ) -> dict[str, Any]:
        access.require(who.identity, "report", "read")  # over the deals in reach
        owners = access.owners(who.identity, "report", "read")
        parsed = _period(period) if period else None
        if name in ("win-rate", "sales-cycle", "accuracy"):
            if parsed is None:
                raise Invalid("period", f"the {name} report needs a period", "query")
            with engine.connect() as connection:
                if name == "win-rate":
                    return reports.win_rate(connection, parsed, group_by, owners)
                if name == "sales-cycle":
                    return reports.sales_cycle(connection, parsed, owners)
                return reports.accuracy(
                    connection, parsed, app.rules, app.clock.now(), [_utc(d) for d in dates] if dates else None, owners
                )
        with engine.connect() as connection:
            if name == "stage-conversion":
                return reports.stage_conversion(connection, owners)
            if name == "time-in-stage":
                return reports.time_in_stage(connection, owners)
            return reports.source_performance(connection, parsed, owners)

    @routes.get("/changes", response_model=Changes)
    def changes(
        who: CallerDep,
        period: str,
        from_: Annotated[datetime, Query(alias="from")],
        to: datetime,
    ) -> dict[str, Any]:
        access.require(who.identity, "report", "read")
        with engine.connect() as connection:
            return explain(
                connection, _period(period), _utc(from_), _utc(to), access.owners(who.identity, "report", "read")
            )

    @routes.post("/what-if/probabilities", response_model=ProbabilitiesWhatIfAnswer)
    def probabilities(body: ProbabilitiesWhatIf, who: CallerDep) -> dict[str, Any]:
        """Replays the period's recorded forecast history under other stage probabilities,
        beside the forecast shown then and what was won. Here because the forecast's
        temporal projection holds every deal as it stood at any instant; it records nothing."""
        access.require(who.identity, "what-if", "run")
        with engine.connect() as connection:
            return probabilities_whatif(
                connection,
                _period(body.period),
                app.rules,
                app.clock.now(),
                body.probabilities,
                [_utc(d) for d in body.dates] if body.dates else None,
                access.owners(who.identity, "what-if", "run"),
            )

    return routes


def _period(text: str) -> Period:
    try:
        return parse_period(text)
    except ValueError as error:
        raise Invalid("period", str(error), "query") from None


def _utc(moment: datetime | None) -> Any:
    return None if moment is None else as_stored(moment)
