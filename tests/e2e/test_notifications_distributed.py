"""Notifications across processes, on PostgreSQL and the broker, with a real SMTP server:
a registration awaiting review, made in the registration process, reaches the manager's
inbox and mailbox through Kafka, once; the manager's approval reaches the owner."""

from __future__ import annotations

import uuid

import pytest

from tests.support.flow import eventually
from tests.support.identities import MANAGER, REP
from tests.support.infrastructure import Mailbox
from tests.support.notifications import NOTIFICATION_RULES, REGISTRATION_RULES, register_small_deal
from tests.support.processes import running_cluster

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cluster(database_url, kafka, smtp, tmp_path_factory):
    env = {
        "CRM_REGISTRATION_RULES": REGISTRATION_RULES,
        "CRM_NOTIFICATION_RULES": NOTIFICATION_RULES,
        "CRM_SMTP_HOST": "127.0.0.1",
        "CRM_SMTP_PORT": str(smtp[0]),
    }
    with running_cluster(
        database_url, kafka, tmp_path_factory.mktemp("notifications"), env, ("registration", "notifications")
    ) as running:
        yield running


def inbox(http, headers):
    return http.get("/notifications/inbox", headers=headers).json()


def test_a_registration_reaches_the_managers_inbox_and_mailbox_once_and_the_approval_the_owner(
    cluster, mailbox: Mailbox
):
    http = cluster.http
    address = f"mgr-1-{uuid.uuid4().hex[:8]}@example.com"
    assert http.put("/notifications/preferences", headers=MANAGER, json={"email": address}).status_code == 200
    deal_id = register_small_deal(http, REP, "分布式小单")

    items = eventually(lambda: [i for i in inbox(http, MANAGER)["items"] if i["deal_id"] == deal_id], timeout=30)
    assert [i["kind"] for i in items] == ["review_waiting"]
    mails = eventually(lambda: mailbox.to(address), timeout=30)
    assert [m["Subject"] for m in mails] == ["报备待审核：分布式小单"]

    assert http.post(f"/registration/deals/{deal_id}/approve", headers=MANAGER).status_code == 200
    approved = eventually(lambda: [i for i in inbox(http, REP)["items"] if i["deal_id"] == deal_id], timeout=30)
    assert [i["kind"] for i in approved] == ["registration_approved"]
    assert len(mailbox.to(address)) == 1
