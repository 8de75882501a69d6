"""WebhookClient against small HTTP servers on the loopback that answer with raw bytes."""

from __future__ import annotations

import asyncio
import contextlib
import shlex
import shutil
import socket
import ssl
import struct
import subprocess
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from smsgate.webhooks.client import WebhookClient, WebhookError

pytestmark = pytest.mark.timeout(30)

BODY = b'{"event":"message.status","status":"delivered"}'
HEADERS = {"Content-Type": "application/json", "X-Signature": "t=1,v1=abc"}
OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


@dataclass
class Request:
    head: bytes
    body: bytes
    connection: int  # 1 for the first connection the server accepted, 2 for the next...
    sequence: int  # 1 for the first request on its connection, 2 for the next...


# Given the request, writes an answer (or not); returns False to close the connection.
Respond = Callable[[Request, asyncio.StreamWriter], Awaitable[bool]]


def answer(raw: bytes, *, close: bool = False) -> Respond:
    """A responder that writes `raw` to every request, closing afterwards when `close`."""

    async def respond(request: Request, writer: asyncio.StreamWriter) -> bool:
        writer.write(raw)
        return not close

    return respond


@dataclass
class Server:
    """Reads requests framed by Content-Length and lets `respond` answer each one."""

    respond: Respond
    requests: list[Request] = field(default_factory=list)
    connections: int = 0
    closed: int = 0  # connections that ended
    port: int = 0
    writers: list[asyncio.StreamWriter] = field(default_factory=list)
    server: asyncio.Server | None = None

    async def start(self, host: str, context: ssl.SSLContext | None) -> None:
        self.server = await asyncio.start_server(self._handle, host, 0, ssl=context)
        self.port = self.server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
        for writer in self.writers:
            writer.close()
        await asyncio.sleep(0.01)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        number = self.connections
        self.writers.append(writer)
        sequence = 0
        try:
            while True:
                sequence += 1
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                request = Request(head, await reader.readexactly(length), number, sequence)
                self.requests.append(request)
                keep = await self.respond(request, writer)
                await writer.drain()
                if not keep:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self.closed += 1
            writer.close()
            with contextlib.suppress(ConnectionError, ssl.SSLError):
                await writer.wait_closed()


Serve = Callable[..., Awaitable[Server]]


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    servers: list[Server] = []

    async def start(
        respond: Respond, *, host: str = "127.0.0.1", context: ssl.SSLContext | None = None
    ) -> Server:
        server = Server(respond)
        await server.start(host, context)
        servers.append(server)
        return server

    yield start
    for server in servers:
        await server.stop()


@pytest.fixture
async def client() -> AsyncIterator[WebhookClient]:
    client = WebhookClient(timeout=5.0)
    yield client
    await client.close()


def url(server: Server, path: str = "/hook") -> str:
    return f"http://127.0.0.1:{server.port}{path}"


async def test_keep_alive_reuses_one_connection(serve: Serve, client: WebhookClient) -> None:
    server = await serve(answer(OK))
    for _ in range(20):
        assert await client.post(url(server, "/hook?a=1&b=2"), BODY, HEADERS) == 200
    assert server.connections == 1
    assert len(server.requests) == 20
    request = server.requests[0]
    lines = request.head.split(b"\r\n")
    assert lines[0] == b"POST /hook?a=1&b=2 HTTP/1.1"
    assert set(lines[1:-2]) == {
        f"Host: 127.0.0.1:{server.port}".encode(),
        b"User-Agent: smsgate",
        f"Content-Length: {len(BODY)}".encode(),
        b"Content-Type: application/json",
        b"X-Signature: t=1,v1=abc",
    }
    assert request.body == BODY


async def test_concurrent_posts_share_the_pool(serve: Serve, client: WebhookClient) -> None:
    async def slow(request: Request, writer: asyncio.StreamWriter) -> bool:
        await asyncio.sleep(0.01)
        writer.write(OK)
        return True

    server = await serve(slow)
    for _ in range(3):
        codes = await asyncio.gather(*(client.post(url(server), BODY, HEADERS) for _ in range(5)))
        assert codes == [200] * 5
    assert server.connections == 5


