"""Operations (route + what the document says about it) and the OpenAPI 3.1 document.

Each endpoint module describes its routes as `Operation`s; the app factory builds the
Starlette routes and this module builds the document from the same list, with the
schemas generated from the msgspec Structs the endpoints decode and encode.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec

import smsgate
from smsgate.api.errors import HTTP_STATUS, Endpoint, ErrorBody

_REF = "#/components/schemas/{name}"
_PATH_PARAM = re.compile(r"\{(\w+)(?::(\w+))?\}")
# Starlette's `int` convertor matches ASCII digits only: never a sign.
_PATH_SCHEMAS: Mapping[str, Mapping[str, Any]] = {
    "int": {"type": "integer", "minimum": 0},
    "float": {"type": "number", "minimum": 0},
}

# Codes any authenticated operation, and any operation with a body, may answer.
_AUTH_ERRORS = ("unauthenticated", "forbidden", "login_blocked")
_BODY_ERRORS = ("invalid_request", "payload_too_large", "unsupported_media_type")


@dataclass(frozen=True, slots=True)
class Param:
    """A query parameter; `schema` is its JSON Schema."""

    name: str
    description: str
    schema: Mapping[str, Any] = field(default_factory=lambda: {"type": "string"})


def limit_param(max_page: int) -> Param:
    """`limit`: the page size of a listing, 1 to `max_page`, 100 by default."""
    schema = {"type": "integer", "minimum": 1, "maximum": max_page, "default": 100}
    return Param("limit", "page size", schema)


def page_params(max_page: int) -> tuple[Param, Param]:
    """`limit` and `cursor` of a listing in cursor pages."""
    return limit_param(max_page), Param("cursor", "`next_cursor` of the previous page")


def id_param(description: str, maximum: int = 2**63 - 1) -> Param:
    """An `{id}` path parameter: a positive integer up to `maximum` (64-bit by default)."""
    return Param("id", description, {"type": "integer", "minimum": 1, "maximum": maximum})


@dataclass(frozen=True, slots=True)
class Reply:
    """One documented response: a Struct type for JSON bodies, or a media type."""

    description: str
    body: type | None = None
    media_type: str = "application/json"


@dataclass(frozen=True, slots=True)
class Operation:
    method: str
    path: str
    endpoint: Endpoint
    summary: str
    replies: Mapping[int, Reply]
    tag: str
    body: type | None = None
    query: tuple[Param, ...] = ()
    # path parameters narrower than their convertor (`{id:int}`), by name
    path_params: tuple[Param, ...] = ()
    errors: tuple[str, ...] = ()
    auth: bool = True
    description: str = ""

    @property
    def operation_id(self) -> str:
        return self.endpoint.__name__.strip("_")


def build_document(operations: Sequence[Operation]) -> dict[str, Any]:
    """The OpenAPI 3.1 document of `operations`."""
    types: list[type] = [ErrorBody]
    for op in operations:
        types.extend(t for t in (op.body, *(r.body for r in op.replies.values())) if t)
    unique = list(dict.fromkeys(types))
    schemas, components = msgspec.json.schema_components(unique, ref_template=_REF)
    ref = dict(zip(unique, schemas, strict=True))
    paths: dict[str, dict[str, Any]] = {}
    for op in operations:
        path = _PATH_PARAM.sub(r"{\1}", op.path)
        paths.setdefault(path, {})[op.method.lower()] = _operation(op, ref)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "smsgate native API",
            "version": smsgate.__version__,
            "description": _DESCRIPTION,
        },
        "security": [{"bearer": []}, {"basic": []}],
        "tags": [{"name": tag} for tag in dict.fromkeys(op.tag for op in operations)],
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "an API key"},
                "basic": {
                    "type": "http",
                    "scheme": "basic",
                    "description": "account name and password",
                },
            },
        },
    }


def encode_document(operations: Sequence[Operation]) -> bytes:
    return msgspec.json.encode(build_document(operations))


def _operation(op: Operation, ref: Mapping[type, Any]) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "operationId": op.operation_id,
        "summary": op.summary,
        "tags": [op.tag],
    }
    if op.description:
        doc["description"] = op.description
    narrowed = {p.name: p for p in op.path_params}
    params = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": dict(narrowed[name].schema)
            if name in narrowed
            else _PATH_SCHEMAS.get(t, {"type": "string"}),
        }
        for name, t in _PATH_PARAM.findall(op.path)
    ]
    params += [
        {"name": p.name, "in": "query", "description": p.description, "schema": dict(p.schema)}
        for p in op.query
    ]
    if params:
        doc["parameters"] = params
    if op.body is not None:
        doc["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": ref[op.body]}},
        }
    responses: dict[str, Any] = {}
    for status, reply in sorted(op.replies.items()):
        if reply.body is not None:
            schema = ref[reply.body]
        else:
            schema = {"type": "object" if reply.media_type == "application/json" else "string"}
        content = {reply.media_type: {"schema": schema}}
        responses[str(status)] = {"description": reply.description, "content": content}
    codes = (*(_AUTH_ERRORS if op.auth else ()), *(_BODY_ERRORS if op.body else ()), *op.errors)
    by_status: dict[int, list[str]] = {}
    for code in dict.fromkeys((*codes, "internal_error", "unavailable")):
        by_status.setdefault(HTTP_STATUS[code], []).append(code)
    for status, listed in sorted(by_status.items()):
        responses[str(status)] = {
            "description": "error: " + ", ".join(listed),
            "content": {"application/json": {"schema": ref[ErrorBody]}},
        }
        if status == 401:
            responses["401"]["headers"] = {
                "WWW-Authenticate": {"schema": {"type": "string"}, "description": "the schemes"}
            }
        if status in (429, 503):
            responses[str(status)]["headers"] = {
                "Retry-After": {
                    "schema": {"type": "integer"},
                    "description": "seconds until the same request may be accepted",
                }
            }
    doc["responses"] = responses
    if not op.auth:
        doc["security"] = []
    return doc


_DESCRIPTION = """\
Send SMS, follow their status, and manage credit and sub-accounts.

Authenticate with `Authorization: Bearer <API key>` or HTTP Basic (account name and
password). Money is a decimal string in the account's currency; times are ISO-8601
UTC strings or null. Every error has the body `{"error": {"code", "message", "field"?}}`
with a stable `code`; `field` names the offending input (`to[2]`, `from`, ...).
A request body larger than the server's limit gets 413 `payload_too_large`, one that
is not JSON 415 `unsupported_media_type`. A request that fails stores nothing and moves
no money.
"""
