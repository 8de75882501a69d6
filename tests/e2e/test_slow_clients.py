"""Other clients are served while one address holds 1,100 half-open or never-binding
connections to a real `smsgate run` started under a soft open-files limit of 1,024."""

from __future__ import annotations

import resource
from pathlib import Path

import pytest

from bench.slow_clients import (
    HALF_REQUEST,
    flood,
    legit_sends,
    open_files_limit,
    raise_own_open_files,
    served,
)
from tests.e2e.gateway import GatewayProcess

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

ATTACKERS = 1100
SENDS = 10
WITHIN = 10.0


def _children(pid: int) -> list[int]:
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _open_files_limit(pid: int) -> tuple[int, int]:
    limits = Path(f"/proc/{pid}/limits").read_text().splitlines()
    soft, hard = next(line for line in limits if "open files" in line).split()[3:5]
    return int(soft), int(hard)


def test_every_process_raises_its_open_files_limit_at_start(tmp_path: Path) -> None:
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if hard == resource.RLIM_INFINITY or hard <= 1024:
        pytest.skip(f"the hard limit ({hard}) leaves nothing to raise a soft 1,024 to")
    gateway = GatewayProcess(tmp_path)
    gateway.start(preexec_fn=open_files_limit(1024))
    try:
        assert gateway.proc is not None
        core = gateway.proc.pid
        workers = _children(core)
        assert workers
        for pid in (core, *workers):
            assert _open_files_limit(pid) == (hard, hard)
    finally:
        gateway.stop()


@pytest.mark.parametrize("hard_limit", [None, 1024], ids=["soft-1024", "soft-and-hard-1024"])
@pytest.mark.parametrize("attack", ["half-open-http", "never-binding-smpp"])
def test_other_clients_are_served_under_a_flood_from_one_address(
    tmp_path: Path, attack: str, hard_limit: int | None
) -> None:
    raise_own_open_files(ATTACKERS + 512)
    gateway = GatewayProcess(tmp_path)
    gateway.start(preexec_fn=open_files_limit(1024, hard_limit))
    try:
        assert gateway.demo_key is not None and gateway.demo_password is not None
        if attack == "half-open-http":
            port, payload = gateway.port, HALF_REQUEST
        else:
            port, payload = gateway.smpp_port, b""
        with flood(port, ATTACKERS, payload) as connected:
            assert connected >= 1000
            found = legit_sends(
                gateway.base,
                gateway.demo_key,
                gateway.smpp_port,
                gateway.demo_password,
                SENDS,
                WITHIN,
            )
        assert served(found["http"], WITHIN) >= 9, found
        assert served(found["smpp"], WITHIN) >= 9, found
    finally:
        gateway.stop()
