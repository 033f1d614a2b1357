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


def _compare(
    old: dict[str, Any], new: dict[str, Any], old_root: dict[str, Any], new_root: dict[str, Any], where: str
) -> list[str]:
    problems = []
    old_props, new_props = old.get("properties", {}), new.get("properties", {})
    for name, old_prop in old_props.items():
        if name not in new_props:
            problems.append(f"{where}{name}: removed")
        elif name != "data":
            problems += _shape_changes(_shape(old_prop, old_root), _shape(new_props[name], new_root), f"{where}{name}")
    for name in set(new.get("required", ())) - set(old.get("required", ())):
        problems.append(f"{where}{name}: newly required")
    if "data" in old_props and "data" in new_props:
        problems += _compare(old_props["data"], new_props["data"], old_root, new_root, f"{where}data.")
    return problems


def _shape_changes(old: Any, new: Any, where: str) -> list[str]:
    """Nested objects may grow optional fields too; anything else must keep its shape."""
    if isinstance(old, dict) and isinstance(new, dict):
        if "properties" in old and "properties" in new:
            rest_old = {k: v for k, v in old.items() if k not in ("properties", "required")}
            rest_new = {k: v for k, v in new.items() if k not in ("properties", "required")}
            problems = [] if rest_old == rest_new else [f"{where}: type changed"]
            for name, prop in old["properties"].items():
                if name not in new["properties"]:
                    problems.append(f"{where}.{name}: removed")
                else:
                    problems += _shape_changes(prop, new["properties"][name], f"{where}.{name}")
            problems += [
                f"{where}.{n}: newly required" for n in set(new.get("required", ())) - set(old.get("required", ()))
            ]
            return problems
        if set(old) == set(new) and all(isinstance(old[k], dict | list) for k in ("items", "anyOf") if k in old):
            nested = [k for k in ("items", "anyOf") if k in old]
            if nested and all(old[k] == new[k] for k in old if k not in nested):
                return [p for k in nested for p in _shape_changes(old[k], new[k], where)]
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        return [p for o, n in zip(old, new, strict=True) for p in _shape_changes(o, n, where)]
    return [] if old == new else [f"{where}: type changed"]


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
        "data.competitor: removed",
        "data.outcome: type changed",
        "data.reason: newly required",
    ]


def test_adding_an_optional_field_is_compatible():
    old = event_schema("crm.deal.closed.v1")
    new = copy.deepcopy(old)
    new["properties"]["data"]["properties"]["discount"] = {"type": "string"}
    assert breaking_changes(old, new) == []


def test_a_nested_object_may_gain_an_optional_field_but_not_lose_or_retype_one():
    old = event_schema("crm.deal.registered.v1")
    grown = copy.deepcopy(old)
    contact = grown["$defs"]["DealContact"]
    contact["properties"]["title"] = {"type": "string"}
    assert breaking_changes(old, grown) == []
    contact["properties"]["name"] = {"type": "integer"}
    del contact["properties"]["id"]
    assert sorted(breaking_changes(old, grown)) == ["data.contacts.id: removed", "data.contacts.name: type changed"]
