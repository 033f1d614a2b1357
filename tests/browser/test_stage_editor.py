"""The admin's stage-set editor in a real Chromium against the real embedded server."""

from __future__ import annotations

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture says what is missing: a skip here, a failure under CI
    expect = None

from tests.browser.board_page import column, identity, keep
from tests.browser.test_accessibility import serious_violations

ADMIN = identity("admin-1", role="admin", teams="")


def stage(api, key: str) -> dict:
    stages = api.get("/pipeline/stages", headers=ADMIN).json()["stages"]
    return next(s for s in stages if s["key"] == key)


def test_an_admin_renames_a_stage_and_changes_its_probability_and_the_board_shows_the_new_label(new_page, api, server):
    page = new_page("admin-1", role="admin", teams="", locale="en")
    page.get_by_role("button", name="Stages").click()
    # the first look waits longer: the page's code loads lazily, on a machine that may be busy
    expect(page.get_by_role("heading", name="Stage set")).to_be_visible(timeout=15_000)

    label = page.get_by_role("textbox", name="English label of proposal")
    expect(label).to_have_value("Proposal/Price Quote")
    label.fill("Quote sent")
    page.get_by_role("textbox", name="中文 label of proposal").fill("已报价")
    probability = page.get_by_role("spinbutton", name="Probability of proposal")
    probability.fill("70")
    keep(page, "stage-editor.png")
    assert serious_violations(page) == []
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Stage set saved")).to_be_visible()

    saved = stage(api, "proposal")
    assert saved["labels"] == {"en": "Quote sent", "zh": "已报价"}
    assert saved["probability"] == 70
    assert stage(api, "negotiation")["probability"] == 80  # the others as they were

    page.get_by_role("button", name="My board").click()
    expect(column(page, "Quote sent")).to_be_visible()
    expect(column(page, "Proposal/Price Quote")).to_have_count(0)


def test_an_admin_reorders_adds_and_retires_stages_and_the_set_keeps_the_retired_one(new_page, api):
    page = new_page("admin-1", role="admin", teams="", locale="en")
    page.get_by_role("button", name="Stages").click()
    # the keyboard: the handle picks the row up, Down moves it over the next row, Space drops it
    handle = page.get_by_role("button", name="Drag Needs Analysis")
    handle.focus()
    handle.press("Space")
    handle.press("ArrowDown")
    handle.press("Space")
    page.get_by_role("button", name="Move Prospecting down").click()
    page.get_by_role("button", name="Retire Perception Analysis").click()
    page.get_by_role("button", name="Add a stage").click()
    page.get_by_role("textbox", name="Key of stage 11").fill("contract")
    page.get_by_role("textbox", name="English label of contract").fill("Contract")
    page.get_by_role("spinbutton", name="Probability of contract").fill("90")
    page.get_by_role("textbox", name="中文 label of contract").fill("合同")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Stage set saved")).to_be_visible()

    stages = api.get("/pipeline/stages", headers=ADMIN).json()["stages"]
    assert [s["key"] for s in stages][:4] == ["qualification", "prospecting", "value_proposition", "needs_analysis"]
    assert stages[-1] == {
        "key": "contract",
        "labels": {"en": "Contract", "zh": "合同"},
        "probability": 90,
        "forecast_category": "pipeline",
        "state": "open",
        "exit_criteria": [],
        "required_tasks": [],
        "retired": False,
    }
    assert next(s for s in stages if s["key"] == "perception_analysis")["retired"] is True
    expect(page.get_by_role("row").filter(has_text="perception_analysis")).to_contain_text("Retired")


def test_the_api_refusal_names_the_field_next_to_the_form_and_nothing_is_saved(new_page, api):
    page = new_page("admin-1", role="admin", teams="", locale="en")
    page.get_by_role("button", name="Stages").click()
    page.get_by_role("spinbutton", name="Probability of qualification").fill("150")
    page.get_by_role("button", name="Save").click()
    refusal = page.get_by_role("alert")
    expect(refusal).to_contain_text("Stage 2 (Qualification) · probability")
    expect(refusal).to_contain_text("less than or equal to 100")
    keep(page, "stage-editor-refused.png")
    assert stage(api, "qualification")["probability"] == 20


def test_a_rep_sees_no_stage_editor_link_and_a_403_message_at_stages(new_page, server):
    page = new_page("rep-1", locale="en")
    expect(page.get_by_role("button", name="My board")).to_be_visible()
    expect(page.get_by_role("button", name="Stages")).to_have_count(0)
    page.goto(f"{server.url}/stages")
    expect(page.get_by_text("403 — only an admin may edit the stage set.")).to_be_visible()
    expect(page.get_by_role("button", name="Save")).to_have_count(0)
