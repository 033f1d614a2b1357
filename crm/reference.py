"""The configuration reference, generated from the settings and rules classes themselves:
`python -m crm.reference docs/configuration.md`. A test keeps the committed file equal
to what the code generates, so the reference can never drift from the code."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from services.forecast.rules import ForecastRules
from services.notifications.rules import NotificationRules
from services.pipeline.rules import PipelineRules
from services.registration.rules import Rules as RegistrationRules
from shared.settings import Settings

RULES = (
    ("CRM_REGISTRATION_RULES", RegistrationRules, "registration: leads, 报备, 查重, 保有量, 自动回收"),
    ("CRM_PIPELINE_RULES", PipelineRules, "pipeline: lost reasons, alerts"),
    ("CRM_FORECAST_RULES", ForecastRules, "forecast: teams, rates, learned probabilities, snapshots"),
    ("CRM_NOTIFICATION_RULES", NotificationRules, "notifications: team managers, mail retries, links"),
)


def render() -> str:
    lines = [
        "# Configuration reference",
        "",
        "Generated from the settings classes (`python -m crm.reference docs/configuration.md`);",
        "a test fails when this file and the code disagree. Every service reads the same variables.",
        "",
        "## Environment variables",
        "",
        "| variable | default | what it does |",
        "|---|---|---|",
    ]
    for name, field in Settings.model_fields.items():
        lines.append(f"| `CRM_{name.upper()}` | {_default(field.default)} | {field.description or ''} |")
    for variable, _model, what in RULES:
        lines.append(f"| `{variable}` | built-in rules | {what}: a JSON document, keys below |")
        lines.append(f"| `{variable}_FILE` | unset | the same document, read from this file |")
    for variable, model, what in RULES:
        lines += ["", f"## `{variable}`: {what}", "", "| key | default | what it does |", "|---|---|---|"]
        lines += _rows(model)
    return "\n".join(lines) + "\n"


def _rows(model: type[BaseModel], prefix: str = "") -> list[str]:
    rows = []
    for name, field in model.model_fields.items():
        default = field.default
        if isinstance(default, BaseModel):
            rows += _rows(type(default), f"{prefix}{name}.")
            continue
        rows.append(f"| `{prefix}{name}` | {_default(default)} | {field.description or ''} |")
    return rows


def _default(value: Any) -> str:
    if value is None:
        return "unset"
    if isinstance(value, (tuple, list, dict)):
        return f"`{json.dumps(value, default=str, ensure_ascii=False)}`"
    return f"`{value}`"


if __name__ == "__main__":
    Path(sys.argv[1] if len(sys.argv) > 1 else "docs/configuration.md").write_text(render(), encoding="utf-8")
