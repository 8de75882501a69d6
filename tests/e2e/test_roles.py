"""Nodes with split roles on one database, as real `smsgate run` processes: a front end
(`--roles api,smpp`) takes messages that only a sender node (`dispatch,webhooks`) sends."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.gateway import GatewayProcess, postgres_database


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def shared_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'shared.db'}"
        return
    with postgres_database(str(request.getfixturevalue("postgres_url"))) as url:
        yield url


def listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_a_front_end_node_and_a_sender_node(shared_url: str, tmp_path: Path) -> None:
    (tmp_path / "front").mkdir()
    (tmp_path / "sender").mkdir()
    front = GatewayProcess(tmp_path / "front", database_url=shared_url, roles="api,smpp")
    sender = GatewayProcess(
        tmp_path / "sender", database_url=shared_url, roles="dispatch,webhooks", demo="false"
    )
    front.start()
    try:
        assert front.demo_key is not None
        with front.client(front.demo_key) as client:
            first = client.post(
                "/api/v1/messages", json={"to": "+393331234567", "from": "ACME", "text": "a"}
            )
            assert first.status_code == 202, first.text
            message_id = first.json()["messages"][0]["id"]
            time.sleep(1.0)
            # no node dispatches yet: it waits in the queue
            assert client.get(f"/api/v1/messages/{message_id}").json()["status"] == "queued"
            sender.start()
            try:
                assert not listening(sender.port) and not listening(sender.smpp_port)
                front.wait_for(client, message_id, {"delivered"}, timeout=30)
            finally:
                assert sender.stop() == 0
    finally:
        assert front.stop() == 0


def test_an_unknown_role_is_refused(tmp_path: Path) -> None:
    gateway = GatewayProcess(tmp_path)
    for argv, env in (
        (["--roles", "api,mail"], {}),
        ([], {"SMSGATE_ROLES": "dispatch,dispatch"}),
    ):
        done = subprocess.run(
            [sys.executable, "-m", "smsgate", "run", *argv],
            env={**gateway.env, **env},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode != 0
        assert "roles must be a comma-separated list of api, smpp, dispatch, webhooks" in (
            done.stderr
        )
        assert not listening(gateway.port)
