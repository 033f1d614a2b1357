"""The rep's board in a real Chromium against the real embedded server."""

from __future__ import annotations

from decimal import Decimal

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture says what is missing: a skip here, a failure under CI
    expect = None

from tests.browser.board_page import (
    CLOSE_DATE,
    card,
    column,
    deal_by_name,
    drag,
    eventually,
    identity,
    keep,
    register_by_api,
)

REP_1 = identity("rep-1")
ADMIN = identity("admin-1", role="admin", teams="")


def test_a_rep_registers_a_deal_and_drags_it_from_prospecting_to_proposal_and_the_totals_agree(new_page, api):
    register_by_api(api, "rep-1", "华东物流 WMS", "华东物流", amount="80000.00")
    register_by_api(api, "rep-1", "星河影城 会员系统", "星河影城", amount="45000.00")
    page = new_page("rep-1", locale="zh-CN")  # zh-CN: the default where the browser asks for it
    expect(page.get_by_role("heading", name="看板")).to_be_visible()

    page.get_by_role("button", name="报备商机").click()
    page.get_by_label("商机名称").fill("新城百货 ERP 升级")
    page.get_by_label("客户名称").fill("新城百货")
    page.get_by_label("金额").fill("120000")
    page.get_by_label("预计成交日期").fill(CLOSE_DATE)
    page.get_by_role("button", name="提交报备").click()

    deal = card(page, "新城百货 ERP 升级")
    expect(column(page, "初步接触").get_by_role("listitem", name="新城百货 ERP 升级")).to_be_visible()
    expect(deal).to_contain_text("¥120,000.00")

    drag(page, deal, column(page, "提案/报价"))

    expect(column(page, "提案/报价").get_by_role("listitem", name="新城百货 ERP 升级")).to_be_visible()
    deal_id = deal_by_name(api, "rep-1", "新城百货 ERP 升级")["deal_id"]
    assert api.get(f"/pipeline/deals/{deal_id}", headers=REP_1).json()["stage"] == "proposal"

    def board_with_the_move() -> list[dict] | None:
        columns = api.get("/pipeline/board", headers=REP_1).json()["columns"]
        proposal = next(c for c in columns if c["stage"] == "proposal")
        return columns if proposal["count"] == 1 else None

    columns = eventually(board_with_the_move)
    proposal = next(c for c in columns if c["stage"] == "proposal")
    assert proposal["weighted"] == [{"amount": "78000.00", "currency": "CNY"}]  # 65 % of 120,000
    for each in columns:
        shown = " + ".join(f"¥{Decimal(m['amount']):,.2f}" for m in each["weighted"]) or "—"
        expect(column(page, each["labels"]["zh"]).get_by_test_id("weighted")).to_have_text(shown)
    keep(page, "board-zh-CN.png")


def test_a_drop_refused_by_exit_criteria_springs_back_and_shows_the_reason(new_page, api):
    stages = api.get("/pipeline/stages", headers=ADMIN).json()["stages"]
    for stage in stages:
        if stage["key"] == "proposal":
            stage["exit_criteria"] = ["decision_maker"]
    assert api.put("/pipeline/pipelines/default", headers=ADMIN, json={"stages": stages}).status_code == 200
    deal_id = register_by_api(api, "rep-1", "Harbour Mall POS", "Harbour Mall")
    eventually(lambda: api.get(f"/pipeline/deals/{deal_id}", headers=REP_1).status_code == 200)
    moved = api.post(f"/pipeline/deals/{deal_id}/stage", headers=REP_1, json={"to_stage": "proposal"})
    assert moved.status_code == 200, moved.text

    page = new_page("rep-1", locale="en-US")
    deal = column(page, "Proposal/Price Quote").get_by_role("listitem", name="Harbour Mall POS")
    expect(deal).to_be_visible()
    drag(page, deal, column(page, "Negotiation/Review"))

    expect(page.get_by_role("alert")).to_contain_text("leaving 'proposal' needs: decision_maker")
    expect(column(page, "Proposal/Price Quote").get_by_role("listitem", name="Harbour Mall POS")).to_be_visible()
    expect(column(page, "Negotiation/Review").get_by_role("listitem")).to_have_count(0)
    keep(page, "board-refused-en.png")
    assert api.get(f"/pipeline/deals/{deal_id}", headers=REP_1).json()["stage"] == "proposal"


