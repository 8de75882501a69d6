"""Failed logins are blocked on every surface, each answering with its own code.

One real gateway; each test guesses from a loopback address of its own (127.0.0.N), so
that one test's blocked address does not meet another's. Default limits: 10 failures
per address, 5 per name, within 5 minutes.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import smpplib.client
import smpplib.exceptions

from smsgate.smpp import CommandStatus
from tests.e2e.gateway import GatewayProcess

pytestmark = pytest.mark.timeout(180)

PER_ADDRESS, PER_NAME = 10, 5
PASSWORD = "right-pw"  # SMPP carries 8 characters at most
SEND = {"to": "+393331234567", "from": "Shop", "text": "hi"}


@pytest.fixture(scope="module")
def gw(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProcess]:
    process = GatewayProcess(tmp_path_factory.mktemp("lockout"))
    process.start()
    try:
        yield process
    finally:
        process.stop()


def account(gw: GatewayProcess, name: str) -> str:
    """A funded account with PASSWORD; its API key."""
    created = gw.cli("account", "create", name, "--credit", "10", "--password", PASSWORD)
    return str(created["api_key"])


def client(gw: GatewayProcess, source: str) -> httpx.Client:
    transport = httpx.HTTPTransport(local_address=source)
    return httpx.Client(base_url=gw.base, transport=transport, timeout=30)


def retry_after(response: httpx.Response) -> int:
    assert response.status_code == 429, response.text
    seconds = int(response.headers["retry-after"])
    assert 0 < seconds <= 300
    return seconds


def test_native_basic_blocks_the_name(gw: GatewayProcess) -> None:
    key = account(gw, "basic1")
    with client(gw, "127.0.0.2") as http:
        for n in range(PER_NAME):
            wrong = http.get("/api/v1/balance", auth=("basic1", f"guess-{n}"))
            assert wrong.status_code == 401
        blocked = http.get("/api/v1/balance", auth=("basic1", PASSWORD))
        retry_after(blocked)
        assert blocked.json()["error"]["code"] == "login_blocked"
        # The name is blocked, not the account: its API key still works.
        by_key = http.get("/api/v1/balance", headers={"Authorization": f"Bearer {key}"})
        assert by_key.status_code == 200
    with client(gw, "127.0.0.12") as http:
        # The name is blocked from any address.
        assert http.get("/api/v1/balance", auth=("basic1", PASSWORD)).status_code == 429


def test_native_success_clears_the_name_count(gw: GatewayProcess) -> None:
    account(gw, "basic2")
    with client(gw, "127.0.0.13") as http:
        # 8 failures in all: under the address's 10, over the name's 5 without the clear.
        for _ in range(2):
            for n in range(PER_NAME - 1):
                assert http.get("/api/v1/balance", auth=("basic2", f"g{n}")).status_code == 401
            assert http.get("/api/v1/balance", auth=("basic2", PASSWORD)).status_code == 200


def test_native_bearer_blocks_the_address(gw: GatewayProcess) -> None:
    key = account(gw, "bearer1")
    with client(gw, "127.0.0.3") as http:
        for n in range(PER_ADDRESS):
            wrong = http.get("/api/v1/balance", headers={"Authorization": f"Bearer sg_wrong{n}"})
            assert wrong.status_code == 401
        blocked = http.post(
            "/api/v1/messages", json=SEND, headers={"Authorization": f"Bearer {key}"}
        )
        retry_after(blocked)
        assert blocked.json()["error"]["code"] == "login_blocked"
    with client(gw, "127.0.0.14") as http:
        other = http.get("/api/v1/balance", headers={"Authorization": f"Bearer {key}"})
        assert other.status_code == 200


def test_sms_partner_blocks_the_address(gw: GatewayProcess) -> None:
    key = account(gw, "partner1")
    with client(gw, "127.0.0.4") as http:
        for n in range(PER_ADDRESS):
            wrong = http.get("/v1/me", params={"apiKey": f"wrong{n}"})
            assert wrong.json()["code"] == 10
        blocked = http.get("/v1/me", params={"apiKey": key})
        retry_after(blocked)
        assert blocked.json()["success"] is False
        assert blocked.json()["code"] == 429


def test_agile_telecom_blocks_the_name_and_the_address(gw: GatewayProcess) -> None:
    key = account(gw, "agile1")
    with client(gw, "127.0.0.5") as http:
        for n in range(PER_NAME):
            wrong = http.get("/services/sms/credit", auth=("agile1", f"guess-{n}"))
            assert (wrong.status_code, wrong.json()["code"]) == (401, 1)
        blocked = http.get("/services/sms/credit", auth=("agile1", PASSWORD))
        retry_after(blocked)
        assert blocked.json()["status"] == "error"
        assert blocked.json()["code"] == 8
    with client(gw, "127.0.0.6") as http:
        for n in range(PER_ADDRESS):
            wrong = http.get("/services/sms/credit", headers={"X-Api-Key": f"wrong{n}"})
            assert wrong.json()["code"] == 1
        blocked = http.get("/services/sms/credit", headers={"X-Api-Key": key})
        retry_after(blocked)
        assert blocked.json()["code"] == 8


def test_smsc_blocks_the_address(gw: GatewayProcess) -> None:
    account(gw, "smsc1")
    with client(gw, "127.0.0.7") as http:
        for n in range(PER_ADDRESS):
            # A different name each time: only the address reaches its limit.
            wrong = http.get("/sys/balance.php", params={"login": f"nobody{n}", "psw": "x"})
            assert wrong.text == "ERROR = 2 (authorise error)"
        blocked = http.get("/sys/balance.php", params={"login": "smsc1", "psw": PASSWORD})
        assert blocked.text == "ERROR = 4 (IP is blocked)"
        blocked = http.get(
            "/sys/balance.php", params={"login": "smsc1", "psw": PASSWORD, "fmt": "3"}
        )
        assert blocked.json()["error_code"] == 4


def smpp_bind(gw: GatewayProcess, source: str, system_id: str, password: str) -> int:
    esme = smpplib.client.Client(
        "127.0.0.1", gw.smpp_port, timeout=10, allow_unknown_opt_params=True
    )
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((source, 0))
    esme._socket = sock
    esme.connect()
    try:
        esme.bind_transceiver(system_id=system_id, password=password)
    except smpplib.exceptions.PDUError as exc:
        return int(exc.args[1])
    finally:
        esme.disconnect()
    return 0


def test_smpp_bind_blocks_the_name_and_the_address(gw: GatewayProcess) -> None:
    account(gw, "smpp1")
    for n in range(PER_NAME):
        assert smpp_bind(gw, "127.0.0.8", "smpp1", f"guess-{n}") == CommandStatus.ESME_RINVPASWD
    assert smpp_bind(gw, "127.0.0.8", "smpp1", PASSWORD) == CommandStatus.ESME_RBINDFAIL
    account(gw, "smpp2")
    for n in range(PER_ADDRESS - PER_NAME):
        assert smpp_bind(gw, "127.0.0.8", f"nobody{n}", "x") == CommandStatus.ESME_RINVPASWD
    assert smpp_bind(gw, "127.0.0.8", "smpp2", PASSWORD) == CommandStatus.ESME_RBINDFAIL
    assert smpp_bind(gw, "127.0.0.9", "smpp2", PASSWORD) == 0


def test_the_count_is_shared_by_the_http_workers(tmp_path: Path) -> None:
    gw = GatewayProcess(tmp_path, http_workers="2")
    gw.start()
    try:
        key = account(gw, "shared1")
        for n in range(PER_ADDRESS):
            # A new connection each time: the two workers take them as the kernel deals.
            with client(gw, "127.0.0.10") as http:
                wrong = http.get("/api/v1/balance", headers={"Authorization": f"Bearer w{n}"})
                assert wrong.status_code == 401
        # Each worker reads the blocks again within a second; wait for both to see it.
        deadline = time.monotonic() + 30
        answers: list[int] = []
        while time.monotonic() < deadline:
            answers = []
            for _ in range(20):
                with client(gw, "127.0.0.10") as http:
                    answers.append(
                        http.get(
                            "/api/v1/balance", headers={"Authorization": f"Bearer {key}"}
                        ).status_code
                    )
            if set(answers) == {429}:
                break
        assert set(answers) == {429}, answers
    finally:
        gw.stop()


def test_guessing_does_not_stall_another_customer(tmp_path: Path) -> None:
    gw = GatewayProcess(tmp_path, login_failures_per_address="0", login_failures_per_name="0")
    gw.start()
    try:
        account(gw, "victim")
        key = account(gw, "other")
        stop = threading.Event()
        guesses = [0] * 8

        def guess(n: int) -> None:
            with client(gw, "127.0.0.11") as http:
                while not stop.is_set():
                    http.get("/api/v1/balance", auth=("victim", f"guess-{n}-{guesses[n]}"))
                    guesses[n] += 1

        threads = [threading.Thread(target=guess, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        try:
            while sum(guesses) < 8:  # every guesser has had an answer: the load is on
                time.sleep(0.01)
            started = sum(guesses)
            sends = 0
            with client(gw, "127.0.0.1") as http:
                headers = {"Authorization": f"Bearer {key}"}
                while sends < 100:
                    assert (
                        http.post("/api/v1/messages", json=SEND, headers=headers).status_code == 202
                    )
                    sends += 1
            guessed = sum(guesses) - started
        finally:
            stop.set()
            for thread in threads:
                thread.join()
        # With scrypt on the event loop each send waits behind the queued guesses, so
        # sends and guesses finish at about one send per round of 8 guesses. Off the
        # loop the sends do not wait for the guesses at all.
        assert guessed < sends, (guessed, sends)
    finally:
        gw.stop()


def test_the_demo_account_has_a_random_password_shown_once(tmp_path: Path) -> None:
    gw = GatewayProcess(tmp_path)
    gw.start()
    try:
        password = gw.demo_password
        assert password is not None
        assert password != "demo123"
        assert len(password) == 8 and password.isalnum()  # an SMPP bind carries 8; no "-x"
        with client(gw, "127.0.0.15") as http:
            assert http.get("/api/v1/balance", auth=("demo", password)).status_code == 200
            assert http.get("/api/v1/balance", auth=("demo", "demo123")).status_code == 401
    finally:
        gw.stop()
    gw.demo_key = gw.demo_password = None
    gw.start()  # the account exists now: nothing is created or shown again
    try:
        assert (gw.demo_key, gw.demo_password) == (None, None)
        assert [a["name"] for a in gw.cli("account", "list")["accounts"]] == ["demo"]
    finally:
        gw.stop()


def test_no_demo_account_on_a_database_with_accounts(tmp_path: Path) -> None:
    gw = GatewayProcess(tmp_path)
    account(gw, "acme")
    gw.start()
    try:
        assert (gw.demo_key, gw.demo_password) == (None, None)
        assert [a["name"] for a in gw.cli("account", "list")["accounts"]] == ["acme"]
    finally:
        gw.stop()
