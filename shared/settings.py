"""Typed settings, read from the environment once by each composition root and passed in.

Every variable is prefixed `CRM_`. Without `CRM_DATABASE_URL` a service keeps SQLite files
under `CRM_DATA_DIR`; without `CRM_KAFKA_BOOTSTRAP_SERVERS` the embedded process uses its
in-process bus.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Required, TypedDict, TypeVar

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    import ssl

# PostgreSQL over TLS: set libpq's own variables (PGSSLMODE=verify-full, PGSSLROOTCERT=…);
# every connection the services open honours them.


class Settings(BaseSettings):
    """Secrets are SecretStr: their repr and any log line show `**********`."""

    # Secrets may also come as files (Kubernetes Secret volumes): CRM_SECRETS_DIR names the
    # folder, each file named after its variable (CRM_DATABASE_URL, CRM_KAFKA_SASL_PASSWORD, …).
    model_config = SettingsConfigDict(env_prefix="CRM_", extra="ignore", secrets_dir=os.environ.get("CRM_SECRETS_DIR"))

    database_url: SecretStr | None = Field(
        default=None,
        description="PostgreSQL URL (postgresql://user:pass@host:5432/db); unset: SQLite files",
    )
    group_commit: bool = Field(
        default=True,
        description="PostgreSQL: concurrent commands of one process share one transaction and one commit "
        "(false: one transaction each)",
    )
    schema_prefix: str = Field(default="crm_", description="each service keeps its tables in schema <prefix><service>")
    data_dir: Path = Field(default=Path("data"), description="where SQLite files live")
    kafka_bootstrap_servers: str | None = Field(
        default=None, description="comma-separated host:port list; unset: in-process bus"
    )
    kafka_security_protocol: str = Field(
        default="PLAINTEXT", pattern="^(PLAINTEXT|SSL|SASL_PLAINTEXT|SASL_SSL)$", description="how to reach Kafka"
    )
    kafka_sasl_mechanism: str = Field(default="SCRAM-SHA-512", description="PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512")
    kafka_sasl_username: str | None = Field(default=None, description="SASL user")
    kafka_sasl_password: SecretStr | None = Field(default=None, description="SASL password (never logged)")
    kafka_ssl_cafile: Path | None = Field(default=None, description="CA bundle that signed the brokers' certificates")
    max_request_bytes: int = Field(default=262_144, description="largest JSON request body (413 beyond)")
    max_upload_bytes: int = Field(default=6_291_456, description="largest multipart upload (imports; 413 beyond)")
    attachment_max_bytes: int = Field(
        default=20_971_520, ge=1, description="largest file attached to an activity (413 beyond)"
    )
    blob_s3_endpoint: str | None = Field(
        default=None,
        pattern=r"^https?://[^/\s]+/?$",
        description="S3-compatible object storage for attachments (http(s)://host:port: MinIO, Ceph, a cloud's "
        "S3); unset: files under <data_dir>/blobs",
    )
    blob_s3_bucket: str = Field(default="crm-blobs", description="the bucket attachments go to (made when missing)")
    blob_s3_prefix: str = Field(default="", description="prefix of every object key (shares a bucket)")
    blob_s3_region: str | None = Field(default=None, description="the bucket's region, if the store asks for one")
    blob_s3_access_key: str | None = Field(default=None, description="S3 access key id")
    blob_s3_secret_key: SecretStr | None = Field(default=None, description="S3 secret key (never logged)")
    kafka_topic_prefix: str = Field(
        default="", description="prefix to every topic name (isolates tenants, stages or tests)"
    )
    kafka_partitions: int = Field(default=6, description="partitions of the topics created at start-up when missing")
    kafka_idempotent_producer: bool = Field(
        default=False, description="enable the idempotent producer (needs broker support)"
    )
    kafka_fetch_max_wait_ms: int = Field(
        default=100,
        ge=1,
        description="longest a consumer's fetch waits on an empty partition: the worst added delivery delay "
        "on brokers that do not answer a fetch as soon as data arrives",
    )
    kafka_group_prefix: str = Field(default="crm-", description="consumer group of a service: <prefix><service>")
    host: str = Field(default="127.0.0.1", description="HTTP listen address")
    port: int = Field(default=8000, description="HTTP listen port")
    poll_interval: float = Field(
        default=0.5,
        description="seconds between notification-log polls when nothing woke the relay",
    )
    batch_size: int = Field(default=500, description="events per relay / projection batch")
    batch_linger: float = Field(
        default=0.01,
        description="seconds a woken relay or projector waits for more events before it runs: fewer, "
        "larger batches under load, at most this much added delay",
    )
    log_format: str = Field(default="json", pattern="^(json|text)$", description="json (one object a line) or text")
    log_level: str = Field(default="INFO", description="DEBUG, INFO, WARNING or ERROR")
    trace_propagation: bool = Field(
        default=False,
        description="carry the request's W3C traceparent into its events, their Kafka headers and every "
        "downstream event (spans are left to an OpenTelemetry SDK of the operator's)",
    )
    teams: dict[str, list[str]] = Field(
        default={}, description='team → its reps\' ids, as JSON ({"east": ["rep-1"]}): what a manager may reach'
    )
    timezone: str = Field(
        default="Asia/Shanghai",
        description="the company's time zone (IANA name): where a day and a week begin for my day and the "
        "activity reports (weeks begin on Monday)",
    )
    auth_issuer: str | None = Field(default=None, description="set to require bearer JWTs from this issuer")
    auth_audience: str = Field(default="crm", description="the audience the tokens must name")
    auth_jwks_url: str | None = Field(default=None, description="where the issuer publishes its signing keys")
    auth_key: SecretStr | None = Field(default=None, description="a verification key instead of a JWKS URL (PEM)")
    auth_key_file: Path | None = Field(default=None, description="the same key, read from a mounted file")
    auth_algorithms: str = Field(default="RS256,ES256", description="accepted signing algorithms, comma-separated")
    auth_leeway_seconds: float = Field(default=30.0, description="clock skew allowed on expiry and not-before")
    recreate_views: bool = Field(default=False, description="drop and rebuild the projections at start-up")
    checkpoint_interval_seconds: float = Field(
        default=60.0,
        gt=0,
        description="how often each service checkpoints its event store (when it changed): every stream's head, "
        "recorded and published on crm.checkpoints for `crm audit verify`",
    )
    smtp_host: str | None = Field(
        default=None, description="the SMTP server notifications mail through; unset: mail waits"
    )
    smtp_port: int = Field(default=25, ge=1, le=65535, description="its port (587 with STARTTLS, usually)")
    smtp_from: str = Field(default="crm@localhost", description="the sender address of notification mails")
    smtp_username: str | None = Field(default=None, description="SMTP user, when the server wants a login")
    smtp_password: SecretStr | None = Field(default=None, description="SMTP password (never logged)")
    smtp_starttls: bool = Field(default=False, description="upgrade the SMTP connection with STARTTLS")
    smtp_timeout_seconds: float = Field(default=10.0, gt=0, description="longest wait for the SMTP server")
    ready_max_lag: int = Field(
        default=10_000,
        ge=0,
        description="readiness: the most events a projection, or messages a consumer, may be behind before "
        "/readyz answers 503 (lagging)",
    )
    ready_stuck_failures: int = Field(
        default=5,
        ge=1,
        description="readiness: consecutive failures after which a relay, projector or job is reported stuck",
    )


M = TypeVar("M", bound=BaseModel)


def load_rules(model: type[M], variable: str, environ: Mapping[str, str] | None = None) -> M:
    """A service's rules: JSON in `variable`, or in the file named by `<variable>_FILE`;
    whatever the document leaves out keeps the model's default."""
    env = os.environ if environ is None else environ
    if text := env.get(variable):
        return model.model_validate(json.loads(text))
    if path := env.get(f"{variable}_FILE"):
        return model.model_validate(json.loads(Path(path).read_text(encoding="utf-8")))
    return model()


class KafkaSecurity(TypedDict, total=False):
    """aiokafka's keyword arguments for TLS and SASL."""

    security_protocol: Required[str]
    ssl_context: ssl.SSLContext
    sasl_mechanism: str
    sasl_plain_username: str | None  # None when the settings name no user
    sasl_plain_password: str | None


def kafka_security(settings: Settings) -> KafkaSecurity:
    """The aiokafka keyword arguments for TLS and SASL (empty for plaintext)."""
    options: KafkaSecurity = {"security_protocol": settings.kafka_security_protocol}
    if settings.kafka_security_protocol in ("SSL", "SASL_SSL"):
        import ssl

        options["ssl_context"] = ssl.create_default_context(
            cafile=str(settings.kafka_ssl_cafile) if settings.kafka_ssl_cafile else None
        )
    if settings.kafka_security_protocol.startswith("SASL"):
        options["sasl_mechanism"] = settings.kafka_sasl_mechanism
        options["sasl_plain_username"] = settings.kafka_sasl_username
        options["sasl_plain_password"] = (
            settings.kafka_sasl_password.get_secret_value() if settings.kafka_sasl_password else None
        )
    return options
