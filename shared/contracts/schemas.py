"""JSON Schemas of the public events, generated from the models.

`python -m shared.contracts.schemas docs/schemas` writes one file per event type; a test
keeps the committed files equal to what the code generates.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from shared.contracts.envelope import CloudEvent
from shared.contracts.events import CATALOGUE


def event_schema(event_type: str) -> dict[str, Any]:
    """The full CloudEvent schema for one type: the envelope with its `data` model."""
    envelope = CloudEvent.model_json_schema(mode="serialization")
    data = CATALOGUE[event_type].model_json_schema(mode="serialization")
    definitions = {**envelope.pop("$defs", {}), **data.pop("$defs", {})}
    envelope["title"] = event_type
    envelope["properties"]["type"] = {"const": event_type, "title": "Type", "type": "string"}
    envelope["properties"]["data"] = data
    if definitions:
        envelope["$defs"] = definitions
    envelope["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return envelope


def rendered() -> dict[str, str]:
    return {
        f"{event_type}.json": json.dumps(event_schema(event_type), indent=2, ensure_ascii=False) + "\n"
        for event_type in sorted(CATALOGUE)
    }


def write(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in rendered().items():
        (folder / name).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    write(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/schemas"))
