"""What a simulated Livepeer session carries: its stream's setup and its own media plan.

A `Plan` is one session's fate, drawn from a hash of (seed, stream, slot): when it starts and
how long it stays on air, a smoothly varying ingest bitrate, the windows in which it turns
unhealthy and why, and what happens to its recording. Byte counters are the exact integral of
the reported rates, so a monitor that differentiates them gets the rates back.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any

from tui.sim.names import maybe_hostile, stream_name
from tui.sim.rand import base36, h64, mix64

TICK_S = 10.0  # the service refreshes a live session's stats about every 10 s
SEGMENT_S = 2.0
LOW_BITRATE = 0.12  # share of its normal rate a session ingests in a low-bitrate window

_DEFAULT_LADDER: tuple[dict[str, Any], ...] = (
    {"name": "240p0", "fps": 0, "bitrate": 250000, "width": 426, "height": 240},
    {"name": "360p0", "fps": 0, "bitrate": 800000, "width": 640, "height": 360},
    {"name": "480p0", "fps": 0, "bitrate": 1600000, "width": 854, "height": 480},
    {"name": "720p0", "fps": 0, "bitrate": 3000000, "width": 1280, "height": 720},
)
_FULL_LADDER: tuple[dict[str, Any], ...] = (
    {
        "name": "1080p",
        "width": 1920,
        "height": 1080,
        "bitrate": 6000000,
        "fps": 30,
        "fpsDen": 1,
        "quality": 23,
        "gop": "2.0",
        "profile": "H264High",
        "encoder": "H.264",
    },
    {
        "name": "720p",
        "width": 1280,
        "height": 720,
        "bitrate": 3000000,
        "fps": 30,
        "fpsDen": 1,
        "gop": "2.0",
        "profile": "H264Main",
        "encoder": "H.264",
    },
    {"name": "360p", "width": 640, "height": 360, "bitrate": 800000, "fps": 30, "gop": "2.0"},
)
_LOW_LATENCY_LADDER: tuple[dict[str, Any], ...] = (
    {
        "name": "720p60",
        "width": 1280,
        "height": 720,
        "bitrate": 4500000,
        "fps": 60,
        "fpsDen": 1,
        "gop": "1.0",
        "profile": "H264ConstrainedHigh",
        "encoder": "H.264",
    },
    {"name": "480p", "width": 854, "height": 480, "bitrate": 1200000, "fps": 30, "gop": "1.0"},
)
_LADDERS = (_DEFAULT_LADDER, _DEFAULT_LADDER, _FULL_LADDER, _LOW_LATENCY_LADDER)
_RECORDING_SPEC: dict[str, Any] = {
    "profiles": [
        {"name": "1080p", "bitrate": 6000000, "width": 1920, "height": 1080},
        {"name": "720p", "bitrate": 3000000, "width": 1280, "height": 720, "fps": 30},
    ]
}


@dataclass(frozen=True, slots=True)
class Stream:
    """A Livepeer stream: the identity and encoding setup its sessions inherit."""

    index: int
    id: str
    name: str
    user_id: str
    project_id: str
    playback_id: str
    record: bool
    source_bps: float  # bits per second
    profiles: list[dict[str, Any]]
    recording_spec: dict[str, Any] | None
    ladder_ratio: float  # transcoded output per byte of input: ladder bitrate over the source's


def make_stream(
    seed: int, j: int, stream_id: str, account: tuple[str, tuple[str, ...]], hostile: bool
) -> Stream:
    """Stream j's setup; `account` is (user id, project ids) shared by every stream."""
    rng = random.Random(h64(seed, j, 0x57))
    name = maybe_hostile(rng, stream_name(rng), hostile)
    record = rng.random() < 0.55
    spec = _RECORDING_SPEC if record and rng.random() < 0.4 else None
    source = round(rng.uniform(2.0, 8.0), 1) * 1e6
    ladder = rng.choice(_LADDERS)
    return Stream(
        index=j,
        id=stream_id,
        name=name,
        user_id=account[0],
        project_id=rng.choice(account[1]),
        playback_id=base36(16, seed, j, 0x9B),
        record=record,
        source_bps=source,
        profiles=[dict(p) for p in ladder],
        recording_spec=spec,
        # A rendition never gets more bits than the source has to give.
        ladder_ratio=sum(min(float(p["bitrate"]), source) for p in ladder) / source,
    )


