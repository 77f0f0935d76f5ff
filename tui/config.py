"""Settings: the config file, where it lives and how it is validated.

The file is TOML (see `tui.config_example`). It is parsed with `tomllib` and validated with
pydantic; every problem becomes one `ConfigProblem` line (`<file>: provider "<name>": <field>:
<message>`) and all of them are raised together in one `ConfigError`, so an operator fixes a
file in one go.

API keys are resolved at load time, from the variable named by `api_key_env` (preferred) or from
a literal `api_key`, into a `SecretStr`. A literal key is refused when the file is readable by
anyone but its owner. Nothing here ever puts a key into a message.
"""

from __future__ import annotations

import difflib
import os
import re
import stat
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Final, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from tui.format import safe_text
from tui.models import ProviderKind
from tui.rundown_config import RundownEntry

if TYPE_CHECKING:
    import httpx

    from tui.providers.base import Provider, UtcNow
    from tui.providers.scheduler import RequestScheduler
    from tui.sim import RunningSimulator

APP_NAME: Final = "livetop"
# The calls backend allows ~60 requests a minute per endpoint: by default livetop spends at
# most 50 a minute there, every poll, drill-down and key included. Others: unlimited unless set.
CALLS_BUDGET: Final = 50
MAX_BUDGET: Final = 100_000
CONFIG_ENV: Final = "LIVETOP_CONFIG"
MIN_INTERVAL: Final = 0.5
DEFAULT_INTERVAL: Final = 2.0
MAX_TIMEOUT: Final = 300.0
# request_deadline (seconds for a whole answer) and max_response_mb (an answer's size once
# decompressed): the clients' own defaults (tui/providers/bounds.py), without importing httpx.
DEFAULT_DEADLINE: Final = 30.0
DEFAULT_MAX_RESPONSE_MB: Final = 64.0
MAX_RESPONSE_MB: Final = 1024.0
MAX_CONFIG_BYTES: Final = 1 << 20  # a config is a few hundred bytes; nothing bigger is read
MAX_NAME: Final = 40
# Which id list each kind takes, and whether it must be non-empty (calls/uiza have no "list all").
ID_FIELDS: Final[Mapping[ProviderKind, tuple[str, bool]]] = {
    ProviderKind.LIVEPEER: ("stream_ids", False),
    ProviderKind.UIZA: ("entity_ids", True),
    ProviderKind.CALLS: ("call_ids", True),
}
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Ids end up in URL paths: refuse anything that could change the path or the query.
_ID_FORBIDDEN = frozenset("/\\?#%")
_ERROR = "livetop_config"  # error type of every check written here (vs pydantic's own)


def default_config_path() -> Path:
    """`user_config_path("livetop") / "config.toml"` (platformdirs imported only when needed)."""
    import platformdirs

    return platformdirs.user_config_path(APP_NAME) / "config.toml"


def config_path(
    explicit: str | Path | None = None, environ: Mapping[str, str] | None = None
) -> Path:
    """The config file to use: `--config`, else `$LIVETOP_CONFIG`, else the platform default."""
    env = os.environ if environ is None else environ
    if explicit:
        return Path(explicit).expanduser()
    if env.get(CONFIG_ENV):
        return Path(env[CONFIG_ENV]).expanduser()
    return default_config_path()


# -- problems ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ConfigProblem:
    """One thing wrong with a config; `str()` is the one line shown to the operator."""

    file: str
    message: str
    provider: str | None = None  # already a label: `"studio"` or `#2`
    field: str | None = None
    line: int | None = None
    rundown: str | None = None  # a `[[rundown]]` item's label: `#3 ("Main show")`

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        parts = [where]
        if self.provider is not None:
            parts.append(f"provider {self.provider}")
        if self.rundown is not None:
            parts.append(f"rundown {self.rundown}")
        if self.field:
            parts.append(self.field)
        parts.append(self.message)
        return ": ".join(parts)


