"""What pipeline's routes answer (see shared/web/responses.py). Stage sets and the rules answer
as their own models (services/pipeline/domain/stages.py, services/pipeline/rules.py)."""

from __future__ import annotations

from datetime import date
from typing import Literal, NotRequired
from uuid import UUID

from pydantic import BaseModel, Field
from typing_extensions import TypedDict  # pydantic needs it before Python 3.12

from services.pipeline.attachments import ACCEPTED
from services.pipeline.domain.stages import Category
from services.pipeline.domain.terms import Priority
from shared.web.downloads import binary, unsupported
from shared.web.export import Column, field, money_columns
from shared.web.responses import HistoryEvent, Instant, MoneyOut, Span

Outcome = Literal["won", "lost"]


class DealContactRole(TypedDict):
    """A contact on the deal and the part they play; a field nobody gave is absent."""

    id: NotRequired[str | None]
    name: str
    role: NotRequired[str | None]
    phone: NotRequired[str | None]
    email: NotRequired[str | None]


class Attachment(BaseModel):
    """A file on an activity: its bytes are in the blob store under `sha256`; GET
    .../attachments/{attachment_id} (or /{sha256}) downloads it, .../thumbnail an image's preview."""

    attachment_id: str
    activity_id: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    name: str
    media_type: str = Field(description="told from the content, not the name", examples=["image/jpeg"])
    size: int = Field(ge=1, description="bytes")
    thumbnail_sha256: str | None = Field(description="an image's thumbnail (JPEG); null for other files")
    added_at: Instant
    by: str


FILE = binary(ACCEPTED, "the file's bytes, of the type recorded when it was attached")
THUMBNAIL = binary(["image/jpeg"], "the image's thumbnail")
UNSUPPORTED = unsupported("The file's content is not of an accepted type (told from its bytes, not its name)")


class AttachmentList(BaseModel):
    items: list[Attachment] = Field(description="every file on the deal's activities, oldest first")


class Activity(BaseModel):
    activity_id: str
    kind: Literal["call", "meeting", "visit", "email", "note", "task"]
    subject: str
    occurred_at: Instant | None
    due_at: Instant | None = Field(description="tasks only")
    duration_minutes: int | None
    required_by_stage: str | None = Field(default=None, description="the stage whose entry created this task")
    required_task: str | None = Field(default=None, description="the task's key in that stage")
    owner_id: str | None = Field(default=None, description="a required task's owner: the deal's when created")
    done: bool = Field(description="a task until completed; every other kind is done when logged")
    done_at: Instant | None
    logged_at: Instant
    by: str
    attachments: list[Attachment] = Field(default=[], description="files attached, oldest first")


class LineItem(BaseModel):
    """One line of a deal: the product as it was when the line was set, and its price."""

    product_code: str
    name_zh: str
    name_en: str | None
    product_line: str
    unit: str
    quantity: str = Field(pattern=r"^\d+(\.\d+)?$", examples=["3", "1.5"])
    unit_price: MoneyOut
    discount_percent: str = Field(pattern=r"^\d+(\.\d+)?$", examples=["10", "12.5"])
    net: MoneyOut = Field(description="quantity × unit price × (1 − discount %), rounded half-up to the cent")


class Product(BaseModel):
    code: str
    name_zh: str
    name_en: str | None
    product_line: str
    unit: str
    list_price: MoneyOut
    active: bool = Field(description="false once retired: it takes no new line items, stays on the deals that have it")
    version: int


class ProductList(BaseModel):
    items: list[Product]


class StageVisit(BaseModel):
    stage: str
    entered_at: Instant
    left_at: Instant | None
    reason: str | None
    direction: str = Field(description="how the deal came to the stage (forward, back, close, reopen, …)")
    by: str
    seconds_in_stage: float


class PipelineDeal(BaseModel):
    """A deal as the pipeline keeps it: stage, probability, activities and time per stage."""

    deal_id: UUID
    name: str
    account_name: str
    owner_id: str | None
    pipeline_id: str | None
    stage: str | None = Field(description="None until the registration is approved")
    probability: int = Field(ge=0, le=100)
    probability_overridden: bool
    forecast_category: Category | None
    value: MoneyOut
    expected_close_date: date
    close_date_slips: int
    source: str | None
    priority: Priority
    competitors: list[str]
    contacts: list[DealContactRole]
    outcome: Outcome | None
    close_reason: str | None
    competitor: str | None
    activities: list[Activity]
    line_items: list[LineItem] = Field(description="once there are any, the value is their sum")
    line_items_note: str | None = Field(
        default=None, description="why the line items the deal was imported with were not applied (none were)"
    )
    version: int
    stage_history: list[StageVisit]
    seconds_per_stage: dict[str, float]


class DealCard(BaseModel):
    deal_id: UUID
    name: str
    account_name: str
    owner_id: str | None
    source: str | None
    stage: str | None
    probability: int
    priority: Priority
    value: MoneyOut
    expected_close_date: date
    outcome: Outcome | None


class DealPage(BaseModel):
    items: list[DealCard]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; None on the last")


class BoardColumn(BaseModel):
    stage: str
    labels: dict[str, str]
    retired: bool
    count: int
    total: list[MoneyOut] = Field(description="per currency")
    weighted: list[MoneyOut] = Field(description="per currency, each deal at its probability")
    cards: list[DealCard]
    next_cursor: str | None = Field(description="the list view's cursor for the column's further cards")


class Board(BaseModel):
    pipeline_id: str
    columns: list[BoardColumn]


class PipelineHistory(BaseModel):
    deal_id: UUID
    as_of: Instant | None
    events: list[HistoryEvent]
    stage_spans: list[Span]
    deal: PipelineDeal = Field(description="the deal as it stood at `as_of` (now if not given)")


class DayItem(BaseModel):
    """A task or a meeting on a deal, as my day lists it."""

    deal_id: str
    deal_name: str
    account_name: str
    owner_id: str = Field(description="the deal's owner now")
    activity_id: str
    kind: Literal["task", "meeting", "visit"]
    subject: str
    at: Instant = Field(description="a task's due instant; a meeting's or visit's instant")
    required_by_stage: str | None = Field(description="the stage whose entry created this task")


class DayCounts(BaseModel):
    overdue: int
    today: int
    upcoming: int
    meetings: int


class MyDay(BaseModel):
    """Open tasks and meetings across the open deals of an owner (or a team), bucketed by the
    company's calendar (`CRM_TIMEZONE`)."""

    date: str = Field(description="today in the company's time zone (YYYY-MM-DD)")
    timezone: str
    until: str = Field(description="the last day `upcoming` and `meetings` reach")
    owners: list[str] = Field(description="whose deals these are")
    overdue: list[DayItem] = Field(description="open tasks due before today, oldest first")
    today: list[DayItem]
    upcoming: list[DayItem]
    meetings: list[DayItem] = Field(description="meetings and visits from today on")
    counts: DayCounts = Field(description="how many each list holds in all (each answers its first `limit`)")


# The deal list as a file (CSV / XLSX): its columns, in order.
DEAL_COLUMNS: list[Column] = [
    *(
        field(key)
        for key in ("deal_id", "name", "account_name", "owner_id", "source", "stage", "probability", "priority")
    ),
    *money_columns("value", "value"),
    ("expected_close_date", lambda row: row["expected_close_date"]),
    ("outcome", lambda row: row["outcome"]),
]
