"""The STOP list on a running gateway, over real sockets with `requests`, on each backend:
a CSV imported and exported through the native API, a number added by `smsgate stop` in
another process, and a send to an imported number refused with `stop_listed`.
"""

from __future__ import annotations

import pytest
import requests

from tests.e2e.gateway import GatewayProcess

pytestmark = pytest.mark.e2e


def test_import_export_cli_and_send(gateway_on: GatewayProcess) -> None:
    key = gateway_on.demo_key
    assert key is not None
    base = f"{gateway_on.base}/api/v1"
    with requests.Session() as http:
        http.headers["Authorization"] = f"Bearer {key}"
        body = "number\n+393331000001\n+393331000002\nnonsense\n+393331000001\n"
        imported = http.post(
            f"{base}/stoplist/import", data=body, headers={"Content-Type": "text/csv"}, timeout=10
        )
        assert imported.status_code == 200
        assert imported.json() == {
            "added": 2,
            "already_present": 1,
            "invalid": 1,
            "invalid_lines": [
                {"line": 4, "value": "nonsense", "reason": "not a valid phone number"}
            ],
        }

        added = gateway_on.cli("stop", "add", "demo", "+393331000003")
        assert (added["number"], added["source"], added["added"]) == ("+393331000003", "cli", True)
        listed = http.get(f"{base}/stoplist", params={"limit": 2}, timeout=10).json()
        assert [e["number"] for e in listed["entries"]] == ["+393331000003", "+393331000002"]
        rest = http.get(f"{base}/stoplist", params={"cursor": listed["next_cursor"]}, timeout=10)
        assert [e["number"] for e in rest.json()["entries"]] == ["+393331000001"]
        assert rest.json()["next_cursor"] is None

        exported = http.get(f"{base}/stoplist/export", timeout=10)
        assert exported.headers["Content-Type"] == "text/csv; charset=utf-8"
        rows = [line.split(",")[:2] for line in exported.text.splitlines()]
        assert rows == [
            ["number", "source"],
            ["+393331000003", "cli"],
            ["+393331000002", "import"],
            ["+393331000001", "import"],
        ]

        send = {"to": "+393331000002", "from": "smsgate", "text": "hello"}
        refused = http.post(f"{base}/messages", json=send, timeout=10)
        assert refused.status_code == 400
        assert refused.json()["error"]["code"] == "stop_listed"
        assert http.get(f"{base}/messages", timeout=10).json()["messages"] == []

        assert http.delete(f"{base}/stoplist/%2B393331000002", timeout=10).status_code == 204
        missing = http.delete(f"{base}/stoplist/%2B393331000002", timeout=10)
        assert (missing.status_code, missing.json()["error"]["code"]) == (404, "not_found")
        remaining = gateway_on.cli("stop", "list", "demo")["entries"]
        assert [e["number"] for e in remaining] == ["+393331000003", "+393331000001"]
