"""The AsyncAPI 3.0 document of every topic and event, generated from the contracts:
`python -m shared.contracts.asyncapi docs/asyncapi.json`. A test keeps it up to date."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from shared.contracts.envelope import CONTENT_TYPE
from shared.contracts.events import CATALOGUE
from shared.contracts.schemas import event_schema
from shared.contracts.topics import CHECKPOINTS, DEADLETTER, FORECAST, PIPELINE, REGISTRATION

PRODUCED_ON = {
    REGISTRATION: (
        "crm.lead.",
        "crm.account.",
        "crm.deal.registered.",
        "crm.deal.registration_",
        "crm.deal.assigned.",
        "crm.deal.recycle",
        "crm.partner.",
    ),
    FORECAST: ("crm.forecast.",),
    CHECKPOINTS: ("crm.checkpoint.",),
}

TOPIC_NOTES = {
    REGISTRATION: "Leads (their end, their conversion scores and models) and registration (报备), ownership, pool "
    "and recycling; channel partners; customer tiers. Key: the deal id (lead events: the lead id; partner "
    "events: the partner's id; tiers: the account id).",
    PIPELINE: "Stage changes, edits, line items, activities, alerts, won / lost; the product catalogue. "
    "Key: the deal id (product events: the product's id).",
    FORECAST: "Forecast snapshots of the month, quarter and year, on a schedule. Key: the snapshot id.",
    DEADLETTER: "Messages a consumer could not process, unchanged, with headers deadletter-reason, "
    "deadletter-consumer and deadletter-topic.",
    CHECKPOINTS: "Every service's checkpoints of its event store (source crm/<service>), for `crm audit verify`: "
    "keep them forever. Key: the service's checkpoint stream id.",
}


def topic_of(event_type: str) -> str:
    for topic, prefixes in PRODUCED_ON.items():
        if event_type.startswith(prefixes):
            return topic
    return PIPELINE


def _hoisted(payload: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    """The payload with its `$defs` moved into `components/schemas` (shared by every
    message) and its `#/$defs/…` references pointed there: a reference in an AsyncAPI
    document resolves against the document's root, not the payload's."""
    payload = dict(payload)
    for name, definition in payload.pop("$defs", {}).items():
        definition = _rewritten(definition)  # a definition may refer to another (a line's Money)
        if schemas.setdefault(name, definition) != definition:
            raise ValueError(f"two events define the schema {name!r} differently: rename one model")
    hoisted: dict[str, Any] = _rewritten(payload)
    return hoisted


def _rewritten(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            key: f"#/components/schemas/{value[len('#/$defs/') :]}"
            if key == "$ref" and isinstance(value, str) and value.startswith("#/$defs/")
            else _rewritten(value)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_rewritten(item) for item in node]
    return node


def document() -> dict[str, Any]:
    messages: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    channels: dict[str, Any] = {}
    for topic, note in TOPIC_NOTES.items():
        channels[topic] = {"address": topic, "description": note, "messages": {}}
    for event_type in sorted(CATALOGUE):
        name = event_type.replace(".", "_")
        messages[name] = {
            "name": event_type,
            "contentType": CONTENT_TYPE,
            "summary": (CATALOGUE[event_type].__doc__ or "").strip().split("\n")[0] or event_type,
            "bindings": {"kafka": {"key": {"type": "string", "description": "the CloudEvent subject"}}},
            "payload": _hoisted(event_schema(event_type), schemas),
        }
        channels[topic_of(event_type)]["messages"][name] = {"$ref": f"#/components/messages/{name}"}
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "CRM deal pipeline events",
            "version": "1.0.0",
            "description": "CloudEvents 1.0, structured mode, JSON. Ordering is per key (deal id); delivery is "
            "at-least-once, so dedupe on the event `id`. Within a major version (`.v1`) fields are only "
            "added, as optional. See docs/analytics.md.",
        },
        "channels": channels,
        "operations": {
            f"receive_{topic.replace('.', '_')}": {"action": "receive", "channel": {"$ref": f"#/channels/{topic}"}}
            for topic in channels
        },
        "components": {"messages": messages, "schemas": dict(sorted(schemas.items()))},
    }


def rendered() -> str:
    return json.dumps(document(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    Path(sys.argv[1] if len(sys.argv) > 1 else "docs/asyncapi.json").write_text(rendered(), encoding="utf-8")
