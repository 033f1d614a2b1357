"""Where a service keeps its event store and its read models.

SQLite (the embedded default): two files per service under the data folder, one for the
eventsourcing store and one for the read models and positions. PostgreSQL: one schema per
service holding both, so services share a server but never a table.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.pool import ConnectionPoolEntry

from shared.settings import Settings


@dataclass(frozen=True)
class Storage:
    service: str
    eventstore_env: dict[str, str]
    engine: Engine  # read models and positions
    schema: str | None

    def shadow(self, name: str) -> Engine:
        """A separate place for read models rebuilt beside the live ones (replay, as-of):
        schema `<schema>_<name>` on PostgreSQL, file `views.<name>.sqlite` on SQLite."""
        if self.schema is None:
            database = self.engine.url.database
            if database is None:  # pragma: no cover - the SQLite store is always a file
                raise ValueError("a shadow store needs the SQLite store's file, not an in-memory database")
            folder = database.rsplit("/", 1)[0]
            return _sqlite_engine(f"{folder}/views.{name}.sqlite")
        schema = f"{self.schema}_{name}"
        engine = create_engine(
            self.engine.url, pool_pre_ping=True, execution_options={"schema_translate_map": {None: schema}}
        )
        with engine.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        return engine


def open_storage(settings: Settings, service: str) -> Storage:
    if settings.database_url:
        storage = _postgres(settings.database_url.get_secret_value(), settings.schema_prefix + service, service)
        if settings.group_commit:  # concurrent saves share one transaction (shared.eventstore.groupcommit)
            storage.eventstore_env["APPLICATION_RECORDER_TOPIC"] = "shared.eventstore.groupcommit:GroupCommitRecorder"
        return storage
    return _sqlite(settings.data_dir / service, service)


def _sqlite(folder: Path, service: str) -> Storage:
    folder.mkdir(parents=True, exist_ok=True)
    env = {
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "SQLITE_DBNAME": str(folder / "events.sqlite"),
        "SQLITE_LOCK_TIMEOUT": "10",
    }
    return Storage(service, env, _sqlite_engine(str(folder / "views.sqlite")), None)


def _sqlite_engine(path: str) -> Engine:
    engine = create_engine(f"sqlite:///{path}")

    @event.listens_for(engine, "connect")  # WAL: readers never wait for the projector
    def _pragmas(connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()

    return engine


def _postgres(url: str, schema: str, service: str) -> Storage:
    parts = urlparse(url)
    env = {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": parts.path.lstrip("/") or "postgres",
        "POSTGRES_HOST": parts.hostname or "127.0.0.1",
        "POSTGRES_PORT": str(parts.port or 5432),
        "POSTGRES_USER": unquote(parts.username or "postgres"),
        "POSTGRES_PASSWORD": unquote(parts.password or ""),
        "POSTGRES_SCHEMA": schema,
        "POSTGRES_POOL_SIZE": "5",
        "POSTGRES_MAX_OVERFLOW": "10",
        # Short: the store retries a failed statement ten times, each waiting this long
        # for a pooled connection, before a command can answer 503.
        "POSTGRES_CONNECT_TIMEOUT": "2",
        "POSTGRES_LOCK_TIMEOUT": "5",
        # Off: eventsourcing's insert function (9.5) skips the table lock, so ids could commit
        # out of order and a reader tailing the log (the relay, each projection) would pass
        # one over for good; the soak lost registrations that way.
        "POSTGRES_ENABLE_DB_FUNCTIONS": "n",
    }
    sa_url = url.replace("postgresql://", "postgresql+psycopg://", 1).replace("postgres://", "postgresql+psycopg://", 1)
    engine = create_engine(
        sa_url,
        pool_pre_ping=True,
        execution_options={"schema_translate_map": {None: schema}},
    )
    with engine.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    return Storage(service, env, engine, schema)
