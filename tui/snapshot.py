"""`livetop snapshot` and `livetop check`: one fetch of every provider, printed, no Textual.

The path is the console's without the app: Settings → one client per provider, each behind
its request scheduler (the same budgets as the console's), fetched concurrently → a
`SessionStore` → printed. A budget smaller than a fetch's requests makes it slow (1,000 calls
at 50/min: 20 minutes); stderr says so at the start. Exit codes (a public contract): 0 when
every provider answered, 2 when any failed (the others' sessions are still printed), 1 for
usage/config errors.

Output never contains an API key; stream/ingest keys appear masked in the table's KEY column,
in full only with `--show-secrets`, and never in JSON (its keys are fixed by the contract).
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import time
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any, Final, TextIO

from tui import format as fmt
from tui import ui_state
from tui.absence import ItemView, Rundown
from tui.config import ProviderConfig, Settings
from tui.engine import build_schedulers
from tui.models import SNAPSHOT_FIELDS, FetchResult, ProviderKind, Session, SessionKey
from tui.providers.errors import (
    ProviderAuthError,
    ProviderConnectionError,
    ProviderError,
    ProviderInvalidPayload,
    ProviderNotJSON,
)
from tui.providers.scheduler import RequestScheduler, job
from tui.rundown_report import HEADERS, rundown_rows
from tui.session_list import SortOrder, sort_sessions
from tui.store import ProviderHealth, ProviderStatus, SessionStore
from tui.watch import WatchList

EXIT_OK: Final = 0
EXIT_USAGE: Final = 1
EXIT_FAILED: Final = 2
MAX_NAME: Final = 40
MAX_ERROR: Final = 300

log = logging.getLogger("livetop.snapshot")


@dataclass(frozen=True, slots=True)
class ProviderReport:
    """How one provider answered: `reachable`/`auth_ok` are None when the answer cannot tell."""

    name: str
    kind: ProviderKind
    ok: bool
    error: str | None
    sessions: int
    latency_ms: float | None
    reachable: bool | None
    auth_ok: bool | None
    skipped: int = 0  # records dropped as malformed
    notice: str | None = None  # data besides the sessions that did not come (viewers)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Every provider's report and every session, in config order, at `generated_at`; which
    of them the console's operator watches, and the rundown as it stands (`late`: the
    sessions of late items)."""

    generated_at: datetime
    providers: tuple[ProviderReport, ...]
    sessions: tuple[Session, ...]
    watched: frozenset[SessionKey] = frozenset()
    late: frozenset[SessionKey] = frozenset()
    rundown: tuple[ItemView, ...] = ()

    @property
    def ok(self) -> bool:
        return all(p.ok for p in self.providers)

    @property
    def exit_code(self) -> int:
        return EXIT_OK if self.ok else EXIT_FAILED


# -- fetching ---------------------------------------------------------------------------------


async def _poll(
    provider: ProviderConfig, scheduler: RequestScheduler
) -> tuple[FetchResult | Exception, float]:
    """One fetch through the provider's scheduler; the result or the failure, and the seconds
    the provider took to answer (time waiting for its budget not included)."""
    start = time.perf_counter()
    with job() as work:
        try:
            async with provider.make_client(scheduler=scheduler, one_shot=True) as client:
                result: FetchResult | Exception = await client.fetch()
        except ProviderError as exc:
            result = exc
        except Exception as exc:  # a client bug must not hide the other providers' answers
            log.exception("%s: unexpected error during fetch", provider.name)
            result = exc
    return result, work.latency(time.perf_counter() - start)


def budget_notices(settings: Settings, schedulers: Mapping[str, RequestScheduler]) -> list[str]:
    """A line for each provider whose budget makes this fetch slow, so nobody thinks it hangs."""
    lines = []
    for provider in settings.providers:
        scheduler = schedulers[provider.name]
        requests = max(1, len(provider.ids))
        if scheduler.budget is None or requests <= scheduler.budget:
            continue
        seconds = scheduler.floor(requests - scheduler.budget)
        lines.append(
            f"livetop: {fmt.safe_text(provider.name, MAX_NAME)}: {requests} requests within its "
            f"budget of {scheduler.budget}/min: this takes about {fmt.duration(seconds)}"
        )
    return lines


