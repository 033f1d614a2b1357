"""What notifications' routes answer, as models the OpenAPI documents show."""

from __future__ import annotations

from pydantic import BaseModel, Field

from services.notifications.domain import Kind
from services.notifications.requests import Channels
from services.notifications.rules import Language
from shared.web.responses import Instant


class InboxItem(BaseModel):
    notification_id: str
    kind: Kind
    deal_id: str | None = Field(description="the deal it is about")
    title: str = Field(description="in the reader's language (their preferences)")
    body: str
    params: dict[str, str] = Field(description="what the text names, for a client that words it itself")
    happened_at: Instant = Field(description="when what it tells of happened")
    read_at: Instant | None


class Inbox(BaseModel):
    items: list[InboxItem]
    total: int = Field(description="messages matching, over all pages")
    unread: int = Field(description="the reader's unread messages")
    offset: int
    limit: int


class Marked(BaseModel):
    marked: int = Field(description="messages that were unread and now are read")
    unread: int = Field(description="the reader's unread messages now")


class PreferencesOut(BaseModel):
    user_id: str
    email: str | None
    language: Language
    kinds: dict[Kind, Channels]
    mail_configured: bool = Field(description="whether an SMTP server is configured (mail waits until one is)")
