"""HTTP/1.1 as the API's clients use it, on both servers (`http_server` uvicorn and lean):
pipelining, chunked request and response bodies, Expect: 100-continue, body limits,
keep-alive and its end, malformed requests. Raw sockets send; h11 parses the answers.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import h11
import httpx

from smsgate.app import Gateway
from tests.integration.test_connection_limits import PATIENCE, both_servers, served, until_closed

MAX_BODY = 2048
SEND = "/api/v1/messages"
CREDIT = 10**9


async def account_key(gateway: Gateway) -> str:
    await gateway.accounts.set_price(None, "*", 40_000)
    created = await gateway.accounts.create("alice", credit=CREDIT, password="alice-pw")
    return created.api_key


def auth(key: str) -> bytes:
    return b"Authorization: Bearer " + key.encode()


def send_body(to: str = "+393331234567") -> bytes:
    return json.dumps({"to": to, "from": "test", "text": "hello"}).encode()


def post(key: str, body: bytes, *extra: bytes) -> bytes:
    head = [
        b"POST /api/v1/messages HTTP/1.1",
        b"Host: 127.0.0.1",
        b"Authorization: Bearer " + key.encode(),
        b"Content-Type: application/json",
        b"Content-Length: %d" % len(body),
        *extra,
    ]
    return b"\r\n".join(head) + b"\r\n\r\n" + body


def get(path: str, *extra: bytes) -> bytes:
    return b"\r\n".join([b"GET %s HTTP/1.1" % path.encode(), b"Host: 127.0.0.1", *extra]) + (
        b"\r\n\r\n"
    )


def parsed(data: bytes, count: int) -> list[tuple[int, dict[bytes, bytes], bytes]]:
    """The first `count` responses in `data`, parsed by h11 as a client reads them."""
    client = h11.Connection(h11.CLIENT)
    client.receive_data(data)
    answers = []
    for _ in range(count):
        client.send(h11.Request(method="GET", target="/", headers=[("Host", "x")]))
        client.send(h11.EndOfMessage())
        event = client.next_event()
        while isinstance(event, h11.InformationalResponse):
            event = client.next_event()
        assert isinstance(event, h11.Response), event
        body = b""
        while not isinstance(part := client.next_event(), h11.EndOfMessage):
            assert isinstance(part, h11.Data), part
            body += part.data
        answers.append((event.status_code, dict(event.headers), body))
        if client.our_state is h11.MUST_CLOSE or client.their_state is h11.MUST_CLOSE:
            break
        client.start_next_cycle()
    return answers


async def exchange(port: int, *writes: bytes, count: int) -> bytes:
    """Writes each piece (a short pause between them), then reads until `count` responses
    have arrived or the server closes."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    data = b""
    try:
        for piece in writes:
            writer.write(piece)
            await writer.drain()
            await asyncio.sleep(0.05)
        async with asyncio.timeout(PATIENCE):
            while len(_complete(data, count)) < count:
                chunk = await reader.read(65536)
                if not chunk:
                    break
                data += chunk
    finally:
        writer.close()
    return data


def _complete(data: bytes, count: int) -> list[Any]:
    try:
        return parsed(data, count)
    except (AssertionError, h11.RemoteProtocolError):
        return []


@both_servers
async def test_pipelined_requests_are_answered_in_order(tmp_path: Path, server: str) -> None:
    async with served(tmp_path, http_server=server) as (gateway, port):
        key = await account_key(gateway)
        burst = get("/healthz") + post(key, send_body()) + get("/nowhere") + get("/healthz")
        answers = parsed(await exchange(port, burst, count=4), 4)
        assert [status for status, _, _ in answers] == [200, 202, 404, 200]
        sent = json.loads(answers[1][2])
        assert sent["messages"][0]["to"] == "+393331234567"


@both_servers
async def test_a_chunked_request_body_is_read_whole(tmp_path: Path, server: str) -> None:
    async with served(tmp_path, http_server=server) as (gateway, port):
        key = await account_key(gateway)
        body = send_body()
        head = post(key, b"", b"Transfer-Encoding: chunked").replace(b"Content-Length: 0\r\n", b"")
        chunks = [b"%x\r\n%s\r\n" % (len(part), part) for part in (body[:10], body[10:])]
        data = await exchange(port, head, *chunks, b"0\r\n\r\n", count=1)
        [(status, _, answer)] = parsed(data, 1)
        assert status == 202
        message_id = json.loads(answer)["messages"][0]["id"]
        stored = parsed(await exchange(port, get(f"{SEND}/{message_id}", auth(key)), count=1), 1)
        assert stored[0][0] == 200
        assert json.loads(stored[0][2])["text"] == "hello"


