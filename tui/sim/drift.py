"""Schema drift: what a provider's records look like after the API changed under the client.

Each record gains fields the client has never seen, has a couple of optional fields set to null
and a couple removed. Which ones rotates with the record's position, so a page shows every kind.
Identity and the fields that decide a session's state (`id`, `name`, `lastSeen`, Uiza's
`duration`, a call's `status` and `live`) are left alone: drift must not change what is true.
"""

from __future__ import annotations

import json
from typing import Any

_LIVEPEER_NULLABLE = (
    "playbackId",
    "projectId",
    "profiles",
    "createdAt",
    "ingestRate",
    "transcodedBytes",
    "record",
    "recordingSpec",
)
_LIVEPEER_DROPPABLE = (
    "kind",
    "userId",
    "sourceSegmentsDuration",
    "outgoingRate",
    "parentId",
    "isHealthy",
    "issues",
    "mp4Url",
)


def _rotate(names: tuple[str, ...], i: int, count: int = 2) -> list[str]:
    return [names[(i * count + n) % len(names)] for n in range(count)]


def _livepeer(record: dict[str, Any], i: int) -> None:
    record["parentStream"] = {"id": record.get("parentId"), "name": record.get("name")}
    record["lastSeenAt"] = "unknown"  # a tempting field of the wrong type
    record["tags"] = {"drift": True, "n": i}
    for name in _rotate(_LIVEPEER_NULLABLE, i):
        record[name] = None
    for name in _rotate(_LIVEPEER_DROPPABLE, i):
        record.pop(name, None)


def _uiza(record: dict[str, Any], i: int) -> None:
    record["region"] = "in-bangalore-1"
    record["viewer_count"] = None
    record["dvr"] = {"enabled": i % 2 == 0}
    if i % 2:
        record["updated_at"] = None
    else:
        record.pop("entity_id", None)
    for key in ("ingest_key", "stream_key"):
        if i % 3 == 0:
            record.pop(key, None)


def _calls(record: dict[str, Any], i: int) -> None:
    record["metadata"] = {"region": "us-east-1", "participants": 3}
    record["host_user_id"] = None
    record.pop("stream_call_type", None)
    record.pop("created_at", None)
    if isinstance(record.get("live"), dict):
        record["live"]["viewer_count"] = 12


_BY_PROVIDER = {"livepeer": _livepeer, "uiza": _uiza, "calls": _calls}


def drift_body(provider: str, body: bytes) -> bytes:
    """The JSON `body` of a successful answer with every record drifted."""
    try:
        data = json.loads(body)
    except ValueError:
        return body
    change = _BY_PROVIDER[provider]
    if isinstance(data, dict) and isinstance(data.get("data"), list):
        records: list[Any] = data["data"]  # a Uiza page
    elif isinstance(data, list):
        records = data
    else:
        records = [data]
    for i, record in enumerate(records):
        if isinstance(record, dict):
            change(record, i)
    return json.dumps(data, ensure_ascii=False).encode()
