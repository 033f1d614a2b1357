"""Tamper evidence: every stored event carries `chain`, a SHA-256 over the chain of the
previous event of its stream and its own content. Altering, removing or reordering a
stored event breaks the chain from that event on, and `crm audit verify` says where.
Where a stream should end is not in the chain: the checkpoints (`shared.eventstore.checkpoints`)
anchor each stream's head, so a truncated or deleted stream is named too.

The chain is computed when events are recorded (`chain_events`), from the content as the
store will give it back (JSON with sorted keys; dates, decimals and ids as text), so a
verifier needs nothing but the stored events.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from types import SimpleNamespace
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
            previous = (
                GENESIS if event.originator_version == 1 else previous_chain(stream, event.originator_version - 1)
            )
        chain = link(previous, event)
        object.__setattr__(event, "chain", chain)  # domain events are frozen; this is their seal
        heads[stream] = chain
        chained[(stream, event.originator_version)] = chain
    return chained


class Seals:
    """The last seal known of each stream this process read or wrote, so that sealing the
    next event of a stream needs no lookup. Bounded: past `most` streams it forgets them all
    (the next save of each looks its seal up once), so a long-running service stays flat."""

    def __init__(self, most: int = 20_000) -> None:
        self.most = most
        self._last: dict[UUID, tuple[int, str]] = {}

    def note(self, stream: UUID, version: int, chain: str) -> None:
        known = self._last.get(stream)
        if known is None and len(self._last) >= self.most:
            self._last.clear()
        if known is None or known[0] < version:
            self._last[stream] = (version, chain)

    def of(self, stream: UUID, version: int) -> str | None:
        """The seal of that version of the stream, if it is the last one known."""
        known = self._last.get(stream)
        return known[1] if known is not None and known[0] == version else None

    def __len__(self) -> int:
        return len(self._last)


@dataclass(frozen=True)
class Broken:
    stream: str
    version: int
    notification_id: int
    problem: str


def verify(
    events: Iterable[tuple[int, Any]], reread: Callable[[], Iterable[tuple[int, Any]]] | None = None
) -> Iterator[Broken]:
    """Walk (notification id, domain event) in log order and say which events break their
    stream's chain: altered (content does not match its seal), removed (versions missing
    before it), reordered (out of turn), or never sealed.

    With `reread` (the same events again), each broken stream is looked at whole: when its
    events are all there and each matches its seal in some other order, they were moved,
    and are named "reordered" (where they were sealed, where they are) instead of altered."""
    found = list(_walk(events))
    if reread is None or not found:
        yield from found
        return
    broken = {p.stream for p in found}
    streams: dict[str, list[tuple[int, Any]]] = {stream: [] for stream in broken}
    for notification_id, event in reread():
        kept = streams.get(str(event.originator_id))
        if kept is not None:
            kept.append((notification_id, event))
    explained = {stream: _reordering(stream, events) for stream, events in streams.items()}
    done: set[str] = set()
    for problem in found:
        moved = explained.get(problem.stream)
        if moved is None:
            yield problem
        elif problem.stream not in done:
            done.add(problem.stream)
            yield from moved


def _walk(events: Iterable[tuple[int, Any]]) -> Iterator[Broken]:
    heads: dict[Any, tuple[int, str]] = {}
    for notification_id, event in events:
        stream, version = event.originator_id, event.originator_version
        last_version, previous = heads.get(stream, (0, GENESIS))
        sealed = getattr(event, "chain", None)
        if version > last_version:
            heads[stream] = (version, sealed or "")
        if version > last_version + 1:
            missing = (
                f"version {last_version + 1}"
                if version == last_version + 2
                else f"versions {last_version + 1}–{version - 1}"
            )
            yield Broken(
                str(stream),
                version,
                notification_id,
                f"removed: {missing} missing before it (an event was removed or reordered)",
            )
            continue  # its seal links to an event that is not there: nothing to check it against
        if version <= last_version:
            yield Broken(
                str(stream),
                version,
                notification_id,
                f"reordered: recorded after version {last_version} (an event was removed or reordered)",
            )
            continue
        if sealed is None:
            yield Broken(str(stream), version, notification_id, "not sealed")
        elif link(previous, event) != sealed:
            yield Broken(str(stream), version, notification_id, "altered: its content does not match its seal")


MAX_REORDER_CHECK = 2_000  # events of one stream; a longer broken stream keeps the plain findings


def _reordering(stream: str, events: list[tuple[int, Any]]) -> list[Broken] | None:
    """When every event of the stream matches its seal at some place in it, the events
    that are not in that place were moved: name each. None when that does not explain it
    (an event is missing or its content changed)."""
    if not events or len(events) > MAX_REORDER_CHECK:
        return None
    remaining = list(events)
    previous = GENESIS
    sealed_at: list[tuple[int, int, Any]] = []  # (the version it was sealed as, notification id, event)
    for version in range(1, len(events) + 1):
        match = next(
            (
                item
                for item in remaining
                if getattr(item[1], "chain", None) and link(previous, _as_version(item[1], version)) == item[1].chain
            ),
            None,
        )
        if match is None:
            return None
        remaining.remove(match)
        sealed_at.append((version, *match))
        previous = match[1].chain
    rank = {notification_id: place for place, (notification_id, _) in enumerate(sorted(events, key=lambda e: e[0]), 1)}
    moved = [
        Broken(
            stream,
            event.originator_version,
            notification_id,
            f"reordered: sealed as version {version}, found as version {event.originator_version}"
            + (
                f", {_ordinal(rank[notification_id])} of its stream in the log"
                if rank[notification_id] != version
                else ""
            ),
        )
        for version, notification_id, event in sealed_at
        if event.originator_version != version or rank[notification_id] != version
    ]
    return sorted(moved, key=lambda p: p.notification_id) or None


def _as_version(event: Any, version: int) -> Any:
    if event.originator_version == version:
        return event
    return SimpleNamespace(**{**event.__dict__, "originator_version": version})


def _ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"
