"""The OpenAPI document: valid, complete, and in step with the app's routes."""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.routing import Route

from tests.unit.api.app_shell import client, shell_app

EXPECTED = {
    ("post", "/api/v1/messages"),
    ("get", "/api/v1/messages"),
    ("get", "/api/v1/messages/{id}"),
    ("post", "/api/v1/messages/{id}/cancel"),
    ("post", "/api/v1/quote"),
    ("get", "/api/v1/balance"),
    ("get", "/api/v1/ledger"),
    ("get", "/api/v1/subaccounts"),
    ("post", "/api/v1/subaccounts"),
    ("post", "/api/v1/subaccounts/{id}/credit"),
    ("get", "/api/v1/settings"),
    ("get", "/api/v1/subaccounts/{id}/settings"),
    ("patch", "/api/v1/subaccounts/{id}/settings"),
    ("get", "/api/v1/stoplist"),
    ("post", "/api/v1/stoplist"),
    ("delete", "/api/v1/stoplist/{number}"),
    ("post", "/api/v1/stoplist/import"),
    ("get", "/api/v1/stoplist/export"),
    ("get", "/api/v1/inbound"),
    ("get", "/api/v1/inbound/{id}"),
    ("post", "/api/v1/inbound/{id}/reply"),
    ("get", "/api/v1/conversations/{msisdn}"),
    ("get", "/api/v1/numbers"),
    ("get", "/api/v1/inbound/settings"),
    ("put", "/api/v1/inbound/settings"),
    ("get", "/api/v1/inbound/statistics"),
    ("get", "/healthz"),
    ("get", "/metrics"),
    ("get", "/api/v1/openapi.json"),
    ("get", "/docs"),
    ("get", "/docs/static/{name}"),
}


async def _document() -> dict[str, Any]:
    async with client(shell_app()) as http:
        response = await http.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    document: dict[str, Any] = json.loads(response.content)
    return document


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _refs(value)]
    return []


async def test_document_lists_every_operation() -> None:
    document = await _document()
    assert document["openapi"] == "3.1.0"
    listed = {(method, path) for path, ops in document["paths"].items() for method in ops}
    assert listed == EXPECTED


async def test_every_route_of_the_app_is_documented() -> None:
    document = await _document()
    app = shell_app()
    routes = [route for route in app.routes if isinstance(route, Route)]
    assert routes
    for route in routes:
        path = re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path)
        assert path in document["paths"], path
        for method in route.methods or ():
            if method != "HEAD":
                assert method.lower() in document["paths"][path], (method, path)


async def test_every_reference_resolves() -> None:
    document = await _document()
    schemas = document["components"]["schemas"]
    for ref in _refs(document):
        assert ref.startswith("#/components/schemas/")
        assert ref.rsplit("/", 1)[1] in schemas, ref


async def test_auth_schemes_and_error_body() -> None:
    document = await _document()
    assert set(document["components"]["securitySchemes"]) == {"bearer", "basic"}
    assert document["security"] == [{"bearer": []}, {"basic": []}]
    error = document["components"]["schemas"]["ErrorDetail"]
    assert set(error["properties"]) == {"code", "message", "field"}
    send = document["paths"]["/api/v1/messages"]["post"]
    assert {"200", "202", "400", "401", "402", "403", "413", "500"} <= set(send["responses"])
    assert "insufficient_credit" in send["responses"]["402"]["description"]
    assert document["paths"]["/healthz"]["get"]["security"] == []


async def test_request_schemas_forbid_unknown_fields_and_rename_from() -> None:
    schemas = (await _document())["components"]["schemas"]
    send = schemas["SendRequest"]
    assert send["additionalProperties"] is False
    assert set(send["required"]) == {"to", "from", "text"}
    assert send["properties"]["to"]["anyOf"][1]["maxItems"] == 1000
    assert schemas["MessageView"]["properties"]["from"]["type"] == "string"
    assert schemas["SubaccountRequest"]["additionalProperties"] is False


async def test_operations_are_well_formed() -> None:
    document = await _document()
    ids: list[str] = []
    for path, operations in document["paths"].items():
        templated = set(re.findall(r"\{(\w+)\}", path))
        for operation in operations.values():
            ids.append(operation["operationId"])
            assert operation["summary"] and operation["responses"]
            declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert declared == templated, path
            for status, response in operation["responses"].items():
                assert 200 <= int(status) < 600
                assert response["description"]
    assert len(ids) == len(set(ids))
