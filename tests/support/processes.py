"""Services as separate processes (`crm serve <service>`), the way they run in production."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.support.infrastructure import die_with_parent, drop_schemas, free_port


def isolated_env(database_url: str, prefix: str, kafka: str, **extra: str) -> dict[str, str]:
    """What a test's service processes share, and share with no other test: schemas,
    topics and consumer groups under `prefix` (a group shared across tests would
    rebalance with their processes too)."""
    return {
        "CRM_DATABASE_URL": database_url,
        "CRM_SCHEMA_PREFIX": prefix,
        "CRM_KAFKA_BOOTSTRAP_SERVERS": kafka,
        "CRM_KAFKA_TOPIC_PREFIX": prefix,
        "CRM_KAFKA_GROUP_PREFIX": prefix,
        "CRM_POLL_INTERVAL": "0.1",
        **extra,
    }


class ServiceProcess:
    def __init__(self, service: str, env: dict[str, str], log_dir: Path) -> None:
        self.service = service
        self.port = free_port()
        self.env = {**os.environ, **env, "CRM_PORT": str(self.port), "CRM_HOST": "127.0.0.1"}
        self.log_path = log_dir / f"{service}-{self.port}.log"
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> ServiceProcess:
        """Launched and ready; stopped again when it does not get ready (a fixture that
        fails before its `yield` never reaches its clean-up)."""
        self.launch()
        try:
            return self.wait_ready(timeout)
        except BaseException:
            self.stop()
            raise

    def launch(self) -> ServiceProcess:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "crm.cli", "serve", self.service],
            env=self.env,
            stdout=log,
            stderr=log,
            preexec_fn=die_with_parent,
        )
        return self

    def wait_ready(self, timeout: float = 30.0) -> ServiceProcess:
        """Until /readyz answers 200: connected, consumer groups joined, caught up. (HTTP,
        and /healthz, answer from the first second: `wait_live`.)"""
        return self._wait_for("/readyz", timeout)

    def wait_live(self, timeout: float = 30.0) -> ServiceProcess:
        return self._wait_for("/healthz", timeout)

    def _wait_for(self, path: str, timeout: float) -> ServiceProcess:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        answer = "no answer"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.service} exited: {self.log_path.read_text()[-3000:]}")
            try:
                response = httpx.get(f"{self.url}{path}", timeout=1)
                if response.status_code == 200:
                    return self
                answer = response.text
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"{self.service}: {path} not 200 ({answer}): {self.log_path.read_text()[-3000:]}")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(sig)
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=10)


class Routes:
    """Send each path prefix to the process serving it, as one ingress would."""

    def __init__(self, processes: dict[str, ServiceProcess]) -> None:
        self.clients = {name: process.client() for name, process in processes.items()}

    def _for(self, path: str) -> httpx.Client:
        return self.clients[path.strip("/").split("/")[0]]

    def get(self, path: str, **kwargs: object) -> httpx.Response:
        return self._for(path).get(path, **kwargs)  # type: ignore[arg-type]

    def post(self, path: str, **kwargs: object) -> httpx.Response:
        return self._for(path).post(path, **kwargs)  # type: ignore[arg-type]

    def put(self, path: str, **kwargs: object) -> httpx.Response:
        return self._for(path).put(path, **kwargs)  # type: ignore[arg-type]


class Cluster:
    def __init__(self, processes: dict[str, ServiceProcess], prefix: str) -> None:
        self.processes = processes
        self.topic_prefix = prefix
        self.http = Routes(processes)


@contextmanager
def running_cluster(
    database_url: str,
    kafka: str,
    log_dir: Path,
    extra_env: dict[str, str] | None = None,
    services: tuple[str, ...] = ("registration", "pipeline", "forecast"),
) -> Iterator[Cluster]:
    """The services (the first three unless told) as processes, with schemas and topics of their own."""
    prefix = f"t{uuid.uuid4().hex[:10]}_"
    env = isolated_env(database_url, prefix, kafka, **(extra_env or {}))
    processes = {name: ServiceProcess(name, env, log_dir) for name in services}
    try:
        for process in processes.values():
            process.launch()  # in parallel: each waits seconds for its consumer group
        for process in processes.values():
            process.wait_ready()
        yield Cluster(processes, prefix)
    finally:
        for process in processes.values():
            process.stop()
        drop_schemas(database_url, prefix)
