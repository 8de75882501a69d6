from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.gateway import GatewayProcess, free_port, simulated_operator


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[GatewayProcess]:
    process = GatewayProcess(tmp_path)
    process.start()
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture
def operator() -> Iterator[tuple[int, subprocess.Popen[str]]]:
    port = free_port()
    with simulated_operator(port) as proc:
        yield port, proc
