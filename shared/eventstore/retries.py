"""Optimistic-concurrency retries, and which driver errors mean "the store is away"."""

from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Callable
from typing import TypeVar

import psycopg
import sqlalchemy.exc
from eventsourcing.persistence import IntegrityError, InterfaceError, OperationalError

from shared.errors import ConcurrentUpdate

T = TypeVar("T")


# The store is away (server restarting, network cut, pool exhausted, SQLite locked): nothing
# was recorded, and the same command may simply be tried again later (HTTP 503, a consumer
# leaves the message unacknowledged).
STORE_UNAVAILABLE: tuple[type[Exception], ...] = (
    OperationalError,
    InterfaceError,
    sqlalchemy.exc.OperationalError,
    sqlalchemy.exc.InterfaceError,
    sqlalchemy.exc.TimeoutError,
    psycopg.OperationalError,
    sqlite3.OperationalError,
    ConnectionError,
    TimeoutError,
)


def retrying(command: Callable[[], T], attempts: int = 8) -> T:
    """Run `command` again (it reloads its aggregates) when another writer saved first.

    The event store refuses a second event at the same aggregate version, so a lost race
    never overwrites anything: it is either retried against the new state, or answered
    with ConcurrentUpdate (409). A short random pause between attempts lets writers that
    collide on a shared aggregate (a rep's holdings, a customer index) fall out of step.
    """
    for attempt in range(attempts - 1):
        try:
            return command()
        except IntegrityError:
            time.sleep(random.uniform(0, 0.002 * 2**attempt))  # noqa: S311 - jitter, not secrecy
    try:
        return command()
    except IntegrityError:
        raise ConcurrentUpdate(f"another command changed the same records first, {attempts} times") from None
