"""Settings: every knob of smsgate in one frozen dataclass, read once and validated.

Sources, later ones winning: defaults, a TOML file (`--config`), `SMSGATE_*` environment
variables. Only `app` and `cli` call `load`; everything else receives values.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# What a gateway process may run (`roles`): the HTTP API, the customer SMPP server, the
# dispatcher with the connectors and housekeeping, the webhook senders.
ROLES = ("api", "smpp", "dispatch", "webhooks")
EVENT_LOOPS = ("auto", "uvloop", "asyncio")


class ConfigError(ValueError):
    """A setting is missing, of the wrong type or out of range; the message says which."""


@dataclass(frozen=True, slots=True)
class Settings:
    data_dir: str = "./var"
    database_url: str = ""
    http_host: str = "127.0.0.1"
    http_port: int = 8080
    http_workers: int = 1
    # the HTTP/1.1 server in front of the API: "lean" (smsgate.api.front) or "uvicorn"
    http_server: str = "lean"
    smpp_host: str = "127.0.0.1"
    smpp_port: int = 2775
    http_header_timeout: int = 10
    http_body_timeout: int = 30
    http_keepalive_timeout: int = 30
    smpp_bind_timeout: int = 10
    connections_per_address: int = 256
    # load balancers and reverse proxies (addresses or networks, comma-separated) whose
    # X-Forwarded-For (HTTP) and PROXY header (SMPP) name the client
    trusted_proxies: str = ""
    simulator_delay_ms: int = 500
    default_validity: int = 48 * 3600
    webhook_secret: str = ""
    webhook_max_attempts: int = 6
    webhook_base_delay: float = 5.0
    dispatch_batch: int = 200
    account_rate_limit: float = 0.0
    housekeeping_interval: float = 1.0
    # days final messages and MO are kept (their totals stay in the statistics); 0: forever
    retention_days: int = 0
    # seconds between runs of the job that counts the portal's hourly totals
    hourly_totals_interval: float = 60.0
    max_body_bytes: int = 1_048_576
    login_failures_per_address: int = 10
    login_failures_per_name: int = 5
    login_failure_window: float = 300.0
    login_block_seconds: float = 300.0
    password_threads: int = 1
    sqlite_synchronous: str = "NORMAL"
    # the event loop of every process: uvloop's when installed ("auto"), or one named
    event_loop: str = "auto"
    demo: bool = True
    log_level: str = "INFO"
    log_json: bool = False
    # this gateway's node id (services.nodes); empty: the host name and the data directory
    node_id: str = ""
    # the ROLES this node runs, comma-separated
    roles: str = ",".join(ROLES)

    def database(self) -> str:
        """The database URL: the configured one, else the SQLite file in data_dir."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{Path(self.data_dir) / 'smsgate.db'}"

    def runs(self, role: str) -> bool:
        """Whether this node runs `role` (one of ROLES)."""
        return role in {name.strip() for name in self.roles.split(",")}


HTTP_SERVERS = ("uvicorn", "lean")
_PREFIX = "SMSGATE_"
_RANGES: dict[str, tuple[int, int]] = {
    "http_port": (0, 65535),
    "smpp_port": (0, 65535),
    "http_workers": (0, 64),
    "simulator_delay_ms": (0, 3_600_000),
    "default_validity": (60, 7 * 24 * 3600),
    "webhook_max_attempts": (1, 100),
    "dispatch_batch": (1, 10_000),
    "max_body_bytes": (1024, 100 * 1_048_576),
    "http_header_timeout": (1, 3600),
    "http_body_timeout": (1, 3600),
    "http_keepalive_timeout": (1, 3600),
    "smpp_bind_timeout": (1, 3600),
    "connections_per_address": (0, 1_000_000),
    "login_failures_per_address": (0, 1_000_000),
    "login_failures_per_name": (0, 1_000_000),
    "login_failure_window": (1, 86_400),
    "login_block_seconds": (1, 86_400),
    "password_threads": (1, 16),
    "retention_days": (0, 36_500),
    "hourly_totals_interval": (1, 86_400),
}


def load(environ: Mapping[str, str] | None = None, toml_path: str | None = None) -> Settings:
    """Build Settings from a TOML file and the environment; raise ConfigError on bad input."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    if toml_path:
        try:
            with open(toml_path, "rb") as handle:
                document = tomllib.load(handle)
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read config file {toml_path}: {exc}") from exc
        table = document.get("smsgate", document)
        for key, value in table.items():
            values[key] = _coerce(key, value, source=toml_path)
    for name, raw in env.items():
        if name.startswith(_PREFIX):
            key = name[len(_PREFIX) :].lower()
            if key in _FIELDS:
                values[key] = _coerce(key, raw, source=name)
    settings = Settings(**values)
    validate(settings)
    return settings


_FIELDS = {f.name: f for f in dataclasses.fields(Settings)}


def _coerce(key: str, value: Any, *, source: str) -> Any:
    field = _FIELDS.get(key)
    if field is None:
        raise ConfigError(f"{source}: unknown setting {key!r}")
    kind = field.type
    try:
        if kind == "bool":
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off"):
                return False
            raise ValueError(value)
        if kind == "int":
            if isinstance(value, bool):
                raise ValueError(value)
            return int(value)
        if kind == "float":
            return float(value)
        return str(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{source}: {key} must be of type {kind}, got {value!r}") from exc


def validate(settings: Settings) -> None:
    """ConfigError naming the first setting out of its range or form."""
    for key, (low, high) in _RANGES.items():
        value = getattr(settings, key)
        if not low <= value <= high:
            raise ConfigError(f"{key} must be between {low} and {high}, got {value}")
    if settings.account_rate_limit < 0:
        raise ConfigError("account_rate_limit must be 0 (off) or more")
    if settings.http_server not in HTTP_SERVERS:
        raise ConfigError(f"http_server must be one of {', '.join(HTTP_SERVERS)}")
    if settings.sqlite_synchronous.upper() not in ("OFF", "NORMAL", "FULL", "EXTRA"):
        raise ConfigError("sqlite_synchronous must be OFF, NORMAL, FULL or EXTRA")
    if settings.event_loop not in EVENT_LOOPS:
        raise ConfigError(f"event_loop must be one of {', '.join(EVENT_LOOPS)}")
    roles = [name.strip() for name in settings.roles.split(",")]
    if not all(name in ROLES for name in roles) or len(set(roles)) != len(roles):
        raise ConfigError(f"roles must be a comma-separated list of {', '.join(ROLES)}")
    for item in filter(None, (part.strip() for part in settings.trusted_proxies.split(","))):
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError as exc:
            raise ConfigError(f"trusted_proxies: {item!r} is not an address or a network") from exc
    url = settings.database_url
    if url and not url.startswith(("sqlite://", "postgresql://", "postgres://", "memory://")):
        raise ConfigError("database_url must start with sqlite://, postgresql:// or memory://")