@both_servers
async def test_expect_100_continue_is_answered_before_the_body(tmp_path: Path, server: str) -> None:
    async with served(tmp_path, http_server=server) as (gateway, port):
        key = await account_key(gateway)
        body = send_body()
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            writer.write(post(key, b"", b"Expect: 100-continue").replace(
                b"Content-Length: 0", b"Content-Length: %d" % len(body)
            ))  # fmt: skip
            async with asyncio.timeout(PATIENCE):
                interim = await reader.readuntil(b"\r\n\r\n")
                assert interim.startswith(b"HTTP/1.1 100 ")
                writer.write(body)
                head = await reader.readuntil(b"\r\n\r\n")
        finally:
            writer.close()
        assert head.startswith(b"HTTP/1.1 202 ")


@both_servers
async def test_a_body_over_the_limit_is_refused_before_it_is_sent(
    tmp_path: Path, server: str
) -> None:
    async with served(tmp_path, http_server=server, max_body_bytes=MAX_BODY) as (gateway, port):
        key = await account_key(gateway)
        # Declared too large with Expect: refused with no 100 Continue, the body never sent.
        head = post(key, b"", b"Expect: 100-continue").replace(
            b"Content-Length: 0", b"Content-Length: %d" % (MAX_BODY + 1)
        )
        answer = await exchange(port, head, count=1)
        assert answer.startswith(b"HTTP/1.1 413 ")  # no "100 Continue" first
        # Chunked, no length declared: refused once the chunks pass the limit.
        too_big = b"x" * 1000
        chunked = post(key, b"", b"Transfer-Encoding: chunked").replace(
            b"Content-Length: 0\r\n", b""
        )
        chunks = [b"%x\r\n%s\r\n" % (len(too_big), too_big)] * 3
        [(status, _, _)] = parsed(await exchange(port, chunked, *chunks, count=1), 1)
        assert status == 413
        assert (await gateway.accounts.get("alice")).balance == CREDIT  # nothing charged


@both_servers
async def test_http_1_0_and_connection_close_end_the_connection(
    tmp_path: Path, server: str
) -> None:
    async with served(tmp_path, http_server=server) as (_, port):
        for request in (b"GET /healthz HTTP/1.0\r\n\r\n", get("/healthz", b"Connection: close")):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(request)
            async with asyncio.timeout(PATIENCE):
                answer = await until_closed(reader)
            writer.close()
            assert answer.split(b"\r\n", 1)[0].split(b" ")[1] == b"200"
            assert answer.endswith(b'{"status":"ok"}')


@both_servers
async def test_a_malformed_request_is_answered_400_and_closed(tmp_path: Path, server: str) -> None:
    async with served(tmp_path, http_server=server) as (_, port):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /healthz HTTP/1.1\r\nHost 127.0.0.1\r\n\r\n")
        async with asyncio.timeout(PATIENCE):
            answer = await until_closed(reader)
        writer.close()
        assert answer.startswith(b"HTTP/1.1 400 ")


@both_servers
async def test_httpx_sees_the_api_the_docs_and_a_head(tmp_path: Path, server: str) -> None:
    async with served(tmp_path, http_server=server) as (gateway, port):
        key = await account_key(gateway)
        auth = {"Authorization": f"Bearer {key}"}
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=20) as http:
            sent = await http.post(SEND, json=json.loads(send_body()), headers=auth)
            assert sent.status_code == 202
            message_id = sent.json()["messages"][0]["id"]
            status = await http.get(f"{SEND}/{message_id}", headers=auth)
            assert status.status_code == 200
            assert status.json()["id"] == message_id
            assert (await http.get("/api/v1/openapi.json")).json()["openapi"].startswith("3.")
            assert (await http.get("/docs")).status_code == 200
            head = await http.head("/healthz")
            assert head.status_code == 200
            assert head.content == b""
            assert int(head.headers["content-length"]) == len(b'{"status":"ok"}')


@both_servers
async def test_a_streamed_response_arrives_whole(tmp_path: Path, server: str) -> None:
    async with served(tmp_path, http_server=server) as (gateway, port):
        key = await account_key(gateway)
        data = await exchange(port, get("/api/v1/stoplist/export", auth(key)), count=1)
        [(status, _, body)] = parsed(data, 1)
        assert status == 200, body
        assert body.startswith(b"number")


async def test_the_lean_server_refuses_headers_over_64_kib(tmp_path: Path) -> None:
    async with served(tmp_path, http_server="lean") as (_, port):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(get("/healthz", b"X-Padding: " + b"x" * 70_000))
        async with asyncio.timeout(PATIENCE):
            answer = await until_closed(reader)
        writer.close()
        assert answer.startswith(b"HTTP/1.1 431 ")
