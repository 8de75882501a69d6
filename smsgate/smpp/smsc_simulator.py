"""A fake SMSC for tests, demos and benchmarks: a real SMPP server playing an operator.

Run it with `python -m smsgate.smpp.smsc_simulator --port 2776`.
"""

import argparse
import asyncio
import itertools
import logging
import random
import signal
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from smsgate.smpp import tlv
from smsgate.smpp.constants import (
    CommandStatus,
    MessageState,
    RegisteredDelivery,
)
from smsgate.smpp.destinations import SmeAddress, UnsuccessSme
from smsgate.smpp.errors import SmppError
from smsgate.smpp.pdu import (
    BindPdu,
    CancelSm,
    DataSm,
    DeliverSm,
    Pdu,
    QuerySm,
    QuerySmResp,
    SubmitMulti,
    SubmitMultiResp,
    SubmitSm,
)
from smsgate.smpp.receipt import Receipt, receipt_pdu, stat_to_state
from smsgate.smpp.server import BaseServerHandler, ServerSession, SmppServer
from smsgate.smpp.tlv import NetworkErrorCode

log = logging.getLogger(__name__)
IdFormat = Literal["hex", "dec"]
_FINAL_FAILURES = {"UNDELIV": 1, "REJECTD": 2, "EXPIRED": 0, "DELETED": 0, "UNKNOWN": 0}
_KEEP_MESSAGES = 100_000


@dataclass
class SimulatorCounters:
    binds: int = 0
    most_binds: int = 0  # the most binds of one system_id open at one moment
    submits_received: int = 0
    submits_delayed: int = 0  # submits answered late or never (counted as they arrive)
    acked: int = 0
    rejected: int = 0
    receipts_sent: int = 0
    receipts_acked: int = 0
    mo_sent: int = 0


@dataclass(slots=True)
class _Submitted:
    message_id: str
    system_id: str
    source: tuple[int, int, str]
    destination: tuple[int, int, str]
    submitted_at: float
    state: MessageState = MessageState.ENROUTE
    final_at: float | None = None


