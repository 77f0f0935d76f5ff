import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

# Make tests/seeds.py importable as `seeds` from every test directory.
sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(autouse=True)
def utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The header shows local time; pin it to UTC so nothing depends on the machine."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.delenv("TZ")
    time.tzset()
