"""What every page shares: the visitor (its session and account), CSRF-checked forms,
templates, and `page`, which turns a refusal into the page a browser should see."""

from __future__ import annotations

import functools
import logging
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from smsgate.core.accounts import Account
from smsgate.core.errors import Forbidden, NotFound, SmsgateError
from smsgate.core.money import format_amount
from smsgate.services.admins import Admin
from smsgate.web.context import PortalContext
from smsgate.web.sessions import COOKIE, Session, SessionCodec

log = logging.getLogger(__name__)

LOGIN = "/portal/login"
FORM_TYPE = "application/x-www-form-urlencoded"
UPLOAD_TYPE = "multipart/form-data"
MAX_FORM_BYTES = 64 * 1024
MAX_UPLOAD_BYTES = 4 * 1024 * 1024
MAX_FIELDS = 20
HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
        "form-action 'self'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
Handler = Callable[[Request], Awaitable[Response]]


class LoginRequired(Exception):
    """No valid session, or its account may not use the portal any more."""


class CsrfRefused(Exception):
    """A form without the token of the visitor's session."""


class FormRefused(Exception):
    """A body that is not a form the portal reads: too large, or of another type."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True, slots=True)
class Visitor:
    session: Session
    csrf: str
    account: Account | None = None
    admin: Admin | None = None  # in the operator console

    @property
    def user(self) -> Account:
        assert self.account is not None
        return self.account


def when(timestamp: float | None) -> str:
    if timestamp is None:
        return ""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S")


def templates() -> Environment:
    env = Environment(
        loader=PackageLoader("smsgate.web", "templates"),
        autoescape=select_autoescape(default=True),
        undefined=StrictUndefined,
    )
    env.filters["money"] = format_amount
    env.filters["when"] = when
    return env


@dataclass(eq=False, slots=True)
class Portal:
    """The pages under `path` (the customer portal, or the operator console with its own
    codec, cookie and login page)."""

    ctx: PortalContext
    codec: SessionCodec
    env: Environment
    cookie: str = COOKIE
    path: str = "/portal"
    login: str = LOGIN

    def session(self, request: Request) -> Session | None:
        return self.codec.decode(request.cookies.get(self.cookie), self.ctx.clock.now())

    def visitor(self, session: Session, account: Account | None = None) -> Visitor:
        return Visitor(session, self.codec.csrf_token(session), account)

    async def signed_in(self, request: Request) -> Visitor:
        """The logged-in visitor; LoginRequired when there is none, or its account was
        suspended or may not connect from this address."""
        session = self.session(request)
        if session is None or session.user_id is None:
            raise LoginRequired
        try:
            account = await self.ctx.accounts.get_by_id(session.user_id)
        except NotFound as exc:
            raise LoginRequired from exc
        if not account.is_active:
            raise LoginRequired
        peer = request.client.host if request.client else None
        try:
            await self.ctx.policies.check_address(account.id, peer)
        except Forbidden as exc:
            raise LoginRequired from exc
        return self.visitor(session, account)

    async def form(self, request: Request, session: Session | None) -> dict[str, str]:
        """The posted form (URL-encoded, at most MAX_FORM_BYTES), once its CSRF token
        matches the session's."""
        media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
        if media_type != FORM_TYPE:
            raise FormRefused(415, f"a form is sent as {FORM_TYPE}")
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_FORM_BYTES:
                raise FormRefused(413, f"a form is at most {MAX_FORM_BYTES // 1024} KiB")
        try:
            fields = parse_qsl(
                body.decode("utf-8", "replace"), keep_blank_values=True, max_num_fields=MAX_FIELDS
            )
        except ValueError as exc:
            raise FormRefused(413, f"a form has at most {MAX_FIELDS} fields") from exc
        form = dict(fields)
        if session is None or not self.codec.csrf_matches(session, form.get("csrf")):
            raise CsrfRefused
        return form

    async def upload(
        self, request: Request, session: Session | None
    ) -> tuple[dict[str, str], bytes]:
        """The posted form with one file (multipart, at most MAX_UPLOAD_BYTES in all):
        its fields and the file's bytes (b"" without a file), once its CSRF token matches
        the session's."""
        media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
        if media_type != UPLOAD_TYPE:
            raise FormRefused(415, f"a form with a file is sent as {UPLOAD_TYPE}")
        parser = MultiPartParser(
            request.headers,
            upload_body(request),
            max_files=1,
            max_fields=MAX_FIELDS,
            max_part_size=MAX_FORM_BYTES,
        )
        try:
            parsed = await parser.parse()
        except MultiPartException as exc:
            raise FormRefused(400, f"the upload could not be read: {exc.message}") from exc
        fields: dict[str, str] = {}
        content = b""
        try:
            for name, value in parsed.multi_items():
                if isinstance(value, UploadFile):
                    content = await value.read()
                else:
                    fields[name] = value
        finally:
            await parsed.close()
        if session is None or not self.codec.csrf_matches(session, fields.get("csrf")):
            raise CsrfRefused
        return fields, content

    def render(
        self, template: str, visitor: Visitor | None, status: int = 200, **values: Any
    ) -> HTMLResponse:
        html = self.env.get_template(template).render(visitor=visitor, **values)
        return HTMLResponse(html, status, headers=HEADERS)

    def keep(self, response: Response, request: Request, session: Session) -> Response:
        """Set the session cookie on `response`."""
        response.set_cookie(
            self.cookie,
            self.codec.encode(session),
            max_age=max(0, session.expires - int(self.ctx.clock.now())),
            path=self.path,
            secure=request.url.scheme == "https",
            httponly=True,
            samesite="lax",
        )
        return response

    def page(self, handler: Handler) -> Handler:
        """`handler`, with its refusals answered as pages: a login to the login page,
        a bad CSRF token 403, another account's object 404, a bad request 400."""

        @functools.wraps(handler)
        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except LoginRequired:
                if request.headers.get("hx-request"):
                    return Response(status_code=204, headers={"HX-Redirect": self.login})
                return RedirectResponse(self.login, 303)
            except FormRefused as exc:
                return self.error(exc.status, "Refused", exc.message)
            except CsrfRefused:
                message = "This form has expired or was not sent by this site: reload it."
                return self.error(403, "Refused", message)
            except (NotFound, Forbidden):
                return self.error(404, "Not found", "There is nothing here for this account.")
            except SmsgateError as exc:
                return self.error(400, "Not possible", exc.message)
            except Exception:
                log.exception("portal page %s failed", request.url.path)
                return self.error(500, "Something went wrong", "The error has been logged.")

        return guarded

    def error(self, status: int, title: str, message: str) -> HTMLResponse:
        return self.render("error.html", None, status, title=title, message=message, home=self.path)

    def forget(self, response: Response) -> Response:
        """Drop the session cookie (logging out)."""
        response.delete_cookie(self.cookie, path=self.path)
        return response


async def upload_body(request: Request) -> AsyncGenerator[bytes, None]:
    """The request's body, refused (413) once it passes MAX_UPLOAD_BYTES."""
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_UPLOAD_BYTES:
            raise FormRefused(413, f"an upload is at most {MAX_UPLOAD_BYTES // 2**20} MiB")
        yield chunk
