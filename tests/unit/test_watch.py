"""Watching (`w`): what a toggle watches, watched rows first in every order, `watched:yes`,
and the UI state file that remembers them (hostile contents included)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tui import ui_state
from tui.models import ProviderKind, Session, SessionState
from tui.session_list import SessionList, SortKey, SortOrder, parse_filter
from tui.watch import MAX_WATCHED, WatchList


def mk(
    sid: str,
    kind: ProviderKind = ProviderKind.LIVEPEER,
    parent: str | None = "st1",
    name: str = "",
    provider: str = "studio",
) -> Session:
    return Session(provider, kind, sid, name or sid, SessionState.LIVE, parent_id=parent)


def test_w_watches_the_whole_stream_and_again_stops() -> None:
    watch = WatchList()
    a, b, other = mk("a"), mk("b"), mk("c", parent="st2")
    watched, what = watch.toggle(a)
    assert watched and what.startswith("stream st1")
    assert watch.is_watched(b) and not watch.is_watched(other)  # every session of the stream
    assert watch.items() == [("studio", "st1")]
    watched, _ = watch.toggle(b)  # any of its sessions unwatches the stream
    assert not watched and not watch.is_watched(a) and len(watch) == 0


def test_shift_w_watches_one_session_and_a_call_is_watched_by_its_id() -> None:
    watch = WatchList()
    watch.toggle(mk("a"), whole=False)
    assert watch.is_watched(mk("a")) and not watch.is_watched(mk("b"))
    call = mk("c1", ProviderKind.CALLS, parent="sc_1", provider="calls", name="Guest")
    watched, what = watch.toggle(call)
    assert watched and what == "call Guest" and ("calls", "c1") in watch.items()
    # the same id under another provider is another session
    assert not watch.is_watched(mk("c1", ProviderKind.CALLS, provider="calls2"))


def test_too_many_or_too_long_is_refused_with_a_reason() -> None:
    watch = WatchList(("studio", f"s{i}") for i in range(MAX_WATCHED))
    with pytest.raises(ValueError, match="at most"):
        watch.toggle(mk("x", parent=None))
    with pytest.raises(ValueError, match="longer than"):
        WatchList().toggle(mk("y" * 101, parent=None))


SESSIONS = [
    mk(f"s{i}", name=n, parent=p)
    for i, (n, p) in enumerate(
        [("alpha", "p1"), ("bravo", "p2"), ("charlie", "p3"), ("delta", "p2")]
    )
]


@pytest.mark.parametrize("key", list(SortKey))
@pytest.mark.parametrize("reverse", [False, True])
def test_watched_rows_come_first_in_every_order(key: SortKey, reverse: bool) -> None:
    watch = WatchList([("studio", "p2")])
    view = SessionList(parse_filter(""), SortOrder(key, reverse), watched=watch.is_watched)
    view.rebuild(SESSIONS)
    assert {k.id for k in view.keys[:2]} == {"s1", "s3"}
    plain = SessionList(parse_filter(""), SortOrder(key, reverse))
    plain.rebuild(SESSIONS)
    # among themselves, the order is the chosen one
    assert [k for k in plain.keys if k.id in ("s1", "s3")] == view.keys[:2]


def test_the_watched_filter() -> None:
    watch = WatchList([("studio", "p2")])
    yes = parse_filter("watched:yes", watched=watch.is_watched)
    no = parse_filter("watched:no", watched=watch.is_watched)
    assert [s.name for s in SESSIONS if yes.matches(s)] == ["bravo", "delta"]
    assert [s.name for s in SESSIONS if no.matches(s)] == ["alpha", "charlie"]
    assert parse_filter("-watched:yes", watched=watch.is_watched).matches(SESSIONS[0])
    assert parse_filter("watched:maybe", watched=watch.is_watched).problems == (
        "watched: yes or no",
    )


def test_the_state_file_remembers_watched_ids(tmp_path: Path) -> None:
    path = tmp_path / "ui.json"
    state = ui_state.UiState(watched=WatchList([("studio", "p2"), ("calls", "c1")]).items())
    assert ui_state.save(path, state)
    assert ui_state.load(path).watched == [("calls", "c1"), ("studio", "p2")]
    assert path.stat().st_mode & 0o777 == 0o600


def test_a_full_watch_list_fits_the_state_file(tmp_path: Path) -> None:
    path = tmp_path / "ui.json"
    pairs = [("p" * 100, f"{i:03d}" + "i" * 97) for i in range(MAX_WATCHED)]
    assert ui_state.save(path, ui_state.UiState(watched=WatchList(pairs).items()))
    assert len(ui_state.load(path).watched) == MAX_WATCHED  # read back whole, not refused


def test_hostile_watched_entries_are_dropped(tmp_path: Path) -> None:
    path = tmp_path / "ui.json"
    path.write_text(
        json.dumps(
            {
                "watched": [
                    ["studio", "ok"],
                    ["only-one"],
                    ["a", 3],
                    "text",
                    ["a", ""],
                    ["a", "x" * 500],
                    None,
                    ["calls", "c1", "extra"],
                ]
            }
        )
    )
    assert ui_state.load(path).watched == [("studio", "ok")]
    path.write_text(json.dumps({"watched": {"studio": "x"}}))
    assert ui_state.load(path).watched == []
