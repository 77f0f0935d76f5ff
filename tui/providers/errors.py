"""The one exception tree every provider failure becomes.

```
ProviderError                    any failure talking to a provider; the rest of livetop catches this
├── ProviderConnectionError      could not connect, or the connection dropped mid-response
│   └── ProviderTimeout          connect/read/write/pool timeout
├── ProviderHTTPError            a non-2xx answer; `status`, the provider's own `message`
│   ├── ProviderAuthError        401 / 403: the key is wrong or lacks rights
│   ├── ProviderNotFound         404: a watched id does not exist (or is not ours)
│   └── ProviderRateLimited      429 (`retry_after` seconds when the server said)
└── ProviderInvalidPayload       the body is not the JSON the API documents (`field` names where)
```

Every error names the provider and the endpoint (method + path, never the query or a header),
so messages, reprs and logs never contain an API key.
"""

from __future__ import annotations


class ProviderError(Exception):
    """Base of every provider failure. `str()` is a one-line message safe to show and log."""

    def __init__(self, provider: str, endpoint: str, message: str) -> None:
        self.provider = provider
        self.endpoint = endpoint
        self.message = message
        super().__init__(f"{provider}: {endpoint}: {message}")

    @property
    def retry_after(self) -> float | None:
        """Seconds the server asked us to wait before the next request, if it said."""
        return None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.provider!r}, {self.endpoint!r}, {self.message!r})"


class ProviderConnectionError(ProviderError):
    """The connection could not be made or was dropped before a full response arrived."""


class ProviderTimeout(ProviderConnectionError):
    """The provider did not answer within the client's timeout."""


class ProviderHTTPError(ProviderError):
    """The provider answered with a non-success status; `message` is its own error text."""

    def __init__(
        self,
        provider: str,
        endpoint: str,
        status: int,
        message: str,
        *,
        retry_after: float | None = None,
    ) -> None:
        self.status = status
        self._retry_after = retry_after
        super().__init__(provider, endpoint, f"HTTP {status}: {message}")
        self.message = message

    @property
    def retry_after(self) -> float | None:
        return self._retry_after


class ProviderAuthError(ProviderHTTPError):
    """401/403: the API key was refused."""


class ProviderNotFound(ProviderHTTPError):
    """404: the session, stream, entity or call does not exist."""


class ProviderRateLimited(ProviderHTTPError):
    """429: too many requests."""


class ProviderInvalidPayload(ProviderError):
    """The body could not be decoded or does not match the API's documented shape."""

    def __init__(self, provider: str, endpoint: str, message: str, field: str | None = None):
        self.field = field
        where = f" (field {field})" if field else ""
        super().__init__(provider, endpoint, f"invalid payload{where}: {message}")
        self.message = f"invalid payload{where}: {message}"


# Why a poll failed, in a fixed set of words (metric labels, counts): never the message itself.
ERROR_REASONS = (
    "timeout",
    "connection",
    "auth",
    "not_found",
    "rate_limited",
    "http_4xx",
    "http_5xx",
    "invalid_payload",
    "internal",
)


def error_reason(error: BaseException | str) -> str:
    """One of `ERROR_REASONS` for a failure (a plain string is livetop's own "internal error")."""
    if isinstance(error, ProviderTimeout):
        return "timeout"
    if isinstance(error, ProviderConnectionError):
        return "connection"
    if isinstance(error, ProviderAuthError):
        return "auth"
    if isinstance(error, ProviderNotFound):
        return "not_found"
    if isinstance(error, ProviderRateLimited):
        return "rate_limited"
    if isinstance(error, ProviderHTTPError):
        return "http_5xx" if error.status >= 500 else "http_4xx"
    if isinstance(error, ProviderInvalidPayload):
        return "invalid_payload"
    return "internal"
