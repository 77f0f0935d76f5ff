"""The console's second pass (issue #18): what a first-time operator tripped on, each seen
through the real console on the simulator over a socket."""

from __future__ import annotations

from dataclasses import replace

import pytest
from textual.geometry import Region

from support.app import live_app, wait_for
from tui.app import LivetopApp
from tui.models import FetchResult, SessionState
from tui.screens.help import HelpScreen
from tui.screens.sessions import RelatedScreen, SessionsScreen
from tui.sim import Fault, RunningSimulator
from tui.store import ProviderHealth
from tui.widgets.detail_pane import DetailPane
from tui.widgets.key_bar import KeyBar
from tui.widgets.session_summary import SessionSummary
from tui.widgets.sessions_table import SessionsTable
from tui.widgets.status_header import StatusHeader


def table(app: LivetopApp) -> SessionsTable:
    return app.screen.query_one(SessionsTable)


def header(app: LivetopApp) -> str:
    return app.screen.query_one(StatusHeader).visible_text


def loaded(app: LivetopApp) -> bool:
    statuses = app.store.statuses()
    return bool(statuses) and all(s.last_success for s in statuses) and table(app).row_count > 5


async def test_the_filter_and_the_scope_read_in_the_header(sim: RunningSimulator) -> None:
    app = live_app(sim)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: loaded(app))
        await pilot.press("slash", *"kind:livepeer", "enter")
        assert "all sessions · /kind:livepeer" in header(app)
        await pilot.press("enter")  # drill down into the stream
        assert isinstance(app.screen, RelatedScreen)
        assert "all sessions › studio stream" in header(app)
        await pilot.press("escape")
        assert "/kind:livepeer" in header(app)  # back: the filter still applies, and says so
        await pilot.press("escape")  # clear it
        assert "/kind" not in header(app) and "all sessions" in header(app)


async def test_the_clock_is_never_pushed_off_by_the_trail(sim: RunningSimulator) -> None:
    app = live_app(sim)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: loaded(app))
        await pilot.press("slash", *"kind:livepeer some-long-words-to-filter-by", "enter")
        line = header(app)
        assert line.rstrip().endswith("UTC"), line
        # The trail gave way (cut, or gone when the counts need the room), not the clock.
        assert "some-long-words-to-filter-by" not in line
        assert "…" in line or "viewers" in line


async def test_at_80_columns_the_filter_and_the_scope_read_before_the_word_affected(
    sim: RunningSimulator,
) -> None:
    app = live_app(sim)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: loaded(app))
        await pilot.press("slash", *"state:live", "enter")
        line = header(app)
        assert "/state:live" in line and line.rstrip().endswith("UTC"), line
        await pilot.press("slash", "ctrl+u", *"kind:livepeer", "enter", "enter")  # a stream
        await wait_for(pilot, lambda: isinstance(app.screen, RelatedScreen))
        line = header(app)
        assert " stream " in line and line.rstrip().endswith("UTC"), line


async def test_the_sort_column_and_direction_are_marked(sim: RunningSimulator) -> None:
    app = live_app(sim)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: loaded(app))

        def labels() -> str:
            return table(app).render_line(0).text

        assert labels().startswith("!↓")  # trouble first, the default
        await pilot.press("n")
        assert "NAME ↓" in labels() and not labels().startswith("!")
        await pilot.press("n")
        assert "NAME ↑" in labels()
        await pilot.press("b")
        assert "INGEST ↓" in labels() and "NAME ↑" not in labels()


async def test_a_stale_unhealthy_row_shows_both_marks(sim: RunningSimulator) -> None:
    app = live_app(sim)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: loaded(app))
        await wait_for(pilot, lambda: app.store.status("studio").polling_since is None)
        sim.set_fault("livepeer", Fault(error_rate=1.0))
        app.refresher.refresh_now("studio")
        await wait_for(pilot, lambda: app.store.status("studio").health is ProviderHealth.FAILING)
        app.redraw(tick=True)
        rows = [table(app).render_line(y).text for y in range(1, table(app).size.height)]
        bad = [r for r in rows if r[3:].startswith("studio ") and r.startswith("!")]
        assert bad and all(r.startswith("!~") for r in bad), rows[:5]
        sim.clear_faults()


