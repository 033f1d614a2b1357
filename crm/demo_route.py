"""The embedded process's POST /demo: the console's "load demo data" button on an empty board.

Only the embedded mode (the three services in one process, on the in-process bus) installs
it: a distributed service, as Kubernetes runs them, answers 404, so demo data never reaches a
real installation by accident. It is left out of the OpenAPI on purpose: it is a development
convenience, not a service API, and the contract fuzzer must not load three hundred deals.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import FastAPI, Query
from pydantic import BaseModel

from crm.demo import DEFAULT_DEALS, DEFAULT_SEED, Demo, load
from crm.demo_http import InProcess


class DemoState(BaseModel):
    loaded: bool
    story_deal_id: str | None = None


class DemoReport(DemoState):
    deals: int
    outcomes: dict[str, int]
    targets: int


def install(app: FastAPI) -> None:
    running = asyncio.Lock()  # two clicks at once: the second finds the first's story deal

    @app.get("/demo", include_in_schema=False, response_model=DemoState)
    async def demo_state() -> dict[str, Any]:
        """Whether the demo is loaded; that the route answers at all tells the console to offer it."""
        story = await Demo(InProcess(app)).loaded()
        return {"loaded": story is not None, "story_deal_id": story}

    @app.post("/demo", include_in_schema=False, response_model=DemoReport)
    async def load_demo(
        deals: int = Query(default=DEFAULT_DEALS, ge=0, le=2000), seed: int = Query(default=DEFAULT_SEED)
    ) -> dict[str, Any]:
        """Record the demo data through the services' own APIs, once."""
        async with running:
            return await load(InProcess(app), deals, seed)
