"""The shape every service shares (docs/architecture.md), held by a test so it stays: the
same module names for the same roles, modules that read in one sitting, and a `shared/`
that imports no service."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
SERVICES = ("registration", "pipeline", "forecast", "notifications")
ROLES = {
    "__init__",
    "domain",
    "rules",
    "errors",
    "application",
    "reactions",
    "jobs",
    "projections",
    "queries",
    "requests",
    "responses",
    "api",
    "access",
    "publishing",
    "history",
    "imports",
    "attachments",
    "agenda",
    "activity",
    "bootstrap",
}
LONGEST = 320  # lines: "about 300", a little slack for a docstring


def modules(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*.py") if "__pycache__" not in path.parts)


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_has_only_the_shared_role_names_at_its_top(service):
    top = {
        path.stem
        for path in (ROOT / "services" / service).iterdir()
        if path.suffix == ".py" or (path / "__init__.py").exists()
    }
    assert top <= ROLES, f"not a role of docs/architecture.md: {sorted(top - ROLES)}"
    assert {"domain", "application", "api", "bootstrap", "errors", "projections", "publishing", "queries"} <= top


@pytest.mark.parametrize("folder", ["shared", "services", "crm"])
def test_no_module_is_longer_than_one_sitting(folder):
    long = {
        str(path.relative_to(ROOT)): n
        for path in modules(ROOT / folder)
        if (n := len(path.read_text().splitlines())) > LONGEST
    }
    assert not long


def imported(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    names |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    return names


def test_shared_imports_no_service_and_no_entry_point():
    leaks = {
        str(path.relative_to(ROOT)): sorted(
            name for name in imported(path) if name.split(".")[0] in ("services", "crm")
        )
        for path in modules(ROOT / "shared")
    }
    assert not {path: names for path, names in leaks.items() if names}


@pytest.mark.parametrize("service", SERVICES)
def test_no_service_imports_another(service):
    others = {f"services.{other}" for other in SERVICES if other != service}
    leaks = {
        str(path.relative_to(ROOT)): sorted(name for name in imported(path) if any(name.startswith(o) for o in others))
        for path in modules(ROOT / "services" / service)
    }
    assert not {path: names for path, names in leaks.items() if names}


def test_the_domain_imports_no_web_framework_or_database_driver():
    banned = ("fastapi", "starlette", "sqlalchemy", "psycopg", "sqlite3", "aiokafka", "faststream")
    for service in SERVICES:
        folder = ROOT / "services" / service
        paths = [folder / "domain.py"] if (folder / "domain.py").exists() else modules(folder / "domain")
        for path in paths:
            assert not [name for name in imported(path) if name.split(".")[0] in banned], path
