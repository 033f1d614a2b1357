"""The event catalogue: the `data` of every public event type, one frozen model each.

Compatibility rule: within a major version (`.v1`) fields are only ever added, and only
as optional. Consumers ignore fields they do not know, so an older consumer keeps working
when a newer producer adds one.

The base models live in `shared.contracts.base`, the lead-scoring and customer-tier events
in `shared.contracts.customers` and a deal's line items in `shared.contracts.lineitems`; all
are re-exported here with the same names.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar, Literal

from pydantic import Field

from shared.contracts.base import AccountRef, Contact, Contract, DealContact, EventData, Money, money
from shared.contracts.customers import (
    AccountTierChanged,
    LeadAssigned,
    LeadCaptured,
    LeadConverted,
    LeadDisqualified,
    LeadScored,
    LeadScoreModelTrained,
    Rfm,
)
from shared.contracts.lineitems import DealLineItem, RequestedLineItem


class DealRegistered(EventData):
    TYPE: ClassVar[str] = "crm.deal.registered.v1"
    deal_id: str
    name: str
    account: AccountRef
    contacts: list[DealContact] = []
    deal_type: Literal["new_business", "existing_business"] = "new_business"
    value: Money
    expected_close_date: date
    source: str | None = None
    owner_id: str
    registration_status: Literal["pending", "approved"]
    protected_until: datetime | None = None  # set when registered already approved
    customer_level: str | None = None
    product_line: str | None = None
    review_reasons: list[str] = []  # why a pending registration awaits a manager
    partner: str | None = None  # added within v1: the channel partner organisation that registered it
    line_items: list[RequestedLineItem] = []  # added within v1: the items an import asked for, not yet priced


class PartnerRegistered(EventData):
    """A channel partner organisation, and the channel managers who review its registrations."""

    TYPE: ClassVar[str] = "crm.partner.registered.v1"
    partner_id: str
    name: str
    channel_managers: list[str]
    registered_by: str


class DealRegistrationApproved(EventData):
    TYPE: ClassVar[str] = "crm.deal.registration_approved.v1"
    deal_id: str
    approved_by: str
    protected_until: datetime


class DealRegistrationRejected(EventData):
    TYPE: ClassVar[str] = "crm.deal.registration_rejected.v1"
    deal_id: str
    rejected_by: str
    reason: Literal["duplicate", "conflict", "below_threshold", "other"]
    conflicting_deal_id: str | None = None
    note: str | None = None


class DealAssigned(EventData):
    TYPE: ClassVar[str] = "crm.deal.assigned.v1"
    deal_id: str
    previous_owner_id: str | None = None
    owner_id: str
    reason: Literal["assignment", "reassignment", "claim"]
    rule: str | None = Field(default=None, description="the assignment rule that chose the owner (none: a person did)")
    reasons: list[str] | None = Field(default=None, description="why each earlier rule did not decide")


class DealRecycled(EventData):
    TYPE: ClassVar[str] = "crm.deal.recycled.v1"
    deal_id: str
    previous_owner_id: str | None = None
    reason: Literal["stale", "protection_expired", "close_date_passed", "manual"]
    last_activity_at: datetime | None = None
    note: str | None = None


class DealRecycleWarned(EventData):
    """The owner is told, some days ahead, that an automatic recycle is coming."""

    TYPE: ClassVar[str] = "crm.deal.recycle_warned.v1"
    deal_id: str
    owner_id: str
    reason: Literal["stale", "protection_expired", "close_date_passed"]
    recycle_at: datetime


class DealStageChanged(EventData):
    TYPE: ClassVar[str] = "crm.deal.stage_changed.v1"
    deal_id: str
    pipeline_id: str
    from_stage: str | None = None  # None when the deal enters the pipeline
    to_stage: str
    probability: int = Field(ge=0, le=100)
    value: Money
    expected_close_date: date
    owner_id: str | None  # None while the deal waits in the pool
    reason: str | None = None
    # Optional additions within v1: so that consumers need not know the stage set.
    forecast_category: str | None = None
    source: str | None = None
    regression: bool = False  # a move back to an earlier stage
    reopened: bool = False  # out of won / lost, on the record


class DealUpdated(EventData):
    TYPE: ClassVar[str] = "crm.deal.updated.v1"
    deal_id: str
    changes: dict[str, dict[str, object]]


class DealActivityLogged(EventData):
    TYPE: ClassVar[str] = "crm.deal.activity_logged.v1"
    deal_id: str
    activity_id: str
    kind: Literal["call", "meeting", "email", "note", "task"]
    subject: str
    occurred_at: datetime | None = None
    due_at: datetime | None = None
    duration_minutes: int | None = None  # added within v1: optional, so old consumers are unaffected
    # Added within v1, optional: a task a stage required of every deal entering it, and its key there.
    required_by_stage: str | None = None
    required_task: str | None = None
    # Added within v1, optional: a meeting at the customer's (拜访), what the visit plans count.
    visit: bool = False


class DealTaskCompleted(EventData):
    TYPE: ClassVar[str] = "crm.deal.task_completed.v1"
    deal_id: str
    activity_id: str
    completed_at: datetime


class DealTaskOverdue(EventData):
    TYPE: ClassVar[str] = "crm.deal.task_overdue.v1"
    deal_id: str
    activity_id: str
    owner_id: str | None = None
    subject: str
    due_at: datetime


class DealClosed(EventData):
    TYPE: ClassVar[str] = "crm.deal.closed.v1"
    deal_id: str
    outcome: Literal["won", "lost"]
    reason: str | None = None
    competitor: str | None = None
    value: Money
    closed_on: date | None = None
    owner_id: str | None = None


class DealLineItemsChanged(EventData):
    """Every line item of the deal after an edit; a value change it causes is published
    as a `crm.deal.updated.v1` of `value`, as an edit of the value is."""

    TYPE: ClassVar[str] = "crm.deal.line_items_changed.v1"
    deal_id: str
    items: list[DealLineItem]
    product_lines: dict[str, Money] = Field(description="the items' net sum per product line")
    value: Money | None = Field(description="the items' sum; None when the deal has no items any more")


class ProductAdded(EventData):
    TYPE: ClassVar[str] = "crm.product.added.v1"
    product_code: str
    name_zh: str
    name_en: str | None = None
    product_line: str
    unit: str
    list_price: Money


class ProductChanged(EventData):
    TYPE: ClassVar[str] = "crm.product.changed.v1"
    product_code: str
    changes: dict[str, dict[str, object]] = Field(description="{field: {before, after}}; list_price as money")


class ProductRetired(EventData):
    TYPE: ClassVar[str] = "crm.product.retired.v1"  # no new line items; deals that have it keep it
    product_code: str


class DealCloseDateApproaching(EventData):
    TYPE: ClassVar[str] = "crm.deal.close_date_approaching.v1"
    deal_id: str
    owner_id: str | None  # None while the deal waits in the pool
    expected_close_date: date
    days_left: int


class ForecastSnapshotTaken(EventData):
    """The forecast of a period as it stood at an instant (published on a schedule)."""

    TYPE: ClassVar[str] = "crm.forecast.snapshot_taken.v1"
    period: str
    as_of: datetime
    count: int
    total: list[Money]
    weighted: list[Money]
    categories: dict[str, dict[str, object]]
    groups: list[dict[str, object]] = []


class StreamHead(Contract):
    version: int = Field(ge=1)
    chain: str = Field(pattern=r"^[0-9a-f]{64}$", description="the seal (SHA-256) of the stream's last event")


class CheckpointRecorded(EventData):
    """A service's event store as it stood at a notification, for `crm audit verify` to hold the store to.

    `heads` names only the heads that changed since the previous checkpoint, so the
    checkpoints of a service, folded in `sequence` order, give every stream's head.
    `heads_hash` is a SHA-256 over `previous_hash` and a newline, then this checkpoint's
    `heads` as `<stream>|<version>|<chain>` lines, sorted: each checkpoint vouches for every
    one before it. The first names 64 zeros as `previous_hash`. A checkpoint without
    `previous_hash` (recorded before 2026-11-30) hashes every stream's head instead.
    A checkpoint with more changed heads than fit one message comes in `parts`, each
    chained to the part before it."""

    TYPE: ClassVar[str] = "crm.checkpoint.recorded.v1"
    service: str
    position: int = Field(ge=0, description="the store's last notification id the checkpoint covers")
    streams: int = Field(ge=0)
    heads_hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    heads: dict[str, StreamHead]
    part: int = Field(default=1, ge=1)
    parts: int = Field(default=1, ge=1)
    previous_hash: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")


CATALOGUE: dict[str, type[EventData]] = {
    model.TYPE: model
    for model in (
        LeadCaptured,
        LeadConverted,
        LeadAssigned,
        LeadDisqualified,
        LeadScored,
        LeadScoreModelTrained,
        AccountTierChanged,
        DealRegistered,
        PartnerRegistered,
        DealRegistrationApproved,
        DealRegistrationRejected,
        DealAssigned,
        DealRecycled,
        DealRecycleWarned,
        DealStageChanged,
        DealUpdated,
        DealActivityLogged,
        DealTaskCompleted,
        DealTaskOverdue,
        DealClosed,
        DealCloseDateApproaching,
        DealLineItemsChanged,
        ProductAdded,
        ProductChanged,
        ProductRetired,
        ForecastSnapshotTaken,
        CheckpointRecorded,
    )
}

__all__ = [  # the names the catalogue has always offered, wherever they are defined now
    "CATALOGUE",
    "AccountRef",
    "AccountTierChanged",
    "Contact",
    "Contract",
    "DealContact",
    "DealLineItem",
    "EventData",
    "LeadDisqualified",
    "LeadAssigned",
    "LeadCaptured",
    "LeadConverted",
    "LeadScoreModelTrained",
    "LeadScored",
    "Money",
    "RequestedLineItem",
    "Rfm",
    "money",
    *(model.__name__ for model in CATALOGUE.values()),
]
