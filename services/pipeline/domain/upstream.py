"""Effectively once: a deal remembers, per upstream source, the last upstream sequence
applied, stored in the same events as the change it caused, so a redelivered or
republished upstream event changes nothing."""

from __future__ import annotations

from services.pipeline.domain.parts import DealPart

Upstream = tuple[str, int] | None  # (source, sequence) of the upstream event, if any


class RemembersUpstream(DealPart):
    """The deal's part that keeps `seen`: {source: the last sequence applied}."""

    def has_seen(self, source: str, sequence: int) -> bool:
        return self.seen.get(source, 0) >= sequence

    def _see(self, upstream: Upstream) -> None:
        if upstream is not None:
            source, sequence = upstream
            self.seen[source] = max(self.seen.get(source, 0), sequence)
