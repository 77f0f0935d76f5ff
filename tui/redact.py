"""Hiding secrets (API keys, stream keys) in any text, the one function every place uses.

A server that echoes a key back does not always echo it whole: it may cut it ("lp-SEC…"),
wrap it, or insert a newline or a tab. So a `Redactor` hides every run of `MIN_RUN` or more
consecutive characters of a key, whatever whitespace or control characters sit between them
(they are hidden with it). A key shorter than `MIN_RUN` is hidden only whole, and one shorter
than `MIN_SECRET` not at all: such keys are no real secrets, and hiding them would garble text.

Used by every provider client on each error it raises (`tui.providers.base.redacting`) and
by the log file's filter (`tui.logs`). No Textual, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

MIN_RUN: Final = 6
MIN_SECRET: Final = 4
REDACTED: Final = "**********"


def _gap(ch: str) -> bool:
    """A character a server may have put inside a key: whitespace or any control."""
    return ch.isspace() or not ch.isprintable()


class Redactor:
    """Hides runs of known secrets in text; call it on a string. Add secrets with `add`."""

    __slots__ = ("_grams", "_whole")

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._grams: set[str] = set()  # every MIN_RUN-character run of every long key
        self._whole: set[str] = set()  # keys of MIN_SECRET to MIN_RUN - 1 characters
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        """Also hide these secrets (e.g. stream keys learned at run time)."""
        for secret in secrets:
            if len(secret) >= MIN_RUN:
                self._grams.update(
                    secret[i : i + MIN_RUN] for i in range(len(secret) - MIN_RUN + 1)
                )
            elif len(secret) >= MIN_SECRET:
                self._whole.add(secret)

    def __bool__(self) -> bool:
        return bool(self._grams or self._whole)

    def __call__(self, text: str) -> str:
        """`text` with every run of a secret replaced by `REDACTED`."""
        if not self or len(text) < MIN_SECRET:
            return text
        # The text without gaps, and where each of its characters was.
        where = [i for i, ch in enumerate(text) if not _gap(ch)]
        bare = text if len(where) == len(text) else "".join(text[i] for i in where)
        hidden = bytearray(len(bare))
        grams = self._grams
        for i in range(len(bare) - MIN_RUN + 1):
            if bare[i : i + MIN_RUN] in grams:
                hidden[i : i + MIN_RUN] = b"\x01" * MIN_RUN
        for secret in self._whole:
            start = bare.find(secret)
            while start >= 0:
                hidden[start : start + len(secret)] = b"\x01" * len(secret)
                start = bare.find(secret, start + 1)
        if not any(hidden):
            return text
        # Each hidden run of the bare text, from its first to its last character in `text`.
        out: list[str] = []
        done = 0
        run_start: int | None = None
        for j, flag in enumerate(hidden):
            if flag and run_start is None:
                run_start = j
            if run_start is not None and (not flag or j == len(hidden) - 1):
                last = j if flag else j - 1
                out.append(text[done : where[run_start]])
                out.append(REDACTED)
                done = where[last] + 1
                run_start = None
        out.append(text[done:])
        return "".join(out)
