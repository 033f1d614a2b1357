"""Tamper evidence: every stored event carries `chain`, a SHA-256 over the chain of the
previous event of its stream and its own content. Altering, removing or reordering a
stored event breaks the chain from that event on, and `crm audit verify` says where.

The chain is computed when events are recorded (`chain_events`), from the content as the
store will give it back (JSON with sorted keys; dates, decimals and ids as text), so a
verifier needs nothing but the stored events.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

GENESIS = ""


def content_of(event: Any) -> str:
    fields = {key: value for key, value in event.__dict__.items() if key != "chain"}
    return json.dumps(fields, sort_keys=True, default=str, ensure_ascii=False, separators=(",", ":"))


def link(previous: str, event: Any) -> str:
    return hashlib.sha256((previous + "|" + content_of(event)).encode()).hexdigest()


def chain_events(events: Iterable[Any], previous_chain: Callable[[UUID, int], str]) -> dict[tuple[UUID, int], str]:
    """Set `chain` on each new event (events of one stream come in version order)."""
    heads: dict[UUID, str] = {}
    chained = {}
    for event in events:
        stream = event.originator_id
        previous = heads.get(stream)
        if previous is None:
            previous = GENESIS if event.originator_version == 1 else previous_chain(stream, event.originator_version - 1)
        chain = link(previous, event)
        object.__setattr__(event, "chain", chain)  # domain events are frozen; this is their seal
        heads[stream] = chain
        chained[(stream, event.originator_version)] = chain
    return chained


@dataclass(frozen=True)
class Broken:
    stream: str
    version: int
    notification_id: int
    problem: str


def verify(events: Iterable[tuple[int, Any]]) -> Iterator[Broken]:
    """Walk (notification id, domain event) in log order and say which events break their
    stream's chain: altered (content does not match its seal), removed or reordered
    (a version missing or out of turn), or never sealed."""
    heads: dict[Any, tuple[int, str]] = {}
    for notification_id, event in events:
        stream, version = event.originator_id, event.originator_version
        last_version, previous = heads.get(stream, (0, GENESIS))
        sealed = getattr(event, "chain", None)
        if version != last_version + 1:
            yield Broken(str(stream), version, notification_id, f"expected version {last_version + 1}: an event was removed or reordered")
        if sealed is None:
            yield Broken(str(stream), version, notification_id, "not sealed")
        elif link(previous, event) != sealed:
            yield Broken(str(stream), version, notification_id, "altered: its content does not match its seal")
        heads[stream] = (version, sealed or "")
