"""Connector types: the settings parser, the factory, the part scheme (what decides a
message's parts on it) and, for operators that call back over HTTP, the callback routes
of each type kept in the table.

The built-in simulator is not here: it has no definition row and is always running.
"""

from __future__ import annotations

from collections.abc import Callable

from smsgate.connectors.callbacks import CallbackRoutes
from smsgate.connectors.smpp import SmppUpstream
from smsgate.connectors.smpp_settings import SmppSettings, parse_settings, part_scheme
from smsgate.services.connectors import ConnectorDefinition, SettingsParser
from smsgate.services.plans import SchemeOf
from smsgate.services.ports import Clock, MoSink, Upstream

ConnectorFactory = Callable[[ConnectorDefinition, Clock, MoSink], Upstream]


def build_smpp(definition: ConnectorDefinition, clock: Clock, mo_sink: MoSink) -> Upstream:
    settings = SmppSettings.from_json(definition.settings)
    return SmppUpstream(definition.name, settings, clock, mo_sink)


FACTORIES: dict[str, ConnectorFactory] = {"smpp": build_smpp}
PARSERS: dict[str, SettingsParser] = {"smpp": parse_settings}
SCHEMES: dict[str, SchemeOf] = {"smpp": part_scheme}
CALLBACKS: dict[str, CallbackRoutes] = {}
