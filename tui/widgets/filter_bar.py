"""FilterBar: the `/` prompt. Filters as you type; Enter keeps it, Esc puts back the old one."""

from __future__ import annotations

from typing import ClassVar

from textual import events
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Input


class FilterBar(Input):
    """A one-line filter prompt docked under the list; hidden until `/`."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", show=False)]

    class Done(Message):
        """The prompt closed; `text` is the filter now in force."""

        def __init__(self, text: str) -> None:
            self.text = text
            super().__init__()

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(
            placeholder="filter: words, state:live, health:bad, provider:NAME, -word",
            id=id,
            select_on_focus=False,
        )
        self._before = ""

    def open(self, current: str) -> None:
        self._before = current
        self.value = current
        self.cursor_position = len(current)
        self.display = True
        # At once, not `focus()` (which waits its turn in the queue): keys typed or pasted
        # right after `/` are already queued behind it, and must reach this prompt, not the
        # list (where `h` sorts and Enter drills down).
        self.screen.set_focus(self)

    async def _on_key(self, event: events.Key) -> None:
        # Close on Enter here, not via a binding: bindings run only once the key has bubbled
        # to the app, after this input has already taken the next queued key (`/ x Enter e`).
        if not self.display:
            # A key queued before we closed: skip the insert, let it bubble to the list's keys.
            event.prevent_default()
        elif event.key == "enter":
            event.stop()
            event.prevent_default()
            self._close()

    def action_cancel(self) -> None:
        self.value = self._before
        self._close()

    def _close(self) -> None:
        self.display = False
        # Give up focus now: a key typed right after Enter must reach the list, not this input.
        self.blur()
        self.post_message(self.Done(self.value))
