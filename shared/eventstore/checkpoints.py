"""Checkpoints: where each stream of a service's event store should end.

The hash chain (`shared.eventstore.chain`) proves that each event follows the one before it; nothing
in it says that a stream had more events, or existed at all. So each service records, every
CRM_CHECKPOINT_INTERVAL_SECONDS and only when its store changed, a checkpoint: the store's
last notification id, how many streams it holds, a SHA-256 over every stream's head (id,
version, seal) and the heads that changed since the previous checkpoint. The checkpoint
is an event of the store's own checkpoint stream (sealed and chained like any other), and
the outbox publishes it on `crm.checkpoints`: a copy the store alone cannot rewrite.

`crm audit verify` folds the checkpoints (the store's, or the topic's copy) into the head
every stream had at the last one, and names each stream that disagrees: truncated (its
head is below the checkpointed version), missing (gone whole), altered (resealed since).

A checkpoint only ever extends the previous one: a checkpointer that finds the store
behind its own last checkpoint records nothing and logs why, so it never anchors what
someone cut away.
"""
from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import IntegrityError

from shared.contracts import MalformedEvent, ReceivedEvent, parse_event
from shared.contracts import events as public
from shared.eventstore.application import ServiceApplication, meta
from shared.eventstore.chain import Broken

log = logging.getLogger(__name__)

_NAMESPACE = UUID("5b0c4f0e-6a43-4b9e-8f57-2d6c1e0a9c31")
MAX_HEADS_PER_EVENT = 2_000  # a checkpoint naming more changed heads comes in parts (~300 KB each)


def checkpoint_stream(service: str) -> UUID:
    """The id of a service's checkpoint stream: the same in every store of that service."""
    return uuid5(_NAMESPACE, f"crm/{service}/checkpoints")


class Checkpoint(Aggregate):
    """A service's checkpoint stream. Its events are appended without loading it."""

    @event("Started")
    def __init__(self, id: UUID, service: str, meta: dict[str, str]) -> None:  # noqa: A002
        self.service = service

    class Recorded(Aggregate.Event):
        service: str
        position: int  # the last notification id covered
        streams: int
        heads_hash: str
        heads: dict[str, list[Any]]  # stream id → [version, chain]: the heads changed since the previous checkpoint
        part: int
        parts: int
        meta: dict[str, str]

        def apply(self, aggregate: Any) -> None:
            pass


def heads_hash(heads: Mapping[str, tuple[int, str | None]]) -> str:
    """SHA-256 over `<stream>|<version>|<chain>` lines, sorted by stream id."""
    digest = hashlib.sha256()
    for stream in sorted(heads):
        version, chain = heads[stream]
        digest.update(f"{stream}|{version}|{chain or ''}\n".encode())
    return digest.hexdigest()


def checkpoint_data(event: Any) -> public.CheckpointRecorded | None:
    """The public `data` of a checkpoint event (None for any other event)."""
    if not isinstance(event, Checkpoint.Recorded):
        return None
    return public.CheckpointRecorded(
        service=event.service,
        position=event.position,
        streams=event.streams,
        heads_hash=event.heads_hash,
        heads={stream: public.StreamHead(version=version, chain=chain) for stream, (version, chain) in event.heads.items()},
        part=event.part,
        parts=event.parts,
    )


# -- what the checkpoints vouch for -----------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One checkpoint event, from the store or from the topic's copy."""

    version: int
    position: int
    streams: int
    heads_hash: str
    heads: dict[str, tuple[int, str]]
    part: int
    parts: int


@dataclass
class Anchor:
    """Every stream's head at notification `position`, as the checkpoints say."""

    where: str  # "the store's checkpoints" or "the published checkpoints"
    stream: str  # the checkpoint stream's id
    position: int
    heads: dict[str, tuple[int, str]]
    last_version: int  # of the checkpoint stream's newest event in this source
    problems: list[Broken] = field(default_factory=list)  # the checkpoints do not add up


