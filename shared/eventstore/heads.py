"""Every stream's head (version, seal), as checkpoints record it and as the log shows it.

`fold` turns a service's checkpoint events (`shared.eventstore.checkpoints`: the store's own,
or the topic's copy) into the anchor they vouch for: every stream's head at the last complete
checkpoint. `Heads`, fed the log in order, holds the store to that anchor and names each
stream that disagrees: truncated, missing, removed, altered, inserted.

Two hashes. A checkpoint recorded since 2026-11-30 names the hash of the one before it
(`previous_hash`) and its `heads_hash` chains that to its own changed heads
(`chained_hash`): the checkpointer then needs only the heads changed since the last
checkpoint, never every stream's (its memory grew with the store). Earlier checkpoints
hash every stream's head (`heads_hash`, sorted lines); a store keeps them as they are and
`fold` checks each kind by its own rule.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from shared.eventstore.chain import Broken


def heads_hash(heads: Mapping[str, tuple[int, str | None]]) -> str:
    """SHA-256 over `<stream>|<version>|<chain>` lines, sorted by stream id."""
    return _over_lines(hashlib.sha256(), heads)


def _over_lines(digest: Any, heads: Mapping[str, tuple[int, str | None]]) -> str:
    for stream in sorted(heads):
        version, chain = heads[stream]
        digest.update(f"{stream}|{version}|{chain or ''}\n".encode())
    return str(digest.hexdigest())


GENESIS = "0" * 64  # what the first chained checkpoint of a store follows


def chained_hash(previous: str, heads: Mapping[str, tuple[int, str | None]]) -> str:
    """SHA-256 over the previous checkpoint's hash, then the `<stream>|<version>|<chain>`
    lines of this one's heads, sorted: each checkpoint vouches for every one before it."""
    return _over_lines(hashlib.sha256(f"{previous}\n".encode()), heads)


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
    previous_hash: str | None = None  # None: an unchained checkpoint (hashing every head)


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
    previous: Entry | None = None
    for entry in ordered:
        if entry.version > last.version:
            break
        if entry.version != expected:
            problems.append(
                Broken(
                    stream,
                    expected,
                    0,
                    f"removed: checkpoint versions {expected}–{entry.version - 1} are missing from {where}",
                )
            )
        elif not _chains(entry, previous):
            problems.append(_unchained(stream, entry, where))
        expected, previous = entry.version + 1, entry
        for key, (version, chain) in entry.heads.items():
            before = heads.get(key)
            if before is not None and version < before[0]:
                problems.append(
                    Broken(
                        key,
                        version,
                        0,
                        f"truncated: checkpoint version {entry.version} in {where} "
                        f"moves its head back from version {before[0]}",
                    )
                )
            heads[key] = (version, chain)
    unchained_last = last.previous_hash is None and heads_hash(heads) != last.heads_hash
    if len(heads) != last.streams or unchained_last:
        problems.append(
            Broken(
                stream,
                last.version,
                0,
                f"altered: the checkpoint at notification {last.position} in "
                f"{where} does not add up (its hash or stream count is not that of the heads named)",
            )
        )
    return Anchor(where, stream, last.position, heads, ordered[-1].version, problems)


def _chains(entry: Entry, previous: Entry | None) -> bool:
    """Whether a checkpoint follows the one before it: a chained one names its hash and adds
    up to its own; an unchained one (older) may only come before every chained one."""
    if entry.previous_hash is None:
        return previous is None or previous.previous_hash is None
    before = previous.heads_hash if previous is not None else GENESIS
    return entry.previous_hash == before and chained_hash(before, entry.heads) == entry.heads_hash


def _unchained(stream: str, entry: Entry, where: str) -> Broken:
    return Broken(
        stream,
        entry.version,
        0,
        f"altered: checkpoint version {entry.version} in {where} does not chain to the one "
        f"before it (its hash is not that of the previous checkpoint's and its own heads)",
    )


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
                found.append(
                    Broken(
                        stream,
                        version,
                        0,
                        f"missing: the whole stream is gone; {checkpoint} has it at version {version}",
                    )
                )
            elif head[0] < version:
                found.append(
                    Broken(
                        stream,
                        head[0],
                        0,
                        f"truncated: it ends at version {head[0]}; {checkpoint} has it at version {version}",
                    )
                )
            elif stream not in self._at_anchor:
                found.append(
                    Broken(
                        stream,
                        version,
                        0,
                        f"removed: the event at version {version}, its head at {checkpoint}, is gone",
                    )
                )
            elif chain and self._at_anchor[stream] != chain:
                found.append(
                    Broken(
                        stream,
                        version,
                        0,
                        f"altered: its seal at version {version} is not the one "
                        f"{checkpoint} holds (its history was rewritten and resealed)",
                    )
                )
        for stream, (version, notification_id) in self._unexpected.items():
            found.append(
                Broken(
                    stream, version, notification_id, f"inserted: recorded before {checkpoint}, which does not have it"
                )
            )
        own = self.heads.get(anchor.stream)
        if anchor.stream not in {p.stream for p in found}:
            if own is None:
                found.append(
                    Broken(
                        anchor.stream,
                        anchor.last_version,
                        0,
                        f"missing: the checkpoint stream is gone; "
                        f"{anchor.where} go up to version {anchor.last_version}",
                    )
                )
            elif own[0] < anchor.last_version:
                found.append(
                    Broken(
                        anchor.stream,
                        own[0],
                        0,
                        f"truncated: the checkpoint stream ends at version "
                        f"{own[0]}; {anchor.where} go on to version {anchor.last_version}",
                    )
                )
        return sorted(found, key=lambda p: (p.stream, p.version))
