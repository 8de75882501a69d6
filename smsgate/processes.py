"""One gateway as several processes: the core and its HTTP workers.

Starting, restarting and stopping the workers, and the channels the core opens for them
besides the store: the wake-up datagram, the counters file, the lifeline pipe and the
commit bell's pipe (docs/architecture.md, "Processes").
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import mmap
import os
import resource
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from smsgate.services.counters import ROW_BYTES, Counters
from smsgate.store import CommitBell

log = logging.getLogger(__name__)

READY = b"ready"
START_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0
RESPAWN_DELAY = 1.0
BIND_PATIENCE = 5.0


@dataclass(frozen=True, slots=True)
class WorkerLink:
    """What an HTTP worker gets from the core, on its command line."""

    index: int  # 1..N, also its row in the counters file
    listen_fd: int
    ready_fd: int
    lifeline_fd: int
    wake_port: int
    counters: str
    workers: int
    smpp: bool  # this worker also runs the SMPP server
    bell_read_fd: int
    bell_write_fd: int

    def argv(self) -> list[str]:
        return [
            f"--index={self.index}",
            f"--workers={self.workers}",
            f"--listen-fd={self.listen_fd}",
            f"--ready-fd={self.ready_fd}",
            f"--lifeline-fd={self.lifeline_fd}",
            f"--wake-port={self.wake_port}",
            f"--counters={self.counters}",
            "--smpp" if self.smpp else "--no-smpp",
            f"--bell-read-fd={self.bell_read_fd}",
            f"--bell-write-fd={self.bell_write_fd}",
        ]

    def bell(self) -> CommitBell:
        return CommitBell(self.bell_read_fd, self.bell_write_fd)


def ready_line(smpp_port: int | None) -> bytes:
    """What a worker writes to its ready pipe once it serves."""
    return READY + (b" %d" % smpp_port if smpp_port is not None else b"") + b"\n"


def map_counters(path: Path, *, row: int, rows: int | None = None) -> Counters:
    """Counters for process `row` over the counters file at `path`; with `rows`, the file
    is made anew, all zero (the core does this before starting its workers)."""
    if rows is not None:
        with path.open("wb") as file:
            file.truncate(rows * ROW_BYTES)
    fd = os.open(path, os.O_RDWR)
    try:
        mapped = mmap.mmap(fd, os.fstat(fd).st_size)
    finally:
        os.close(fd)
    # The memoryview keeps the mapping alive as long as the Counters object does.
    return Counters(memoryview(mapped).cast("q"), row=row)


class PortInUse(Exception):
    """A port the gateway must listen on is held by another program."""

    def __init__(self, host: str, port: int, setting: str) -> None:
        super().__init__(f"{host}:{port} is in use; set {setting}")


async def ensure_free(host: str, port: int, setting: str) -> None:
    """Raise PortInUse unless `port` can be bound (waiting as `listening_socket` does)."""
    if port == 0:
        return
    try:
        (await _bound(host, port)).close()
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        raise PortInUse(host, port, setting) from None


async def listening_socket(host: str, port: int) -> socket.socket:
    """The HTTP socket the workers share, bound and listening before any is started."""
    sock = await _bound(host, port)
    sock.listen(2048)
    sock.setblocking(False)
    return sock


async def _bound(host: str, port: int) -> socket.socket:
    """A socket bound to (host, port).

    The port may still be held for a moment by the workers of a core that was killed
    (they leave when their lifeline closes), so binding is retried for a few seconds.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    deadline = asyncio.get_running_loop().time() + BIND_PATIENCE
    while True:
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            sock.close()
            if exc.errno != errno.EADDRINUSE or asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.1)
            continue
        return sock


