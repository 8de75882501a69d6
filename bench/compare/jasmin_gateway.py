"""Jasmin 0.11.1 as a gateway under test.

Owns everything under `work/jasmin`: a virtualenv with Jasmin and two source fixes,
the configuration of jasmind, dlrd and dlrlookupd, their logs, and a jCli client that
provisions a user, a connector to the sink and a default route. Each start gets its
own RabbitMQ vhost and Redis database index, emptied first.
"""

from __future__ import annotations

import configparser
import os
import re
import shutil
import socket
import subprocess
import tarfile
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

from bench.compare.gateways import Sink, SmppEndpoint

VERSION = "0.11.1"
HOST = "127.0.0.1"
VHOST = "jasmin-bench"
REDIS_DB = 7
GROUP = "bench"
USERNAME = "bench"
PASSWORD = "benchpw"  # at most 8 characters: it is also an SMPP bind password
CONNECTOR = "sink"
DAEMON_ID = "bench"
JCLI_ADMIN = ("jcliadmin", "jclipwd")
SPEC_MEMBER = f"jasmin-{VERSION}/misc/config/resource/amqp0-9-1.xml"
LOCK_FILES = {  # held by each daemon while it runs (lockfile's hard-link locks)
    "jasmind": Path("/tmp/jasmind.lock"),
    "dlrd": Path(f"/tmp/dlrd-{DAEMON_ID}.lock"),
    "dlrlookupd": Path(f"/tmp/dlrlookupd-{DAEMON_ID}.lock"),
}
STARTUP_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 15.0

# The 0.11.1 text of the receipt mapping after a submit_sm_resp: `_pdu` is the request.
RECEIPT_MAPPING = (
    "                dlr = DLR(pdu_type=_pdu.response.id, msgid=msgid,"
    " status=_pdu.response.status,\n"
    "                          smpp_msgid=_pdu.response.params['message_id'])\n"
    "            else:\n"
    "                dlr = DLR(pdu_type=_pdu.response.id, msgid=msgid,"
    " status=_pdu.response.status)\n"
)
# (file under site-packages, text shipped in 0.11.1, replacement)
SOURCE_FIXES: tuple[tuple[str, str, str], ...] = (
    (  # map the receipt from the response wrapper, which holds the submit_sm_resp
        "jasmin/managers/listeners.py",
        RECEIPT_MAPPING,
        RECEIPT_MAPPING.replace("_pdu.response", "r.response"),
    ),
    (  # without a Redis password the configured dbid was never selected (always db 0)
        "jasmin/redis/client.py",
        "factory = RedisForJasminFactory(uuid, None, poolsize,",
        "factory = RedisForJasminFactory(uuid, dbid, poolsize,",
    ),
)

TELNET_IAC, TELNET_SB, TELNET_SE = 255, 250, 240
TELNET_WILL, TELNET_WONT, TELNET_DO, TELNET_DONT = 251, 252, 253, 254
ANSI_ESCAPE = re.compile(r"\x1b(?:\[[0-9;?]*[ -/]*[@-~]|[()][0-9A-Za-z]|[@-_])")
PROMPTS = ("jcli : ", "> ", "Username: ", "Password: ")
AUTH_BANNER = "Authentication required.\n\n"


class JCliError(RuntimeError):
    """jCli refused a command or did not answer."""


