"""Print the embedded process's OpenAPI document (all three services), for `npm run api-types`
without a running server: the console's types come from the same document the server serves."""

import json
import sys
import tempfile
from pathlib import Path

from crm.app import create_app
from shared.settings import Settings

with tempfile.TemporaryDirectory() as folder:
    app = create_app(Settings(data_dir=Path(folder) / "data"))
    json.dump(app.openapi(), sys.stdout, ensure_ascii=False, indent=1)
