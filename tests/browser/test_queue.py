"""The manager's approval queue in a real Chromium against the real embedded server."""

from __future__ import annotations

from datetime import date, timedelta

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture says what is missing: a skip here, a failure under CI
    expect = None

from tests.browser.board_page import card, deal_by_name, eventually, identity, keep

MANAGER = identity("mgr-east", role="manager", teams="east")
FAR_OUT = (date.today() + timedelta(days=500)).isoformat()  # beyond the rules' 12 months: it waits


def test_a_manager_approves_a_pending_registration_from_the_queue_and_it_reaches_the_owners_board(new_page, api):
    made = api.post(
        "/registration/deals",
        headers=identity("rep-1"),
        json={
            "name": "远景制造 MES",
            "account": {"name": "远景制造"},
            "value": {"amount": "150000.00", "currency": "CNY"},
            "expected_close_date": FAR_OUT,
        },
    )
    assert made.status_code == 201 and made.json()["registration_status"] == "pending", made.text
    deal_id = made.json()["deal_id"]

    def queued() -> list[dict]:
        return api.get("/registration/deals", headers=MANAGER, params={"status": "pending"}).json()["items"]

    reasons = eventually(lambda: next((d["review_reasons"] for d in queued() if d["deal_id"] == deal_id), None))
    assert any("12 months" in reason for reason in reasons), reasons

    page = new_page("mgr-east", role="manager", teams="east", locale="en")
    page.get_by_role("button", name="Approval queue").click()
    expect(page.get_by_role("heading", name="Approval queue")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="远景制造 MES")
    expect(row).to_contain_text("rep-1")
    expect(row).to_contain_text("12 months")  # why it waits, as the rules recorded it
    keep(page, "queue.png")
    row.get_by_role("button", name="Approve 远景制造 MES").click()

    expect(page.get_by_text("Approved: 远景制造 MES")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="远景制造 MES")).to_have_count(0)
    assert api.get(f"/registration/deals/{deal_id}", headers=MANAGER).json()["registration_status"] == "approved"

    deal_by_name(api, "rep-1", "远景制造 MES")  # the pipeline's read model has followed the approval
    owner = new_page("rep-1", locale="en")
    expect(card(owner, "远景制造 MES")).to_be_visible()


def test_the_queue_is_offered_to_managers_not_to_reps(new_page):
    rep = new_page("rep-1", locale="en")
    expect(rep.get_by_role("heading", name="Board")).to_be_visible()
    expect(rep.get_by_role("button", name="My board")).to_be_visible()
    expect(rep.get_by_role("button", name="Approval queue")).to_have_count(0)