def test_a_card_moves_with_the_keyboard(new_page, api):
    deal_id = register_by_api(api, "rep-1", "Keyboard deal", "Keyboard Ltd")
    page = new_page("rep-1", locale="en-US")
    deal = column(page, "Prospecting").get_by_role("listitem", name="Keyboard deal")
    expect(deal).to_be_visible()

    deal.focus()
    page.keyboard.press("Space")
    expect(page.get_by_text("Keyboard deal is over Prospecting.")).to_be_attached()  # read out, too
    page.keyboard.press("ArrowRight")
    expect(page.get_by_text("Keyboard deal is over Qualification.")).to_be_attached()
    page.keyboard.press("Space")

    expect(column(page, "Qualification").get_by_role("listitem", name="Keyboard deal")).to_be_visible()
    eventually(lambda: api.get(f"/pipeline/deals/{deal_id}", headers=REP_1).json()["stage"] == "qualification")


def test_a_rep_sees_no_other_reps_deals(new_page, api):
    register_by_api(api, "rep-2", "Rep two's deal", "Second Customer")
    register_by_api(api, "rep-1", "Rep one's deal", "First Customer")
    eventually(lambda: deal_by_name(api, "rep-2", "Rep two's deal"))

    page = new_page("rep-1", locale="en-US")
    expect(card(page, "Rep one's deal")).to_be_visible()
    expect(page.get_by_text("Rep two's deal")).to_have_count(0)
    expect(column(page, "Prospecting")).to_contain_text("1 deal")


def test_a_duplicate_registration_shows_the_deal_it_conflicts_with(new_page, api):
    holder = register_by_api(api, "rep-2", "Mall ERP", "新城百货")
    page = new_page("rep-1", locale="en-US")
    page.get_by_role("button", name="Register a deal").click()
    page.get_by_label("Deal name").fill("Mall CRM")
    page.get_by_label("Customer").fill("新城百货")
    page.get_by_label("Amount").fill("5000")
    page.get_by_label("Expected close date").fill(CLOSE_DATE)
    page.get_by_role("button", name="Register", exact=True).click()

    expect(page.get_by_role("alert")).to_contain_text(f"already registered by deal {holder}")


def test_the_language_switches_and_stage_labels_follow(new_page):
    page = new_page("rep-1", locale="zh-CN")
    expect(column(page, "初步接触")).to_be_visible()
    page.get_by_text("English", exact=True).click()
    expect(column(page, "Prospecting")).to_be_visible()
    expect(page.get_by_role("heading", name="Board")).to_be_visible()
    page.reload()  # the choice is remembered
    expect(column(page, "Prospecting")).to_be_visible()


def test_the_deal_page_shows_the_fields_the_stage_history_and_logs_an_activity(new_page, api, server):
    deal_id = register_by_api(api, "rep-1", "新城百货 收银升级", "新城百货", amount="88000.00")
    eventually(lambda: api.get(f"/pipeline/deals/{deal_id}", headers=REP_1).status_code == 200)
    assert api.post(f"/pipeline/deals/{deal_id}/stage", headers=REP_1, json={"to_stage": "proposal"}).status_code == 200

    page = new_page("rep-1", locale="zh-CN")
    page.get_by_role("link", name="新城百货 收银升级").click()

    expect(page).to_have_url(f"{server.url}/deals/{deal_id}")
    expect(page.get_by_role("heading", name="新城百货 收银升级")).to_be_visible()
    expect(page.get_by_text("¥88,000.00")).to_be_visible()
    history = page.get_by_role("table").filter(has_text="停留时间")
    expect(history.get_by_role("row")).to_have_count(3)  # the header, prospecting, proposal
    expect(history).to_contain_text("初步接触")
    expect(history).to_contain_text("提案/报价")

    page.get_by_label("内容").fill("与采购部电话沟通报价")
    page.get_by_role("button", name="记 录").click()
    expect(page.get_by_text("与采购部电话沟通报价")).to_be_visible()
    assert [a["subject"] for a in api.get(f"/pipeline/deals/{deal_id}", headers=REP_1).json()["activities"]] == [
        "与采购部电话沟通报价"
    ]
    page.reload()  # the console's own route survives a reload
    expect(page.get_by_role("heading", name="新城百货 收银升级")).to_be_visible()
    keep(page, "deal-zh-CN.png")


