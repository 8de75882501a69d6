"""The three-node run: three gateway nodes on a private PostgreSQL database, two
operators, HTTP and SMPP customers, one node killed (-9) mid-load and started again; what
the run saw, for tests/e2e/test_three_nodes.py and bench/three_nodes.py to judge."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from smsgate.app import Gateway
from smsgate.config import load as load_settings
from tests.e2e.cluster import (
    PASSWORD,
    Load,
    Observer,
    Operators,
    Outcomes,
    kill_node,
    slot_holders,
    start_all,
)
from tests.e2e.gateway import GatewayProcess, postgres_database
from tests.e2e.test_webhooks import Receiver

PRICE = 10_000  # micro-units per part
CREDIT = 1_000_000_000  # 1,000.00 each customer account starts with
BINDS = {"opa": 2, "opb": 3}  # each operator's total of binds over every node
NODES = ["node-a", "node-b", "node-c"]
FINAL = ("delivered", "undelivered", "expired", "rejected", "failed", "cancelled")


class Stored(NamedTuple):
    """A message row as the store has it at the end."""

    id: str
    batch: str
    text: str
    status: str
    cost: int
    account: str


@dataclass
class Report:
    """What one run saw: the customers' answers, the store's rows afterwards, what the
    operators and the webhook receiver counted, and what the killed node held."""

    outcomes: Outcomes
    victim: str
    bind_move_s: float
    most_binds: dict[str, int]
    messages: list[Stored]
    acked: Counter[str]  # operators' acknowledged submit_sm by text
    webhooks: Counter[str]  # 2xx webhook POSTs by message id
    outbox_rows: Counter[str]  # webhook rows by message id
    held: dict[str, set[str]]  # message ids the killed node held: sending, webhook, receipt
    accounts: dict[str, tuple[int, int]]  # name: (id, balance)
    ledger: list[tuple[int, int, str, int, int, str]]  # id, account, kind, amount, after, ref
    phases: dict[str, float]  # seconds each phase of the run took
    attempts: dict[str, list[tuple[int | None, str | None]]]  # webhook attempts by message

    def twice(self) -> dict[str, set[str]]:
        """The message ids that went out more than once: to an operator, to a webhook,
        to an SMPP customer."""
        ids = {m.text: m.id for m in self.messages}
        return {
            "sending": {ids[text] for text in duplicates(self.acked)},
            "webhook": duplicates(self.webhooks),
            "receipt": duplicates(self.outcomes.receipts),
        }

    def figures(self) -> dict[str, str]:
        """What the run counted, by name, as printed."""
        twice = self.twice()
        final = sum(1 for m in self.messages if m.status in FINAL)
        return {
            "accepted": str(len(self.outcomes.accepted)),
            "refused": str(len(self.outcomes.refused)),
            "no answer": str(len(self.outcomes.unknown)),
            "stored": str(len(self.messages)),
            "final": str(final),
            **{
                f"{kind} twice (killed node held)": f"{len(twice[kind])} ({len(self.held[kind])})"
                for kind in ("sending", "webhook", "receipt")
            },
            "twice, not held": str(sum(len(twice[k] - self.held[k]) for k in twice)),
            "most binds": "/".join(str(self.most_binds[name]) for name in BINDS),
            "binds moved s": f"{self.bind_move_s:.2f}",
        }


def duplicates(counts: Counter[str]) -> set[str]:
    return {key for key, seen in counts.items() if seen > 1}


def configure(gateway: GatewayProcess, operators: Operators) -> str:
    """Prices, the two customer accounts, the operators and their routes (+39 to opa,
    falling over to opb; +44 the other way), in this process on the gateway's settings;
    returns the HTTP customer's API key."""

    async def work() -> str:
        gw = await Gateway.open(load_settings(gateway.env))
        try:
            await gw.accounts.set_price(None, "*", PRICE)
            created = await gw.accounts.create("webco", credit=CREDIT)
            await gw.accounts.create("smppco", credit=CREDIT, password=PASSWORD)
            for name, binds in BINDS.items():
                port = operators.smsc[name].port
                await gw.connectors.add(
                    name,
                    "smpp",
                    {"host": "127.0.0.1", "port": port, "system_id": "gw", "password": "pw",
                     "binds": binds},
                )  # fmt: skip
            for prefix, first, second in (("+39", "opa", "opb"), ("+44", "opb", "opa")):
                await gw.routes.add(prefix, first)
                await gw.routes.add(prefix, second, priority=1)
            return created.api_key
        finally:
            await gw.close()

    return asyncio.run(work())


