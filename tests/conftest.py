import gc
import time
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The header shows local time; pin it to UTC so nothing depends on the machine."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.delenv("TZ")
    time.tzset()


@pytest.fixture(autouse=True)
def private_state(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The console's remembered choices go to a folder of the test's, never the user's."""
    monkeypatch.setenv("LIVETOP_STATE_DIR", str(tmp_path_factory.mktemp("state")))


@pytest.fixture(autouse=True)
def private_data_dir(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Recordings go to a throwaway directory: no test writes to the user's data directory."""
    monkeypatch.setenv("LIVETOP_DATA_DIR", str(tmp_path_factory.mktemp("data")))


@pytest.fixture(autouse=True)
def fresh_heap(request: pytest.FixtureRequest) -> None:
    """Start each app test from a clean heap, as a console starts from a new process.

    Once loaded, an app collects all garbage in one walk (`tui/collector.py`) with its loop
    stopped. In a test process that walk also takes every earlier test's leftovers: over a
    second on a busy machine, long enough for a healthy provider to turn stale mid-test.
    """
    if request.node.get_closest_marker("asyncio") or "snap_compare" in request.fixturenames:
        gc.collect()
