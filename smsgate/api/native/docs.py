"""The /docs page and its vendored assets, and the OpenAPI document it renders.

Everything is read once at start-up from `static/` (no CDN: smsgate runs offline) and
served from memory; the OpenAPI bytes are encoded once per app.
"""

from __future__ import annotations

from importlib import resources

from starlette.requests import Request
from starlette.responses import Response

from smsgate.core.errors import NotFound

from .openapi import Operation, Reply

_TYPES = {
    "docs.html": "text/html; charset=utf-8",
    "docs.js": "text/javascript; charset=utf-8",
    "docs.css": "text/css; charset=utf-8",
}


def _load_assets() -> dict[str, bytes]:
    folder = resources.files(__package__).joinpath("static")
    return {name: folder.joinpath(name).read_bytes() for name in _TYPES}


class DocsEndpoints:
    def __init__(self) -> None:
        self._assets = _load_assets()
        self._openapi = b"{}"

    def publish(self, document: bytes) -> None:
        """Set the OpenAPI document (built after every operation is known)."""
        self._openapi = document

    async def get_openapi(self, request: Request) -> Response:
        return Response(self._openapi, media_type="application/json")

    async def get_docs(self, request: Request) -> Response:
        return self._asset("docs.html")

    async def get_docs_asset(self, request: Request) -> Response:
        name: str = request.path_params["name"]
        if name == "docs.html" or name not in self._assets:
            raise NotFound(f"no asset {name!r}")
        return self._asset(name)

    def _asset(self, name: str) -> Response:
        # Assets change only with a new release, and the page is small: an hour is enough.
        headers = {"Cache-Control": "public, max-age=3600"}
        return Response(self._assets[name], headers=headers, media_type=_TYPES[name])

    def operations(self) -> list[Operation]:
        """Every page is a GET anyone may make; only an asset can be missing."""
        pages = (
            ("/api/v1/openapi.json", self.get_openapi, "This OpenAPI 3.1 document",
             "the document", "application/json"),
            ("/docs", self.get_docs, "The API reference, rendered from the OpenAPI document",
             "an HTML page", "text/html"),
            ("/docs/static/{name}", self.get_docs_asset, "Scripts and styles of the reference page",
             "a static asset", "text/plain"),
        )  # fmt: skip
        return [
            Operation(
                "GET",
                path,
                endpoint,
                summary,
                {200: Reply(reply, media_type=media_type)},
                "documentation",
                auth=False,
                errors=("not_found",) if "{" in path else (),
            )
            for path, endpoint, summary, reply, media_type in pages
        ]
