"""The simulated Livepeer Studio account: streams whose sessions start, ingest, falter and end.

Nothing changes per tick. Stream `j` has a fixed timetable of slots (a period and an origin);
slot `k` holds one session whose start, end, bitrate curve and unhealthy windows follow from a
hash of (seed, j, k). A session's record at time `t` is computed from `t` alone, so idle sessions
cost nothing and any moment is reproducible for a seed. History never disappears (like the real
API): new slots keep starting, so the account grows by one session per stream per period.
"""

from __future__ import annotations

import json
import math
import operator
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from tui.sim.livepeer_media import (
    SEGMENT_S,
    TICK_S,
    Plan,
    Stream,
    make_plan,
    make_stream,
    slot_shape,
)
from tui.sim.rand import decode_uuid, encode_uuid, h64

LIVE_WINDOW_S = 90.0  # the service calls a stream inactive once lastSeen is 90 s old
DUTY = 0.7  # mean share of its slot a session spends on air
FIELDS = {"lastSeen": 0, "createdAt": 1}  # sortable and filterable, as (entry column)
OPS: dict[str, Callable[[float, float], bool]] = {
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
}
Order = tuple[tuple[str, bool], ...]  # (field, descending)
Filters = tuple[tuple[str, str, float], ...]  # (field, op, value)
DEFAULT_ORDER: Order = (("lastSeen", True), ("createdAt", True))
_RECORDINGS = "https://livepeercdn.studio/recordings"


def _ms(seconds: float) -> int:
    return int(seconds * 1000)


def _dumps(data: Any) -> bytes:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass(frozen=True, slots=True)
class _Timetable:
    period: float
    origin: float


