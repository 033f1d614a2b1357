"""What-if for recycling: a hand-built history replayed under other rules, in memory."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.registration.domain.deal import Deal
from services.registration.queries.whatif import instant, replay
from services.registration.rules import PolicyOverride, Recycling
from tests.support.whatif import START, SWEEP, closed, registered, stale_after, worked_on

END = datetime(2026, 6, 30, 23, 59, tzinfo=UTC)


def run(*deals: Deal, **scenarios: Recycling):
    events = sorted((e for d in deals for e in d.collect_events()), key=instant)
    return replay(events, scenarios, START, END)


class TestRecyclingWhatIf:
    def test_a_deal_left_fifteen_days_is_recycled_under_a_ten_day_rule_and_not_under_thirty(self):
        deal = registered(START + timedelta(days=4))
        worked_on(deal, 19, 40, 60)  # gaps of 15, 21 and 20 days
        closed(deal, "won", 75)
        done = run(deal, ten=stale_after(10), thirty=stale_after(30))

        ten, thirty = done.outcome("ten"), done.outcome("thirty")
        assert thirty["recycled"] == 0 and thirty["deals"] == []
        assert ten["recycled"] == 1
        (recycled,) = ten["deals"]
        assert recycled["deal_id"] == str(deal.id)
        assert recycled["at"] == START + timedelta(days=14)  # ten days after its registration
        assert recycled["reason"] == "stale"
        assert recycled["owner_id"] == "rep-1"

    def test_a_deal_recycled_under_the_rule_and_won_later_is_flagged_with_its_value(self):
        won = registered(START + timedelta(days=4), name="Won")
        worked_on(won, 19)
        closed(won, "won", 30)
        lost = registered(START + timedelta(days=4), name="Lost")
        closed(lost, "lost", 30)
        outcome = run(won, lost, ten=stale_after(10)).outcome("ten")

        flags = {d["name"]: (d["outcome"], d["later_won"]) for d in outcome["deals"]}
        assert flags == {"Won": ("won", True), "Lost": ("lost", False)}
        assert outcome["later_won"] == 1
        assert outcome["later_won_value"] == [{"amount": "250000.00", "currency": "CNY"}]
        assert next(d for d in outcome["deals"] if d["later_won"])["won_by"] == "rep-1"

    def test_a_deal_closed_before_the_rule_would_fire_is_not_recycled(self):
        deal = registered(START + timedelta(days=4))
        closed(deal, "won", 10)
        assert run(deal, ten=stale_after(10)).outcome("ten")["recycled"] == 0

    def test_a_deal_due_before_the_period_counts_at_the_periods_first_instant(self):
        deal = registered(START - timedelta(days=40))
        (recycled,) = run(deal, ten=stale_after(10)).outcome("ten")["deals"]
        assert recycled["at"] == START

    def test_a_deal_in_the_pool_is_never_recycled_again(self):
        deal = registered(START + timedelta(days=1))
        deal.recycle("stale", None, START + timedelta(days=3), SWEEP)
        outcome = run(deal, ten=stale_after(10)).outcome("ten")
        assert outcome["recycled"] == 0

    def test_a_recorded_automatic_recycle_the_other_rules_would_not_yet_make_is_spared(self):
        deal = registered(START + timedelta(days=1))
        deal.recycle("stale", None, START + timedelta(days=11), SWEEP)
        done = run(deal, ten=stale_after(10), sixty=stale_after(60))
        assert [s["deal_id"] for s in done.outcome("sixty")["spared"]] == [str(deal.id)]
        assert done.outcome("ten")["spared"] == []

    def test_only_the_deals_of_the_owners_in_reach_are_shown(self):
        mine, theirs = registered(START, owner="rep-1"), registered(START, owner="rep-9")
        outcome = run(mine, theirs, ten=stale_after(10)).outcome("ten", owners=frozenset({"rep-1"}))
        assert [d["deal_id"] for d in outcome["deals"]] == [str(mine.id)]

    def test_the_customer_levels_own_rule_applies_to_its_deals(self):
        rules = Recycling(default=stale_after(10).default, by_customer_level={"A": PolicyOverride(stale_days=60)})
        key_account = registered(START, level="A")
        (recycled,) = run(key_account, alt=rules).outcome("alt")["deals"]
        assert recycled["at"] == START + timedelta(days=60)
