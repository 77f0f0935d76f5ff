"""Example bodies lifted straight out of the user's seed documents in `../shared/seeds/`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"


def json_blocks(name_prefix: str) -> list[Any]:
    """Every JSON object or array embedded in the seed file whose name starts with the prefix."""
    (path,) = SEEDS.glob(f"{name_prefix}_*.txt")
    text = path.read_text(encoding="utf-8", errors="replace")
    decoder = json.JSONDecoder()
    found: list[Any] = []
    i = 0
    while i < len(text):
        if text[i] in "{[":
            try:
                value, end = decoder.raw_decode(text, i)
            except ValueError:
                i += 1
                continue
            if isinstance(value, dict | list) and value:
                found.append(value)
            i = end
        else:
            i += 1
    return found
