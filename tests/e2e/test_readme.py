"""The README's command blocks run as written, pasted into a shell at the project root."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.gateway import GatewayProcess

pytestmark = pytest.mark.e2e

README = Path(__file__).resolve().parents[2] / "README.md"
SECTIONS = (
    "## Operators and routes",
    "## Counting parts",
    "## Administration",
    "## Receiving SMS",
)


def shell_blocks(section: str) -> list[str]:
    text = README.read_text()
    start = text.index(section)
    end = text.find("\n## ", start + len(section))
    body = text[start : end if end != -1 else None]
    return re.findall(r"```sh\n(.*?)```", body, re.DOTALL)


@pytest.mark.parametrize("section", SECTIONS)
def test_the_readme_commands_run_as_written(section: str, tmp_path: Path) -> None:
    blocks = shell_blocks(section)
    assert blocks, f"no shell block under {section}"
    # The project root as a new user has it after `make run`: a .venv and a gateway's data
    # (the demo account) in ./var.
    (tmp_path / ".venv").symlink_to(Path(sys.prefix))
    gateway = GatewayProcess(tmp_path / "var")
    (tmp_path / "var").mkdir()
    gateway.start()
    gateway.stop()
    env = {k: v for k, v in gateway.env.items() if k != "SMSGATE_DATA_DIR"}
    script = "set -e\ntrap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n" + "\n".join(blocks)
    done = subprocess.run(
        ["bash", "-c", script],
        cwd=tmp_path,
        env={**env, "PATH": os.environ["PATH"]},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
