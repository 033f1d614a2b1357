"""Notifications' rules: who manages which team, how mail is retried, where links point.
Read once from `CRM_NOTIFICATION_RULES` (JSON) or the file named by
`CRM_NOTIFICATION_RULES_FILE`; the SMTP server itself is in the settings (`CRM_SMTP_*`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.settings import load_rules

Language = Literal["zh-CN", "en"]


class NotificationRules(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    team_managers: dict[str, tuple[str, ...]] = Field(
        default={},
        description="team → its managers' ids: who is told of a registration awaiting review by an owner of "
        "that team (CRM_TEAMS says who is in it); a team without managers here tells no one",
    )
    language: Language = Field(default="zh-CN", description="the language of a user's mail until they choose one")
    console_url: str = Field(
        default="http://127.0.0.1:8000", description="the console's address, for the deal links in mails"
    )
    mail_interval_seconds: float = Field(default=5.0, gt=0, description="how often the mail outbox is looked at")
    retry_first_seconds: float = Field(
        default=30.0, gt=0, description="the wait after a mail's first failed attempt; it doubles each time"
    )
    retry_max_seconds: float = Field(
        default=3600.0, gt=0, description="the longest wait between attempts: a mail is retried until it is sent"
    )
    mail_batch: int = Field(default=50, ge=1, description="mails sent per look at the outbox")

    def managers_reaching(self, owner_id: str, teams: Mapping[str, frozenset[str] | list[str]]) -> tuple[str, ...]:
        """The managers of every team `owner_id` belongs to, in a stable order."""
        found: list[str] = []
        for team, members in teams.items():
            if owner_id in members:
                found += [m for m in self.team_managers.get(team, ()) if m not in found]
        return tuple(found)


def load_notification_rules(environ: Mapping[str, str] | None = None) -> NotificationRules:
    return load_rules(NotificationRules, "CRM_NOTIFICATION_RULES", environ)
