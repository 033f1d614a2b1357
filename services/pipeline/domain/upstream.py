"""Effectively once: a deal remembers, per upstream source, the last upstream sequence
applied, stored in the same events as the change it caused, so a redelivered or
republished upstream event changes nothing."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from services.pipeline.domain.deal import Deal

Upstream = tuple[str, int] | None  # (source, sequence) of the upstream event, if any


class RemembersUpstream:
    """The deal's part that keeps `seen`: {source: the last sequence applied}."""

    def has_seen(self: Deal, source: str, sequence: int) -> bool:
        return self.seen.get(source, 0) >= sequence

    def _see(self: Deal, upstream: Upstream) -> None:
        if upstream is not None:
            source, sequence = upstream
            self.seen[source] = max(self.seen.get(source, 0), sequence)
