"""The notifications inbox over HTTP, embedded: each person sees only their own messages,
with the unread count; marking one or all read; another's message is 403, an unknown 404;
preferences are the caller's own and refuse bad values naming the field."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from crm.app import create_app
from tests.support.embedded import settle
from tests.support.identities import ADMIN, MANAGER, REP, REP2, as_user
from tests.support.notifications import NOTIFICATION_RULES, REGISTRATION_RULES, register_small_deal
from tests.support.streams import Stream


@pytest.fixture
def client(sqlite_settings, monkeypatch) -> Iterator[TestClient]:
    monkeypatch.setenv("CRM_REGISTRATION_RULES", REGISTRATION_RULES)
    monkeypatch.setenv("CRM_NOTIFICATION_RULES", NOTIFICATION_RULES)
    with TestClient(create_app(sqlite_settings)) as http:
        yield http


def inbox(client: TestClient, headers: dict[str, str], **params: object) -> dict:
    answer = client.get("/notifications/inbox", headers=headers, params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()


def assign(client: TestClient, deal_id: str, owner: str) -> None:
    answer = client.post(f"/registration/deals/{deal_id}/assign", headers=MANAGER, json={"owner_id": owner})
    assert answer.status_code == 200, answer.text


class TestInbox:
    def test_a_manager_sees_the_registrations_awaiting_review_with_the_unread_count(self, client):
        first = register_small_deal(client, REP, "第一单")
        second = register_small_deal(client, REP, "第二单")
        settle(client.app)
        mine = inbox(client, MANAGER)
        assert mine["unread"] == 2 and mine["total"] == 2
        assert {item["deal_id"] for item in mine["items"]} == {first, second}
        assert {item["kind"] for item in mine["items"]} == {"review_waiting"}
        assert mine["items"][0]["title"].startswith("报备待审核：")  # Chinese until chosen otherwise
        assert inbox(client, REP)["total"] == 0  # the owner registered it: nothing for them

    def test_the_inbox_pages_newest_first(self, client):
        for name in ("一", "二", "三"):
            register_small_deal(client, REP, name)
        settle(client.app)
        pages = [inbox(client, MANAGER, limit=2, offset=0), inbox(client, MANAGER, limit=2, offset=2)]
        names = [item["params"]["deal_name"] for page in pages for item in page["items"]]
        assert names == ["三", "二", "一"] and pages[1]["total"] == 3

    def test_marking_one_read_lowers_the_unread_count_and_again_changes_nothing(self, client):
        register_small_deal(client, REP)
        register_small_deal(client, REP)
        settle(client.app)
        key = inbox(client, MANAGER)["items"][0]["notification_id"]
        marked = client.post(f"/notifications/inbox/{key}/read", headers=MANAGER)
        assert marked.json() == {"marked": 1, "unread": 1}
        settle(client.app)
        assert inbox(client, MANAGER)["unread"] == 1
        assert [i["read_at"] is not None for i in inbox(client, MANAGER)["items"]].count(True) == 1
        assert client.post(f"/notifications/inbox/{key}/read", headers=MANAGER).json()["marked"] == 0
        assert inbox(client, MANAGER, unread_only=True)["total"] == 1

    def test_marking_all_read_leaves_none_unread(self, client):
        for _ in range(3):
            register_small_deal(client, REP)
        settle(client.app)
        assert client.post("/notifications/inbox/read-all", headers=MANAGER).json() == {"marked": 3, "unread": 0}
        settle(client.app)
        assert inbox(client, MANAGER)["unread"] == 0

    def test_another_persons_message_is_403_and_an_unknown_one_404(self, client):
        register_small_deal(client, REP)
        settle(client.app)
        key = inbox(client, MANAGER)["items"][0]["notification_id"]
        for other in (REP2, ADMIN, as_user("mgr-2", "manager", ["east"])):
            assert client.post(f"/notifications/inbox/{key}/read", headers=other).status_code == 403
        unknown = client.post(f"/notifications/inbox/{uuid.uuid4()}/read", headers=MANAGER)
        assert unknown.status_code == 404 and unknown.json()["kind"] == "notification"
        settle(client.app)
        assert inbox(client, MANAGER)["unread"] == 1  # the refusals changed nothing

    def test_approval_tells_the_owner_an_assignment_the_new_owner_and_a_kind_turned_off_is_not_shown(self, client):
        deal_id = register_small_deal(client, REP)
        assert client.post(f"/registration/deals/{deal_id}/approve", headers=MANAGER).status_code == 200
        assign(client, deal_id, "rep-2")
        settle(client.app)
        assert [i["kind"] for i in inbox(client, REP)["items"]] == ["registration_approved"]
        assert [i["kind"] for i in inbox(client, REP2)["items"]] == ["assigned"]
        off = {"kinds": {"assigned": {"in_app": False, "email": False}}}
        assert client.put("/notifications/preferences", headers=REP, json=off).status_code == 200
        assign(client, deal_id, "rep-1")
        settle(client.app)
        assert [i["kind"] for i in inbox(client, REP)["items"]] == ["registration_approved"]


class TestPreferences:
    def test_a_person_starts_with_everything_on_and_no_address(self, client):
        answer = client.get("/notifications/preferences", headers=REP).json()
        assert answer["email"] is None and answer["language"] == "zh-CN" and answer["mail_configured"] is False
        assert all(channels == {"in_app": True, "email": True} for channels in answer["kinds"].values())

    def test_preferences_are_the_callers_own(self, client):
        body = {"email": "li@example.com", "language": "en", "kinds": {"task_due": {"in_app": True, "email": False}}}
        chosen = client.put("/notifications/preferences", headers=REP, json=body).json()
        assert chosen["kinds"]["task_due"] == {"in_app": True, "email": False}
        assert client.get("/notifications/preferences", headers=REP).json() == chosen
        assert client.get("/notifications/preferences", headers=REP2).json()["email"] is None

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"email": "not an address"}, "email"),
            ({"language": "fr"}, "language"),
            ({"kinds": {"no_such_kind": {"in_app": True}}}, "kinds"),
        ],
    )
    def test_a_bad_preference_is_422_naming_the_field(self, client, body, field):
        answer = client.put("/notifications/preferences", headers=REP, json=body)
        assert answer.status_code == 422
        assert field in str(answer.json())


def test_the_live_stream_says_changed_when_an_inbox_moves_on(client):
    stream = Stream(client, "/notifications/live", MANAGER)
    try:
        assert stream.status == 200
        assert "event: ready" in stream.next_block()
        register_small_deal(client, REP)
        assert "event: changed" in stream.next_block()
    finally:
        stream.close()
