"""PostgreSQL connections cut under load: two gateway nodes (real `smsgate run` processes)
on a database of their own take HTTP sends from threads while every backend of that
database is terminated several times, then while it refuses connections for a while.
The nodes stay up and serving; every message answered 202 is stored, delivered and sent
upstream once; money adds up; a request refused meanwhile got a 5xx and stored nothing,
and while the database is closed each surface answers its own "try again"."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import smpplib.client
import smpplib.consts
import smpplib.exceptions

from smsgate.core.money import parse_amount
from tests.e2e.gateway import (
    GatewayProcess,
    all_pages,
    database_closed,
    postgres_database,
    route_everything,
    terminate_backends,
)
from tests.e2e.test_mo_kill9 import Upstream

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.timeout(300)]
CREDIT = "1000.00"
THREADS = 4
CUTS = 5
CUT_EVERY = 1.5  # seconds between two cuts
OUTAGE = 2.0  # seconds the database refuses connections, after the cuts
PER_THREAD = 400  # bounds the load if the cuts end early


@pytest.fixture
def database_url(postgres_url: str) -> Iterator[str]:
    with postgres_database(postgres_url) as url:
        yield url


@dataclass
class Load:
    """What the clients sent and were answered: one destination per request."""

    accepted: dict[str, str] = field(default_factory=dict)  # destination -> message id
    refused: list[tuple[str, int, str]] = field(default_factory=list)  # (to, status, code)
    unanswered: list[tuple[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def send(self, gateway: GatewayProcess, key: str, first: int, stop: threading.Event) -> None:
        with gateway.client(key) as client:
            for i in range(first, first + PER_THREAD):
                if stop.is_set():
                    return
                self.one(client, f"+39333{i:07d}")

    def one(self, client: httpx.Client, to: str) -> int | None:
        """Send one message to `to` and record the answer; its HTTP status."""
        try:
            response = client.post(
                "/api/v1/messages", json={"to": to, "from": "ACME", "text": "cut"}
            )
        except httpx.HTTPError as exc:
            with self.lock:
                self.unanswered.append((to, type(exc).__name__))
            return None
        with self.lock:
            if response.status_code == 202:
                self.accepted[to] = response.json()["messages"][0]["id"]
            else:
                code = response.json()["error"]["code"]
                self.refused.append((to, response.status_code, code))
        return response.status_code


PASSWORD = "pw-load1"  # SMPP 3.4 passwords are at most 8 characters


def each_surface(
    gateway: GatewayProcess, key: str, smpp: smpplib.client.Client, n: int
) -> dict[str, tuple[object, ...]]:
    """One send on every surface of `gateway` (to numbers of their own): what each answered
    (HTTP status, the surface's own code, Retry-After; SMPP: the command_status)."""
    answers: dict[str, tuple[object, ...]] = {}
    to = [f"+39336{n}{i:06d}" for i in range(5)]
    with httpx.Client(base_url=gateway.base, timeout=10) as http:
        native = http.post(
            "/api/v1/messages",
            json={"to": to[0], "from": "ACME", "text": "x"},
            headers={"Authorization": f"Bearer {key}"},
        )
        agile = http.post(
            "/services/sms/send",
            json={"messages": [{"destinations": [to[1]], "sender": "ACME", "body": "x"}]},
            headers={"X-Api-Key": key},
        )
        partner = http.post(
            "/v1/send",
            json={"apiKey": key, "phoneNumbers": to[2], "message": "x", "sender": "ACME"},
        )
        smsc = http.get(
            "/sys/send.php", params={"apikey": key, "fmt": "3", "phones": to[3], "mes": "x"}
        )
    for name, response, code in (
        ("native", native, native.json()["error"]["code"]),
        ("agile", agile, agile.json()["code"]),
        ("smspartner", partner, partner.json()["code"]),
        ("smsc", smsc, smsc.json()["error_code"]),
    ):
        answers[name] = (response.status_code, code, response.headers.get("retry-after"))
    try:
        smpp.send_message(
            source_addr_ton=smpplib.consts.SMPP_TON_ALNUM,
            source_addr="ACME",
            dest_addr_ton=smpplib.consts.SMPP_TON_INTL,
            destination_addr=to[4].lstrip("+"),
            short_message=b"x",
        )
        smpp.read_once()
        answers["smpp"] = (0,)
    except smpplib.exceptions.PDUError as exc:
        answers["smpp"] = (int(exc.args[1]),)
    return answers


# What each surface answers while the database is closed: nothing stored, try again.
CLOSED = {
    "native": (503, "unavailable", "1"),
    "agile": (503, 8, "1"),
    "smspartner": (500, 500, "1"),
    "smsc": (200, 5, None),
    "smpp": (0x08,),  # ESME_RSYSERR
}


def wait_final(client: httpx.Client, count: int) -> list[dict[str, object]]:
    """Every message of the account once all have a final status."""
    deadline = time.monotonic() + 60
    while True:
        stored = all_pages(client, "/api/v1/messages", "messages")
        open_ = [m for m in stored if m["status"] in {"queued", "scheduled", "sending", "sent"}]
        if not open_ and len(stored) >= count:
            return stored
        assert time.monotonic() < deadline, f"{len(open_)} still open, e.g. {open_[:1]}"
        time.sleep(0.5)


def test_cut_connections_lose_nothing_and_send_nothing_twice(
    database_url: str, postgres_url: str, tmp_path: Path
) -> None:
    database = database_url.rsplit("/", 1)[1]
    nodes = []
    for name in ("node-a", "node-b"):
        (tmp_path / name).mkdir()
        demo = "true" if name == "node-a" else "false"
        nodes.append(
            GatewayProcess(tmp_path / name, database_url=database_url, node_id=name, demo=demo)
        )
    with Upstream().running() as upstream:
        try:
            first, second = nodes
            first.start(timeout=120)
            route_everything(first, upstream.smsc.port, 2)
            created = first.cli(
                "account", "create", "load", "--credit", CREDIT, "--password", PASSWORD
            )
            key = created["api_key"]
            second.start(timeout=120)
            upstream.wait_bound(2)
            binds = []
            for gateway in nodes:
                smpp = smpplib.client.Client(
                    "127.0.0.1", gateway.smpp_port, timeout=5, allow_unknown_opt_params=True
                )
                smpp.connect()
                smpp.bind_transmitter(system_id="load", password=PASSWORD)
                binds.append(smpp)

            load = Load()
            stop = threading.Event()
            cuts: list[int] = []
            with ThreadPoolExecutor(THREADS) as pool:
                sending = [
                    pool.submit(load.send, nodes[t % 2], key, 100 + t * PER_THREAD, stop)
                    for t in range(THREADS)
                ]
                for _ in range(CUTS):
                    time.sleep(CUT_EVERY)
                    cuts.append(terminate_backends(postgres_url, database))
                time.sleep(CUT_EVERY)
                with database_closed(postgres_url, database) as cut:
                    cuts.append(cut)
                    # one request to each surface of each node while it is surely closed
                    probes = [each_surface(g, key, binds[n], n) for n, g in enumerate(nodes)]
                    time.sleep(OUTAGE)
                time.sleep(CUT_EVERY)
                stop.set()
                for done in sending:
                    done.result()
            print(
                f"\ncut {cuts} backends; accepted {len(load.accepted)},"
                f" refused {Counter((s, c) for _, s, c in load.refused)},"
                f" unanswered {len(load.unanswered)}"
            )
            assert all(cuts), f"a cut found no backend to terminate: {cuts}"
            assert load.accepted, "nothing was accepted"
            assert not load.unanswered, f"requests without an answer: {load.unanswered[:5]}"
            # refused as unavailable, or (a COMMIT cut off: its outcome unknown) an error
            refused = {(status, code) for _, status, code in load.refused}
            assert refused <= {(503, "unavailable"), (500, "internal_error")}, refused
            assert probes == [CLOSED, CLOSED], probes
            for smpp in binds:
                smpp.disconnect()

            for gateway in nodes:  # alive, and serving
                assert gateway.proc is not None and gateway.proc.poll() is None
                with gateway.client(key) as client:
                    after = client.post(
                        "/api/v1/messages",
                        json={"to": f"+39334{gateway.port:07d}", "from": "ACME", "text": "x"},
                    )
                    assert after.status_code == 202, after.text
                    load.accepted[f"+39334{gateway.port:07d}"] = after.json()["messages"][0]["id"]

            with first.client(key) as client:
                stored = wait_final(client, len(load.accepted))
                by_id = {str(m["id"]): m for m in stored}
                # every 202 is stored; a refused request stored nothing, but for one whose
                # COMMIT was cut off (500: its outcome is unknown, it may have committed)
                unknown = {to for to, _, code in load.refused if code == "internal_error"}
                assert set(load.accepted.values()) <= set(by_id)
                destinations = {str(m["to"]) for m in stored}
                assert destinations - set(load.accepted) <= unknown
                statuses = Counter(str(m["status"]) for m in stored)
                assert statuses == {"delivered": len(stored)}, statuses

                entries = all_pages(client, "/api/v1/ledger", "entries")
                balance = parse_amount(client.get("/api/v1/balance").json()["balance"])
                charges = [e for e in entries if e["kind"] == "charge"]
                assert len(charges) == len(stored), "each stored message charged once"
                costs = sum(parse_amount(str(m["cost"])) for m in stored)
                assert balance == parse_amount(CREDIT) - costs
                assert sum(parse_amount(e["amount"]) for e in entries) == balance

            sent = Counter(m.destination[2] for m in upstream.smsc.messages.values())
            twice = {to: n for to, n in sent.items() if n > 1}
            print(f"sent upstream {sum(sent.values())}, more than once: {twice}")
            assert {f"+{to}" if not to.startswith("+") else to for to in sent} == destinations
            assert not twice
        finally:
            for gateway in nodes:
                gateway.stop()