class SmscSimulator(BaseServerHandler):
    """The simulated operator. `await start()`, read `port`, `await stop()`.

    It acknowledges submits with ids (hex or decimal), sends receipts (text and TLVs)
    after a delay with a configurable outcome mix, follows destination rules (…0001
    undelivered, …0002 refused with ESME_RSUBMITFAIL, …0003 no receipt), throttles,
    answers late or never, fails or drops on command, injects MO messages, and has a
    "sink" mode that only acknowledges.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 2776,
        *,
        credentials: Mapping[str, str] | None = None,
        system_id: str = "smscsim",
        id_format: IdFormat = "hex",
        receipt_id_format: IdFormat | None = None,
        receipt_delay: float = 0.1,
        outcomes: Mapping[str, float] | None = None,
        rules: bool = True,
        throttle_per_second: int | None = None,
        sink: bool = False,
        seed: int | None = None,
        window: int = 100,
        submit_delay: float | None = 0.0,
    ) -> None:
        """`submit_delay`: seconds before each submit_sm is answered; None never answers
        one (a hung operator: it binds and answers enquire_link, submits stay open)."""
        self.credentials = dict(credentials) if credentials is not None else None
        self.id_format = id_format
        self.receipt_id_format = receipt_id_format or id_format
        self.receipt_delay = receipt_delay
        self.outcomes = dict(outcomes or {"DELIVRD": 1.0})
        self.rules = rules
        self.throttle_per_second = throttle_per_second
        self.sink = sink
        self.forced_status: int | None = None
        self.submit_delay = submit_delay
        self._unanswered: set[asyncio.Future[None]] = set()
        self.counters = SimulatorCounters()
        # The sessions bound now, by system_id (the operator's count of concurrent binds).
        self.bound: dict[str, set[ServerSession]] = {}
        self.messages: dict[str, _Submitted] = {}
        self._random = random.Random(seed)
        self._ids = itertools.count(0x10000)
        self._throttle_window = (0.0, 0)
        self._tasks: set[asyncio.Task[None]] = set()
        self._timers: dict[int, asyncio.TimerHandle] = {}
        self.server = SmppServer(self, host, port, system_id=system_id, window=window)

    @property
    def port(self) -> int:
        return self.server.port

    async def start(self) -> None:
        await self.server.start()

    async def stop(self) -> None:
        for unanswered in self._unanswered:
            unanswered.cancel()
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.server.stop()

    # --- operator controls ---------------------------------------------------------------

    def fail_submits(self, command_status: int | None) -> None:
        """Answer every submit with `command_status` (e.g. ESME_RMSGQFUL) until None."""
        self.forced_status = command_status

    def drop_connections(self) -> None:
        """Cut every TCP connection without unbinding, as a crashing SMSC would."""
        for session in list(self.server.sessions):
            session.abort()

    async def inject_mo(
        self,
        source_addr: str,
        destination_addr: str,
        short_message: bytes,
        *,
        data_coding: int = 0,
        esm_class: int = 0,
        system_id: str | None = None,
        tlvs: Mapping[int, tlv.TlvValue] | None = None,
    ) -> Pdu:
        """Deliver a mobile-originated message to a receiving bind; return its response.
        `esm_class` 0x40 says `short_message` starts with a user data header."""
        pdu = DeliverSm(
            source_addr_ton=1,
            source_addr_npi=1,
            source_addr=source_addr,
            destination_addr=destination_addr,
            esm_class=esm_class,
            data_coding=data_coding,
            short_message=short_message,
            tlvs=dict(tlvs or {}),
        )
        session = self._receiver(system_id)
        if session is None:
            raise SmppError(f"no receiving bind for {system_id or 'any system_id'}")
        response = await session.deliver(pdu)
        self.counters.mo_sent += 1
        return response

    # --- handler -------------------------------------------------------------------------

    async def on_bind(self, session: ServerSession, pdu: BindPdu) -> int:
        if self.credentials is not None:
            expected = self.credentials.get(pdu.system_id)
            if expected is None:
                return CommandStatus.ESME_RINVSYSID
            if expected != pdu.password:
                return CommandStatus.ESME_RINVPASWD
        self.counters.binds += 1
        # A connection gone without an unbind leaves at once, not when its handlers end.
        bound = {s for s in self.bound.get(pdu.system_id, ()) if not s.closed}
        bound.add(session)
        self.bound[pdu.system_id] = bound
        self.counters.most_binds = max(self.counters.most_binds, len(bound))
        return CommandStatus.ESME_ROK

    async def on_unbind(self, session: ServerSession) -> None:
        self.bound.get(session.system_id, set()).discard(session)

    async def on_close(self, session: ServerSession) -> None:
        self.bound.get(session.system_id, set()).discard(session)

    async def on_submit(self, session: ServerSession, pdu: SubmitSm) -> tuple[int, str]:
        await self._answer_delay()
        destination = (pdu.dest_addr_ton, pdu.dest_addr_npi, pdu.destination_addr)
        return self._accept(session, pdu, destination)

    async def on_data_sm(self, session: ServerSession, pdu: DataSm) -> tuple[int, str]:
        await self._answer_delay()
        destination = (pdu.dest_addr_ton, pdu.dest_addr_npi, pdu.destination_addr)
        return self._accept(session, pdu, destination)

    async def on_submit_multi(self, session: ServerSession, pdu: SubmitMulti) -> SubmitMultiResp:
        addresses = [d for d in pdu.dest_addresses if isinstance(d, SmeAddress)]
        failed = [
            UnsuccessSme(
                d.destination_addr, CommandStatus.ESME_RSUBMITFAIL, d.dest_addr_ton, d.dest_addr_npi
            )
            for d in addresses
            if self.rules and d.destination_addr.endswith("0002")
        ]
        if len(failed) == len(addresses):
            return SubmitMultiResp(command_status=CommandStatus.ESME_RSUBMITFAIL)
        first = addresses[0]
        destination = (first.dest_addr_ton, first.dest_addr_npi, first.destination_addr)
        status, message_id = self._accept(session, pdu, destination)
        return SubmitMultiResp(command_status=status, message_id=message_id, unsuccess_smes=failed)

    async def on_query(self, session: ServerSession, pdu: QuerySm) -> QuerySmResp:
        message = self.messages.get(pdu.message_id)
        if message is None:
            return QuerySmResp(command_status=CommandStatus.ESME_RINVMSGID)
        final = time.strftime("%y%m%d%H%M%S", time.localtime(message.final_at or 0))
        return QuerySmResp(
            message_id=pdu.message_id,
            final_date=f"{final}000+" if message.final_at else "",
            message_state=message.state,
        )

    async def on_cancel(self, session: ServerSession, pdu: CancelSm) -> int:
        message = self.messages.get(pdu.message_id)
        if message is None or message.state is not MessageState.ENROUTE:
            return CommandStatus.ESME_RCANCELFAIL
        message.state, message.final_at = MessageState.DELETED, time.time()
        return CommandStatus.ESME_ROK

    # --- submissions and receipts --------------------------------------------------------

    async def _answer_delay(self) -> None:
        if self.submit_delay != 0:
            self.counters.submits_delayed += 1
        if self.submit_delay is None:  # never answered: the handler ends only with stop()
            unanswered = asyncio.get_running_loop().create_future()
            self._unanswered.add(unanswered)
            unanswered.add_done_callback(self._unanswered.discard)
            await unanswered
        elif self.submit_delay > 0:
            await asyncio.sleep(self.submit_delay)

    def _accept(
        self,
        session: ServerSession,
        pdu: SubmitSm | DataSm | SubmitMulti,
        destination: tuple[int, int, str],
    ) -> tuple[int, str]:
        counters = self.counters
        dest = destination[2]
        counters.submits_received += 1
        status = self._refusal(dest)
        if status:
            counters.rejected += 1
            return status, ""
        number = next(self._ids)
        message_id = _format_id(number, self.id_format)
        counters.acked += 1
        if self.sink:
            return CommandStatus.ESME_ROK, message_id
        message = _Submitted(
            message_id,
            session.system_id,
            (pdu.source_addr_ton, pdu.source_addr_npi, pdu.source_addr),
            destination,
            time.time(),
        )
        if len(self.messages) >= _KEEP_MESSAGES:
            del self.messages[next(iter(self.messages))]
        self.messages[message_id] = message
        stat = self._outcome(dest)
        wanted = pdu.registered_delivery & 0x03
        if stat is None or not wanted:
            return CommandStatus.ESME_ROK, message_id
        if wanted == RegisteredDelivery.SMSC_RECEIPT_ON_FAILURE and stat == "DELIVRD":
            return CommandStatus.ESME_ROK, message_id
        loop = asyncio.get_running_loop()
        self._timers[number] = loop.call_later(
            self.receipt_delay, self._spawn_receipt, message, stat, number
        )
        return CommandStatus.ESME_ROK, message_id

    def _refusal(self, dest: str) -> int:
        if self.forced_status is not None:
            return self.forced_status
        if self.throttle_per_second is not None:
            second = int(asyncio.get_running_loop().time())
            start, count = self._throttle_window
            count = count + 1 if start == second else 1
            self._throttle_window = (second, count)
            if count > self.throttle_per_second:
                return CommandStatus.ESME_RTHROTTLED
        if self.rules and dest.endswith("0002"):
            return CommandStatus.ESME_RSUBMITFAIL
        return CommandStatus.ESME_ROK

    def _outcome(self, dest: str) -> str | None:
        """The receipt's stat word, or None when this destination never gets a receipt."""
        if self.rules and dest.endswith("0001"):
            return "UNDELIV"
        if self.rules and dest.endswith("0003"):
            return None
        words = list(self.outcomes)
        chosen: str = self._random.choices(words, [self.outcomes[w] for w in words])[0]
        return chosen

    def _spawn_receipt(self, message: _Submitted, stat: str, number: int) -> None:
        self._timers.pop(number, None)
        task = asyncio.get_running_loop().create_task(self._send_receipt(message, stat, number))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send_receipt(self, message: _Submitted, stat: str, number: int) -> None:
        state = stat_to_state(stat)
        message.state, message.final_at = state, time.time()
        failure = _FINAL_FAILURES.get(stat, 0)
        receipt = Receipt(
            message_id=_format_id(number, self.receipt_id_format),
            state=state,
            stat=stat,
            submitted=1,
            delivered=1 if state is MessageState.DELIVERED else 0,
            submit_date=time.strftime("%y%m%d%H%M", time.localtime(message.submitted_at)),
            done_date=time.strftime("%y%m%d%H%M", time.localtime(message.final_at)),
            error=f"{failure:03d}",
            network_error=None if state is MessageState.DELIVERED else NetworkErrorCode(3, failure),
        )
        pdu = receipt_pdu(
            receipt,
            source=message.destination,
            destination=message.source,
            receipted_message_id=message.message_id,
        )
        for _attempt in range(60):
            session = self._receiver(message.system_id)
            if session is not None:
                try:
                    response = await session.deliver(pdu)
                except SmppError:
                    await asyncio.sleep(1.0)
                    continue
                self.counters.receipts_sent += 1
                if response.command_status == 0:
                    self.counters.receipts_acked += 1
                    return
            await asyncio.sleep(1.0)
        log.warning("receipt for %s not delivered: no receiving bind", message.message_id)

    def _receiver(self, system_id: str | None) -> ServerSession | None:
        candidates = [
            s
            for s in self.server.sessions
            if s.can_receive and (system_id is None or s.system_id == system_id)
        ]
        return self._random.choice(candidates) if candidates else None


