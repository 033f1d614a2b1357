"""The public contract may only grow: a test against the schemas as first published.

Policy (see docs/analytics.md): within a major version fields are only added, and only as
optional; a field is never removed, renamed, retyped or made required. A breaking change
is a new type `….v2`, published beside `….v1` for a deprecation window. The baseline here
is the v1 schemas as first published; it changes only when a new major version is added.
"""
from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from shared.contracts.events import CATALOGUE
from shared.contracts.schemas import event_schema

BASELINE = Path(__file__).parent / "baseline"


def breaking_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What a consumer written against `old` would trip over in `new`."""
    return _compare(old, new, old, new, "")


def _compare(old: dict[str, Any], new: dict[str, Any], old_root: dict[str, Any], new_root: dict[str, Any], where: str) -> list[str]:
    problems = []
    old_props, new_props = old.get("properties", {}), new.get("properties", {})
    for name, old_prop in old_props.items():
        if name not in new_props:
            problems.append(f"{where}{name}: removed")
        elif name != "data" and _shape(old_prop, old_root) != _shape(new_props[name], new_root):
            problems.append(f"{where}{name}: type changed")
    for name in set(new.get("required", ())) - set(old.get("required", ())):
        problems.append(f"{where}{name}: newly required")
    if "data" in old_props and "data" in new_props:
        problems += _compare(old_props["data"], new_props["data"], old_root, new_root, f"{where}data.")
    return problems


def _shape(prop: Any, root: dict[str, Any]) -> Any:
    """A property's type, with $refs resolved and documentation left out."""
    if isinstance(prop, list):
        return [_shape(item, root) for item in prop]
    if not isinstance(prop, dict):
        return prop
    if "$ref" in prop:
        return _shape(root.get("$defs", {}).get(prop["$ref"].split("/")[-1], {}), root)
    ignored = {"title", "description", "default", "examples"}
    return {key: _shape(value, root) for key, value in prop.items() if key not in ignored}


@pytest.mark.parametrize("path", sorted(BASELINE.glob("*.json")), ids=lambda p: p.stem)
def test_every_published_event_type_still_reads_as_it_was_first_published(path):
    event_type = path.stem
    assert event_type in CATALOGUE, f"{event_type} was published and must stay (deprecate it, never drop it)"
    assert breaking_changes(json.loads(path.read_text()), event_schema(event_type)) == []


def test_the_check_catches_a_removed_a_retyped_and_a_newly_required_field():
    old = event_schema("crm.deal.closed.v1")
    new = copy.deepcopy(old)
    data = new["properties"]["data"]
    del data["properties"]["competitor"]
    data["properties"]["outcome"] = {"type": "integer"}
    data["required"].append("reason")
    assert sorted(breaking_changes(old, new)) == [
        "data.competitor: removed", "data.outcome: type changed", "data.reason: newly required",
    ]


def test_adding_an_optional_field_is_compatible():
    old = event_schema("crm.deal.closed.v1")
    new = copy.deepcopy(old)
    new["properties"]["data"]["properties"]["discount"] = {"type": "string"}
    assert breaking_changes(old, new) == []
