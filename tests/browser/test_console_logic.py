"""The console's own unit tests (Vitest, console/src/__tests__), run as part of the suite."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from tests.browser.conftest import CONSOLE, console_node_modules
from tests.support.infrastructure import missing


def test_the_consoles_unit_tests_pass():
    npm = shutil.which("npm")
    if npm is None:
        missing("npm, to run the console's unit tests (Vitest)")
    console_node_modules()
    result = subprocess.run(
        [npm, "test", "--silent"], cwd=CONSOLE, capture_output=True, text=True, env={**os.environ, "CI": "true"}
    )
    if result.returncode != 0:
        pytest.fail(f"vitest failed:\n{result.stdout[-4000:]}{result.stderr[-2000:]}", pytrace=False)