class ConfigError(Exception):
    """The config cannot be used; `problems` lists every reason, one line each."""

    def __init__(self, problems: Iterable[ConfigProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def _problem(message: str) -> PydanticCustomError:
    """A validation error carrying our own wording (pydantic shows `message` as is)."""
    return PydanticCustomError(_ERROR, "{message}", {"message": message})


def _detail(loc: tuple[str | int, ...], message: str) -> InitErrorDetails:
    return InitErrorDetails(type=_problem(message), loc=loc, input=None)


# -- models -----------------------------------------------------------------------------------

Interval = Annotated[float, Field(strict=True, ge=MIN_INTERVAL, allow_inf_nan=False)]
IdList = tuple[Annotated[str, Field(strict=True)], ...]
Timeout = Annotated[float, Field(strict=True, gt=0, le=MAX_TIMEOUT, allow_inf_nan=False)]
Megabytes = Annotated[float, Field(strict=True, gt=0, le=MAX_RESPONSE_MB, allow_inf_nan=False)]
Budget = Annotated[int, Field(strict=True, ge=1, le=MAX_BUDGET)]


class ProviderConfig(BaseModel):
    """One `[[providers]]` table, validated, with its key resolved into `api_key`.

    After validation `api_key` always holds the key, whether it came from the variable named by
    `api_key_env` (kept for display) or from the file.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(strict=True)
    kind: ProviderKind
    base_url: str | None = Field(default=None, strict=True)
    api_key_env: str | None = Field(default=None, strict=True)
    api_key: SecretStr = SecretStr("")
    stream_ids: IdList | None = None
    entity_ids: IdList | None = None
    call_ids: IdList | None = None
    interval: Interval | None = None
    # Seconds to wait for an answer (connect at most 5 s of it); None: the client default, 10 s.
    timeout: Timeout | None = None
    # Seconds for one whole request, from sending it to the body's last byte.
    request_deadline: Timeout = DEFAULT_DEADLINE
    # The most the answers being read at once may hold once decompressed, in MB (2**20 bytes).
    max_response_mb: Megabytes = DEFAULT_MAX_RESPONSE_MB
    # Requests a minute this provider may receive from livetop, all of them counted (polls,
    # drill-downs, refresh-now); None: calls 50, the others unlimited.
    max_requests_per_minute: Budget | None = None

    @property
    def ids(self) -> tuple[str, ...]:
        """The stream, entity or call ids this provider watches (by kind)."""
        return getattr(self, ID_FIELDS[self.kind][0]) or ()

    def make_client(
        self,
        *,
        timeout: httpx.Timeout | None = None,
        clock: UtcNow | None = None,
        scheduler: RequestScheduler | None = None,
        one_shot: bool = False,
    ) -> Provider:
        """A fresh client for this provider (imports httpx, so only when one is needed).

        `clock` (UTC now) decides what counts as live; tests pass a frozen one. Without an
        explicit `timeout`, the configured `timeout` seconds apply (else the client default).
        `scheduler` admits its requests (`tui.engine.build_schedulers` makes them from the
        config); without one the client's requests are unlimited. `one_shot`: it fetches
        once (`snapshot`), so a fetch waits for what a poll would leave to the next (viewers).
        """
        from tui.providers import build_client

        if timeout is None and self.timeout is not None:
            import httpx

            timeout = httpx.Timeout(self.timeout, connect=min(self.timeout, 5.0))

        return build_client(
            self.kind,
            self.name,
            self.api_key,
            base_url=self.base_url,
            ids=self.ids,
            timeout=timeout,
            clock=clock,
            deadline=self.request_deadline,
            max_body=int(self.max_response_mb * (1 << 20)),
            scheduler=scheduler,
            one_shot=one_shot,
        )

    @field_validator("name")
    @classmethod
    def _check_name(cls, value: str) -> str:
        if not value.strip() or len(value) > MAX_NAME or not value.isprintable():
            raise _problem(f"must be 1-{MAX_NAME} printable characters")
        return value

    @field_validator("base_url")
    @classmethod
    def _check_base_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            url = urlsplit(value)
            _ = url.port  # raises on a malformed port
        except ValueError:
            raise _problem("is not a valid URL") from None
        if url.scheme not in ("http", "https") or not url.hostname:
            raise _problem("must be an http:// or https:// URL with a host")
        if url.username is not None or url.password is not None:
            raise _problem("must not contain credentials; use api_key_env")
        if url.query or url.fragment:
            raise _problem("must not contain a query or fragment")
        return value

    @field_validator("api_key_env")
    @classmethod
    def _check_env_name(cls, value: str | None) -> str | None:
        if value is not None and not _ENV_NAME.fullmatch(value):
            raise _problem("must be an environment variable name (letters, digits, _)")
        return value

    @field_validator("stream_ids", "entity_ids", "call_ids")
    @classmethod
    def _check_ids(cls, value: IdList | None) -> IdList | None:
        if value is None:
            return None
        for item in value:
            if not item.strip() or not item.isprintable() or _ID_FORBIDDEN.intersection(item):
                raise _problem("ids must be non-empty and contain no spaces or / \\ ? # %")
        return tuple(dict.fromkeys(value))  # drop repeats, keep order

    @model_validator(mode="wrap")
    @classmethod
    def _resolve(
        cls, data: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo
    ) -> ProviderConfig:
        """Field checks, then the checks that span fields, all reported together."""
        if isinstance(data, ProviderConfig):
            return data
        errors: list[InitErrorDetails] = []
        model: ProviderConfig | None = None
        try:
            model = handler(data)
        except ValidationError as exc:
            errors.extend(_as_details(exc))
        if not isinstance(data, Mapping):
            if errors:
                raise ValidationError.from_exception_data(cls.__name__, errors)
            raise _problem("must be a table")
        context: Mapping[str, Any] = info.context or {}
        key, key_errors = _key_from(data, context)
        errors.extend(key_errors)
        errors.extend(_id_problems(data))
        if errors:
            raise ValidationError.from_exception_data(cls.__name__, errors)
        assert model is not None  # no errors means the handler returned a model
        return model if key is None else model.model_copy(update={"api_key": key})


def _as_details(exc: ValidationError) -> list[InitErrorDetails]:
    """Re-raisable copies of a ValidationError's errors (messages kept, inputs dropped)."""
    out: list[InitErrorDetails] = []
    for err in exc.errors(include_url=False, include_input=False):
        ctx = err.get("ctx") or {}
        kind = PydanticCustomError(err["type"], "{message}", {**ctx, "message": err["msg"]})
        out.append(InitErrorDetails(type=kind, loc=tuple(err["loc"]), input=None))
    return out


def _key_from(
    data: Mapping[str, Any], context: Mapping[str, Any]
) -> tuple[SecretStr | None, list[InitErrorDetails]]:
    """The key from the environment (or None to keep the literal), and what is wrong with it."""
    env_name, literal = data.get("api_key_env"), data.get("api_key")
    if env_name is not None and literal is not None:
        return None, [_detail(("api_key",), "set api_key_env or api_key, not both")]
    if env_name is None and literal is None:
        return None, [
            _detail(
                ("api_key_env",), "required: name the variable that holds the key (or set api_key)"
            )
        ]
    if isinstance(literal, str):
        if not literal.strip():
            return None, [_detail(("api_key",), "is empty")]
        if not _header_safe(literal.strip()):
            return None, [_detail(("api_key",), f"{_UNSAFE_KEY}; the key is refused")]
        mode = context.get("file_mode")
        if mode is not None and mode & 0o077:
            path = context.get("path", "the config file")
            return None, [
                _detail(
                    ("api_key",),
                    f"the file holds a literal key but group/others can read it (mode "
                    f"{mode & 0o777:04o}); run: chmod 600 {path} (or use api_key_env)",
                )
            ]
        return None, []
    if not isinstance(env_name, str) or not _ENV_NAME.fullmatch(env_name):
        return None, []  # already reported by the field validators
    environ: Mapping[str, str] = context.get("environ", os.environ)
    value = environ.get(env_name)
    if value is None:
        return None, [_detail(("api_key_env",), f"environment variable {env_name} is not set")]
    if not value.strip():
        return None, [_detail(("api_key_env",), f"environment variable {env_name} is empty")]
    if not _header_safe(value.strip()):
        message = f"environment variable {env_name} {_UNSAFE_KEY}; the key is refused"
        return None, [_detail(("api_key_env",), message)]
    return SecretStr(value.strip()), []


# A key goes into an HTTP header: a line break there breaks the request (and httpx's message
# about it quotes the key), and non-ASCII text cannot be sent at all.
_UNSAFE_KEY = "holds a control character or non-ASCII text"


def _header_safe(key: str) -> bool:
    return key.isascii() and key.isprintable()


def _id_problems(data: Mapping[str, Any]) -> list[InitErrorDetails]:
    """Id lists on the wrong kind, and the lists a kind cannot work without."""
    try:
        kind = ProviderKind(str(data.get("kind")))
    except ValueError:
        return []  # the kind itself is reported
    wanted, required = ID_FIELDS[kind]
    problems = [
        _detail((field,), f'only valid for kind = "{other}"')
        for other, (field, _) in ID_FIELDS.items()
        if other is not kind and field in data
    ]
    if required and not data.get(wanted):
        what = "live entity" if kind is ProviderKind.UIZA else "call"
        problems.append(
            _detail((wanted,), f'required for kind = "{kind}": the {what} ids to watch')
        )
    return problems


class Settings(BaseModel):
    """The whole validated config. `source` names where it came from: the file, `<demo>`, or
    None when built directly."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    refresh_interval: Interval = DEFAULT_INTERVAL
    bell: bool = Field(default=True, strict=True)
    record: bool = Field(default=True, strict=True)  # the console keeps a recording
    # "watched": toasts and the bell only for watched sessions (`w`); the event log keeps all.
    alerts: Literal["all", "watched"] = "all"
    providers: tuple[ProviderConfig, ...]
    rundown: tuple[RundownEntry, ...] = ()  # tonight's plan (`tui.rundown_config`)

    _source: str | None = PrivateAttr(default=None)

    @property
    def source(self) -> str | None:
        return self._source

    def interval_for(self, provider: ProviderConfig) -> float:
        """Seconds between polls of `provider`: its own `interval`, else `refresh_interval`.

        The pace actually kept can be slower: never faster than its budget allows (see
        `budget_for`; the refresher works that out from how many requests a poll makes).
        """
        return self.refresh_interval if provider.interval is None else provider.interval

    def budget_for(self, provider: ProviderConfig) -> int | None:
        """Requests a minute `provider` may receive: its `max_requests_per_minute`, else 50 for
        calls (its video backend allows about 60 a minute per endpoint), else None (no budget).
        """
        if provider.max_requests_per_minute is not None:
            return provider.max_requests_per_minute
        return CALLS_BUDGET if provider.kind is ProviderKind.CALLS else None

    def secret_values(self) -> tuple[str, ...]:
        """Every configured key, for the log's last-line-of-defence redaction."""
        return tuple(p.api_key.get_secret_value() for p in self.providers)

    def only(self, names: Sequence[str]) -> Settings:
        """These providers, in config order; `ConfigError` naming any unknown name."""
        known = {p.name for p in self.providers}
        unknown = [n for n in dict.fromkeys(names) if n not in known]
        if unknown:
            choices = ", ".join(p.name for p in self.providers)
            raise ConfigError(
                ConfigProblem(
                    self.source or "<config>",
                    f"unknown provider (configured: {choices})",
                    provider=_label(n),
                    field="--provider",
                )
                for n in unknown
            )
        wanted = set(names)
        return self.model_copy(
            update={
                "providers": tuple(p for p in self.providers if p.name in wanted),
                "rundown": tuple(r for r in self.rundown if r.provider in wanted),
            }
        )

    @field_validator("providers", mode="wrap")
    @classmethod
    def _unique_names(cls, value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        """Duplicate names are reported along with every other provider problem."""
        if isinstance(value, list | tuple) and not value:
            raise _problem("at least one [[providers]] table is required")
        errors: list[InitErrorDetails] = []
        result = None
        try:
            result = handler(value)
        except ValidationError as exc:
            errors.extend(_as_details(exc))
        seen: dict[str, int] = {}
        for index, entry in enumerate(value if isinstance(value, list | tuple) else ()):
            name = entry.get("name") if isinstance(entry, Mapping) else None
            if isinstance(name, str):
                if name in seen:
                    errors.append(
                        _detail(
                            (index, "name"), f"duplicate name (also provider #{seen[name] + 1})"
                        )
                    )
                seen.setdefault(name, index)
        if errors:
            raise ValidationError.from_exception_data(cls.__name__, errors)
        return result

    @field_validator("rundown", mode="wrap")
    @classmethod
    def _plan_fits(
        cls, value: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo
    ) -> Any:
        """Each item's own checks, and what it needs from the providers, reported together."""
        errors: list[InitErrorDetails] = []
        result = None
        try:
            result = handler(value)
        except ValidationError as exc:
            errors.extend(_as_details(exc))
        if "providers" in info.data:
            providers = {p.name: (p.kind, p.ids) for p in info.data["providers"]}
        else:  # they have problems of their own: check against what the file says
            providers = _raw_providers((info.context or {}).get("providers"))
        for index, entry in enumerate(value if isinstance(value, list | tuple) else ()):
            if isinstance(entry, Mapping):
                errors.extend(_rundown_problems(index, entry, providers))
        if errors:
            raise ValidationError.from_exception_data(cls.__name__, errors)
        return result


def _raw_providers(raw: Any) -> dict[str, tuple[ProviderKind | None, tuple[str, ...]]]:
    """Each provider's kind and ids as the file says them (when they did not validate)."""
    found: dict[str, tuple[ProviderKind | None, tuple[str, ...]]] = {}
    for entry in raw if isinstance(raw, list) else ():
        name = entry.get("name") if isinstance(entry, Mapping) else None
        if not isinstance(name, str):
            continue
        kind = next((k for k in ProviderKind if k.value == entry.get("kind")), None)
        ids = entry.get(ID_FIELDS[kind][0]) if kind else None
        found[name] = (
            kind,
            tuple(i for i in ids if isinstance(i, str)) if isinstance(ids, list) else (),
        )
    return found


def _rundown_problems(
    index: int,
    entry: Mapping[str, Any],
    providers: Mapping[str, tuple[ProviderKind | None, tuple[str, ...]]],
) -> list[InitErrorDetails]:
    """An item's provider must be configured, its id one that provider polls (else nothing
    would ever be seen of it), and anything but a call needs a start."""
    name, id_ = entry.get("provider"), entry.get("id")
    if not isinstance(name, str):
        return []
    if name not in providers:
        known = ", ".join(providers) or "none"
        return [_detail((index, "provider"), f"no provider is named so (configured: {known})")]
    kind, ids = providers[name]
    problems = []
    if kind is not None and isinstance(id_, str) and ids and id_ not in ids:
        field = ID_FIELDS[kind][0]
        message = f'is not in provider "{safe_text(name, MAX_NAME)}"\'s {field}: add it there'
        problems.append(_detail((index, "id"), message))
    if kind not in (ProviderKind.CALLS, None) and entry.get("start") is None:
        what = "stream" if kind is ProviderKind.LIVEPEER else "entity"
        message = f"required for a {what} (only a call brings its own scheduled_at)"
        problems.append(_detail((index, "start"), message))
    return problems


# -- loading ----------------------------------------------------------------------------------


def load_settings(
    path: str | Path | None = None, *, environ: Mapping[str, str] | None = None
) -> Settings:
    """Read and validate the config (`config_path` rules); raise `ConfigError` listing problems."""
    env = os.environ if environ is None else environ
    file = config_path(path, env)
    label = str(file)
    raw, mode = _read_config(file, label)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError([ConfigProblem(label, f"not UTF-8 text (byte {exc.start})")]) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([_toml_problem(label, exc)]) from None
    return settings_from_dict(data, source=label, environ=env, file_mode=mode)


def _read_config(file: Path, label: str) -> tuple[bytes, int | None]:
    """The bytes of a regular file of at most `MAX_CONFIG_BYTES`, and its permission bits
    (None off POSIX). Anything else (a directory, /dev/zero, a FIFO with no writer, a huge
    file) is one `ConfigError` line, at once: opening never waits and reading is bounded."""

    def refuse(message: str) -> ConfigError:
        return ConfigError([ConfigProblem(label, message)])

    try:
        fd = os.open(file, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        hint = "run `livetop init` to write an example, or try `livetop --demo`"
        raise refuse(f"no such config file; {hint}") from None
    except IsADirectoryError:
        raise refuse("is a directory, not a config file") from None
    except OSError as exc:
        raise refuse(f"cannot read: {exc.strerror}") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise refuse("is a directory, not a config file")
        if not stat.S_ISREG(info.st_mode):
            raise refuse(f"is not a regular file ({_file_kind(info.st_mode)}); not a config file")
        if info.st_size > MAX_CONFIG_BYTES:
            raise refuse(f"is larger than {MAX_CONFIG_BYTES >> 20} MiB; not a config file")
        with os.fdopen(fd, "rb", closefd=False) as stream:
            raw = stream.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise refuse(f"cannot read: {exc.strerror}") from None
    finally:
        os.close(fd)
    if len(raw) > MAX_CONFIG_BYTES:  # grew while being read
        raise refuse(f"is larger than {MAX_CONFIG_BYTES >> 20} MiB; not a config file")
    return raw, (info.st_mode & 0o777 if os.name == "posix" else None)


def _file_kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return name
    return "a special file"


def settings_from_dict(
    data: Mapping[str, Any],
    *,
    source: str = "<config>",
    environ: Mapping[str, str] | None = None,
    file_mode: int | None = None,
) -> Settings:
    """Validate parsed config data. With `file_mode` (the file's permission bits), a literal
    `api_key` is refused unless only the owner can access the file."""
    context = {
        "environ": os.environ if environ is None else environ,
        "file_mode": file_mode,
        "path": source,
        "providers": data.get("providers"),  # the rundown's checks, when they do not validate
    }
    try:
        settings = Settings.model_validate(data, context=context)
    except ValidationError as exc:
        raise ConfigError(_problems(exc, data, source)) from None
    settings._source = source
    return settings


def demo_settings(
    sim: RunningSimulator,
    *,
    refresh_interval: float = DEFAULT_INTERVAL,
    rundown: Sequence[Mapping[str, Any]] = (),
) -> Settings:
    """Settings watching a running simulator: providers "studio", "uiza" and "calls" (and a
    rundown over them, when given)."""
    ids = {"uiza": {"entity_ids": list(sim.entity_ids)}, "calls": {"call_ids": list(sim.call_ids)}}
    providers = [
        {
            "name": name,
            "kind": kind,
            "base_url": sim.base_urls[kind],
            "api_key": sim.api_keys[kind],
            **ids.get(kind, {}),
        }
        for name, kind in (("studio", "livepeer"), ("uiza", "uiza"), ("calls", "calls"))
    ]
    # The demo is not recorded: its made-up sessions must not mix into the operator's recording.
    data = {
        "refresh_interval": refresh_interval,
        "record": False,
        "providers": providers,
        "rundown": list(rundown),
    }
    return settings_from_dict(data, source="<demo>", environ={})


_TOML_WHERE = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")


def _toml_problem(label: str, exc: tomllib.TOMLDecodeError) -> ConfigProblem:
    message = str(exc)
    match = _TOML_WHERE.search(message)
    line = None
    if match:
        line = int(match.group(1))
        message = f"{message[: match.start()]} (column {match.group(2)})"
    return ConfigProblem(label, f"invalid TOML: {message}", line=line)


# -- turning pydantic errors into lines -------------------------------------------------------

_SIMPLE = {
    "missing": "required",
    "string_type": "must be a string",
    "float_type": "must be a number",
    "bool_type": "must be true or false",
    "tuple_type": "must be an array",
    "finite_number": "must be a finite number",
    "enum": "must be one of: " + ", ".join(f'"{k}"' for k in ProviderKind),
    "model_type": "must be a table",
    "model_attributes_type": "must be a table",
}


def _problems(exc: ValidationError, data: Mapping[str, Any], source: str) -> list[ConfigProblem]:
    raw, plan = data.get("providers"), data.get("rundown")
    providers = raw if isinstance(raw, list) else []
    out: list[tuple[int, ConfigProblem]] = []
    for err in exc.errors(include_url=False, include_input=False):
        loc = tuple(err["loc"])
        index, provider, item, fields = -1, None, None, loc
        model: type[BaseModel] = Settings
        if len(loc) >= 2 and loc[0] == "providers" and isinstance(loc[1], int):
            index, provider, fields = loc[1], _provider_label(providers, loc[1]), loc[2:]
            model = ProviderConfig
        elif len(loc) >= 2 and loc[0] == "rundown" and isinstance(loc[1], int):
            index, item, fields = 1 << 20 | loc[1], _item_label(plan, loc[1]), loc[2:]
            model = RundownEntry
        message = _message(err["type"], err["msg"], err.get("ctx") or {}, loc, model)
        field = _field_path(fields)
        out.append((index, ConfigProblem(source, message, provider, field, rundown=item)))
    # top-level first, then providers, then the rundown, each in file order
    out.sort(key=lambda pair: pair[0])
    return [problem for _, problem in out]


def _message(
    kind: str, msg: str, ctx: Mapping[str, Any], loc: tuple[Any, ...], model: type[BaseModel]
) -> str:
    if kind == _ERROR:
        return str(ctx["message"])
    if kind == "value_error":  # our own wording, raised as ValueError (tui.rundown_config)
        return msg.removeprefix("Value error, ")
    if kind == "literal_error" and loc == ("alerts",):
        return 'must be "all" or "watched"'
    if kind in ("tuple_type", "list_type") and loc == ("rundown",):
        return "must be an array of tables: write [[rundown]], not [rundown]"
    if kind == "extra_forbidden":
        allowed = model.model_fields
        close = difflib.get_close_matches(str(loc[-1]), list(allowed), n=1, cutoff=0.5)
        return "unknown key" + (f'; did you mean "{close[0]}"?' if close else "")
    if loc and loc[-1] == "max_requests_per_minute":
        if kind == "greater_than_equal":
            return "must be at least 1 (requests a minute)"
        if kind == "less_than_equal":
            return f"must be at most {MAX_BUDGET} (requests a minute)"
        if kind in ("int_type", "int_from_float"):
            return "must be a whole number of requests a minute"
    unit = "MB" if loc and loc[-1] == "max_response_mb" else "seconds"
    if kind in ("greater_than_equal",) and "ge" in ctx:
        return f"must be at least {ctx['ge']} {unit}"
    if kind == "greater_than" and "gt" in ctx:
        return f"must be more than {ctx['gt']:g} {unit}"
    if kind == "less_than_equal" and "le" in ctx:
        return f"must be at most {ctx['le']:g} {unit}"
    if kind in ("tuple_type", "list_type") and loc == ("providers",):
        return "must be an array of tables: write [[providers]], not [providers]"
    return _SIMPLE.get(kind, msg)


def _provider_label(providers: Sequence[Any], index: int) -> str:
    entry = providers[index] if index < len(providers) else None
    name = entry.get("name") if isinstance(entry, Mapping) else None
    if not isinstance(name, str) or not name.strip():
        return f"#{index + 1}"
    twins = sum(isinstance(e, Mapping) and e.get("name") == name for e in providers)
    return _label(name) + (f" (#{index + 1})" if twins > 1 else "")


def _item_label(plan: Any, index: int) -> str:
    """`#3 ("Main show")`: the item's place, and its label or id when it has one."""
    entry = plan[index] if isinstance(plan, list) and index < len(plan) else None
    name = entry.get("label") or entry.get("id") if isinstance(entry, Mapping) else None
    return f"#{index + 1}" + (f" ({_label(name)})" if isinstance(name, str) and name else "")


def _label(name: str) -> str:
    return '"' + safe_text(name[:MAX_NAME]) + '"'


def _field_path(parts: Sequence[str | int]) -> str | None:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return safe_text(text) or None
