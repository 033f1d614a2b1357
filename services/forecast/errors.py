"""Forecast's errors (see shared/errors.py for what each base answers)."""

from __future__ import annotations

from shared.errors import NotFound


class DealNotInForecast(NotFound, LookupError):
    """A pipeline event closes (or sets the line items of) a deal the forecast never tracked
    (its stage change never arrived): a poison message, parked by the consumer. Still a
    LookupError, as it was."""

    def __init__(self, deal_id: str) -> None:
        super().__init__("deal", deal_id)
        self.args = (f"deal {deal_id} changed before it entered the forecast",)