def fold(entries: Iterable[Entry], where: str, stream: str) -> Anchor | None:
    """The heads at the last complete checkpoint (None: there is none)."""
    unique = {entry.version: entry for entry in entries}
    if not unique:
        return None
    ordered = [unique[version] for version in sorted(unique)]
    complete = [entry for entry in ordered if entry.part == entry.parts]
    problems: list[Broken] = []
    if not complete:
        return None
    last = complete[-1]
    heads: dict[str, tuple[int, str]] = {}
    expected = 2  # version 1 starts the stream; every later one is a checkpoint
    for entry in ordered:
        if entry.version > last.version:
            break
        if entry.version != expected:
            problems.append(Broken(stream, expected, 0, f"removed: checkpoint versions {expected}–{entry.version - 1} "
                                   f"are missing from {where}"))
        expected = entry.version + 1
        for key, (version, chain) in entry.heads.items():
            before = heads.get(key)
            if before is not None and version < before[0]:
                problems.append(Broken(key, version, 0, f"truncated: checkpoint version {entry.version} in {where} "
                                       f"moves its head back from version {before[0]}"))
            heads[key] = (version, chain)
    if len(heads) != last.streams or heads_hash(heads) != last.heads_hash:
        problems.append(Broken(stream, last.version, 0, f"altered: the checkpoint at notification {last.position} in "
                               f"{where} does not add up (its hash or stream count is not that of the heads named)"))
    return Anchor(where, stream, last.position, heads, ordered[-1].version, problems)


def store_entries(app: ServiceApplication, service: str) -> list[Entry]:
    """The checkpoint events of the store's own checkpoint stream."""
    return [
        Entry(e.originator_version, e.position, e.streams, e.heads_hash,
              {key: (head[0], head[1]) for key, head in e.heads.items()}, e.part, e.parts)
        for e in app.sealed_stream(checkpoint_stream(service))
        if hasattr(e, "heads_hash")
    ]


def published_entries(messages: Iterable[bytes | str], service: str) -> list[Entry]:
    """The service's checkpoints among the topic's messages (CloudEvents, one per item)."""
    wanted = str(checkpoint_stream(service))
    entries = []
    for message in messages:
        try:
            received = parse_event(message)
        except MalformedEvent:
            continue
        if not isinstance(received, ReceivedEvent) or not isinstance(received.data, public.CheckpointRecorded):
            continue
        data = received.data
        if data.service != service or received.envelope.subject != wanted:
            continue
        entries.append(Entry(received.sequence, data.position, data.streams, data.heads_hash,
                             {key: (head.version, head.chain) for key, head in data.heads.items()}, data.part, data.parts))
    return entries


class Heads:
    """Every stream's head, as the log is walked in order; held against an anchor, the
    streams that disagree with it."""

    def __init__(self, anchor: Anchor | None = None) -> None:
        self.anchor = anchor
        self.heads: dict[str, tuple[int, str]] = {}
        self.position = 0
        self._at_anchor: dict[str, str] = {}  # stream → seal of its event at the anchored version
        self._unexpected: dict[str, tuple[int, int]] = {}  # stream → (version, notification): not anchored

    def see(self, notification_id: int, event: Any) -> str:
        stream, version = str(event.originator_id), event.originator_version
        chain = getattr(event, "chain", None) or ""
        head = self.heads.get(stream)
        if head is None or version > head[0]:
            self.heads[stream] = (version, chain)
        self.position = max(self.position, notification_id)
        if self.anchor is not None:
            anchored = self.anchor.heads.get(stream)
            if anchored is not None:
                if version == anchored[0]:
                    self._at_anchor[stream] = chain
            elif notification_id <= self.anchor.position and stream not in self._unexpected:
                self._unexpected[stream] = (version, notification_id)
        return stream

    def problems(self) -> list[Broken]:
        anchor = self.anchor
        if anchor is None:
            return []
        found = list(anchor.problems)
        checkpoint = f"the checkpoint at notification {anchor.position} ({anchor.where})"
        for stream, (version, chain) in anchor.heads.items():
            head = self.heads.get(stream)
            if head is None:
                found.append(Broken(stream, version, 0, f"missing: the whole stream is gone; {checkpoint} has it "
                                    f"at version {version}"))
            elif head[0] < version:
                found.append(Broken(stream, head[0], 0, f"truncated: it ends at version {head[0]}; {checkpoint} has "
                                    f"it at version {version}"))
            elif stream not in self._at_anchor:
                found.append(Broken(stream, version, 0, f"removed: the event at version {version}, its head at "
                                    f"{checkpoint}, is gone"))
            elif chain and self._at_anchor[stream] != chain:
                found.append(Broken(stream, version, 0, f"altered: its seal at version {version} is not the one "
                                    f"{checkpoint} holds (its history was rewritten and resealed)"))
        for stream, (version, notification_id) in self._unexpected.items():
            found.append(Broken(stream, version, notification_id, f"inserted: recorded before {checkpoint}, "
                                "which does not have it"))
        own = self.heads.get(anchor.stream)
        if anchor.stream not in {p.stream for p in found}:
            if own is None:
                found.append(Broken(anchor.stream, anchor.last_version, 0, f"missing: the checkpoint stream is gone; "
                                    f"{anchor.where} go up to version {anchor.last_version}"))
            elif own[0] < anchor.last_version:
                found.append(Broken(anchor.stream, own[0], 0, f"truncated: the checkpoint stream ends at version "
                                    f"{own[0]}; {anchor.where} go on to version {anchor.last_version}"))
        return sorted(found, key=lambda p: (p.stream, p.version))


