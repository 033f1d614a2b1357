"""Registration's aggregates moved into `services/registration/domain/`: every topic their
events were stored under before the move still resolves to the moved class, and new
events are stored under those same topics."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from eventsourcing.utils import get_topic, resolve_topic

from services.registration.application import RegistrationApplication
from services.registration.domain.account import Account
from services.registration.domain.deal import Deal
from services.registration.domain.indexes import CustomerKey, Holdings
from services.registration.domain.lead import Lead
from services.registration.domain.terms import DealTerms
from services.registration.domain.topics import event_classes
from shared.clock import FixedClock
from shared.eventstore.application import meta

BEFORE_THE_MOVE = {
    "services.registration.domain:Lead": Lead,
    "services.registration.domain:Lead.Event": Lead.Event,
    "services.registration.domain:Lead.Created": Lead.Created,
    "services.registration.domain:Lead.Captured": Lead.Captured,
    "services.registration.domain:Lead.Converted": Lead.Converted,
    # added since the move, stored under the same module's topics as their aggregates'
    "services.registration.domain:Lead.Disqualified": Lead.Disqualified,
    "services.registration.domain:Lead.Scored": Lead.Scored,
    "services.registration.domain:Lead.Assigned": Lead.Assigned,  # issue 15: assignment rules
    "services.registration.domain:Lead.LeftUnassigned": Lead.LeftUnassigned,
    "services.registration.domain:Account.WonDealNoted": Account.WonDealNoted,
    "services.registration.domain:Account.TierChanged": Account.TierChanged,
    "services.registration.domain:Account": Account,
    "services.registration.domain:Account.Event": Account.Event,
    "services.registration.domain:Account.Created": Account.Created,
    "services.registration.domain:Account.Opened": Account.Opened,
    "services.registration.domain:Deal": Deal,
    "services.registration.domain:Deal.Event": Deal.Event,
    "services.registration.domain:Deal.Created": Deal.Created,
    "services.registration.domain:Deal.Registered": Deal.Registered,
    "services.registration.domain:Deal.RegistrationApproved": Deal.RegistrationApproved,
    "services.registration.domain:Deal.RegistrationRejected": Deal.RegistrationRejected,
    "services.registration.domain:Deal.Assigned": Deal.Assigned,
    "services.registration.domain:Deal.Recycled": Deal.Recycled,
    "services.registration.domain:Deal.RecycleWarned": Deal.RecycleWarned,
    "services.registration.domain:Deal.ActivityNoted": Deal.ActivityNoted,
    "services.registration.domain:Deal.Closed": Deal.Closed,
    "services.registration.indexes:CustomerKey": CustomerKey,
    "services.registration.indexes:CustomerKey.Event": CustomerKey.Event,
    "services.registration.indexes:CustomerKey.Created": CustomerKey.Created,
    "services.registration.indexes:CustomerKey.Claimed": CustomerKey.Claimed,
    "services.registration.indexes:CustomerKey.Reclaimed": CustomerKey.Reclaimed,
    "services.registration.indexes:CustomerKey.Released": CustomerKey.Released,
    "services.registration.indexes:Holdings": Holdings,
    "services.registration.indexes:Holdings.Event": Holdings.Event,
    "services.registration.indexes:Holdings.Created": Holdings.Created,
    "services.registration.indexes:Holdings.Opened": Holdings.Opened,
    "services.registration.indexes:Holdings.Took": Holdings.Took,
    "services.registration.indexes:Holdings.GaveUp": Holdings.GaveUp,
}


@pytest.mark.parametrize(("topic", "cls"), BEFORE_THE_MOVE.items(), ids=list(BEFORE_THE_MOVE))
def test_a_topic_stored_before_the_move_resolves_to_the_moved_class(topic, cls):
    assert resolve_topic(topic) is cls


@pytest.mark.parametrize(("topic", "cls"), BEFORE_THE_MOVE.items(), ids=list(BEFORE_THE_MOVE))
def test_new_events_are_stored_under_the_topic_from_before_the_move(topic, cls):
    assert get_topic(cls) == topic


@pytest.mark.parametrize("aggregate", [Lead, Account, Deal, CustomerKey, Holdings], ids=lambda a: a.__name__)
def test_every_event_class_of_every_moved_aggregate_is_listed_here(aggregate):
    assert set(event_classes(aggregate)) <= set(BEFORE_THE_MOVE.values())


def test_a_registration_is_stored_under_the_old_topics_and_read_back():
    app = RegistrationApplication(clock=FixedClock(datetime(2026, 11, 22, 9, 0, tzinfo=UTC)))
    terms = DealTerms(name="ERP", amount=Decimal("100"), currency="CNY", expected_close_date=date(2026, 12, 15))
    done = app.register_deal(
        terms, account_name="ACME", contacts=[{"name": "张三", "phone": "13800000000"}], meta=meta("rep-1", "corr-1")
    )
    stored = {notification.topic for notification in app.read_notifications(0, 100)}
    assert stored <= set(BEFORE_THE_MOVE)
    assert {"services.registration.domain:Deal.Registered", "services.registration.indexes:Holdings.Took"} <= stored
    assert app.get_deal(done.deal_id).registration_status == "approved"
