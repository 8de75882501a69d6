"""`smsgate run` with HTTP worker processes: they share the port and the counters,
come back when one dies, and leave when the core is gone."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from tests.e2e.gateway import GatewayProcess


def children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        if int(stat.rpartition(")")[2].split()[1]) == pid:
            found.append(int(entry))
    return sorted(found)


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def wait_until(check: Callable[[], bool], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def metric(client: httpx.Client, line_start: str) -> float:
    for line in client.get("/metrics").text.splitlines():
        if line.startswith(line_start + " "):
            return float(line.split()[-1])
    return 0.0


def send(client: httpx.Client, count: int) -> list[str]:
    ids = []
    for i in range(count):
        response = client.post(
            "/api/v1/messages", json={"to": f"+3933312{i:03d}9", "from": "smsgate", "text": "hi"}
        )
        assert response.status_code == 202, response.text
        ids += [m["id"] for m in response.json()["messages"]]
    return ids


def test_workers_share_the_port_and_the_counters(tmp_path: Path) -> None:
    gateway = GatewayProcess(tmp_path, http_workers="2")
    gateway.start()
    try:
        assert gateway.proc is not None and gateway.demo_key is not None
        assert len(children(gateway.proc.pid)) == 2
        with gateway.client(gateway.demo_key) as client:
            ids = send(client, 20)
            for message_id in ids:
                gateway.wait_for(client, message_id, {"delivered", "undelivered"})
            # Accepted by the workers, sent and delivered by the core: one sum in any worker.
            wait_until(lambda: metric(client, "smsgate_messages_accepted_total") == 20)
            assert metric(client, "smsgate_messages_sent_total") == 20
            # SQLite's write lock, as every process used it: 20 accepts (one a request,
            # sent one after the other), and the core's claims and records besides.
            assert metric(client, "smsgate_sqlite_writes_total") > 20
            assert metric(client, "smsgate_sqlite_write_seconds_total") > 0
    finally:
        gateway.stop()


def test_a_dead_worker_is_replaced(tmp_path: Path) -> None:
    gateway = GatewayProcess(tmp_path, http_workers="1")
    gateway.start()
    try:
        assert gateway.proc is not None and gateway.demo_key is not None
        core = gateway.proc.pid
        (worker,) = children(core)
        os.kill(worker, signal.SIGKILL)
        wait_until(lambda: children(core) not in ([], [worker]))
        with gateway.client(gateway.demo_key) as client:
            wait_until(lambda: _answers(client))
            (message_id,) = send(client, 1)
            gateway.wait_for(client, message_id, {"delivered", "undelivered"})
        assert "HTTP worker 1 exited" in gateway.log_tail()
    finally:
        gateway.stop()


def test_workers_leave_with_the_core_and_a_restart_serves_again(tmp_path: Path) -> None:
    gateway = GatewayProcess(tmp_path, http_workers="2")
    gateway.start()
    assert gateway.proc is not None and gateway.demo_key is not None
    workers = children(gateway.proc.pid)
    key = gateway.demo_key
    gateway.kill()
    wait_until(lambda: not any(alive(pid) for pid in workers))
    gateway.start()
    try:
        with gateway.client(key) as client:
            (message_id,) = send(client, 1)
            gateway.wait_for(client, message_id, {"delivered", "undelivered"})
    finally:
        gateway.stop()


def _answers(client: httpx.Client) -> bool:
    try:
        return client.get("/healthz").status_code == 200
    except httpx.HTTPError:
        return False


def test_no_workers_serves_http_from_the_core(tmp_path: Path) -> None:
    gateway = GatewayProcess(tmp_path, http_workers="0")
    gateway.start()
    try:
        assert gateway.proc is not None and gateway.demo_key is not None
        assert children(gateway.proc.pid) == []
        with gateway.client(gateway.demo_key) as client:
            (message_id,) = send(client, 1)
            gateway.wait_for(client, message_id, {"delivered"})
            assert metric(client, "smsgate_messages_sent_total") == 1
    finally:
        gateway.stop()
