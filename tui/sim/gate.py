"""The front door of each simulated API: counts requests, checks keys, applies faults.

Faults that replace the answer (401, 404, 429, 500, 502, a hang) are decided before the API
runs; faults that damage it (drift, truncation, a dropped connection) rewrite what it sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Collection

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tui.sim.drift import drift_body
from tui.sim.faults import Fault, FaultBoard
from tui.sim.views import absurd_views
from tui.sim.wire import bad_gateway, error_response, rate_limited

# What uvicorn says when an answer is cut short or never started: here that is the fault
# working as intended (`drop`, `hang` at shutdown), not a bug worth a log line.
INTENDED = frozenset(
    {
        "ASGI callable returned without completing response.",
        "ASGI callable returned without starting response.",
    }
)


class Stopping:
    """A stop flag set from any thread and awaited in the server's event loop.

    Hung and delayed requests wait on it, so stopping the server ends them at once.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._set = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._event: asyncio.Event | None = None

    def event(self) -> asyncio.Event:
        """The flag as an event of the running loop (created on first use)."""
        with self._lock:
            if self._event is None:
                self._event = asyncio.Event()
                self._loop = asyncio.get_running_loop()
                if self._set:
                    self._event.set()
            return self._event

    def set(self) -> None:
        with self._lock:
            self._set = True
            if self._loop is not None and self._event is not None:
                with contextlib.suppress(RuntimeError):  # the loop has already closed
                    self._loop.call_soon_threadsafe(self._event.set)


class QuietFaults(logging.Filter):
    """Drop uvicorn's complaints about answers the fault injector broke on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() not in INTENDED


class ProviderGate:
    """One API behind its auth check and its provider's faults.

    `bearer`: the key comes as `Bearer <key>` (Livepeer, calls) or raw (Uiza).
    `collections`: route paths that name no id, which the `not_found` fault leaves alone.
    `views`: the path of the realtime viewership, which the `views_*` faults act on alone.
    """

    def __init__(
        self,
        app: ASGIApp,
        provider: str,
        key: str,
        board: FaultBoard,
        stopping: Stopping,
        *,
        bearer: bool = True,
        collections: Collection[str] = (),
        views: str | None = None,
    ) -> None:
        self.app = app
        self.provider = provider
        self._key = key
        self._bearer = bearer
        self._board = board
        self._stopping = stopping
        self._collections = frozenset(collections)
        self._views = views

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = self._route_path(scope)
        views = self._views is not None and path == self._views
        fault, hit = self._board.admit(self.provider, side=views, path=path)
        if fault.latency and hit != "budget":
            await self._sleep(fault.latency)
        if hit == "hang":
            await self._hang(receive)
            return
        response = self._refusal(scope, fault, hit)
        if response is None and views:
            if fault.views_latency:
                await self._sleep(fault.views_latency)
            response = self._views_refusal(fault)
        absurd = views and fault.views_absurd
        if response is not None:
            await response(scope, receive, send)
        elif hit in ("truncate", "drop") or fault.drift or absurd:
            await self._damaged(scope, receive, send, hit, fault.drift, absurd)
        else:
            await self.app(scope, receive, send)

    def _views_refusal(self, fault: Fault) -> Response | None:
        if fault.views_forbidden:  # what a key made for browsers (CORS-enabled) is told
            message = "access forbidden: this endpoint needs a private (non-CORS) API key"
            return error_response(self.provider, 403, message)
        if fault.views_error_rate and self._board.draw() < fault.views_error_rate:
            return error_response(self.provider, 500)
        return None

    def _refusal(self, scope: Scope, fault: Fault, hit: str | None) -> Response | None:
        """An answer that replaces the API's, or None to let the API answer."""
        if fault.auth or not self._authorized(scope):
            return error_response(self.provider, 401)
        if fault.not_found and self._route_path(scope) not in self._collections:
            return error_response(self.provider, 404)
        if hit == "error_rate":
            return error_response(self.provider, 500)
        if hit == "rate_limit":
            return rate_limited(self.provider, fault.retry_after)
        if hit == "budget":
            headers = self._board.budget_headers(self.provider)
            return error_response(self.provider, 429, headers=headers)
        if hit == "html_5xx":
            return bad_gateway()
        return None

    def _authorized(self, scope: Scope) -> bool:
        value = next((v for n, v in scope["headers"] if n == b"authorization"), None)
        if value is None:
            return False
        text: str = value.decode("latin-1").strip()
        if not self._bearer:
            return text == self._key
        scheme, _, token = text.partition(" ")
        return scheme.lower() == "bearer" and token.strip() == self._key

    @staticmethod
    def _route_path(scope: Scope) -> str:
        path: str = scope["path"]
        root: str = scope.get("root_path", "")
        return path[len(root) :] if root and path.startswith(root) else path

    async def _sleep(self, seconds: float) -> None:
        """Wait `seconds`, or less if the server is stopping."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.event().wait(), seconds)

    async def _hang(self, receive: Receive) -> None:
        """Never answer: wait until the client hangs up or the server stops."""

        async def disconnected() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass

        waiters = {
            asyncio.ensure_future(disconnected()),
            asyncio.ensure_future(self._stopping.event().wait()),
        }
        try:
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()

    async def _damaged(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        hit: str | None,
        drift: bool,
        absurd: bool = False,
    ) -> None:
        """Let the API answer, then drift, make absurd, truncate or cut off its body."""
        start: Message = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, capture)
        status: int = start["status"]
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        body = b"".join(chunks)
        ok = status == 200
        if ok and absurd:
            body = absurd_views(body)
        elif ok and drift:
            body = drift_body(self.provider, body)
        if ok and hit == "truncate":
            # Any strict prefix of a JSON object or array is invalid JSON.
            body = body[: max(1, len(body) * 3 // 5)]
        promised = len(body)
        cut = ok and hit == "drop"
        if cut:
            body = body[: len(body) // 2]
        headers.append((b"content-length", str(promised).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        # With `more_body` still set, returning makes the server close the connection: the
        # client sees fewer bytes than Content-Length promised.
        await send({"type": "http.response.body", "body": body, "more_body": cut})