# -- the job -------------------------------------------------------------------------------------


class Checkpointer:
    """The checkpoint job of one service: `run` records a checkpoint when the store changed
    since the last one. Its first run reads the whole store (every stream's head, held
    against the store's last checkpoint); later runs read only what was recorded since."""

    def __init__(self, app: ServiceApplication, service: str) -> None:
        self.app = app
        self.service = service
        self.stream = checkpoint_stream(service)
        self._heads: Heads | None = None
        self._changed: set[str] = set()  # streams whose head moved since this process's base checkpoint
        self.refused: list[Broken] = []

    def scheduled(self) -> bool:
        """The job's step. The first, at start-up, only reads the store (beside the other
        start-up work); the first checkpoint comes one interval later."""
        if self._heads is None:
            self._start()
            return False
        return self.run()

    def run(self) -> bool:
        """Record a checkpoint now if anything but the checkpoint stream changed since the
        last one; answer whether one was recorded."""
        if self._heads is None:
            self._start()
        assert self._heads is not None
        for notification_id, stored in self.app.sealed_events(after=self._heads.position):
            self._changed.add(self._heads.see(notification_id, stored))
        if self.refused:
            log.error(
                "%s: no checkpoint recorded: %d streams disagree with the last one (first: stream %s: %s); "
                "run `crm audit verify %s`",
                self.service, len(self.refused), self.refused[0].stream, self.refused[0].problem, self.service,
            )
            return False
        if not self._changed - {str(self.stream)}:
            return False
        return self._record()

    def _start(self) -> None:
        anchor = fold(store_entries(self.app, self.service), "the store's checkpoints", str(self.stream))
        heads = Heads(anchor)
        for notification_id, stored in self.app.sealed_events():
            heads.see(notification_id, stored)
        self.refused = heads.problems()
        anchored = anchor.heads if anchor is not None else {}
        self._changed = {stream for stream, head in heads.heads.items() if anchored.get(stream) != head}
        self._heads = heads

    def _record(self) -> bool:
        assert self._heads is not None
        heads = dict(self._heads.heads)
        position = self._heads.position
        digest = heads_hash(heads)
        changed = sorted(self._changed)
        chunks = [changed[i:i + MAX_HEADS_PER_EVENT] for i in range(0, len(changed), MAX_HEADS_PER_EVENT)]
        stored = self.app.recorder.select_events(self.stream, desc=True, limit=1)
        version = stored[0].originator_version if stored else 0
        system = meta("system", f"checkpoint-{self.service}-{position}")
        objects: list[Any] = []
        if version == 0:
            objects.append(Checkpoint(id=self.stream, service=self.service, meta=system))
            version = 1
        timestamp = Checkpoint.Recorded.create_timestamp()
        for part, chunk in enumerate(chunks, 1):
            objects.append(Checkpoint.Recorded(
                originator_id=self.stream, originator_version=version + part, timestamp=timestamp,
                service=self.service, position=position, streams=len(heads), heads_hash=digest,
                heads={key: list(heads[key]) for key in chunk}, part=part, parts=len(chunks), meta=system,
            ))
        try:
            self.app.save(*objects)
        except IntegrityError:
            log.info("%s: another replica recorded a checkpoint first", self.service)
            return False  # the heads changed since ours stay in the next one's
        self._changed = set()
        log.info("%s: checkpoint at notification %d (%d streams)", self.service, position, len(heads))
        return True
