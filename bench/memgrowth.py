"""What a service keeps per command: registration in this process on PostgreSQL, WARM keyed
registrations to fill what fills once, then tracemalloc over COUNT more, and the allocation
sites that grew most with the frames that made them. Slow (tracemalloc): about ten minutes
for the defaults. `.venv/bin/python bench/memgrowth.py [WARM] [COUNT]`; the soak
(`make soak`) shows the same as resident memory per minute across processes."""

from __future__ import annotations

import gc
import json
import os
import sys
import time
import tracemalloc
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1]))

from fastapi.testclient import TestClient  # noqa: E402

from bench.common import URL  # noqa: E402
from crm.app import create_app  # noqa: E402
from shared.settings import Settings  # noqa: E402


def main(warm: int = 800, count: int = 1000) -> None:
    os.environ["CRM_REGISTRATION_RULES"] = json.dumps({"holding_limit": 1_000_000})
    prefix = f"mem{uuid.uuid4().hex[:6]}_"
    settings = Settings(database_url=URL, schema_prefix=prefix, poll_interval=0.5, checkpoint_interval_seconds=5)
    numbers = iter(range(10**9))

    def register(http: TestClient, n: int) -> None:
        for _ in range(n):
            i = next(numbers)
            body = {
                "name": f"C{i} rollout",
                "account": {"name": f"Memory Customer {i:07d} Ltd."},
                "value": {"amount": "120000.00", "currency": "CNY"},
                "expected_close_date": "2027-06-30",
            }
            headers = {"X-User-Id": f"rep-{i % 7}", "X-User-Role": "rep", "Idempotency-Key": str(uuid.uuid4())}
            answer = http.post("/registration/deals", json=body, headers=headers)
            assert answer.status_code == 201, answer.text

    with TestClient(create_app(settings, names=["registration"])) as http:
        register(http, warm)
        time.sleep(6)  # a checkpoint, and the projector caught up
        gc.collect()
        tracemalloc.start(10)
        before = tracemalloc.take_snapshot()
        register(http, count)
        time.sleep(6)
        gc.collect()
        grown = tracemalloc.take_snapshot().compare_to(before, "traceback")
    print(f"{sum(s.size_diff for s in grown) / 1e6:.2f} MB grown over {count} registrations (after {warm})")
    for stat in grown[:12]:
        print(f"{stat.size_diff / 1e6:.2f} MB in {stat.count_diff} objects, made at")
        for line in stat.traceback.format():
            if "/site-packages/" in line or str(Path(__file__).parents[1]) in line:
                print("   ", line.strip())


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
