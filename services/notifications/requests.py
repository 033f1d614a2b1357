"""What notifications' routes accept as a body (the answers are in responses.py)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from services.notifications.domain import Kind
from services.notifications.rules import Language


class Channels(BaseModel):
    model_config = ConfigDict(extra="forbid")
    in_app: bool = True
    email: bool = True


class SetPreferences(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: str | None = Field(
        default=None,
        max_length=320,
        pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
        description="where mail goes; none: no mail",
        examples=["li.lei@example.com"],
    )
    language: Language = Field(default="zh-CN", description="the language of the mails")
    kinds: dict[Kind, Channels] = Field(default={}, description="per kind of message; a kind left out: both on")