def test_a_403_is_shown_plainly_and_an_auditor_is_offered_no_moves(new_page, api, server):
    other = register_by_api(api, "rep-2", "Rep two's secret deal", "Secret Customer")
    eventually(lambda: api.get(f"/pipeline/deals/{other}", headers=identity("rep-2")).status_code == 200)

    page = new_page("rep-1", locale="en-US")
    expect(page).to_have_url(f"{server.url}/board")
    page.goto(f"{server.url}/deals/{other}")
    expect(page.get_by_text("Not allowed:")).to_be_visible()  # the API's 403, not a blank page
    expect(page.get_by_role("button", name="My board").first).to_be_visible()

    auditor = new_page("audit-1", role="auditor", teams="", locale="en-US")
    expect(card(auditor, "Rep two's secret deal")).to_be_visible()  # an auditor reads every deal
    expect(auditor.get_by_role("button", name="Register a deal")).to_have_count(0)
    expect(card(auditor, "Rep two's secret deal")).to_have_attribute("aria-disabled", "true")


def test_dropping_on_the_lost_column_asks_why_and_closes_the_deal_lost_to_a_competitor(new_page, api):
    deal_id = register_by_api(api, "rep-1", "Lost deal", "Lost Customer Ltd")
    page = new_page("rep-1", locale="en-US")
    deal = column(page, "Prospecting").get_by_role("listitem", name="Lost deal")
    expect(deal).to_be_visible()

    drag(page, deal, column(page, "Closed Lost"))
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Close “Lost deal” as lost")
    dialog.get_by_label("Why was it lost?").click()
    page.get_by_title("Competitor", exact=True).click()
    dialog.get_by_label("Lost to which competitor?").fill("Rival CRM Co")
    dialog.get_by_role("button", name="Close as lost").click()

    expect(column(page, "Closed Lost").get_by_role("listitem", name="Lost deal")).to_be_visible()
    closed = eventually(lambda: (d := api.get(f"/pipeline/deals/{deal_id}", headers=REP_1).json())["outcome"] and d)
    assert (closed["outcome"], closed["close_reason"], closed["competitor"]) == ("lost", "competitor", "Rival CRM Co")
    keep(page, "board-lost-en.png")


def test_dropping_on_the_won_column_closes_the_deal_won(new_page, api):
    deal_id = register_by_api(api, "rep-1", "Won deal", "Won Customer Ltd")
    page = new_page("rep-1", locale="en-US")
    deal = column(page, "Prospecting").get_by_role("listitem", name="Won deal")
    expect(deal).to_be_visible()

    drag(page, deal, column(page, "Closed Won"))

    expect(column(page, "Closed Won").get_by_role("listitem", name="Won deal")).to_be_visible()
    assert eventually(lambda: api.get(f"/pipeline/deals/{deal_id}", headers=REP_1).json()["outcome"]) == "won"


def test_signing_out_and_in_as_another_rep_shows_that_reps_board(new_page, api):
    register_by_api(api, "rep-1", "First rep's deal", "Customer One")
    register_by_api(api, "rep-2", "Second rep's deal", "Customer Two")
    page = new_page("rep-1", locale="en-US")
    expect(card(page, "First rep's deal")).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    page.get_by_label("User id").fill("rep-2")
    page.get_by_role("button", name="Sign in").click()

    expect(card(page, "Second rep's deal")).to_be_visible()
    expect(page.get_by_text("First rep's deal")).to_have_count(0)
    expect(page.get_by_text("rep-2 (Rep)")).to_be_visible()


def test_the_deal_page_marks_a_task_the_stage_required_and_the_board_refuses_until_done(new_page, api, server):
    stages = api.get("/pipeline/stages", headers=ADMIN).json()["stages"]
    for stage in stages:
        if stage["key"] == "proposal":
            stage["required_tasks"] = [{"key": "send_quote", "subject": "Send the quotation", "due_in_days": 2}]
    assert api.put("/pipeline/pipelines/default", headers=ADMIN, json={"stages": stages}).status_code == 200
    deal_id = register_by_api(api, "rep-1", "Quote deal", "Quote Ltd")
    eventually(lambda: api.get(f"/pipeline/deals/{deal_id}", headers=REP_1).status_code == 200)
    assert api.post(f"/pipeline/deals/{deal_id}/stage", headers=REP_1, json={"to_stage": "proposal"}).status_code == 200

    page = new_page("rep-1", locale="en-US")
    deal = column(page, "Proposal/Price Quote").get_by_role("listitem", name="Quote deal")
    drag(page, deal, column(page, "Negotiation/Review"))
    expect(page.get_by_role("alert")).to_contain_text("send_quote (Send the quotation)")

    page.goto(f"{server.url}/deals/{deal_id}")
    task = page.get_by_role("listitem").filter(has_text="Send the quotation")
    expect(task).to_contain_text("Required by Proposal/Price Quote")
    keep(page, "deal-stage-task-en.png")
