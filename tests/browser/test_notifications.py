"""The inbox in a real Chromium: the header's bell counts the unread messages and follows
new ones live; the inbox page marks them read and links to the deal; the preferences form
saves the caller's choices."""

from __future__ import annotations

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture says what is missing: a skip here, a failure under CI
    expect = None

from tests.browser.board_page import deal_by_name, identity, keep, register_by_api

ADMIN = identity("admin-1", role="admin", teams="")


def assign(api, deal_id: str, owner: str) -> None:
    answer = api.post(f"/registration/deals/{deal_id}/assign", headers=ADMIN, json={"owner_id": owner})
    assert answer.status_code == 200, answer.text


def test_the_bell_counts_live_and_the_inbox_marks_read_and_opens_the_deal(new_page, api):
    first = register_by_api(api, "rep-1", "通知商机 一", "通知客户 一")
    second = register_by_api(api, "rep-1", "通知商机 二", "通知客户 二")
    deal_by_name(api, "rep-1", "通知商机 二")
    assign(api, first, "rep-2")

    page = new_page("rep-2", locale="en")
    bell = page.get_by_role("button", name="Notifications: 1 unread")
    expect(bell).to_be_visible()
    expect(page.locator("html")).to_have_attribute("data-live-notifications", "open")
    assign(api, second, "rep-2")  # while the page is open: the count follows by itself
    expect(page.get_by_role("button", name="Notifications: 2 unread")).to_be_visible()

    page.get_by_role("button", name="Notifications: 2 unread").click()
    expect(page.get_by_role("heading", name="Notifications")).to_be_visible()
    expect(page.get_by_text("通知商机 一 was assigned to you")).to_be_visible()
    keep(page, "inbox.png")
    page.get_by_role("button", name="Mark read: 通知商机 一").click()
    expect(page.get_by_role("button", name="Notifications: 1 unread")).to_be_visible()
    page.get_by_role("row").filter(has_text="通知商机 二").get_by_role("button", name="Open the deal").click()
    expect(page).to_have_url(f"{page.url.split('/deals/')[0].split('/notifications')[0]}/deals/{second}")
    expect(page.get_by_role("button", name="Notifications: 0 unread")).to_be_visible()


def test_the_preferences_form_saves_the_address_and_a_kind_turned_off(new_page, api):
    page = new_page("rep-3", locale="zh-CN")
    page.get_by_role("button", name="消息提醒：0 条未读").click()
    page.get_by_role("tab", name="提醒设置").click()
    page.get_by_label("电子邮箱（不填则不发邮件）").fill("rep3@example.com")
    page.get_by_role("switch", name="分配给我 · 邮件提醒").click()
    page.get_by_role("button", name="保存设置").click()
    expect(page.get_by_text("设置已保存")).to_be_visible()
    chosen = api.get("/notifications/preferences", headers=identity("rep-3")).json()
    assert chosen["email"] == "rep3@example.com"
    assert chosen["kinds"]["assigned"] == {"in_app": True, "email": False}
    assert chosen["kinds"]["recycled"] == {"in_app": True, "email": True}


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_the_inbox_and_preferences_have_no_serious_accessibility_violations(new_page, api, server, locale):
    from tests.browser.test_accessibility import serious_violations

    deal_id = register_by_api(api, "rep-1", "无障碍通知", "无障碍客户")
    deal_by_name(api, "rep-1", "无障碍通知")
    assign(api, deal_id, "rep-2")
    page = new_page("rep-2", locale=locale)
    page.goto(f"{server.url}/notifications")
    expect(page.get_by_role("row").filter(has_text="无障碍通知")).to_be_visible()
    assert serious_violations(page) == []
    page.get_by_role("tab").nth(1).click()
    expect(page.get_by_role("switch").first).to_be_visible()
    assert serious_violations(page) == []
