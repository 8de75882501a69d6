"""Schemathesis against the native API's own OpenAPI document, on a real gateway on each
backend: whatever it generates from the document (valid and invalid), no answer is a 5xx.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.gateway import GatewayProcess

pytestmark = pytest.mark.e2e

# Enough for its coverage phase to try each bound of the document (ids past 2^31 among
# them) and for fuzzing to vary the bodies; about 20-30 s per backend on 2 cores.
MAX_EXAMPLES = 20
# One seed, so a run is repeatable (CI included); set SMSGATE_FUZZ_SEED to explore others.
SEED = os.environ.get("SMSGATE_FUZZ_SEED", "20261204")


def test_no_generated_request_gets_a_5xx(gateway_on: GatewayProcess, tmp_path: Path) -> None:
    key = gateway_on.demo_key
    assert key is not None
    run = subprocess.run(
        [
            sys.executable, "-m", "schemathesis.cli", "run",
            f"{gateway_on.base}/api/v1/openapi.json",
            "--checks", "not_a_server_error",
            "--max-examples", str(MAX_EXAMPLES),
            "--seed", SEED,
            "--header", f"Authorization: Bearer {key}",
            "--workers", "1",
            "--warnings", "off",
            "--request-timeout", "20",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )  # fmt: skip
    report = run.stdout[-8000:] + run.stderr[-2000:]
    assert run.returncode == 0, f"{report}\n--- gateway log ---\n{gateway_on.log_tail()}"
    assert "No issues found" in run.stdout, report
    assert "unexpected error" not in gateway_on.log_tail()
