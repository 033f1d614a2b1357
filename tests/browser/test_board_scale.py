"""A long board column in a real Chromium: only its visible cards are in the page, and
scrolling it brings in the later ones (paged from the list view as the column scrolls)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture says what is missing
    expect = None

from tests.browser.board_page import CLOSE_DATE, column, eventually, identity
from tests.support.processes import ServiceProcess

REP_1 = identity("rep-1")
DEALS = 300


@pytest.fixture
def server(tmp_path) -> Iterator[ServiceProcess]:
    """The embedded process as in conftest, with a holding limit (50 by default) the rep's
    few hundred open deals stay within."""
    env = {
        "CRM_DATA_DIR": str(tmp_path / "data"),
        "CRM_POLL_INTERVAL": "0.05",
        "CRM_REGISTRATION_RULES": '{"holding_limit": 100000}',
    }
    process = ServiceProcess("all", env, tmp_path)
    process.env.pop("CRM_DATABASE_URL", None)
    process.env.pop("CRM_KAFKA_BOOTSTRAP_SERVERS", None)
    process.start()
    yield process
    process.stop()


def import_deals(api, count: int) -> None:
    """`count` deals for rep-1 in one import (one account each: no duplicates)."""
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["name", "account_name", "amount", "expected_close_date"])
    for n in range(count):
        writer.writerow([f"Long column deal {n:03}", f"Customer {n:03}", "1000", CLOSE_DATE])
    answer = api.post(
        "/registration/imports/deals",
        headers=REP_1,
        files={"file": ("deals.csv", text.getvalue().encode(), "text/csv")},
        timeout=120,
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["created"] == count


def test_a_column_of_hundreds_of_deals_keeps_only_the_visible_cards_in_the_page_and_scrolling_reveals_the_rest(
    new_page, api
):
    import_deals(api, DEALS)

    def everything_on_the_board() -> list[dict] | None:
        columns = api.get("/pipeline/board", headers=REP_1, params={"cards": 0}).json()["columns"]
        return columns if next(c for c in columns if c["stage"] == "prospecting")["count"] == DEALS else None

    eventually(everything_on_the_board, timeout=60)
    in_order = api.get(
        "/pipeline/deals", headers=REP_1, params={"stage": "prospecting", "sort": "expected_close_date", "limit": 500}
    ).json()["items"]
    first, last = in_order[0]["name"], in_order[-1]["name"]

    page = new_page("rep-1", locale="en-US")
    prospecting = column(page, "Prospecting")
    expect(prospecting).to_contain_text(f"{DEALS} deals")
    expect(prospecting.get_by_role("listitem", name=first, exact=True)).to_be_visible()
    cards = prospecting.get_by_role("listitem")
    shown = cards.count()
    # fewer than even the first page the board sends (30 cards a column): only what is in view
    assert 0 < shown < 30, f"{shown} cards in the page for a column of {DEALS}"
    # the last by close date is beyond the first page the board sends (50), let alone the screen
    expect(prospecting.get_by_role("listitem", name=last, exact=True)).to_have_count(0)
    assert cards.last.get_attribute("aria-setsize") == str(DEALS)  # a screen reader hears the whole

    scroller = prospecting.get_by_test_id("cards")
    scroller.hover()

    def scrolled_to_the_last() -> bool:
        page.mouse.wheel(0, 4000)
        return prospecting.get_by_role("listitem", name=last, exact=True).count() == 1

    eventually(scrolled_to_the_last, timeout=30)
    expect(prospecting.get_by_role("listitem", name=last, exact=True)).to_be_visible()
    expect(prospecting.get_by_role("listitem", name=first, exact=True)).to_have_count(0)  # scrolled away: gone
    assert prospecting.get_by_role("listitem").count() < 30
