"""The commit bell: how the processes writing one SQLite database tell each other that
the write lock is free.

The core and its HTTP workers all write one database, and SQLite's write lock cannot
be waited for without blocking the event loop. Polling it (BEGIN IMMEDIATE, a short
nap, again) cost ~20 µs of CPU per refused attempt plus the nap, and at full load
there were ten refused attempts or more for every transaction. Instead a writer rings the bell after
each COMMIT or ROLLBACK, one byte into a pipe the processes share, and a writer that
found the lock taken waits for the bell. It waits at most `patience` seconds: other
programs (the CLI, the `sqlite3` shell) never ring, so polling remains the fallback.

A ring is only a hint to try again: a lost one costs one `patience`, a stale one an
attempt that is refused.
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