class LivepeerWorld:
    """Every session of one simulated Livepeer account, computed from the clock on demand."""

    def __init__(
        self, seed: int, sessions: int, churn: float, start: float, hostile: bool = False
    ) -> None:
        self.seed = seed
        self.hostile = hostile
        rng = random.Random(h64(seed, 0x11FE))
        n_streams = min(sessions, max(1, round(sessions * churn / DUTY))) if sessions else 0
        self._tables: list[_Timetable] = []
        for j in range(n_streams):
            history = sessions // n_streams + (1 if j < sessions % n_streams else 0)
            period = rng.uniform(10.0, 30.0) * 60.0
            phase = rng.uniform(0.1, 1.0)  # how far into its newest slot the stream is at start
            self._tables.append(_Timetable(period, start - (history - 1 + phase) * period))
        self._key_session = h64(seed, 0x5E55)
        self._key_stream = h64(seed, 0x57EA)
        projects = tuple(encode_uuid(h64(seed, 0x9A), p) for p in range(2))
        self._account = (encode_uuid(h64(seed, 0x05E4), 0).upper(), projects)
        self._streams: dict[int, Stream] = {}
        self._times: list[dict[int, tuple[float, float, bool]]] = [{} for _ in range(n_streams)]
        self._plans: dict[int, Plan] = {}
        self._final: dict[int, tuple[float, bytes]] = {}  # (settled at, JSON): final records
        # Unsettled records' JSON by the moment it was made for (see `_moment`).
        self._recent: dict[int, tuple[tuple[float, bool, bool], bytes]] = {}
        self._done: list[tuple[tuple[int, int, int], ...]] = [()] * n_streams
        self._entries_at: tuple[float, list[tuple[int, int, int]]] | None = None
        self._listings: dict[tuple[float, Order, Filters], list[int]] = {}
        self._listings_at = 0.0

    # -- identity ---------------------------------------------------------------------------

    @property
    def stream_count(self) -> int:
        return len(self._tables)

    def stream(self, j: int) -> Stream:
        found = self._streams.get(j)
        if found is None:
            sid = encode_uuid(self._key_stream, j)
            found = self._streams[j] = make_stream(self.seed, j, sid, self._account, self.hostile)
        return found

    def session_id(self, index: int) -> str:
        return encode_uuid(self._key_session, index)

    def find_session(self, session_id: str) -> int | None:
        return decode_uuid(self._key_session, session_id)

    def find_stream(self, stream_id: str) -> int | None:
        j = decode_uuid(self._key_stream, stream_id)
        return j if j is not None and j < len(self._tables) else None

    # -- timetable --------------------------------------------------------------------------

    def _slot(self, j: int, k: int) -> tuple[float, float, bool]:
        """(start, end, failed) of slot k of stream j, memoised: they never change."""
        found = self._times[j].get(k)
        if found is None:
            table = self._tables[j]
            jitter, share, failed, short = slot_shape(self.seed, j, k)
            start = table.origin + (k + jitter) * table.period
            found = (start, start + (short if failed else share * table.period), failed)
            self._times[j][k] = found
        return found

    def _newest(self, j: int, t: float) -> int:
        """The newest slot of stream j that has started by t (-1 if none)."""
        table = self._tables[j]
        k = math.floor((t - table.origin) / table.period)
        if k >= 0 and self._slot(j, k)[0] > t:
            k -= 1
        return k

    def plan(self, index: int) -> Plan:
        found = self._plans.get(index)
        if found is None:
            j, k = index >> 32, index & 0xFFFFFFFF
            found = self._plans[index] = make_plan(self.seed, j, k, self._tables[j].period)
        return found

    # -- records ----------------------------------------------------------------------------

    def session(self, index: int, t: float) -> dict[str, Any] | None:
        """The wire record of one session as the API would send it at time t, or None."""
        j, k = index >> 32, index & 0xFFFFFFFF
        if j >= len(self._tables) or k > self._newest(j, t):
            return None
        start, end, _ = self._slot(j, k)
        stream = self.stream(j)
        plan = self.plan(index)
        ended = t >= end
        report = end if ended else start + ((t - start) // TICK_S) * TICK_S
        stats = plan.stats(stream, report - start, ended)
        sid = self.session_id(index)
        record: dict[str, Any] = {
            "name": stream.name,
            "id": sid,
            "kind": "stream",
            "userId": stream.user_id,
            "lastSeen": _ms(report),
            **stats,
            "createdAt": _ms(start),
            "parentId": stream.id,
            "projectId": stream.project_id,
            "record": stream.record,
        }
        if stream.record:
            record.update(self._recording(sid, plan, t, end))
        record["playbackId"] = stream.playback_id
        record["profiles"] = stream.profiles
        if stream.recording_spec is not None:
            record["recordingSpec"] = stream.recording_spec
        return record

    @staticmethod
    def _recording(sid: str, plan: Plan, t: float, end: float) -> dict[str, Any]:
        if plan.failed:
            return {"recordingStatus": "none"}
        if t < end + plan.ready_delay:
            return {"recordingStatus": "waiting"}
        if plan.recording_failed:
            return {"recordingStatus": "failed"}
        return {
            "recordingStatus": "ready",
            "recordingUrl": f"{_RECORDINGS}/{sid}/index.m3u8",
            "mp4Url": f"{_RECORDINGS}/{sid}/source.mp4",
        }

    def _moment(self, index: int, t: float) -> tuple[float, bool, bool]:
        """How `session(index, t)` depends on t: through the report time, whether the session
        has ended, and whether its recording's processing delay has passed."""
        start, end, _ = self._slot(index >> 32, index & 0xFFFFFFFF)
        ended = t >= end
        report = end if ended else start + ((t - start) // TICK_S) * TICK_S
        return report, ended, t >= end + self.plan(index).ready_delay

    def session_json(self, index: int, t: float) -> bytes | None:
        """`session()` as JSON; encoded once per report (live sessions report every 10 s),
        and once for good when a session can no longer change."""
        cached = self._final.get(index)
        if cached is not None and t >= cached[0]:
            return cached[1]
        j, k = index >> 32, index & 0xFFFFFFFF
        if j >= len(self._tables) or k > self._newest(j, t):
            return None
        moment = self._moment(index, t)
        recent = self._recent.get(index)
        if recent is not None and recent[0] == moment:
            return recent[1]
        record = self.session(index, t)
        if record is None:
            return None
        blob = _dumps(record)
        _, end, _ = self._slot(j, k)
        settled = end + self.plan(index).ready_delay if self.stream(j).record else end
        if t >= settled:
            self._final[index] = (settled, blob)
            self._recent.pop(index, None)
        else:
            self._recent[index] = (moment, blob)
        return blob

    def page_json(self, indices: Sequence[int], t: float) -> bytes:
        """A JSON array of the given sessions, built from cached fragments where possible."""
        parts = [blob for i in indices if (blob := self.session_json(i, t)) is not None]
        return b"[" + b",".join(parts) + b"]"

    # -- queries ----------------------------------------------------------------------------

    def _entries(self, t: float) -> list[tuple[int, int, int]]:
        """(lastSeen ms, createdAt ms, index) of every session visible at t."""
        if self._entries_at is not None and self._entries_at[0] == t:
            return self._entries_at[1]
        out: list[tuple[int, int, int]] = []
        for j in range(len(self._tables)):
            newest = self._newest(j, t)
            if newest < 0:
                continue
            # Slots never overlap, so all but the newest have ended: their entries are fixed.
            done = self._done[j]
            if len(done) < newest:
                fresh = []
                for k in range(len(done), newest):
                    start, end, _ = self._slot(j, k)
                    fresh.append((_ms(end), _ms(start), (j << 32) | k))
                # Replaced, never appended to: a reader in another thread sees old or new.
                done = self._done[j] = done + tuple(fresh)
            out.extend(done[:newest] if len(done) > newest else done)
            start, end, _ = self._slot(j, newest)
            seen = end if t >= end else start + ((t - start) // TICK_S) * TICK_S
            out.append((_ms(seen), _ms(start), (j << 32) | newest))
        self._entries_at = (t, out)
        return out

    def listing(self, t: float, order: Order = DEFAULT_ORDER, filters: Filters = ()) -> list[int]:
        """Indices of the sessions matching `filters` at t, sorted by `order` (cached per t)."""
        key = (t, order, filters)
        found = self._listings.get(key)
        if found is not None:
            return found
        if self._listings_at != t:
            self._listings, self._listings_at = {}, t
        entries = list(self._entries(t))
        for field, op, value in filters:
            col, test = FIELDS[field], OPS[op]
            entries = [e for e in entries if test(e[col], value)]
        if order == DEFAULT_ORDER:  # the tuples already sort as (lastSeen, createdAt, index)
            entries.sort(reverse=True)
        else:
            for field, descending in reversed(order):
                entries.sort(key=itemgetter(FIELDS[field]), reverse=descending)
        found = self._listings[key] = [e[2] for e in entries]
        return found

    def stream_sessions(self, j: int, t: float, record_only: bool = False) -> list[int]:
        """One stream's sessions that have segments, newest first (`/stream/{id}/sessions`)."""
        out = []
        for k in range(self._newest(j, t), -1, -1):
            start, end, failed = self._slot(j, k)
            report = end if t >= end else start + ((t - start) // TICK_S) * TICK_S
            if failed or report - start < SEGMENT_S:
                continue  # no segments yet: the real endpoint leaves these out
            if record_only and not self.stream(j).record:
                continue
            out.append((j << 32) | k)
        return out

    def on_air(self, t: float) -> list[tuple[int, int, float]]:
        """(stream, session index, seconds on air as last reported) of every session sending
        at t (a failed one never sent anything)."""
        out = []
        for j in range(len(self._tables)):
            k = self._newest(j, t)
            if k < 0:
                continue
            start, end, failed = self._slot(j, k)
            if failed or t >= end:
                continue
            out.append((j, (j << 32) | k, ((t - start) // TICK_S) * TICK_S))
        return out

    def counts(self, t: float) -> dict[str, int]:
        entries = self._entries(t)
        now_ms = _ms(t)
        live = sum(1 for seen, _, _ in entries if now_ms - seen < LIVE_WINDOW_S * 1000)
        return {"sessions": len(entries), "live": live, "streams": len(self._tables)}
