"""Two gateways (nodes) on one database, as `smsgate run` builds them: starting node B
takes back none of live node A's claims; once A leaves, B's housekeeper takes them."""

from __future__ import annotations

from pathlib import Path

from smsgate.core.messages import Status
from smsgate.services.submit import SubmitCommand
from tests.integration.gateway import open_gateway, shared_url

__all__ = ["shared_url"]  # the fixture


async def test_a_starting_node_leaves_a_live_node_s_claims_alone(
    shared_url: str, tmp_path: Path
) -> None:
    async with open_gateway(tmp_path / "a", database_url=shared_url) as a:
        await a.node.register()
        created = await a.accounts.create("alice", credit=10_000_000, default_country="IT")
        await a.accounts.set_price(None, "*", 1000)
        command = SubmitCommand(to=("+393331234567", "+393331234568"), sender="ACME", text="hi")
        accepted = await a.submit.submit(created.account, command)
        claimed = await a.store.claim(a.clock.now() + 1, 10, node=a.node.node_id)
        assert len(claimed) == 2
        async with open_gateway(tmp_path / "b", database_url=shared_url) as b:
            assert b.node.node_id != a.node.node_id
            await b.node.register()
            assert await b.housekeeper.recover() == 0
            await b.housekeeper.run_once()
            for message_id in (m.id for m in accepted.messages):
                found = await b.store.message(message_id)
                assert found is not None and found.status is Status.SENDING
            await a.node.leave()
            await b.housekeeper.run_once()
            for message_id in (m.id for m in accepted.messages):
                found = await b.store.message(message_id)
                assert found is not None and found.status is Status.QUEUED
