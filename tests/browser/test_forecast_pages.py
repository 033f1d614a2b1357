"""The forecast and reports pages (ECharts, loaded with the pages) in a real Chromium against
the real embedded server: the figures on screen are the API's, a manager's target reaches the
API, and a rep is offered neither the reports nor the targets form."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture says what is missing
    expect = None

from tests.browser.board_page import CLOSE_DATE, eventually, identity, keep, register_by_api

MANAGER = identity("mgr-east", role="manager", teams="east")
CLOSE = date.fromisoformat(CLOSE_DATE)
PERIOD = f"{CLOSE.year}-Q{(CLOSE.month - 1) // 3 + 1}"  # the quarter the seeded deals close in


def cny(amount: str) -> str:
    """A CNY amount as the console shows it in English (Intl: CN¥1,234.50)."""
    return f"CN¥{Decimal(amount):,.2f}"


def seed(api) -> dict:
    """Three deals of two reps of team east, one moved on to proposal; the forecast once it
    has them all."""
    first = register_by_api(api, "rep-1", "Forecast deal A", "Alpha Ltd", "100000.00")
    register_by_api(api, "rep-1", "Forecast deal B", "Beta Ltd", "50000.00")
    register_by_api(api, "rep-2", "Forecast deal C", "Gamma Ltd", "200000.00")
    eventually(lambda: api.get(f"/pipeline/deals/{first}", headers=identity("rep-1")).status_code == 200)
    moved = api.post(f"/pipeline/deals/{first}/stage", headers=identity("rep-1"), json={"to_stage": "proposal"})
    assert moved.status_code == 200, moved.text

    def settled() -> dict | None:
        answer = api.get(
            "/forecast/pipeline", headers=MANAGER, params={"period": PERIOD, "group_by": "owner", "by_category": True}
        ).json()
        # three deals counted, and the move has reached the forecast (a category beyond pipeline)
        moved_on = any(set(group["categories"]) - {"pipeline"} for group in answer["groups"])
        return answer if answer["count"] == 3 and moved_on else None

    return eventually(settled)


def open_as_manager(new_page, server, path: str, locale: str = "en"):
    page = new_page("mgr-east", role="manager", teams="east", locale=locale)
    expect(page.get_by_role("heading", name="Board" if locale == "en" else "看板")).to_be_visible()
    page.goto(f"{server.url}{path}")
    return page


def choose_period(page, label: str, period: str) -> None:
    picker = page.get_by_role("combobox", name=label, exact=True)
    picker.click()
    picker.fill(period)
    picker.press("Enter")


def test_a_manager_sees_the_forecast_chart_and_a_table_with_the_apis_figures(new_page, api, server):
    forecast = seed(api)
    page = open_as_manager(new_page, server, "/forecast")
    expect(page.get_by_role("heading", name="Forecast")).to_be_visible()
    choose_period(page, "Period", PERIOD)

    chart = page.get_by_role("img", name="Weighted value by forecast category")
    expect(chart.locator("canvas")).to_have_count(1)
    assert chart.locator("canvas").bounding_box()["height"] > 100  # drawn at its size, not collapsed
    table = page.get_by_role("table", name="Forecast figures")
    for group in forecast["groups"]:
        [weighted], [total] = group["weighted"], group["total"]
        row = table.get_by_role("row").filter(has_text=group["key"])
        expect(row).to_contain_text(f"{group['count']}")
        expect(row).to_contain_text(cny(weighted["amount"]))
        expect(row).to_contain_text(cny(total["amount"]))
    expect(table.get_by_role("row")).to_have_count(1 + len(forecast["groups"]))  # the header and a row each
    expect(page.get_by_role("heading", name="What moved the forecast")).to_have_count(0)  # a card title, not a heading
    expect(page.get_by_text("What moved the forecast")).to_be_visible()
    keep(page, "forecast.png")


def test_the_stage_conversion_funnel_counts_what_the_api_counts(new_page, api, server):
    seed(api)
    report = api.get("/forecast/reports/stage-conversion", headers=MANAGER).json()
    assert {stage["stage"] for stage in report["stages"]} >= {"prospecting", "proposal"}, report
    page = open_as_manager(new_page, server, "/reports")
    page.get_by_role("tab", name="Stage conversion").click()

    expect(page.get_by_role("img", name="Stage conversion").locator("canvas")).to_have_count(1)
    table = page.get_by_role("table", name="Stage conversion")
    expect(table.get_by_role("row")).to_have_count(1 + len(report["stages"]))
    for index, stage in enumerate(report["stages"], start=1):
        cells = table.get_by_role("row").nth(index).get_by_role("cell")
        expect(cells.nth(1)).to_have_text(str(stage["reached"]))
        expect(cells.nth(2)).to_have_text(str(stage["went_on"]))
    keep(page, "reports-funnel.png")


def test_a_manager_sets_a_target_through_the_form_and_the_api_has_it(new_page, api, server):
    seed(api)
    page = open_as_manager(new_page, server, "/forecast")
    choose_period(page, "Period", PERIOD)
    page.get_by_role("textbox", name="Owner").fill("rep-1")
    choose_period(page, "Target period", PERIOD)
    page.get_by_role("spinbutton", name="Amount").fill("500000")
    page.get_by_role("button", name="Save target").click()
    expect(page.get_by_text(f"Target set: rep-1, {PERIOD}, {cny('500000')}")).to_be_visible()

    def rep_target() -> dict | None:
        groups = api.get("/forecast/pipeline", headers=MANAGER, params={"period": PERIOD, "group_by": "owner"}).json()
        return next((g["target"] for g in groups["groups"] if g["key"] == "rep-1" and "target" in g), None)

    assert eventually(rep_target) == {"amount": "500000.00", "currency": "CNY"}
    # the page reloads the forecast: the row shows the target, the attainment chart appears
    expect(page.get_by_role("row").filter(has_text="rep-1").first).to_contain_text(cny("500000"))
    expect(page.get_by_role("img", name="Attainment against target").locator("canvas")).to_have_count(1)
    keep(page, "forecast-target.png")

    # an owner the forecast does not know: the API's 422, worded as it words it
    page.get_by_role("textbox", name="Owner").fill("nobody-at-all")
    page.get_by_role("button", name="Save target").click()
    expect(page.get_by_text("Refused (422)")).to_be_visible()
    expect(page.get_by_text("no owner 'nobody-at-all'")).to_be_visible()


def test_a_rep_sees_their_forecast_but_no_target_form_and_no_reports(new_page, api, server):
    seed(api)
    page = new_page("rep-1", locale="en")
    expect(page.get_by_role("button", name="Forecast")).to_be_visible()
    expect(page.get_by_role("button", name="Reports")).to_have_count(0)
    page.get_by_role("button", name="Forecast").click()
    choose_period(page, "Period", PERIOD)
    expect(page.get_by_role("row").filter(has_text="rep-1")).to_have_count(1)
    expect(page.get_by_role("row").filter(has_text="rep-2")).to_have_count(0)  # another rep's deals are out of reach
    expect(page.get_by_text("Set a target")).to_have_count(0)
    expect(page.get_by_role("button", name="Save target")).to_have_count(0)
    keep(page, "forecast-rep.png")

    page.goto(f"{server.url}/reports")  # by address: the API's 403, said plainly
    expect(page.get_by_text("You may not read the reports")).to_be_visible()
