"""Reading many streams in one query. eventsourcing reads one stream at a time, which costs a
consumer one round trip per upstream event; a batch instead asks for all the streams it names
at once and rebuilds each aggregate from its events as eventsourcing would."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator
from typing import Any
from uuid import UUID

from eventsourcing.application import project_aggregate
from eventsourcing.persistence import Mapper, StoredEvent
from eventsourcing.postgres import PostgresAggregateRecorder
from eventsourcing.sqlite import SQLiteAggregateRecorder
from psycopg.sql import SQL, Identifier

from shared.eventstore.chain import Seals

SQLITE_MOST = 900  # bound parameters per statement, below SQLite's oldest limit (999)


def select_streams(recorder: Any, ids: Collection[UUID]) -> list[StoredEvent] | None:
    """Every stored event of these streams, each stream in version order; None when the
    recorder is neither of the two this project runs on (then read them one by one)."""
    if isinstance(recorder, PostgresAggregateRecorder):
        statement = SQL(
            "SELECT originator_id, originator_version, topic, state FROM {schema}.{table} "
            "WHERE originator_id = ANY(%s) ORDER BY originator_id, originator_version"
        ).format(schema=Identifier(recorder.datastore.schema), table=Identifier(recorder.events_table_name))
        with recorder.datastore.get_connection() as connection, connection.cursor() as cursor:
            cursor.execute(statement, [list(ids)])
            return [
                StoredEvent(row["originator_id"], row["originator_version"], row["topic"], bytes(row["state"]))
                for row in cursor.fetchall()
            ]
    if isinstance(recorder, SQLiteAggregateRecorder):
        found: list[StoredEvent] = []
        keys = [i.hex for i in ids]
        for start in range(0, len(keys), SQLITE_MOST):
            part = keys[start : start + SQLITE_MOST]
            query = (
                f"SELECT originator_id, originator_version, topic, state FROM {recorder.events_table_name} "  # noqa: S608 - the recorder's own table name
                f"WHERE originator_id IN ({','.join('?' * len(part))}) ORDER BY originator_id, originator_version"
            )
            with recorder.datastore.transaction(commit=False) as cursor:
                cursor.execute(query, part)
                found += [
                    StoredEvent(
                        recorder.convert_originator_id(row["originator_id"]),
                        row["originator_version"],
                        row["topic"],
                        row["state"],
                    )
                    for row in cursor.fetchall()
                ]
        return found
    return None


def aggregates_of(mapper: Mapper[UUID], stored: list[StoredEvent], seals: Seals | None = None) -> dict[UUID, Any]:
    """The aggregates these events make, by id (eventsourcing's own projection of each); with
    `seals`, each stream's last seal is noted there, so the next save of it needs no lookup."""
    by_stream: dict[UUID, list[StoredEvent]] = defaultdict(list)
    for event in stored:
        by_stream[UUID(str(event.originator_id))].append(event)
    made: dict[UUID, Any] = {}
    project = sealing(seals) if seals is not None else project_aggregate
    for stream, events in by_stream.items():
        aggregate = project(None, (mapper.to_domain_event(e) for e in events))
        if aggregate is not None:
            made[stream] = aggregate
    return made


def sealing(seals: Seals) -> Callable[[Any, Iterable[Any]], Any]:
    """eventsourcing's projection of an aggregate from its events, noting the last event's
    seal (`chain`) in `seals` on the way: the aggregate was read to be changed, and its next
    event is sealed over that one, which would otherwise cost one more read of the stream."""

    def project(aggregate: Any, events: Iterable[Any]) -> Any:
        last = None

        def noting() -> Iterator[Any]:
            nonlocal last
            for event in events:
                last = event
                yield event

        projected = project_aggregate(aggregate, noting())
        chain = getattr(last, "chain", None)
        if last is not None and chain:  # a snapshot, or an event older than the chain: looked up
            seals.note(last.originator_id, last.originator_version, chain)
        return projected

    return project
