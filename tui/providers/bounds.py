"""How much a provider may make a client wait for, and hold: one request's deadline and its
body's size, with the read that keeps to the size.

httpx's timeouts bound each wait for the next bytes, so a server dripping a byte every few
seconds never trips them: `request_deadline` bounds the whole request instead, from sending it
to the body's last byte (`BaseClient._get_response`). The body is read as a stream as it is
decompressed and stops at `max_response_mb`, so an endless body or a gzip bomb costs at most
that much memory.
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


async def read_body(streamed: httpx.Response, limit: int) -> tuple[httpx.Response, bool]:
    """A response holding at most `limit` bytes of `streamed`'s decompressed body, and
    whether the body was longer (it is then cut there, and not read further)."""
    chunks: list[bytes] = []
    size = 0
    longer = False
    async for chunk in streamed.aiter_bytes():
        size += len(chunk)
        if size > limit:
            chunks.append(chunk[: len(chunk) - (size - limit)])
            longer = True
            break
        chunks.append(chunk)
    # httpx's own response would decode its body again: a new one holds the decoded bytes.
    headers = [(k, v) for k, v in streamed.headers.multi_items() if k.lower() not in _BODY_HEADERS]
    response = httpx.Response(
        streamed.status_code,
        headers=headers,
        content=b"".join(chunks),
        request=streamed.request,
        extensions=streamed.extensions,
    )
    return response, longer