class JCli:
    """A line client for jCli's telnet console: refuses every telnet option, strips
    terminal escapes and returns what each command printed before the next prompt."""

    def __init__(self, port: int, timeout: float = 10.0) -> None:
        self._sock = socket.create_connection((HOST, port), timeout=timeout)
        self._pending = b""
        self._read_until(lambda text: text.endswith(AUTH_BANNER))

    def close(self) -> None:
        self._sock.close()

    def __enter__(self) -> JCli:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def login(self, username: str, password: str) -> None:
        self.command(username)
        answer = self.command(password)
        if "Incorrect" in answer:
            raise JCliError(f"jCli login refused: {answer!r}")

    def command(self, line: str) -> str:
        """Send one line; return its answer without the echo and the prompt."""
        self._sock.sendall(line.encode() + b"\r\n")
        text = self._read_until(lambda text: "\n" in text and text.endswith(PROMPTS))
        answer = text.split("\n", 1)[1] if "\n" in text else ""
        for prompt in PROMPTS:
            if answer.endswith(prompt):
                answer = answer[: -len(prompt)]
                break
        return answer.strip()

    def expect(self, line: str, wanted: str = "") -> str:
        """Run `line`; fail unless the answer contains `wanted` (or is empty when not given)."""
        answer = self.command(line)
        if (wanted and wanted not in answer) or (not wanted and answer):
            raise JCliError(f"jCli {line!r} answered {answer!r}")
        return answer

    def _read_until(self, complete: Callable[[str], bool]) -> str:
        raw = b""
        while True:
            chunk = self._sock.recv(65536)
            if not chunk:
                raise JCliError(f"jCli closed the connection after {raw!r}")
            raw += self._telnet_data(chunk)
            text = ANSI_ESCAPE.sub("", raw.decode(errors="replace")).replace("\r", "")
            if complete(text):
                return text

    def _telnet_data(self, chunk: bytes) -> bytes:
        """Drop telnet commands from `chunk`, answering every option request with a no."""
        buf, self._pending = self._pending + chunk, b""
        out = bytearray()
        replies = bytearray()
        i = 0
        while i < len(buf):
            byte = buf[i]
            if byte != TELNET_IAC:
                out.append(byte)
                i += 1
                continue
            if i + 1 >= len(buf):
                self._pending = buf[i:]
                break
            verb = buf[i + 1]
            if verb == TELNET_IAC:
                out.append(TELNET_IAC)
                i += 2
            elif verb in (TELNET_WILL, TELNET_WONT, TELNET_DO, TELNET_DONT):
                if i + 2 >= len(buf):
                    self._pending = buf[i:]
                    break
                if verb in (TELNET_WILL, TELNET_DO):
                    refusal = TELNET_DONT if verb == TELNET_WILL else TELNET_WONT
                    replies += bytes((TELNET_IAC, refusal, buf[i + 2]))
                i += 3
            elif verb == TELNET_SB:
                end = buf.find(bytes((TELNET_IAC, TELNET_SE)), i + 2)
                if end < 0:
                    self._pending = buf[i:]
                    break
                i = end + 2
            else:
                i += 2
        if replies:
            self._sock.sendall(bytes(replies))
        return bytes(out)


def free_ports(count: int) -> list[int]:
    """`count` distinct TCP ports free on loopback right now."""
    socks = [socket.socket() for _ in range(count)]
    try:
        for sock in socks:
            sock.bind((HOST, 0))
        return [int(sock.getsockname()[1]) for sock in socks]
    finally:
        for sock in socks:
            sock.close()


