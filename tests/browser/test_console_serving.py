"""How the embedded process hands out the console (crm/console.py); no browser needed."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from crm.console import install


def app_with_console(dist: Path) -> TestClient:
    app = FastAPI(docs_url=None, redoc_url=None)  # as crm.app builds it

    @app.post("/pipeline/deals/{deal_id}/stage")
    def change_stage(deal_id: str) -> dict[str, str]:
        return {"deal_id": deal_id}

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    install(app, api_prefixes=("registration", "pipeline", "forecast"), dist=dist)
    return TestClient(app)


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html><div id=root></div>")
    (tmp_path / "assets" / "index-abc123.js").write_text("console.log(1)")
    return tmp_path


def test_the_console_is_served_at_the_root(dist):
    answer = app_with_console(dist).get("/")
    assert answer.status_code == 200
    assert "id=root" in answer.text
    assert answer.headers["cache-control"] == "no-cache"


def test_a_client_route_gets_the_console_so_a_reload_keeps_the_page(dist):
    for path in ("/board", "/deals/3f1c", "/signin?next=/board", "/forecast", "/reports"):
        answer = app_with_console(dist).get(path)
        assert answer.status_code == 200 and "id=root" in answer.text, path


def test_the_bundles_are_served_and_cached_for_good(dist):
    answer = app_with_console(dist).get("/assets/index-abc123.js")
    assert answer.status_code == 200
    assert "immutable" in answer.headers["cache-control"]


def test_a_missing_bundle_is_a_404_not_the_page(dist):
    assert app_with_console(dist).get("/assets/gone.js").status_code == 404


def test_api_paths_are_never_shadowed(dist):
    client = app_with_console(dist)
    assert client.get("/pipeline/no-such-route").status_code == 404
    assert client.get("/pipeline/no-such-route").headers["content-type"] == "application/json"
    assert client.get("/pipeline/deals/x/stage").status_code == 405  # a POST route stays one
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/redoc").status_code == 404  # ReDoc would load from a CDN: not offered
    assert client.get("/forecast/no-such-route").status_code == 404  # below the prefix: the API's
    assert client.get("/forecast/no-such-route").headers["content-type"] == "application/json"


def test_no_file_outside_the_build_is_handed_out(dist):
    (dist.parent / "secret.txt").write_text("no")
    answer = app_with_console(dist).get("/..%2Fsecret.txt")
    assert "no" != answer.text


def test_without_a_build_the_root_says_how_to_make_one(tmp_path):
    answer = app_with_console(tmp_path / "missing").get("/")
    assert answer.status_code == 503
    assert "npm run build" in answer.text and "make run" in answer.text


def test_the_console_target_serves_the_console_alone_with_its_probes(dist):
    """`crm serve console`, as Kubernetes runs it behind the ingress's `/`."""
    from crm.console import console_app

    client = TestClient(console_app(dist))
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").status_code == 200
    assert "id=root" in client.get("/board").text
    # the services' prefixes and the embedded-only demo are never answered with the page
    for path in ("/pipeline/board", "/registration/deals", "/forecast/pipeline", "/demo", "/openapi.json"):
        assert client.get(path).status_code == 404, path


def test_the_console_target_is_not_ready_without_a_build(tmp_path):
    from crm.console import console_app

    client = TestClient(console_app(tmp_path))
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 503
