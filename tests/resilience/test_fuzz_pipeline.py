"""Fuzzing the whole path: wire payload → client → normalize → store → every rendering.

Strategies build payloads from the APIs' own shapes (Livepeer's `components.schemas.session`,
Uiza's live-session page, the live-calls record of seed 004), then mutate them: fields dropped,
nulled, of the wrong type, huge, NaN, nested junk, unknown extras, hostile text. Each body goes
through a real client (over `httpx.MockTransport`), the store (twice, so transitions and events
happen), the detail pane, the event log, the provider bar, the table's cells and both snapshot
formats. Nothing may escape but `ProviderError`, and every rendering must be inert text.
"""

from __future__ import annotations

import asyncio
import json
import unicodedata
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from support.harness import assert_layout_intact, fast_settings, quit_app, wait_for
from tui import format as fmt
from tui.app import LivetopApp
from tui.columns import COLUMNS
from tui.models import FetchResult, Session
from tui.providers import CallsClient, LivepeerClient, ProviderError, UizaClient
from tui.sim import RunningSimulator
from tui.snapshot import ProviderReport, Snapshot, snapshot_json, snapshot_table
from tui.store import SessionStore
from tui.widgets.detail_pane import describe as detail
from tui.widgets.event_log import event_line
from tui.widgets.provider_bar import describe as bar_line
from tui.widgets.sessions_table import SessionsTable

KEY = "fuzz-secret-api-key-0123456789"
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
NOW_MS = int(NOW.timestamp() * 1000)
FUZZ = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)

# -- scalars -----------------------------------------------------------------------------

HOSTILE = st.sampled_from(
    [
        "[bold red]x[/]",
        "[/]",
        "[link=https://evil.example]y[/link]",
        "\x1b[2J\x1b[31mred",
        "\x1b]52;c;ZXZpbA==\x07",
        "\x1b]8;;http://e\x1b\\l\x1b]8;;\x1b\\",
        "\u202eevil",
        "\x9b31m",
        "配信 🎥",
        "",
        "x" * 10_000,
    ]
)
TEXT = st.text(max_size=30) | HOSTILE
IDS = st.uuids().map(str) | st.text(min_size=1, max_size=20) | HOSTILE.filter(bool)
MS = st.integers(NOW_MS - 10**8, NOW_MS + 10**5)
NUM = st.integers(0, 10**9) | st.floats(0, 1e9, allow_nan=False)
ISO = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
).map(lambda d: d.isoformat().replace("+00:00", "Z"))
JUNK = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=12,
)

# -- wire records, from the schemas -----------------------------------------------------------

PROFILE = st.fixed_dictionaries(
    {"name": TEXT, "width": st.integers(0, 4096), "height": st.integers(0, 4096)},
    optional={
        "bitrate": st.integers(0, 10**8),
        "fps": st.integers(0, 120),
        "fpsDen": st.integers(1, 1001),
        "gop": st.sampled_from(["2", "60", "0.5"]),
        "profile": st.sampled_from(["H264Baseline", "H264High"]),
        "encoder": st.sampled_from(["H.264", "HEVC"]),
    },
)
LIVEPEER = st.fixed_dictionaries(
    {"id": IDS, "name": TEXT},
    optional={
        "kind": st.just("stream"),
        "userId": IDS,
        "lastSeen": MS,
        "createdAt": MS,
        "sourceSegments": NUM,
        "transcodedSegments": NUM,
        "sourceSegmentsDuration": NUM,
        "transcodedSegmentsDuration": NUM,
        "sourceBytes": NUM,
        "transcodedBytes": NUM,
        "ingestRate": NUM,
        "outgoingRate": NUM,
        "isHealthy": st.none() | st.booleans(),
        "issues": st.none() | st.lists(TEXT, max_size=3),
        "parentId": IDS,
        "projectId": IDS,
        "record": st.booleans(),
        "recordingStatus": st.sampled_from(["waiting", "ready", "failed", "deleted", "none"]),
        "recordingUrl": TEXT,
        "mp4Url": TEXT,
        "playbackId": IDS,
        "profiles": st.lists(PROFILE, max_size=3),
        "recordingSpec": st.fixed_dictionaries({"profiles": st.lists(PROFILE, max_size=2)}),
    },
)
UIZA = st.fixed_dictionaries(
    {"id": IDS, "entity_id": IDS, "created_at": ISO},
    optional={
        "duration": st.none() | NUM,
        "updated_at": ISO,
        "ingest_key": TEXT,
        "stream_key": TEXT,
        "key": TEXT,
    },
)
CALL = st.fixed_dictionaries(
    {
        "id": IDS,
        "host_user_id": TEXT,
        "title": TEXT,
        "status": st.sampled_from(["scheduled", "live", "ended", "errored"]) | TEXT,
        "live": st.none()
        | st.fixed_dictionaries(
            {"is_live": st.none() | st.booleans()},
            optional={"current_session_id": st.none() | IDS, "ended_at": st.none() | ISO},
        ),
    },
    optional={
        k: st.none() | ISO
        for k in (
            "scheduled_at",
            "started_at",
            "ended_at",
            "recording_ready_at",
            "created_at",
            "updated_at",
        )
    }
    | {"stream_call_id": st.none() | IDS, "stream_call_type": TEXT, "recording_url": TEXT},
)

