"""Stateless, deterministic randomness: a 64-bit hash of integers and ids that encode an index.

The scenario computes each session from (seed, stream, slot) instead of storing it, so any moment
is reproducible for a seed and idle sessions cost nothing. `random.Random` seeds the structure and
the per-stream attributes; these helpers give cheap per-slot values and ids that decode back to
the index they were made from, so `GET /session/{id}` needs no lookup table.
"""

from __future__ import annotations

import re
import string

MASK = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_M1 = 0xBF58476D1CE4E5B9
_M2 = 0x94D049BB133111EB
_M1_INV = pow(_M1, -1, 1 << 64)
_M2_INV = pow(_M2, -1, 1 << 64)
_LOW62 = (1 << 62) - 1
_UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_BASE36 = string.digits + string.ascii_lowercase
_ALNUM = string.ascii_letters + string.digits


def mix64(x: int) -> int:
    """The splitmix64 finalizer: a bijection on 64-bit integers that scrambles every bit."""
    x = (x + _GOLDEN) & MASK
    x = ((x ^ (x >> 30)) * _M1) & MASK
    x = ((x ^ (x >> 27)) * _M2) & MASK
    return x ^ (x >> 31)


def _unxorshift(y: int, shift: int) -> int:
    x = y
    for _ in range(64 // shift + 1):
        x = y ^ (x >> shift)
    return x


def unmix64(y: int) -> int:
    """The inverse of `mix64`."""
    y = _unxorshift(y, 31)
    y = (y * _M2_INV) & MASK
    y = _unxorshift(y, 27)
    y = (y * _M1_INV) & MASK
    y = _unxorshift(y, 30)
    return (y - _GOLDEN) & MASK


def h64(*parts: int) -> int:
    """A 64-bit hash of a few integers (stable across runs, unlike `hash()`)."""
    acc = 0
    for part in parts:
        acc = mix64(acc ^ (part & MASK))
    return acc


def unit(*parts: int) -> float:
    """A float in [0, 1) determined by `parts`."""
    return h64(*parts) / 18446744073709551616.0


def between(low: float, high: float, *parts: int) -> float:
    return low + (high - low) * unit(*parts)


def encode_uuid(key: int, index: int) -> str:
    """A UUIDv4-shaped id for `index` under `key`; `decode_uuid(key, id)` gives `index` back."""
    v = mix64((index ^ key) & MASK)
    filler = h64(0xF111, key, v)
    n = (
        (v & _LOW62)
        | (0b10 << 62)  # RFC 4122 variant
        | ((v >> 62) << 64)
        | ((filler & 0x3FF) << 66)
        | (4 << 76)  # version 4
        | (((filler >> 10) & ((1 << 48) - 1)) << 80)
    )
    hexa = f"{n:032x}"
    return f"{hexa[:8]}-{hexa[8:12]}-{hexa[12:16]}-{hexa[16:20]}-{hexa[20:]}"


def decode_uuid(key: int, text: str) -> int | None:
    """The index an id was made from under `key`, or None if it is not one of ours."""
    if len(text) != 36 or not _UUID_RE.match(text):
        return None
    n = int(text.replace("-", ""), 16)
    v = (n & _LOW62) | (((n >> 64) & 0b11) << 62)
    index = unmix64(v) ^ key
    return index if encode_uuid(key, index) == text else None


def token(alphabet: str, length: int, *parts: int) -> str:
    """A short random-looking string (playback ids, stream keys) determined by `parts`."""
    out = []
    x = h64(*parts)
    for i in range(length):
        if i and i % 10 == 0:
            x = mix64(x)
        out.append(alphabet[x % len(alphabet)])
        x //= len(alphabet)
    return "".join(out)


def base36(length: int, *parts: int) -> str:
    return token(_BASE36, length, *parts)


def alnum(length: int, *parts: int) -> str:
    return token(_ALNUM, length, *parts)
