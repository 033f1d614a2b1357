"""The imports page in a real Chromium against the real embedded server: a CSV of deals with
one good, one duplicate and one bad row, and the report of each."""

from __future__ import annotations

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture says what is missing
    expect = None

from tests.browser.board_page import CLOSE_DATE, deal_by_name, eventually, identity, keep, register_by_api

CSV = (
    "name,account_name,amount,currency,expected_close_date\n"
    f"Harbour Mall WMS,Harbour Mall,80000,CNY,{CLOSE_DATE}\n"
    f"Second Mall CRM,新城百货,5000,CNY,{CLOSE_DATE}\n"
    f"Broken row,Nowhere Ltd,not a number,CNY,{CLOSE_DATE}\n"
)


def test_a_rep_imports_a_csv_and_sees_each_row_imported_duplicate_or_invalid(new_page, api, tmp_path):
    holder = register_by_api(api, "rep-2", "Mall ERP", "新城百货")
    eventually(lambda: deal_by_name(api, "rep-2", "Mall ERP"))
    upload = tmp_path / "deals.csv"
    upload.write_text(CSV, encoding="utf-8")

    page = new_page("rep-1", locale="en-US")
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.get_by_role("heading", name="Import leads or deals")).to_be_visible()
    expect(page.get_by_role("radio", name="Deals")).to_be_checked()
    page.locator("input[type=file]").set_input_files(str(upload))

    expect(page.get_by_test_id("import-summary")).to_have_text("3 rows: 1 imported, 2 refused, 0 imported before.")
    rows = page.get_by_role("row")
    good, duplicate, bad = (rows.filter(has=page.get_by_role("cell", name=str(n), exact=True)) for n in (2, 3, 4))
    expect(good).to_contain_text("Imported")
    expect(duplicate).to_contain_text("Duplicate")
    expect(duplicate.get_by_role("link", name=holder)).to_be_visible()  # the deal it conflicts with
    expect(bad).to_contain_text("Invalid")
    expect(bad).to_contain_text("amount")
    keep(page, "imports-en.png")

    imported = deal_by_name(api, "rep-1", "Harbour Mall WMS")
    assert imported["account_name"] == "Harbour Mall"
    assert imported["value"] == {"amount": "80000.00", "currency": "CNY"}
    expect(good.get_by_role("link", name=imported["deal_id"])).to_be_visible()
    names = [deal["name"] for deal in api.get("/pipeline/deals", headers=identity("rep-1")).json()["items"]]
    assert names == ["Harbour Mall WMS"]  # neither refused row became a deal


def test_the_imports_page_offers_a_template_the_server_reads(new_page, api, tmp_path):
    page = new_page("rep-1", locale="zh-CN")
    page.get_by_role("button", name="导入", exact=True).click()
    with page.expect_download() as started:
        page.get_by_role("link", name="下载模板（CSV）").click()
    template = tmp_path / started.value.suggested_filename
    started.value.save_as(template)
    assert template.name == "deals-template.csv"
    answer = api.post(
        "/registration/imports/deals",
        headers=identity("rep-1"),
        files={"file": (template.name, template.read_bytes(), "text/csv")},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["report"][0]["status"] == "created", answer.json()


def test_a_manager_imports_leads_by_the_rules_and_each_row_says_whom_it_went_to(new_page, api, tmp_path):
    # a region no other test uses: the rules are the whole server's
    rules = [{"name": "imports-region", "when": {"region": "导入测试区"}, "to": {"rep": "rep-3"}}]
    admin = {"X-User-Id": "admin-1", "X-User-Role": "admin"}
    assert api.put("/registration/assignment-rules", headers=admin, json={"rules": rules}).status_code == 200
    upload = tmp_path / "leads.csv"
    upload.write_text("company,contact_name,region\n导入规则公司,Li,导入测试区\n", encoding="utf-8")

    page = new_page("mgr-1", role="manager", teams="east", locale="en-US")
    page.get_by_role("button", name="Import", exact=True).click()
    page.locator("label").filter(has=page.get_by_role("radio", name="Leads")).click()
    page.get_by_role("checkbox", name="Assign by the rules").check()
    page.locator("input[type=file]").set_input_files(str(upload))

    expect(page.get_by_test_id("row-assignment")).to_have_text(" · to rep-3 (rule imports-region)")

    def owners() -> list[str]:
        leads = api.get("/registration/leads", headers=admin).json()["items"]
        return [lead["owner_id"] for lead in leads if lead["company"] == "导入规则公司"]

    eventually(lambda: owners() == ["rep-3"])  # the list is a read model: moments behind