async def test_path_and_query_are_kept_and_encoded(serve: Serve, client: WebhookClient) -> None:
    server = await serve(answer(OK))
    await client.post(url(server, "/a b/é?q=x y&r=%2F#fragment"), BODY, {})
    assert server.requests[0].head.split(b"\r\n")[0] == b"POST /a%20b/%C3%A9?q=x%20y&r=%2F HTTP/1.1"
    await client.post(f"http://127.0.0.1:{server.port}", BODY, {})
    assert server.requests[1].head.startswith(b"POST / HTTP/1.1\r\n")


async def test_content_length_body(serve: Serve, client: WebhookClient) -> None:
    body = b"x" * 100_000
    raw = b"HTTP/1.1 201 Created\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
    server = await serve(answer(raw))
    assert await client.post(url(server), BODY, HEADERS) == 201
    assert await client.post(url(server), BODY, HEADERS) == 201
    assert server.connections == 1


async def test_chunked_body_with_extension_and_trailer(serve: Serve, client: WebhookClient) -> None:
    raw = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
        b"5;name=value\r\nhello\r\n1A \r\n" + b"y" * 26 + b"\r\n"
        b"0\r\nX-Trailer: 1\r\nX-Other: 2\r\n\r\n"
    )
    server = await serve(answer(raw))
    for _ in range(3):
        assert await client.post(url(server), BODY, HEADERS) == 200
    assert server.connections == 1


@pytest.mark.parametrize(
    ("raw", "kept"),
    [
        (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n +OK\n", b" +OK\n"),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"2\r\n+O\r\n3\r\nKxy\r\n0\r\n\r\n",
            b"+OKx",
        ),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n123456789", b"1234"),
        (b"HTTP/1.1 204 No Content\r\n\r\n", b""),
    ],
)
async def test_the_first_bytes_of_an_answer_body_are_read_on_request(
    serve: Serve, client: WebhookClient, raw: bytes, kept: bytes
) -> None:
    server = await serve(answer(raw))
    status = 204 if not kept else 200
    assert await client.post_read(url(server), BODY, HEADERS, keep=len(kept) or 4) == (
        status,
        kept,
    )
    assert await client.post_read(url(server), BODY, HEADERS) == (status, b"")
    assert server.connections == 1


async def test_eof_delimited_body_is_not_reused(serve: Serve, client: WebhookClient) -> None:
    server = await serve(answer(b"HTTP/1.1 200 OK\r\n\r\nuntil the end", close=True))
    assert await client.post(url(server), BODY, HEADERS) == 200
    assert await client.post(url(server), BODY, HEADERS) == 200
    assert server.connections == 2


async def test_connection_close_is_honoured(serve: Serve, client: WebhookClient) -> None:
    # The server would keep the connection: the client must drop it by itself.
    raw = b"HTTP/1.1 200 OK\r\nConnection: Close\r\nContent-Length: 2\r\n\r\nok"
    server = await serve(answer(raw))
    assert await client.post(url(server), BODY, HEADERS) == 200
    assert await client.post(url(server), BODY, HEADERS) == 200
    assert server.connections == 2
    await asyncio.sleep(0.05)
    assert server.closed == 2


@pytest.mark.parametrize(
    ("connection", "expected_connections"),
    [(b"", 2), (b"Connection: keep-alive\r\n", 1)],
)
async def test_http_1_0_answer_reused_only_with_keep_alive(
    serve: Serve, client: WebhookClient, connection: bytes, expected_connections: int
) -> None:
    raw = b"HTTP/1.0 200 OK\r\n" + connection + b"Content-Length: 2\r\n\r\nok"
    server = await serve(answer(raw))
    assert await client.post(url(server), BODY, HEADERS) == 200
    assert await client.post(url(server), BODY, HEADERS) == 200
    assert server.connections == expected_connections


async def test_interim_answers_are_skipped(serve: Serve, client: WebhookClient) -> None:
    raw = (
        b"HTTP/1.1 100 Continue\r\n\r\n"
        b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n" + OK
    )
    server = await serve(answer(raw))
    assert await client.post(url(server), BODY, HEADERS) == 200
    assert await client.post(url(server), BODY, HEADERS) == 200
    assert server.connections == 1


