"""Channel partners in the rules that need nothing but themselves: the identity a partner
presents, the organisation scope of the access rules, and what a partner is shown."""

from __future__ import annotations

import pytest
from fastapi import HTTPException
from starlette.requests import Request

from services.registration.queries.partners import for_partner
from shared.web.access import Access, Rule
from shared.web.identity import HeaderIdentity, Identity


def request(**headers: str) -> Request:
    raw = [(name.lower().encode(), value.encode()) for name, value in headers.items()]
    return Request({"type": "http", "headers": raw})


class Directory:
    def managers(self, organisation: str) -> frozenset[str]:
        return frozenset({"mgr-channel"}) if organisation == "org-a" else frozenset()

    def managed_by(self, user_id: str) -> frozenset[str]:
        return frozenset({"org-a"}) if user_id == "mgr-channel" else frozenset()


READ = Rule("deal", "read", ("GET /x",), rep="own", manager="teams+pool", admin="all", partner="organisation")
ACCESS = Access({"east": ["rep-1"]}, (READ,), Directory())
PARTNER = Identity("p-1", "partner", (), "org-a")
CHANNEL = Identity("mgr-channel", "manager", ("channel",))
EAST = Identity("mgr-east", "manager", ("east",))


def test_a_partner_presents_its_organisation_in_the_x_user_partner_header():
    who = HeaderIdentity().identify(
        request(**{"X-User-Id": "p-1", "X-User-Role": "partner", "X-User-Partner": "org-a"})
    )
    assert who == Identity("p-1", "partner", (), "org-a")


@pytest.mark.parametrize(
    "headers",
    [{"X-User-Role": "partner"}, {"X-User-Role": "rep", "X-User-Partner": "org-a"}],
    ids=["a partner without its organisation", "a rep naming one"],
)
def test_only_a_partner_names_an_organisation_and_a_partner_always_does(headers):
    with pytest.raises(HTTPException) as refused:
        HeaderIdentity().identify(request(**{"X-User-Id": "u", **headers}))
    assert refused.value.status_code == 422 and refused.value.detail[0]["loc"] == ["header", "x-user-partner"]


def test_a_partner_reaches_its_organisations_subjects_whoever_of_it_owns_them():
    assert ACCESS.allows(PARTNER, "deal", "read", "p-2", organisation="org-a")
    assert not ACCESS.allows(PARTNER, "deal", "read", "p-1", organisation="org-b")  # its own user, another org's deal
    assert not ACCESS.allows(PARTNER, "deal", "read", "rep-1")  # a rep's deal, of no organisation
    assert not ACCESS.allows(PARTNER, "deal", "read", None)  # the pool
    assert ACCESS.owners(PARTNER, "deal", "read") == frozenset()
    assert ACCESS.organisations_in_reach(PARTNER, "deal", "read") == frozenset({"org-a"})


def test_a_manager_reaches_a_partners_subjects_only_as_its_channel_manager():
    assert ACCESS.allows(CHANNEL, "deal", "read", "p-1", organisation="org-a")
    assert not ACCESS.allows(CHANNEL, "deal", "read", "p-1", organisation="org-b")
    assert not ACCESS.allows(EAST, "deal", "read", "p-1", organisation="org-a")
    assert ACCESS.allows(EAST, "deal", "read", "rep-1", organisation="org-a")  # a partner's deal a rep now owns
    assert ACCESS.organisations_in_reach(CHANNEL, "deal", "read") == frozenset({"org-a"})
    assert ACCESS.organisations_in_reach(EAST, "deal", "read") == frozenset()


def test_a_partner_is_shown_its_status_and_why_it_waits_but_not_who_holds_the_customer():
    view = {
        "review_reasons": ["matches deal 7f0c-rival on phone", "value below the auto-approval minimum of 10"],
        "conflicts": [{"deal_id": "7f0c-rival", "matched_on": "phone"}],
        "owner_id": "rep-9",
        "ownership_history": [
            {"owner_id": "p-1", "reason": "registration", "by": "p-1", "at": "t0"},
            {"owner_id": "rep-9", "reason": "claim", "by": "rep-9", "at": "t1"},
        ],
    }
    seen = for_partner(view, "p-1")
    assert seen == {
        "review_reasons": [
            "the customer is already registered (matched on phone)",
            "value below the auto-approval minimum of 10",
        ],
        "conflicts": [],
        "owner_id": None,
        "ownership_history": [{"owner_id": "p-1", "reason": "registration", "by": "p-1", "at": "t0"}],
    }
    assert "rep-9" not in str(seen) and "rival" not in str(seen)
