"""Pipeline's service layer: the commands (from the HTTP API, from the alert job, and the
consumer's `handle`, whose reactions live in reactions.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from functools import partial
from typing import Any
from uuid import UUID, uuid4

from services.pipeline.domain.deal import Deal
from services.pipeline.domain.lineitems import MAX_VALUE, items_value, line_net
from services.pipeline.domain.products import Product, product_uuid
from services.pipeline.domain.stages import DEFAULT, Pipeline, Stage, StageSet, pipeline_uuid
from services.pipeline.domain.terms import EDITABLE
from services.pipeline.errors import ProductExists
from services.pipeline.reactions import react
from services.pipeline.rules import PipelineRules
from shared.clock import Clock, SystemClock
from shared.contracts import ReceivedEvent
from shared.errors import Invalid, NotFound
from shared.eventstore.application import ServiceApplication, meta
from shared.eventstore.retries import retrying

Check = Callable[[Deal], None] | None  # may the caller change this deal? raises if not


class PipelineApplication(ServiceApplication):
    name = "pipeline"  # names its tables: pipeline_events

    def __init__(
        self, env: dict[str, str] | None = None, clock: Clock | None = None, rules: PipelineRules | None = None
    ) -> None:
        super().__init__(env)
        self.clock = clock or SystemClock()
        self.rules = rules or PipelineRules()

    # -- stage sets -------------------------------------------------------------------------

    def stage_set(self, pipeline_id: str) -> StageSet | None:
        pipeline = self.find(Pipeline, pipeline_uuid(pipeline_id))
        if pipeline is not None:
            return pipeline.stage_set
        return DEFAULT if pipeline_id == DEFAULT.pipeline_id else None

    def define_pipeline(self, pipeline_id: str, stages: list[Stage], meta: dict[str, str]) -> StageSet:
        def define() -> StageSet:
            pipeline = self.find(Pipeline, pipeline_uuid(pipeline_id))
            current = pipeline.stage_set if pipeline else (DEFAULT if pipeline_id == DEFAULT.pipeline_id else None)
            try:
                revised = (
                    current.revised(stages) if current else StageSet(pipeline_id=pipeline_id, stages=tuple(stages))
                )
            except ValueError as error:  # the set as a whole is unusable
                raise Invalid("stages", str(error)) from None
            documents = [stage.model_dump(mode="json") for stage in revised.stages]
            if pipeline is None:
                pipeline = Pipeline(pipeline_id=pipeline_id, stages=documents, meta=meta)
            else:
                pipeline.redefine(documents, meta)
            self.save(pipeline)
            return revised

        return retrying(define)

    def stages_of(self, deal: Deal) -> StageSet:
        return self.stage_set(deal.pipeline_id or DEFAULT.pipeline_id) or DEFAULT

    # -- upstream events ----------------------------------------------------------------------

    def react(self, received: ReceivedEvent) -> tuple[Deal, ...]:
        """What registration's event changes (services/pipeline/reactions.py); the base
        class's `handle` / `handle_batch` save it, retrying a lost race."""
        return react(self, received)

    # -- commands on a deal -----------------------------------------------------------------

    def change_stage(
        self, deal_id: UUID | str, to_stage: str, reason: str | None, meta: dict[str, str], *, check: Check = None
    ) -> Deal:
        return self._on_deal(
            deal_id,
            lambda deal: deal.change_stage(self.stages_of(deal), to_stage, reason, self.clock.now(), meta),
            check,
        )

    def update(
        self, deal_id: UUID | str, changes: dict[str, Any], meta: dict[str, str], *, check: Check = None
    ) -> Deal:
        unknown = set(changes) - EDITABLE
        if unknown:
            raise Invalid(sorted(unknown)[0], "not an editable field")
        close = changes.get("expected_close_date")
        if close is not None and close < self.clock.now().date():  # as registration refuses it
            raise Invalid("expected_close_date", "the expected close date has already passed")
        return self._on_deal(deal_id, lambda deal: deal.update(changes, meta), check)

    def log_activity(
        self,
        deal_id: UUID | str,
        kind: str,
        subject: str,
        occurred_at: datetime | None,
        due_at: datetime | None,
        meta: dict[str, str],
        duration_minutes: int | None = None,
        *,
        check: Check = None,
    ) -> tuple[Deal, str]:
        if kind == "task" and due_at is None:
            raise Invalid("due_at", "a task needs a due date")
        activity_id = str(uuid4())
        now = self.clock.now()
        deal = self._on_deal(
            deal_id,
            lambda deal: deal.log_activity(
                activity_id,
                kind,
                subject,
                occurred_at or (None if kind == "task" else now),
                due_at,
                now,
                meta,
                duration_minutes,
            ),
            check,
        )
        return deal, activity_id

    def complete_task(
        self, deal_id: UUID | str, activity_id: str, meta: dict[str, str], *, check: Check = None
    ) -> Deal:
        return self._on_deal(deal_id, lambda deal: deal.complete_task(activity_id, self.clock.now(), meta), check)

    def close_deal(
        self,
        deal_id: UUID | str,
        outcome: str,
        reason: str | None,
        competitor: str | None,
        meta: dict[str, str],
        *,
        check: Check = None,
    ) -> Deal:
        if outcome == "lost":
            if reason not in self.rules.lost_reasons:
                raise Invalid("reason", f"a lost deal's reason is one of: {', '.join(self.rules.lost_reasons)}")
            if reason == self.rules.competitor_reason and not competitor:
                raise Invalid("competitor", "a deal lost to a competitor names the competitor")
        return self._on_deal(
            deal_id,
            lambda deal: deal.close(self.stages_of(deal), outcome, reason, competitor, self.clock.now(), meta),
            check,
        )

    def reopen(self, deal_id: UUID | str, to_stage: str | None, reason: str | None, meta: dict[str, str]) -> Deal:
        return self._on_deal(
            deal_id, lambda deal: deal.reopen(self.stages_of(deal), to_stage, reason, self.clock.now(), meta)
        )

    def set_line_items(
        self, deal_id: UUID | str, items: list[dict[str, Any]], meta: dict[str, str], *, check: Check = None
    ) -> Deal:
        """`items`: product_code, quantity, unit_price (money or None: the list price) and
        discount_percent each; priced from the catalogue in the deal's currency."""
        return self._on_deal(deal_id, lambda deal: deal.set_line_items(self.priced(deal, items), meta), check)

    def priced(self, deal: Deal, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The items as the deal keeps them, or 422 naming the item's field: an unknown
        product; a retired one not already on the deal; a price in another currency."""
        kept = {item["product_code"] for item in deal.line_items}
        priced = []
        for index, item in enumerate(items):
            where = f"items.{index}"
            product = self.find(Product, product_uuid(item["product_code"]))
            if product is None:
                raise Invalid(f"{where}.product_code", f"no product {item['product_code']!r} in the catalogue")
            if not product.active and product.code not in kept:
                raise Invalid(f"{where}.product_code", f"product {product.code!r} is retired and takes no new deals")
            given = item["unit_price"]
            unit_price, currency = (
                (product.list_price, product.currency) if given is None else (given["amount"], given["currency"])
            )
            if currency != deal.currency:
                field = f"{where}.unit_price" + ("" if given is None else ".currency")
                raise Invalid(
                    field, f"the price is in {currency}, the deal in {deal.currency}: price it in {deal.currency}"
                )
            priced.append(
                {
                    "product_code": product.code,
                    "name_zh": product.name_zh,
                    "name_en": product.name_en,
                    "product_line": product.product_line,
                    "unit": product.unit,
                    "quantity": _plain(item["quantity"]),
                    "unit_price": f"{Decimal(unit_price):.2f}",
                    "currency": currency,
                    "discount_percent": _plain(item["discount_percent"]),
                    "net": f"{line_net(item['quantity'], Decimal(unit_price), item['discount_percent']):.2f}",
                }
            )
        if items_value(priced) > MAX_VALUE:
            raise Invalid("items", f"the items sum to more than a deal's value holds ({MAX_VALUE})")
        return priced

    # -- the catalogue -------------------------------------------------------------------------

    def product(self, code: str) -> Product:
        found = self.find(Product, product_uuid(code))
        if found is None:
            raise NotFound("product", code)
        return found

    def add_product(self, fields: dict[str, Any], meta: dict[str, str]) -> Product:
        def add() -> Product:  # a second add of the same code loses the race, retries, finds it: 409
            if self.find(Product, product_uuid(fields["code"])) is not None:
                raise ProductExists(fields["code"])
            price = fields["list_price"]
            product = Product(
                **{k: v for k, v in fields.items() if k != "list_price"},
                list_price=Decimal(price["amount"]),
                currency=price["currency"],
                meta=meta,
            )
            self.save(product)
            return product

        return retrying(add)

    def change_product(self, code: str, changes: dict[str, Any], meta: dict[str, str]) -> Product:
        def change() -> Product:
            product = self.product(code)
            product.change(changes, meta)
            self.save(product)
            return product

        return retrying(change)

    def retire_product(self, code: str, meta: dict[str, str]) -> Product:
        def retire() -> Product:
            product = self.product(code)
            if product.retire(meta):
                self.save(product)
            return product

        return retrying(retire)

    def get_deal(self, deal_id: UUID | str) -> Deal:
        return self.get(Deal, deal_id)

    def _on_deal(self, deal_id: UUID | str, command: Any, check: Check = None) -> Deal:
        """Load, `check` (may this caller change it? raises before anything is recorded),
        change, save: one read of the deal, retried whole when another writer won."""

        def run() -> Deal:
            # Most deals follow the default stage set, which most commands consult: both
            # streams in one read.
            with self.reading_together(deal_id, pipeline_uuid(DEFAULT.pipeline_id)):
                deal = self.get_deal(deal_id)
                if check is not None:
                    check(deal)
                command(deal)
            self.save(deal)
            return deal

        return retrying(run)

    # -- alerts -----------------------------------------------------------------------------

    def raise_alerts(self, deal_ids: list[UUID]) -> dict[str, int]:
        """Close date approaching (N days before) and overdue tasks, each once.

        Safe on several replicas: each alert is recorded on the deal at its current
        version, so a replica that loses the race reloads and finds it already raised.
        """
        now = self.clock.now()
        system = meta("system", f"alerts-{now.isoformat()}")
        counts = {"close_date_approaching": 0, "task_overdue": 0}
        for deal_id in deal_ids:
            for kind, raised in retrying(partial(self._alert_one, deal_id, now, system)).items():
                counts[kind] += raised
        return counts

    def _alert_one(self, deal_id: UUID, now: datetime, system: dict[str, str]) -> dict[str, int]:
        deal = self.find(Deal, deal_id)
        raised = {"close_date_approaching": 0, "task_overdue": 0}
        if deal is None or not deal.is_open:
            return raised
        days_left = (deal.expected_close_date - now.date()).days
        if 0 <= days_left <= self.rules.close_date_alert_days and deal.alert_close_date(days_left, system):
            raised["close_date_approaching"] += 1
        for activity_id, task in deal.activities.items():
            if (
                task["kind"] == "task"
                and not task["done"]
                and task["due_at"] < now
                and deal.alert_overdue(activity_id, system)
            ):
                raised["task_overdue"] += 1
        if any(raised.values()):
            self.save(deal)
        return raised


def _plain(number: Decimal) -> str:
    """A decimal as people write it: 1.5, 10, never 1E+1."""
    return format(number.normalize(), "f")
