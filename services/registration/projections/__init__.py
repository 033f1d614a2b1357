"""Registration's read model: one row per deal, for the pool, the approval queue and the
recycling sweeper; one per channel partner, for the access rules and the partner report; one
per lead, for the lead list and the conversion model's training set; one per account with a
tier, for the re-tiering job; and the account list, the contact list and the search index
(their rows are kept by `services.registration.projections.lookup`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Connection,
    Date,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    case,
    select,
    update,
)
from sqlalchemy.dialects import postgresql

from services.registration.domain.account import Account
from services.registration.domain.deal import Deal
from services.registration.domain.lead import Lead
from services.registration.domain.partner import Partner

metadata = MetaData()

registration_deals = Table(
    "registration_deals",
    metadata,
    Column("deal_id", String(36), primary_key=True),
    Column("name", String(300), nullable=False),
    Column("account_id", String(36), index=True),  # the account list's deals
    Column("account_name", String(300), nullable=False),
    Column("deal_type", String(30), nullable=False),
    Column("customer_level", String(30)),
    Column("amount", Numeric(18, 2), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("expected_close_date", Date, nullable=False),
    Column("registration_status", String(20), nullable=False, index=True),
    Column("owner_id", String(200), index=True),
    Column("in_pool", Boolean, nullable=False, default=False, index=True),
    Column("previous_owner_id", String(200)),
    Column("recycled_at", DateTime(timezone=True)),
    Column("recycle_reason", String(30)),
    Column("protected_until", DateTime(timezone=True)),
    Column("last_activity_at", DateTime(timezone=True)),
    Column("outcome", String(10)),
    Column("partner", String(100), index=True),  # the channel partner that registered it
    Column("conflicted", Boolean, nullable=False, default=False),  # matched another deal when registered
    Column("won_amount", Numeric(18, 2)),
    Column("won_currency", String(3)),
)

registration_partners = Table(
    "registration_partners",
    metadata,
    Column("partner_id", String(100), primary_key=True),
    Column("name", String(300), nullable=False),
    Column("channel_managers", JSON, nullable=False),
    Column("refused", Integer, nullable=False, default=0),  # registrations refused: the customer was taken
)

registration_leads = Table(
    "registration_leads",
    metadata,
    Column("lead_id", String(36), primary_key=True),
    Column("company", String(300), nullable=False),
    Column("contact_name", String(200)),
    Column("phone", String(50)),
    Column("email", String(320)),
    Column("source", String(100), index=True),
    Column("region", String(100), index=True),
    Column("industry", String(100), index=True),
    Column("budget_amount", Numeric(18, 2)),
    Column("budget_currency", String(3)),
    Column("owner_id", String(200), nullable=False, index=True),
    Column("status", String(20), nullable=False, index=True),
    Column("captured_at", DateTime(timezone=True), nullable=False),
    Column("ended_at", DateTime(timezone=True)),
    Column("disqualified_reason", String(1000)),
    Column("deal_id", String(36)),
    Column("score", Float, index=True),
    Column("model_version", String(64)),
    Column("model_sequence", Integer),
)

account_tiers = Table(
    "registration_account_tiers",
    metadata,
    Column("account_id", String(36), primary_key=True),
    Column("tier", String(1)),
)

registration_accounts = Table(
    "registration_accounts",
    metadata,
    Column("account_id", String(36), primary_key=True),
    Column("name", String(300), nullable=False),
    Column("opened_at", DateTime(timezone=True), nullable=False, index=True),
)

# A contact came with a deal (its registration or the lead it converted): it is in a
# caller's reach when that deal is, so the row keeps the deal and the list joins its owner.
registration_contacts = Table(
    "registration_contacts",
    metadata,
    Column("contact_id", String(36), primary_key=True),
    Column("account_id", String(36), nullable=False, index=True),
    Column("deal_id", String(36), nullable=False, index=True),
    Column("name", String(200)),
    Column("phone", String(50)),
    Column("email", String(320)),
    Column("added_at", DateTime(timezone=True), nullable=False),
)

# One row per deal, lead, account and contact, for the search box. `text` is what a query
# matches as a substring (casefolded); on PostgreSQL a trigram index serves queries of three
# characters or more, and `grams` (every one- and two-character piece of `text` after its
# kind, a GIN array index) the shorter ones, which trigrams cannot: 新城 is two characters.
registration_search = Table(
    "registration_search",
    metadata,
    Column("kind", String(10), primary_key=True),
    Column("subject_id", String(36), primary_key=True),
    Column("title", String(300), nullable=False),
    Column("subtitle", String(300)),
    Column("account_id", String(36)),
    Column("deal_id", String(36), index=True),  # a deal's own, a contact's deal: its reach
    Column("owner_id", String(200)),
    Column("partner", String(100)),
    Column("text", String(1220), nullable=False),  # the kind, a space, then up to 1,200
    Column("grams", JSON().with_variant(postgresql.ARRAY(String(12)), "postgresql"), nullable=False),
)
Index(
    "ix_registration_search_text",
    registration_search.c.text,
    postgresql_using="gin",
    postgresql_ops={"text": "gin_trgm_ops"},
)
Index("ix_registration_search_grams", registration_search.c.grams, postgresql_using="gin")
# A rep's or a manager's hits: the planner joins this with either index above (a bitmap AND).
Index("ix_registration_search_reach", registration_search.c.kind, registration_search.c.owner_id)


class RegistrationDeals:
    name = "registration.deals"
    metadata = metadata

    def apply(self, connection: Connection, event: Any) -> None:
        deal_id = str(event.originator_id)
        if isinstance(event, (Lead.Event, Account.Event)):
            self._lead_or_account(connection, event)
        elif isinstance(event, Deal.Registered):
            connection.execute(
                registration_deals.insert().values(
                    deal_id=deal_id,
                    name=event.name,
                    account_id=str(event.account_id),
                    account_name=event.account_name,
                    deal_type=event.deal_type,
                    customer_level=event.customer_level,
                    amount=event.amount,
                    currency=event.currency,
                    expected_close_date=event.expected_close_date,
                    registration_status=event.registration_status,
                    owner_id=event.owner_id,
                    in_pool=False,
                    protected_until=event.protected_until,
                    last_activity_at=event.at,
                    partner=getattr(event, "partner", None),
                    conflicted=bool(event.conflicts),
                )
            )
        elif isinstance(event, Deal.RegistrationApproved):
            self._set(connection, deal_id, registration_status="approved", protected_until=event.protected_until)
        elif isinstance(event, Deal.RegistrationRejected):
            self._set(connection, deal_id, registration_status="rejected")
        elif isinstance(event, Deal.Assigned):
            self._set(
                connection,
                deal_id,
                owner_id=event.owner_id,
                in_pool=False,
                protected_until=event.protected_until,
                last_activity_at=event.at,
            )
        elif isinstance(event, Deal.Recycled):
            self._set(
                connection,
                deal_id,
                owner_id=None,
                in_pool=True,
                previous_owner_id=event.previous_owner_id,
                recycled_at=event.at,
                recycle_reason=event.reason,
            )
        elif isinstance(event, Deal.ActivityNoted):
            column = registration_deals.c.last_activity_at
            values: dict[str, Any] = {"last_activity_at": case((column < event.at, event.at), else_=column)}
            if event.expected_close_date is not None:
                values["expected_close_date"] = event.expected_close_date
            self._set(connection, deal_id, **values)
        elif isinstance(event, Deal.Closed):
            won = event.outcome == "won"
            amount, currency = getattr(event, "amount", None), getattr(event, "currency", None)
            self._set(
                connection,
                deal_id,
                outcome=event.outcome,
                in_pool=False,
                won_amount=amount if won else None,
                won_currency=currency if won else None,
            )
        elif isinstance(event, Partner.Registered):
            connection.execute(
                registration_partners.insert().values(
                    partner_id=event.partner_id,
                    name=event.name,
                    channel_managers=list(event.channel_managers),
                    refused=0,
                )
            )
        elif isinstance(event, Partner.ConflictNoted):
            partners = registration_partners
            connection.execute(
                update(partners).where(partners.c.partner_id == event.partner_id).values(refused=partners.c.refused + 1)
            )

    @staticmethod
    def _lead_or_account(connection: Connection, event: Any) -> None:
        subject = str(event.originator_id)
        leads = registration_leads
        if isinstance(event, Lead.Captured):
            budget = event.budget or {}
            connection.execute(
                leads.insert().values(
                    lead_id=subject,
                    company=event.company,
                    contact_name=event.contact.get("name"),
                    phone=event.contact.get("phone"),
                    email=event.contact.get("email"),
                    source=event.source,
                    region=event.region,
                    industry=event.industry,
                    budget_amount=budget.get("amount"),
                    budget_currency=budget.get("currency"),
                    owner_id=event.meta["actor"],
                    status="open",
                    captured_at=event.timestamp,
                )
            )
            return
        where = leads.c.lead_id == subject
        if isinstance(event, Lead.Converted):
            values: dict[str, Any] = {"status": "converted", "ended_at": event.timestamp, "deal_id": str(event.deal_id)}
            connection.execute(update(leads).where(where).values(**values))
        elif isinstance(event, Lead.Disqualified):
            values = {"status": "disqualified", "ended_at": event.timestamp, "disqualified_reason": event.reason}
            connection.execute(update(leads).where(where).values(**values))
        elif isinstance(event, Lead.Assigned):
            connection.execute(update(leads).where(where).values(owner_id=event.owner_id))
        elif isinstance(event, Lead.Scored):
            values = {
                "score": event.score,
                "model_version": event.model_version,
                "model_sequence": event.model_sequence,
            }
            connection.execute(update(leads).where(where).values(**values))
        elif isinstance(event, Account.WonDealNoted):
            known = select(account_tiers.c.account_id).where(account_tiers.c.account_id == subject)
            if connection.execute(known).first() is None:  # the re-tiering job's candidate from now on
                connection.execute(account_tiers.insert().values(account_id=subject, tier=None))
        elif isinstance(event, Account.TierChanged):
            connection.execute(
                update(account_tiers).where(account_tiers.c.account_id == subject).values(tier=event.tier)
            )

    @staticmethod
    def _set(connection: Connection, deal_id: str, **values: Any) -> None:
        connection.execute(update(registration_deals).where(registration_deals.c.deal_id == deal_id).values(**values))
