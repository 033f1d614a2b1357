"""What-if for recycling read from a real store, SQLite and PostgreSQL alike: the deal events
among everything else registration records, in log order, and nothing written."""

from __future__ import annotations

from datetime import date, timedelta

from services.registration.bootstrap import bootstrap
from services.registration.queries.whatif import recycling_whatif
from services.registration.rules import Recycling, RecyclingPolicy
from shared.clock import FixedClock
from shared.eventstore.application import meta
from tests.support.whatif import START, closed, registered, worked_on

NOW = START + timedelta(days=180)


def test_the_replay_reads_the_stored_deal_events_and_records_nothing(settings):
    service = bootstrap(settings, clock=FixedClock(NOW))
    try:
        won, idle = registered(START + timedelta(days=4), name="Won"), registered(START, name="Idle")
        worked_on(won, 19)
        closed(won, "won", 30)
        service.app.save(won, idle)
        service.app.capture_lead(  # another kind of event in the log, which the replay skips
            company="华为技术有限公司",
            contact={"name": "张三"},
            source="trade_fair",
            region="east",
            meta=meta("rep-1", "c"),
        )
        before = service.app.recorder.max_notification_id()
        seen: list[tuple[int, int]] = []
        alternative = Recycling(default=RecyclingPolicy(stale_days=10))
        answer = recycling_whatif(
            service.app, alternative, date(2026, 1, 1), date(2026, 12, 31), progress=lambda *p: seen.append(p)
        )
        assert service.app.recorder.max_notification_id() == before
    finally:
        service.close()
    assert answer["replayed_events"] == 4  # Won: registered, worked on, closed; Idle: registered; not the lead's
    by_name = {d["name"]: d for d in answer["alternative"]["deals"]}
    assert by_name["Won"]["at"] == START + timedelta(days=14) and by_name["Won"]["later_won"]
    assert by_name["Idle"]["at"] == START + timedelta(days=10) and not by_name["Idle"]["later_won"]
    assert seen[-1][0] == seen[-1][1] == before  # the progress reached the end of the log
    # the rules in force (stale after 30 days, protection 90): the idle deal only, at day 30
    assert [(d["name"], d["at"]) for d in answer["in_force"]["deals"]] == [("Idle", START + timedelta(days=30))]
