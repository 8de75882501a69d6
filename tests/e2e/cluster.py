"""Several gateway nodes on one PostgreSQL database under customers' load: two simulated
operators that count what they acknowledged by text, HTTP and SMPP customers that keep
what each answer said, kill -9 of a whole node, and the store's rows read back."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import smpplib.client
import smpplib.exceptions
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

from smsgate.smpp.pdu import SubmitSm
from smsgate.smpp.server import ServerSession
from smsgate.smpp.smsc_simulator import SmscSimulator
from tests.e2e.gateway import GatewayProcess

PASSWORD = "smpppw1"


class CountingSmsc(SmscSimulator):
    """A simulated operator (account gw:pw) that counts the submit_sm it acknowledged,
    by their text."""

    def __init__(self) -> None:
        # receipts at once: they often come before the gateway recorded the submit
        super().__init__("127.0.0.1", 0, credentials={"gw": "pw"}, receipt_delay=0.0)
        self.acked: Counter[str] = Counter()

    async def on_submit(self, session: ServerSession, pdu: SubmitSm) -> tuple[int, str]:
        status, message_id = await super().on_submit(session, pdu)
        if status == 0:
            self.acked[pdu.short_message.decode("latin-1")] += 1
        return status, message_id


class Operators:
    """Simulated operators by connector name, on one event loop in a thread of its own."""

    def __init__(self, names: list[str]) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.smsc = {name: CountingSmsc() for name in names}

    def run(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(60)

    @contextlib.contextmanager
    def running(self) -> Iterator[Operators]:
        self.thread.start()
        for smsc in self.smsc.values():
            self.run(smsc.start())
        try:
            yield self
        finally:
            for smsc in self.smsc.values():
                self.run(smsc.stop())
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)
            self.loop.close()

    def open_binds(self) -> dict[str, int]:
        """The binds each operator has open now, counted on its own loop."""

        async def count() -> dict[str, int]:
            return {
                name: sum(1 for s in smsc.bound.get("gw", ()) if not s.closed)
                for name, smsc in self.smsc.items()
            }

        found: dict[str, int] = self.run(count())
        return found

    def acked(self) -> Counter[str]:
        """How many times the operators acknowledged each text, all together."""

        async def copy() -> Counter[str]:
            total: Counter[str] = Counter()
            for smsc in self.smsc.values():
                total.update(smsc.acked)
            return total

        counted: Counter[str] = self.run(copy())
        return counted


class Observer:
    """Reads the store while the nodes run: one connection, kept, on an event loop in a
    thread of its own; a connection the server refuses for now is tried again."""

    def __init__(self, url: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.engine = create_async_engine(
            url.replace("postgresql://", "postgresql+asyncpg://", 1),
            pool_size=1,
            max_overflow=0,
            pool_pre_ping=True,
        )

    @contextlib.contextmanager
    def running(self) -> Iterator[Observer]:
        self.thread.start()
        try:
            yield self
        finally:
            asyncio.run_coroutine_threadsafe(self.engine.dispose(), self.loop).result(30)
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)
            self.loop.close()

    def query(self, statement: str, **params: Any) -> list[tuple[Any, ...]]:
        """The rows of one SQL statement."""

        async def read() -> list[tuple[Any, ...]]:
            for _ in range(60):
                try:
                    async with self.engine.connect() as conn:
                        rows = await conn.execute(text(statement), params)
                        return [tuple(row) for row in rows]
                except DBAPIError as exc:
                    if "too many clients" not in str(exc):
                        raise
                    await asyncio.sleep(1)
            raise AssertionError("the database refused every connection for 60 s")

        found: list[tuple[Any, ...]] = asyncio.run_coroutine_threadsafe(read(), self.loop).result(
            120
        )
        return found


def slot_holders(db: Observer) -> dict[str, list[str | None]]:
    """Who holds each bind slot of each connector under a lease that has not run out."""
    rows = db.query(
        "SELECT connector, CASE WHEN lease_until >= extract(epoch FROM clock_timestamp())"
        " THEN node_id END FROM connector_slots ORDER BY connector, slot",
    )
    holders: dict[str, list[str | None]] = {}
    for connector, node in rows:
        holders.setdefault(str(connector), []).append(node)
    return holders


def kill_node(gateway: GatewayProcess) -> None:
    """kill -9 of the node's every process at once: its HTTP workers and its core."""
    assert gateway.proc is not None
    core = gateway.proc.pid
    with open(f"/proc/{core}/task/{core}/children") as children:
        workers = [int(pid) for pid in children.read().split()]
    for pid in workers:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    gateway.kill()


@dataclass
class Outcomes:
    """What the customers were told, by the unique text of each message."""

    accepted: dict[str, str] = field(default_factory=dict)  # text: message id
    refused: set[str] = field(default_factory=set)
    unknown: set[str] = field(default_factory=set)  # no answer: the connection went
    receipts: Counter[str] = field(default_factory=Counter)  # SMPP receipts by message id
    lock: threading.Lock = field(default_factory=threading.Lock)

    def accept(self, body: str, message_id: str) -> None:
        with self.lock:
            self.accepted[body] = message_id

    def refuse(self, body: str) -> None:
        with self.lock:
            self.refused.add(body)

    def lose(self, bodies: Iterator[str] | list[str]) -> None:
        with self.lock:
            self.unknown.update(bodies)

    def answered(self) -> int:
        with self.lock:
            return len(self.accepted) + len(self.refused)


