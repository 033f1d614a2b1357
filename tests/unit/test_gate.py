"""The store gate: fail fast while the database is away, reopen on a successful probe."""

from __future__ import annotations

import asyncio

from shared.web.gate import StoreGate


class Probe:
    def __init__(self) -> None:
        self.up = False
        self.calls = 0

    def __call__(self) -> None:
        self.calls += 1
        if not self.up:
            raise ConnectionRefusedError("away")


def test_an_untripped_gate_lets_every_request_through_without_probing():
    probe = Probe()
    gate = StoreGate(probe)
    assert asyncio.run(gate.passable()) is True
    assert probe.calls == 0


def test_a_tripped_gate_refuses_at_once_until_the_recheck_interval_has_passed():
    probe = Probe()
    gate = StoreGate(probe, recheck_seconds=60)
    gate.trip()
    assert asyncio.run(gate.passable()) is False
    assert probe.calls == 0  # refused without waiting on the database


def test_a_tripped_gate_reopens_only_when_a_probe_succeeds():
    probe = Probe()
    gate = StoreGate(probe, recheck_seconds=0)
    gate.trip()
    assert asyncio.run(gate.passable()) is False
    assert gate.down
    probe.up = True
    assert asyncio.run(gate.passable()) is True
    assert not gate.down
    assert probe.calls == 2


def test_without_a_probe_the_gate_never_closes():
    gate = StoreGate(None)
    gate.trip()
    assert asyncio.run(gate.passable()) is True
