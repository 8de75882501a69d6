"""Kannel (Debian package `kannel`) as a gateway under test.

Owns installing the package, the bearerbox/smsbox configuration it writes under
`work/kannel`, the two processes started from it, and the sendsms requests sent to it.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import IO
from urllib.parse import quote, urlencode

from bench.compare.gateways import Sink, SmppEndpoint

HOST = "127.0.0.1"
USERNAME = "bench"
PASSWORD = "bench"
SENDER = "12345"
SMSC_ID = "sink"
ADMIN_PASSWORD = "bench-admin"
MAX_PENDING_SUBMITS = 100
READY_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0
_SBIN = ("/usr/sbin", "/usr/local/sbin", "/sbin")
_INIT_SCRIPT = Path("/etc/init.d/kannel")
_SYSTEM_PIDS = Path("/var/run/kannel")
_ACCEPTED = (b"Accepted for delivery", b"Sent.")

CONFIG = """\
group = core
admin-port = {admin_port}
admin-password = "{admin_password}"
admin-deny-ip = "*.*.*.*"
admin-allow-ip = "127.0.0.1"
smsbox-port = {box_port}
box-deny-ip = "*.*.*.*"
box-allow-ip = "127.0.0.1"
log-file = "{log}/bearerbox.log"
log-level = 1

group = smsc
smsc = smpp
smsc-id = {smsc_id}
host = {sink_host}
port = {sink_port}
transceiver-mode = true
smsc-username = "{system_id}"
smsc-password = "{password}"
system-type = ""
max-pending-submits = {max_pending}

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = {box_port}
sendsms-port = {sendsms_port}
log-file = "{log}/smsbox.log"
log-level = 1

group = sendsms-user
username = "{username}"
password = "{user_password}"
default-sender = "{sender}"
"""


def _binary(name: str) -> str | None:
    path = os.pathsep.join([os.environ.get("PATH", ""), *_SBIN])
    return shutil.which(name, path=path)


def _free_ports(count: int) -> list[int]:
    """Distinct ports free on loopback now (held together so none repeats)."""
    sockets = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind((HOST, 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=0.5):
            return True
    except OSError:
        return False


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _run(args: list[str]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    return subprocess.run(args, capture_output=True, text=True, env=env, check=False)


def _running(pid: int) -> bool:
    """Whether `pid` exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def _system_boxes() -> list[int]:
    """PIDs of the init script's box wrappers (from its pid files) and of their children."""
    wrappers: set[int] = set()
    for pidfile in _SYSTEM_PIDS.glob("*.pid"):
        try:
            wrappers.add(int(pidfile.read_text().split()[0]))
        except (OSError, ValueError, IndexError):
            continue
    pids = set(wrappers)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if parent in wrappers:
            pids.add(int(stat.parent.name))
    return sorted(pids)