def _format_id(number: int, fmt: IdFormat) -> str:
    return f"{number:X}" if fmt == "hex" else str(number)


def _parse_outcomes(text: str) -> dict[str, float]:
    outcomes: dict[str, float] = {}
    for item in text.split(","):
        word, _, weight = item.partition("=")
        outcomes[word.strip().upper()] = float(weight or 1)
    return outcomes


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="smsgate simulator", description=(__doc__ or "").split("\n")[0]
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=2776)
    parser.add_argument("--delay-ms", type=int, default=100, help="receipt delay")
    parser.add_argument("--sink", action="store_true", help="only acknowledge, no receipts")
    parser.add_argument("--submit-delay-ms", type=int, default=0, help="answer submits late")
    parser.add_argument("--hang", action="store_true", help="never answer submit_sm")
    parser.add_argument("--id-format", choices=["hex", "dec"], default="hex")
    parser.add_argument("--receipt-id-format", choices=["hex", "dec"], default=None)
    parser.add_argument("--outcomes", default="DELIVRD=1", help="e.g. DELIVRD=0.9,UNDELIV=0.1")
    parser.add_argument("--throttle", type=int, default=None, help="submits/s before THROTTLED")
    parser.add_argument("--account", action="append", default=[], help="system_id:password")
    parser.add_argument("--system-id", default="smscsim")
    parser.add_argument("--no-rules", action="store_true", help="ignore destination rules")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--log-level", default="INFO")
    return parser.parse_args(argv)


async def _serve(args: argparse.Namespace) -> None:
    accounts = dict(a.split(":", 1) for a in args.account) if args.account else None
    simulator = SmscSimulator(
        args.host,
        args.port,
        credentials=accounts,
        system_id=args.system_id,
        id_format=args.id_format,
        receipt_id_format=args.receipt_id_format,
        receipt_delay=args.delay_ms / 1000,
        outcomes=_parse_outcomes(args.outcomes),
        rules=not args.no_rules,
        throttle_per_second=args.throttle,
        sink=args.sink,
        seed=args.seed,
        submit_delay=None if args.hang else args.submit_delay_ms / 1000,
    )
    await simulator.start()
    print(f"SMSC simulator listening on {args.host}:{simulator.port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    await simulator.stop()
    print(f"stopped: {simulator.counters}", flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(levelname)s %(message)s")
    asyncio.run(_serve(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
