"""HelpScreen: every key, grouped; Esc, q or ? closes it."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

KEYS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    (
        "Move",
        (
            ("↑ ↓  j k", "previous / next session"),
            ("PgUp PgDn", "a page up / down"),
            ("g  G", "first / last session"),
            ("Enter", "drill down (stream → sessions → session)"),
            ("Esc", "back up one level"),
        ),
    ),
    (
        "Find and sort",
        (
            ("/", "filter: words match name, id, provider"),
            ("", "state:live  health:bad  provider:NAME  kind:uiza"),
            ("", "issue:encoder  where the fault is (see ISSUE)"),
            ("", "watched:yes  -word leaves out what matches"),
            ("t", "sort trouble first, most viewers first (default)"),
            ("n s h b l v", "sort by name state health bitrate seen viewers"),
            ("", "the same key again reverses; the header marks it ↓ ↑"),
        ),
    ),
    (
        "Watch",
        (
            ("p", "pause / resume polling (attached: following)"),
            ("r", "refresh now"),
            ("+  -", "poll more / less often"),
            ("e", "show / hide the event log"),
            ("w", "watch the row's stream, entity or call (★, first)"),
            ("W", "watch only this session; w or W again: stop"),
            ("R", "tonight's rundown: on air, late, ended early"),
            ("Ctrl+R", "reload the config (saving it reloads it too)"),
            ("", "attached or in replay, r + - Ctrl+R do nothing"),
        ),
    ),
    (
        "The selected session",
        (
            ("d", "details: open the pane and scroll it (↑ ↓); d again: back"),
            ("f", "show / hide the provider's raw fields in the pane"),
            ("c", "copy the selected session id (works over SSH)"),
            ("x", "reveal the selected stream key for 10 s"),
        ),
    ),
    (
        "Reading the list",
        (
            ("!  +  -  ~", "trouble, just live, just ended, stale data"),
            ("★", "watched (w), listed first in every order"),
            ("late 3m", "a call past its scheduled start (in 12m: before it)"),
            ("HEALTH —", "unknown: the provider does not report health"),
            ("ISSUE", "where the fault is, then the provider's words:"),
            ("", "encoder ingest provider playback polling other"),
            ("VIEWERS", "watching now (Livepeer; goes first when narrow)"),
        ),
    ),
    (
        "Replay (livetop replay)",
        (
            ("space  p", "play / pause (1×–60×)"),
            ("<  >", "slower / faster"),
            (",  .  ← →", "a poll back / forward"),
            ("[  ]", "previous / next incident: a provider failing,"),
            ("", "a session unhealthy or ending"),
            (":", "seek: 21:14 (UTC), -15m / +5m, ISO 8601"),
        ),
    ),
    ("App", (("Ctrl+P", "command palette: every action"), ("?", "this help"), ("q", "quit"))),
)


def help_text() -> Text:
    text = Text()
    for title, rows in KEYS:
        text.append(f"{title}\n", "bold")
        for key, what in rows:
            text.append(f"  {key:<12}", "bold")
            text.append(f"{what}\n")
        text.append("\n")
    return text


class HelpScreen(ModalScreen[None]):
    """The key reference."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "dismiss", "Close"),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help"):
            yield Static(Text("livetop — keys", "bold"), id="help-title")
            yield Static(help_text(), id="help-body")
