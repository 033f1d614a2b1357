"""Property-based fuzzing: every operation of the OpenAPI document answers anything but a
500, and the consumers park whatever malformed envelope they are fed."""
from __future__ import annotations

import asyncio
import json
import os
import tempfile
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error

from crm.app import create_app
from shared.bus import Record
from shared.contracts import REGISTRATION
from shared.inbox import Inbox
from shared.settings import Settings

pytestmark = pytest.mark.slow

ADMIN = {"X-User-Id": "fuzzer", "X-User-Role": "admin"}

# The fuzzer starts and stops the application around each call: its stores stay open.
APP = create_app(
    Settings(data_dir=Path(tempfile.mkdtemp(prefix="crm-fuzz-")) / "data", poll_interval=0.2), close_services=False
)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


# Derandomized: CI replays the same generated cases every run, so a landing never hinges on
# luck; explore with fresh seeds locally (CRM_FUZZ_RANDOM=1) and pin what they find as tests.
RANDOM = os.environ.get("CRM_FUZZ_RANDOM") == "1"


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), derandomize=not RANDOM)
def test_no_operation_answers_a_server_error(case):
    case.call_and_validate(headers=ADMIN, checks=[not_a_server_error])


class Parked:
    def __init__(self) -> None:
        self.records: list[Record] = []

    async def publish(self, records):
        self.records.extend(records)


def documents():
    """JSON that looks more or less like our envelopes, and bytes that do not."""
    scalar = st.none() | st.booleans() | st.integers() | st.text(max_size=20)
    envelope = st.fixed_dictionaries(
        {"specversion": st.sampled_from(["1.0", "0.3", 1]), "type": st.sampled_from(
            ["crm.deal.registered.v1", "crm.deal.assigned.v1", "crm.deal.closed.v1", "nonsense"])},
        optional={"id": scalar, "source": scalar, "subject": scalar, "time": scalar, "sequence": scalar,
                  "actor": scalar, "correlationid": scalar, "data": st.dictionaries(st.text(max_size=10), scalar)},
    )
    return st.one_of(envelope.map(lambda d: json.dumps(d).encode()), st.binary(max_size=200))


@given(raw=documents())
@settings(max_examples=300, deadline=None, derandomize=not RANDOM)
def test_a_consumer_parks_every_malformed_envelope_and_never_crashes(raw):
    handled = []
    parked = Parked()
    inbox = Inbox("pipeline", handled.append, parked)
    outcome = asyncio.run(inbox.receive(Record(REGISTRATION, "k", raw)))
    assert outcome in ("deadlettered", "skipped", "applied")
    if outcome == "deadlettered":
        assert parked.records[0].value == raw
        assert parked.records[0].header("deadletter-reason")
    if outcome == "applied":
        assert len(handled) == 1  # a well-formed envelope reaches the service
