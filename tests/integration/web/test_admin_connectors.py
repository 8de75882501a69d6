"""The console's connectors page through the real app: an admin adds an SMPP connector
to a simulated SMSC on 127.0.0.1 and sees its bind, throughput and held messages in the
state the page reloads; bad input changes nothing and is not audited."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from smsgate.app import Gateway
from smsgate.core.accounts import Account
from smsgate.core.messages import Status
from smsgate.services.submit import SubmitCommand
from smsgate.smpp.smsc_simulator import SmscSimulator
from tests.integration.web.conftest import Visitor
from tests.integration.web.console import audited, operator

__all__ = ["operator"]
pytestmark = pytest.mark.timeout(60)


@pytest.fixture
async def smsc() -> AsyncIterator[SmscSimulator]:
    simulator = SmscSimulator("127.0.0.1", 0, credentials={"gw": "pw"}, receipt_delay=0.05)
    await simulator.start()
    yield simulator
    await simulator.stop()


def smpp_form(name: str, port: int, **changes: Any) -> dict[str, Any]:
    form = {
        "name": name,
        "type": "smpp",
        "host": "127.0.0.1",
        "port": str(port),
        "system_id": "gw",
        "password": "pw",
        "bind": "trx",
        "binds": "2",
        "window": "5",
        "default_alphabet": "gsm7",
        "concat": "udh8",
        "id_format": "hex",
    }
    return {**form, **changes}


async def until(check: Any) -> None:
    async with asyncio.timeout(20):
        while not await check():
            await asyncio.sleep(0.05)


async def test_an_admin_adds_a_connector_and_sees_it_bind_and_send(
    gateway: Gateway, operator: Visitor, smsc: SmscSimulator, alice: Account
) -> None:
    added = await operator.post("/admin/connectors", smpp_form("op1", smsc.port))
    assert added.status_code == 303 and added.headers["location"] == "/admin/connectors"
    (definition,) = await gateway.connectors.list()
    assert (definition.name, definition.settings["binds"], definition.settings["window"]) == (
        "op1",
        2,
        5,
    )
    assert await audited(gateway) == [("connector.add", "op1", f"smpp 127.0.0.1:{smsc.port}")]
    route = {"prefix": "*", "connector": "op1", "account": "", "priority": "0"}
    assert (await operator.post("/admin/routes", route)).status_code == 303

    page = await operator.get("/admin/connectors")
    assert 'hx-get="/admin/connectors/state"' in page.text and 'hx-trigger="every 2s"' in page.text
    assert "not running" in page.text  # the connectors' process has not started yet

    await gateway.start(smpp=False)
    await gateway.supervisor.sync()
    upstream = gateway.supervisor.upstreams["op1"]

    async def bound() -> bool:
        await gateway.supervisor.sync()  # what the core does every 2 s: it publishes
        state = (await gateway.connector_states.current()).get("op1")
        return state is not None and state.binds_up == 2

    await until(bound)
    state = await operator.get("/admin/connectors/state")
    assert state.status_code == 200
    assert "2/2 up" in state.text and "0/10" in state.text  # window: 5 per bind

    command = SubmitCommand(to=("+393331234567",), sender="Shop", text="hello")
    sent = await gateway.submit.submit(alice, command)
    message_id = sent.messages[0].id

    async def delivered() -> bool:
        message = await gateway.messages.get(alice, message_id)
        return message.status in (Status.SENT, Status.DELIVERED)

    await until(delivered)
    await gateway.supervisor.sync()
    live = (await gateway.connector_states.current())["op1"]
    assert live.rate > 0 and upstream.ready()
    assert smsc.counters.acked == 1


async def test_enable_disable_and_remove_are_audited(gateway: Gateway, operator: Visitor) -> None:
    assert (await operator.post("/admin/connectors", smpp_form("op1", 2775))).status_code == 303
    assert (await operator.post("/admin/connectors/op1/disable", {})).status_code == 303
    assert not (await gateway.connectors.get("op1")).enabled
    page = await operator.get("/admin/connectors")
    assert "disabled" in page.text and 'action="/admin/connectors/op1/enable"' in page.text
    assert (await operator.post("/admin/connectors/op1/enable", {})).status_code == 303
    assert (await gateway.connectors.get("op1")).enabled
    assert (await operator.post("/admin/connectors/op1/remove", {})).status_code == 303
    assert await gateway.connectors.list() == []
    assert [a for a, _, _ in await audited(gateway)] == [
        "connector.add",
        "connector.disable",
        "connector.enable",
        "connector.remove",
    ]


@pytest.mark.parametrize(
    ("changes", "status", "error"),
    [
        ({"host": ""}, 400, "SMPP setting &#39;host&#39; is required"),
        ({"port": "abc"}, 400, "port must be a whole number, not &#39;abc&#39;"),
        ({"port": "0"}, 400, "SMPP setting &#39;port&#39; must be at least 1"),
        ({"throughput": "fast"}, 400, "throughput must be a number"),
        ({"bind": "rx"}, 400, "bind must be one of trx|tx+rx"),
        ({"type": "carrier-pigeon"}, 400, "unknown connector type"),
        ({"name": "bad name!"}, 400, "a connector name is 1-64 letters"),
        ({"name": "simulator"}, 409, "is a built-in connector"),
        ({"name": "op1"}, 409, "a connector named &#39;op1&#39; exists"),
    ],
)
async def test_bad_input_is_shown_and_changes_nothing(
    gateway: Gateway, operator: Visitor, changes: dict[str, str], status: int, error: str
) -> None:
    await gateway.connectors.add(
        "op1", "smpp", {"host": "h", "port": 1, "system_id": "a", "password": "b"}
    )
    before = await gateway.connectors.list()
    form = {**smpp_form("op2", 2775), **changes}
    refused = await operator.post("/admin/connectors", form)
    assert refused.status_code == status
    assert error in refused.text and 'role="alert"' in refused.text
    # what was typed stays, the password does not
    assert f'value="{form["name"]}"' in refused.text
    assert 'value="pw"' not in refused.text
    assert await gateway.connectors.list() == before
    assert await audited(gateway) == []


async def test_unknown_connectors_and_forged_forms_change_nothing(
    gateway: Gateway, operator: Visitor
) -> None:
    for action in ("enable", "disable", "remove"):
        assert (await operator.post(f"/admin/connectors/ghost/{action}", {})).status_code == 404
    forged = await operator.post("/admin/connectors", smpp_form("op1", 2775), csrf=False)
    assert forged.status_code == 403
    assert await gateway.connectors.list() == []
    assert await audited(gateway) == []


async def test_the_console_needs_an_admin(gateway: Gateway, visitor: Visitor) -> None:
    for path in ("/admin/connectors", "/admin/connectors/state"):
        assert (await visitor.get(path)).headers["location"] == "/admin/login"
    fragment = await visitor.http.get("/admin/connectors/state", headers={"HX-Request": "true"})
    assert fragment.headers["hx-redirect"] == "/admin/login"


async def test_a_refused_bind_shows_as_a_recent_error_and_leaves_with_the_node(
    gateway: Gateway, operator: Visitor, smsc: SmscSimulator
) -> None:
    form = smpp_form("op1", smsc.port, password="wrong", binds="1")
    assert (await operator.post("/admin/connectors", form)).status_code == 303
    await gateway.start(smpp=False)
    await gateway.supervisor.sync()

    async def refused() -> bool:
        await gateway.supervisor.sync()
        state = (await gateway.connector_states.current()).get("op1")
        return state is not None and bool(state.errors)

    await until(refused)
    page = await operator.get("/admin/connectors/state")
    assert "0/1 down" in page.text and "bind refused" in page.text
    assert 'id="state-time"' in page.text

    # the node's rows go when it stops: the connector is then shown as not running
    await gateway.supervisor.close()
    await gateway.connector_states.leave()
    assert await gateway.connector_states.current() == {}
    assert "not running" in (await operator.get("/admin/connectors/state")).text
