"""SMSC's documented client calls, unchanged but for base URL and credentials, against a
real `smsgate run` subprocess (the way SMSC's own client libraries call /sys/*.php)."""

from __future__ import annotations

import time
from urllib.parse import urlencode

import httpx
import pytest

from tests.e2e.gateway import GatewayProcess

pytestmark = pytest.mark.e2e


class SmscClient:
    """The calls of SMSC's client libraries: fmt=1, charset=utf-8, answers split on ','."""

    def __init__(self, base: str, login: str, password: str) -> None:
        self.http = httpx.Client(base_url=base, timeout=10)
        self.login, self.password = login, password

    def command(self, cmd: str, **args: str | int) -> list[str]:
        query = urlencode(
            {"login": self.login, "psw": self.password, "fmt": 1, "charset": "utf-8", **args}
        )
        return self.http.get(f"/sys/{cmd}.php?{query}").text.split(",")

    def send_sms(self, phones: str, message: str, **args: str | int) -> list[str]:
        return self.command("send", cost=3, phones=phones, mes=message, **args)

    def get_sms_cost(self, phones: str, message: str) -> list[str]:
        return self.command("send", cost=1, phones=phones, mes=message)

    def get_status(self, message_id: str, phone: str, full: int = 0) -> list[str]:
        return self.command("status", phone=phone, id=message_id, all=full)

    def get_balance(self) -> str | None:
        answer = self.command("balance")
        return None if len(answer) > 1 else answer[0]

    def close(self) -> None:
        self.http.close()


def test_smsc_library_calls(gateway: GatewayProcess) -> None:
    assert gateway.demo_password is not None
    client = SmscClient(gateway.base, "demo", gateway.demo_password)
    try:
        assert client.get_balance() == "10.00"
        assert client.get_sms_cost("393331234567", "Hello") == ["0.05", "1"]

        message_id, count, cost, balance = client.send_sms(
            "393331234567", "Привет из smsgate", sender="smsgate"
        )
        assert (count, cost, balance) == ("1", "0.05", "9.95")

        deadline = time.monotonic() + 15
        status = client.get_status(message_id, "393331234567")
        while status[0] != "1" and time.monotonic() < deadline:
            time.sleep(0.05)
            status = client.get_status(message_id, "393331234567")
        assert status[0] == "1", status
        full = client.get_status(message_id, "393331234567", full=1)
        assert full[4:] == ["393331234567", "0.05", "smsgate", "Delivered", "Привет из smsgate"]

        failed = client.send_sms("393331230001", "Hello", sender="smsgate", id=77)
        assert failed[:2] == ["77", "1"]
        deadline = time.monotonic() + 15
        status = client.get_status("77", "393331230001")
        while status[0] != "20" and time.monotonic() < deadline:
            time.sleep(0.05)
            status = client.get_status("77", "393331230001")
        assert status[0] == "20", status

        assert client.send_sms("12", "Hello", sender="smsgate") == ["0", "-7"]
        bad = SmscClient(gateway.base, "demo", "wrong-password")
        try:
            assert bad.get_balance() is None
            assert bad.command("balance") == ["0", "-2"]
        finally:
            bad.close()
        assert client.get_balance() == "9.90"
    finally:
        client.close()
