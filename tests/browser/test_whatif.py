"""The what-if page in a real Chromium against the real embedded server: other stage
probabilities drawn as a line chart beside a table holding the API's figures, other recycling
rules run from the form, and a rep not offered the page."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture says what is missing
    expect = None

from services.pipeline.domain.stages import DEFAULT
from tests.browser.board_page import eventually, identity, keep, register_by_api

MANAGER = identity("mgr-east", role="manager", teams="east")
TODAY = date.today()
PERIOD = f"{TODAY.year}-Q{(TODAY.month - 1) // 3 + 1}"  # the page's default: the quarter begun, its weeks so far


def cny(amount: str) -> str:
    return f"CN¥{Decimal(amount):,.2f}"


def open_as_manager(new_page, server, locale: str = "en"):
    page = new_page("mgr-east", role="manager", teams="east", locale=locale)
    expect(page.get_by_role("heading", name="Board" if locale == "en" else "看板")).to_be_visible()
    page.get_by_role("button", name="What-if" if locale == "en" else "假设推演").click()
    return page


def test_other_stage_probabilities_draw_each_weeks_forecast_beside_the_one_shown(new_page, api, server):
    registered = api.post(
        "/registration/deals",
        headers=identity("rep-1"),
        json={
            "name": "What-if deal",
            "account": {"name": "Whatif Ltd"},
            "value": {"amount": "100000.00", "currency": "CNY"},
            "expected_close_date": TODAY.isoformat(),  # closes in the quarter begun
        },
    )
    assert registered.status_code == 201, registered.text
    eventually(lambda: api.get("/forecast/pipeline", headers=MANAGER, params={"period": PERIOD}).json()["count"] == 1)
    page = open_as_manager(new_page, server)
    expect(page.get_by_role("heading", name="What-if: the history under other rules")).to_be_visible()
    page.get_by_role("tab", name="Stage probabilities").click()
    probability = page.get_by_role("spinbutton", name="Probability of Prospecting")
    probability.fill("100")
    page.get_by_role("button", name="Run").click()

    chart = page.get_by_role("img", name="Weekly forecast under both probabilities beside what was won")
    expect(chart.locator("canvas")).to_have_count(1)
    table = page.get_by_role("table", name="Weekly forecast under both probabilities beside what was won")
    answer = api.post(
        "/forecast/what-if/probabilities",
        headers=MANAGER,
        json={"period": PERIOD, "probabilities": {"prospecting": 100}},
    ).json()
    expect(table.get_by_role("row")).to_have_count(1 + len(answer["points"]))  # the header and a row a week, and now
    now = table.get_by_role("row").last  # the deal is only in today's forecast: prospecting's 10%, or all of it
    shown = next(s.probability for s in DEFAULT.stages if s.key == "prospecting")
    expect(now).to_contain_text(cny(f"{100000 * shown / 100:.2f}"))
    expect(now).to_contain_text(cny("100000.00"))
    keep(page, "whatif-probabilities.png")


def test_other_recycling_rules_run_from_the_form_in_chinese(new_page, api, server):
    register_by_api(api, "rep-1", "回收推演商机", "推演贸易有限公司", "100000.00")
    page = open_as_manager(new_page, server, locale="zh-CN")
    page.get_by_role("spinbutton", name="无跟进天数后回收").fill("10")
    page.get_by_role("button", name="运 行").or_(page.get_by_role("button", name="运行")).click()
    # registered a moment ago: not due under ten days either, and the summary says both rule sets'
    expect(page.get_by_text("假设规则不会回收任何商机")).to_be_visible()
    expect(page.get_by_text("现行规则", exact=True)).to_be_visible()
    other = page.locator(".ant-card").filter(has=page.get_by_text("假设规则", exact=True))
    expect(other).to_contain_text("无跟进天数后回收10")  # the rule entered, beside the rules in force' 30
    expect(page.locator(".ant-card").filter(has=page.get_by_text("现行规则", exact=True))).to_contain_text(
        "无跟进天数后回收30"
    )
    keep(page, "whatif-recycling-zh.png")


def test_a_rep_is_not_offered_the_what_if(new_page, server):
    page = new_page("rep-1", role="rep", locale="en")
    expect(page.get_by_role("heading", name="Board")).to_be_visible()
    expect(page.get_by_role("button", name="What-if")).to_have_count(0)
