"""Node identity and leases: each gateway core registers its node id in the store with a
lease on the database's clock and renews it by a heartbeat. A message claimed `sending`
carries its node's id, so recovery takes back only the claims of this node's previous
life and of nodes whose lease ran out, never a live node's.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Callable
from dataclasses import KW_ONLY, dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

from smsgate.core.errors import Conflict

log = logging.getLogger(__name__)

LEASE_SECONDS = 10.0
RENEW_RETRY = 1.0  # seconds between tries of renewing a lease while the store fails
# Messages were accepted: a node that dispatches should claim.
DUE = "smsgate_due"
# A listener is called with this payload after a lost connection is back: signals may
# have been missed meanwhile, so anything may have changed.
RESYNC = ""


@dataclass(frozen=True, slots=True)
class Node:
    """A registered node: `lease_until` is on the database's clock."""

    id: str
    host: str
    pid: int
    started_at: float
    lease_until: float


@runtime_checkable
class NodeStore(Protocol):
    async def register_node(self, node_id: str, host: str, pid: int, lease: float) -> None:
        """Store the node (replacing a row of the same id) with a lease of `lease` seconds
        from the database's now."""
        ...

    async def renew_node(self, node_id: str, pid: int, lease: float) -> bool:
        """Extend the lease; False when the id is no longer this `pid`'s."""
        ...

    async def drop_node(self, node_id: str, pid: int) -> None:
        """Forget the node if the row is still this `pid`'s."""
        ...

    async def live_nodes(self) -> list[Node]:
        """The nodes whose lease has not run out on the database's clock."""
        ...

    async def signal(self, channel: str, payload: str = "") -> None:
        """Wake every process that listens on `channel`, in every node, with `payload`
        (PostgreSQL NOTIFY; on SQLite a row the listeners poll for)."""
        ...

    async def listen(self, channel: str, callback: Callable[[str], None]) -> None:
        """Call `callback(payload)` on every signal on `channel` from now on (and
        `callback(RESYNC)` once after a lost connection is back); returns once listening."""
        ...


def default_node_id(data_dir: str) -> str:
    """The host name and the data directory: unique for every gateway on a host."""
    return f"{socket.gethostname()}:{Path(data_dir).resolve()}"


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass(eq=False, slots=True)
class NodeService:
    """Registers this process as node `node_id` and keeps its lease alive."""

    store: NodeStore
    node_id: str
    _: KW_ONLY
    lease: float = LEASE_SECONDS
    host: str = field(default_factory=socket.gethostname)
    pid: int = field(default_factory=os.getpid)
    _failed_at: float | None = field(init=False, default=None)  # the last failed renewal

    def steady(self, seconds: float) -> bool:
        """Whether no renewal of the lease failed in the last `seconds`: after the store
        was out of reach for every node, the others had time to renew theirs, so a lease
        that ran out then belongs to a dead node."""
        failed = self._failed_at
        return failed is None or asyncio.get_running_loop().time() - failed >= seconds

    async def register(self) -> None:
        """Take the node id; Conflict when a live process elsewhere (or still running
        here) holds it. A holder on this host whose process is gone died without leaving:
        its id is taken over at once."""
        for node in await self.store.live_nodes():
            if node.id != self.node_id or node.pid == self.pid:
                continue
            if node.host != self.host or _running(node.pid):
                raise Conflict(
                    f"node id {self.node_id} is held by process {node.pid} on {node.host};"
                    " give each gateway its own SMSGATE_NODE_ID"
                )
        await self.store.register_node(self.node_id, self.host, self.pid, self.lease)

    async def run(self) -> None:
        """Renew the lease three times per lease period (every RENEW_RETRY seconds while
        that fails), registering again if lost."""
        pause = self.lease / 3
        while True:
            await asyncio.sleep(pause)
            try:
                if not await self.store.renew_node(self.node_id, self.pid, self.lease):
                    log.warning("node %s lost its lease; registering again", self.node_id)
                    await self.store.register_node(self.node_id, self.host, self.pid, self.lease)
            except Exception:
                log.exception("node %s: lease not renewed", self.node_id)
                self._failed_at = asyncio.get_running_loop().time()
                pause = min(RENEW_RETRY, self.lease / 3)
            else:
                pause = self.lease / 3

    async def leave(self) -> None:
        await self.store.drop_node(self.node_id, self.pid)


@dataclass(eq=False, slots=True)
class Announcer:
    """Signals `channel` at most once per event-loop iteration however often it is
    called: a burst of accepts costs one NOTIFY."""

    store: NodeStore
    channel: str
    _pending: asyncio.Task[None] | None = field(default=None, init=False)

    def __call__(self) -> None:
        if self._pending is None or self._pending.done():
            self._pending = asyncio.get_running_loop().create_task(self._signal())

    async def _signal(self) -> None:
        try:
            await self.store.signal(self.channel)
        except Exception:
            log.exception("signal %s not sent", self.channel)