class Kannel:
    """bearerbox + smsbox, sending over one SMPP transceiver bind to the sink.

    Kannel answers a sendsms request with the same "0: Accepted for delivery" whether
    it names one recipient or many, so `accepted` counts a bulk answer as 1: count a
    bulk run's messages at the sink.
    """

    name = "kannel"

    def __init__(self) -> None:
        self.version = ""
        self.settings = (
            f"smsc max-pending-submits {MAX_PENDING_SUBMITS} (default 10); all else default: "
            "throughput unlimited, no store, log-level 1"
        )
        self._bearerbox = "bearerbox"
        self._smsbox = "smsbox"
        self._procs: dict[str, subprocess.Popen[bytes]] = {}
        self._outputs: list[IO[bytes]] = []
        self._admin_port = 0
        self._sendsms_port = 0
        self._dlr_url: str | None = None

    # --- install ---------------------------------------------------------------------

    def install(self, work: Path) -> None:
        if _binary("bearerbox") is None or _binary("smsbox") is None:
            self._apt_install()
        bearerbox, smsbox = _binary("bearerbox"), _binary("smsbox")
        if bearerbox is None or smsbox is None:
            raise RuntimeError("kannel is installed but bearerbox/smsbox are not found")
        self._bearerbox, self._smsbox = bearerbox, smsbox
        self.version = self._read_version()

    def _apt_install(self) -> None:
        done = _run(["apt-get", "install", "-y", "kannel"])
        if done.returncode != 0:
            _run(["apt-get", "update"])
            done = _run(["apt-get", "install", "-y", "kannel"])
        if done.returncode != 0:
            raise RuntimeError(f"apt-get install kannel failed:\n{done.stderr[-2000:]}")
        self._stop_system_boxes()

    def _stop_system_boxes(self) -> None:
        """The package's init script may start its own boxes on install: stop them.

        Its `stop` ends the wrappers; bearerbox itself shuts down a few seconds later.
        """
        boxes = _system_boxes()
        if _INIT_SCRIPT.exists():
            _run([str(_INIT_SCRIPT), "stop"])
        deadline = time.monotonic() + STOP_TIMEOUT
        while any(_running(pid) for pid in boxes) and time.monotonic() < deadline:
            time.sleep(0.2)
        left = [pid for pid in boxes if _running(pid)]
        if left:
            raise RuntimeError(f"system kannel processes {left} still run after init stop")

    def _read_version(self) -> str:
        out = subprocess.run(
            [self._bearerbox, "--version"], capture_output=True, text=True, timeout=10
        ).stdout
        found = re.search(r"version `([^']+)'", out)
        upstream = found.group(1) if found else "unknown"
        package = _run(["dpkg-query", "-W", "-f=${Version}", "kannel"]).stdout.strip()
        return f"{upstream} (Debian {package})" if package else upstream

    # --- start / stop ----------------------------------------------------------------

    def start(self, work: Path, sink: Sink, callback_url: str | None) -> None:
        if self._procs:
            self.stop()
        if callback_url is not None and "%" in callback_url:
            raise ValueError("Kannel expands % escapes in dlr-url: use a callback without %")
        self._dlr_url = None
        if callback_url is not None:
            joiner = "&" if "?" in callback_url else "?"
            self._dlr_url = f"{callback_url}{joiner}type=%d"
        home = work / "kannel"
        log = home / "log"
        log.mkdir(parents=True, exist_ok=True)
        self._admin_port, box_port, self._sendsms_port = _free_ports(3)
        conf = home / "kannel.conf"
        conf.write_text(
            CONFIG.format(
                admin_port=self._admin_port,
                admin_password=ADMIN_PASSWORD,
                box_port=box_port,
                log=log,
                smsc_id=SMSC_ID,
                sink_host=sink.host,
                sink_port=sink.port,
                system_id=sink.system_id,
                password=sink.password,
                max_pending=MAX_PENDING_SUBMITS,
                sendsms_port=self._sendsms_port,
                username=USERNAME,
                user_password=PASSWORD,
                sender=SENDER,
            )
        )
        try:
            self._spawn("bearerbox", self._bearerbox, conf, log)
            self._wait(lambda: self._smsc_online() and _port_open(box_port), log)
            self._spawn("smsbox", self._smsbox, conf, log)
            self._wait(lambda: _port_open(self._sendsms_port) and self._box_connected(), log)
        except BaseException:
            self.stop()
            raise

    def _spawn(self, name: str, binary: str, conf: Path, log: Path) -> None:
        output = (log / f"{name}.out").open("ab")
        self._outputs.append(output)
        # -v 4: only panics on the console; the log files get log-level 1.
        self._procs[name] = subprocess.Popen(
            [binary, "-v", "4", str(conf)],
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
        )

    def _wait(self, ready: Callable[[], bool], log: Path) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        while not ready():
            for name, proc in self._procs.items():
                if proc.poll() is not None:
                    raise RuntimeError(
                        f"{name} exited with {proc.returncode}:\n{_tail(log / f'{name}.log')}"
                    )
            if time.monotonic() > deadline:
                tail = _tail(log / "bearerbox.log")
                raise RuntimeError(f"kannel not ready after {READY_TIMEOUT:.0f} s:\n{tail}")
            time.sleep(0.1)

    def _status(self) -> str:
        url = f"http://{HOST}:{self._admin_port}/status.txt?password={ADMIN_PASSWORD}"
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                text: str = answer.read().decode(errors="replace")
                return text
        except (urllib.error.URLError, OSError):
            return ""

    def _smsc_online(self) -> bool:
        return any(
            line.strip().startswith(f"{SMSC_ID}[") and "(online" in line
            for line in self._status().splitlines()
        )

    def _box_connected(self) -> bool:
        return any(line.strip().startswith("smsbox:") for line in self._status().splitlines())

    def stop(self) -> None:
        for name in ("smsbox", "bearerbox"):
            proc = self._procs.pop(name, None)
            if proc is None or proc.poll() is not None:
                continue
            proc.terminate()
            try:
                proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self._procs.clear()
        for output in self._outputs:
            output.close()
        self._outputs.clear()

    # --- requests --------------------------------------------------------------------

    def http_address(self) -> tuple[str, int]:
        if not self._sendsms_port:
            raise RuntimeError("kannel is not started")
        return HOST, self._sendsms_port

    def _request(self, params: dict[str, str]) -> bytes:
        host, port = self.http_address()
        query = urlencode(params, quote_via=quote, safe="")
        return (
            f"GET /cgi-bin/sendsms?{query} HTTP/1.1\r\nHost: {host}:{port}\r\n"
            "Connection: keep-alive\r\n\r\n"
        ).encode()

    def message_request(self, to: str, text: str, receipt: bool) -> bytes:
        params = {"username": USERNAME, "password": PASSWORD, "to": to, "text": text}
        if receipt:
            if self._dlr_url is None:
                raise RuntimeError("a receipt needs the callback_url given to start()")
            params |= {"dlr-mask": "3", "dlr-url": self._dlr_url}
        return self._request(params)

    def bulk_request(self, to: list[str], text: str) -> bytes | None:
        """sendsms takes several recipients separated by spaces in `to`."""
        return self._request(
            {"username": USERNAME, "password": PASSWORD, "to": " ".join(to), "text": text}
        )

    def accepted(self, status: int, body: bytes) -> int:
        return int(status in (200, 202) and any(word in body for word in _ACCEPTED))

    def smpp_endpoint(self) -> SmppEndpoint | None:
        return None

    def pids(self) -> dict[str, int]:
        return {name: proc.pid for name, proc in self._procs.items()}