def run(*argv: str) -> str:
    """Run a command, fail loudly on a non-zero exit, return its stdout."""
    done = subprocess.run(argv, capture_output=True, text=True, timeout=300, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {done.returncode}: {done.stderr.strip()}")
    return done.stdout


def apply_fix(path: Path, old: str, new: str) -> None:
    """Replace `old` (present exactly once) by `new` in `path`; no-op when already done."""
    source = path.read_text()
    if source.count(old) == 1:
        path.write_text(source.replace(old, new))
    elif not (source.count(old) == 0 and new in source):
        raise RuntimeError(f"{path}: expected text found {source.count(old)} times, not once")


def release_stale_lock(lock: Path, pid: int) -> None:
    """Remove the lock a killed daemon held (a hard link to a file named after its pid),
    which would make the next daemon refuse to start; a lock held by another process
    is left alone."""
    try:
        inode = lock.stat().st_ino
    except FileNotFoundError:
        return
    owned = [p for p in lock.parent.glob(f"*.{pid}*") if p.stat().st_ino == inode]
    if owned:
        for path in [*owned, lock]:
            path.unlink(missing_ok=True)


def write_config(path: Path, sections: dict[str, dict[str, str | int]]) -> None:
    parser = configparser.RawConfigParser()
    for name, options in sections.items():
        parser[name] = {key: str(value) for key, value in options.items()}
    with path.open("w") as out:
        parser.write(out)


class Jasmin:
    """Jasmin 0.11.1: jasmind (HTTP API, router, SMPP client and server) plus dlrd and
    dlrlookupd for receipts, over RabbitMQ and Redis already running on loopback."""

    name = "jasmin"
    version = VERSION
    settings = (
        "smppc submit_throughput 0 (default 1 msg/s); user quotas balance, sms_count, "
        "http_throughput, smpps_throughput, max_bindings none (unlimited, as default); "
        "dlrd + dlrlookupd started; source fixes: receipt mapping (r.response), Redis dbid"
    )

    def __init__(self) -> None:
        self._root = Path()
        self._ports: dict[str, int] = {}
        self._callback_url: str | None = None
        self._procs: dict[str, subprocess.Popen[bytes]] = {}
        self._shared_pids: dict[str, int] = {}

    # -- install ---------------------------------------------------------------

    def install(self, work: Path) -> None:
        root = work.resolve() / "jasmin"
        marker = root / f"installed-{VERSION}"
        if marker.exists():
            return
        root.mkdir(parents=True, exist_ok=True)
        venv = root / "venv"
        if not (venv / "bin" / "python").exists():
            python3 = shutil.which("python3")
            if python3 is None:
                raise RuntimeError("python3 not found on PATH")
            run(python3, "-m", "venv", str(venv))
        pip = str(venv / "bin" / "pip")
        run(pip, "install", "--quiet", f"jasmin=={VERSION}")
        self._install_spec(root, pip)
        package = run(
            str(venv / "bin" / "python"), "-c", "import jasmin; print(jasmin.__path__[0])"
        )
        site_packages = Path(package.strip()).parent
        for relative, old, new in SOURCE_FIXES:
            apply_fix(site_packages / relative, old, new)
        marker.write_text(f"jasmin {VERSION}\n")

    def _install_spec(self, root: Path, pip: str) -> None:
        spec = root / "resource" / "amqp0-9-1.xml"
        if spec.exists():
            return
        sdist_dir = root / "sdist"
        run(pip, "download", "--quiet", "--no-binary", ":all:", "--no-deps",
            "-d", str(sdist_dir), f"jasmin=={VERSION}")  # fmt: skip
        with tarfile.open(sdist_dir / f"jasmin-{VERSION}.tar.gz") as sdist:
            member = sdist.extractfile(SPEC_MEMBER)
            if member is None:
                raise RuntimeError(f"{SPEC_MEMBER} missing from the sdist")
            spec.parent.mkdir(parents=True, exist_ok=True)
            spec.write_bytes(member.read())

    # -- start / stop ------------------------------------------------------------

    def start(self, work: Path, sink: Sink, callback_url: str | None) -> None:
        if self._procs:
            raise RuntimeError("Jasmin is already running; stop() it first")
        self._root = root = work.resolve() / "jasmin"
        if not (root / f"installed-{VERSION}").exists():
            raise RuntimeError(f"Jasmin is not installed under {root}; call install() first")
        self._callback_url = callback_url
        for name in ("etc", "log", "store"):
            shutil.rmtree(root / name, ignore_errors=True)
            (root / name).mkdir(parents=True)
        self._reset_broker_and_redis()
        names = ("http", "smpp", "jcli", "router_pb", "smppcm_pb", "smpps_pb")
        self._ports = dict(zip(names, free_ports(len(names)), strict=True))
        self._write_configs()
        try:
            self._launch()
            self._provision(sink)
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        self._shared_pids = self._find_shared_pids()

    def stop(self) -> None:
        for name in ("dlrd", "dlrlookupd", "jasmind"):
            proc = self._procs.pop(name, None)
            if proc is not None:
                self._terminate(name, proc)
        if self._root == Path():
            return  # never started
        if self._vhost_exists():
            run("rabbitmqctl", "-q", "delete_vhost", VHOST)
        run("redis-cli", "-n", str(REDIS_DB), "FLUSHDB")

    def _terminate(self, name: str, proc: subprocess.Popen[bytes]) -> None:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(STOP_TIMEOUT_S)
                return
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(STOP_TIMEOUT_S)
        release_stale_lock(LOCK_FILES[name], proc.pid)

    def _vhost_exists(self) -> bool:
        return VHOST in run("rabbitmqctl", "-q", "list_vhosts", "name").split()

    def _reset_broker_and_redis(self) -> None:
        if self._vhost_exists():
            run("rabbitmqctl", "-q", "delete_vhost", VHOST)
        run("rabbitmqctl", "-q", "add_vhost", VHOST)
        run("rabbitmqctl", "-q", "set_permissions", "-p", VHOST, "guest", ".*", ".*", ".*")
        run("redis-cli", "-n", str(REDIS_DB), "FLUSHDB")

    def _write_configs(self) -> None:
        etc, p = self._root / "etc", self._ports
        amqp: dict[str, str | int] = {
            "host": HOST,
            "port": 5672,
            "vhost": VHOST,
            "spec": str(self._root / "resource" / "amqp0-9-1.xml"),
        }
        redis: dict[str, str | int] = {"host": HOST, "port": 6379, "dbid": REDIS_DB}
        local: dict[str, str | int] = {"bind": HOST}
        write_config(
            etc / "jasmin.cfg",
            {
                "smpp-server": {**local, "port": p["smpp"]},
                "smpp-server-pb": {**local, "port": p["smpps_pb"]},
                "client-management": {**local, "port": p["smppcm_pb"]},
                "router": {**local, "port": p["router_pb"]},
                "http-api": {**local, "port": p["http"]},
                "jcli": {**local, "port": p["jcli"]},
                "amqp-broker": amqp,
                "redis-client": redis,
            },
        )
        write_config(
            etc / "dlr.cfg",
            {"smpp-server-pb-client": {"host": HOST, "port": p["smpps_pb"]}, "amqp-broker": amqp},
        )
        write_config(
            etc / "dlrlookupd.cfg",
            {"amqp-broker": amqp, "redis-client": redis, "dlr": {"pid": f"dlrlookupd-{DAEMON_ID}"}},
        )

    def _launch(self) -> None:
        root, bin_dir = self._root, self._root / "venv" / "bin"
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": os.environ.get("HOME", str(root)),
            "LANG": "C.UTF-8",
            "PYTHONUNBUFFERED": "1",
            "ROOT_PATH": str(root),
            "CONFIG_PATH": str(root / "etc"),
            "STORE_PATH": str(root / "store"),
            "RESOURCE_PATH": str(root / "resource"),
            "LOG_PATH": str(root / "log"),
        }
        commands = {
            "jasmind": ["jasmind.py", "-c", str(root / "etc" / "jasmin.cfg")],
            "dlrlookupd": ["dlrlookupd.py", "-c", str(root / "etc" / "dlrlookupd.cfg")],
            "dlrd": ["dlrd.py", "-c", str(root / "etc" / "dlr.cfg")],
        }
        for name, (script, *args) in commands.items():
            if name != "jasmind":
                args += ["--id", DAEMON_ID]
            with (root / "log" / f"{name}.out").open("wb") as out:
                self._procs[name] = subprocess.Popen(
                    [str(bin_dir / "python"), str(bin_dir / script), *args],
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    env=env,
                    cwd=root,
                )
            if name == "jasmind":
                self._wait_port(self._ports["jcli"])

    def _check_alive(self) -> None:
        for name, proc in self._procs.items():
            if proc.poll() is not None:
                tail = (self._root / "log" / f"{name}.out").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"{name} exited with {proc.returncode}:\n{tail}")

    def _wait_port(self, port: int) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            self._check_alive()
            try:
                socket.create_connection((HOST, port), timeout=1.0).close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"nothing listens on {HOST}:{port}") from None
                time.sleep(0.2)

    def _provision(self, sink: Sink) -> None:
        """A group, a user (HTTP and SMPP server credentials) without quotas, a
        transceiver connector to the sink without throughput cap, a default route."""
        unlimited = "none"
        blocks: list[tuple[str, list[str]]] = [
            ("group -a", [f"gid {GROUP}"]),
            (
                "user -a",
                [
                    f"username {USERNAME}",
                    f"password {PASSWORD}",
                    f"gid {GROUP}",
                    f"uid {USERNAME}",
                    f"mt_messaging_cred quota balance {unlimited}",
                    f"mt_messaging_cred quota sms_count {unlimited}",
                    f"mt_messaging_cred quota http_throughput {unlimited}",
                    f"mt_messaging_cred quota smpps_throughput {unlimited}",
                    "smpps_cred authorization bind yes",
                    f"smpps_cred quota max_bindings {unlimited}",
                ],
            ),
            (
                "smppccm -a",
                [
                    f"cid {CONNECTOR}",
                    f"host {sink.host}",
                    f"port {sink.port}",
                    f"username {sink.system_id}",
                    f"password {sink.password}",
                    "bind transceiver",
                    "submit_throughput 0",
                ],
            ),
            ("mtrouter -a", ["type DefaultRoute", f"connector smppc({CONNECTOR})", "rate 0.00"]),
        ]
        with JCli(self._ports["jcli"]) as cli:
            cli.login(*JCLI_ADMIN)
            for opening, keys in blocks:
                cli.expect(opening, "Adding a new")
                for key in keys:
                    cli.expect(key, "arguments:" if key.startswith("type ") else "")
                cli.expect("ok", "Successfully added")
                if opening == "smppccm -a":
                    cli.expect(f"smppccm -1 {CONNECTOR}", "Successfully started")

    def _wait_ready(self) -> None:
        """Block until the connector is bound, the HTTP API answers and both receipt
        daemons consume from the broker."""
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        with JCli(self._ports["jcli"]) as cli:
            cli.login(*JCLI_ADMIN)
            while "BOUND_TRX" not in cli.command("smppccm -l"):
                self._check_alive()
                if time.monotonic() > deadline:
                    raise TimeoutError(f"connector {CONNECTOR} did not bind to the sink")
                time.sleep(0.2)
        while not self._http_ping():
            self._check_alive()
            if time.monotonic() > deadline:
                raise TimeoutError("Jasmin's HTTP API does not answer /ping")
            time.sleep(0.2)
        while not self._receipt_daemons_consuming():
            self._check_alive()
            if time.monotonic() > deadline:
                raise TimeoutError("dlrd / dlrlookupd did not subscribe to their queues")
            time.sleep(0.5)

    def _http_ping(self) -> bool:
        request = f"GET /ping HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n".encode()
        try:
            with socket.create_connection((HOST, self._ports["http"]), timeout=2.0) as sock:
                sock.sendall(request)
                return b"PONG" in sock.recv(4096)
        except OSError:
            return False

    def _receipt_daemons_consuming(self) -> bool:
        out = run("rabbitmqctl", "-q", "list_queues", "-p", VHOST, "name", "consumers")
        consumers = dict(line.split() for line in out.splitlines() if len(line.split()) == 2)
        queues = ("dlr_thrower", f"DLRLookup-dlrlookupd-{DAEMON_ID}")
        return all(consumers.get(queue, "0") != "0" for queue in queues)

    def _find_shared_pids(self) -> dict[str, int]:
        pids: dict[str, int] = {}
        beam = re.search(r"OS PID: (\d+)", run("rabbitmqctl", "status"))
        if beam:
            pids["rabbitmq"] = int(beam.group(1))
        redis = re.search(r"process_id:(\d+)", run("redis-cli", "info", "server"))
        if redis:
            pids["redis-server"] = int(redis.group(1))
        return pids

    # -- traffic -----------------------------------------------------------------

    def http_address(self) -> tuple[str, int]:
        return HOST, self._ports["http"]

    def message_request(self, to: str, text: str, receipt: bool) -> bytes:
        query = {"username": USERNAME, "password": PASSWORD, "to": to, "content": text}
        if receipt:
            if self._callback_url is None:
                raise ValueError("a receipt needs the callback_url given to start()")
            query |= {
                "dlr": "yes",
                "dlr-level": "2",
                "dlr-method": "GET",
                "dlr-url": self._callback_url,
            }
        host, port = self.http_address()
        return (
            f"GET /send?{urlencode(query)} HTTP/1.1\r\n"
            f"Host: {host}:{port}\r\nConnection: keep-alive\r\n\r\n"
        ).encode()

    def bulk_request(self, to: list[str], text: str) -> bytes | None:
        return None  # /send takes one `to`; 0.11.1's HTTP API has no many-recipient send

    def accepted(self, status: int, body: bytes) -> int:
        return 1 if status == 200 and body.startswith(b'Success "') else 0

    def smpp_endpoint(self) -> SmppEndpoint | None:
        return SmppEndpoint(HOST, self._ports["smpp"], USERNAME, PASSWORD)

    def pids(self) -> dict[str, int]:
        return {name: proc.pid for name, proc in self._procs.items()} | self._shared_pids
