"""The simulated live-calls API: a handful of calls on a timetable relative to the start.

One goes scheduled -> live (through backstage) -> ended with its recording processed; one is
live; one ended long ago; one errored; one's row says live while the video backend says it
ended (the disagreement an operator must see); one's backend lookup fails now and then
(`live: null`); one is scheduled far ahead; one is late (its slot began 3 minutes before the
start, it goes live 4 minutes after). Every field is computed from the clock.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tui.sim.names import maybe_hostile
from tui.sim.rand import alnum, decode_uuid, encode_uuid, h64, unit

_MIN = 60.0
_HOUR = 3600.0
FLAKY_BUCKET_S = 20.0  # the flaky backend's answer changes at most this often


def iso_ms(seconds: float) -> str:
    """ISO 8601 in UTC with milliseconds, as a database row serialises."""
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


@dataclass(frozen=True, slots=True)
class Call:
    """One call's timetable (absolute sim times) and quirks."""

    index: int
    id: str
    title: str
    kind: str  # "default" | "livestream" (starts in backstage)
    host: str
    created: float
    scheduled: float | None
    started: float | None
    backstage: float  # seconds a livestream call stays in backstage after it starts
    ended: float | None
    errored: float | None
    recording_delay: float | None  # None: not recorded
    quirk: str  # "" | "disagree" | "flaky"


# title, kind, created, scheduled, started, ended, errored, recording delay (minutes), quirk
_TIMETABLE: tuple[tuple[Any, ...], ...] = (
    ("Morning standup — Ops", "default", -60, -30, -25, 20, None, 1.5, ""),
    ("Product launch livestream", "livestream", -120, 0.3, 0.75, 8, None, 1.0, ""),
    ("Office hours (recorded)", "default", -300, -185, -180, -130, None, 3.0, ""),
    ("Investor update", "livestream", -90, -15, -12, None, -9, None, ""),
    ("Town hall — overflow room", "livestream", -200, -45, -40, 180, None, None, "disagree"),
    ("Coaching call: Dana + Sam", "default", -30, -8, -6, 50, None, 2.0, "flaky"),
    ("Quarterly review", "livestream", -1440, 2880, None, None, None, None, ""),
    ("Guest interview (remote)", "default", -90, -3, 4, 45, None, 2.0, ""),
)


class CallsWorld:
    """The calls of one simulated account, answered as `GET /v1/live/calls/{id}` would."""

    def __init__(self, seed: int, start: float, hostile: bool = False) -> None:
        rng = random.Random(h64(seed, 0xCA11))
        self.seed = seed
        self._key = h64(seed, 0xCA)
        self.calls: list[Call] = []
        for i, row in enumerate(_TIMETABLE):
            title, kind, created, scheduled, started, ended, errored, delay, quirk = row

            def at(minutes: float | None) -> float | None:
                return None if minutes is None else start + minutes * _MIN

            self.calls.append(
                Call(
                    index=i,
                    id=encode_uuid(self._key, i),
                    title=maybe_hostile(rng, title, hostile, share=0.3),
                    kind=kind,
                    host="usr_" + alnum(12, seed, i, 0x40),
                    created=start + created * _MIN,
                    scheduled=at(scheduled),
                    started=at(started),
                    backstage=rng.uniform(15.0, 40.0) if kind == "livestream" else 0.0,
                    ended=at(ended),
                    errored=at(errored),
                    recording_delay=None if delay is None else delay * _MIN,
                    quirk=quirk,
                )
            )

    def find(self, call_id: str) -> Call | None:
        i = decode_uuid(self._key, call_id)
        return self.calls[i] if i is not None and i < len(self.calls) else None

    @staticmethod
    def status(call: Call, t: float) -> str:
        if call.errored is not None and t >= call.errored:
            return "errored"
        if call.started is None or t < call.started:
            return "scheduled"
        if call.ended is not None and t >= call.ended:
            return "ended"
        return "live"

    def record(self, call: Call, t: float) -> dict[str, Any]:
        """The row plus the backend's live status, as the API answers at time t."""
        status = self.status(call, t)
        ended = call.ended if status == "ended" else None
        recording_url = ready = None
        if ended is not None and call.recording_delay is not None:
            recording_url = f"https://recordings.example.invalid/calls/{call.id}/recording.mp4"
            if t >= ended + call.recording_delay:
                ready = ended + call.recording_delay
        events = [call.created, call.scheduled or call.created]
        events += [x for x in (call.started, ended, ready, call.errored) if x is not None]
        return {
            "id": call.id,
            "host_user_id": call.host,
            "title": call.title,
            "scheduled_at": _iso(call.scheduled),
            "started_at": _iso(call.started) if status != "scheduled" else None,
            "ended_at": _iso(ended),
            "stream_call_id": "sc_" + alnum(16, self.seed, call.index, 0x5C),
            "stream_call_type": call.kind,
            "recording_url": recording_url,
            "recording_ready_at": _iso(ready),
            "status": status,
            "created_at": _iso(call.created),
            "updated_at": _iso(max(x for x in events if x <= t)),
            "live": self._live(call, status, t),
        }

    def _live(self, call: Call, status: str, t: float) -> dict[str, Any] | None:
        """The video backend's view: null when the lookup failed."""
        if call.quirk == "flaky" and unit(self.seed, call.index, int(t // FLAKY_BUCKET_S)) < 0.35:
            return None
        off: dict[str, Any] = {"is_live": False, "current_session_id": None, "ended_at": None}
        if status == "live" and call.quirk == "disagree":
            # The backend ended the call a while ago; the row never heard about it.
            started = call.started or t
            return {**off, "ended_at": iso_ms(started + min(t - started, 5 * _MIN))}
        if status == "live":
            if call.started is not None and t < call.started + call.backstage:
                return off  # a livestream call waits in backstage before going live
            session = encode_uuid(h64(self._key, 0x5E), call.index)
            return {"is_live": True, "current_session_id": session, "ended_at": None}
        if status == "ended":
            return {**off, "ended_at": _iso(call.ended)}
        if status == "errored":
            return {**off, "ended_at": _iso(call.errored)}
        return off

    def live_count(self, t: float) -> int:
        return sum(1 for call in self.calls if self.status(call, t) == "live")


def _iso(seconds: float | None) -> str | None:
    return None if seconds is None else iso_ms(seconds)


def demo_plan(call_ids: list[str], start: float) -> list[dict[str, Any]]:
    """A rundown for the demo (`livetop --demo`), on the calls' timetable from `start`: the
    late guest (on air 4 minutes after the start), the launch (on air within its grace), the
    standup planned until +45 min (it ends at +20: ended early), the coaching call (done at
    +50, as planned)."""
    if len(call_ids) < len(_TIMETABLE):
        return []
    end = {0: 45.0, 5: 50.0}
    plan = []
    for index in (7, 1, 0, 5):
        item: dict[str, Any] = {"provider": "calls", "id": call_ids[index]}
        item["label"] = str(_TIMETABLE[index][0])
        if index in end:
            item["end"] = iso_ms(start + end[index] * _MIN)
        plan.append(item)
    return plan
