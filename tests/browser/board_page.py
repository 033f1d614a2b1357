"""What the browser tests do on the board, in the words a rep would use."""

from __future__ import annotations

import os
import time
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from tests.support.infrastructure import ROOT

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

ARTEFACTS = Path(os.environ.get("CRM_TEST_ARTEFACTS", ROOT / "tmp" / "artefacts")) / "browser"


# within the registration rules' horizon (12 months by default), so a deal is approved at once
CLOSE_DATE = (date.today() + timedelta(days=90)).isoformat()


def identity(user: str, role: str = "rep", teams: str = "east") -> dict[str, str]:
    return {"X-User-Id": user, "X-User-Role": role, "X-User-Teams": teams}


def column(page: Page, label: str) -> Locator:
    return page.get_by_role("region", name=label, exact=True)


def card(page: Page, deal_name: str) -> Locator:
    return page.get_by_role("listitem", name=deal_name, exact=True)


def drag(page: Page, source: Locator, target: Locator) -> None:
    """A person's drag: press, move in steps (the pointer sensor waits for 5 px), release."""
    target.scroll_into_view_if_needed()
    source.scroll_into_view_if_needed()
    start = source.bounding_box()
    end = target.bounding_box()
    assert start and end
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(start["x"] + start["width"] / 2 + 10, start["y"] + start["height"] / 2, steps=3)
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + min(120, end["height"] / 2), steps=15)
    page.mouse.up()


def register_by_api(api: httpx.Client, user: str, name: str, account: str, amount: str = "100000.00") -> str:
    answer = api.post(
        "/registration/deals",
        headers=identity(user),
        json={
            "name": name,
            "account": {"name": account},
            "value": {"amount": amount, "currency": "CNY"},
            "expected_close_date": CLOSE_DATE,
        },
    )
    assert answer.status_code == 201, answer.text
    return answer.json()["deal_id"]


def deal_by_name(api: httpx.Client, user: str, name: str) -> dict:
    def find() -> dict | None:
        items = api.get("/pipeline/deals", headers=identity(user), params={"q": name}).json()["items"]
        return next((deal for deal in items if deal["name"] == name), None)

    return eventually(find)


def eventually(probe, timeout: float = 10.0):
    """The read models follow the commands within moments."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value or time.monotonic() > deadline:
            assert value, "not within the time allowed"
            return value
        time.sleep(0.1)


def keep(page: Page, name: str) -> None:
    """A screenshot kept as a test artefact (the README's come from here)."""
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(400)  # a card's drop animation, and the toast's, run their course
    page.screenshot(path=str(ARTEFACTS / name))
