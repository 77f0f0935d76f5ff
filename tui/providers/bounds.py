"""How much a provider may make a client wait for, and hold: one request's deadline and its
body's size, with the read that keeps to the size.

httpx's timeouts bound each wait for the next bytes, so a server dripping a byte every few
seconds never trips them: `request_deadline` bounds the whole request instead, from sending it
to the body's last byte (`BaseClient._get_response`). The body is read as a stream as it is
decompressed and stops at `max_response_mb`, counting every answer the client is reading at
the same time: an endless body or a gzip bomb, one or many at once, costs at most that much.
"""

from __future__ import annotations

from typing import Final

import httpx

DEFAULT_DEADLINE: Final = 30.0
MB: Final = 1 << 20
# A page of 1,000 Livepeer sessions is about 1 MB.
DEFAULT_MAX_BODY: Final = 64 * MB
# An error answer is read only this far: its message is in the first few hundred bytes.
ERROR_BODY_MAX: Final = 64 * 1024
_BODY_HEADERS = ("content-encoding", "content-length", "transfer-encoding")


class Reading:
    """The decompressed bytes one client holds of the answers it is reading, all together:
    its concurrent answers (a calls poll of many ids, a Uiza poll of many entities) share one
    `limit` instead of multiplying it."""

    __slots__ = ("held", "limit")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.held = 0


async def read_body(
    streamed: httpx.Response, limit: int, shared: Reading | None = None
) -> tuple[httpx.Response, str | None]:
    """A response holding `streamed`'s decompressed body, read up to `limit` bytes (and while
    `shared` holds at most its own limit), and what stopped it short: None (nothing, the body
    is whole), "answer" (this body is longer than `limit`) or "together" (`shared`'s answers).
    A body stopped short is dropped: nothing more is read, and the response is empty (an
    error raised over it keeps its frame, and so the response, alive as long as itself)."""
    chunks: list[bytes] = []
    size = 0
    stopped: str | None = None
    try:
        async for chunk in streamed.aiter_bytes():
            size += len(chunk)
            if shared is not None:
                shared.held += len(chunk)
            if size > limit:
                stopped = "answer"
                break
            if shared is not None and shared.held > shared.limit:
                stopped = "together"
                break
            chunks.append(chunk)
    finally:
        if shared is not None:
            shared.held -= size
    # httpx's own response would decode its body again: a new one holds the decoded bytes.
    headers = [(k, v) for k, v in streamed.headers.multi_items() if k.lower() not in _BODY_HEADERS]
    response = httpx.Response(
        streamed.status_code,
        headers=headers,
        content=b"" if stopped else b"".join(chunks),
        request=streamed.request,
        extensions=streamed.extensions,
    )
    return response, stopped
