"""The seals a service keeps to chain its next events without a lookup: the last one of each
stream only, and never more than a bounded number of streams."""

from __future__ import annotations

import uuid

from shared.eventstore.chain import Seals


def test_only_the_last_seal_of_a_stream_is_kept_and_an_older_version_is_not_answered():
    seals, stream = Seals(), uuid.uuid4()
    seals.note(stream, 1, "a")
    seals.note(stream, 2, "b")
    seals.note(stream, 1, "a")  # a read of an older version changes nothing

    assert (seals.of(stream, 2), seals.of(stream, 1), len(seals)) == ("b", None, 1)


def test_past_its_bound_it_forgets_every_stream_rather_than_grow():
    seals = Seals(most=3)
    streams = [uuid.uuid4() for _ in range(4)]
    for stream in streams:
        seals.note(stream, 1, stream.hex)

    assert len(seals) == 1 and seals.of(streams[3], 1) == streams[3].hex
    assert seals.of(streams[0], 1) is None  # looked up again when next saved
