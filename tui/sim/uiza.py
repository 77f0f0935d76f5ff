"""The simulated Uiza account: live entities whose sessions broadcast and finish on a timetable.

Like the Livepeer world, each entity has slots (a period and an origin) and every session is
computed from the clock. A broadcasting session has no `duration` (one entity omits the key, the
others send null, as both happen in the wild); a finished one has it in seconds. An entity has a
name an operator would recognise (or, with hostile names, one built to break a terminal).
"""

from __future__ import annotations

import base64
import binascii
import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tui.sim.names import maybe_hostile, stream_name
from tui.sim.rand import alnum, between, decode_uuid, encode_uuid, h64

UPDATE_S = 30.0  # how often a broadcasting session's `updated_at` moves


def iso(seconds: float) -> str:
    """ISO 8601 in UTC with a `Z`, to the second, like the API's examples."""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True, slots=True)
class Entity:
    """One Uiza live entity (a channel) and its session timetable."""

    index: int
    id: str
    name: str
    stream_key: str
    period: float
    duty: float
    origin: float
    null_duration: bool  # broadcasting sessions send `"duration": null` instead of no key


# (sessions by the start, period in minutes, on-air share, where in its newest slot at start)
_SHAPES = (
    (150, 10.0, 0.92, (0.05, 0.8)),  # a 24/7 channel of short segments: needs several pages
    (14, 45.0, 0.75, (0.1, 0.6)),  # broadcasting now
    (6, 180.0, 0.5, (0.6, 0.9)),  # idle: its last session has finished
)


class UizaWorld:
    """The entities of one simulated Uiza account and all their sessions."""

    def __init__(self, seed: int, start: float, hostile: bool = False) -> None:
        rng = random.Random(h64(seed, 0x0A12))
        names = random.Random(h64(seed, 0x0A13))  # its own: names leave the timetable as it was
        self.start = start
        self.seed = seed
        self._key_entity = h64(seed, 0xE7)
        self._key_session = h64(seed, 0x5E)
        self.entities: list[Entity] = []
        for e, (count, minutes, duty, (low, high)) in enumerate(_SHAPES):
            period = minutes * 60.0
            phase = rng.uniform(low, high)
            self.entities.append(
                Entity(
                    index=e,
                    id=encode_uuid(self._key_entity, e),
                    name=maybe_hostile(names, stream_name(names), hostile, share=0.5),
                    stream_key="live_" + alnum(10, seed, e, 0x4B),
                    period=period,
                    duty=duty,
                    origin=start - (count - 1 + phase) * period,
                    null_duration=e != 1,
                )
            )

    def find_entity(self, entity_id: str) -> Entity | None:
        e = decode_uuid(self._key_entity, entity_id)
        return self.entities[e] if e is not None and e < len(self.entities) else None

    def entity(self, entity: Entity) -> dict[str, Any]:
        """The live entity as `GET /v1/live_entities/{id}` sends it (its stream key too)."""
        host = f"{entity.id[:10]}.uiza.example"
        return {
            "id": entity.id,
            "name": entity.name,
            "description": f"Channel {entity.index + 1}",
            "ingest": {"url": f"rtmp://{host}/transcode", "key": entity.stream_key},
            "playback": {"hls": f"https://{host}/fmp4/{entity.id}/master.m3u8"},
            "relay": [],
            "region": "in-bangalore-1",
            "status": "ready",
            "dvr": entity.index != 2,
            "encode": False,
            "created_at": iso(entity.origin - 86400.0),
            "updated_at": iso(self.start - 3600.0),
        }

    def _times(self, entity: Entity, k: int) -> tuple[float, float]:
        start = entity.origin + (k + between(0.0, 0.03, self.seed, entity.index, k, 1)) * (
            entity.period
        )
        length = entity.duty * entity.period * between(0.85, 1.0, self.seed, entity.index, k, 2)
        return start, start + length

    def newest(self, entity: Entity, t: float) -> int:
        """The newest slot that has started by t (-1 if none)."""
        k = math.floor((t - entity.origin) / entity.period)
        if k >= 0 and self._times(entity, k)[0] > t:
            k -= 1
        return k

    def session(
        self, entity: Entity, k: int, t: float, key_field: str = "stream_key"
    ) -> dict[str, Any]:
        """Slot k's session as sent at t; the list calls the key `stream_key`, get-one
        `ingest_key` (as the API's own examples do)."""
        start, end = self._times(entity, k)
        record: dict[str, Any] = {
            "id": encode_uuid(self._key_session, (entity.index << 32) | k),
            "entity_id": entity.id,
            key_field: entity.stream_key,
        }
        if t >= end:
            record["duration"] = round(end - start, 3)
            updated = end
        else:
            if entity.null_duration:
                record["duration"] = None
            updated = start + ((t - start) // UPDATE_S) * UPDATE_S
        record["created_at"] = iso(start)
        record["updated_at"] = iso(updated)
        return record

    def find_session(self, entity: Entity, session_id: str, t: float) -> int | None:
        index = decode_uuid(self._key_session, session_id)
        if index is None or index >> 32 != entity.index:
            return None
        k = index & 0xFFFFFFFF
        return k if k <= self.newest(entity, t) else None

    def live_count(self, t: float) -> int:
        return sum(
            1
            for entity in self.entities
            if (k := self.newest(entity, t)) >= 0 and t < self._times(entity, k)[1]
        )


def encode_page_token(entity: Entity, k: int) -> str:
    """An opaque token for "the page starting at slot k" (stable while new sessions appear)."""
    raw = f"{entity.index}:{k}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_page_token(entity: Entity, token: str) -> int | None:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        index, k = (int(part) for part in raw.split(":"))
    except (ValueError, UnicodeDecodeError, binascii.Error):
        return None
    return k if index == entity.index and k >= 0 else None
