"""What the app answers without touching data: health, metrics, docs, unknown paths, 500s."""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from smsgate.services.counters import Counters
from tests.unit.api.app_shell import client, shell_app


async def _unhealthy() -> bool:
    return False


async def _broken() -> bool:
    raise RuntimeError("store is down")


async def test_healthz() -> None:
    async with client(shell_app()) as http:
        response = await http.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


async def test_healthz_unhealthy_and_broken() -> None:
    for check in (_unhealthy, _broken):
        async with client(shell_app(health=check)) as http:
            response = await http.get("/healthz")
        assert (response.status_code, response.json()) == (503, {"status": "unavailable"})


async def test_metrics_reads_stats_queue_depth_and_latency() -> None:
    stats = Counters()
    for counter, amount in (("accepted", 3), ("sent", 2), ("retried", 1), ("receipts", 4)):
        stats.add(counter, amount)
    stats.count_final("delivered", 2)
    stats.count_final("expired")
    for counter, amount in (("sqlite_writes", 5), ("sqlite_write_us", 2_500_000)):
        stats.add(counter, amount)
    stats.add("sqlite_wait_us", 250_000)
    stats.add("postgres_writes", 7)
    stats.add("postgres_write_us", 1_500_000)
    async with client(shell_app(stats=stats)) as http:
        await http.get("/healthz")
        await http.get("/nowhere")
        response = await http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert "smsgate_messages_accepted_total 3.0" in text
    assert "smsgate_messages_sent_total 2.0" in text
    assert 'smsgate_messages_final_total{status="delivered"} 2.0' in text
    assert "smsgate_queue_depth 7.0" in text
    assert "smsgate_sqlite_writes_total 5.0" in text
    assert "smsgate_sqlite_write_seconds_total 2.5" in text
    assert "smsgate_sqlite_write_wait_seconds_total 0.25" in text
    assert "smsgate_postgres_writes_total 7.0" in text
    assert "smsgate_postgres_write_seconds_total 1.5" in text
    assert 'smsgate_held_messages{connector="op"} 3.0' in text
    count = "smsgate_http_request_duration_seconds_count"
    assert f'{count}{{method="GET",route="/healthz",status="2xx"}} 1.0' in text
    assert 'route="unmatched",status="4xx"' in text


async def test_fixed_and_templated_paths_answer_and_are_timed_alike() -> None:
    # /healthz has a fixed path and skips the router; the others go through it.
    async with client(shell_app()) as http:
        direct = await http.get("/healthz")
        head = await http.head("/healthz")
        slash = await http.get("/healthz/", follow_redirects=False)
        routed = await http.get("/docs/static/docs.js")
        text = (await http.get("/metrics")).text
    assert (direct.status_code, direct.json()) == (200, {"status": "ok"})
    assert head.status_code == 200 and head.content == b""
    assert slash.status_code == 307 and slash.headers["location"].endswith("/healthz")
    assert routed.status_code == 200
    count = "smsgate_http_request_duration_seconds_count"
    assert f'{count}{{method="GET",route="/healthz",status="2xx"}} 1.0' in text
    assert f'{count}{{method="HEAD",route="/healthz",status="2xx"}} 1.0' in text
    assert f'{count}{{method="GET",route="/docs/static/{{name}}",status="2xx"}} 1.0' in text


async def test_docs_page_and_assets_are_local() -> None:
    async with client(shell_app()) as http:
        page = await http.get("/docs")
        script = await http.get("/docs/static/docs.js")
        style = await http.get("/docs/static/docs.css")
        missing = await http.get("/docs/static/nope.js")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "/docs/static/docs.js" in page.text
    assert "http://" not in page.text and "https://" not in page.text
    assert script.status_code == 200 and "openapi.json" in script.text
    assert "https://" not in script.text
    assert style.status_code == 200 and style.headers["content-type"].startswith("text/css")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"


async def test_unknown_path_and_wrong_method_use_the_error_body() -> None:
    async with client(shell_app()) as http:
        missing = await http.get("/api/v1/nothing")
        wrong = await http.delete("/api/v1/balance")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    assert wrong.status_code == 405
    assert wrong.json()["error"]["code"] == "method_not_allowed"
    assert "GET" in wrong.headers["allow"]


async def test_unexpected_errors_are_500_without_details() -> None:
    async with client(shell_app()) as http:
        response = await http.get("/api/v1/balance", headers={"Authorization": "Bearer sg_x"})
    assert response.status_code == 500
    assert response.json() == {"error": {"code": "internal_error", "message": "internal error"}}
    assert "secret" not in response.text


async def test_missing_credentials_get_a_challenge() -> None:
    async with client(shell_app()) as http:
        response = await http.post("/api/v1/messages", content=b"{}")
    assert response.status_code == 401
    assert "Bearer" in response.headers["www-authenticate"]
    assert json.loads(response.content)["error"]["code"] == "unauthenticated"


async def test_extra_routes_are_served_but_not_documented() -> None:
    async def dialect(request: Request) -> Response:
        return PlainTextResponse("OK 1")

    app = shell_app(extra_routes=[Route("/dialect/send", dialect, methods=["GET"])])
    async with client(app) as http:
        served = await http.get("/dialect/send")
        document = (await http.get("/api/v1/openapi.json")).json()
        metrics = (await http.get("/metrics")).text
    assert (served.status_code, served.text) == (200, "OK 1")
    assert "/dialect/send" not in document["paths"]
    assert 'route="/dialect/send"' in metrics
