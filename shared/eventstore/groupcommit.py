"""Group commit for the PostgreSQL event store: concurrent saves in one process share one
transaction, one table lock and one commit.

Each save costs the store a transaction that locks the events table (so notification ids
become visible in the order they were issued: a reader tailing the log never passes over
an id that commits later) and a commit that waits for the disk. Saves arriving while a
commit is in flight would only queue for that lock. Instead they queue here (the classic
leader/follower scheme): the first waiter becomes the leader and writes everything queued
in one statement, then wakes the others, each with its own notification ids or its own
error. The next waiter in line leads the next group.

A failure of the group's statement (a version conflict, bad data) is sorted out member by
member, each under its own savepoint in one transaction, so only the member at fault gets
its error; a lost race is then retried by its caller (`retrying`) as before. A save that
touches a stream already in the group waits for the next group: two saves of one stream
are never in flight together, so each stream's hash chain continues from its previous,
committed, event. The store being away (connection lost, lock timeout) fails the whole
group, and each member's own retries try it again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.persistence import (
    DatabaseError,
    DataError,
    IntegrityError,
    InterfaceError,
    InternalError,
    NotSupportedError,
    OperationalError,
    PersistenceError,
    ProgrammingError,
    StoredEvent,
)
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.utils import retry
from psycopg.sql import SQL, Identifier

MAX_GROUP_EVENTS = 2_000  # one statement's worth; a larger single save still goes alone

_TRANSLATED: tuple[tuple[type[psycopg.Error], type[PersistenceError]], ...] = (
    (psycopg.InterfaceError, InterfaceError),
    (psycopg.OperationalError, OperationalError),
    (psycopg.DataError, DataError),
    (psycopg.IntegrityError, IntegrityError),
    (psycopg.InternalError, InternalError),
    (psycopg.ProgrammingError, ProgrammingError),
    (psycopg.NotSupportedError, NotSupportedError),
    (psycopg.DatabaseError, DatabaseError),
)


def translated(error: BaseException) -> BaseException:
    """The error as eventsourcing's own recorder would raise it (callers, `retrying` and
    the inbox know those), a fresh object for each member that receives it."""
    mapped: BaseException
    if isinstance(error, PersistenceError):  # already translated (by the pool's connection)
        mapped = type(error)(*error.args)
    elif isinstance(error, psycopg.Error):
        mapped = next((ours(str(error)) for theirs, ours in _TRANSLATED if isinstance(error, theirs)), None) or (
            PersistenceError(str(error))
        )
    else:
        return error
    mapped.__cause__ = error
    return mapped


def _store_away(error: BaseException) -> bool:
    """The connection or the lock failed, not one member's rows: nobody's insert is at fault."""
    return isinstance(error, (psycopg.OperationalError, psycopg.InterfaceError))


class Append:
    """One save waiting in the queue: its rows, its streams, and in time its answer."""

    __slots__ = ("done", "error", "events", "ids", "streams", "wake")

    def __init__(self, events: list[Any], streams: set[UUID | str]) -> None:
        self.events = events
        self.streams = streams
        self.ids: list[int] | None = None
        self.error: BaseException | None = None
        self.done = False  # answered; woken without it, the entry leads the next group
        self.wake = threading.Event()

    def answer(self) -> list[int]:
        if self.error is not None:
            raise self.error
        assert self.ids is not None  # noqa: S101 - a member is answered before it is woken
        return self.ids


class GroupCommit:
    """The queue and the leader's baton; `write` records a group and answers each member
    (ids or error). Independent of the store, so its scheduling can be tested alone."""

    def __init__(self, write: Callable[[list[Append]], None], max_events: int = MAX_GROUP_EVENTS) -> None:
        self._write = write
        self._max_events = max_events
        self._lock = threading.Lock()
        self._queue: list[Append] = []
        self._busy = False  # a leader is at work; while false the queue is empty

    def append(self, entry: Append) -> list[int]:
        with self._lock:
            self._queue.append(entry)
            leading = not self._busy
            self._busy = True
        if not leading:
            entry.wake.wait()
            if entry.done:
                return entry.answer()
        # Leading: this entry is at the head of the queue, so in the group it writes.
        group = self._take()
        try:
            self._write(group)
        except BaseException as error:  # a bug or an interrupt: nobody may wait forever
            for member in group:
                if member.ids is None and member.error is None:
                    member.error = error
        finally:
            self._finish(entry, group)
        return entry.answer()

    def _take(self) -> list[Append]:
        """The queue's head, then every waiter after it whose streams are not in the group
        yet, up to the size of one statement; the others keep their places."""
        with self._lock:
            group: list[Append] = []
            streams: set[UUID | str] = set()
            events = 0
            rest: list[Append] = []
            for waiting in self._queue:
                fits = not group or (events + len(waiting.events) <= self._max_events)
                if fits and streams.isdisjoint(waiting.streams):
                    group.append(waiting)
                    streams |= waiting.streams
                    events += len(waiting.events)
                else:
                    rest.append(waiting)
            self._queue = rest
            return group

    def _finish(self, leader: Append, group: list[Append]) -> None:
        with self._lock:
            for member in group:
                if member.ids is None and member.error is None:
                    member.error = PersistenceError("the group commit left this save unanswered")
                member.done = True
            if self._queue:
                self._queue[0].wake.set()  # the next in line leads the next group
            else:
                self._busy = False
        for member in group:
            if member is not leader:
                member.wake.set()


class GroupCommitRecorder(PostgresApplicationRecorder):
    """eventsourcing's PostgreSQL application recorder whose inserts go through a group
    commit. Its statement is a function that locks the table, notifies listeners and
    inserts, called outside any explicit transaction: one round trip, one commit.
    (eventsourcing's own insert function, used when group commit is off, takes no table
    lock: two concurrent saves may commit their ids out of order.)"""

    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events") -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        self.append_function_name = f"crm_append_{self.events_table_name}"[:63]
        schema = Identifier(self.datastore.schema)
        self.sql_append = SQL("SELECT * FROM {schema}.{function}((%s))").format(
            schema=schema, function=Identifier(self.append_function_name)
        )
        self.sql_create_statements.append(
            SQL(
                "CREATE OR REPLACE FUNCTION {schema}.{function}(events {schema}.{event}[]) "
                "RETURNS TABLE (stream {id_type}, version bigint, notification bigint) "
                "LANGUAGE plpgsql AS $BODY$ "
                "BEGIN "
                "  SET LOCAL lock_timeout = '{lock_timeout}s'; "
                "  LOCK TABLE {schema}.{table} IN EXCLUSIVE MODE; "
                "  NOTIFY {channel}; "
                "  RETURN QUERY "
                "    INSERT INTO {schema}.{table} AS t (originator_id, originator_version, topic, state) "
                "    SELECT e.originator_id, e.originator_version, e.topic, e.state FROM unnest(events) AS e "
                "    RETURNING t.originator_id, t.originator_version, t.notification_id; "
                "END; $BODY$"
            ).format(
                schema=schema,
                function=Identifier(self.append_function_name),
                event=Identifier(self.stored_event_type_name),
                id_type=Identifier(self.datastore.originator_id_type),
                lock_timeout=self.datastore.lock_timeout,
                table=Identifier(self.events_table_name),
                channel=Identifier(self.channel_name),
            )
        )
        self.group_commit = GroupCommit(self._write_group)

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        # kwargs (tracking) are not kept by an application recorder, here as in eventsourcing's
        if not stored_events:
            return []
        rows = [
            self.construct_pg_stored_event(e.originator_id, e.originator_version, e.topic, e.state)
            for e in stored_events
        ]
        return self.group_commit.append(Append(rows, {e.originator_id for e in stored_events}))

    def _write_group(self, group: list[Append]) -> None:
        """Record the group and answer each member. The common case is one statement; when
        it fails for a reason of the rows, each member is tried under its own savepoint."""
        try:
            with self.datastore.get_connection() as conn:
                try:
                    rows = conn.execute(
                        self.sql_append, ([e for m in group for e in m.events],), prepare=True
                    ).fetchall()
                except psycopg.Error as error:
                    if _store_away(error) or len(group) == 1:
                        raise
                    self._one_by_one(conn, group)
                    return
                _answer(group, rows)
        except BaseException as error:
            for member in group:
                if member.ids is None and member.error is None:
                    member.error = translated(error)

    def _one_by_one(self, conn: psycopg.Connection[Any], group: list[Append]) -> None:
        """Every member in one transaction (one lock, one commit), each under a savepoint:
        the members at fault get their own error, the others their ids once it commits."""
        recorded: list[tuple[Append, list[Any]]] = []
        with conn.transaction():
            for member in group:
                try:
                    with conn.transaction():
                        rows = conn.execute(self.sql_append, (member.events,), prepare=True).fetchall()
                except psycopg.Error as error:
                    if _store_away(error):
                        raise
                    member.error = translated(error)
                else:
                    recorded.append((member, rows))
        for member, rows in recorded:
            _answer([member], rows)


def _answer(group: list[Append], rows: list[Any]) -> None:
    """Each member its own notification ids, in the order of its events."""
    issued = {(str(row["stream"]), row["version"]): row["notification"] for row in rows}
    for member in group:
        member.ids = [issued[(str(e.originator_id), e.originator_version)] for e in member.events]
