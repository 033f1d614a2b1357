"""The assignment rules' page (分配规则) in a real Chromium against the real embedded server:
an admin defines a rule, a manager dry-runs it on a lead and applies it; what the screen shows
is checked against the API."""

from __future__ import annotations

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture says what is missing: a skip here, a failure under CI
    expect = None

from tests.browser.board_page import eventually, identity, keep
from tests.browser.test_accessibility import serious_violations

ADMIN = identity("admin-1", role="admin", teams="")
MANAGER = identity("manager-1", role="manager", teams="east")


def choose(page, text: str) -> None:
    """Picks an option of the open select (Ant Design keeps a hidden copy of each for screen
    readers, so the visible one is chosen by its class); a single select closes its list."""
    dropdown = page.locator(".ant-select-dropdown:not(.ant-select-dropdown-hidden)")
    dropdown.locator(".ant-select-item-option").filter(has_text=text).first.click()
    expect(dropdown).to_have_count(0)


def pick(page, text: str) -> None:
    """Adds an option to the open multiple select, which stays open until Escape closes it."""
    dropdown = page.locator(".ant-select-dropdown:not(.ant-select-dropdown-hidden)")
    dropdown.locator(".ant-select-item-option").filter(has_text=text).first.click()
    expect(dropdown.locator(".ant-select-item-option-selected").filter(has_text=text)).to_have_count(1)
    page.keyboard.press("Escape")
    expect(dropdown).to_have_count(0)