def wait_spread(operators: Operators, db: Observer, live: set[str], timeout: float = 60) -> None:
    """Until every operator has its total of binds open, each slot held by a live node."""
    deadline = time.monotonic() + timeout
    while True:
        holders = slot_holders(db)
        spread = all(set(holders.get(name, [])) <= live for name in BINDS) and all(
            len(holders.get(name, [])) == binds for name, binds in BINDS.items()
        )
        if spread and operators.open_binds() == BINDS:
            return
        assert time.monotonic() < deadline, f"binds not spread: {holders}"
        time.sleep(0.02)


def held_by(db: Observer, node: str) -> dict[str, set[str]]:
    """The message ids of the rows `node` has claimed: sending, webhooks, SMPP receipts."""
    statements = {
        "sending": "SELECT id FROM messages WHERE claimed_by = :node",
        "webhook": "SELECT message_id FROM outbox WHERE claimed_by = :node",
        "receipt": "SELECT message_id FROM smpp_outbox WHERE claimed_by = :node",
    }
    return {k: {str(r[0]) for r in db.query(sql, node=node)} for k, sql in statements.items()}


def still_open(db: Observer) -> list[tuple[str, str, str | None, int]]:
    """What is not done yet, counted: messages short of a final status by status and
    claimer, pending webhook and SMPP deliveries by claimer."""
    final = ", ".join(f"'{status}'" for status in FINAL)
    rows = db.query(
        "SELECT 'message', status, claimed_by, count(*) FROM messages"
        f" WHERE status NOT IN ({final}) GROUP BY status, claimed_by"
        " UNION ALL SELECT 'webhook', state, claimed_by, count(*) FROM outbox"
        " WHERE state = 'pending' GROUP BY state, claimed_by"
        " UNION ALL SELECT 'smpp', state, claimed_by, count(*) FROM smpp_outbox"
        " WHERE state = 'pending' GROUP BY state, claimed_by",
    )
    return [(str(kind), str(state), node, int(n)) for kind, state, node, n in rows]


def receipts_of_sent(db: Observer, operators: Operators) -> list[str]:
    """For each part of a message still `sent`: whether its operator sent the receipt."""
    rows = db.query(
        "SELECT p.connector, p.upstream_id, m.id FROM parts p JOIN messages m"
        " ON m.id = p.message_id WHERE m.status = 'sent'"
    )

    async def look() -> list[str]:
        found = []
        for connector, upstream_id, message_id in rows:
            known = operators.smsc[str(connector)].messages.get(str(upstream_id))
            receipt = "unknown id" if known is None else f"receipt at {known.final_at}"
            found.append(f"{message_id} on {connector} as {upstream_id}: {receipt}")
        return found

    described: list[str] = operators.run(look())
    return described


def webhook_attempts(db: Observer) -> dict[str, list[tuple[int | None, str | None]]]:
    """Each message's webhook attempts as the store recorded them: (HTTP status, error)."""
    found: dict[str, list[tuple[int | None, str | None]]] = {}
    for message_id, status, error in db.query(
        "SELECT o.message_id, a.status_code, a.error FROM webhook_attempts a"
        " JOIN outbox o ON o.id = a.outbox_id ORDER BY a.id"
    ):
        found.setdefault(str(message_id), []).append((status, error))
    return found


def answered(load: Load, total: int, timeout: float) -> None:
    """Until the customers have had `total` answers (the load goes on)."""
    deadline = time.monotonic() + timeout
    while load.outcomes.answered() < total:
        assert time.monotonic() < deadline and not load.errors, load.errors
        time.sleep(0.01)


