"""The HTTP server: uvicorn's, made to end the open live streams as it begins to stop.

uvicorn turns SIGTERM into a graceful stop: no new connections, then it waits for every
open response before the lifespan shutdown (which stops the consumers, lets in-flight work
commit and closes the stores). A live stream never finishes by itself, so an open board
would hold the stop until `timeout_graceful_shutdown` cancels everything, in-flight
commands included; ending the streams first lets the stop proceed at once.
"""

from __future__ import annotations

import socket

import uvicorn
from fastapi import FastAPI

from shared.web.live import close_streams

GRACEFUL_SHUTDOWN_SECONDS = 20


class Server(uvicorn.Server):
    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        close_streams()
        await super().shutdown(sockets)


def serve(app: FastAPI, host: str, port: int) -> None:
    config = uvicorn.Config(
        app, host=host, port=port, log_config=None, timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS
    )
    Server(config).run()
