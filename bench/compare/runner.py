"""The comparison loop and the measurement of one run.

For every repetition and workload the gateways take turns; each run gets a fresh
gateway, a warm-up on its own tag, then the measured messages on a new tag, counted
at the common peer (a separate process). A run never waits more than LOAD_LIMIT for
the requests and SINK_WAIT after them; whatever has not arrived by then is lost.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from bench.compare.esme import Esme, submit_pdu
from bench.compare.gateways import Gateway, Sink
from bench.compare.smsgate_gateway import free_port
from bench.loadgen import run_load

ADAPTERS = {
    "smsgate": ("bench.compare.smsgate_gateway", "Smsgate"),
    "smsgate-postgres": ("bench.compare.smsgate_gateway", "SmsgatePostgres"),
    "jasmin": ("bench.compare.jasmin_gateway", "Jasmin"),
    "kannel": ("bench.compare.kannel_gateway", "Kannel"),
}
DEFAULT_GATEWAYS = ("smsgate", "jasmin", "kannel")  # smsgate-postgres when asked for
LOAD_LIMIT = 300.0
SINK_WAIT = 120.0
WARMUP_WAIT = 60.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True, slots=True)
class Workload:
    name: str
    kind: Literal["single", "bulk", "smpp"]
    count: int
    concurrency: int  # connections, or the SMPP window
    receipts: bool = False
    batch: int = 1  # recipients per request


@dataclass(slots=True)
class Run:
    """One (gateway, workload, repetition); times in seconds from the first request."""

    gateway: str
    workload: str
    rep: int
    status: str = "ok"  # or "n/a", "not installed: ...", "failed: ..."
    version: str = ""
    messages: int = 0
    accepted: int = 0
    errors: int = 0
    accepted_per_s: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    arrived: int = 0
    lost: int = 0
    duplicates: int = 0
    sink_s: float | None = None
    end_to_end_per_s: float = 0.0
    receipts: int | None = None
    receipt_duplicates: int = 0
    receipts_s: float | None = None
    cpu: dict[str, float] = field(default_factory=dict)
    # CPU time of the gateway's own processes over the run, per message that arrived
    cpu_us_per_msg: float | None = None
    note: str = ""


def destination(k: int) -> str:
    return f"+39333{k % 10**7:07d}"


def one_line(text: str, limit: int = 300) -> str:
    """`text` fit for one table cell: whitespace collapsed, no pipes, at most `limit` long."""
    return " ".join(text.replace("|", "/").split())[:limit]


def new_tag() -> str:
    return "cmp" + secrets.token_hex(4)


def cpu_ticks(pid: int) -> int | None:
    """utime + stime of `pid` in clock ticks, or None once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return int(fields[11]) + int(fields[12])


class PeerProcess:
    """`python -m bench.compare.peer` on free ports, and a client for its control port."""

    def __init__(self) -> None:
        self.smpp_port, self.http_port, self.control_port = free_port(), free_port(), free_port()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.compare.peer", "--smpp-port", str(self.smpp_port),
             "--http-port", str(self.http_port), "--control-port", str(self.control_port)],
            cwd=REPO,
            stdout=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if "peer ready" not in line:
            self.stop()
            raise RuntimeError(f"the peer did not start: {line!r}")
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    @property
    def pid(self) -> int:
        return self.proc.pid

    async def call(self, op: str, **fields: object) -> dict[str, Any]:
        if self.reader is None or self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.control_port)
        self.writer.write(json.dumps({"op": op, **fields}).encode() + b"\n")
        answer: dict[str, Any] = json.loads(await self.reader.readline())
        return answer

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            await self.writer.wait_closed()
        self.stop()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


HARNESS = ("sink", "load")  # the peer process and this one (load generator, ESME)


