"""The alert job reads only the deals the read model says may be due an alert (a close date
within the warning days, a task past due), never every open deal; on both stores."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from services.pipeline.bootstrap import bootstrap
from services.pipeline.jobs import alert_open_deals
from shared.clock import FixedClock
from shared.eventstore.application import meta
from tests.integration.test_streams import registered_event

REP = meta("rep-1", "alerts")


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 11, 2, 9, 0, tzinfo=UTC))


def deal_closing(service, closes: date) -> str:
    deal_id = str(uuid.uuid4())
    service.handle(registered_event(deal_id, 1, closes))
    return deal_id


def test_the_alert_job_reads_only_the_deals_that_may_be_due_an_alert(settings, clock):
    service = bootstrap(settings, clock=clock)
    try:
        today = clock.now().date()
        near = deal_closing(service, today + timedelta(days=3))
        far = deal_closing(service, today + timedelta(days=90))
        tasked = deal_closing(service, today + timedelta(days=90))
        service.app.log_activity(tasked, "task", "call back", None, clock.now() + timedelta(hours=1), REP)
        service.projectors[0].catch_up()
        read: list[str] = []
        find = service.app.find
        service.app.find = lambda kind, deal_id: read.append(str(deal_id)) or find(kind, deal_id)

        assert alert_open_deals(service.app, service.storage.engine) == {"close_date_approaching": 1, "task_overdue": 0}
        assert read == [near]  # the far deal and the task not yet due were never read

        clock.advance(hours=2)
        read.clear()
        assert alert_open_deals(service.app, service.storage.engine) == {"close_date_approaching": 0, "task_overdue": 1}
        assert sorted(read) == sorted([near, tasked]) and far not in read
    finally:
        service.close()
