"""The planner of services.plans: a connector's scheme, re-planning, and the route snapshot."""

from __future__ import annotations

from dataclasses import replace

from smsgate.core.messages import Message
from smsgate.core.routing import Route
from smsgate.services.connectors import ConnectorDefinition
from smsgate.services.plans import DEFAULT_SCHEME, PartScheme, RoutePlans, plan_for, replan
from smsgate.text import Concat, Encoding
from tests.unit.connectors.messages import outgoing

LATIN1 = PartScheme(Concat.UDH8, latin1=True)
UDH16 = PartScheme(Concat.UDH16)


def test_latin1_preference_takes_gsm_text_to_latin1_or_ucs2() -> None:
    assert (
        plan_for("a" * 160, DEFAULT_SCHEME).encoding,
        plan_for("a" * 160, LATIN1).sms_count,
    ) == (
        Encoding.GSM7,
        2,
    )
    assert plan_for("[" * 140, LATIN1).encoding is Encoding.LATIN1
    assert plan_for("[" * 140, LATIN1).sms_count == 1
    assert plan_for("€ 5", LATIN1).encoding is Encoding.UCS2
    assert plan_for("Привет", LATIN1).encoding is Encoding.UCS2  # never GSM in the first place


def priced(text: str, scheme: PartScheme, price: int = 7) -> Message:
    planned = plan_for(text, scheme, max_parts=255)
    return replace(
        outgoing(text),
        encoding=planned.encoding.value,
        concat=scheme.concat.value,
        parts=planned.sms_count,
        cost=planned.sms_count * price,
    )


def test_replan_keeps_a_message_planned_for_the_same_scheme() -> None:
    for scheme in (DEFAULT_SCHEME, LATIN1, UDH16, PartScheme(Concat.PAYLOAD, True)):
        message = priced("a" * 306, scheme)
        assert replan(message, scheme) is message


def test_replan_moves_the_parts_and_the_cost_at_the_same_price_per_part() -> None:
    message = priced("a" * 306, DEFAULT_SCHEME)
    moved = replan(message, UDH16)
    assert (moved.concat, moved.parts, moved.cost) == ("udh16", 3, 21)
    to_latin1 = replan(message, LATIN1)
    assert (to_latin1.encoding, to_latin1.parts, to_latin1.cost) == ("latin1", 3, 21)
    back = replan(to_latin1, DEFAULT_SCHEME)
    assert (back.encoding, back.parts) == ("latin1", 3)  # never back from Latin-1


def test_a_customer_segment_is_never_replanned() -> None:
    message = outgoing("half", udh=bytes((5, 0, 3, 1, 2, 1)))
    assert replan(message, LATIN1) is message


class Snapshot:
    """Route and connector reads that count themselves, as a store would answer them."""

    def __init__(self, routes: list[Route], definitions: list[ConnectorDefinition]) -> None:
        self.route_list, self.definitions, self.reads = routes, definitions, 0

    async def routes(self) -> list[Route]:
        self.reads += 1
        return self.route_list

    async def connectors(self) -> list[ConnectorDefinition]:
        return self.definitions


class Clock:
    def __init__(self) -> None:
        self.at = 0.0

    def now(self) -> float:
        return self.at


def definition(name: str, concat: str, enabled: bool = True) -> ConnectorDefinition:
    return ConnectorDefinition(name, "smpp", {"concat": concat}, enabled, 0.0, 0.0)


async def test_route_plans_follow_the_first_enabled_route_and_read_once_per_ttl() -> None:
    routes = [
        Route(1, "39", "off", None, 0),
        Route(2, "39", "u16", None, 1),
        Route(3, "393", "simulator", None, 0),
        Route(4, "39", "sar", 7, 5),
    ]
    defs = [definition("off", "payload", enabled=False), definition("u16", "udh16")]
    defs.append(definition("sar", "sar"))
    snapshot, clock = Snapshot(routes, defs), Clock()

    def scheme_of(settings: object) -> PartScheme:
        assert isinstance(settings, dict)
        return PartScheme(Concat(settings["concat"]))

    plans = RoutePlans(snapshot.routes, snapshot.connectors, {"smpp": scheme_of}, clock, ttl=2)
    await plans.fresh()
    assert plans.of_recipient("+3902123", 1) == UDH16  # "off" is disabled
    assert plans.of_recipient("+3933312", 1) == DEFAULT_SCHEME  # the simulator's route
    assert plans.of_recipient("+3902123", 7) == PartScheme(Concat.SAR)  # the account's own
    assert plans.of_recipient("+4412345", 1) == DEFAULT_SCHEME  # no route
    assert plans.of_connector("u16") == UDH16 and plans.of_connector("nope") == DEFAULT_SCHEME
    await plans.fresh()
    clock.at = 1.0
    await plans.fresh()
    assert snapshot.reads == 1
    clock.at = 2.5
    await plans.fresh()
    assert snapshot.reads == 2


def test_a_text_the_scheme_cannot_carry_is_sent_as_stored() -> None:
    message = priced("a" * 153 * 255, DEFAULT_SCHEME)  # 255 parts of UDH8, 256 of UDH16
    assert message.parts == 255
    assert replan(message, UDH16) is message