async def test_trouble_is_the_most_visible_without_colour(
    sim: RunningSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under NO_COLOR (Textual draws in greys) an unhealthy row stands out more than a
    healthy one: bold, on a band of its own, with at least the contrast of the others."""
    monkeypatch.setenv("NO_COLOR", "1")
    app = live_app(sim)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: loaded(app))
        view = table(app)
        await pilot.press("j", "j", "j", "j", "j", "j")  # the cursor away from the top rows
        strips = view.render_lines(Region(0, 0, view.size.width, view.size.height))
        rows = [s for s in strips[1:] if s.text.strip()]
        unhealthy = [s for s in rows if s.text.startswith("!")]
        healthy = [s for s in rows if s.text.startswith("  ") and " live " in s.text]
        assert unhealthy and healthy

        def look(strip: object) -> tuple[bool, float, float]:
            style = next(iter(strip)).style  # type: ignore[call-overload]
            fg, bg = style.color.triplet, style.bgcolor.triplet
            if style.reverse:
                fg, bg = bg, fg
            luma = [0.299 * c.red + 0.587 * c.green + 0.114 * c.blue for c in (fg, bg)]
            return bool(style.bold), abs(luma[0] - luma[1]), luma[1]

        bold, contrast, band = look(unhealthy[0])
        _, usual_contrast, usual_band = look(healthy[0])
        assert bold and contrast >= usual_contrast and band != usual_band


async def test_at_80x24_the_list_keeps_its_rows_and_d_opens_the_detail(
    sim: RunningSimulator,
) -> None:
    app = live_app(sim)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: loaded(app))
        view = table(app)
        assert view.size.height - 1 >= 14  # rows, under the column labels
        assert "PROVIDER" in view.render_line(0).text  # and which provider each is
        summary = app.screen.query_one(SessionSummary)
        assert summary.display and not app.screen.query_one(DetailPane).display
        cursor = app.store.get(view.cursor_key) if view.cursor_key else None
        assert cursor is not None and cursor.name[:20] in summary.visible_text
        await pilot.press("d")
        pane = app.screen.query_one(DetailPane)
        assert pane.display and pane.has_focus and not summary.display
        await pilot.press("escape")
        assert not pane.display and view.has_focus


async def test_the_key_bar_never_cuts_a_word(sim: RunningSimulator) -> None:
    app = live_app(sim)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: loaded(app))
        line = app.screen.query_one(KeyBar).visible_text
        shown = SessionsScreen.KEYS
        words = [f"{key} {label}" for key, label in shown if f"{key} {label}" in line]
        assert words[:3] == ["⏎ drill down", "/ filter", "d details"]
        assert line.rstrip().endswith("? all keys")
        for key, label in shown:  # each entry whole, or not at all
            assert f"{key} {label}" in line or label not in line.split(f"{key} ")[-1][:1]


async def test_the_detail_pane_scrolls_from_the_keyboard_and_not_past_its_end(
    sim: RunningSimulator,
) -> None:
    app = live_app(sim)
    async with app.run_test(size=(160, 30)) as pilot:
        await wait_for(pilot, lambda: loaded(app))
        await pilot.press("slash", *"kind:livepeer", "enter", "f")  # raw fields: a long pane
        pane = app.screen.query_one(DetailPane)
        await wait_for(pilot, lambda: len(pane.text.splitlines()) > pane.size.height)
        assert "more line" in pane.visible_text.splitlines()[-1]
        await pilot.press("d", "end")
        assert pane.scroll_offset.y == len(pane.text.splitlines()) - pane.size.height
        assert pane.visible_text.splitlines()[-1].strip()  # the last field, no blank past it
        await pilot.press("pagedown")
        assert pane.scroll_offset.y == len(pane.text.splitlines()) - pane.size.height
        await pilot.press("home")
        assert pane.scroll_offset.y == 0


async def test_the_filter_keeps_the_cursor_on_its_session(sim: RunningSimulator) -> None:
    app = live_app(sim)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: loaded(app))
        view = table(app)
        studio = next(k for k in view.keys[3:] if k.provider == "studio")
        view.select_key(studio)
        await pilot.press("slash", *"provider:studio", "enter")
        assert view.cursor_key == studio and view.keys[0] != studio


async def test_the_list_keeps_drawing_behind_the_help(sim: RunningSimulator) -> None:
    app = live_app(sim)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: loaded(app))
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        behind = app.screen_stack[-2].query_one(StatusHeader)
        before = behind.visible_text
        # The clock behind the dialog moves with the next ticks (it froze for 20 s before).
        await wait_for(pilot, lambda: behind.visible_text != before, limit=3.0)
        assert isinstance(app.screen, HelpScreen)


async def test_what_a_drill_down_fetched_stays_in_the_drill_down(sim: RunningSimulator) -> None:
    app = live_app(sim)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: loaded(app))
        main = app.screen
        assert isinstance(main, SessionsScreen)
        # Every listed session drawn first (the last provider's first load may be on its way).
        await wait_for(pilot, lambda: main.table.row_count == app.store.counts().total)
        shown, counts = main.table.row_count, app.store.counts()
        await pilot.press("slash", *"kind:uiza", "enter", "enter")
        assert isinstance(app.screen, RelatedScreen)
        related = app.screen
        await wait_for(pilot, lambda: related.table.row_count > 0)
        history = related.table.row_count
        await pilot.press("escape", "escape")
        assert app.screen is main
        app.redraw(tick=True)
        assert app.store.counts().total <= counts.total + 2  # not the entity's history
        assert main.table.row_count <= shown + 2 < shown + history


async def test_a_livepeer_session_says_it_has_no_key(sim: RunningSimulator) -> None:
    app = live_app(sim)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: loaded(app))
        await pilot.press("slash", *"kind:livepeer", "enter", "x")
        await pilot.pause()
        assert any("no stream key" in str(n.message) for n in app._notifications)


async def test_theme_and_sort_are_remembered_across_runs(sim: RunningSimulator) -> None:
    app = live_app(sim)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: loaded(app))
        app.theme = "textual-light"
        await pilot.press("b", "b")
    again = live_app(sim)
    async with again.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: loaded(again))
        assert again.theme == "textual-light"
        screen = again.screen
        assert isinstance(screen, SessionsScreen)
        assert screen.order.key.value == "bitrate" and screen.order.reverse
        assert "INGEST ↑" in table(again).render_line(0).text


async def test_unknown_health_is_explained(sim: RunningSimulator) -> None:
    app = live_app(sim)
    async with app.run_test(size=(160, 36)) as pilot:
        await wait_for(pilot, lambda: loaded(app))
        await pilot.press("slash", *"health:unknown", "enter")
        pane = app.screen.query_one(DetailPane)
        assert "unknown: not reported by the provider" in pane.text


async def test_an_unhealthy_row_says_why(sim: RunningSimulator) -> None:
    app = live_app(sim)
    async with app.run_test(size=(160, 36)) as pilot:
        await wait_for(pilot, lambda: loaded(app))
        studio = [s for s in app.store.sessions("studio") if s.is_live]
        live = studio[0]
        issues = ("Zebracorn: no keyframes in 10 s", "Low bitrate")
        sick = replace(live, healthy=False, issues=issues)
        others = tuple(s for s in app.store.sessions("studio") if s.key != live.key)
        app.refresher.pause()
        app.store.apply("studio", FetchResult((sick, *others)))
        app.redraw(tick=True)
        row = next(
            table(app).render_line(y).text
            for y in range(1, table(app).size.height)
            if sick.name[:15] in table(app).render_line(y).text
        )
        assert "Zebracorn" in row and "+1" in row
        await pilot.press("slash", *"health:zebracorn", "enter")
        assert list(table(app).keys) == [sick.key]
        assert sick.state is SessionState.LIVE


async def test_a_filter_typed_in_one_burst_reaches_the_prompt(sim: RunningSimulator) -> None:
    """Over SSH (or pasted) `/`, the words and Enter arrive together: every key after `/`
    belongs to the prompt, none to the list (where h sorts and Enter drills down)."""
    from textual import events

    app = live_app(sim)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: loaded(app))
        screen = app.screen
        assert isinstance(screen, SessionsScreen)
        order = screen.order
        for char in "/health:bad\r":
            key = {"/": "slash", ":": "colon", "\r": "enter"}.get(char, char)
            app.post_message(events.Key(key, None if char == "\r" else char))
        await pilot.pause(0.3)
        assert screen.filter.text == "health:bad"
        assert id(app.screen) == id(screen)  # Enter closed the prompt, no drill-down
        assert screen.order == order  # no sort key slipped through to the list