@dataclass(frozen=True, slots=True)
class Window:
    """A stretch of a session (seconds from its start) during which it is unhealthy."""

    begin: float
    end: float
    kind: str  # "keyframe" | "bitrate" | "frames" (the usual), "transcode" | "playback" | "odd"
    magnitude: float


@dataclass(frozen=True, slots=True)
class Plan:
    """One session's fate: timing, bitrate curve, unhealthy windows, recording outcome."""

    failed: bool  # connected but never sent a segment
    waves: tuple[float, float, float, float, float, float]  # (amp, omega, phase) x 2
    windows: tuple[Window, ...]
    ready_delay: float  # seconds after the end until the recording is processed
    recording_failed: bool

    def dips(self) -> list[tuple[float, float]]:
        """The low-bitrate stretches, overlapping windows merged (a dip does not stack)."""
        spans = sorted((w.begin, w.end) for w in self.windows if w.kind == "bitrate")
        merged: list[tuple[float, float]] = []
        for begin, end in spans:
            if merged and begin <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
            else:
                merged.append((begin, end))
        return merged

    def rate(self, base: float, tau: float) -> float:
        """Ingest rate in bytes/s at tau seconds into the session."""
        a1, w1, p1, a2, w2, p2 = self.waves
        value = base * (1.0 + a1 * math.sin(w1 * tau + p1) + a2 * math.sin(w2 * tau + p2))
        if any(begin <= tau < end for begin, end in self.dips()):
            value *= LOW_BITRATE
        return value

    def _smooth_total(self, base: float, tau: float) -> float:
        a1, w1, p1, a2, w2, p2 = self.waves
        return base * (
            tau
            + a1 / w1 * (math.cos(p1) - math.cos(w1 * tau + p1))
            + a2 / w2 * (math.cos(p2) - math.cos(w2 * tau + p2))
        )

    def total(self, base: float, tau: float) -> float:
        """Bytes ingested by tau: the exact integral of `rate` from 0."""
        value = self._smooth_total(base, tau)
        for begin, end in self.dips():
            if tau > begin:
                inside = self._smooth_total(base, min(tau, end))
                value -= (1.0 - LOW_BITRATE) * (inside - self._smooth_total(base, begin))
        return value

    def issues(self, rate: float, tau: float) -> list[str]:
        out = []
        for w in self.windows:
            if not w.begin <= tau < w.end:
                continue
            if w.kind == "keyframe":
                out.append(
                    f"Keyframe interval of {w.magnitude:.1f}s is too long; "
                    "set your encoder to 2s keyframes"
                )
            elif w.kind == "bitrate":
                out.append(
                    f"Low bitrate: ingest at {rate * 8 / 1000:,.0f} kbps, below the "
                    "1,000 kbps the transcoding ladder needs"
                )
            elif w.kind == "frames":
                out.append(
                    f"Dropped frames: {w.magnitude:.1f}% of source frames lost in the last minute"
                )
            else:
                out.append(_RARE_ISSUES[w.kind].format(w.magnitude))
        return out

    def stats(self, stream: Stream, tau: float, ended: bool) -> dict[str, Any]:
        """Counters, rates and health as reported tau seconds into the session."""
        if self.failed:
            rate = total = 0.0
            segments = transcoded = 0
        else:
            base = stream.source_bps / 8.0
            rate, total = self.rate(base, tau), self.total(base, tau)
            segments = int(tau // SEGMENT_S)
            transcoded = max(0, segments - 1) * len(stream.profiles)
        healthy: bool | None = None
        issues: list[str] | None = None
        if not (self.failed or ended or tau < TICK_S):  # unknown until the second report
            issues = self.issues(rate, tau) or None
            healthy = issues is None
        ratio = stream.ladder_ratio
        return {
            "sourceSegments": segments,
            "transcodedSegments": transcoded,
            "sourceSegmentsDuration": segments * SEGMENT_S,
            "transcodedSegmentsDuration": transcoded * SEGMENT_S,
            "sourceBytes": int(total),
            "transcodedBytes": int(total * ratio),
            "ingestRate": round(rate, 1),
            "outgoingRate": round(rate * ratio, 1),
            "isHealthy": healthy,
            "issues": issues,
        }


_KINDS = ("keyframe", "bitrate", "frames")
# Rarer trouble, so that every issue class shows up (`tui.issue_classes`): the provider's side,
# what viewers get, and wording no rule knows.
_RARE_ISSUES = {
    "transcode": "Transcoding is falling behind: {:.0f}% of segments late in the last minute",
    "playback": "Playback errors: {:.0f}% of viewers could not load the stream",
    "odd": "Stream health check returned code {:.0f}",
}
_RARE = tuple(_RARE_ISSUES)
RARE_SHARE = 0.25  # of sessions, one window of a rarer kind on top of the usual ones


def _u16(x: int, i: int) -> float:
    """The i-th 16-bit slice of a 64-bit hash as a float in [0, 1)."""
    return ((x >> (16 * i)) & 0xFFFF) / 65536.0


def slot_shape(seed: int, j: int, k: int) -> tuple[float, float, bool, float]:
    """(jitter, share, failed, short) of a slot from one hash: the timetable needs only these."""
    x = h64(seed, j, k)
    jitter = _u16(x, 0) * 0.08  # share of the period before the session starts
    share = 0.5 + 0.4 * _u16(x, 1)  # share of the period on air
    failed = _u16(x, 2) < 0.03
    short = 3.0 + 12.0 * _u16(x, 3)  # seconds on air of a failed session
    return jitter, share, failed, short


def make_plan(seed: int, j: int, k: int, period: float) -> Plan:
    """The fate of slot k of stream j, from a handful of hashes (no stored state)."""
    _, share, failed, short = slot_shape(seed, j, k)
    on_air = short if failed else share * period
    base = h64(seed, j, k, 1)
    a, b, c = mix64(base ^ 0xA), mix64(base ^ 0xB), mix64(base ^ 0xC)
    count = 0 if _u16(a, 0) < 0.45 else 1 if _u16(a, 0) < 0.85 else 2
    windows = []
    for n in range(count):
        w = mix64(base ^ (0x10 + n))
        length = 40.0 + 200.0 * _u16(w, 0)
        begin = _u16(w, 1) * max(1.0, on_air - length)
        kind = _KINDS[int(_u16(w, 2) * 3)]
        low, high = (2.0, 18.0) if kind == "frames" else (6.0, 14.0)
        windows.append(Window(begin, begin + length, kind, low + (high - low) * _u16(w, 3)))
    rare = mix64(base ^ 0x20)  # a hash of its own: the usual windows stay as they were
    if _u16(rare, 0) < RARE_SHARE:
        length = 40.0 + 160.0 * _u16(rare, 1)
        begin = _u16(rare, 2) * max(1.0, on_air - length)
        kind = _RARE[int(_u16(rare, 3) * 3)]
        windows.append(Window(begin, begin + length, kind, 8.0 + 40.0 * _u16(mix64(rare), 0)))
    tau = 2 * math.pi
    waves = (
        0.08 + 0.10 * _u16(b, 0),
        tau / (120.0 + 480.0 * _u16(b, 1)),
        tau * _u16(b, 2),
        0.03 + 0.05 * _u16(b, 3),
        tau / (20.0 + 40.0 * _u16(c, 0)),
        tau * _u16(c, 1),
    )
    return Plan(
        failed=failed,
        waves=waves,
        windows=tuple(windows),
        ready_delay=20.0 + 130.0 * _u16(a, 1),
        recording_failed=_u16(a, 2) < 0.04,
    )
