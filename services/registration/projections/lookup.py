"""The rows registration keeps for finding things: the account list, the contact list and
the search index over deals, leads, accounts and contacts. `RegistrationView` is the whole
read model (`RegistrationDeals` and these rows), applied in the one projection."""

from __future__ import annotations

from typing import Any

from sqlalchemy import DDL, Connection, event, insert, update

from services.registration.domain.account import Account
from services.registration.domain.deal import Deal
from services.registration.domain.lead import Lead
from services.registration.projections import (
    RegistrationDeals,
    metadata,
    registration_accounts,
    registration_contacts,
    registration_search,
)

# The trigram operator class the search index needs. A trusted extension since PostgreSQL 13:
# the owner of the database may create it; it is created once, in the database, not per schema.
_TRIGRAMS = DDL("CREATE EXTENSION IF NOT EXISTS pg_trgm")  # type: ignore[no-untyped-call]
event.listen(metadata, "before_create", _TRIGRAMS.execute_if(dialect="postgresql"))

search = registration_search


def searchable(*parts: str | None) -> str:
    """What a query is matched against: the parts, casefolded, one space between."""
    return " ".join(p.strip() for p in parts if p and p.strip()).casefold()[:1200]


def grams(kind: str, text: str) -> list[str]:
    """Every one- and two-character piece of `text`, after its kind (`deal 新城`): what answers
    a query too short for trigrams. The kind is in the piece, not only in its own column, so
    PostgreSQL's statistics count each kind's pieces apart: a piece no contact holds is
    estimated rare among contacts and found through the index, not by a scan of every row."""
    return sorted({f"{kind} {text[i : i + n]}" for n in (1, 2) for i in range(len(text) - n + 1)})


def search_row(kind: str, subject_id: str, title: str, *matched: str | None, **columns: Any) -> dict[str, Any]:
    """A subject's row of the search index. Its text starts with its kind (`deal 新城百货…`)
    for the reason its pieces do (see `grams`): a query asks `LIKE 'contact %新城百货%'`, and
    the planner, sampling the column, sees that no contact holds it."""
    text = searchable(title, *matched)
    return {
        "kind": kind,
        "subject_id": subject_id,
        "title": title,
        "text": f"{kind} {text}",
        "grams": grams(kind, text),
        **columns,
    }


class RegistrationView(RegistrationDeals):
    """Registration's read model: the deals, partners, leads and tiers, and the rows for finding."""

    def apply(self, connection: Connection, event: Any) -> None:
        super().apply(connection, event)
        subject = str(event.originator_id)
        if isinstance(event, Account.Opened):
            connection.execute(
                insert(registration_accounts).values(account_id=subject, name=event.name, opened_at=event.timestamp)
            )
            connection.execute(insert(search).values(search_row("account", subject, event.name, account_id=subject)))
        elif isinstance(event, Deal.Registered):
            self._deal(connection, event, subject)
        elif isinstance(event, (Deal.Assigned, Deal.Recycled)):
            owner = event.owner_id if isinstance(event, Deal.Assigned) else None
            connection.execute(update(search).where(search.c.deal_id == subject).values(owner_id=owner))
        elif isinstance(event, Lead.Captured):
            contact = event.contact or {}
            row = search_row(
                "lead",
                subject,
                event.company,
                contact.get("name"),
                contact.get("phone"),
                contact.get("email"),
                subtitle=contact.get("name"),
                owner_id=event.meta["actor"],
            )
            connection.execute(insert(search).values(row))
        elif isinstance(event, Lead.Assigned):
            where = (search.c.kind == "lead") & (search.c.subject_id == subject)
            connection.execute(update(search).where(where).values(owner_id=event.owner_id))

    @staticmethod
    def _deal(connection: Connection, event: Any, deal_id: str) -> None:
        account_id = str(event.account_id)
        reach = {"deal_id": deal_id, "owner_id": event.owner_id, "partner": getattr(event, "partner", None)}
        rows = [
            search_row(
                "deal",
                deal_id,
                event.name,
                event.account_name,
                subtitle=event.account_name,
                account_id=account_id,
                **reach,
            )
        ]
        contacts = [c for c in event.contacts if c.get("id")]  # a registration stored before ids had none
        for contact in contacts:
            connection.execute(
                insert(registration_contacts).values(
                    contact_id=contact["id"],
                    account_id=account_id,
                    deal_id=deal_id,
                    name=contact.get("name"),
                    phone=contact.get("phone"),
                    email=contact.get("email"),
                    added_at=event.at,
                )
            )
            title = contact.get("name") or contact.get("email") or contact.get("phone") or ""
            rows.append(
                search_row(
                    "contact",
                    contact["id"],
                    title,
                    contact.get("phone"),
                    contact.get("email"),
                    subtitle=event.account_name,
                    account_id=account_id,
                    **reach,
                )
            )
        connection.execute(insert(search), rows)
