"""The console's first screen stays light: a budget on the JavaScript index.html loads
before anything else (the board, the forms and the deal page load lazily after it)."""

from __future__ import annotations

import gzip
import re

from tests.browser.conftest import built_console

# gzip bytes of the initial JavaScript; React + Ant Design's core + i18next are most of it
INITIAL_JS_BUDGET = 320_000


def test_the_initial_javascript_stays_within_its_budget():
    index = built_console()
    dist = index.parent
    initial = re.findall(r'<(?:script|link)[^>]+(?:src|href)="/(assets/[^"]+\.js)"', index.read_text())
    assert initial, "index.html loads no script"
    size = sum(len(gzip.compress((dist / path).read_bytes())) for path in initial)
    assert size <= INITIAL_JS_BUDGET, f"initial JavaScript {size} gzip bytes > {INITIAL_JS_BUDGET}: {initial}"


def test_nothing_is_loaded_from_another_origin():
    index = built_console()
    for path in [index, *index.parent.glob("assets/*.js")]:
        text = path.read_text()
        assert not re.search(r'<(?:script|link)[^>]+(?:src|href)="(?:https?:)?//', text), path
        assert "cdn.jsdelivr" not in text and "unpkg.com" not in text, path
