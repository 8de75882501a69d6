"""The commit bell: a pipe the processes writing one SQLite database share. A writer
writes one byte into it after each COMMIT or ROLLBACK, and a writer that found the lock
taken waits for a ring, at most `patience` (the CLI never rings), instead of polling.
A ring is only a hint to try again. Why: docs/architecture.md, "Where the time goes".
"""

from __future__ import annotations

import asyncio
import contextlib
import os

_DRAIN = 4096


class CommitBell:
    """One process's end of the bell: both ends of one pipe, made non-blocking."""

    def __init__(self, read_fd: int, write_fd: int) -> None:
        os.set_blocking(read_fd, False)
        os.set_blocking(write_fd, False)
        self._read_fd = read_fd
        self._write_fd = write_fd
        self._rung: asyncio.Future[None] | None = None

    @classmethod
    def pipe(cls) -> CommitBell:
        """A new bell, for this process and the ones it hands the two descriptors to."""
        return cls(*os.pipe())

    @property
    def fds(self) -> tuple[int, int]:
        return self._read_fd, self._write_fd

    @property
    def listening(self) -> bool:
        """Whether a waiter of this process waits for a ring."""
        return self._rung is not None and not self._rung.done()

    def ring(self) -> None:
        # A full pipe holds rings enough.
        with contextlib.suppress(BlockingIOError):
            os.write(self._write_fd, b"!")

    async def wait(self, patience: float) -> None:
        """Return after the next ring (or a stale one), or after `patience` seconds."""
        rung = self._rung
        if rung is None or rung.done():
            loop = asyncio.get_running_loop()
            rung = self._rung = loop.create_future()
            loop.add_reader(self._read_fd, self._heard)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(patience):
                # Shielded: every waiter of this process shares the one future.
                await asyncio.shield(rung)

    def close(self) -> None:
        if self._rung is not None and not self._rung.done():
            self._rung.get_loop().remove_reader(self._read_fd)
            self._rung.cancel()
        os.close(self._read_fd)
        os.close(self._write_fd)

    def _heard(self) -> None:
        asyncio.get_running_loop().remove_reader(self._read_fd)
        with contextlib.suppress(BlockingIOError):
            while len(os.read(self._read_fd, _DRAIN)) == _DRAIN:
                pass
        if self._rung is not None and not self._rung.done():
            self._rung.set_result(None)