def raise_open_files_limit() -> None:
    """Raise this process's soft limit of open files to its hard limit.

    The usual soft limit (1,024) is what a few hundred idle clients exhaust; the hard limit
    is what the operator allows. Where the kernel refuses the hard limit (an "unlimited"
    one), the soft limit stays as it is.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError) as exc:
            log.warning("open files limit stays %d (hard limit %d): %s", soft, hard, exc)


class _WakeProtocol(asyncio.DatagramProtocol):
    def __init__(self, wake: Callable[[], None]) -> None:
        self._wake = wake

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        self._wake()


async def listen_for_wakeups(wake: Callable[[], None]) -> tuple[asyncio.BaseTransport, int]:
    """Call `wake` on every datagram to the returned loopback port."""
    transport, _ = await asyncio.get_running_loop().create_datagram_endpoint(
        lambda: _WakeProtocol(wake), local_addr=("127.0.0.1", 0)
    )
    return transport, transport.get_extra_info("sockname")[1]


class Nudger:
    """The worker's end of the wake-up channel: never blocking, and one datagram for all
    the calls of one turn of the event loop (a group commit answers many at once)."""

    def __init__(self, port: int) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.setblocking(False)
        self._sock.connect(("127.0.0.1", port))
        self._pending = False

    def __call__(self) -> None:
        if not self._pending:
            self._pending = True
            asyncio.get_running_loop().call_soon(self._send)

    def _send(self) -> None:
        self._pending = False
        # A full buffer means wake-ups are already pending; the poll covers a lost one.
        with contextlib.suppress(OSError):
            self._sock.send(b"!")

    def close(self) -> None:
        self._sock.close()


@dataclass(eq=False, slots=True)
class HttpWorkers:
    """Starts `count` worker processes, restarts one that dies, stops them all."""

    count: int
    listen: socket.socket
    wake_port: int
    counters: Path
    bell: CommitBell
    smpp: bool = True  # the first worker runs the customer SMPP server
    smpp_port: int | None = field(init=False, default=None)
    _procs: dict[int, asyncio.subprocess.Process] = field(init=False, default_factory=dict)
    _lifeline_read: int = field(init=False)
    _lifeline_write: int = field(init=False)
    _stopping: bool = field(init=False, default=False)
    _watcher: asyncio.Task[None] | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self._lifeline_read, self._lifeline_write = os.pipe()

    @property
    def pids(self) -> list[int]:
        return [proc.pid for proc in self._procs.values()]

    async def start(self) -> None:
        """Start every worker and wait until each one serves HTTP."""
        await asyncio.gather(*(self._spawn(index) for index in range(1, self.count + 1)))
        self._watcher = asyncio.create_task(self._watch(), name="smsgate-http-workers")

    async def stop(self) -> None:
        self._stopping = True
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
        for proc in self._procs.values():
            if proc.returncode is None:
                proc.terminate()
        for proc in self._procs.values():
            try:
                await asyncio.wait_for(proc.wait(), STOP_TIMEOUT)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        os.close(self._lifeline_write)
        os.close(self._lifeline_read)

    async def _spawn(self, index: int) -> None:
        ready_read, ready_write = os.pipe()
        link = WorkerLink(
            index=index,
            listen_fd=self.listen.fileno(),
            ready_fd=ready_write,
            lifeline_fd=self._lifeline_read,
            wake_port=self.wake_port,
            counters=str(self.counters),
            workers=self.count,
            smpp=self.smpp and index == 1,
            bell_read_fd=self.bell.fds[0],
            bell_write_fd=self.bell.fds[1],
        )
        try:
            self._procs[index] = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "smsgate",
                "http-worker",
                *link.argv(),
                pass_fds=(link.listen_fd, ready_write, self._lifeline_read, *self.bell.fds),
            )
        finally:
            os.close(ready_write)
        try:
            reading = asyncio.to_thread(os.read, ready_read, 64)
            answer = (await asyncio.wait_for(reading, START_TIMEOUT)).split()
        finally:
            os.close(ready_read)
        if not answer or answer[0] != READY:
            raise RuntimeError(f"worker {index} did not start")
        if len(answer) > 1:
            self.smpp_port = int(answer[1])

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(RESPAWN_DELAY)
            for index, proc in list(self._procs.items()):
                if proc.returncode is not None and not self._stopping:
                    log.error(
                        "HTTP worker %d exited with %s; starting it again", index, proc.returncode
                    )
                    try:
                        await self._spawn(index)
                    except (OSError, RuntimeError):
                        log.exception("HTTP worker %d could not be started", index)