def _report(
    provider: ProviderConfig, outcome: FetchResult | Exception, seconds: float, count: int
) -> ProviderReport:
    reachable: bool | None
    auth: bool | None
    skipped = 0
    notice = None
    if isinstance(outcome, FetchResult):
        ok, reachable, notice = not outcome.errors, True, outcome.notice
        auth = not any(isinstance(e, ProviderAuthError) for e in outcome.errors)
        more = len(outcome.errors) - 1
        error = None
        skipped = outcome.skipped
        if outcome.errors:  # a partial fetch: what came is kept, but the run is not clean
            error = _error_text(outcome.errors[0]) + (f" (+{more} more)" if more else "")
        elif skipped and not outcome.sessions:  # an answer, but not one usable record in it
            ok, error = False, f"no valid record: {_records(skipped)} malformed, all skipped"
    else:
        ok, error = False, _error_text(outcome)
        reachable, auth = _reach_and_auth(outcome)
    return ProviderReport(
        name=provider.name,
        kind=provider.kind,
        ok=ok,
        error=error,
        sessions=count,
        latency_ms=round(seconds * 1000.0, 1) if reachable else None,
        reachable=reachable,
        auth_ok=auth,
        skipped=skipped,
        notice=notice,
    )


def _records(n: int) -> str:
    return f"{n} record{'' if n == 1 else 's'}"


def _reach_and_auth(error: Exception) -> tuple[bool | None, bool | None]:
    """What a failure says about reachability and the key (None: it cannot tell)."""
    if isinstance(error, ProviderConnectionError):
        return False, None
    if isinstance(error, ProviderAuthError):
        return True, False
    if isinstance(error, ProviderNotJSON):
        return True, None  # something answered, but not the API: the key is not confirmed
    if isinstance(error, ProviderInvalidPayload):
        return True, True  # it answered 2xx, just not with what the API documents
    if isinstance(error, ProviderError):
        return True, None
    return None, None


def _error_text(error: BaseException) -> str:
    """The safe one-line message (`ProviderError.__str__`), never an unknown exception's text."""
    if isinstance(error, ProviderError):
        text = str(error)  # "<provider>: <endpoint>: <message>"; the provider is named already
        text = text.removeprefix(f"{error.provider}: ")
        return fmt.safe_text(text, MAX_ERROR)
    return f"internal error ({type(error).__name__}); details in the log file"


async def take_snapshot(
    settings: Settings, *, notice: Callable[[str], None] | None = None
) -> Snapshot:
    """Fetch every provider once, concurrently, through a `SessionStore`, each within its
    request budget (see `tui.providers.scheduler`). `notice` hears why a fetch will take a while."""
    store = SessionStore(default_interval=settings.refresh_interval)
    schedulers = build_schedulers(settings)
    for provider in settings.providers:
        store.register(provider.name, interval=settings.interval_for(provider))
    for line in budget_notices(settings, schedulers):
        if notice is not None:
            notice(line)
    outcomes = await asyncio.gather(*(_poll(p, schedulers[p.name]) for p in settings.providers))
    reports: list[ProviderReport] = []
    sessions: list[Session] = []
    for provider, (outcome, seconds) in zip(settings.providers, outcomes, strict=True):
        if isinstance(outcome, FetchResult):
            store.apply(provider.name, outcome, latency=seconds)
        else:
            store.fail(
                provider.name,
                outcome if isinstance(outcome, ProviderError) else _error_text(outcome),
                latency=seconds,
            )
        mine = sort_sessions(store.sessions(provider.name), SortOrder())
        sessions.extend(mine)
        report = _report(provider, outcome, seconds, len(mine))
        reports.append(report)
        if report.ok:
            log.debug("%s: ok, %d sessions, %.1f ms", report.name, report.sessions, seconds * 1e3)
        else:
            log.warning("%s: %s", report.name, report.error)
    now = time.time()
    rundown = Rundown(settings.rundown, loaded_at=now)
    rundown.evaluate(store, now)
    watch = WatchList(ui_state.load(ui_state.state_path()).watched)
    watched = frozenset(s.key for s in sessions if watch.is_watched(s))
    return Snapshot(
        datetime.fromtimestamp(now, UTC),
        tuple(reports),
        tuple(sessions),
        watched,
        rundown.late_keys(),
        rundown.views,
    )


def snapshot_from_store(
    store: SessionStore, kinds: Mapping[str, ProviderKind], generated_at: datetime
) -> Snapshot:
    """The snapshot of what a store holds (a console's, or one rebuilt from a recording):
    each provider's report from its status, its sessions in the table's default order."""
    reports: list[ProviderReport] = []
    sessions: list[Session] = []
    for name, kind in kinds.items():
        status = store.status(name) if name in store.providers else ProviderStatus(name)
        mine = sort_sessions(store.sessions(name), SortOrder())
        sessions.extend(mine)
        reports.append(_status_report(status, kind, len(mine)))
    return Snapshot(generated_at, tuple(reports), tuple(sessions))


