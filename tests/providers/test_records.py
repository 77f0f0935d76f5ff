"""Recognising records by their bytes: a page is cut into exactly the records it parses to,
a recognised record is byte for byte one remembered, and everything else is decoded."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tui.providers.records import Fresh, RecordIndex, Seen

# Strings full of what the cutting looks at: braces, brackets, commas, quotes, backslashes.
tricky = st.text(alphabet=st.sampled_from('ab}{[],:" \\é\n'), max_size=12)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63)
    | st.floats(allow_nan=False, allow_infinity=False)
    | tricky
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(tricky, inner, max_size=4),
    max_leaves=16,
)
objects = st.dictionaries(tricky, values, max_size=5)


def page(records: list[dict[str, Any]], ascii_only: bool = False) -> bytes:
    return json.dumps(records, separators=(",", ":"), ensure_ascii=ascii_only).encode()


def text(record: dict[str, Any]) -> str:
    return json.dumps(record, separators=(",", ":"))


async def listing(index: RecordIndex[int], body: bytes) -> list[Seen[int] | Fresh]:
    """One listing of one page, remembering every record as its position on the page."""
    index.begin()
    records = await index.split(body)
    assert records is not None
    for position, record in enumerate(records):
        if isinstance(record, Seen):
            index.keep(record, position)
        else:
            index.add(record, position)
    index.commit()
    return records


@settings(max_examples=300, deadline=None)
@given(
    before=st.lists(objects, max_size=8),
    new=st.lists(objects, max_size=4),
    picks=st.lists(st.integers(min_value=0, max_value=11), max_size=12),
    ascii_only=st.booleans(),
)
def test_a_page_is_cut_into_its_records_and_known_ones_are_byte_identical(
    before: list[dict[str, Any]],
    new: list[dict[str, Any]],
    picks: list[int],
    ascii_only: bool,
) -> None:
    index: RecordIndex[int] = RecordIndex()
    first = asyncio.run(listing(index, page(before, ascii_only)))
    assert [r.raw for r in first if isinstance(r, Fresh)] == before  # nothing known yet
    # The second page: records of the first in any order, repeated or not, and new ones.
    pool = before + new
    after = [pool[p % len(pool)] for p in picks] if pool else []
    second = asyncio.run(listing(index, page(after, ascii_only)))
    assert len(second) == len(after)
    for record, expected in zip(second, after, strict=True):
        if isinstance(record, Seen):
            assert text(before[record.value]) == text(expected)  # the very same bytes
        else:
            assert record.raw == expected
    # Everything of the first page that came back unchanged was recognised.
    known = {text(r) for r in before}
    assert all(isinstance(r, Seen) for r, e in zip(second, after, strict=True) if text(e) in known)


async def test_records_sharing_a_first_piece_are_told_apart() -> None:
    # A nested list ahead of the id: both records' first piece is `"p":[{"a":1`.
    a = {"p": [{"a": 1}, {"b": 2}], "id": "a"}
    b = {"p": [{"a": 1}, {"b": 3}], "id": "b"}
    index: RecordIndex[int] = RecordIndex()
    await listing(index, page([a, b]))
    second = await listing(index, page([b, a, b]))
    assert [type(r) for r in second] == [Seen, Seen, Seen]
    assert [r.value for r in second if isinstance(r, Seen)] == [1, 0, 1]
    third = await listing(index, page([{"p": [{"a": 1}, {"b": 4}], "id": "c"}, a]))
    assert isinstance(third[0], Fresh) and third[0].raw["id"] == "c"
    assert isinstance(third[1], Seen) and third[1].value == 1  # a, second on the last page


async def test_a_record_that_grew_is_not_mistaken_for_its_old_self() -> None:
    old = {"id": "x", "p": [{"a": 1}, {"b": 2}]}
    for grown in (
        {"id": "x", "p": [{"a": 1}, {"b": 2}, {"c": 3}]},  # its last piece differs
        {"id": "x", "p": [{"a": 1}, {"b": 2}], "z": 3},  # its old text, then more
    ):
        index: RecordIndex[int] = RecordIndex()
        await listing(index, page([old, {"id": "y"}]))
        (record, other) = await listing(index, page([grown, {"id": "y"}]))
        assert isinstance(record, Fresh) and record.raw == grown
        assert isinstance(other, Seen)


async def test_what_cannot_be_cut_is_left_to_the_caller() -> None:
    index: RecordIndex[int] = RecordIndex()
    good = page([{"id": "a"}, {"id": "b"}])
    assert await index.split(b"[]") == []
    assert await index.split(b"[ ]") is None  # valid, but not worth a special case
    assert await index.split(json.dumps([{"id": "a"}, {"id": "b"}]).encode()) is None  # spaces
    assert await index.split(b'[{"id":"a"},"x",{"id":"b"}]') is None  # not all objects
    assert await index.split(b'[{"id":"a"},{"id":}]') is None  # not JSON
    assert await index.split(b'{"id":"a"}') is None
    assert await index.split(b"\xef\xbb\xbf" + good) is None  # a BOM is not JSON whitespace
    records = await index.split(b" \r\n" + good + b"\n")  # JSON's own whitespace is
    assert records is not None and [r.raw for r in records if isinstance(r, Fresh)] == [
        {"id": "a"},
        {"id": "b"},
    ]


async def test_only_the_last_listing_is_remembered() -> None:
    index: RecordIndex[int] = RecordIndex()
    await listing(index, page([{"id": "a"}, {"id": "b"}]))
    await listing(index, page([{"id": "b"}]))
    assert len(index) == 1
    (record,) = await listing(index, page([{"id": "a"}]))
    assert isinstance(record, Fresh)
    index.begin()  # a listing that fails half-way commits nothing: the last one stays
    records = await index.split(page([{"id": "z"}]))
    assert records is not None
    (fresh,) = records
    assert isinstance(fresh, Fresh)
    index.add(fresh, 0)
    (record,) = await listing(index, page([{"id": "a"}]))
    assert isinstance(record, Seen)
