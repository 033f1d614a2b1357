"""The pool (claim) and the list view (filters, sort, paging) in a real Chromium."""

from __future__ import annotations

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture says what is missing: a skip here, a failure under CI
    expect = None

from tests.browser.board_page import card, deal_by_name, eventually, identity, keep, register_by_api

ADMIN = identity("admin-1", role="admin", teams="")
REP_1 = identity("rep-1")


def test_a_rep_claims_a_deal_from_the_pool_and_it_is_theirs(new_page, api):
    deal_id = register_by_api(api, "rep-2", "海川物流 TMS", "海川物流")
    deal_by_name(api, "rep-2", "海川物流 TMS")
    recycled = api.post(f"/registration/deals/{deal_id}/recycle", headers=ADMIN, json={"reason": "left the company"})
    assert recycled.status_code == 200, recycled.text
    eventually(lambda: deal_id in [d["deal_id"] for d in api.get("/registration/pool", headers=REP_1).json()["items"]])

    page = new_page("rep-1", locale="en")
    page.get_by_role("button", name="Pool", exact=True).click()
    expect(page.get_by_role("heading", name="Pool")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="海川物流 TMS")
    expect(row).to_contain_text("rep-2")  # the previous owner
    keep(page, "pool.png")
    row.get_by_role("button", name="Claim 海川物流 TMS").click()

    expect(page.get_by_text("Claimed: 海川物流 TMS")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="海川物流 TMS")).to_have_count(0)
    assert api.get(f"/registration/deals/{deal_id}", headers=REP_1).json()["owner_id"] == "rep-1"
    deal_by_name(api, "rep-1", "海川物流 TMS")  # the pipeline's read model has followed the claim
    board = new_page("rep-1", locale="en")
    expect(card(board, "海川物流 TMS")).to_be_visible()


def test_the_list_filters_sorts_and_pages_the_reps_own_deals(new_page, api):
    for index, amount in enumerate(("30000.00", "90000.00", "60000.00")):
        register_by_api(api, "rep-1", f"列表商机 {index}", f"列表客户 {index}", amount=amount)
    register_by_api(api, "rep-west", "列表商机 west", "西部客户")
    deal_by_name(api, "rep-1", "列表商机 2")
    deal_by_name(api, "rep-west", "列表商机 west")

    page = new_page("rep-1", locale="en")
    page.get_by_role("button", name="List", exact=True).click()
    expect(page.get_by_role("heading", name="Deals", exact=True)).to_be_visible()
    rows = page.locator(".ant-table-tbody tr.ant-table-row")
    expect(rows).to_have_count(3)  # rep-west's deal is out of rep-1's reach

    page.get_by_label("Sort").click()
    page.get_by_title("Amount, largest first").click()
    expect(rows.first).to_contain_text("列表商机 1")
    expect(rows.nth(1)).to_contain_text("列表商机 2")
    expect(rows.nth(2)).to_contain_text("列表商机 0")

    page.get_by_label("Search deals").fill("商机 2")
    page.get_by_label("Search deals").press("Enter")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("列表商机 2")
    keep(page, "list.png")


def test_the_list_pages_on_with_more(new_page, api):
    for index in range(27):  # one page is 25
        register_by_api(api, "rep-1", f"分页商机 {index:02d}", f"分页客户 {index:02d}")
    eventually(lambda: len(api.get("/pipeline/deals", headers=REP_1, params={"limit": 100}).json()["items"]) == 27)

    page = new_page("rep-1", locale="en")
    page.get_by_role("button", name="List", exact=True).click()
    rows = page.locator(".ant-table-tbody tr.ant-table-row")
    expect(rows).to_have_count(25)
    page.get_by_role("button", name="More…").click()
    expect(rows).to_have_count(27)
    expect(page.get_by_role("button", name="More…")).to_have_count(0)  # the last page