# -- mutations --------------------------------------------------------------------------------

Mutation = tuple[str, int, Any]
MUTATIONS = st.lists(
    st.tuples(st.sampled_from(["drop", "null", "junk", "extra"]), st.integers(0, 30), JUNK),
    max_size=4,
)


def mutate(record: Any, mutations: list[Mutation]) -> Any:
    """Apply `mutations` to a copy of `record`; a mutation may also replace it whole."""
    if not isinstance(record, dict):
        return record
    out = dict(record)
    for op, index, junk in mutations:
        names = sorted(out)
        name = names[index % len(names)] if names else "id"
        if op == "drop":
            out.pop(name, None)
        elif op == "null":
            out[name] = None
        elif op == "junk":
            out[name] = junk
        else:
            out[f"x_{index}"] = junk
    return out


def records(kind: st.SearchStrategy[Any]) -> st.SearchStrategy[list[Any]]:
    """A few records, each perhaps mutated, now and then replaced by junk outright."""
    one = st.tuples(kind, MUTATIONS).map(lambda rm: mutate(*rm)) | JUNK
    return st.lists(one, max_size=5)


def body_of(kind: str, items: list[Any]) -> Any:
    if kind == "livepeer":
        return items
    if kind == "uiza":
        return {"data": items, "next_page_token": None}
    return items[0] if items else {}


# -- the pipeline -----------------------------------------------------------------------------

CLIENTS: dict[str, Callable[[httpx.MockTransport], Any]] = {
    "livepeer": lambda t: LivepeerClient("studio", KEY, transport=t, clock=lambda: NOW),
    "uiza": lambda t: UizaClient("uiza", KEY, entity_ids=["e"], transport=t, clock=lambda: NOW),
    "calls": lambda t: CallsClient("calls", KEY, call_ids=["c"], transport=t, clock=lambda: NOW),
}
FORBIDDEN = ("Cc", "Cf", "Cs", "Co")


def inert(text: str) -> None:
    """No control, format (bidi, zero-width), surrogate or private-use character but newline."""
    bad = [c for c in text if c != "\n" and unicodedata.category(c) in FORBIDDEN]
    assert not bad, f"raw {bad[:3]!r} in {text[:120]!r}"
    assert KEY not in text


async def fetch(kind: str, answers: list[tuple[int, bytes]]) -> list[FetchResult | ProviderError]:
    """One client, one poll per answer: a client may carry state from one poll to the next."""
    queue = list(answers)

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/live_entities/e":  # a Uiza entity's name: none to learn
            return httpx.Response(404, json={"message": "The live entity does not exist."})
        status, raw = queue[0] if len(queue) == 1 else queue.pop(0)
        return httpx.Response(status, content=raw, headers={"Content-Type": "application/json"})

    outcomes: list[FetchResult | ProviderError] = []
    async with CLIENTS[kind](httpx.MockTransport(answer)) as client:
        for _ in answers:
            try:
                outcomes.append(await client.fetch())
            except ProviderError as exc:
                outcomes.append(exc)
    return outcomes


def same(a: FetchResult | ProviderError, b: FetchResult | ProviderError) -> bool:
    if isinstance(a, ProviderError) or isinstance(b, ProviderError):
        return type(a) is type(b) and str(a) == str(b)
    # repr as well as ==: a NaN in a free-form field never equals itself.
    return a.skipped == b.skipped and (a.sessions == b.sessions or repr(a) == repr(b))


def pane(session: Session, *, reveal: bool, stale: bool) -> str:
    """The detail pane's whole text, raw fields included."""
    return "\n".join(line.plain for line in detail(session, NOW, reveal=reveal, stale=stale))


