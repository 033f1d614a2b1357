"""My day, a role of its own: the read model of every deal's tasks and meetings
(`pipeline_agenda`), kept beside the deal list by the same projector; the query that buckets
them into overdue, today and upcoming in the company's time zone; and its route.

A row holds the activity only; whose it is, and whether its deal is still open, come from
the deal's list row at query time, so an owner change or a close moves no agenda row. The
table sits in the deal list's metadata: adding it changed the projection's shape, and the
projector rebuilds both from the event store on the first start (shared/readmodels)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Query
from sqlalchemy import Boolean, Column, Connection, DateTime, Engine, Index, String, Table, and_, or_, select, update

from services.pipeline.application import PipelineApplication
from services.pipeline.domain.deal import Deal
from services.pipeline.projections import DealList, deals, metadata
from services.pipeline.responses import MyDay
from shared.calendar import Calendar
from shared.clock import as_stored, in_utc
from shared.web.access import Access
from shared.web.http import CallerDep
from shared.web.responses import NOT_FOUND

AGENDA_KINDS = ("task", "meeting", "visit")

agenda = Table(
    "pipeline_agenda",
    metadata,
    Column("deal_id", String(36), primary_key=True),
    Column("activity_id", String(64), primary_key=True),
    Column("kind", String(10), nullable=False),
    Column("subject", String(500), nullable=False),
    Column("at", DateTime(timezone=True)),  # a task's due instant; a meeting's instant
    Column("required_by_stage", String(100)),
    Column("done", Boolean, nullable=False),
    Index("pipeline_agenda_at", "done", "at"),
)


class DealsAndAgenda(DealList):
    """The deal list, and every deal's tasks and meetings beside it, in one transaction."""

    def apply_batch(self, connection: Connection, events: Sequence[Any]) -> None:
        super().apply_batch(connection, events)
        new: dict[tuple[str, str], dict[str, Any]] = {}
        for event in events:
            deal_id = str(event.originator_id)
            if isinstance(event, Deal.ActivityLogged) and event.kind in AGENDA_KINDS:
                new[(deal_id, event.activity_id)] = {
                    "deal_id": deal_id,
                    "activity_id": event.activity_id,
                    "kind": event.kind,
                    "subject": event.subject[:500],
                    # In UTC: SQLite keeps no offset, and reads every instant back as UTC.
                    "at": _utc(event.due_at if event.kind == "task" else (event.occurred_at or event.at)),
                    "required_by_stage": event.required_by_stage,
                    "done": event.kind != "task",
                }
            elif isinstance(event, Deal.TaskCompleted):
                key = (deal_id, event.activity_id)
                if key in new:
                    new[key]["done"] = True
                else:
                    where = and_(agenda.c.deal_id == deal_id, agenda.c.activity_id == event.activity_id)
                    connection.execute(update(agenda).where(where).values(done=True))
            elif isinstance(event, Deal.Withdrawn):
                new = {key: row for key, row in new.items() if key[0] != deal_id}
                connection.execute(agenda.delete().where(agenda.c.deal_id == deal_id))
        if new:
            connection.execute(agenda.insert(), list(new.values()))


def routes(app: PipelineApplication, engine: Engine, access: Access, calendar: Calendar) -> APIRouter:
    """GET /pipeline/my-day (included in the pipeline's router, which gives the prefix)."""
    routes = APIRouter(tags=["pipeline"])

    @routes.get("/my-day", response_model=MyDay, responses=NOT_FOUND)
    def day(
        who: CallerDep,
        owner: str | None = Query(default=None, max_length=200, description="one owner's day (default: mine)"),
        team: str | None = Query(default=None, max_length=100, description="a whole team's day"),
        days: int = Query(default=7, ge=1, le=31, description="how many days ahead `upcoming` reaches"),
        limit: int = Query(default=100, ge=1, le=500, description="items per list (`counts` has them all)"),
    ) -> dict[str, Any]:
        """Open tasks (overdue, today, upcoming) and meetings across the open deals of an
        owner or a team: a rep sees their own, a manager a rep of their teams or a team."""
        owners = access.owner_or_team(who.identity, "day", "read", owner, team)
        today = calendar.day_of(app.clock.now())
        with engine.connect() as connection:
            return {"owners": sorted(owners), **my_day(connection, owners, calendar, today, days, limit)}

    return routes


def my_day(
    connection: Connection, owners: frozenset[str], calendar: Calendar, today: date, days_ahead: int, limit: int = 100
) -> dict[str, Any]:
    """The owners' open tasks (overdue, due today, due in the next `days_ahead` days) and
    their meetings from today on, across their open deals; today is the company's. Each
    list holds its first `limit` items (`counts` says how many there are): a team's
    neglected tasks pile up, and nobody reads the thousandth."""
    span = calendar.days(today, today + timedelta(days=days_ahead))
    start_of_tomorrow = calendar.day(today).end
    query = (
        select(agenda, deals.c.name, deals.c.account_name, deals.c.owner_id)
        .join(deals, deals.c.deal_id == agenda.c.deal_id)
        .where(deals.c.owner_id.in_(sorted(owners)), deals.c.outcome.is_(None), deals.c.stage.is_not(None))
        .where(
            or_(
                and_(agenda.c.kind == "task", agenda.c.done.is_(False), agenda.c.at < span.end),
                and_(agenda.c.kind != "task", agenda.c.at >= span.start, agenda.c.at < span.end),
            )
        )
        .order_by(agenda.c.at, agenda.c.activity_id)
    )
    day: dict[str, Any] = {"overdue": [], "today": [], "upcoming": [], "meetings": []}
    for row in connection.execute(query).mappings():
        item = _item(row)
        at = in_utc(row["at"])
        if row["kind"] != "task":
            day["meetings"].append(item)
        elif at < span.start:
            day["overdue"].append(item)
        elif at < start_of_tomorrow:
            day["today"].append(item)
        else:
            day["upcoming"].append(item)
    counts = {bucket: len(items) for bucket, items in day.items()}
    shown = {bucket: items[:limit] for bucket, items in day.items()}
    return {
        "date": today.isoformat(),
        "timezone": calendar.name,
        "until": span.last.isoformat(),
        "counts": counts,
        **shown,
    }


def tasks_past_due(connection: Connection, now: datetime) -> list[str]:
    """The open deals with a task not done and past its due instant: the candidates for the
    overdue-task alert (the deal decides, and alerts each task once)."""
    query = (
        select(agenda.c.deal_id)
        .distinct()
        .join(deals, deals.c.deal_id == agenda.c.deal_id)
        .where(agenda.c.kind == "task", agenda.c.done.is_(False), agenda.c.at < _utc(now))
        .where(deals.c.outcome.is_(None), deals.c.stage.is_not(None))
    )
    return list(connection.execute(query).scalars().all())


def _utc(moment: datetime | None) -> datetime | None:
    return None if moment is None else as_stored(moment)


def _item(row: Any) -> dict[str, Any]:
    return {
        "deal_id": row["deal_id"],
        "deal_name": row["name"],
        "account_name": row["account_name"],
        "owner_id": row["owner_id"],
        "activity_id": row["activity_id"],
        "kind": row["kind"],
        "subject": row["subject"],
        "at": in_utc(row["at"]),
        "required_by_stage": row["required_by_stage"],
    }
