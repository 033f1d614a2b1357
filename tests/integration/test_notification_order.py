"""Notification ids become visible in the order they were issued: the outbox relay and every
projection tail the log by position, so an id that commits after a higher one would be
passed over for good (the soak, `make soak`, found a registration its own read model and
the pipeline never saw, once the store's insert function had dropped the table lock)."""

from __future__ import annotations

import threading
import uuid

import psycopg
from eventsourcing.persistence import StoredEvent

from services.pipeline.bootstrap import bootstrap as pipeline_service
from shared.settings import Settings


def test_a_write_waits_for_an_earlier_uncommitted_one_so_a_reader_never_passes_a_gap_that_fills_later(
    database_url, schema_prefix, tmp_path
):
    service = pipeline_service(
        Settings(database_url=database_url, schema_prefix=schema_prefix, poll_interval=60, data_dir=tmp_path)
    )
    table = f'"{schema_prefix}pipeline".pipeline_events'
    later_ids: list[int] = []
    try:
        with psycopg.connect(database_url) as earlier:
            # An id issued and not yet committed, as a command's insert is before its commit.
            (earlier_id,) = earlier.execute(
                f"INSERT INTO {table} (originator_id, originator_version, topic, state)"
                " VALUES (%s, 1, 'test:Earlier', '{}'::bytea) RETURNING notification_id",
                (uuid.uuid4(),),
            ).fetchone()  # type: ignore[misc]
            writer = threading.Thread(
                target=lambda: later_ids.extend(
                    service.app.recorder.insert_events([StoredEvent(uuid.uuid4(), 1, "test:Later", b"{}")]) or []
                )
            )
            writer.start()
            writer.join(1.5)
            waited = writer.is_alive()
            seen_meanwhile = [n.id for n in service.app.recorder.select_notifications(earlier_id, 10)]
            earlier.commit()
        writer.join(10)

        assert waited, "the later write committed while an earlier id was still open"
        assert seen_meanwhile == []
        assert later_ids and later_ids[0] > earlier_id
    finally:
        service.close()
