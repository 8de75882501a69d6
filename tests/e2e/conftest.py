from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.gateway import (
    BACKENDS,
    GatewayProcess,
    free_port,
    running_gateway,
    simulated_operator,
)


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[GatewayProcess]:
    with running_gateway(tmp_path) as process:
        yield process


@pytest.fixture
def operator() -> Iterator[tuple[int, subprocess.Popen[str]]]:
    port = free_port()
    with simulated_operator(port) as proc:
        yield port, proc


@pytest.fixture(scope="module", params=BACKENDS)
def gateway_on(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GatewayProcess]:
    """One gateway per backend for a module's tests; settings come from the module's
    `GATEWAY_SETTINGS` (a dict of setting name to value), if it has one."""
    settings: dict[str, str] = getattr(request.module, "GATEWAY_SETTINGS", {})
    admin = request.getfixturevalue("postgres_url") if request.param == "postgres" else None
    with running_gateway(tmp_path_factory.mktemp(request.param), admin, **settings) as process:
        yield process