def capture_lead(api, company: str, region: str) -> str:
    body = {"company": company, "contact": {"name": "Zhou"}, "source": "trade_fair", "region": region}
    answer = api.post("/registration/leads", headers=identity("rep-1"), json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()["lead_id"]


def test_an_admin_defines_a_rule_and_a_manager_dry_runs_and_applies_it_to_a_lead(new_page, api):
    lead_id = capture_lead(api, "华东机械", "华东")
    eventually(lambda: api.get("/registration/leads", headers=MANAGER).json()["items"])

    page = new_page("admin-1", role="admin", teams="", locale="en")
    page.get_by_role("button", name="Assignment rules").click()
    # the first look waits longer: the page's code loads lazily, on a machine that may be busy
    expect(page.get_by_role("heading", name="Assignment rules")).to_be_visible(timeout=15_000)
    expect(page.get_by_test_id("rules-version")).to_have_text("Version 0")
    page.get_by_role("button", name="Add a rule").click()
    page.get_by_role("textbox", name="Name of rule 1", exact=True).fill("east region")
    page.get_by_role("textbox", name="Region of east region").fill("华东")
    page.get_by_role("combobox", name="Team or rep of east region").click()
    choose(page, "Rep")
    page.get_by_role("textbox", name="Team or rep name of east region").fill("rep-2")
    value_from = page.get_by_role("textbox", name="Value from of east region")
    value_from.fill("-5")  # the API takes no negative value: a 422 naming the rule and the field
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text("Rule 1 (east region) · when.min_value:")
    expect(page.get_by_role("row").filter(has_text="when.min_value:")).to_be_visible()
    expect(page.locator(".ant-input-status-error")).to_have_count(1)
    assert api.get("/registration/assignment-rules", headers=ADMIN).json()["version"] == 0

    value_from.fill("")
    keep(page, "assignment-rules-editor.png")
    assert serious_violations(page) == []
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Assignment rules saved: version 1")).to_be_visible()
    expect(page.get_by_test_id("rules-version")).to_have_text("Version 1")
    in_force = api.get("/registration/assignment-rules", headers=ADMIN).json()
    assert in_force["version"] == 1 and in_force["defined_by"] == "admin-1"
    assert in_force["rules"] == [
        {
            "name": "east region",
            "when": {
                "region": "华东",
                "industry": None,
                "source": None,
                "customer_level": None,
                "product_line": None,
                "min_value": None,
                "max_value": None,
                "currency": "CNY",
            },
            "to": {"team": None, "rep": "rep-2"},
            "strategy": "round_robin",
        }
    ]

    # the manager reads the rules and their history, dry-runs the lead, then applies the rules
    page = new_page("manager-1", role="manager", teams="east", locale="en")
    page.get_by_role("button", name="Assignment rules").click()
    expect(page.get_by_test_id("rules-version")).to_have_text("Version 1", timeout=15_000)
    expect(page.get_by_role("button", name="Save")).to_have_count(0)  # the editor is the admin's
    history = page.get_by_role("row").filter(has_text="admin-1")
    expect(history).to_contain_text("east region")
    page.get_by_role("combobox", name="Leads of the batch").click()
    pick(page, "华东机械")
    page.get_by_role("button", name="Dry run").click()
    decided = page.get_by_role("table", name="What the rules would do").get_by_role("row").filter(has_text="华东机械")
    expect(decided).to_contain_text("rep-1")  # its owner now
    expect(decided).to_contain_text("rep-2")
    expect(decided).to_contain_text("east region")
    assert api.get(f"/registration/leads/{lead_id}", headers=MANAGER).json()["owner_id"] == "rep-1"  # nothing recorded

    page.get_by_role("button", name="Apply to the batch").click()
    done = page.get_by_role("table", name="What the rules did").get_by_role("row").filter(has_text="rep-2")
    expect(done).to_contain_text("Assigned")
    expect(done).to_contain_text("east region")
    keep(page, "assignment-rules-applied.png")
    assert serious_violations(page) == []
    eventually(lambda: api.get(f"/registration/leads/{lead_id}", headers=MANAGER).json()["owner_id"] == "rep-2")


def test_an_admin_adds_a_team_rule_moves_it_first_and_the_history_keeps_both_versions(new_page, api, server):
    rule = {"name": "big deals", "when": {"min_value": "1000000"}, "to": {"rep": "rep-9"}}
    assert api.put("/registration/assignment-rules", headers=ADMIN, json={"rules": [rule]}).status_code == 200
    page = new_page("admin-1", role="admin", teams="", locale="en")
    page.goto(f"{server.url}/assignment-rules")
    expect(page.get_by_test_id("rules-version")).to_have_text("Version 1", timeout=15_000)
    expect(page.get_by_role("textbox", name="Value from of big deals")).to_have_value("1000000")
    page.get_by_role("button", name="Add a rule").click()
    page.get_by_role("textbox", name="Name of rule 2", exact=True).fill("fair")
    page.get_by_role("textbox", name="Source of fair").fill("trade_fair")
    page.get_by_role("textbox", name="Team or rep name of fair").fill("east")
    page.get_by_role("combobox", name="Strategy of fair").click()
    choose(page, "Least-loaded")
    page.get_by_role("button", name="Move fair up").click()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Assignment rules saved: version 2")).to_be_visible()

    in_force = api.get("/registration/assignment-rules", headers=ADMIN).json()
    assert [r["name"] for r in in_force["rules"]] == ["fair", "big deals"]
    assert in_force["rules"][0]["to"] == {"team": "east", "rep": None}
    assert in_force["rules"][0]["strategy"] == "least_loaded"
    assert in_force["rules"][0]["when"]["source"] == "trade_fair"
    expect(page.get_by_role("row").filter(has_text="admin-1")).to_have_count(2)  # both versions
    expect(page.get_by_role("row").filter(has_text="team east")).to_contain_text("Least-loaded")


def test_a_rep_is_not_offered_the_rules_and_the_page_refuses_them(new_page, server):
    page = new_page("rep-1", locale="zh-CN")
    expect(page.get_by_role("button", name="线索")).to_be_visible(timeout=15_000)
    expect(page.get_by_role("button", name="分配规则")).to_have_count(0)
    page.goto(f"{server.url}/assignment-rules")
    expect(page.get_by_text("403 — 只有经理或管理员可以打开分配规则。")).to_be_visible(timeout=15_000)
