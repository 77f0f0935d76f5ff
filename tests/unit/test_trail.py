"""The header's trail (scope and filter) in the room left beside the counts and the clock."""

from __future__ import annotations

import pytest

from tui.widgets.status_header import fit_trail

SCOPED = "all sessions › studio stream 4c5fcf5d-868 · /live"


@pytest.mark.parametrize(
    ("trail", "room", "shown"),
    [
        ("all sessions", 12, "all sessions"),  # fits
        ("all sessions", 11, ""),  # the root alone is not cut to "…sessions": it goes
        ("all sessions · /kind:calls", 20, "… · /kind:calls"),  # never a piece of the root
        (SCOPED, 30, "…o stream 4c5fcf5d-868 · /live"),  # cut from its start
        (SCOPED, 12, "…868 · /live"),
        (SCOPED, 8, ""),  # too little room for anything useful
    ],
)
def test_the_trail_gives_way_from_its_start(trail: str, room: int, shown: str) -> None:
    assert fit_trail(trail, room) == shown
    assert len(shown) <= room
