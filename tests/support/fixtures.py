"""Example bodies and schemas from the API documents, carried in `tests/fixtures/`.

Copied once from the documents' own examples (the Livepeer Studio OpenAPI, the Uiza live
session pages, the live-calls API reference); the suite reads nothing outside the repository.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def load(name: str) -> Any:
    """`tests/fixtures/<name>.json`, decoded."""
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