@pytest.mark.parametrize(
    "head",
    [
        b"HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n",
        b"HTTP/1.1 204 No Content\r\n\r\n",  # no length: still no body, still reusable
        b"HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n",
    ],
)
async def test_204_and_304_have_no_body(serve: Serve, client: WebhookClient, head: bytes) -> None:
    server = await serve(answer(head))
    status = int(head[9:12])
    for _ in range(3):
        assert await client.post(url(server), BODY, HEADERS) == status
    assert server.connections == 1


async def test_500_is_returned(serve: Serve, client: WebhookClient) -> None:
    raw = b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 5\r\n\r\noops!"
    server = await serve(answer(raw))
    assert await client.post(url(server), BODY, HEADERS) == 500
    assert await client.post(url(server), BODY, HEADERS) == 500
    assert server.connections == 1


@pytest.mark.parametrize(
    "framing",
    [b"Content-Length: 2097152\r\n\r\n", b"Transfer-Encoding: chunked\r\n\r\n200000\r\n"],
)
async def test_long_body_closes_the_connection(
    serve: Serve, client: WebhookClient, framing: bytes
) -> None:
    # Announces 2 MiB and sends a little: the client neither reads on nor waits for it.
    server = await serve(answer(b"HTTP/1.1 200 OK\r\n" + framing + b"z" * 1000))
    assert await client.post(url(server), BODY, HEADERS) == 200
    assert await client.post(url(server), BODY, HEADERS) == 200
    assert server.connections == 2


@pytest.mark.parametrize(
    "raw",
    [
        b"HTTP/1.1 2OO OK\r\nContent-Length: 0\r\n\r\n",
        b"ICY 200 OK\r\n\r\n",
        b"HTTP/2 200\r\n\r\n",
        b"HTTP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n",  # then the server closes
        b"HTTP/1.1 200OK\r\n\r\n",
        b"HTTP/1.1 099 Low\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello",
        b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length : 2\r\n\r\nok",
        b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhello\r\n0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",  # then the server closes
    ],
)
async def test_malformed_answer_raises(serve: Serve, client: WebhookClient, raw: bytes) -> None:
    server = await serve(answer(raw, close=True))
    with pytest.raises(WebhookError, match=f"http://127.0.0.1:{server.port}: "):
        await client.post(url(server), BODY, HEADERS)


def trickle(raw: bytes, size: int) -> Respond:
    """A responder that writes `raw` in pieces of `size` bytes, pausing between them."""

    async def respond(request: Request, writer: asyncio.StreamWriter) -> bool:
        for start in range(0, len(raw), size):
            writer.write(raw[start : start + size])
            await writer.drain()
            await asyncio.sleep(0.002)
        return True

    return respond


async def test_answer_in_small_pieces_is_read_and_reused(
    serve: Serve, client: WebhookClient
) -> None:
    raw = (
        b"HTTP/1.1 100 Continue\r\n\r\n"
        b"HTTP/1.1 202 Accepted\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
        b"5\r\nhello\r\n10\r\n" + b"y" * 16 + b"\r\n0\r\n\r\n"
    )
    server = await serve(trickle(raw, 7))
    for _ in range(2):
        assert await client.post(url(server), BODY, HEADERS) == 202
    assert server.connections == 1


async def test_later_chunk_over_the_limit_closes_the_connection(
    serve: Serve, client: WebhookClient
) -> None:
    raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n100000\r\nzz"
    server = await serve(trickle(raw, 5))
    assert await client.post(url(server), BODY, HEADERS) == 200
    assert await client.post(url(server), BODY, HEADERS) == 200
    assert server.connections == 2


@pytest.mark.parametrize(
    "raw",
    [
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n",  # bytes after it
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"2\r\nok\r\n0\r\n\r\n",  # two framings at once
    ],
)
async def test_doubtful_answer_is_not_reused(
    serve: Serve, client: WebhookClient, raw: bytes
) -> None:
    server = await serve(answer(raw))
    assert await client.post(url(server), BODY, HEADERS) == 200
    assert await client.post(url(server), BODY, HEADERS) == 200
    assert server.connections == 2


