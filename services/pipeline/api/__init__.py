"""Pipeline's HTTP routes: stage sets, the product catalogue, the list view, the board, a
deal, its changes (its line items among them), and the live stream that says when the
board's read model moved on."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, HTTPException, Path, Query
from sqlalchemy import Engine

from services.pipeline import agenda, attachments, queries
from services.pipeline.api.files import files_routes
from services.pipeline.application import PipelineApplication
from services.pipeline.domain.deal import Deal
from services.pipeline.domain.stages import StageSet
from services.pipeline.history import deal_history
from services.pipeline.requests import (
    AddProduct,
    ChangeStage,
    CloseDeal,
    DefinePipeline,
    EditDeal,
    EditProduct,
    LogActivity,
    ProductCode,
    Reopen,
    SetLineItems,
)
from services.pipeline.responses import (
    DEAL_COLUMNS,
    Activity,
    Board,
    DealPage,
    PipelineDeal,
    PipelineHistory,
    Product,
    ProductList,
)
from services.pipeline.rules import PipelineRules
from shared.calendar import Calendar
from shared.web.access import Access
from shared.web.export import EXPORT_CAP, FILES, FORMAT, Format, export
from shared.web.http import Caller, CallerDep
from shared.web.live import RESPONSES as STREAM
from shared.web.live import EventStream, LastEventId, LiveFeed
from shared.web.responses import NOT_FOUND

Code = Annotated[ProductCode, Path()]
ActivityId = Annotated[str, Path(max_length=100)]


def router(
    app: PipelineApplication,
    engine: Engine,
    access: Access,
    live: LiveFeed,
    files: attachments.Files,
    calendar: Calendar,
) -> APIRouter:
    routes = APIRouter(prefix="/pipeline", tags=["pipeline"])
    routes.include_router(agenda.routes(app, engine, access, calendar))

    def may_change(who: Caller) -> Callable[[Deal], None]:
        """403 before anything is recorded unless the caller may change the deal: the role
        at once, the ownership on the deal the command loads anyway (no second read)."""
        access.require(who.identity, "deal", "work")
        return lambda deal: access.check(who.identity, "deal", "work", deal.owner_id)

    def stage_set(pipeline_id: str) -> StageSet:
        found = app.stage_set(pipeline_id)
        if found is None:
            raise HTTPException(404, detail=f"pipeline {pipeline_id!r} not found")
        return found

    @routes.get("/rules", response_model=PipelineRules)
    def rules(who: CallerDep) -> dict[str, Any]:
        return app.rules.model_dump(mode="json")

    @routes.get("/stages", response_model=StageSet, responses=NOT_FOUND)
    def stages(who: CallerDep, pipeline: str = "default") -> dict[str, Any]:
        return stage_set(pipeline).model_dump(mode="json")

    @routes.put("/pipelines/{pipeline_id}", response_model=StageSet)
    def define_pipeline(
        pipeline_id: Annotated[str, Path(pattern=r"^[a-z][a-z0-9_-]{0,63}$")], body: DefinePipeline, who: CallerDep
    ) -> dict[str, Any]:
        access.require(who.identity, "stage set", "define")
        return app.define_pipeline(pipeline_id, body.stages, who.meta).model_dump(mode="json")

    # -- the catalogue: admins manage it, everyone signed in reads it --------------------------

    @routes.post("/products", status_code=201, response_model=Product)
    def add_product(body: AddProduct, who: CallerDep) -> dict[str, Any]:
        access.require(who.identity, "product", "manage")
        return queries.product_document(app.add_product(body.model_dump(mode="json"), who.meta))

    @routes.get("/products", response_model=ProductList)
    def list_products(
        who: CallerDep,
        active: bool | None = Query(default=None, description="true: on sale; false: retired; absent: both"),
        product_line: str | None = Query(default=None, max_length=100),
    ) -> dict[str, Any]:
        access.require(who.identity, "product", "read")
        with engine.connect() as connection:
            return queries.list_products(connection, active=active, product_line=product_line)

    @routes.get("/products/{code}", response_model=Product, responses=NOT_FOUND)
    def get_product(code: Code, who: CallerDep) -> dict[str, Any]:
        access.require(who.identity, "product", "read")
        return queries.product_document(app.product(code))

    @routes.patch("/products/{code}", response_model=Product, responses=NOT_FOUND)
    def edit_product(code: Code, body: EditProduct, who: CallerDep) -> dict[str, Any]:
        access.require(who.identity, "product", "manage")
        return queries.product_document(app.change_product(code, body.changes(), who.meta))

    @routes.post("/products/{code}/retire", response_model=Product, responses=NOT_FOUND)
    def retire_product(code: Code, who: CallerDep) -> dict[str, Any]:
        """Retired, never deleted: deals that have it keep it; no deal may add it."""
        access.require(who.identity, "product", "manage")
        return queries.product_document(app.retire_product(code, who.meta))

    # -- deals ----------------------------------------------------------------------------------

    @routes.get("/deals", response_model=DealPage, responses=FILES)
    def list_deals(
        who: CallerDep,
        owner: str | None = None,
        stage: str | None = None,
        source: str | None = None,
        close_from: date | None = None,
        close_to: date | None = None,
        q: str | None = Query(default=None, max_length=200, description="text in the deal or account name"),
        sort: str = Query(default="expected_close_date", max_length=40),
        limit: int = Query(default=50, ge=1, le=500),
        cursor: str | None = Query(default=None, max_length=1000),
        format: Format = FORMAT,  # noqa: A002 - the query parameter's name
    ) -> Any:
        """With `format` csv or xlsx: every deal the filters match in reach, as a file."""
        access.require(who.identity, "deal", "list")  # a role without a scope: 403, not an empty list
        exporting = format != "json"
        with engine.connect() as connection:
            found = queries.list_deals(
                connection,
                owner=owner,
                stage=stage,
                source=source,
                close_from=close_from,
                close_to=close_to,
                q=q,
                sort=sort,
                limit=EXPORT_CAP if exporting else limit,
                cursor=None if exporting else cursor,
                owners=access.owners(who.identity, "deal", "list"),
            )
        if exporting:
            truncated = found["next_cursor"] is not None
            return export(found["items"], DEAL_COLUMNS, format, "deals", truncated=truncated)
        return found

    @routes.get("/board", response_model=Board, responses=NOT_FOUND)
    def board(
        who: CallerDep,
        pipeline: str = Query(default="default", max_length=100),
        cards: int = Query(default=20, ge=0, le=200, description="cards per column; a column's next_cursor pages on"),
    ) -> dict[str, Any]:
        access.require(who.identity, "deal", "list")
        stages = stage_set(pipeline)
        with engine.connect() as connection:
            return queries.board(connection, stages, owners=access.owners(who.identity, "deal", "list"), cards=cards)

    @routes.get("/live", status_code=200, response_class=EventStream, responses=STREAM)
    async def changes(who: CallerDep, last_event_id: LastEventId = None) -> EventStream:
        """`changed` each time the pipeline's read model (the board, the list view) moves on:
        no data, only the cue to fetch again through the routes above."""
        access.require(who.identity, "changes", "subscribe")
        return EventStream(live.events(last_event_id))

    @routes.get("/deals/{deal_id}", response_model=PipelineDeal, responses=NOT_FOUND)
    def get_deal(deal_id: UUID, who: CallerDep) -> dict[str, Any]:
        access.require(who.identity, "deal", "read")
        deal = app.get_deal(deal_id)
        access.check(who.identity, "deal", "read", deal.owner_id)
        return queries.detail(deal, app.clock.now())

    @routes.get("/deals/{deal_id}/history", response_model=PipelineHistory, responses=NOT_FOUND)
    def history(deal_id: UUID, who: CallerDep, as_of: datetime | None = None) -> dict[str, Any]:
        """Every pipeline event of the deal (who, when, why) and its stage spans, as it
        stood at `as_of` if given. The same reach as the deal itself."""
        access.require(who.identity, "deal", "read history")
        access.check(who.identity, "deal", "read history", app.get_deal(deal_id).owner_id)
        return deal_history(app, deal_id, as_of)

    @routes.post("/deals/{deal_id}/stage", response_model=PipelineDeal, responses=NOT_FOUND)
    def change_stage(deal_id: UUID, body: ChangeStage, who: CallerDep) -> dict[str, Any]:
        check = may_change(who)
        deal = app.change_stage(deal_id, body.to_stage, body.reason, who.meta, check=check)
        return queries.detail(deal, app.clock.now())

    @routes.patch("/deals/{deal_id}", response_model=PipelineDeal, responses=NOT_FOUND)
    def edit(deal_id: UUID, body: EditDeal, who: CallerDep) -> dict[str, Any]:
        check = may_change(who)
        return queries.detail(app.update(deal_id, body.changes(), who.meta, check=check), app.clock.now())

    @routes.put("/deals/{deal_id}/line-items", response_model=PipelineDeal, responses=NOT_FOUND)
    def set_line_items(deal_id: UUID, body: SetLineItems, who: CallerDep) -> dict[str, Any]:
        """The deal's items, all of them at once (what is left out is removed): one edit is
        one event and one value change, whatever number of rows the screen changed."""
        check = may_change(who)
        items = [
            {
                **item.model_dump(mode="python"),
                "unit_price": item.unit_price and item.unit_price.model_dump(mode="json"),
            }
            for item in body.items
        ]
        return queries.detail(app.set_line_items(deal_id, items, who.meta, check=check), app.clock.now())

    @routes.post("/deals/{deal_id}/activities", status_code=201, response_model=Activity, responses=NOT_FOUND)
    def log_activity(deal_id: UUID, body: LogActivity, who: CallerDep) -> dict[str, Any]:
        check = may_change(who)
        deal, activity_id = app.log_activity(
            deal_id,
            body.kind,
            body.subject,
            body.occurred_at,
            body.due_at,
            who.meta,
            body.duration_minutes,
            check=check,
        )
        return {"activity_id": activity_id, **deal.activities[activity_id]}

    @routes.post("/deals/{deal_id}/activities/{activity_id}/done", response_model=Activity, responses=NOT_FOUND)
    def complete_task(deal_id: UUID, activity_id: str, who: CallerDep) -> dict[str, Any]:
        check = may_change(who)
        return app.complete_task(deal_id, activity_id, who.meta, check=check).activities[activity_id]

    routes.include_router(files_routes(app, access, files))

    @routes.post("/deals/{deal_id}/close", response_model=PipelineDeal, responses=NOT_FOUND)
    def close(deal_id: UUID, body: CloseDeal, who: CallerDep) -> dict[str, Any]:
        check = may_change(who)
        deal = app.close_deal(deal_id, body.outcome, body.reason, body.competitor, who.meta, check=check)
        return queries.detail(deal, app.clock.now())

    @routes.post("/deals/{deal_id}/reopen", response_model=PipelineDeal, responses=NOT_FOUND)
    def reopen(deal_id: UUID, body: Reopen, who: CallerDep) -> dict[str, Any]:
        access.require(who.identity, "deal", "review")
        access.check(who.identity, "deal", "review", app.get_deal(deal_id).owner_id)
        return queries.detail(app.reopen(deal_id, body.to_stage, body.reason, who.meta), app.clock.now())

    return routes
