"""The settings of an SMPP connector: their names, types, defaults and checks.

They are kept as a JSON object in the connectors table; `parse_settings` is what the
connector definitions use case calls before storing one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import MISSING, asdict, dataclass, fields
from typing import Any, Literal, get_args

from smsgate.core.errors import InvalidRequest
from smsgate.services.plans import PartScheme
from smsgate.text import Concat

BindMode = Literal["trx", "tx+rx"]
Alphabet = Literal["gsm7", "latin1"]
IdFormatName = Literal["hex", "dec", "str"]
ConcatName = Literal["udh8", "udh16", "sar", "payload"]


@dataclass(frozen=True, slots=True)
class SmppSettings:
    """One SMPP connector's settings, as kept (JSON) in the connectors table."""

    host: str
    port: int
    system_id: str
    password: str
    system_type: str = ""
    bind: BindMode = "trx"
    binds: int = 1
    window: int = 10
    throughput: float | None = None
    source_ton: int | None = None
    source_npi: int | None = None
    dest_ton: int = 1
    dest_npi: int = 1
    default_alphabet: Alphabet = "gsm7"
    concat: ConcatName = "udh8"
    id_format: IdFormatName = "hex"
    tls: bool = False
    enquire_link: float = 30.0
    response_timeout: float = 30.0
    retries: int = 3
    retry_delay: float = 0.5
    reconnect_delay: float = 1.0
    bind_failure_delay: float = 30.0

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SmppSettings:
        """Check every key and value; raise InvalidRequest naming the first bad one."""
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise InvalidRequest(f"unknown SMPP setting {unknown[0]!r}", field=unknown[0])
        values: dict[str, Any] = {}
        for name, spec in known.items():
            if name not in data:
                if spec.default is MISSING:
                    raise InvalidRequest(f"SMPP setting {name!r} is required", field=name)
                continue
            values[name] = _checked(name, str(spec.type), data[name])
        settings = cls(**values)
        for name in ("port", "binds", "window"):
            if int(getattr(settings, name)) < 1:
                raise InvalidRequest(f"SMPP setting {name!r} must be at least 1", field=name)
        if settings.throughput is not None and settings.throughput <= 0:
            raise InvalidRequest("throughput must be positive", field="throughput")
        return settings

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


_CHOICES: dict[str, tuple[str, ...]] = {
    "BindMode": get_args(BindMode),
    "Alphabet": get_args(Alphabet),
    "IdFormatName": get_args(IdFormatName),
    "ConcatName": get_args(ConcatName),
}


def _checked(name: str, type_name: str, value: object) -> object:
    optional = type_name.endswith("| None")
    base = type_name.removesuffix(" | None")
    if value is None and optional:
        return None
    if base in _CHOICES:
        if value not in _CHOICES[base]:
            choices = "|".join(_CHOICES[base])
            raise InvalidRequest(f"{name} must be one of {choices}, not {value!r}", field=name)
        return value
    ok = {
        "str": isinstance(value, str),
        "int": isinstance(value, int) and not isinstance(value, bool),
        "float": isinstance(value, int | float) and not isinstance(value, bool),
        "bool": isinstance(value, bool),
    }[base]
    if not ok:
        raise InvalidRequest(f"{name} must be a {base}, not {value!r}", field=name)
    return float(value) if base == "float" else value  # type: ignore[arg-type]


def part_scheme(data: Mapping[str, Any]) -> PartScheme:
    """What of a connector's stored settings decides the parts of a message it sends."""
    settings = SmppSettings.from_json(data)
    return PartScheme(Concat(settings.concat), settings.default_alphabet == "latin1")


def parse_settings(data: Mapping[str, Any]) -> Mapping[str, Any]:
    """The settings parser the connector definitions use case gets for type "smpp"."""
    return SmppSettings.from_json(data).to_json()
