"""Child process of `make bench`: rebuild the pipeline's list projection from a store that
the parent filled, and read the same events with a raw SELECT, in a process of its own so
that its peak memory is the rebuild's alone. Prints one JSON line.

    python bench/rebuild.py <database url> <schema prefix>
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).parents[1]))

from services.pipeline.bootstrap import bootstrap  # noqa: E402
from shared.readmodels.projection import Projector  # noqa: E402
from shared.settings import Settings  # noqa: E402


def rss_mib(field: str = "VmRSS") -> float:
    """Resident memory now (VmRSS) or at its peak so far (VmHWM), in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main(url: str, prefix: str) -> None:
    service = bootstrap(Settings(database_url=url, schema_prefix=prefix, poll_interval=60, batch_size=2000))
    live = service.projectors[0]
    shadow_engine = service.storage.shadow("rebuild")
    shadow = Projector(service.app, shadow_engine, live.projection, 2000)
    shadow.create_tables(recreate=True)
    total = service.app.recorder.max_notification_id() or 0
    samples: dict[str, float] = {"start": rss_mib()}
    marks = {int(total * share): f"{int(share * 100)}%" for share in (0.1, 0.5)}
    applied, started = 0, time.perf_counter()
    while done := shadow.run_once():
        applied += done
        for mark, name in list(marks.items()):
            if applied >= mark:
                samples[name] = rss_mib()
                del marks[mark]
    ours = time.perf_counter() - started
    samples["100%"] = rss_mib()
    samples["peak"] = rss_mib("VmHWM")  # the process's whole life: start-up and the rebuild

    schema = f"{prefix}pipeline"
    started, read = time.perf_counter(), 0
    with psycopg.connect(url) as connection, connection.cursor(name="raw") as cursor:
        cursor.itersize = 2000
        cursor.execute(f'SELECT * FROM "{schema}".pipeline_events ORDER BY notification_id')
        for _ in cursor:
            read += 1
    raw = time.perf_counter() - started
    print(json.dumps({"events": applied, "ours_seconds": ours, "raw_rows": read, "raw_seconds": raw, "rss": samples}))
    shadow_engine.dispose()
    service.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
