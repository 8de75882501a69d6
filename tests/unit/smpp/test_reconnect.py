"""The waits between connection attempts: doubling from `reconnect_delay` up to 10 s, for
the client and for a connector's first bind alike (Kannel and Jasmin wait 10 s)."""

from __future__ import annotations

from smsgate.smpp import SmppClient, next_reconnect_delay


def test_the_waits_double_up_to_ten_seconds() -> None:
    waits = [1.0]
    for _ in range(6):
        waits.append(next_reconnect_delay(waits[-1]))
    assert waits == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0, 10.0]


def test_a_client_waits_at_most_ten_seconds_unless_told_otherwise() -> None:
    client = SmppClient("127.0.0.1", 9, system_id="a", password="b")
    assert client.max_reconnect_delay == 10.0
    assert next_reconnect_delay(client.max_reconnect_delay, client.max_reconnect_delay) == 10.0
    assert next_reconnect_delay(0.5, longest=0.75) == 0.75
