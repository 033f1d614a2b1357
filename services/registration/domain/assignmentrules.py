"""The company's assignment rules (one stream): each `Defined` event is a version, with who
set it and when; `CursorMoved` events keep each round-robin rule's place in its team, so
the cycle is deterministic and carries on after a restart (it is replayed, not guessed)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from services.registration.domain.assignment import AssignmentRule
from services.registration.domain.topics import first_stored_in

ASSIGNMENT_RULES_ID: UUID = uuid5(NAMESPACE_URL, "crm:registration:assignment-rules")


@first_stored_in("services.registration.domain")
class AssignmentRules(Aggregate):
    if TYPE_CHECKING:  # made by `@event` from the methods below
        Opened: ClassVar[type[Any]]
        Defined: ClassVar[type[Any]]
        CursorMoved: ClassVar[type[Any]]

    @staticmethod
    def create_id() -> UUID:
        return ASSIGNMENT_RULES_ID  # one set of rules per company: every replica appends to it

    @event("Opened")
    def __init__(self) -> None:
        self.rules: list[dict[str, Any]] = []
        self.rules_version = 0  # counts `Defined` events only: the cursor's moves are not versions
        self.defined_by: str | None = None
        self.defined_at: datetime | None = None
        self.cursors: dict[str, int] = {}

    @property
    def parsed(self) -> list[AssignmentRule]:
        return [AssignmentRule.model_validate(rule) for rule in self.rules]

    def define(self, rules: list[AssignmentRule], at: datetime, meta: dict[str, str]) -> None:
        self._defined([rule.model_dump(mode="json") for rule in rules], self.rules_version + 1, at, meta)

    @event("Defined")
    def _defined(self, rules: list[dict[str, Any]], rules_version: int, at: datetime, meta: dict[str, str]) -> None:
        self.rules = rules
        self.rules_version = rules_version
        self.defined_by = meta["actor"]
        self.defined_at = at
        # A rule renamed or rewritten starts its cycle again; the others keep their place.
        names = {rule["name"] for rule in rules}
        self.cursors = {name: at_ for name, at_ in self.cursors.items() if name in names}

    def move_cursor(self, rule: str, position: int, meta: dict[str, str]) -> None:
        if self.cursors.get(rule) != position:
            self._cursor_moved(rule, position, meta)

    @event("CursorMoved")
    def _cursor_moved(self, rule: str, position: int, meta: dict[str, str]) -> None:
        self.cursors[rule] = position
