"""The embedded default as the tests run it: the three services in the test's own process on
SQLite files, and how a test knows that their background work has all been done."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from shared.settings import Settings


def embedded_settings(folder: Path, **overrides: Any) -> Settings:
    """SQLite files under `folder`/data, the in-process bus, and a quick poll."""
    return Settings(data_dir=folder / "data", poll_interval=0.05, **overrides)


def settle(app: FastAPI, timeout: float = 60.0) -> None:
    """Until every outbox has published everything and every projection has applied
    everything, twice in a row with nothing new recorded in between. The in-process bus
    hands each message to its consumers before the outbox moves on, so by then every
    reaction to what was recorded has been recorded too."""
    runtime = app.state.runtime
    services = list(app.state.services.values())
    stable, deadline = 0, time.monotonic() + timeout
    while stable < 2:
        assert time.monotonic() < deadline, "the services did not settle"
        tops = [s.app.recorder.max_notification_id() or 0 for s in services]
        done = all(relay.backlog() == 0 for relay in runtime.relays.values()) and all(
            projector.position() == top for s, top in zip(services, tops, strict=True) for projector in s.projectors
        )
        stable = stable + 1 if done and tops == [s.app.recorder.max_notification_id() or 0 for s in services] else 0
        time.sleep(0.1)
