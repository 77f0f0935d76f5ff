"""Issue classes: where the fault behind a session's issue string lies, in a small fixed set.

Providers describe trouble in free text ("Keyframe interval of 4.0s is too long; set your
encoder to 2s keyframes", "row says live but the video backend says not live"). That text is
untrusted, unbounded and varies with numbers, so nothing may use it as a metric label or a
grouping key. `classify()` maps it onto one `IssueClass`, which says who has to act:

| class      | the fault is in                          | e.g.                                   |
|------------|------------------------------------------|----------------------------------------|
| `encoder`  | the broadcaster's encoder settings       | keyframe interval, low bitrate, fps    |
| `ingest`   | getting the signal to the provider       | dropped frames, missing segments       |
| `provider` | the provider's side: transcoding, backend| transcoding slow, backend disagrees    |
| `playback` | what viewers get                         | rebuffering; measured error rate       |
| `polling`  | livetop's own view: its data is stale    | (from livetop's staleness: classes_of) |
| `other`    | anything not recognised                  | unknown wording                        |

Rules are keyword patterns tried in the order of `_RULES`; the first that matches wins, so a
string naming several things is filed under the most actionable one ("Low bitrate: ingest at
800 kbps, below what the transcoding ladder needs" is the encoder's to fix, not transcoding's).
Wording comes from the Livepeer Studio stream health payload (`human_issues`, written by
Catalyst/Mist), the live-calls client's own health texts (`tui.providers.calls`) and the
simulator (`tui.sim.livepeer_media`). Unknown wording is `other`, never an error.
`playback` is also what livetop measures itself: viewers seeing errors (`classes_of`'s
`playback`, from the realtime viewership's error rate).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import StrEnum
from functools import lru_cache

__all__ = ["IssueClass", "classes_of", "classify"]


class IssueClass(StrEnum):
    """Where the fault behind an issue lies; the values are stable (metric labels, filters)."""

    ENCODER = "encoder"
    INGEST = "ingest"
    PROVIDER = "provider"
    PLAYBACK = "playback"
    POLLING = "polling"
    OTHER = "other"


# (class, pattern) in priority order; patterns run on the lower-cased text.
_RULES: tuple[tuple[IssueClass, re.Pattern[str]], ...] = (
    (
        IssueClass.PLAYBACK,
        re.compile(r"playback|viewer|player|rebuffer|\bstall|startup time|error rate"),
    ),
    (
        IssueClass.ENCODER,
        re.compile(
            r"key ?frame|\bgop\b|bit ?rate|\bkbps\b|\bfps\b|frame ?rate|\bcodec|resolution"
            r"|b-?frames|\bencoder"
        ),
    ),
    (
        IssueClass.PROVIDER,
        re.compile(
            r"transcod|backend|multistream|recording|errored|lookup failed|internal"
            r"|server|\brow says\b|realtime|real-time"
        ),
    ),
    (
        IssueClass.INGEST,
        re.compile(
            r"drop|\blost\b|\bloss\b|missing|segment|no data|no (?:video|audio|signal|input)"
            r"|not receiving|disconnect|connection|jitter|packet|network|buffer|\bingest"
            r"|\brtmp\b|\bsrt\b"
        ),
    ),
    (IssueClass.POLLING, re.compile(r"\bstale\b|livetop")),
)
_MAX_SCAN = 500  # characters looked at: an issue is a sentence, not a document


def classify(issue: str) -> IssueClass:
    """The class of one issue string (`OTHER` when no rule recognises it)."""
    return _classify(issue[:_MAX_SCAN].lower()) if isinstance(issue, str) else IssueClass.OTHER


@lru_cache(maxsize=4096)  # issue strings repeat across sessions and polls; cut first, so bounded
def _classify(text: str) -> IssueClass:
    for cls, pattern in _RULES:
        if pattern.search(text):
            return cls
    return IssueClass.OTHER


def classes_of(
    issues: Iterable[str],
    *,
    unhealthy: bool = False,
    stale: bool = False,
    playback: bool = False,
) -> frozenset[IssueClass]:
    """Every class a session's trouble falls into.

    `unhealthy` with no issue string at all is `OTHER` (the provider said "unhealthy" but not
    why); `stale` adds `POLLING`: livetop's own data on the session is out of date; `playback`
    adds `PLAYBACK`: its viewers see errors (`Session.playback_failing`).
    """
    found = {classify(issue) for issue in issues}
    if unhealthy and not found:
        found.add(IssueClass.OTHER)
    if stale:
        found.add(IssueClass.POLLING)
    if playback:
        found.add(IssueClass.PLAYBACK)
    return frozenset(found)
