"""Human units and safe text for everything livetop prints, on screen or in `snapshot`.

Ages and durations are deliberately coarse (seconds only under a minute): a value that changes
every second on every row would repaint the whole table every second.
"""

from __future__ import annotations

import math
import unicodedata
from datetime import datetime

DASH = "—"
# A field whose value was outside physical sense (`Session.invalid`): never shown as a number.
INVALID = "invalid"


def bitrate(bps: float | None) -> str:
    """Bits per second in b/s, kb/s, Mb/s or Gb/s (SI, as encoders quote them)."""
    if bps is None or not math.isfinite(bps):
        return DASH
    for unit, scale in (("Gb/s", 1e9), ("Mb/s", 1e6), ("kb/s", 1e3)):
        if abs(bps) >= scale:
            return f"{bps / scale:.1f} {unit}"
    return f"{bps:.0f} b/s"


def count(n: int | None) -> str:
    """A head count in at most 6 cells: `9,999`, `14.2k`, `312k`, `1.4M`."""
    if n is None:
        return DASH
    if n < 10_000:
        return f"{n:,}"
    value, unit = (n / 1e6, "M") if n >= 999_500 else (n / 1e3, "k")  # 999,500 reads 1.0M
    return f"{value:.1f}{unit}" if value < 99.95 else f"{value:.0f}{unit}"


def percent(share: float | None) -> str:
    """A share of a whole (0 to 1) as `0.4%`, `12%`."""
    if share is None or not math.isfinite(share):
        return DASH
    value = share * 100.0
    return f"{value:.1f}%" if value < 9.95 else f"{value:.0f}%"


def size(n: float | None) -> str:
    """Bytes in B, kB, MB, GB or TB."""
    if n is None or not math.isfinite(n):
        return DASH
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if abs(n) >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n:.0f} B"


def duration(seconds: float | None) -> str:
    """A span as `45s`, `12m`, `1h02m` or `3d04h`."""
    if seconds is None or not math.isfinite(seconds):
        return DASH
    s = int(max(0.0, seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m"
    if s < 86400:
        return f"{s // 3600}h{s % 3600 // 60:02d}m"
    return f"{s // 86400}d{s % 86400 // 3600:02d}h"


def age(when: datetime | None, now: datetime) -> str:
    """How long ago, coarse: `now` under 5 s, then as `duration`."""
    if when is None:
        return DASH
    seconds = (now - when).total_seconds()
    return "now" if seconds < 5 else duration(seconds)


def duration_stays(seconds: float) -> float:
    """Seconds for which `duration` of a span growing with the clock reads as it does now."""
    if seconds < 1:
        return 1 - seconds  # "0s" (a start in the future too) until then
    if seconds < 60:
        return 1 - seconds % 1
    if seconds < 86400:
        return 60 - seconds % 60
    return 3600 - seconds % 3600


def age_stays(when: datetime | None, now: datetime) -> float:
    """Seconds for which `age(when, ...)` reads as it does at `now`."""
    if when is None:
        return math.inf
    seconds = (now - when).total_seconds()
    return 5 - seconds if seconds < 5 else duration_stays(seconds)


_UNITS = (("s", 1, 60), ("m", 60, 3600), ("h", 3600, 86400))


def countdown(seconds: float) -> str:
    """A planned start `seconds` ahead (negative: past it), coarse enough for a table cell:
    `in 45s`, `in 12m`, `in 3h`, `in 2d` (rounded up: "in 12m" is at most 12 minutes), then
    `late 0s`, `late 3m`, `late 2h`, `late 1d` (rounded down, as ages are)."""
    if seconds > 0:
        for unit, size, upto in _UNITS:
            if seconds <= upto:
                return f"in {math.ceil(seconds / size)}{unit}"
        return f"in {math.ceil(seconds / 86400)}d"
    late = -seconds
    for unit, size, below in _UNITS:
        if late < below:
            return f"late {int(late // size)}{unit}"
    return f"late {int(late // 86400)}d"


def countdown_stays(seconds: float) -> float:
    """Seconds for which `countdown` of a start `seconds` ahead reads as it does now."""
    if seconds > 0:
        size = (
            1 if seconds <= 60 else 60 if seconds <= 3600 else 3600 if seconds <= 86400 else 86400
        )
        return seconds - (math.ceil(seconds / size) - 1) * size
    late = -seconds
    size = 1 if late < 60 else 60 if late < 3600 else 3600 if late < 86400 else 86400
    return size - late % size


def timestamp(when: datetime | None) -> str:
    """ISO 8601 UTC to the second, for detail views."""
    if when is None:
        return DASH
    return when.strftime("%Y-%m-%d %H:%M:%SZ")


def safe_text(value: object, limit: int = 200) -> str:
    """Provider text made inert for a terminal: control and format characters become visible
    escapes (`\\x1b`, `\\u202e`), and very long text is cut with an ellipsis.

    The result is still *literal* text; widgets must additionally render it without markup.
    """
    text = value if isinstance(value, str) else str(value)
    if len(text) > limit * 4:
        text = text[: limit * 4]
    out: list[str] = []
    for ch in text:
        if ch.isprintable() and unicodedata.category(ch) not in ("Cf", "Co", "Cs"):
            out.append(ch)
        elif ch in "\t\n\r":
            out.append(" ")
        else:
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
    flat = "".join(out)
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


_BLOCKS = " ▁▂▃▄▅▆▇█"


def spark(values: list[float], width: int) -> str:
    """The last `width` values as block characters scaled from zero (not from the minimum:
    a 5.7 → 5.6 Mb/s wobble must not look like a collapse)."""
    tail = [v if math.isfinite(v) and v > 0 else 0.0 for v in values[-width:]]
    top = max(tail, default=0.0)
    if top <= 0:
        return "▁" * len(tail)
    return "".join(_BLOCKS[max(1, round(v / top * 8))] if v else "▁" for v in tail)
