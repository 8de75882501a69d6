"""The event loop every process runs on: uvloop's when installed, asyncio's otherwise."""

from __future__ import annotations

import asyncio
import sys

import click
import pytest
import uvloop

from smsgate.cli.shared import loop_factory, loop_runner
from smsgate.config import Settings


def test_auto_picks_uvloop_when_it_is_importable() -> None:
    assert loop_factory("auto") is uvloop.new_event_loop
    assert loop_factory("uvloop") is uvloop.new_event_loop


def test_auto_falls_back_to_asyncio_when_uvloop_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # None in sys.modules makes `import uvloop` raise ImportError, as when not installed.
    monkeypatch.setitem(sys.modules, "uvloop", None)
    assert loop_factory("auto") is asyncio.new_event_loop


def test_asking_for_a_missing_uvloop_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "uvloop", None)
    with pytest.raises(
        click.UsageError, match=r"install smsgate\[fast\] or run pip install uvloop"
    ):
        loop_factory("uvloop")


def test_asyncio_is_chosen_even_when_uvloop_is_installed() -> None:
    assert loop_factory("asyncio") is asyncio.new_event_loop


@pytest.mark.parametrize(
    ("choice", "kind"), [("asyncio", asyncio.BaseEventLoop), ("uvloop", uvloop.Loop)]
)
def test_the_runner_runs_coroutines_on_the_chosen_loop(choice: str, kind: type) -> None:
    async def loop_type() -> type:
        return type(asyncio.get_running_loop())

    with loop_runner(Settings(event_loop=choice)) as runner:
        assert issubclass(runner.run(loop_type()), kind)
