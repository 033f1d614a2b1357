"""The topics registration's aggregates and their events were first stored under.

eventsourcing stores each event under its class's topic, `module:Class.Event`, and finds
the class again by that topic when it reads the event back. The aggregates have since
moved into this package; each keeps the topic it was first stored under, for reading and
for writing. So the store holds one topic per kind of event whatever module the class
lives in, and a replica still running older code (a rolling deploy, a rollback) reads
every new event too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from eventsourcing.domain import CanMutateAggregate
from eventsourcing.utils import register_topic

A = TypeVar("A", bound=type)


def first_stored_in(module: str) -> Callable[[A], A]:
    """Class decorator: the aggregate and each of its event classes keep the topic they
    had in `module` (`TOPIC` is the attribute eventsourcing writes a class's topic from)."""

    def keep_topics(aggregate: A) -> A:
        classes: list[type] = [aggregate, *event_classes(aggregate)]
        for cls in classes:
            topic = f"{module}:{cls.__qualname__}"
            setattr(cls, "TOPIC", topic)  # noqa: B010 - a class attribute the type does not declare
            register_topic(topic, cls)
        return aggregate

    return keep_topics


def event_classes(aggregate: type) -> list[type]:
    """The event classes an aggregate class defines (`Registered`, …, and its bases
    `Event` and `Created`)."""
    return [
        value for value in vars(aggregate).values() if isinstance(value, type) and issubclass(value, CanMutateAggregate)
    ]