def message(customer: str, i: int) -> tuple[str, str]:
    """The unique text and the recipient of a customer's i-th message: a third to the UK,
    a tenth undelivered (…0001), a tenth refused by the operator (…0002), one in 17 an
    invalid recipient that the gateway refuses."""
    body = f"{customer} {i:06d}"
    if i % 17 == 5:
        return body, "+39abc"
    tail = {1: "0001", 2: "0002"}.get(i % 10, f"{4000 + i % 997:04d}")
    if i % 3 == 0:
        return body, f"+44751{i % 1000:03d}{tail}"
    return body, f"+39333{i % 1000:03d}{tail}"


@dataclass
class Load:
    """Customers sending through the nodes: each starts on one node and moves on to the
    next when its node stops answering."""

    nodes: list[GatewayProcess]
    count: int  # messages per customer
    api_key: str
    callback_url: str
    smpp_account: str
    outcomes: Outcomes = field(default_factory=Outcomes)
    stop_sending: threading.Event = field(default_factory=threading.Event)
    stop_reading: threading.Event = field(default_factory=threading.Event)
    pace: float = 0.01  # seconds between a customer's messages
    threads: list[threading.Thread] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)
    sending: set[str] = field(default_factory=set)  # the customers not done sending
    lost: list[tuple[int, int, str]] = field(default_factory=list)  # SMPP connections lost

    def start(self) -> None:
        for index in range(len(self.nodes)):
            self.sending |= {f"h{index}", f"s{index}"}
            for run in (self._http, self._smpp):
                thread = threading.Thread(target=self._guarded, args=(run, index), daemon=True)
                self.threads.append(thread)
                thread.start()

    def join(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        for thread in self.threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        assert not any(t.is_alive() for t in self.threads), "a customer did not finish"
        assert not self.errors, self.errors

    def done_sending(self, customer: str) -> None:
        with self.outcomes.lock:
            self.sending.discard(customer)

    def wait_sent(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self.sending and not self.errors:
            assert time.monotonic() < deadline, f"still sending: {self.sending} {self.lost[-20:]}"
            time.sleep(0.1)
        assert not self.errors, self.errors

    def _guarded(self, run: Any, index: int) -> None:
        try:
            run(index)
        except BaseException as exc:
            self.errors.append(exc)
            raise

    def _http(self, index: int) -> None:
        at = index
        client = httpx.Client(headers={"Authorization": f"Bearer {self.api_key}"}, timeout=10)
        try:
            for i in range(self.count):
                if self.stop_sending.is_set():
                    return
                body, to = message(f"h{index}", i)
                node = self.nodes[at % len(self.nodes)]
                payload = {
                    "to": to,
                    "from": "ACME",
                    "text": body,
                    "callback_url": self.callback_url,
                }
                try:
                    response = client.post(f"{node.base}/api/v1/messages", json=payload)
                except httpx.HTTPError:
                    self.outcomes.lose([body])
                    at += 1
                    continue
                if response.status_code == 202:
                    self.outcomes.accept(body, response.json()["messages"][0]["id"])
                else:
                    self.outcomes.refuse(body)
                time.sleep(self.pace)
        finally:
            client.close()
            self.done_sending(f"h{index}")

    def _smpp(self, index: int) -> None:
        at = index
        progress = [0]  # the next message to send, kept over reconnections
        while not self.stop_reading.is_set():
            node = self.nodes[at % len(self.nodes)]
            try:
                self._smpp_session(node.smpp_port, index, progress)
                return
            except (OSError, smpplib.exceptions.ConnectionError, smpplib.exceptions.PDUError) as e:
                self.lost.append((index, progress[0], repr(e)))
                at += 1
                time.sleep(0.2)

    def _smpp_session(self, port: int, index: int, progress: list[int]) -> None:
        """Bind, send from message `progress[0]` on (one at a time, each answered before
        the next), then read receipts until told to stop. A lost connection raises; the
        message without an answer then counts as unknown."""
        outcomes = self.outcomes
        waiting: dict[int, str] = {}

        def sent(pdu: Any) -> None:
            body = waiting.pop(pdu.sequence, None)
            if body is None:
                return
            if pdu.status == 0:
                outcomes.accept(body, pdu.message_id.decode())
            else:
                outcomes.refuse(body)

        def received(pdu: Any) -> None:
            with outcomes.lock:
                outcomes.receipts[pdu.receipted_message_id.decode()] += 1

        client = smpplib.client.Client("127.0.0.1", port, timeout=10, allow_unknown_opt_params=True)
        client.set_message_sent_handler(sent)
        client.set_message_received_handler(received)
        client.set_error_pdu_handler(lambda pdu: None)
        try:
            client.connect()
            client.bind_transceiver(system_id=self.smpp_account, password=PASSWORD)
            client._socket.settimeout(0.5)  # bound: wait no longer for what may come
            while progress[0] < self.count and not self.stop_sending.is_set():
                body, to = message(f"s{index}", progress[0])
                progress[0] += 1
                waiting[-1] = body  # until its sequence number is known
                pdu = client.send_message(
                    source_addr="ACME", source_addr_ton=5, dest_addr_ton=1,
                    destination_addr=to.removeprefix("+"), short_message=body.encode(),
                    registered_delivery=1,
                )  # fmt: skip
                waiting[pdu.sequence] = waiting.pop(-1)
                while waiting:
                    client.read_once()
                time.sleep(self.pace)
            self.done_sending(f"s{index}")
            while not self.stop_reading.is_set():
                client.read_once()
            client.unbind()
        except BaseException:
            outcomes.lose(list(waiting.values()))
            raise
        finally:
            with contextlib.suppress(Exception):
                client.disconnect()


def start_all(gateways: list[GatewayProcess]) -> None:
    """Start the gateways side by side; raise what any start raised."""
    failures: list[BaseException] = []

    def start(gateway: GatewayProcess) -> None:
        try:
            gateway.start(timeout=120)
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=start, args=(g,)) for g in gateways]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