async def test_other_transfer_coding_runs_until_close(serve: Serve, client: WebhookClient) -> None:
    server = await serve(
        answer(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nzz", close=True)
    )
    assert await client.post(url(server), BODY, HEADERS) == 200
    assert await client.post(url(server), BODY, HEADERS) == 200
    assert server.connections == 2


async def test_reset_ends_a_body_delimited_by_the_close(
    serve: Serve, client: WebhookClient
) -> None:
    async def reset(request: Request, writer: asyncio.StreamWriter) -> bool:
        writer.write(b"HTTP/1.1 200 OK\r\n\r\nuntil the end")
        await writer.drain()
        await asyncio.sleep(0.05)
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        return False

    server = await serve(reset)
    assert await client.post(url(server), BODY, HEADERS) == 200


async def test_switching_protocols_raises(serve: Serve, client: WebhookClient) -> None:
    server = await serve(answer(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n"))
    with pytest.raises(WebhookError, match=f"http://127.0.0.1:{server.port}: "):
        await client.post(url(server), BODY, HEADERS)


async def test_head_over_64_kib_in_pieces_raises(serve: Serve, client: WebhookClient) -> None:
    raw = b"HTTP/1.1 200 OK\r\n" + b"X-Filler: " + b"f" * 70_000
    server = await serve(trickle(raw, 8192))
    with pytest.raises(WebhookError, match="longer than 65536"):
        await client.post(url(server), BODY, HEADERS)


async def test_head_over_64_kib_raises(serve: Serve, client: WebhookClient) -> None:
    raw = b"HTTP/1.1 200 OK\r\n" + b"X-Filler: " + b"f" * 70_000 + b"\r\n\r\n"
    server = await serve(answer(raw))
    with pytest.raises(WebhookError, match="longer than 65536"):
        await client.post(url(server), BODY, HEADERS)


async def test_connection_refused(client: WebhookClient) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(WebhookError, match="ConnectionRefusedError"):
        await client.post(f"http://127.0.0.1:{port}/hook", BODY, HEADERS)


async def test_timeout_when_the_server_never_answers(serve: Serve) -> None:
    async def silent(request: Request, writer: asyncio.StreamWriter) -> bool:
        return True

    server = await serve(silent)
    client = WebhookClient(timeout=0.3)
    start = time.monotonic()
    with pytest.raises(WebhookError, match=r"no answer within 0\.3 s"):
        await client.post(url(server), BODY, HEADERS)
    assert 0.25 < time.monotonic() - start < 1.0
    await asyncio.sleep(0.05)
    assert server.closed == 1  # the client closed the connection it gave up on
    await client.close()


async def test_idle_connection_closed_by_the_server(serve: Serve, client: WebhookClient) -> None:
    server = await serve(answer(OK, close=True))  # closes without saying Connection: close
    assert await client.post(url(server), BODY, HEADERS) == 200
    await asyncio.sleep(0.05)
    assert await client.post(url(server), BODY, HEADERS) == 200
    assert server.connections == 2


async def drop_second_request(request: Request, writer: asyncio.StreamWriter) -> bool:
    """Answers, except the second request on the first connection: closes it instead."""
    if (request.connection, request.sequence) == (1, 2):
        return False  # as if the server had timed the idle connection out just then
    writer.write(OK)
    return True


async def test_stale_connection_is_retried_once(serve: Serve, client: WebhookClient) -> None:
    server = await serve(drop_second_request)
    for _ in range(3):
        assert await client.post(url(server), BODY, HEADERS) == 200
    assert [r.connection for r in server.requests] == [1, 1, 2, 2]


async def test_max_idle_per_origin_zero_keeps_nothing(serve: Serve) -> None:
    server = await serve(answer(OK))
    client = WebhookClient(max_idle_per_origin=0)
    for _ in range(3):
        assert await client.post(url(server), BODY, HEADERS) == 200
    assert server.connections == 3
    await client.close()


async def test_fresh_connection_closed_without_answer_is_not_retried(
    serve: Serve, client: WebhookClient
) -> None:
    server = await serve(answer(b"", close=True))
    with pytest.raises(WebhookError, match="closed the connection"):
        await client.post(url(server), BODY, HEADERS)
    assert server.connections == 1


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Injected": "1\r\nX-Evil: 2"},
        {"X-Injected": "1\nX-Evil: 2"},
        {"X-Evil\r\nX": "1"},
        {"Bad Name": "1"},
        {"Content-Length": "1"},
        {"Host": "example.com"},
    ],
)
async def test_bad_headers_are_refused(
    serve: Serve, client: WebhookClient, headers: dict[str, str]
) -> None:
    server = await serve(answer(OK))
    with pytest.raises(WebhookError):
        await client.post(url(server), BODY, headers)
    assert server.connections == 0


@pytest.mark.parametrize(
    "bad_url",
    [
        "ftp://127.0.0.1/x",
        "127.0.0.1/x",
        "http:///x",
        "http://user:secret@127.0.0.1/x",
        "http://127.0.0.1:99999/x",
        "http://127.0.0.1:0/x",
        "http://[::1/x",
        "http://bad host/x",
    ],
)
async def test_bad_urls_are_refused(client: WebhookClient, bad_url: str) -> None:
    with pytest.raises(WebhookError):
        await client.post(bad_url, BODY, HEADERS)


async def test_close_closes_idle_connections(serve: Serve) -> None:
    server = await serve(answer(OK))
    client = WebhookClient(max_idle_per_origin=2)
    await asyncio.gather(*(client.post(url(server), BODY, HEADERS) for _ in range(4)))
    assert server.connections == 4
    await asyncio.sleep(0.05)
    assert server.closed == 2  # only two kept idle
    await client.close()
    await asyncio.sleep(0.05)
    assert server.closed == 4


def has_ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as sock:
            sock.bind(("::1", 0))
    except OSError:
        return False
    return True


async def test_ipv6_literal_host(serve: Serve, client: WebhookClient) -> None:
    if not has_ipv6_loopback():
        pytest.skip("no IPv6 loopback (::1) on this machine")
    server = await serve(answer(OK), host="::1")
    for _ in range(2):
        assert await client.post(f"http://[::1]:{server.port}/v6", BODY, HEADERS) == 200
    assert server.connections == 1
    assert f"\r\nHost: [::1]:{server.port}\r\n".encode() in server.requests[0].head


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    command = shlex.split(
        "openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem"
        " -subj /CN=localhost -days 1 -addext subjectAltName=DNS:localhost,IP:127.0.0.1"
    )
    subprocess.run(command, check=True, capture_output=True, cwd=folder)
    return cert, key


@pytest.fixture
def tls(certificate: tuple[Path, Path]) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A server context with the self-signed certificate and a client context trusting it."""
    cert, key = certificate
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    return server_context, ssl.create_default_context(cafile=str(cert))


async def test_https_with_a_trusted_self_signed_certificate(
    serve: Serve, tls: tuple[ssl.SSLContext, ssl.SSLContext]
) -> None:
    server = await serve(answer(OK), context=tls[0])
    client = WebhookClient(ssl_context=tls[1])
    for host in ("127.0.0.1", "127.0.0.1", "localhost"):
        assert await client.post(f"https://{host}:{server.port}/tls", BODY, HEADERS) == 200
    assert server.connections == 2  # one per origin: 127.0.0.1 and localhost
    assert f"\r\nHost: 127.0.0.1:{server.port}\r\n".encode() in server.requests[0].head
    await client.close()


async def test_https_refuses_an_untrusted_certificate(
    serve: Serve, tls: tuple[ssl.SSLContext, ssl.SSLContext]
) -> None:
    server = await serve(answer(OK), context=tls[0])
    client = WebhookClient()
    with pytest.raises(WebhookError, match="SSLCertVerificationError"):
        await client.post(f"https://127.0.0.1:{server.port}/tls", BODY, HEADERS)
    await client.close()


async def test_https_stale_connection_is_retried_once(
    serve: Serve, tls: tuple[ssl.SSLContext, ssl.SSLContext]
) -> None:
    server = await serve(drop_second_request, context=tls[0])
    client = WebhookClient(ssl_context=tls[1])
    for _ in range(3):
        assert await client.post(f"https://127.0.0.1:{server.port}/tls", BODY, HEADERS) == 200
    assert [r.connection for r in server.requests] == [1, 1, 2, 2]
    await client.close()
