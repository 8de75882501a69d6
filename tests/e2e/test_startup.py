"""`smsgate run` on a port another program holds: one line naming the setting, exit 1."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.gateway import GatewayProcess

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(
    ("taken", "advice"),
    [("smpp_port", "set SMSGATE_SMPP_PORT"), ("port", "set SMSGATE_HTTP_PORT or --port")],
)
def test_a_taken_port_is_one_line_and_exit_1(tmp_path: Path, taken: str, advice: str) -> None:
    gateway = GatewayProcess(tmp_path)
    port: int = getattr(gateway, taken)
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", port))
        holder.listen()
        done = subprocess.run(
            [sys.executable, "-m", "smsgate", "run"],
            env=gateway.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert done.returncode == 1
    assert done.stderr.splitlines() == [f"smsgate: 127.0.0.1:{port} is in use; {advice}"]
    # Nothing was started or created before the check: no demo account was printed.
    assert "API key" not in done.stdout
