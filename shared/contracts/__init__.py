"""The public contract: CloudEvents envelope, the event catalogue, topic names.

Analytics consumers and the other services see only what is defined here; a service's
internal domain events are translated into these at its edge.
"""

from shared.contracts.envelope import (
    CONTENT_TYPE,
    CloudEvent,
    MalformedEvent,
    ReceivedEvent,
    UnknownEvent,
    parse_event,
)
from shared.contracts.events import CATALOGUE, EventData, Money, money
from shared.contracts.topics import CHECKPOINTS, DEADLETTER, FORECAST, PIPELINE, REGISTRATION, TOPICS

__all__ = [
    "CATALOGUE",
    "CHECKPOINTS",
    "CONTENT_TYPE",
    "CloudEvent",
    "DEADLETTER",
    "EventData",
    "FORECAST",
    "MalformedEvent",
    "Money",
    "PIPELINE",
    "REGISTRATION",
    "ReceivedEvent",
    "TOPICS",
    "UnknownEvent",
    "money",
    "parse_event",
]
