"""Faults a simulated provider shows on request: per provider, switchable while it runs.

```
latency=S      every answer waits S more seconds
error_rate=P   share P answered 500 with the API's own JSON error body
rate_limit=P   share P answered 429 + `Retry-After: retry_after` (calls: + X-RateLimit-*)
html_5xx=P     share P answered 502 with an HTML page (a proxy in front of the API)
hang=P         share P never answered (until the client gives up or the server stops)
truncate=P     share P answered 200 with the JSON body cut short
drop=P         share P: the connection closes mid-body (Content-Length promised more)
drift          records gain unknown fields, some optionals become null, some vanish
not_found      every request naming an id (stream, session, entity, call) is a 404
auth           every key is refused: 401 in the API's own format
budget=N       at most N requests in any 60 s (a sliding minute); past it 429 with
               `Retry-After` and `X-RateLimit-Limit/Remaining/Reset`, as the calls backend
               answers (refused requests do not count); `0` turns it off
Livepeer's realtime viewership (`/data/views/now`) alone, the sessions untouched:
views_forbidden        403: the key is not a private one
views_latency=S        its answers wait S more seconds
views_error_rate=P     share P answered 500
views_absurd           its rows carry absurd values, wrong types, unknown ids
```
Every request's arrival time is kept (`FaultBoard.arrivals`), with the number the budget
refused, so tests can check any 60 s window at the server.
Shares are drawn once per request, in the order above, from a generator seeded by the
scenario's seed, so a given request sequence fails the same way every run.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

PROVIDERS = ("livepeer", "uiza", "calls")
WINDOW = 60.0  # the budget's sliding minute
MAX_ARRIVALS = 100_000  # arrival times kept per provider
SHARES = ("error_rate", "rate_limit", "html_5xx", "hang", "truncate", "drop")
FLAGS = ("drift", "not_found", "auth", "views_forbidden", "views_absurd")
VIEWS_SHARES = ("views_error_rate",)  # drawn for viewership requests only


@dataclass(frozen=True, slots=True)
class Fault:
    """What one provider does wrong; the default does nothing wrong (see the module table)."""

    latency: float = 0.0
    error_rate: float = 0.0
    rate_limit: float = 0.0
    retry_after: int = 2
    html_5xx: float = 0.0
    hang: float = 0.0
    truncate: float = 0.0
    drop: float = 0.0
    drift: bool = False
    not_found: bool = False
    auth: bool = False
    budget: int = 0
    views_forbidden: bool = False
    views_latency: float = 0.0
    views_error_rate: float = 0.0
    views_absurd: bool = False

    def __post_init__(self) -> None:
        for name in ("latency", "views_latency"):
            value = getattr(self, name)
            if not (math.isfinite(value) and 0 <= value <= 600):
                raise ValueError(f"{name} must be between 0 and 600 seconds")
        for name in SHARES + VIEWS_SHARES:
            value = getattr(self, name)
            if not (isinstance(value, int | float) and 0 <= value <= 1):
                raise ValueError(f"{name} must be a share between 0 and 1")
        if not 0 <= self.retry_after <= 86400:
            raise ValueError("retry_after must be between 0 and 86400 seconds")
        if not 0 <= self.budget <= 100_000:
            raise ValueError("budget must be between 0 (off) and 100000 requests a minute")

    @property
    def active(self) -> bool:
        return self != Fault()

    def to_dict(self) -> dict[str, Any]:
        """The settings that differ from no fault, as JSON-ready values."""
        default = Fault()
        return {k: v for k, v in asdict(self).items() if v != getattr(default, k)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Fault:
        """From JSON-like settings; unknown names and wrong types raise ValueError."""
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown fault setting(s): {', '.join(sorted(unknown))}")
        values: dict[str, Any] = {}
        for name, value in data.items():
            if name in FLAGS:
                if not isinstance(value, bool):
                    raise ValueError(f"{name} must be true or false")
            elif isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"{name} must be a number")
            values[name] = int(value) if name in ("retry_after", "budget") else value
        return cls(**values)

    @classmethod
    def parse(cls, text: str) -> Fault:
        """From `latency=0.5,error_rate=0.1,drift`; a bare share name means always (1.0)."""
        values: dict[str, Any] = {}
        for item in filter(None, (part.strip() for part in text.split(","))):
            name, sep, raw = item.partition("=")
            name = name.strip()
            if name in FLAGS:
                values[name] = not sep or raw.strip().lower() in ("1", "true", "yes", "on")
            elif name in SHARES + VIEWS_SHARES and not sep:
                values[name] = 1.0
            else:
                try:
                    values[name] = float(raw)
                except ValueError:
                    raise ValueError(f"{name}: {raw!r} is not a number") from None
        return cls.from_dict(values)

    def merged(self, other: Fault) -> Fault:
        """This fault with every setting `other` changes from the default."""
        return replace(self, **other.to_dict())


def parse_fault_args(args: Iterable[str]) -> dict[str, Fault]:
    """`--fault` values such as `livepeer:latency=0.5`, `uiza,calls:drift`, `all:hang=0.1`."""
    out: dict[str, Fault] = {}
    for arg in args:
        target, sep, spec = arg.partition(":")
        if not sep:
            raise ValueError(f"{arg!r}: expected PROVIDER:SETTING[=VALUE],...")
        names = [n.strip() for n in target.split(",")]
        providers = list(PROVIDERS) if names == ["all"] else names
        for name in providers:
            if name not in PROVIDERS:
                raise ValueError(f"unknown provider {name!r} (one of {', '.join(PROVIDERS)})")
        fault = Fault.parse(spec)
        for name in providers:
            out[name] = out.get(name, Fault()).merged(fault)
    return out


class FaultBoard:
    """The live fault of each provider and its request count, safe to use from any thread."""

    def __init__(self, faults: Mapping[str, Fault] | None = None, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._faults = {name: Fault() for name in PROVIDERS}
        self._counts = dict.fromkeys(PROVIDERS, 0)
        self._side = dict.fromkeys(PROVIDERS, 0)  # of them, side requests (viewership)
        self._refused = dict.fromkeys(PROVIDERS, 0)
        self._arrivals: dict[str, deque[float]] = {n: deque(maxlen=MAX_ARRIVALS) for n in PROVIDERS}
        self._paths: dict[str, deque[str]] = {n: deque(maxlen=MAX_ARRIVALS) for n in PROVIDERS}
        self._granted: dict[str, deque[float]] = {n: deque() for n in PROVIDERS}
        self._rng = random.Random(seed)
        for name, fault in (faults or {}).items():
            self.set(name, fault)

    def set(self, provider: str, fault: Fault | None) -> None:
        if provider not in PROVIDERS:
            raise ValueError(f"unknown provider {provider!r} (one of {', '.join(PROVIDERS)})")
        with self._lock:
            self._faults[provider] = fault or Fault()

    def clear(self) -> None:
        with self._lock:
            for name in PROVIDERS:
                self._faults[name] = Fault()

    def faults(self) -> dict[str, Fault]:
        with self._lock:
            return dict(self._faults)

    def counts(self, *, polls_only: bool = False) -> dict[str, int]:
        """Requests per provider; `polls_only` leaves out the side requests (Livepeer's
        viewership, which goes beside a poll)."""
        with self._lock:
            if polls_only:
                return {name: n - self._side[name] for name, n in self._counts.items()}
            return dict(self._counts)

    def arrivals(self, provider: str) -> list[float]:
        """When each request reached this provider (`time.monotonic()`), oldest first."""
        with self._lock:
            return list(self._arrivals[provider])

    def paths(self, provider: str) -> list[str]:
        """The path each request to this provider asked for, oldest first."""
        with self._lock:
            return list(self._paths[provider])

    def draw(self) -> float:
        """A number in [0, 1) from the board's seeded generator (a fault's share)."""
        with self._lock:
            return self._rng.random()

    def refused(self, provider: str) -> int:
        """Requests the budget answered 429."""
        with self._lock:
            return self._refused[provider]

    def budget_headers(self, provider: str) -> dict[str, str]:
        """What a request over the budget is told: when to come back, the limit, what is left."""
        with self._lock:
            limit = self._faults[provider].budget
            granted = self._granted[provider]
            wait = granted[0] + WINDOW - time.monotonic() if granted else WINDOW
        wait = max(1, math.ceil(wait))
        return {
            "Retry-After": str(wait),
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": str(math.ceil(time.time()) + wait),
        }

    def admit(
        self, provider: str, *, side: bool = False, path: str = ""
    ) -> tuple[Fault, str | None]:
        """Count one request for `path` (`side`: a side request) and draw its fate: the fault
        in force and the share that hit ("budget" when it is over the budget)."""
        with self._lock:
            now = time.monotonic()
            self._counts[provider] += 1
            self._side[provider] += side
            self._arrivals[provider].append(now)
            self._paths[provider].append(path)
            fault = self._faults[provider]
            if fault.budget:
                granted = self._granted[provider]
                while granted and granted[0] <= now - WINDOW:
                    granted.popleft()
                if len(granted) >= fault.budget:
                    self._refused[provider] += 1
                    return fault, "budget"
                granted.append(now)
            shares = [(name, getattr(fault, name)) for name in SHARES]
            if not any(share for _, share in shares):
                return fault, None
            roll = self._rng.random()
        for name, share in shares:
            if roll < share:
                return fault, name
            roll -= share
        return fault, None
