"""Session-wide real servers (one PostgreSQL, one broker, one S3-compatible store, one SMTP
server) and per-test isolation: each test gets its own schema prefix and its own data folder;
and the embedded application most HTTP tests talk to."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from crm.app import create_app
from shared.clock import FixedClock
from shared.settings import Settings
from tests.support.embedded import embedded_settings
from tests.support.infrastructure import (
    Mailbox,
    S3Server,
    drop_schemas,
    kafka_bootstrap,
    postgres_url,
    s3_server,
    smtp_server,
)

TEST_TEAMS = '{"east": ["rep-1", "rep-2", "rep-3", "rep-9", "rep-limited"]}'


@pytest.fixture(scope="session", autouse=True)
def teams():
    """The test managers lead team east, which holds the test reps (every process started
    by a test inherits it)."""
    os.environ["CRM_TEAMS"] = TEST_TEAMS
    yield
    os.environ.pop("CRM_TEAMS", None)


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    with postgres_url() as url:
        yield url


@pytest.fixture(scope="session")
def kafka() -> Iterator[str]:
    with kafka_bootstrap() as bootstrap:
        yield bootstrap


@pytest.fixture(scope="session")
def s3(tmp_path_factory) -> Iterator[S3Server]:
    """One S3-compatible server for the session (SeaweedFS, as tansu is for Kafka)."""
    with s3_server(tmp_path_factory.mktemp("s3")) as server:
        yield server


@pytest.fixture(scope="session")
def smtp() -> Iterator[tuple[int, Mailbox]]:
    """A real SMTP server for the session: (its port, what it received)."""
    with smtp_server() as server:
        yield server


@pytest.fixture
def s3_settings(s3: S3Server, tmp_path) -> Settings:
    """The embedded settings with attachments in a fresh bucket of the session's S3 server."""
    from minio import Minio

    bucket = f"t-{uuid.uuid4().hex[:16]}"
    url = urlsplit(s3.endpoint)
    Minio(url.netloc, access_key=s3.access_key, secret_key=s3.secret_key, secure=url.scheme == "https").make_bucket(
        bucket
    )
    return embedded_settings(
        tmp_path,
        blob_s3_endpoint=s3.endpoint,
        blob_s3_bucket=bucket,
        blob_s3_access_key=s3.access_key,
        blob_s3_secret_key=s3.secret_key,
    )


@pytest.fixture
def mailbox(smtp: tuple[int, Mailbox]) -> Iterator[Mailbox]:
    """The session's SMTP server, accepting again after the test (whatever it refused)."""
    yield smtp[1]
    smtp[1].refuse(0)


@pytest.fixture
def schema_prefix(database_url: str) -> Iterator[str]:
    """A fresh prefix, so this test's schemas (crm-like, one per service) are its own."""
    prefix = f"t{uuid.uuid4().hex[:10]}_"
    yield prefix
    drop_schemas(database_url, prefix)


@pytest.fixture
def sqlite_settings(tmp_path) -> Settings:
    return embedded_settings(tmp_path)


@pytest.fixture
def postgres_settings(database_url: str, schema_prefix: str, tmp_path) -> Settings:
    return Settings(
        database_url=database_url, schema_prefix=schema_prefix, data_dir=tmp_path / "data", poll_interval=0.05
    )


@pytest.fixture(params=["sqlite", "postgres"])
def settings(request) -> Settings:
    """The same test against each durable backend, changing only this fixture."""
    return request.getfixturevalue(f"{request.param}_settings")


@pytest.fixture
def clock() -> FixedClock:
    """A clock the test moves by hand, starting now (the services refuse close dates in the past)."""
    return FixedClock(datetime.now(UTC))


@pytest.fixture
def client(sqlite_settings: Settings) -> Iterator[TestClient]:
    """The three services embedded in this process on SQLite, with the default rules and the
    real clock. A module that needs rules or a clock of its own overrides this fixture."""
    with TestClient(create_app(sqlite_settings)) as http:
        yield http
