"""axe-core (console/node_modules, pinned in package-lock.json) finds no serious or critical
accessibility violation on the main pages, in either language."""

from __future__ import annotations

import pytest

from tests.browser.board_page import card, eventually, identity, register_by_api
from tests.browser.conftest import console_node_modules

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture says what is missing
    expect = None


def serious_violations(page) -> list[str]:
    page.add_script_tag(path=str(console_node_modules() / "axe-core" / "axe.min.js"))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_the_board_and_the_deal_page_have_no_serious_accessibility_violations(new_page, api, server, locale):
    deal_id = register_by_api(api, "rep-1", "Accessible deal", "Accessible Ltd")
    eventually(lambda: api.get(f"/pipeline/deals/{deal_id}", headers=identity("rep-1")).status_code == 200)
    page = new_page("rep-1", locale=locale)
    expect(card(page, "Accessible deal")).to_be_visible()
    assert serious_violations(page) == []

    page.goto(f"{server.url}/deals/{deal_id}")
    expect(page.get_by_role("heading", name="Accessible deal")).to_be_visible()
    assert serious_violations(page) == []


def test_the_sign_in_page_has_no_serious_accessibility_violations(browser, server):
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    page.goto(f"{server.url}/signin")
    expect(page.get_by_role("button", name="登 录")).to_be_visible()
    assert serious_violations(page) == []
    context.close()


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_the_forecast_and_reports_pages_have_no_serious_accessibility_violations(new_page, api, server, locale):
    deal_id = register_by_api(api, "rep-1", "Forecast accessible deal", "Accessible Ltd")
    eventually(lambda: api.get(f"/pipeline/deals/{deal_id}", headers=identity("rep-1")).status_code == 200)
    page = new_page("mgr-east", role="manager", teams="east", locale=locale)
    expect(page.locator("header").first).to_be_visible()  # signed in: the session is kept
    page.goto(f"{server.url}/forecast")
    expect(page.locator("[data-chart=echarts] canvas").first).to_be_visible()  # the page with its charts and forms
    assert serious_violations(page) == []

    page.goto(f"{server.url}/reports#stage-conversion")
    expect(page.locator("[data-chart=echarts] canvas").first).to_be_visible()
    assert serious_violations(page) == []