def _status_report(status: ProviderStatus, kind: ProviderKind, count: int) -> ProviderReport:
    error = None
    if status.health is ProviderHealth.PENDING:
        error = "no answer yet"
    elif status.failing:
        detail = status.error_detail or status.last_error or "failed"
        error = fmt.safe_text(detail.removeprefix(f"{status.name}: "), MAX_ERROR)
    elif status.skipped and not count:  # as `_report`: an answer without one usable record
        error = f"no valid record: {_records(status.skipped)} malformed, all skipped"
    latency = status.last_latency
    return ProviderReport(
        name=status.name,
        kind=kind,
        ok=error is None,
        error=error,
        sessions=count,
        latency_ms=None if latency is None else round(latency * 1000.0, 1),
        reachable=None,
        auth_ok=None,
        skipped=status.skipped,
    )


# -- JSON -------------------------------------------------------------------------------------


def iso(when: datetime | None) -> str | None:
    """ISO 8601 UTC with a `Z`, to the millisecond; naive times are taken as UTC."""
    if when is None:
        return None
    when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _number(value: float | None, digits: int | None) -> float | int | None:
    """Finite numbers only (JSON has no NaN); whole bits per second as ints."""
    if value is None or not math.isfinite(value):
        return None
    return round(value) if digits is None else round(value, digits)


def session_json(session: Session, *, watched: bool = False, late: bool = False) -> dict[str, Any]:
    """One session as the contract's object: exactly `SNAPSHOT_FIELDS`, in that order."""
    values: dict[str, Any] = {
        "provider": session.provider,
        "kind": session.kind.value,
        "id": session.id,
        "name": session.name,
        "state": session.state.value,
        "healthy": session.healthy,
        "issues": list(session.issues),
        "parent_id": session.parent_id,
        "created_at": iso(session.created_at),
        "last_seen": iso(session.last_seen),
        "ended_at": iso(session.ended_at),
        "duration_s": _number(session.duration_s, 1),
        "ingest_bps": _number(session.ingest_bps, None),
        "outgoing_bps": _number(session.outgoing_bps, None),
        "recording": session.recording,
        "viewers": session.viewers,
        "playback_error_rate": _number(session.playback_error_rate, 4),
        "watched": watched,
        "late": late,
    }
    return {key: values[key] for key in SNAPSHOT_FIELDS}


