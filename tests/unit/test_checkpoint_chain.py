"""Folding checkpoints: each chained checkpoint vouches for every one before it, and the
older kind (a hash over every stream's head) still folds where a store has it."""

from __future__ import annotations

from dataclasses import replace

from shared.eventstore.heads import GENESIS, Entry, chained_hash, fold, heads_hash

STREAM = "checkpoints"


def chained(*changes: dict[str, tuple[int, str]], before: str = GENESIS, first_version: int = 2) -> list[Entry]:
    """Checkpoints as the job records them: each names the heads changed since the last."""
    entries, seen = [], {}
    for n, heads in enumerate(changes):
        seen.update(heads)
        digest = chained_hash(before, heads)
        entries.append(Entry(first_version + n, 10 * (n + 1), len(seen), digest, heads, 1, 1, before))
        before = digest
    return entries


def problems(entries: list[Entry]) -> list[str]:
    anchor = fold(entries, "the store's checkpoints", STREAM)
    assert anchor is not None
    return [p.problem.split(":")[0] for p in anchor.problems]


def test_chained_checkpoints_fold_to_every_streams_last_head():
    entries = chained({"a": (1, "x1"), "b": (1, "y1")}, {"a": (2, "x2")}, {"c": (1, "z1")})
    anchor = fold(entries, "the store's checkpoints", STREAM)
    assert anchor is not None and anchor.problems == []
    assert anchor.heads == {"a": (2, "x2"), "b": (1, "y1"), "c": (1, "z1")} and anchor.position == 30


def test_an_earlier_checkpoint_with_a_head_taken_out_is_named_altered():
    entries = chained({"a": (1, "x1"), "b": (1, "y1")}, {"a": (2, "x2")}, {"c": (1, "z1")})
    entries[0] = replace(entries[0], heads={"a": (1, "x1")})  # b's head no longer vouched for
    assert problems(entries) == ["altered", "altered"]  # the chain at version 2, and the stream count


def test_a_checkpoint_that_names_another_predecessor_is_named_altered():
    entries = chained({"a": (1, "x1")}, {"a": (2, "x2")})
    forged = chained_hash(GENESIS, {"a": (2, "x2")})  # as if it were the first
    entries[1] = replace(entries[1], previous_hash=GENESIS, heads_hash=forged)
    assert problems(entries) == ["altered"]


def test_checkpoints_hashing_every_head_fold_and_chained_ones_may_follow_them():
    older = [
        Entry(2, 10, 2, heads_hash({"a": (1, "x1"), "b": (1, "y1")}), {"a": (1, "x1"), "b": (1, "y1")}, 1, 1),
        Entry(3, 20, 2, heads_hash({"a": (2, "x2"), "b": (1, "y1")}), {"a": (2, "x2")}, 1, 1),
    ]
    assert problems(older) == []
    assert problems([*older[:1], replace(older[1], heads_hash=older[0].heads_hash)]) == ["altered"]
    newer = chained({"c": (1, "z1")}, before=older[-1].heads_hash, first_version=4)
    newer = [replace(entry, streams=3) for entry in newer]
    assert problems([*older, *newer]) == []


def test_an_unchained_checkpoint_after_a_chained_one_is_named_altered():
    entries = chained({"a": (1, "x1")}, {"a": (2, "x2")})
    entries[1] = replace(entries[1], previous_hash=None, heads_hash=heads_hash({"a": (2, "x2")}))
    assert problems(entries) == ["altered"]
