"""The web console (console/, built into console/dist) served by the embedded process at `/`.

The console is one more client of the public HTTP APIs: this module only hands out its files.
Any GET that no API route answered and that is not under an API prefix gets index.html, so the
console's own routes (/board, /signin, …) survive a reload; an unknown API path stays a 404.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

from fastapi import FastAPI, HTTPException
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.convertors import Convertor, register_url_convertor

# the source tree's build; the image puts its own elsewhere (Dockerfile: CRM_CONSOLE_DIST=/srv/console)
DIST = Path(os.environ.get("CRM_CONSOLE_DIST") or Path(__file__).resolve().parents[1] / "console" / "dist")

NOT_BUILT = """<!doctype html><html lang="en"><meta charset="utf-8"><title>CRM console not built</title>
<h1>The console is not built</h1>
<p>Build it with <code>make run</code> (it runs <code>npm ci &amp;&amp; npm run build</code> in
<code>console/</code> when the sources changed), or by hand:
<code>cd console &amp;&amp; npm ci &amp;&amp; npm run build</code>. The APIs answer meanwhile:
<a href="/docs">/docs</a>.</p></html>"""

# paths the console must never shadow, beside the services' own prefixes
RESERVED = ("docs", "redoc", "openapi.json", "healthz", "readyz", "metrics", "demo")


def console_paths(reserved: Iterable[str], prefixes: Iterable[str] = ()) -> Convertor[str]:
    """Any path outside the reserved names and below none of the API prefixes. Matching them
    not at all (rather than answering 404) keeps a GET on a POST-only API route a 405. A bare
    prefix (`/forecast`) is no API route: it is the console's page of that name."""
    names = "|".join(re.escape(name) for name in sorted(reserved))
    below = "|".join(re.escape(name) for name in sorted({*reserved, *prefixes}))

    class ConsolePath(Convertor[str]):
        regex = rf"(?!(?:{names})$)(?!(?:{below})/).*"

        def convert(self, value: str) -> str:
            return value

        def to_string(self, value: str) -> str:
            return value

    return ConsolePath()


def install(app: FastAPI, api_prefixes: Iterable[str], dist: Path = DIST) -> None:
    register_url_convertor("console", console_paths(RESERVED, api_prefixes))

    def index() -> Response:
        page = dist / "index.html"
        if not page.is_file():
            return HTMLResponse(NOT_BUILT, status_code=503)
        # index.html names the hashed bundles of this build: never cached; the bundles are immutable
        return FileResponse(page, headers={"Cache-Control": "no-cache"})

    @app.get("/", include_in_schema=False)
    def console_root() -> Response:
        return index()

    @app.get("/{path:console}", include_in_schema=False)
    def console_file(path: str) -> Response:
        candidate = (dist / path).resolve()
        if candidate.is_file() and candidate.is_relative_to(dist.resolve()):
            cache = "public, max-age=31536000, immutable" if path.startswith("assets/") else "no-cache"
            return FileResponse(candidate, headers={"Cache-Control": cache})
        if path.startswith("assets/"):
            raise HTTPException(404, "Not Found")  # a missing bundle is not a page
        return index()


def console_app(dist: Path = DIST) -> FastAPI:
    """`crm serve console`: the console's files and nothing else, for Kubernetes, where the ingress
    sends `/` here and each service's prefix to its own Deployment. The console calls the
    services at its own origin, so one host serves both. Ready once the build is there."""
    app = FastAPI(title="CRM console", docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    def readyz() -> JSONResponse:
        """Not ready without index.html: an image built without its console stage serves nothing."""
        built = (dist / "index.html").is_file()
        return JSONResponse({"status": "ready" if built else "not built"}, 200 if built else 503)

    # the services' prefixes are reserved here too: behind a misrouted ingress they are a 404, not index.html
    install(app, api_prefixes=("registration", "pipeline", "forecast", "notifications"), dist=dist)
    return app
