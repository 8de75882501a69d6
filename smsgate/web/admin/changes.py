"""How a console form changes something: the admin signed in, the form CSRF-checked, the
change made, written to the audit log and answered with a redirect back to its page; a
change refused (SmsgateError) is written nowhere and its page is shown again with the
error and what was typed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from smsgate.core.errors import Conflict, NotFound, SmsgateError
from smsgate.web.admin.console import Console
from smsgate.web.portal import Visitor

Form = dict[str, str]
# The change: (action, target, detail) for the audit log.
Change = Callable[[Form], Awaitable[tuple[str, str, str]]]
# The page again: (visitor, error, form, status).
Refused = Callable[[Visitor, str, Form, int], Awaitable[Response]]


async def apply(
    console: Console, request: Request, change: Change, back: str, refused: Refused
) -> Response:
    visitor = await console.signed_in(request)
    form = await console.portal.form(request, visitor.session)
    try:
        action, target, detail = await change(form)
    except SmsgateError as exc:
        status = 404 if isinstance(exc, NotFound) else 409 if isinstance(exc, Conflict) else 400
        return await refused(visitor, exc.message, form, status)
    await console.record(visitor, action, target, detail)
    return RedirectResponse(back, 303)


def field(form: Form, name: str) -> str | None:
    """A field's text without the spaces around it; None when empty or missing."""
    value = form.get(name, "").strip()
    return value or None