class CpuMeter:
    """CPU time of named processes between `__init__` and `percent` (or `seconds`)."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.started = time.monotonic()
        self.pids = dict(pids)
        self.before = {name: cpu_ticks(pid) for name, pid in pids.items()}

    def seconds(self) -> dict[str, float]:
        """CPU seconds of each process still running since `__init__`."""
        used: dict[str, float] = {}
        for name, pid in self.pids.items():
            before, after = self.before.get(name), cpu_ticks(pid)
            if before is not None and after is not None:
                used[name] = (after - before) / CLOCK_TICKS
        return used

    def percent(self, used: dict[str, float] | None = None) -> dict[str, float]:
        wall = max(time.monotonic() - self.started, 1e-6)
        used = self.seconds() if used is None else used
        return {name: round(cpu / wall * 100, 1) for name, cpu in used.items()}


async def wait_arrivals(
    peer: PeerProcess,
    tag: str,
    expected: int,
    receipts: Callable[[dict[str, Any]], int] | None,
    limit: float,
) -> dict[str, Any]:
    """Poll the peer until `expected` messages (and receipts) arrived, or `limit` passes."""
    deadline = time.monotonic() + limit
    while True:
        stats = await peer.call("stats", tag=tag)
        done = stats["unique"] >= expected and (receipts is None or receipts(stats) >= expected)
        if done or time.monotonic() > deadline:
            return stats
        await asyncio.sleep(0.05)


class Comparison:
    """The gateways, the peer and the options of one `python -m bench.compare`."""

    def __init__(self, peer: PeerProcess, work: Path, warmup: int) -> None:
        self.peer = peer
        self.work = work
        self.warmup = warmup
        self.missing: dict[tuple[str, str], bool] = {}  # (gateway, kind) the gateway lacks

    @property
    def sink(self) -> Sink:
        return Sink("127.0.0.1", self.peer.smpp_port)

    async def run(self, name: str, gateway: Gateway, workload: Workload, rep: int) -> Run:
        run = Run(name, workload.name, rep, version=gateway.version, messages=workload.count)
        if self.missing.get((name, workload.kind)):
            run.status = "n/a"
            return run
        await self.peer.call("reset")
        tag = new_tag()
        callback = f"http://127.0.0.1:{self.peer.http_port}/callback/{tag}"
        try:
            gateway.start(self.work, self.sink, callback if workload.receipts else None)
        except Exception as exc:
            run.status = one_line(f"failed: start: {exc}")
            return run
        try:
            if workload.kind == "smpp":
                await self._smpp(gateway, workload, run, tag)
            else:
                await self._http(gateway, workload, run, tag)
        except Exception as exc:
            run.status = one_line(f"failed: {type(exc).__name__}: {exc}")
        finally:
            gateway.stop()
        return run

    async def _http(self, gateway: Gateway, workload: Workload, run: Run, tag: str) -> None:
        host, port = gateway.http_address()
        if workload.kind == "bulk":
            probe = gateway.bulk_request([destination(0)], f"{tag} 000000")
            if probe is None:
                self.missing[(run.gateway, "bulk")] = True
                run.status = "n/a"
                return
        # Warm-up: single messages on their own tag, no receipts.
        warm = new_tag()
        await self.peer.call("arm", tag=warm, receipts=False)
        warm_requests = [
            gateway.message_request(destination(i), f"{warm} {i:06d}", False)
            for i in range(self.warmup)
        ]
        warm_ok = [0]
        await run_load(
            host, port, warm_requests.__getitem__, total=len(warm_requests), concurrency=10,
            on_response=lambda s, b: warm_ok.__setitem__(0, warm_ok[0] + gateway.accepted(s, b)),
            time_limit=WARMUP_WAIT,
        )  # fmt: skip
        await self._warmed(warm, warm_ok[0], run)

        await self.peer.call("arm", tag=tag, receipts=workload.receipts)
        batch = workload.batch
        total = max(1, workload.count // batch)
        run.messages = total * batch
        requests: list[bytes] = []
        for i in range(total):
            text = f"{tag} {i:06d}"
            if workload.kind == "bulk":
                built = gateway.bulk_request(
                    [destination(i * batch + j) for j in range(batch)], text
                )
                assert built is not None
                requests.append(built)
            else:
                requests.append(gateway.message_request(destination(i), text, workload.receipts))
        accepted = [0]

        def count(status: int, body: bytes) -> None:
            taken = gateway.accepted(status, body)
            # Some gateways answer a many-recipient request as they answer a single one
            # (Kannel: "0: Accepted for delivery"): an accepted batch counts whole.
            accepted[0] += (batch if taken else 0) if workload.kind == "bulk" else taken

        meter = self._meter(gateway)
        result = await run_load(
            host, port, requests.__getitem__, total=total, concurrency=workload.concurrency,
            on_response=count, time_limit=LOAD_LIMIT,
        )  # fmt: skip
        first = result.started or meter.started
        _record_load(run, accepted[0], result, "requests")
        receipts = (lambda s: int(s["callbacks"])) if workload.receipts else None
        stats = await wait_arrivals(self.peer, tag, run.accepted, receipts, SINK_WAIT)
        self._finish(run, stats, meter, first)
        if workload.receipts:  # callbacks are counted per run tag: beyond accepted are repeats
            run.receipts = min(int(stats["callbacks"]), run.accepted)
            run.receipt_duplicates = int(stats["callbacks"]) - run.receipts
            if run.receipts:
                run.receipts_s = stats["callback_last"] - first

    async def _smpp(self, gateway: Gateway, workload: Workload, run: Run, tag: str) -> None:
        endpoint = gateway.smpp_endpoint()
        if endpoint is None:
            self.missing[(run.gateway, "smpp")] = True
            run.status = "n/a"
            return
        esme = await Esme.bind(endpoint)
        try:
            warm = new_tag()
            await self.peer.call("arm", tag=warm, receipts=False)
            warm_pdus = [
                submit_pdu(i + 1, destination(i), f"{warm} {i:06d}", False)
                for i in range(self.warmup)
            ]
            warmed = await esme.submit_all(warm_pdus, workload.concurrency, WARMUP_WAIT)
            await self._warmed(warm, warmed.accepted, run)

            await self.peer.call("arm", tag=tag, receipts=workload.receipts)
            pdus = [
                submit_pdu(i + 1, destination(i), f"{tag} {i:06d}", workload.receipts)
                for i in range(workload.count)
            ]
            meter = self._meter(gateway)
            result = await esme.submit_all(pdus, workload.concurrency, LOAD_LIMIT)
            _record_load(run, result.accepted, result, "submits")
            receipts = (lambda _s: esme.unique_receipts) if workload.receipts else None
            stats = await wait_arrivals(self.peer, tag, run.accepted, receipts, SINK_WAIT)
            self._finish(run, stats, meter, result.started)
            if workload.receipts:
                run.receipts = esme.unique_receipts
                run.receipt_duplicates = esme.duplicate_receipts
                if esme.receipt_last:
                    run.receipts_s = esme.receipt_last - result.started
        finally:
            await esme.close()

    async def _warmed(self, tag: str, accepted: int, run: Run) -> None:
        stats = await wait_arrivals(self.peer, tag, accepted, None, WARMUP_WAIT)
        if stats["unique"] < self.warmup:
            run.note = f"warm-up: {stats['unique']}/{self.warmup} arrived"

    def _meter(self, gateway: Gateway) -> CpuMeter:
        return CpuMeter({**gateway.pids(), "sink": self.peer.pid, "load": os.getpid()})

    def _finish(self, run: Run, stats: dict[str, Any], meter: CpuMeter, first: float) -> None:
        """Counts from the peer; times from `first`, the first request's time.monotonic()."""
        used = meter.seconds()
        run.cpu = meter.percent(used)
        run.arrived = int(stats["unique"])
        run.duplicates = int(stats["duplicates"])
        run.lost = max(0, run.accepted - run.arrived)
        if run.arrived:
            run.sink_s = stats["last_new"] - first
            run.end_to_end_per_s = run.arrived / run.sink_s if run.sink_s > 0 else 0.0
            own = sum(cpu for name, cpu in used.items() if name not in HARNESS)
            run.cpu_us_per_msg = own / run.arrived * 1e6


