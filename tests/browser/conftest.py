"""A real Chromium (Debian's `chromium`, driven by Playwright) against the real embedded server
(`crm serve all` serving the built console). What is missing is installed when it can be
(`apt-get install chromium` as root, `npm ci && npm run build` for the console), and otherwise
skipped on a developer's machine and failed under CI=true (`missing`). Screenshots go to
tmp/artefacts/browser/ (or CRM_TEST_ARTEFACTS), one per test and one more when a test fails."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.browser.board_page import ARTEFACTS
from tests.support.infrastructure import ROOT, missing
from tests.support.processes import ServiceProcess

CONSOLE = ROOT / "console"


def chromium_executable() -> str | None:
    """Debian's chromium; installed with apt-get when absent and running as root."""
    for name in ("chromium", "chromium-browser"):
        if found := shutil.which(name):
            return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        # the CJK font: the screenshots of the zh-CN pages show text, not boxes
        install = ["apt-get", "install", "-y", "--no-install-recommends", "chromium", "fonts-wqy-microhei"]
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        if subprocess.run(install, env=env, capture_output=True).returncode != 0:
            subprocess.run(["apt-get", "update"], env=env, capture_output=True)
            subprocess.run(install, env=env, capture_output=True)
        return shutil.which("chromium")
    return None


def console_node_modules() -> Path:
    """console/node_modules, from package-lock.json (`npm ci`) when absent."""
    modules = CONSOLE / "node_modules"
    if not (modules / ".package-lock.json").is_file():
        npm = shutil.which("npm")
        if npm is None:
            missing("npm, to install the console's packages (console/package-lock.json)")
        result = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=CONSOLE, capture_output=True, text=True)
        if result.returncode != 0:
            pytest.fail(f"npm ci failed in console/:\n{result.stdout[-3000:]}{result.stderr[-3000:]}")
    return modules


def built_console() -> Path:
    """console/dist, built as `make run` builds it when it is missing (the Makefile rebuilds
    a stale one; a test run against a stale build is the developer's `make console` away)."""
    index = CONSOLE / "dist" / "index.html"
    if not index.is_file():
        npm = shutil.which("npm")
        if npm is None:
            missing("npm, to build the console (console/dist)")
        console_node_modules()
        result = subprocess.run([npm, "run", "build"], cwd=CONSOLE, capture_output=True, text=True)
        if result.returncode != 0:
            pytest.fail(f"npm run build failed in console/:\n{result.stdout[-3000:]}{result.stderr[-3000:]}")
    return index


# Package scope, not session: Playwright's sync API keeps an event loop running in the main
# thread while it is open, and the tests collected after these (asyncio.run) need it gone.
@pytest.fixture(scope="package")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("the playwright Python package (requirements-dev.lock)")
    executable = chromium_executable()
    if executable is None:
        missing("Debian's chromium (apt-get install chromium), needed by the browser tests")
    built_console()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def server(tmp_path) -> Iterator[ServiceProcess]:
    """The embedded process on a free port, over a data folder of its own."""
    process = ServiceProcess("all", {"CRM_DATA_DIR": str(tmp_path / "data"), "CRM_POLL_INTERVAL": "0.05"}, tmp_path)
    process.env.pop("CRM_DATABASE_URL", None)
    process.env.pop("CRM_KAFKA_BOOTSTRAP_SERVERS", None)
    process.start()
    yield process
    process.stop()


@pytest.fixture
def api(server: ServiceProcess) -> Iterator[httpx.Client]:
    with server.client() as client:
        yield client


@pytest.fixture
def new_page(browser, server: ServiceProcess, request):
    """A page in a fresh browser context (language `locale`), signed in as `user`; the test's
    screenshot is kept as an artefact, and another on failure."""
    contexts = []

    def open_page(user: str = "rep-1", role: str = "rep", teams: str = "east", locale: str = "zh-CN"):
        context = browser.new_context(locale=locale, viewport={"width": 2200, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.goto(f"{server.url}/?as={user}&role={role}&teams={teams}")
        return page

    yield open_page
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    failed = getattr(request.node, "failed", False)
    for index, context in enumerate(contexts):
        for page in context.pages:
            suffix = "-failed" if failed else ""
            page.screenshot(path=str(ARTEFACTS / f"{request.node.name}-{index}{suffix}.png"))
        context.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call" and report.failed:
        item.failed = True
    return report
