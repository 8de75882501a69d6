"""WAL checkpoints off the event loop: the writer's automatic checkpoint is off, and a
thread with a connection of its own copies the WAL into the database file once it passes
CHECKPOINT_BYTES (PASSIVE: writers go on). Past HARD_BYTES the writer waits, the loop
running, for a TRUNCATE that empties it; at close a TRUNCATE leaves an empty WAL."""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
from concurrent.futures import ThreadPoolExecutor

log = logging.getLogger(__name__)

# About SQLite's own wal_autocheckpoint default (1,000 pages of 4 KiB and their headers).
CHECKPOINT_BYTES = 4 * 1024 * 1024
# The WAL may outgrow CHECKPOINT_BYTES while a PASSIVE checkpoint races the writers.
HARD_FACTOR = 4
# How long a checkpoint that must take the write lock (TRUNCATE) waits for it.
CHECKPOINT_BUSY_MS = 5000


class WalCheckpointer:
    """Checkpoints of one SQLite file's WAL, run in a thread of their own.

    The writer connection must run with `wal_autocheckpoint=0` and `journal_size_limit`
    at the threshold (see sqlite.py): the WAL file then shrinks back to the threshold when
    it starts over after a checkpoint, and is larger only once its frames outgrow it.
    """

    def __init__(
        self, database: str, synchronous: str, *, threshold: int = CHECKPOINT_BYTES
    ) -> None:
        self._database = database
        self._wal = database + "-wal"
        self._synchronous = synchronous
        self.threshold = threshold
        self.hard = HARD_FACTOR * threshold
        self._hard_at = self.hard
        self._again_at = 0
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="smsgate-sqlite-checkpoint")
        self._conn: sqlite3.Connection | None = None
        self._running: asyncio.Future[tuple[int, int, int]] | None = None
        # Set after a commit that left the WAL past the hard bound: writers wait.
        self.must_wait = False

    def wal_bytes(self) -> int:
        try:
            return os.stat(self._wal).st_size
        except FileNotFoundError:
            return 0

    def after_commit(self) -> None:
        """Start a checkpoint when the WAL passed the threshold and none runs."""
        size = self.wal_bytes()
        if size <= self.threshold:
            self._again_at = 0
            return
        if size >= self._hard_at:
            self.must_wait = True
        # A WAL that did not start over (writes raced the last checkpoint) is checkpointed
        # again once it grew by a quarter of the threshold, not after every commit.
        if size >= self._again_at and (self._running is None or self._running.done()):
            self._again_at = size + self.threshold // 4
            self._running = self._start("PASSIVE")

    async def wait(self) -> None:
        """Hold a write until a TRUNCATE checkpoint ran; the event loop goes on."""
        while self._running is not None and not self._running.done():
            await asyncio.wait({self._running})
        if not self.must_wait:
            return
        log.debug("WAL past %d bytes: writes wait for a TRUNCATE checkpoint", self._hard_at)
        self._running = self._start("TRUNCATE")
        await asyncio.wait({self._running})
        # A reader still on old frames keeps them: wait again only a bound further.
        self._hard_at = self.wal_bytes() + self.hard
        self.must_wait = False

    async def close(self) -> None:
        """Wait for the running checkpoint, empty the WAL, close the thread's connection."""
        if self._running is not None:
            await asyncio.wait({self._running})
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._thread, self._close)
        self._thread.shutdown()

    def _start(self, mode: str) -> asyncio.Future[tuple[int, int, int]]:
        loop = asyncio.get_running_loop()
        running = loop.run_in_executor(self._thread, self._checkpoint, mode)
        running.add_done_callback(_log_failure)
        return running

    def _checkpoint(self, mode: str) -> tuple[int, int, int]:
        if self._conn is None:
            self._conn = sqlite3.connect(self._database, isolation_level=None)
            self._conn.execute(f"PRAGMA busy_timeout={CHECKPOINT_BUSY_MS}")
            self._conn.execute(f"PRAGMA synchronous={self._synchronous}")
        busy, frames, copied = self._conn.execute(f"PRAGMA wal_checkpoint({mode})").fetchone()
        return int(busy), int(frames), int(copied)

    def _close(self) -> None:
        if not os.path.exists(self._database):
            return  # never opened: connecting would create an empty file
        try:
            self._checkpoint("TRUNCATE")
        except sqlite3.Error:
            log.exception("cannot checkpoint the WAL at close")
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def _log_failure(done: asyncio.Future[tuple[int, int, int]]) -> None:
    if not done.cancelled() and done.exception() is not None:
        log.error("WAL checkpoint failed", exc_info=done.exception())
