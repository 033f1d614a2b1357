"""Customer tiers by RFM: from fixed data, the thresholds of the rules; a change of tier is
one event, no change none; the computed tier feeds the recycling rules' customer level."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from services.registration.application import RegistrationApplication
from services.registration.domain.account import Account
from services.registration.domain.recycling import Recycle, sweep_decision
from services.registration.domain.terms import DealTerms
from services.registration.domain.tiers import rfm
from services.registration.publishing import to_public
from services.registration.rules import PolicyOverride, Recycling, Rules, Tiers
from shared.clock import FixedClock
from shared.contracts import CloudEvent, Money, parse_event
from shared.contracts import events as public
from shared.eventstore.application import meta

TODAY = date(2026, 11, 22)
NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
REP = meta("rep-1", "corr-1")


def win(amount: str, days_ago: int, currency: str = "CNY") -> dict[str, object]:
    return {"amount": Decimal(amount), "currency": currency, "closed_on": TODAY - timedelta(days=days_ago)}


@pytest.mark.parametrize(
    ("wins", "tier", "points"),
    [
        ([win("50000", 10)], "C", 5),  # recent (3), once (1), small (1)
        ([win("150000", 30), win("100000", 90)], "B", 7),  # recent, twice, 250k
        ([win("600000", 30), win("500000", 400)], "A", 8),  # recent, twice, 1.1M
        ([win("300000", d) for d in (10, 50, 100, 150, 170)], "A", 9),
        ([win("2000000", 500), win("1", 400)], "B", 6),  # long ago (1), twice (2), big (3)
        ([win("5000000", 10, "USD")], "C", 5),  # another currency counts toward R and F only
    ],
)
def test_the_tier_follows_the_rfm_thresholds(wins, tier, points):
    found = rfm(wins, TODAY, Tiers())
    assert found is not None and (found.tier, found.score) == (tier, points)


def test_an_account_that_won_nothing_has_no_tier():
    assert rfm([], TODAY, Tiers()) is None


def test_the_thresholds_are_the_rules():
    wins = [win("50000", 10)]
    assert rfm(wins, TODAY, Tiers(monetary=(Decimal("40000"), Decimal("10000")), b_from=5)).tier == "B"  # type: ignore[union-attr]


def closed(deal_id, amount: str, sequence: int, outcome: str = "won"):
    data = public.DealClosed(
        deal_id=str(deal_id), outcome=outcome, value=Money(amount=Decimal(amount)), closed_on=TODAY
    )
    event = CloudEvent.of(
        data,
        source="crm/pipeline",
        subject=str(deal_id),
        sequence=sequence,
        time=NOW,
        actor="rep-1",
        correlation_id="c",
    )
    return parse_event(event.to_bytes())


def tier_events(app) -> list[public.AccountTierChanged]:
    found = [to_public(app.to_domain_event(n)) for n in app.read_notifications(0, 1000)]
    return [public.AccountTierChanged.model_validate(e.data) for e in found if e and e.type.startswith("crm.account.")]


def deal(app, account: str, amount: str = "150000"):
    terms = DealTerms(name="x", amount=Decimal(amount), currency="CNY", expected_close_date=TODAY + timedelta(days=30))
    return app.register_deal(terms, account_name=account, contacts=[], meta=REP)


class TestWins:
    @pytest.fixture
    def app(self) -> RegistrationApplication:
        return RegistrationApplication(clock=FixedClock(NOW), rules=Rules())

    def test_a_first_win_gives_a_tier_and_records_one_event(self, app):
        first = deal(app, "Tiered Co")
        app.handle(closed(first.deal_id, "150000", 5))
        [changed] = tier_events(app)
        assert (changed.previous_tier, changed.tier, changed.rfm.frequency) == (None, "C", 1)
        assert changed.rfm.monetary.amount == Decimal("150000")

    def test_a_win_that_moves_the_tier_records_one_event_and_one_that_does_not_none(self, app):
        first = deal(app, "Tiered Co")
        app.handle(closed(first.deal_id, "150000", 5))
        second = deal(app, "Tiered Co", "150000")  # the customer is free again once the first closed
        app.handle(closed(second.deal_id, "150000", 9))  # twice, 300k: B
        assert [(e.previous_tier, e.tier) for e in tier_events(app)] == [(None, "C"), ("C", "B")]
        third = deal(app, "Tiered Co", "10")
        app.handle(closed(third.deal_id, "10", 12))  # three wins, still B
        assert len(tier_events(app)) == 2
        assert app.get(Account, app.get_deal(first.deal_id).account_id).tier == "B"

    def test_a_redelivered_or_lost_close_changes_no_tier(self, app):
        won = deal(app, "Once Co")
        app.handle(closed(won.deal_id, "150000", 5))
        app.handle(closed(won.deal_id, "150000", 5))
        lost = deal(app, "Once Co")
        app.handle(closed(lost.deal_id, "150000", 6, "lost"))
        account = app.get(Account, app.get_deal(won.deal_id).account_id)
        assert (len(account.wins), len(tier_events(app))) == (1, 1)


def test_the_computed_tier_feeds_the_recycling_level_unless_one_was_set_by_hand():
    app = RegistrationApplication(clock=FixedClock(NOW), rules=Rules())
    manual = DealTerms(name="m", amount=Decimal(1), currency="CNY", expected_close_date=TODAY, customer_level="C")
    owned = app.get_deal(deal(app, "Policy Co").deal_id)
    by_hand = app.get_deal(app.register_deal(manual, account_name="Manual Co", contacts=[], meta=REP).deal_id)
    recycling = Recycling(by_customer_level={"A": PolicyOverride(stale_days=1)})
    later = NOW + timedelta(days=2)
    assert sweep_decision(recycling, owned, later, tier="A") == Recycle("stale")
    assert sweep_decision(recycling, owned, later, tier=None) is None
    assert sweep_decision(recycling, by_hand, later, tier="A") is None  # "C" was set by hand


def test_the_sweeps_horizon_holds_every_deal_any_policy_would_warn_or_recycle():
    from datetime import UTC, datetime, timedelta
    from types import SimpleNamespace

    from services.registration.domain.recycling import horizon
    from services.registration.rules import Recycling

    recycling = Recycling.model_validate(
        {
            "default": {"stale_days": 30, "warning_days": 3, "close_date_grace_days": 30},
            "by_deal_type": {"renewal": {"stale_days": 10, "warning_days": 5}},
            "by_customer_level": {"A": {"stale_days": 90, "close_date_grace_days": 60}, "C": {"stale_days": None}},
        }
    )
    now = datetime(2026, 12, 1, 9, tzinfo=UTC)
    bounds = horizon(recycling, now)
    checked = 0
    for deal_type in ("new", "renewal"):
        for level in (None, "A", "C", "B"):
            for idle in range(0, 100, 3):
                for protected in (-2, 0, 4, 6, 40):
                    for closes in (-70, -31, -26, -1, 30):
                        deal = SimpleNamespace(
                            owner_id="rep-1",
                            registration_status="approved",
                            outcome=None,
                            deal_type=deal_type,
                            customer_level=level,
                            last_activity_at=now - timedelta(days=idle),
                            protected_until=now + timedelta(days=protected),
                            expected_close_date=(now + timedelta(days=closes)).date(),
                        )
                        if sweep_decision(recycling, deal, now) is None:  # type: ignore[arg-type]
                            continue
                        checked += 1
                        assert (
                            deal.last_activity_at <= bounds.active_before
                            or deal.protected_until <= bounds.protected_before
                            or deal.expected_close_date <= bounds.closing_on_or_before
                        ), (deal_type, level, idle, protected, closes)
    assert checked > 100
    assert bounds.active_before == now - timedelta(days=4)  # renewal: 10 days, warned 5 before, a day's slack
    assert bounds.protected_before == now + timedelta(days=6)
    assert bounds.closing_on_or_before == (now - timedelta(days=25)).date()  # renewal: 1 + 30 − 5, and the slack
