"""The `smsgate` command run through click's runner on a data directory of its own:
`call(*args, ok=True)` checks the exit code and returns the output (parsed when --json)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Protocol

import pytest
from click.testing import CliRunner

from smsgate.cli import main


class Call(Protocol):
    def __call__(self, *args: str, ok: bool = True) -> Any: ...


def cli_on(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Call:
    monkeypatch.setenv("SMSGATE_DATA_DIR", str(data_dir))
    runner = CliRunner()

    def call(*args: str, ok: bool = True) -> Any:
        result = runner.invoke(main, list(args), catch_exceptions=False)
        assert (result.exit_code == 0) is ok, result.output
        if "--json" in args and ok:
            return json.loads(result.output)
        return result.output

    return call