def snapshot_json(snap: Snapshot) -> str:
    """The whole snapshot as JSON; ASCII-only, so no provider text can reach a terminal raw."""
    document = {
        "generated_at": iso(snap.generated_at),
        "providers": [
            {
                "name": p.name,
                "kind": p.kind.value,
                "ok": p.ok,
                "error": p.error,
                "sessions": p.sessions,
                "skipped": p.skipped,
                "latency_ms": p.latency_ms,
            }
            for p in snap.providers
        ],
        "sessions": [
            session_json(s, watched=s.key in snap.watched, late=s.key in snap.late)
            for s in snap.sessions
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=True, allow_nan=False)


# -- plain text -------------------------------------------------------------------------------


def mask_secret(value: str, *, reveal: bool = False) -> str:
    """`live_rJZ7mbPPYw` → `live_****`: a short type prefix at most, never the key itself."""
    if reveal:
        return fmt.safe_text(value, 200)
    head = ""
    for sep in "_-":
        cut = value.find(sep)
        if 0 < cut <= 6 and len(value) - cut > 8:
            head = value[: cut + 1]
            break
    return fmt.safe_text(head, 8) + "****"


def _width(text: str) -> int:
    return sum(
        0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1
        for c in text
    )


def _pad(text: str, width: int, right: bool) -> str:
    fill = " " * max(0, width - _width(text))
    return fill + text if right else text + fill


def render_rows(headers: Sequence[str], rows: Sequence[Sequence[str]], right: set[int]) -> str:
    """Aligned columns, two spaces apart; cells must already be safe text."""
    widths = [max([_width(h)] + [_width(r[i]) for r in rows]) for i, h in enumerate(headers)]
    lines = []
    for row in [list(headers), *rows]:
        cells = [_pad(c, widths[i], i in right) for i, c in enumerate(row)]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def _health(session: Session) -> str:
    if session.healthy is None:
        return fmt.DASH
    return "ok" if session.healthy else "UNHEALTHY"


def snapshot_table(snap: Snapshot, *, show_secrets: bool = False) -> str:
    """Sessions as a plain table, then one line per provider (failures included)."""
    headers = ["PROVIDER", "NAME", "STATE", "HEALTH", "INGEST", "OUTGOING", "SEEN"]
    with_key = any(s.secret is not None for s in snap.sessions)
    if with_key:
        headers.append("KEY")
    rows = []
    for s in snap.sessions:
        row = [
            fmt.safe_text(s.provider, MAX_NAME),
            fmt.safe_text(s.name, MAX_NAME),
            s.state.value,
            _health(s),
            fmt.INVALID if "ingest_bps" in s.invalid else fmt.bitrate(s.ingest_bps),
            fmt.INVALID if "outgoing_bps" in s.invalid else fmt.bitrate(s.outgoing_bps),
            fmt.INVALID if "last_seen" in s.invalid else fmt.age(s.last_seen, snap.generated_at),
        ]
        if with_key:
            secret = s.secret.get_secret_value() if s.secret else None
            row.append(fmt.DASH if secret is None else mask_secret(secret, reveal=show_secrets))
        rows.append(row)
    body = render_rows(headers, rows, right={4, 5, 6}) if rows else "no sessions"
    return body + "\n\n" + _provider_lines(snap.providers)


def _provider_lines(reports: Sequence[ProviderReport]) -> str:
    rows = []
    for p in reports:
        latency = fmt.DASH if p.latency_ms is None else f"{p.latency_ms:.1f} ms"
        state = "ok" if p.ok else "FAILED"
        name = fmt.safe_text(p.name, MAX_NAME)
        count = f"{p.sessions} sessions" + (f", {p.skipped} skipped" if p.skipped else "")
        rows.append([name, p.kind.value, state, count, latency, p.error or ""])
    return render_rows(["PROVIDER", "KIND", "STATUS", "SESSIONS", "LATENCY", "ERROR"], rows, {4})


def _yes_no(value: bool | None, yes: str, no: str) -> str:
    return "?" if value is None else (yes if value else no)


def check_table(snap: Snapshot) -> str:
    """`livetop check`: reachability, auth, latency and session count per provider."""
    rows = []
    for p in snap.providers:
        rows.append(
            [
                fmt.safe_text(p.name, MAX_NAME),
                p.kind.value,
                _yes_no(p.reachable, "yes", "no"),
                fmt.DASH if p.reachable is False else _yes_no(p.auth_ok, "ok", "refused"),
                fmt.DASH if p.latency_ms is None else f"{p.latency_ms:.1f} ms",
                str(p.sessions) if p.ok or p.sessions else fmt.DASH,
                p.error or "",
            ]
        )
    headers = ["PROVIDER", "KIND", "REACHABLE", "AUTH", "LATENCY", "SESSIONS", "ERROR"]
    return render_rows(headers, rows, right={4, 5})


# -- commands ---------------------------------------------------------------------------------


class OutputError(Exception):
    """The output could not be written (stdout to /dev/full, a full disk); `str()` says why."""


def _write(text: str, out: TextIO) -> None:
    try:
        print(text, file=out)
        out.flush()
    except BrokenPipeError:
        raise  # the reader left (`| head`): the command line's own quiet exit
    except OSError as exc:
        raise OutputError(exc.strerror or type(exc).__name__) from None


def _report_failures(snap: Snapshot, err: TextIO) -> None:
    for p in snap.providers:
        name = fmt.safe_text(p.name, MAX_NAME)
        if not p.ok:
            print(f"livetop: {name}: {p.error}", file=err)
        elif p.skipped:
            print(f"livetop: {name}: warning: {_records(p.skipped)} malformed, skipped", file=err)
        if p.notice:
            print(f"livetop: {name}: warning: {fmt.safe_text(p.notice, MAX_ERROR)}", file=err)


def _say(err: TextIO, line: str) -> None:
    print(line, file=err, flush=True)


def run_snapshot(
    settings: Settings, *, as_json: bool, show_secrets: bool, out: TextIO, err: TextIO
) -> int:
    """Fetch, print (JSON or table), report failures on `err`; the exit code. Raises
    `OutputError` when `out` cannot be written."""
    snap = asyncio.run(take_snapshot(settings, notice=partial(_say, err)))
    text = snapshot_json(snap) if as_json else snapshot_table(snap, show_secrets=show_secrets)
    _write(text, out)
    _report_failures(snap, err)
    return snap.exit_code


def run_check(settings: Settings, *, out: TextIO, err: TextIO, rundown: bool = False) -> int:
    """Check every provider; the same exit codes as `snapshot`, and `OutputError` too. With
    `rundown`, also what of the rundown is late or ended early: exit 2 when anything is."""
    if rundown and not settings.rundown:
        print(f"livetop: {settings.source or 'the config'}: no [[rundown]] items", file=err)
        return EXIT_USAGE
    snap = asyncio.run(take_snapshot(settings, notice=partial(_say, err)))
    text = check_table(snap)
    trouble = False
    if rundown:
        title, rows, trouble = rundown_rows(snap.rundown)
        text += "\n\n" + title
        if rows:
            text += "\n" + render_rows(HEADERS, rows, set())
    _write(text, out)
    _report_failures(snap, err)
    return EXIT_FAILED if trouble else snap.exit_code
