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
How is `shared.eventstore.heads`; this module records the checkpoints and reads them back.

A checkpoint only ever extends the previous one: a checkpointer that finds the store
behind its own last checkpoint records nothing and logs why, so it never anchors what
someone cut away.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import IntegrityError

from shared.contracts import MalformedEvent, ReceivedEvent, parse_event
from shared.contracts import events as public
from shared.eventstore.application import ServiceApplication, meta
from shared.eventstore.chain import Broken
from shared.eventstore.heads import Entry, Heads, fold, heads_hash

log = logging.getLogger(__name__)

_NAMESPACE = UUID("5b0c4f0e-6a43-4b9e-8f57-2d6c1e0a9c31")
MAX_HEADS_PER_EVENT = 2_000  # a checkpoint naming more changed heads comes in parts (~300 KB each)


def checkpoint_stream(service: str) -> UUID:
    """The id of a service's checkpoint stream: the same in every store of that service."""
    return uuid5(_NAMESPACE, f"crm/{service}/checkpoints")


class Checkpoint(Aggregate):
    """A service's checkpoint stream. Its events are appended without loading it. The
    topics are the ones stores already hold (the module was `shared.checkpoints`): moving
    the code must not make recorded checkpoints unreadable."""

    TOPIC = "shared.checkpoints:Checkpoint"

    class Created(Aggregate.Created):
        TOPIC = "shared.checkpoints:Checkpoint.Created"  # never recorded (see `Started`)

    @event("Started", topic="shared.checkpoints:Checkpoint.Started")
    def __init__(self, id: UUID, service: str, meta: dict[str, str]) -> None:  # noqa: A002
        self.service = service

    class Recorded(Aggregate.Event):
        TOPIC = "shared.checkpoints:Checkpoint.Recorded"

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


def checkpoint_data(event: Any) -> public.CheckpointRecorded | None:
    """The public `data` of a checkpoint event (None for any other event)."""
    if not isinstance(event, Checkpoint.Recorded):
        return None
    return public.CheckpointRecorded(
        service=event.service,
        position=event.position,
        streams=event.streams,
        heads_hash=event.heads_hash,
        heads={
            stream: public.StreamHead(version=version, chain=chain) for stream, (version, chain) in event.heads.items()
        },
        part=event.part,
        parts=event.parts,
    )


# -- the checkpoints, read back -------------------------------------------------------------------


def store_entries(app: ServiceApplication, service: str) -> list[Entry]:
    """The checkpoint events of the store's own checkpoint stream."""
    return [
        Entry(
            e.originator_version,
            e.position,
            e.streams,
            e.heads_hash,
            {key: (head[0], head[1]) for key, head in e.heads.items()},
            e.part,
            e.parts,
        )
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
        entries.append(
            Entry(
                received.sequence,
                data.position,
                data.streams,
                data.heads_hash,
                {key: (head.version, head.chain) for key, head in data.heads.items()},
                data.part,
                data.parts,
            )
        )
    return entries


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
                self.service,
                len(self.refused),
                self.refused[0].stream,
                self.refused[0].problem,
                self.service,
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
        chunks = [changed[i : i + MAX_HEADS_PER_EVENT] for i in range(0, len(changed), MAX_HEADS_PER_EVENT)]
        stored = self.app.recorder.select_events(self.stream, desc=True, limit=1)
        version = stored[0].originator_version if stored else 0
        system = meta("system", f"checkpoint-{self.service}-{position}")
        objects: list[Any] = []
        if version == 0:
            objects.append(Checkpoint(id=self.stream, service=self.service, meta=system))
            version = 1
        timestamp = Checkpoint.Recorded.create_timestamp()
        for part, chunk in enumerate(chunks, 1):
            # ignore: eventsourcing makes each event class a dataclass when the class is made, so
            # mypy sees only the base event's fields in this constructor.
            objects.append(
                Checkpoint.Recorded(  # type: ignore[call-arg]
                    originator_id=self.stream,
                    originator_version=version + part,
                    timestamp=timestamp,
                    service=self.service,
                    position=position,
                    streams=len(heads),
                    heads_hash=digest,
                    heads={key: list(heads[key]) for key in chunk},
                    part=part,
                    parts=len(chunks),
                    meta=system,
                )
            )
        try:
            self.app.save(*objects)
        except IntegrityError:
            log.info("%s: another replica recorded a checkpoint first", self.service)
            return False  # the heads changed since ours stay in the next one's
        self._changed = set()
        log.info("%s: checkpoint at notification %d (%d streams)", self.service, position, len(heads))
        return True
