"""The console's catalogue, line items, leads, partner and stage-task screens in a real
Chromium against the real embedded server; what the screen shows is checked against the API."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture says what is missing: a skip here, a failure under CI
    expect = None

from tests.browser.board_page import CLOSE_DATE, eventually, identity, keep, register_by_api

ADMIN = identity("admin-1", role="admin", teams="")


def choose(page, text: str) -> None:
    """Picks an option of the open select (Ant Design keeps a hidden copy of each for screen
    readers, so the visible one is chosen by its class)."""
    dropdown = page.locator(".ant-select-dropdown:not(.ant-select-dropdown-hidden)")
    dropdown.locator(".ant-select-item-option").filter(has_text=text).first.click()
    # a chosen option closes the list: if it is still open the click did not take
    expect(dropdown).to_have_count(0)


def add_product(api, code: str, name: str, price: str) -> None:
    body = {
        "code": code,
        "name_zh": name,
        "name_en": name,
        "product_line": "ERP",
        "unit": "套",
        "list_price": {"amount": price, "currency": "CNY"},
    }
    answer = api.post("/pipeline/products", headers=ADMIN, json=body)
    assert answer.status_code == 201, answer.text
    # the catalogue's list is a read model: it has the product within moments
    eventually(lambda: any(p["code"] == code for p in api.get("/pipeline/products", headers=ADMIN).json()["items"]))


def test_an_admin_adds_a_product_sees_the_refusal_naming_the_field_and_retires_it(new_page, api):
    page = new_page("admin-1", role="admin", teams="", locale="en")
    page.get_by_role("button", name="Products").click()
    expect(page.get_by_role("heading", name="Product catalogue")).to_be_visible(timeout=15_000)
    page.get_by_role("button", name="Add a product").click()
    drawer = page.get_by_role("dialog")
    drawer.get_by_label("Code").fill("erp lower")  # the API takes upper case only: a 422 naming `code`
    drawer.get_by_label("Name (Chinese)").fill("企业资源计划标准版")
    drawer.get_by_label("Name (English)").fill("ERP Standard")
    drawer.get_by_label("Product line").fill("ERP")
    drawer.get_by_label("Unit").fill("套")
    drawer.get_by_label("List price").fill("12000")
    drawer.get_by_role("button", name="Save").click()
    expect(drawer.get_by_role("alert")).to_contain_text("code:")
    expect(drawer.locator(".ant-form-item-explain-error").first).to_contain_text("code:")
    assert api.get("/pipeline/products", headers=ADMIN).json()["items"] == []

    drawer.get_by_label("Code").fill("ERP-STD")
    drawer.get_by_role("button", name="Save").click()
    row = page.get_by_role("row").filter(has_text="ERP-STD")
    expect(row).to_contain_text("ERP Standard")
    expect(row).to_contain_text("On sale")

    row.get_by_role("button", name="Retire ERP-STD").click()
    expect(row).to_contain_text("Retired")
    expect(row.get_by_role("button", name="Retire ERP-STD")).to_have_count(0)
    keep(page, "products-retired.png")
    product = api.get("/pipeline/products/ERP-STD", headers=ADMIN).json()
    assert product["active"] is False and product["list_price"] == {"amount": "12000.00", "currency": "CNY"}


def test_a_rep_reads_the_catalogue_without_any_button_to_change_it(new_page, api):
    add_product(api, "CRM-PRO", "客户关系管理专业版", "800.00")
    page = new_page("rep-1", locale="en")
    page.get_by_role("button", name="Products").click()
    expect(page.get_by_role("row").filter(has_text="CRM-PRO")).to_contain_text("On sale")
    expect(page.get_by_role("button", name="Add a product")).to_have_count(0)
    expect(page.get_by_role("button", name="Retire CRM-PRO")).to_have_count(0)


def test_a_rep_adds_line_items_and_the_deal_value_is_their_sum(new_page, api, server):
    add_product(api, "ERP-STD", "ERP 标准版", "12000.00")
    add_product(api, "SVC-DAY", "实施服务", "1999.99")
    deal_id = register_by_api(api, "rep-1", "Line items deal", "Line Items Ltd")
    eventually(lambda: api.get(f"/pipeline/deals/{deal_id}", headers=identity("rep-1")).status_code == 200)
    page = new_page("rep-1", locale="en")
    page.goto(f"{server.url}/deals/{deal_id}")
    expect(page.get_by_role("heading", name="Line items deal")).to_be_visible(timeout=15_000)
    expect(page.get_by_role("spinbutton", name="New value")).to_be_visible()  # no items: the value is typed

    page.get_by_role("button", name="Edit line items").click()
    add = page.get_by_role("combobox", name="Add a product")
    add.click()
    choose(page, "ERP 标准版 (ERP-STD)")
    add.click()
    choose(page, "实施服务 (SVC-DAY)")
    # the unit price starts at the list price; the rep changes quantity and discount
    expect(page.get_by_role("spinbutton", name="Unit price of ERP-STD")).to_have_value("12000.00")
    page.get_by_role("spinbutton", name="Quantity of ERP-STD").fill("3")
    page.get_by_role("spinbutton", name="Discount % of ERP-STD").fill("12.5")
    page.get_by_role("spinbutton", name="Quantity of SVC-DAY").fill("1.5")
    page.get_by_role("spinbutton", name="Discount % of SVC-DAY").fill("3")
    page.get_by_role("spinbutton", name="Quantity of SVC-DAY").click()  # the last field's value is committed on blur
    page.get_by_role("button", name="Save line items").click()
    expect(page.get_by_role("button", name="Edit line items")).to_be_visible()

    cent = Decimal("0.01")
    expected = (Decimal("3") * Decimal("12000.00") * Decimal("0.875")).quantize(cent, ROUND_HALF_UP) + (
        Decimal("1.5") * Decimal("1999.99") * Decimal("0.97")
    ).quantize(cent, ROUND_HALF_UP)
    shown = f"CN¥{expected:,.2f}"
    expect(page.get_by_test_id("deal-value")).to_have_text(shown)
    expect(page.get_by_test_id("line-items-sum")).to_have_text(shown)
    expect(page.get_by_role("spinbutton", name="New value")).to_have_count(0)  # read-only while items exist
    keep(page, "deal-line-items.png")
    deal = api.get(f"/pipeline/deals/{deal_id}", headers=identity("rep-1")).json()
    assert Decimal(deal["value"]["amount"]) == expected
    assert [(i["product_code"], i["quantity"], i["discount_percent"]) for i in deal["line_items"]] == [
        ("ERP-STD", "3", "12.5"),
        ("SVC-DAY", "1.5", "3"),
    ]


def test_a_rep_disqualifies_a_lead_with_a_reason_and_it_leaves_the_open_leads(new_page, api):
    for company in ("Lead Keep Co", "Lead Drop Co"):
        answer = api.post(
            "/registration/leads",
            headers=identity("rep-1"),
            json={"company": company, "contact": {"name": "Li"}, "source": "website"},
        )
        assert answer.status_code == 201, answer.text
    listed = lambda: api.get("/registration/leads", headers=identity("rep-1")).json()["items"]  # noqa: E731
    eventually(lambda: len(listed()) == 2)
    dropped = next(lead for lead in listed() if lead["company"] == "Lead Drop Co")
    page = new_page("rep-1", locale="en")
    page.get_by_role("button", name="Leads").click()
    expect(page.get_by_role("heading", name="Leads")).to_be_visible(timeout=15_000)
    expect(page.get_by_role("row").filter(has_text="Lead Drop Co")).to_be_visible()
    expect(page.get_by_role("columnheader", name="Model version")).to_be_visible()

    page.get_by_role("button", name="Disqualify Lead Drop Co").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("textbox", name="Why it will not become a deal").fill("no budget this year")
    dialog.get_by_role("button", name="Disqualify").click()
    expect(page.get_by_role("row").filter(has_text="Lead Drop Co")).to_have_count(0)
    expect(page.get_by_role("row").filter(has_text="Lead Keep Co")).to_be_visible()

    lead = api.get(f"/registration/leads/{dropped['lead_id']}", headers=identity("rep-1")).json()
    assert lead["status"] == "disqualified" and lead["disqualified_reason"] == "no budget this year"
    page.get_by_role("combobox", name="Status").click()
    choose(page, "Disqualified")
    expect(page.get_by_role("row").filter(has_text="Lead Drop Co")).to_contain_text("no budget this year")


def test_an_admin_sees_the_score_model_and_trains_it(new_page, api):
    page = new_page("admin-1", role="admin", teams="", locale="en")
    page.get_by_role("button", name="Leads").click()
    expect(page.get_by_test_id("model-status")).to_have_text("Not enough data", timeout=15_000)
    page.get_by_role("button", name="Train now").click()
    # with no ended leads there is nothing to learn from: the API says so and the page shows it
    expect(page.get_by_text("Training: Not enough data")).to_be_visible()
    assert api.get("/registration/lead-scores/model", headers=ADMIN).json()["status"] == "insufficient data"


def test_a_partner_signs_in_registers_a_deal_and_sees_it_pending_without_staff_links(browser, api, server):
    answer = api.post(
        "/registration/partners",
        headers=ADMIN,
        json={"partner_id": "org-sunrise", "name": "旭日渠道", "channel_managers": ["mgr-east"]},
    )
    assert answer.status_code == 201, answer.text
    context = browser.new_context(locale="en-US", viewport={"width": 1600, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        page.goto(f"{server.url}/signin")
        page.get_by_label("User id").fill("p-1")
        page.get_by_label("Role").click()
        choose(page, "Partner")
        expect(
            page.locator(".ant-select-content, .ant-select-selection-item").filter(has_text="Partner")
        ).to_have_count(1)
        page.get_by_label("Partner organisation").fill("org-sunrise")
        page.get_by_role("button", name="Sign in").click()

        expect(page.get_by_role("heading", name="My organisation's registrations")).to_be_visible(timeout=15_000)
        header = page.locator("header")
        for staff_only in ("My board", "List", "Pool", "Leads", "Forecast", "Products", "Import"):
            expect(header.get_by_role("button", name=staff_only, exact=True)).to_have_count(0)
        expect(header.get_by_role("button", name="My registrations")).to_be_visible()

        header.get_by_role("button", name="Register a deal").click()
        drawer = page.get_by_role("dialog")
        drawer.get_by_label("Deal name").fill("Partner deal")
        drawer.get_by_label("Customer").fill("Partner Customer Co")
        drawer.get_by_label("Amount").fill("50000")
        drawer.get_by_label("Expected close date").fill(CLOSE_DATE)
        drawer.get_by_role("button", name="Register").click()

        row = page.get_by_role("row").filter(has_text="Partner deal")
        expect(row).to_contain_text("Pending review")
        keep(page, "partner-registrations.png")
        partner = {"X-User-Id": "p-1", "X-User-Role": "partner", "X-User-Partner": "org-sunrise"}
        items = api.get("/registration/deals", headers=partner).json()["items"]
        assert [(i["name"], i["registration_status"]) for i in items] == [("Partner deal", "pending")]
    finally:
        context.close()


def test_a_manager_reads_the_partner_report(new_page, api):
    answer = api.post(
        "/registration/partners",
        headers=ADMIN,
        json={"partner_id": "org-moon", "name": "月光渠道", "channel_managers": ["mgr-east"]},
    )
    assert answer.status_code == 201, answer.text
    manager = identity("mgr-east", role="manager", teams="east")
    eventually(lambda: api.get("/registration/partners/report", headers=manager).json()["items"])
    page = new_page("mgr-east", role="manager", teams="east", locale="en")
    page.get_by_role("button", name="Partners").click()
    expect(page.get_by_role("heading", name="Partner report")).to_be_visible(timeout=15_000)
    expect(page.get_by_role("row").filter(has_text="月光渠道")).to_be_visible()


def test_an_admin_adds_a_required_task_to_a_stage_and_the_set_keeps_it(new_page, api):
    page = new_page("admin-1", role="admin", teams="", locale="en")
    page.get_by_role("button", name="Stages").click()
    expect(page.get_by_role("heading", name="Stage set")).to_be_visible(timeout=15_000)
    page.get_by_role("button", name="Add a task · proposal").click()
    tasks = [s for s in api.get("/pipeline/stages", headers=ADMIN).json()["stages"] if s["key"] == "proposal"][0][
        "required_tasks"
    ]
    index = len(tasks) + 1
    page.get_by_role("textbox", name=f"proposal · Task key {index}").fill("send-quote")
    page.get_by_role("textbox", name=f"proposal · Subject {index}").fill("Send the quote")
    page.get_by_role("spinbutton", name=f"proposal · Due in (days) {index}").fill("5")
    page.get_by_role("button", name="Save", exact=True).click()
    # a key is lower case, digits and underscores: the refusal names the stage and the field
    expect(page.get_by_role("alert")).to_contain_text("Stage 7 (Proposal/Price Quote) · required_tasks.key")

    page.get_by_role("textbox", name=f"proposal · Task key {index}").fill("send_quote")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Stage set saved")).to_be_visible(timeout=15_000)

    def proposal() -> dict:
        return next(s for s in api.get("/pipeline/stages", headers=ADMIN).json()["stages"] if s["key"] == "proposal")

    eventually(lambda: any(t["key"] == "send_quote" for t in proposal()["required_tasks"]))
    assert {"key": "send_quote", "subject": "Send the quote", "due_in_days": 5} in proposal()["required_tasks"]


def test_a_rep_converts_a_lead_into_a_deal_and_the_lead_names_it(new_page, api):
    body = {
        "company": "Convert Me Co",
        "contact": {"name": "Wang"},
        "budget": {"amount": "100000.00", "currency": "CNY"},
    }
    answer = api.post("/registration/leads", headers=identity("rep-1"), json=body)
    assert answer.status_code == 201, answer.text
    lead_id = answer.json()["lead_id"]
    eventually(lambda: api.get("/registration/leads", headers=identity("rep-1")).json()["items"])
    page = new_page("rep-1", locale="en")
    page.get_by_role("button", name="Leads").click()
    page.get_by_role("button", name="Convert Convert Me Co").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_label("Amount")).to_have_value("100000.00")  # the lead's budget
    dialog.get_by_label("Expected close date").fill(CLOSE_DATE)
    dialog.get_by_label("Expected close date").press("Enter")
    dialog.get_by_role("button", name="Convert").click()
    expect(page).to_have_url(re.compile(r"/deals/[0-9a-f-]{36}$"))
    lead = api.get(f"/registration/leads/{lead_id}", headers=identity("rep-1")).json()
    assert lead["status"] == "converted" and lead["deal_id"] and page.url.endswith(f"/deals/{lead['deal_id']}")
