"""The real server (`crm serve all`, uvicorn) stops at once on SIGTERM with live streams
open: they end as complete responses, and the graceful stop waits for nothing."""

from __future__ import annotations

import signal
import threading

import httpx

from tests.support.identities import REP
from tests.support.processes import ServiceProcess


def test_sigterm_ends_open_live_streams_cleanly_and_the_server_exits(tmp_path):
    process = ServiceProcess("all", {"CRM_DATA_DIR": str(tmp_path / "data"), "CRM_POLL_INTERVAL": "0.05"}, tmp_path)
    process.env.pop("CRM_DATABASE_URL", None)
    process.env.pop("CRM_KAFKA_BOOTSTRAP_SERVERS", None)
    process.start()
    try:
        with (
            httpx.Client(base_url=process.url, timeout=30) as http,
            http.stream("GET", "/pipeline/live", headers=REP) as pipeline,
            http.stream("GET", "/registration/live", headers=REP) as registration,
        ):
            streams = [pipeline, registration]
            lines = [stream.iter_lines() for stream in streams]
            for each in lines:
                assert "event: ready" in [next(each) for _ in range(2)]
            assert process.process is not None
            stopping = threading.Thread(target=process.stop, args=(signal.SIGTERM,))
            stopping.start()
            for each in lines:
                list(each)  # to the end: httpx raises on a chunked body cut off before its last chunk
            stopping.join()
        # uvicorn re-raises the signal it stopped for once done: -SIGTERM, not a crash
        assert process.process.returncode == -signal.SIGTERM
        log = process.log_path.read_text()
        assert "Application shutdown complete" in log
        assert "timeout graceful shutdown exceeded" not in log, log[-2000:]
    finally:
        process.stop(signal.SIGKILL)
