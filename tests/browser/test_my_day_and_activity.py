"""My day and the activity report in a real Chromium: a rep completes a task from their day;
a manager picks the team and sees the rep's visit in the weekly progress table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture says what is missing: a skip here, a failure under CI
    expect = None

from tests.browser.board_page import deal_by_name, eventually, identity, keep, register_by_api

REP_1 = identity("rep-1")


def log(api, deal_id: str, body: dict) -> None:
    answer = api.post(f"/pipeline/deals/{deal_id}/activities", headers=REP_1, json=body)
    assert answer.status_code == 201, answer.text


def test_a_rep_completes_a_task_from_my_day_and_a_manager_sees_the_teams_week(new_page, api):
    deal_id = register_by_api(api, "rep-1", "日程商机 ERP", "日程客户")
    deal_by_name(api, "rep-1", "日程商机 ERP")
    soon = datetime.now(UTC) + timedelta(hours=1)
    log(api, deal_id, {"kind": "task", "subject": "send the quotation", "due_at": soon.isoformat()})
    log(api, deal_id, {"kind": "visit", "subject": "visit the plant", "occurred_at": datetime.now(UTC).isoformat()})
    eventually(lambda: api.get("/pipeline/my-day", headers=REP_1).json()["meetings"])

    page = new_page("rep-1", locale="en")
    page.get_by_role("button", name="My day", exact=True).click()
    expect(page.get_by_role("heading", name="My day")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="visit the plant")).to_contain_text("Visit")
    keep(page, "my-day.png")
    page.get_by_role("button", name="Done: send the quotation").click()
    expect(page.get_by_text("Done: send the quotation")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="send the quotation")).to_have_count(0)

    eventually(
        lambda: api.get("/forecast/activity", headers=REP_1, params={"period": "week"}).json()["total"]["visits"]
    )
    manager = new_page("mgr-1", role="manager", teams="east", locale="zh-CN")
    manager.get_by_role("button", name="活动报表", exact=True).click()
    expect(manager.get_by_role("heading", name="活动报表")).to_be_visible()
    manager.get_by_label("查看谁的").click()
    manager.get_by_title("团队 east").click()
    row = manager.get_by_role("row").filter(has_text="rep-1")
    expect(row).to_contain_text("1 / 0")  # one visit, no plan set
    keep(manager, "activity-report-zh-CN.png")
