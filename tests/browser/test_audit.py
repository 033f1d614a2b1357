"""The auditor's trail of a deal in a real Chromium against the real embedded server: every
event of both services on one timeline, and a time slider that shows the deal as it stood."""

from __future__ import annotations

from datetime import datetime

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture says what is missing: a skip here, a failure under CI
    expect = None

from tests.browser.board_page import eventually, identity, keep, register_by_api
from tests.browser.test_accessibility import serious_violations

AUDITOR = identity("aud-1", role="auditor", teams="")
SERVICE_ORDER = {"registration": 0, "pipeline": 1}


def micros(iso: str) -> int:
    moment = datetime.fromisoformat(iso)
    return int(moment.timestamp()) * 1_000_000 + moment.microsecond


def moved_twice(api) -> str:
    """A deal rep-1 registered and moved prospecting → qualification → proposal."""
    deal_id = register_by_api(api, "rep-1", "审计演示 ERP", "审计演示有限公司")
    eventually(lambda: api.get(f"/pipeline/deals/{deal_id}", headers=AUDITOR).json().get("stage") == "prospecting")
    for stage, why in (("qualification", "budget confirmed"), ("proposal", "quote sent")):
        moved = api.post(
            f"/pipeline/deals/{deal_id}/stage", headers=identity("rep-1"), json={"to_stage": stage, "reason": why}
        )
        assert moved.status_code == 200, moved.text
    return deal_id


def history(api, service: str, deal_id: str) -> list[dict]:
    return api.get(f"/{service}/deals/{deal_id}/history", headers=AUDITOR).json()["events"]


def all_events(api, deal_id: str) -> list[dict]:
    """Both services' events as the page should list them: in time order, registration first
    at the same instant. Registration notes each stage change as work on the deal when the
    pipeline's event reaches it: the story is complete once it has noted them all."""

    def noted_every_move() -> bool:
        moves = sum(e["event"] == "Deal.StageChanged" for e in history(api, "pipeline", deal_id))
        return sum(e["event"] == "Deal.ActivityNoted" for e in history(api, "registration", deal_id)) == moves

    eventually(noted_every_move)
    events = history(api, "registration", deal_id) + history(api, "pipeline", deal_id)
    return sorted(events, key=lambda e: (micros(e["time"]), SERVICE_ORDER[e["service"]], e["version"]))


def test_an_auditor_slides_back_before_the_last_move_and_sees_the_deal_in_its_earlier_stage(new_page, api, server):
    deal_id = moved_twice(api)
    events = all_events(api, deal_id)
    assert [e["details"].get("to_stage") for e in events if e["event"] == "Deal.StageChanged"] == [
        "prospecting",
        "qualification",
        "proposal",
    ]

    page = new_page("aud-1", role="auditor", teams="", locale="en")
    page.goto(f"{server.url}/deals/{deal_id}")
    page.get_by_role("link", name="Audit trail").click()
    expect(page).to_have_url(f"{server.url}/deals/{deal_id}/audit")
    expect(page.get_by_role("heading", name="Audit trail: 审计演示 ERP")).to_be_visible()
    expect(page.get_by_test_id("stage-then")).to_have_text("Proposal/Price Quote")  # at the last event: now

    # the timeline lists each event, in time order, with its type and who did it
    items = page.get_by_test_id("audit-event")
    expect(items).to_have_count(len(events))
    for index, event in enumerate(events):
        expect(items.nth(index)).to_contain_text(event["event"].split(".")[-1])
        expect(items.nth(index)).to_contain_text(f"by {event['actor']}")
    expect(items.filter(has_text="quote sent")).to_contain_text("by rep-1")

    # the slider has a stop per millisecond holding events; step back to the one before the last move
    stops = sorted({micros(e["time"]) // 1000 for e in events})
    last_move = micros(next(e for e in reversed(events) if e["details"].get("to_stage") == "proposal")["time"]) // 1000
    steps_back = len(stops) - stops.index(last_move)
    handle = page.get_by_role("slider", name="Time: the deal as it stood at")
    handle.focus()
    for _ in range(steps_back):
        handle.press("ArrowLeft")

    expect(page.get_by_test_id("stage-then")).to_have_text("Qualification")
    expect(page.get_by_test_id("owner-then")).to_have_text("rep-1")
    spans = page.get_by_role("region", name="Stage spans")
    expect(spans).to_contain_text("Prospecting")
    expect(spans).to_contain_text("Qualification")
    expect(spans).not_to_contain_text("Proposal/Price Quote")
    # the timeline marks the events at the slider's stop, the later ones stay listed
    stop = stops[stops.index(last_move) - 1]
    assert handle.get_attribute("aria-valuenow") == str(stop)
    at_stop = [e for e in events if micros(e["time"]) // 1000 == stop]
    expect(page.locator("[aria-current=step]")).to_have_count(len(at_stop))
    expect(items).to_have_count(len(events))
    keep(page, "audit-before-last-move.png")
    assert serious_violations(page) == []

    handle.press("End")
    expect(page.get_by_test_id("stage-then")).to_have_text("Proposal/Price Quote")


def test_a_rep_cannot_read_the_trail_of_another_reps_deal(new_page, api, server):
    deal_id = register_by_api(api, "rep-1", "别人的商机", "别人的公司")
    eventually(lambda: api.get(f"/pipeline/deals/{deal_id}", headers=AUDITOR).status_code == 200)
    page = new_page("rep-2", locale="en")
    page.goto(f"{server.url}/deals/{deal_id}/audit")
    expect(page.get_by_text("Not allowed:")).to_be_visible()
    expect(page.get_by_test_id("audit-event")).to_have_count(0)
