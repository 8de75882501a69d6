"""Replies and conversations on every store backend: the messages of one account to
one recipient, its MO from one source, merged in time order by ConversationService."""

from __future__ import annotations

import pytest

from smsgate.core.errors import InvalidRequest, NotFound
from smsgate.services.conversations import ConversationService
from smsgate.services.inbound import InboundQuery, InboundService, InboundStore
from smsgate.services.inbound_numbers import NumberService
from smsgate.services.ports import MessageQuery, Store
from smsgate.services.submit import SubmitCommand
from tests.integration.store.scenario import NOW, funded, submission

PEER, OTHER = "+393331234500", "+393331234501"


class Clock:
    def __init__(self, now: float = NOW) -> None:
        self.at = now

    def now(self) -> float:
        return self.at


async def test_messages_and_mo_of_one_number(store: Store) -> None:
    assert isinstance(store, InboundStore)
    alice = await funded(store, "alice", 100)
    bob = await funded(store, "bob", 100)
    clock = Clock()
    numbers = NumberService(store, clock)
    inbound = InboundService(store, clock, numbers=numbers)
    await numbers.add("+393330000001", account=alice)
    await numbers.add("3000", account=bob)
    first = await store.accept(submission(alice, recipients=2, created_at=NOW))
    await store.accept(submission(bob, created_at=NOW + 10))
    later = await store.accept(submission(alice, recipients=2, created_at=NOW + 20))

    async def receive(at: float, source: str, destination: str, text: str) -> int:
        clock.at = at
        return await inbound.receive("op", source, destination, text, "gsm7", 1)

    bare = await receive(NOW + 5, PEER.removeprefix("+"), "393330000001", "hi")
    plus = await receive(NOW + 15, PEER, "+393330000001", "again")
    await receive(NOW + 16, OTHER, "393330000001", "someone else")
    await receive(NOW + 12, PEER, "3000", "to bob")

    to_peer = await store.messages(alice.id, MessageQuery(10, to=PEER))
    assert [m.id for m in to_peer] == [later.messages[0].id, first.messages[0].id]
    older = await store.messages(alice.id, MessageQuery(10, to=PEER, until=NOW + 20))
    assert [m.id for m in older] == [first.messages[0].id]
    from_peer = await store.inbound_messages(InboundQuery(10, account_id=alice.id, source=PEER))
    assert [mo.id for mo in from_peer] == [plus, bare]
    bare_form = InboundQuery(10, account_id=alice.id, source=PEER.removeprefix("+"), until=NOW + 6)
    assert [mo.id for mo in await store.inbound_messages(bare_form)] == [bare]

    conversations = ConversationService(store, inbound)
    whole = await conversations.conversation(alice, "333 123 4500")
    assert whole.msisdn == PEER and whole.next_before is None
    assert [(i.direction, i.id, i.at) for i in whole.items] == [
        ("mt", later.messages[0].id, NOW + 20),
        ("mo", str(plus), NOW + 15),
        ("mo", str(bare), NOW + 5),
        ("mt", first.messages[0].id, NOW),
    ]
    mo = whole.items[1]
    assert (mo.source, mo.destination, mo.text, mo.status) == (PEER, "+393330000001", "again", None)
    mt = whole.items[0]
    assert (mt.source, mt.destination, mt.status) == ("smsgate", PEER, later.messages[0].status)

    page = await conversations.conversation(alice, PEER, limit=2)
    assert [i.at for i in page.items] == [NOW + 20, NOW + 15]
    assert page.next_before == NOW + 15
    rest = await conversations.conversation(alice, PEER, before=page.next_before, limit=2)
    assert [i.at for i in rest.items] == [NOW + 5, NOW]
    assert rest.next_before is None
    bobs = await conversations.conversation(bob, PEER)
    assert [i.direction for i in bobs.items] == ["mo", "mt"]
    assert [i.text for i in bobs.items] == ["to bob", "hello"]


async def test_a_reply_goes_to_the_sender_from_the_number_it_came_in_on(store: Store) -> None:
    assert isinstance(store, InboundStore)
    alice = await funded(store, "alice", 100)
    bob = await funded(store, "bob", 100)
    clock = Clock()
    numbers = NumberService(store, clock)
    inbound = InboundService(store, clock, numbers=numbers)
    await numbers.add("+393330000001", account=alice)
    await numbers.add("3000", account=alice)
    long = await inbound.receive("op", "393331234500", "393330000001", "hi", "gsm7", 1)
    short = await inbound.receive("op", "+393331234500", "+3000", "hi", "gsm7", 1)
    conversations = ConversationService(store, inbound)

    command = await conversations.reply_command(
        alice, long, "hello back", callback_url="https://a.test/cb", reference="r1"
    )
    assert command == SubmitCommand(
        to=("393331234500",),
        sender="+393330000001",
        text="hello back",
        reference="r1",
        callback_url="https://a.test/cb",
    )
    assert (await conversations.reply_command(alice, short, "ok")).sender == "3000"
    with pytest.raises(NotFound):
        await conversations.reply_command(bob, long, "not yours")
    with pytest.raises(NotFound):
        await conversations.reply_command(alice, long + 100, "no such MO")


@pytest.mark.parametrize("msisdn", ["", "not a number", "+1", "1" * 65, "33\x00312"])
async def test_a_bad_msisdn_is_refused_by_name(store: Store, msisdn: str) -> None:
    assert isinstance(store, InboundStore)
    alice = await funded(store, "alice")
    conversations = ConversationService(store, InboundService(store, Clock()))
    with pytest.raises(InvalidRequest) as refused:
        await conversations.conversation(alice, msisdn)
    assert refused.value.field == "msisdn"


async def test_the_limit_is_checked(store: Store) -> None:
    assert isinstance(store, InboundStore)
    alice = await funded(store, "alice")
    conversations = ConversationService(store, InboundService(store, Clock()))
    for limit in (0, 1001):
        with pytest.raises(InvalidRequest) as refused:
            await conversations.conversation(alice, PEER, limit=limit)
        assert refused.value.field == "limit"
