"""Responses as each API sends them: JSON bodies and each API's own error format."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

from starlette.responses import Response

JSON = "application/json"
CALLS_RATE_LIMIT = 60  # the video backend's limit per minute and endpoint

# Messages the real services use where the docs show them (Uiza's seed), plausible ones elsewhere.
_UIZA_TYPES = {
    400: "invalid_request_error",
    401: "invalid_request_error",
    404: "invalid_request_error",
    429: "rate_limit_error",
}
_UIZA_MESSAGES = {
    401: "You are unauthorized to access the requested resource. Please verify and resubmit.",
    404: "The live entity you requested does not exist.",
    429: "Too many requests. Please slow down and retry later.",
    500: "An unexpected error occurred on Uiza's end.",
}
_LIVEPEER_MESSAGES = {
    401: "invalid API key",
    404: "not found",
    429: "too many requests, please retry later",
    500: "internal server error",
}
_CALLS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    404: "not_found",
    429: "rate_limited",
    500: "internal_error",
}
_CALLS_MESSAGES = {
    401: "missing or invalid bearer token",
    404: "call not found",
    429: f"rate limit exceeded: {CALLS_RATE_LIMIT} requests per minute",
    500: "unexpected error while loading the call",
}
_HTML_502 = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    b"</body>\r\n</html>\r\n"
)


def dumps(data: Any) -> bytes:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()


def json_response(
    data: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    body = data if isinstance(data, bytes) else dumps(data)
    return Response(body, status_code=status, media_type=JSON, headers=dict(headers or {}))


def error_body(provider: str, status: int, message: str | None = None) -> dict[str, Any]:
    """The error body `provider` sends for `status` (its own default message if none given)."""
    if provider == "livepeer":
        return {"errors": [message or _LIVEPEER_MESSAGES.get(status, "error")]}
    if provider == "uiza":
        return {
            "message": message or _UIZA_MESSAGES.get(status, _UIZA_MESSAGES[500]),
            "error_type": _UIZA_TYPES.get(status, "api_error"),
        }
    return {
        "error": _CALLS_CODES.get(status, "error"),
        "message": message or _CALLS_MESSAGES.get(status, "error"),
    }


def error_response(
    provider: str,
    status: int,
    message: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    return json_response(error_body(provider, status, message), status, headers)


def rate_limited(provider: str, retry_after: int) -> Response:
    """429 with `Retry-After`; the calls API also sends its X-RateLimit-* trio."""
    headers = {"Retry-After": str(retry_after)}
    if provider == "calls":
        headers |= {
            "X-RateLimit-Limit": str(CALLS_RATE_LIMIT),
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": str(int(time.time()) + retry_after),
        }
    return error_response(provider, 429, headers=headers)


def bad_gateway() -> Response:
    """What a proxy in front of the API answers when the API is down."""
    return Response(_HTML_502, status_code=502, media_type="text/html")
