"""Notifications: which event tells whom what (`messages_for`), each message once however
often its event comes, and the words of each kind in both languages."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from services.notifications.application import NotificationsApplication
from services.notifications.domain import KINDS, Notification, notification_id
from services.notifications.domain.texts import TEXTS, mail_body, render
from services.notifications.jobs import backoff
from services.notifications.reactions import DealView, messages_for
from services.notifications.rules import NotificationRules
from shared.contracts import CloudEvent, EventData, Money, ReceivedEvent
from shared.contracts import events as public

DEAL = str(uuid.uuid4())
AT = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
RULES = NotificationRules(team_managers={"east": ("mgr-1", "mgr-2"), "west": ("mgr-west",)})
TEAMS = {"east": frozenset({"rep-1", "rep-2"}), "west": frozenset({"rep-west"})}


def received(
    data: EventData, actor: str = "system", sequence: int = 1, source: str = "crm/registration"
) -> ReceivedEvent:
    envelope = CloudEvent.of(
        data, source=source, subject=DEAL, sequence=sequence, time=AT, actor=actor, correlation_id="c-1"
    )
    return ReceivedEvent(envelope, data)


def managers(owner: str) -> tuple[str, ...]:
    return RULES.managers_reaching(owner, TEAMS)


def told(event: ReceivedEvent, deal: DealView | None = DealView("华为项目", "rep-1")) -> list[tuple[str, str]]:
    return [(m.recipient, m.kind) for m in messages_for(event, deal, managers)]


def registered(owner: str = "rep-1", status: str = "pending") -> public.DealRegistered:
    return public.DealRegistered(
        deal_id=DEAL,
        name="华为项目",
        account={"id": str(uuid.uuid4()), "name": "华为"},
        value=Money(amount="1000.00", currency="CNY"),
        expected_close_date=date(2027, 1, 1),
        owner_id=owner,
        registration_status=status,
        review_reasons=["below the auto-approval minimum"],
    )


class TestWhoIsTold:
    def test_a_registration_awaiting_review_tells_the_managers_of_the_owners_team(self):
        assert told(received(registered("rep-1"), actor="rep-1"), None) == [
            ("mgr-1", "review_waiting"),
            ("mgr-2", "review_waiting"),
        ]

    def test_a_registration_approved_at_once_tells_no_manager(self):
        assert told(received(registered(status="approved"), actor="rep-1"), None) == []

    def test_an_owner_in_no_managed_team_has_no_manager_told(self):
        assert told(received(registered("rep-outsider"), actor="rep-outsider"), None) == []

    def test_approval_and_rejection_tell_the_owner(self):
        approved = public.DealRegistrationApproved(deal_id=DEAL, approved_by="mgr-1", protected_until=AT)
        rejected = public.DealRegistrationRejected(deal_id=DEAL, rejected_by="mgr-1", reason="duplicate")
        assert told(received(approved, actor="mgr-1")) == [("rep-1", "registration_approved")]
        assert told(received(rejected, actor="mgr-1")) == [("rep-1", "registration_rejected")]

    def test_an_assignment_tells_the_new_owner_but_a_claim_tells_nobody(self):
        assigned = public.DealAssigned(deal_id=DEAL, owner_id="rep-2", reason="reassignment", previous_owner_id="rep-1")
        claimed = public.DealAssigned(deal_id=DEAL, owner_id="rep-2", reason="claim")
        assert told(received(assigned, actor="mgr-1")) == [("rep-2", "assigned")]
        assert told(received(claimed, actor="rep-2")) == []  # the actor is never told of their own act

    def test_a_recycle_warning_tells_the_owner_and_the_recycle_the_owner_it_was_taken_from(self):
        warned = public.DealRecycleWarned(deal_id=DEAL, owner_id="rep-1", reason="stale", recycle_at=AT)
        recycled = public.DealRecycled(deal_id=DEAL, previous_owner_id="rep-1", reason="stale")
        assert told(received(warned)) == [("rep-1", "recycle_warning")]
        assert told(received(recycled), DealView("华为项目", None)) == [("rep-1", "recycled")]

    def test_a_close_date_approaching_tells_the_owner_and_none_for_a_pooled_deal(self):
        owned = public.DealCloseDateApproaching(
            deal_id=DEAL, owner_id="rep-1", expected_close_date=date(2026, 12, 7), days_left=7
        )
        pooled = owned.model_copy(update={"owner_id": None})
        assert told(received(owned)) == [("rep-1", "close_date_approaching")]
        assert told(received(pooled)) == []

    def test_a_task_logged_by_someone_else_tells_the_deals_owner_of_its_due_date(self):
        task = public.DealActivityLogged(
            deal_id=DEAL, activity_id="a-1", kind="task", subject="寄样品", due_at=AT + timedelta(days=2)
        )
        call = task.model_copy(update={"kind": "call", "due_at": None})
        assert told(received(task, actor="mgr-1")) == [("rep-1", "task_due")]
        assert told(received(task, actor="rep-1")) == []
        assert told(received(call, actor="mgr-1")) == []

    def test_an_overdue_task_tells_its_owner(self):
        overdue = public.DealTaskOverdue(deal_id=DEAL, activity_id="a-1", owner_id="rep-2", subject="寄样品", due_at=AT)
        assert told(received(overdue)) == [("rep-2", "task_overdue")]


class TestOnce:
    def test_a_redelivered_event_raises_its_message_once(self):
        app = NotificationsApplication(rules=RULES, teams=TEAMS)
        event = received(registered("rep-1"), actor="rep-1")
        app.handle(event)
        app.handle(event)
        app.handle_batch([event, event])
        key = notification_id(event.envelope.id, "mgr-1", "review_waiting")
        raised = app.find(Notification, key)
        assert raised is not None and raised.version == 1
        assert raised.params["deal_name"] == "华为项目"

    def test_the_owner_learned_from_registration_is_who_hears_of_the_approval(self):
        app = NotificationsApplication(rules=RULES, teams=TEAMS)
        app.handle(received(registered("rep-2"), actor="rep-2"))
        approval = received(
            public.DealRegistrationApproved(deal_id=DEAL, approved_by="mgr-1", protected_until=AT),
            actor="mgr-1",
            sequence=2,
        )
        app.handle(approval)
        assert app.find(Notification, notification_id(approval.envelope.id, "rep-2", "registration_approved"))

    def test_reading_a_message_twice_records_one_read(self):
        app = NotificationsApplication(rules=RULES, teams=TEAMS)
        event = received(registered("rep-1"), actor="rep-1")
        app.handle(event)
        key = notification_id(event.envelope.id, "mgr-1", "review_waiting")
        assert app.mark_read([key]) == 1
        assert app.mark_read([key]) == 0


class TestWords:
    @pytest.mark.parametrize("kind", KINDS)
    def test_every_kind_has_a_subject_and_body_in_chinese_and_english(self, kind):
        assert set(TEXTS[kind]) == {"zh-CN", "en"}
        for language in ("zh-CN", "en"):
            subject, body = render(kind, {"deal_name": "华为项目"}, language)
            assert "华为项目" in subject + body

    def test_a_mail_links_to_the_deal_in_the_readers_language(self):
        params = {"deal_name": "华为项目", "date": "2026-12-07", "days_left": "7"}
        subject, body = mail_body("close_date_approaching", params, "zh-CN", "https://crm/deals/1")
        assert subject == "商机「华为项目」预计成交日临近"
        assert "还有 7 天" in body and "查看：https://crm/deals/1" in body
        subject, body = mail_body("close_date_approaching", params, "en", None)
        assert subject == "Close date approaching: 华为项目" and "7 days away" in body


def test_the_retry_wait_doubles_from_the_first_to_the_longest():
    rules = NotificationRules(retry_first_seconds=30, retry_max_seconds=300)
    assert [backoff(n, rules) for n in range(1, 7)] == [30, 60, 120, 240, 300, 300]