def run_three_nodes(
    admin_url: str, tmp: Path, count: int, http_workers: int = 1, drain_s: float = 90
) -> Report:
    """Three nodes (`http_workers` each) on a private database under load from 3 HTTP and
    3 SMPP customers (`count` messages each, one customer of each kind starting on each
    node); once a third of the messages are answered, kill -9 the node holding the most
    binds, start it again once its binds have moved, and let everything settle."""
    with contextlib.ExitStack() as stack:
        report = _run(stack, admin_url, tmp, count, http_workers, drain_s)
    return report


def _run(
    stack: contextlib.ExitStack,
    admin_url: str,
    tmp: Path,
    count: int,
    http_workers: int,
    drain_s: float,
) -> Report:
    url = stack.enter_context(postgres_database(admin_url))
    db = stack.enter_context(Observer(url).running())
    operators = stack.enter_context(Operators(list(BINDS)).running())
    hooks = stack.enter_context(Receiver(failures=0))
    settings = {"database_url": url, "demo": "false", "log_level": "WARNING"}
    settings["http_workers"] = str(http_workers)
    gateways = {name: GatewayProcess(tmp / name, True, node_id=name, **settings) for name in NODES}
    for gateway in gateways.values():
        gateway.data_dir.mkdir()
        stack.callback(gateway.stop)
    phases: dict[str, float] = {}
    mark = time.monotonic()

    def phase(name: str) -> None:
        nonlocal mark
        phases[name], mark = time.monotonic() - mark, time.monotonic()

    key = configure(gateways[NODES[0]], operators)
    phase("configure")
    start_all(list(gateways.values()))
    wait_spread(operators, db, set(NODES))
    phase("start")
    load = Load(list(gateways.values()), count, key, hooks.url, "smppco")
    load.start()
    stack.callback(load.stop_reading.set)
    stack.callback(load.stop_sending.set)
    answered(load, count * 2, timeout=120 + count)  # a third of 6 customers' messages
    phase("load before the kill")
    holders = slot_holders(db)
    victim = Counter(n for name in BINDS for n in holders[name]).most_common(1)[0][0]
    assert victim is not None
    kill_node(gateways[victim])
    killed = time.monotonic()
    held = held_by(db, victim)  # before any other node may take them back
    wait_spread(operators, db, set(NODES) - {victim})
    moved = time.monotonic() - killed
    gateways[victim].start(timeout=120)
    phase("binds moved, node back")
    load.wait_sent(timeout=60 + 2 * count)
    phase("load after")
    deadline = time.monotonic() + drain_s
    while left := still_open(db):
        assert time.monotonic() < deadline, f"still open: {left}; {receipts_of_sent(db, operators)}"
        time.sleep(0.2)
    load.stop_reading.set()
    load.join(timeout=30)
    phase("drain")
    return Report(
        outcomes=load.outcomes,
        victim=victim,
        bind_move_s=moved,
        most_binds={name: smsc.counters.most_binds for name, smsc in operators.smsc.items()},
        messages=[
            Stored(str(i), str(b), str(t), str(s), int(c), str(a))
            for i, b, t, s, c, a in db.query(
                "SELECT m.id, m.batch_id, m.text, m.status, m.cost, a.name FROM messages m"
                " JOIN accounts a ON a.id = m.account_id",
            )
        ],
        acked=operators.acked(),
        webhooks=Counter(json.loads(body)["id"] for status, body, _ in hooks.calls if status < 300),
        outbox_rows=Counter(str(r[0]) for r in db.query("SELECT message_id FROM outbox")),
        held=held,
        accounts={
            str(n): (int(i), int(b))
            for n, i, b in db.query("SELECT name, id, balance FROM accounts")
        },
        ledger=[
            (int(i), int(a), str(k), int(m), int(b), str(r))
            for i, a, k, m, b, r in db.query(
                "SELECT id, account_id, kind, amount, balance_after, reference"
                " FROM ledger ORDER BY id",
            )
        ],
        phases=phases,
        attempts=webhook_attempts(db),
    )
