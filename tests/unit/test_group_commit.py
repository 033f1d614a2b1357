"""The group commit's scheduling, without a store: who leads, who shares a group, who waits
for the next one, and that nobody waits forever."""

from __future__ import annotations

import threading
import time

import pytest

from shared.eventstore.groupcommit import Append, GroupCommit


class BlockingWriter:
    """Answers each member with ids of its own; holds the first group until released, so
    the test can queue others behind it."""

    def __init__(self) -> None:
        self.groups: list[list[str]] = []
        self.release = threading.Event()
        self.started = threading.Event()
        self.next_id = 1

    def __call__(self, group: list[Append]) -> None:
        self.groups.append([str(member.events[0]) for member in group])
        if len(self.groups) == 1:
            self.started.set()
            assert self.release.wait(5)
        for member in group:
            member.ids = list(range(self.next_id, self.next_id + len(member.events)))
            self.next_id += len(member.events)


def start(commit: GroupCommit, name: str, streams: set[str], size: int = 1) -> tuple[threading.Thread, dict]:
    answer: dict = {}

    def run() -> None:
        try:
            answer["ids"] = commit.append(Append([name] * size, set(streams)))
        except Exception as error:  # noqa: BLE001 - the test looks at it
            answer["error"] = error

    thread = threading.Thread(target=run)
    thread.start()
    return thread, answer


def queued(commit: GroupCommit, count: int) -> None:
    deadline = time.monotonic() + 5
    while len(commit._queue) < count:  # noqa: SLF001 - waiting for the test's own threads to queue
        assert time.monotonic() < deadline
        time.sleep(0.001)


def test_saves_arriving_during_a_commit_share_the_next_one_unless_they_touch_a_stream_already_in_it() -> None:
    writer = BlockingWriter()
    commit = GroupCommit(writer)
    first = start(commit, "a", {"x"})
    assert writer.started.wait(5)
    rest = []
    for name, streams in (("b", {"x"}), ("c", {"y"}), ("d", {"x", "z"}), ("e", {"z"})):
        rest.append(start(commit, name, streams))
        queued(commit, len(rest))
    writer.release.set()
    for thread, _ in [first, *rest]:
        thread.join(5)
    assert writer.groups == [["a"], ["b", "c", "e"], ["d"]]
    issued = [answer["ids"] for _, answer in [first, *rest]]
    assert sorted(i for ids in issued for i in ids) == [1, 2, 3, 4, 5]


def test_a_group_holds_at_most_its_size_in_events_and_a_larger_save_goes_alone() -> None:
    writer = BlockingWriter()
    commit = GroupCommit(writer, max_events=4)
    first = start(commit, "a", {"a"})
    assert writer.started.wait(5)
    rest = []
    for name, size in (("big", 6), ("b", 2), ("c", 2), ("d", 1)):
        rest.append(start(commit, name, {name}, size))
        queued(commit, len(rest))
    writer.release.set()
    for thread, _ in [first, *rest]:
        thread.join(5)
    assert writer.groups == [["a"], ["big"], ["b", "c"], ["d"]]
    assert [len(answer["ids"]) for _, answer in rest] == [6, 2, 2, 1]


def test_a_writer_that_fails_answers_every_member_with_the_error_and_the_next_group_still_runs() -> None:
    calls: list[int] = []
    release = threading.Event()

    def write(group: list[Append]) -> None:
        calls.append(len(group))
        if len(calls) == 1:
            assert release.wait(5)
        if len(calls) == 2:
            raise RuntimeError("the writer broke")
        for member in group:
            member.ids = [len(calls)]

    commit = GroupCommit(write)
    first = start(commit, "a", {"a"})
    queued(commit, 0)
    while not calls:
        time.sleep(0.001)
    failing = [start(commit, name, {name}) for name in ("b", "c")]
    queued(commit, 2)
    release.set()
    for thread, _ in [first, *failing]:
        thread.join(5)
    assert first[1] == {"ids": [1]}
    assert [type(answer.get("error")) for _, answer in failing] == [RuntimeError, RuntimeError]
    assert commit.append(Append(["d"], {"d"})) == [3]
    assert not commit._busy  # noqa: SLF001 - nobody left leading


def test_a_lone_save_leads_at_once_and_gets_its_own_answer_or_error() -> None:
    def write(group: list[Append]) -> None:
        for member in group:
            if member.events == ["bad"]:
                member.error = ValueError("bad row")
            else:
                member.ids = [7]

    commit = GroupCommit(write)
    assert commit.append(Append(["good"], {"s"})) == [7]
    with pytest.raises(ValueError, match="bad row"):
        commit.append(Append(["bad"], {"s"}))
