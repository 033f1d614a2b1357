"""Two replicas of a service starting together after a projection changed shape: one drops
and rebuilds the read model, the other waits for it and finds the new shape; neither fails
its start (PostgreSQL, where replicas share one read-model schema)."""

from __future__ import annotations

import threading

from services.pipeline.bootstrap import bootstrap
from shared.readmodels.positions import advance_position, read_position, read_shape, record_shape
from shared.readmodels.projection import shape_of


def test_two_replicas_finding_a_changed_shape_rebuild_it_once_and_both_start(postgres_settings, caplog):
    first, second = bootstrap(postgres_settings), bootstrap(postgres_settings)
    projector = first.projectors[0]
    name = projector.position_name
    with projector.engine.begin() as connection:  # as an older release left it: built, another shape
        record_shape(connection, name, "0" * 64)
        read_position(connection, name, lock=True)
        advance_position(connection, name, read=0, to=7)

    caplog.set_level("WARNING")
    start = threading.Barrier(2)
    failures: list[BaseException] = []

    def start_replica(service) -> None:
        start.wait()
        try:
            service.projectors[0].create_tables()
        except BaseException as error:  # noqa: BLE001 - what the replica's start would die of
            failures.append(error)

    replicas = [threading.Thread(target=start_replica, args=(s,)) for s in (first, second)]
    for replica in replicas:
        replica.start()
    for replica in replicas:
        replica.join(timeout=60)

    assert failures == []
    rebuilt = [r for r in caplog.records if "changed shape: rebuilding" in r.getMessage()]
    assert len(rebuilt) == 1  # the other replica waited, then found the new shape
    with projector.engine.connect() as connection:
        assert read_shape(connection, name) == shape_of(projector.projection.metadata)
        assert read_position(connection, name) == 0  # dropped and to be rebuilt from the store
