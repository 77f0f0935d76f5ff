"""The console's garbage-collection schedule: full collections only at quiet moments."""

from __future__ import annotations

import gc

from tui.collector import THRESHOLDS, Collector


def test_full_collections_wait_for_the_first_load_and_for_quiet() -> None:
    now = [100.0]
    saved = gc.get_threshold()
    trims: list[float] = []
    collector = Collector(
        every=60.0, quiet=2.0, clock=lambda: now[0], trim=lambda: trims.append(now[0])
    )
    collector.start()
    try:
        assert gc.get_threshold() == THRESHOLDS
        assert not collector.tick()  # nothing loaded yet
        collector.loaded()
        collector.typed()
        assert not collector.tick()  # a key just now
        now[0] += 2.5
        assert collector.tick()  # quiet: collect and freeze
        assert gc.get_freeze_count() > 0
        assert trims == [now[0]]  # and the C heap's free pages go back to the system
        collector.loaded()  # later loads do not bring it forward
        now[0] += 30.0
        assert not collector.tick()
        now[0] += 31.0
        assert collector.tick()
        assert len(trims) == 2
    finally:
        collector.stop()
    assert gc.get_threshold() == saved
    assert gc.get_freeze_count() == 0


def test_malloc_trim_runs_here() -> None:
    from tui.collector import malloc_trim

    assert malloc_trim()  # glibc, as on the machines livetop runs on