def render_everything(store: SessionStore, name: str) -> None:
    """Every rendering of everything the store holds must be inert text."""
    now = NOW.timestamp()
    for status in store.statuses():
        inert(bar_line(status, now, paused=False).plain)
    for session in store.sessions():
        stale = store.is_stale(session.key)
        for reveal in (False, True):
            text = pane(session, reveal=reveal, stale=stale)
            inert(text)
            if session.secret is not None and not reveal:
                # Masked: the key appears no more often than in the same session without one
                # (a random key may well occur in an id or a name by chance).
                secret = session.secret.get_secret_value()
                bare = pane(replace(session, secret=None), reveal=False, stale=stale)
                if len(secret.strip()) >= 8:  # shorter ones also occur in the pane's labels
                    assert text.count(secret) <= bare.count(secret)
        for column in COLUMNS:
            inert(fmt.safe_text(column.render(session, NOW), 400))
    for event in store.events:
        inert(event_line(event).plain)
    status = store.status(name)
    report = ProviderReport(
        name, CLIENTS_KIND[name], status.last_error is None, status.last_error, 0, None, None, None
    )
    snap = Snapshot(NOW, (report,), tuple(store.sessions()))
    for show in (False, True):
        inert(snapshot_table(snap, show_secrets=show))
    document = snapshot_json(snap)
    assert document.isascii()
    json.loads(document)


CLIENTS_KIND = {"studio": LivepeerClient.kind, "uiza": UizaClient.kind, "calls": CallsClient.kind}
NAMES = {"livepeer": "studio", "uiza": "uiza", "calls": "calls"}


@FUZZ
@given(
    data=st.data(),
    kind=st.sampled_from(["livepeer", "uiza", "calls"]),
    status=st.sampled_from([200, 200, 200, 200, 401, 404, 429, 500, 502]),
    cut=st.none() | st.integers(0, 200),
)
def test_any_payload_goes_through_the_whole_path(
    data: st.DataObject, kind: str, status: int, cut: int | None
) -> None:
    shapes = {"livepeer": LIVEPEER, "uiza": UIZA, "calls": CALL}
    base = data.draw(st.lists(shapes[kind], max_size=4), label="records")
    # The second poll: the same records changed (transitions), or anything at all.
    again = data.draw(
        st.lists(MUTATIONS, min_size=len(base), max_size=len(base)).map(
            lambda ms: [mutate(r, m) for r, m in zip(base, ms, strict=True)]
        )
        | records(shapes[kind]),
        label="second poll",
    )
    name = NAMES[kind]
    store = SessionStore()
    store.register(name)
    first = json.dumps(body_of(kind, base), allow_nan=True).encode()
    second = json.dumps(body_of(kind, again), allow_nan=True).encode()
    if cut is not None:
        second = second[:cut]  # a body cut short
    # The same answer twice (a client may reuse what it already knows), then the second.
    answers = [(200, first), (200, first), (status, second)]
    outcomes = asyncio.run(fetch(kind, answers))
    # Whatever a client remembers between polls, each answer means what it means alone.
    alone = [asyncio.run(fetch(kind, [a]))[0] for a in answers]
    for outcome, fresh in zip(outcomes, alone, strict=True):
        assert same(outcome, fresh), (outcome, fresh)
    for outcome in outcomes:
        if isinstance(outcome, ProviderError):
            inert(str(outcome))
            store.fail(name, outcome)
        else:
            assert all(isinstance(s, Session) and s.provider == name for s in outcome.sessions)
            store.apply(name, outcome)
        render_everything(store, name)


@settings(
    max_examples=2,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)
@given(
    items=st.lists(
        st.tuples(LIVEPEER, MUTATIONS).map(lambda rm: mutate(*rm)), min_size=25, max_size=40
    )
)
def test_fuzzed_sessions_in_the_running_console(items: list[Any], sim: RunningSimulator) -> None:
    """The same kind of payloads, in the real table and detail pane, page by page."""

    async def run() -> None:
        [outcome] = await fetch("livepeer", [(200, json.dumps(items, allow_nan=True).encode())])
        assert isinstance(outcome, FetchResult)
        app = LivetopApp(fast_settings(sim), start_polling=False)
        async with app.run_test(size=(100, 30)) as pilot:
            app.store.apply("studio", outcome)
            table = app.screen.query_one(SessionsTable)
            await wait_for(pilot, lambda: table.row_count == len(outcome.sessions))
            for _ in range(max(1, table.row_count // 20)):
                lines = assert_layout_intact(app)
                inert("\n".join(lines))
                await pilot.press("pagedown")
            await quit_app(pilot)

    asyncio.run(run())
