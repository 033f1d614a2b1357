"""Live updates in a real Chromium against the real embedded server: a change made elsewhere
shows on an open board and an open approval queue without a reload."""

from __future__ import annotations

from datetime import date, timedelta

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture says what is missing: a skip here, a failure under CI
    expect = None

from tests.browser.board_page import card, column, drag, identity, register_by_api

FAR_OUT = (date.today() + timedelta(days=500)).isoformat()  # beyond the rules' 12 months: it waits


def following(page, service: str) -> None:
    """Until the page's live stream of `service` is open (and a marker is set that a reload
    would wipe out)."""
    expect(page.locator("html")).to_have_attribute(f"data-live-{service}", "open")
    page.evaluate("window.__notReloaded = true")


def not_reloaded(page) -> bool:
    return page.evaluate("window.__notReloaded === true")


def test_a_card_a_rep_moves_shows_in_its_new_column_on_the_managers_open_board(new_page, api):
    register_by_api(api, "rep-1", "天启能源 EAM", "天启能源")
    rep = new_page("rep-1", locale="zh-CN")
    manager = new_page("mgr-east", role="manager", teams="east", locale="zh-CN")
    for page in (rep, manager):
        expect(column(page, "初步接触").get_by_role("listitem", name="天启能源 EAM")).to_be_visible()
    following(manager, "pipeline")

    drag(rep, card(rep, "天启能源 EAM"), column(rep, "提案/报价"))

    expect(column(rep, "提案/报价").get_by_role("listitem", name="天启能源 EAM")).to_be_visible()
    moved = column(manager, "提案/报价").get_by_role("listitem", name="天启能源 EAM")
    expect(moved).to_be_visible(timeout=10_000)
    expect(column(manager, "初步接触").get_by_role("listitem", name="天启能源 EAM")).to_have_count(0)
    assert not_reloaded(manager)


def test_a_managers_open_queue_shows_a_newly_registered_pending_deal(new_page, api):
    manager = new_page("mgr-east", role="manager", teams="east", locale="en")
    manager.get_by_role("button", name="Approval queue").click()
    expect(manager.get_by_role("heading", name="Approval queue")).to_be_visible()
    following(manager, "registration")

    made = api.post(
        "/registration/deals",
        headers=identity("rep-2"),
        json={
            "name": "北辰物流 TMS",
            "account": {"name": "北辰物流"},
            "value": {"amount": "90000.00", "currency": "CNY"},
            "expected_close_date": FAR_OUT,
        },
    )
    assert made.status_code == 201 and made.json()["registration_status"] == "pending", made.text

    row = manager.get_by_role("row").filter(has_text="北辰物流 TMS")
    expect(row).to_be_visible(timeout=10_000)
    expect(row).to_contain_text("rep-2")
    assert not_reloaded(manager)
