"""The one redaction: any run of 6+ characters of a key, across inserted whitespace."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tui.redact import REDACTED, Redactor

KEY = "lp-7d9f0a3c-2b1e-4f5a"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"bad key {KEY}!", f"bad key {REDACTED}!"),
        ("cut lp-7d9…", f"cut {REDACTED}…"),  # six characters of it are enough
        ("cut lp-7d…", "cut lp-7d…"),  # five are not
        ("wrapped lp-7d9f\n0a3c-2b1e-4f5a end", f"wrapped {REDACTED} end"),
        ("tabbed lp-7d9f0a\t3c-2b end", f"tabbed {REDACTED} end"),
        ("middle 9f0a3c-2b1e only", f"middle {REDACTED} only"),
        ("twice 7d9f0a3c and 2b1e-4f5a", f"twice {REDACTED} and {REDACTED}"),
        ("nothing here at all", "nothing here at all"),
        ("", ""),
    ],
)
def test_runs_of_a_key_are_hidden(text: str, expected: str) -> None:
    assert Redactor([KEY])(text) == expected


def test_short_keys_are_hidden_whole_or_not_at_all() -> None:
    hide = Redactor(["abcd", "xyz"])
    assert hide("abcd and ab\ncd, xyz") == f"{REDACTED} and {REDACTED}, xyz"
    assert not Redactor(["xyz"])


@given(st.text(max_size=40), st.integers(0, len(KEY) - 6), st.integers(6, len(KEY)))
def test_no_run_survives(noise: str, start: int, length: int) -> None:
    run = KEY[start : start + length]
    text = Redactor([KEY])(noise + run + noise)
    bare = "".join(text.split())
    assert not any(KEY[i : i + 6] in bare for i in range(len(KEY) - 5))
