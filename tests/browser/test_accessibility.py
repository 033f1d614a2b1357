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
    """What axe finds on the page once it has settled: a button still loading (its text at 65%
    opacity) or a click's wave still fading is a moment, not the page's contrast."""
    expect(page.locator(".ant-btn-loading, .ant-wave")).to_have_count(0)
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


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_the_products_leads_and_partners_pages_have_no_serious_accessibility_violations(new_page, api, server, locale):
    admin = identity("admin-1", role="admin", teams="")
    product = {
        "code": "A11Y-1",
        "name_zh": "无障碍产品",
        "product_line": "ERP",
        "unit": "套",
        "list_price": {"amount": "100.00", "currency": "CNY"},
    }
    assert api.post("/pipeline/products", headers=admin, json=product).status_code == 201
    lead = {"company": "Accessible Lead Co", "contact": {"name": "Li"}}
    assert api.post("/registration/leads", headers=admin, json=lead).status_code == 201
    partner = {"partner_id": "org-a11y", "name": "无障碍渠道", "channel_managers": ["mgr-east"]}
    assert api.post("/registration/partners", headers=admin, json=partner).status_code == 201
    # the lists are read models: they hold what was added within moments
    eventually(lambda: api.get("/pipeline/products", headers=admin).json()["items"])
    eventually(lambda: api.get("/registration/leads", headers=admin).json()["items"])
    eventually(lambda: api.get("/registration/partners/report", headers=admin).json()["items"])
    page = new_page("admin-1", role="admin", teams="", locale=locale)
    expect(page.locator("header").first).to_be_visible()  # signed in: the session is kept

    page.goto(f"{server.url}/products")
    expect(page.get_by_role("row").filter(has_text="A11Y-1")).to_be_visible(timeout=15_000)
    assert serious_violations(page) == []

    page.goto(f"{server.url}/leads")
    expect(page.get_by_role("row").filter(has_text="Accessible Lead Co")).to_be_visible(timeout=15_000)
    expect(page.get_by_test_id("model-status")).to_be_visible()
    assert serious_violations(page) == []

    page.goto(f"{server.url}/partners")
    expect(page.get_by_role("row").filter(has_text="无障碍渠道")).to_be_visible(timeout=15_000)
    assert serious_violations(page) == []


def test_a_partners_registrations_page_has_no_serious_accessibility_violations(browser, api, server):
    admin = identity("admin-1", role="admin", teams="")
    partner = {"partner_id": "org-a11y", "name": "无障碍渠道", "channel_managers": ["mgr-east"]}
    assert api.post("/registration/partners", headers=admin, json=partner).status_code == 201
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    page.goto(f"{server.url}/?as=p-1&role=partner&partner=org-a11y")
    expect(page.get_by_role("heading", name="本机构的报备")).to_be_visible(timeout=15_000)
    assert serious_violations(page) == []
    context.close()


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_the_what_if_page_has_no_serious_accessibility_violations(new_page, api, server, locale):
    register_by_api(api, "rep-1", "What-if accessible deal", "Accessible Ltd")
    page = new_page("mgr-east", role="manager", teams="east", locale=locale)
    expect(page.locator("header").first).to_be_visible()
    page.goto(f"{server.url}/whatif")
    page.get_by_role("button", name="运 行" if locale == "zh-CN" else "Run").click()
    deals = "假设规则会回收的商机" if locale == "zh-CN" else "Deals the other rules would have recycled"
    expect(page.get_by_role("table", name=deals)).to_be_visible()  # the form and the recycling result
    page.mouse.move(0, 0)  # the page at rest, as the other pages are checked: not the Run button under the pointer
    assert serious_violations(page) == []

    page.get_by_role("tab", name="阶段赢率" if locale == "zh-CN" else "Stage probabilities").click()
    page.get_by_role("button", name="运 行" if locale == "zh-CN" else "Run").click()
    expect(page.locator("[data-chart=echarts] canvas").first).to_be_visible()
    page.mouse.move(0, 0)
    assert serious_violations(page) == []
