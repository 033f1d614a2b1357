"""The empty board's "load demo data" (embedded mode only) in a real Chromium."""

from __future__ import annotations

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture says what is missing
    expect = None

from tests.browser.board_page import card, column, eventually

LOADING = 120_000  # ms: a wait limit for three hundred deals on a slow machine, not a speed check


def test_the_empty_board_offers_the_demo_and_the_board_fills_with_the_story_deal(new_page, api):
    page = new_page("li.ming", role="rep", teams="east")  # the story's 李明
    expect(page.get_by_role("heading", name="看板")).to_be_visible()
    expect(column(page, "谈判/复审")).to_contain_text("暂无商机")
    page.get_by_role("button", name="加载演示数据").click()

    story = card(page, "新城百货合作项目")
    expect(column(page, "谈判/复审").get_by_role("listitem", name="新城百货合作项目")).to_be_visible(timeout=LOADING)
    expect(story).to_contain_text("新城百货")
    expect(page.get_by_role("button", name="加载演示数据")).to_have_count(0)

    # the rest of 李明's generated deals are on his board too, and the demo is not offered again
    # (the story is recorded first and shows at once, live; the generated deals follow it)
    def deals_on_his_board() -> int:
        board = api.get("/pipeline/board", headers={"X-User-Id": "li.ming", "X-User-Role": "rep"}).json()
        count = sum(c["count"] for c in board["columns"])
        return count if count > 10 else 0

    assert eventually(deals_on_his_board, timeout=LOADING / 1000) > 10
    page.reload()
    expect(story).to_be_visible()
    expect(page.get_by_role("button", name="加载演示数据")).to_have_count(0)
