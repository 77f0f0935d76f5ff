"""Recognising the records of a JSON list page that a client has already validated, by their bytes.

Two polls of a big account return mostly the same records, byte for byte. Decoding a record
costs about as much as validating it, and comparing it as Python objects with last poll's costs
as much again; comparing its bytes costs almost nothing. `RecordIndex.split` cuts a compact
JSON array of objects (`[{...},{...}]`, what Express and `json.dumps(separators=...)` send) into
its records and decodes only the records whose exact bytes it has not been told about.

How a page is cut, and why the cut is exact. Inside the outer `[{` and `}]`, records are
separated by `},{`; the same bytes also occur inside a record between the objects of a nested
list (`"profiles":[{...},{...}]`) and possibly inside a string. Call the bytes between two
consecutive `},{` a piece: a record is a run of consecutive pieces, its text `{` + the pieces
joined by `},{` + `}`. Walking from the first piece, each record is either

- a run of pieces equal to a record remembered from last time (its complete, valid text), or
- the shortest run that decodes on its own as a JSON object (its length guessed first from the
  pieces' bracket counts, then grown one piece at a time).

JSON objects are prefix-free (no valid object's text is a proper prefix of another's), so the
run that is a complete object is exactly the record that starts there, and a page cut this way
into complete objects from end to end is the one way the page parses. Anything else (whitespace
between records, a non-object, invalid JSON, a record that does not close within `MAX_RUN`
pieces) makes `split` return None, and the caller decodes the page as a whole as before.
"""

from __future__ import annotations

import asyncio
from typing import Any, Generic, NamedTuple, TypeVar

from pydantic_core import from_json

V = TypeVar("V")

_SEP = b"},{"
MAX_RUN = 64  # pieces one record may span when its bracket counts mislead (brackets in strings)
DECODES_PER_YIELD = 250  # ~2 ms of decoding between two turns of the event loop


class TooManyRecords(ValueError):
    """A page holds more records than the `limit` given to `RecordIndex.split`."""


class Seen(NamedTuple, Generic[V]):
    """A record whose exact bytes were remembered last listing, and what they became."""

    first: bytes  # its first piece (the index's key)
    tail: bytes  # the rest of its text but the closing `}`: `},{` + its next piece ..., or b""
    value: V
    older: Seen[V] | None  # another remembered record with the same first piece


class Fresh(NamedTuple):
    """A record not seen last listing, decoded."""

    first: bytes | None  # None: a record of a page decoded whole, never remembered
    tail: bytes
    raw: Any


class RecordIndex(Generic[V]):
    """Last listing's records by their exact bytes, and what each became (a `V`).

    A listing calls `begin`, then on each page `split` and `keep`/`add` for every record that
    became something, and `commit` at the end: what the listing did not keep or add is
    forgotten, so the index holds one listing's records (their bytes: about the size of the
    pages, ~10 MB for 10,000 Livepeer sessions).
    """

    def __init__(self) -> None:
        self._last: dict[bytes, Seen[V]] = {}
        self._next: dict[bytes, Seen[V]] = {}

    def __len__(self) -> int:
        count = 0
        for seen in self._last.values():
            node: Seen[V] | None = seen
            while node is not None:
                count, node = count + 1, node.older
        return count

    def begin(self) -> None:
        self._next = {}

    def keep(self, record: Seen[V], value: V) -> None:
        """`record` again, now standing for `value` (usually the same as before)."""
        shadowed = self._next.get(record.first)
        if shadowed is None and record.older is None and value is record.value:
            self._next[record.first] = record  # the common case: nothing to allocate
        else:
            self._next[record.first] = Seen(record.first, record.tail, value, shadowed)

    def add(self, record: Fresh, value: V) -> None:
        """What a fresh record became, to be recognised by its bytes next listing."""
        if record.first is not None:
            shadowed = self._next.get(record.first)
            self._next[record.first] = Seen(record.first, record.tail, value, shadowed)

    def commit(self) -> None:
        self._last, self._next = self._next, {}

    async def split(self, body: bytes, limit: int | None = None) -> list[Seen[V] | Fresh] | None:
        """The records of a compact JSON array of objects, or None if it cannot be cut.

        Recognising a record costs ~1 µs, decoding one ~10: the event loop gets a turn after
        every `DECODES_PER_YIELD` decoded records. Past `limit` records it stops and raises
        `TooManyRecords`, so an oversized page is never decoded whole."""
        text = body.strip(b" \t\r\n")  # JSON's whitespace, no more
        if not (text.startswith(b"[{") and text.endswith(b"}]")):
            return [] if text == b"[]" else None
        stop = len(text) - 2  # the last record's closing `}`
        out: list[Seen[V] | Fresh] = []
        decoded = 0
        pos = 2  # the first piece of the next record starts here, after its `{`
        while True:
            cut = text.find(_SEP, pos, stop)
            if cut < 0:
                cut = stop
            first = text[pos:cut]
            seen = self._last.get(first)
            while seen is not None:
                end = cut + len(seen.tail)
                if text.startswith(seen.tail, cut) and (
                    end == stop or (end < stop and text.startswith(_SEP, end))
                ):
                    out.append(seen)
                    break
                seen = seen.older
            else:
                run = _decode_run(text, pos, cut, stop)
                if run is None:
                    return None
                end, raw = run
                out.append(Fresh(first, text[cut:end], raw))
                decoded += 1
                if decoded % DECODES_PER_YIELD == 0:
                    await asyncio.sleep(0)
            if end == stop:
                return out
            if limit is not None and len(out) >= limit:
                raise TooManyRecords(limit)
            pos = end + len(_SEP)


def _decode_run(text: bytes, pos: int, cut: int, stop: int) -> tuple[int, dict[str, Any]] | None:
    """The record whose first piece is `text[pos:cut]`: where its text ends (at its closing
    `}`), and its decoded value; None if no run of up to `MAX_RUN` pieces is one."""
    # Guess: a record ends where the nested lists it opened are closed again.
    depth = text.count(b"[", pos, cut) - text.count(b"]", pos, cut)
    end = cut
    while depth > 0 and end < stop:
        start, end = end + len(_SEP), _next_cut(text, end, stop)
        depth += text.count(b"[", start, end) - text.count(b"]", start, end)
    raw = _object(text, pos, end)
    if raw is not None:
        return end, raw
    # Brackets inside strings misled the guess: grow the run one piece at a time.
    guess, end = end, cut
    for _ in range(MAX_RUN):
        if end != guess and (raw := _object(text, pos, end)) is not None:
            return end, raw
        if end == stop:
            break
        end = _next_cut(text, end, stop)
    return None


def _next_cut(text: bytes, end: int, stop: int) -> int:
    """Where the piece after the one ending at `end` ends."""
    cut = text.find(_SEP, end + len(_SEP), stop)
    return stop if cut < 0 else cut


def _object(text: bytes, pos: int, end: int) -> dict[str, Any] | None:
    """The record `text[pos - 1 : end + 1]` (`{` ... `}`) decoded, or None if not one object."""
    try:
        value = from_json(text[pos - 1 : end + 1])
    except (ValueError, RecursionError):
        return None
    return value if type(value) is dict else None