def load_gateway(name: str) -> Gateway:
    module_name, class_name = ADAPTERS[name]
    module = importlib.import_module(module_name)
    gateway: Gateway = getattr(module, class_name)()
    return gateway


async def compare(
    names: list[str],
    workloads: list[Workload],
    reps: int,
    work: Path,
    warmup: int,
    about: dict[str, dict[str, str]],
    log: Callable[[str], None] = print,
) -> list[Run]:
    """Every run, gateways alternating within each repetition and workload; `about`
    receives each gateway's version and settings."""
    work.mkdir(parents=True, exist_ok=True)
    gateways: dict[str, Gateway] = {}
    runs: list[Run] = []
    for name in names:
        try:
            gateway = load_gateway(name)
            log(f"installing {name} ...")
            gateway.install(work)
            gateways[name] = gateway
            about[name] = {"version": gateway.version, "settings": gateway.settings}
        except Exception as exc:
            reason = one_line(f"not installed: {type(exc).__name__}: {exc}")
            log(f"{name}: {reason}")
            about[name] = {"version": "", "settings": reason}
            runs += [Run(name, w.name, 1, status=reason) for w in workloads]
    if not gateways:
        return runs
    peer = PeerProcess()
    comparison = Comparison(peer, work, warmup)
    try:
        for rep in range(1, reps + 1):
            for workload in workloads:
                for name, gateway in gateways.items():
                    run = await comparison.run(name, gateway, workload, rep)
                    runs.append(run)
                    log(progress(run))
    finally:
        await peer.close()
    return runs


def progress(run: Run) -> str:
    head = f"rep {run.rep} {run.workload:<13} {run.gateway:<8}"
    if run.status != "ok":
        return f"{head} {run.status}"
    line = (
        f"{head} accepted {run.accepted}/{run.messages} {run.accepted_per_s:,.0f}/s, "
        f"end-to-end {run.end_to_end_per_s:,.0f}/s, lost {run.lost} dup {run.duplicates}"
    )
    if run.receipts is not None:
        line += f", receipts {run.receipts}"
    return line + (f" ({run.note})" if run.note else "")


class _Load(Protocol):
    elapsed: float
    timed_out: bool

    def percentile(self, q: float) -> float: ...


def _record_load(run: Run, accepted: int, result: _Load, what: str) -> None:
    """What the client saw: accepted count and rate, latency percentiles, a time-out."""
    run.accepted = accepted
    run.errors = run.messages - accepted
    run.accepted_per_s = accepted / result.elapsed if result.elapsed else 0.0
    run.p50_ms = result.percentile(0.5) * 1000
    run.p99_ms = result.percentile(0.99) * 1000
    if result.timed_out:
        run.note = f"{what} stopped after {LOAD_LIMIT:.0f} s"
