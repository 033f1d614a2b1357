"""Notification mail through a real SMTP server (aiosmtpd, started by the fixtures): what
arrives, to whom, in their language; a redelivered event mails once; a server that refuses
delays the mail, which arrives once when it accepts again. Each on SQLite and on PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from crm.app import create_app
from services.notifications.projections import notifications_mails
from shared.contracts.events import DealRegistered
from tests.support.embedded import settle
from tests.support.flow import eventually
from tests.support.identities import MANAGER, REP
from tests.support.infrastructure import Mailbox
from tests.support.notifications import NOTIFICATION_RULES, REGISTRATION_RULES, published, register_small_deal


@pytest.fixture
def client(settings, smtp, monkeypatch) -> Iterator[TestClient]:
    monkeypatch.setenv("CRM_REGISTRATION_RULES", REGISTRATION_RULES)
    monkeypatch.setenv("CRM_NOTIFICATION_RULES", NOTIFICATION_RULES)
    mailing = settings.model_copy(
        update={"smtp_host": "127.0.0.1", "smtp_port": smtp[0], "smtp_from": "crm@example.com"}
    )
    with TestClient(create_app(mailing)) as http:
        yield http


def choose_mail(http: TestClient, headers: dict[str, str], language: str = "en") -> str:
    address = f"{headers['X-User-Id']}-{uuid.uuid4().hex[:8]}@example.com"
    chosen = http.put("/notifications/preferences", headers=headers, json={"email": address, "language": language})
    assert chosen.status_code == 200, chosen.text
    return address


def outbox_row(http: TestClient, address: str):
    engine = http.app.state.services["notifications"].storage.engine
    with engine.connect() as connection:
        return connection.execute(select(notifications_mails).where(notifications_mails.c.address == address)).first()


def sent(http: TestClient, address: str) -> bool:
    row = outbox_row(http, address)
    return row is not None and row.sent_at is not None


def test_a_registration_awaiting_review_mails_the_owners_manager_in_their_language(client, mailbox: Mailbox):
    address = choose_mail(client, MANAGER, "zh-CN")
    deal_id = register_small_deal(client, REP, "华东小单")
    mails = eventually(lambda: mailbox.to(address))
    assert len(mails) == 1
    assert mails[0]["Subject"] == "报备待审核：华东小单"
    assert mails[0]["From"] == "crm@example.com"
    body = mails[0].get_content()
    assert "rep-1 报备的商机「华东小单」等待您审核" in body and f"/deals/{deal_id}" in body


def test_a_redelivered_event_sends_one_mail(client, mailbox: Mailbox):
    address = choose_mail(client, MANAGER)
    register_small_deal(client, REP, "Redelivered Co")
    eventually(lambda: mailbox.to(address))
    notifications = client.app.state.services["notifications"]
    again = [e for e in published(client, "registration", DealRegistered.TYPE) if e.data.name == "Redelivered Co"]
    assert len(again) == 1
    notifications.app.handle(again[0])  # what the consumer does with a message delivered twice
    notifications.app.handle_batch([again[0], again[0]])
    settle(client.app)
    eventually(lambda: sent(client, address))
    assert [m["Subject"] for m in mailbox.to(address)] == ["Registration awaiting review: Redelivered Co"]


def test_a_refusing_mail_server_delays_the_mail_which_arrives_once_when_it_accepts(client, mailbox: Mailbox):
    address = choose_mail(client, MANAGER)
    refused_before = mailbox.refused
    mailbox.refuse(2)  # 451 twice, then 250
    register_small_deal(client, REP, "Refused Co")
    mails = eventually(lambda: mailbox.to(address), timeout=20)
    assert mailbox.refused - refused_before == 2
    eventually(lambda: sent(client, address))  # the server has it; the row follows
    row = outbox_row(client, address)
    assert row.attempts == 3 and row.sent_at is not None and "451" in (row.last_error or "")
    settle(client.app)
    assert len(mails) == 1 and len(mailbox.to(address)) == 1


def test_a_manager_who_turned_mail_off_for_reviews_gets_none_but_sees_it_in_the_inbox(client, mailbox: Mailbox):
    address = f"mgr-1-{uuid.uuid4().hex[:8]}@example.com"
    body = {"email": address, "kinds": {"review_waiting": {"in_app": True, "email": False}}}
    assert client.put("/notifications/preferences", headers=MANAGER, json=body).status_code == 200
    register_small_deal(client, REP, "Quiet Co")
    settle(client.app)
    inbox = client.get("/notifications/inbox", headers=MANAGER).json()
    assert [item["params"]["deal_name"] for item in inbox["items"]] == ["Quiet Co"]
    assert mailbox.to(address) == []


def test_a_rebuild_of_the_inboxes_mails_no_one_again_and_equals_the_live_one(client, mailbox: Mailbox):
    from crm.replay import replay

    address = choose_mail(client, MANAGER)
    register_small_deal(client, REP, "Replayed Co")
    eventually(lambda: sent(client, address))
    settle(client.app)
    results = replay(client.app.state.services["notifications"], restart=True)
    assert [result["differences"] for result in results.values()] == [[]], results
    settle(client.app)  # the mail job kept running beside the rebuild
    assert len(mailbox.to(address)) == 1
