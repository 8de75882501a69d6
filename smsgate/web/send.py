"""Sending from the portal (`/portal/send`): recipients typed, pasted or read from a CSV
file (`/portal/send/csv` fills the form and lists the rows it refused; nothing is sent
until the form is sent), a live counter and cost quote as the text is typed
(`/portal/send/quote`, an htmx fragment), a submit through `SubmitService`, then the
batch's page with its progress."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from smsgate.core.errors import InsufficientCredit, InvalidRequest, NotFound, SmsgateError
from smsgate.core.messages import Status
from smsgate.services.messages import MAX_PAGE
from smsgate.services.numbers import to_e164
from smsgate.services.submit import MAX_RECIPIENTS, SubmitCommand
from smsgate.text import (
    MULTIPART_UNITS,
    SINGLE_PART_UNITS,
    Concat,
    Encoding,
    TextError,
    count_units,
)
from smsgate.web.portal import (
    Portal,
    Visitor,
)

SEPARATORS = re.compile(r"[\s,;]*[\n,;][\s,;]*")
# Prices do not depend on the sender: a quote before one is typed uses this one.
QUOTE_SENDER = "quote"
MAX_FIELD = 10_000
MAX_TO_FIELD = 20 * MAX_RECIPIENTS  # room for MAX_RECIPIENTS numbers, one per line
MAX_CSV_BYTES = 256 * 1024
MAX_CSV_ROWS = MAX_RECIPIENTS
MAX_BAD_ROWS = 100  # refused rows listed; the rest are counted


@dataclass(frozen=True, slots=True)
class CsvRecipients:
    """What a CSV file of recipients held: the numbers (E.164, each once) and its
    refused rows as (row number, what it held, why)."""

    numbers: tuple[str, ...]
    bad: tuple[tuple[int, str, str], ...]
    repeated: int


def read_recipients(content: bytes, default_country: str) -> CsvRecipients:
    """The recipients of a CSV file: its `number` column when its first row names one,
    else each row's first cell; InvalidRequest for a file that is too large, has too
    many rows, or is not UTF-8 text."""
    if len(content) > MAX_CSV_BYTES:
        raise InvalidRequest(f"a file is at most {MAX_CSV_BYTES // 1024} KiB", field="file")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidRequest("the file is not UTF-8 text", field="file") from exc
    try:
        rows = list(
            csv.reader(io.StringIO(text, newline=""), csv.Sniffer().sniff(text[:4096], ",;\t"))
        )
    except csv.Error:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    header = [cell.strip().lower() for cell in rows[0]] if rows else []
    column, first = (header.index("number"), 2) if "number" in header else (0, 1)
    rows = rows[first - 1 :]
    if len(rows) > MAX_CSV_ROWS:
        raise InvalidRequest(f"a file has at most {MAX_CSV_ROWS} rows", field="file")
    numbers: dict[str, None] = {}
    bad: list[tuple[int, str, str]] = []
    repeated = 0
    for line, row in enumerate(rows, start=first):
        raw = row[column].strip() if column < len(row) else ""
        if not raw and not any(cell.strip() for cell in row):
            continue  # a blank row
        try:
            number = to_e164(raw, default_country)
        except SmsgateError as exc:
            bad.append((line, raw[:40], exc.message))
            continue
        if number in numbers:
            repeated += 1
        numbers[number] = None
    return CsvRecipients(tuple(numbers), tuple(bad), repeated)


@dataclass(frozen=True, slots=True)
class Draft:
    """What the send form holds."""

    to: str = ""
    sender: str = ""
    text: str = ""
    scheduled_at: str = ""

    @classmethod
    def of(cls, form: Mapping[str, str]) -> Draft:
        def field(name: str, size: int = MAX_FIELD) -> str:
            return form.get(name, "")[:size]

        return cls(
            field("to", MAX_TO_FIELD),
            field("sender"),
            field("text"),
            field("scheduled_at", 40).strip(),
        )

    @property
    def recipients(self) -> tuple[str, ...]:
        """One per line, or separated by commas or semicolons."""
        return tuple(r for r in SEPARATORS.split(self.to.strip()) if r.strip())

    def command(self, sender: str | None = None) -> SubmitCommand:
        return SubmitCommand(
            self.recipients, sender or self.sender.strip(), self.text, scheduled_at=self.when()
        )

    def when(self) -> float | None:
        """The schedule (a UTC date and time), None to send now."""
        if not self.scheduled_at:
            return None
        try:
            at = datetime.fromisoformat(self.scheduled_at)
        except ValueError as exc:
            raise InvalidRequest(
                "the schedule is not a date and time", field="scheduled_at"
            ) from exc
        return at.replace(tzinfo=at.tzinfo or UTC).timestamp()


@dataclass(frozen=True, slots=True)
class Counter:
    """The text as the text layer counts it: encoding, characters, units and parts."""

    encoding: str
    characters: int
    units: int
    parts: int
    per_part: int

    @classmethod
    def of(cls, text: str) -> Counter:
        if not text:
            return cls(Encoding.GSM7.value, 0, 0, 0, SINGLE_PART_UNITS[Encoding.GSM7])
        counted = count_units(text, concat=Concat.UDH8)
        if counted.parts == 1:
            per_part = SINGLE_PART_UNITS[counted.encoding]
        else:
            per_part = MULTIPART_UNITS[Concat.UDH8][counted.encoding]
        return cls(counted.encoding.value, len(text), counted.units, counted.parts, per_part)


@dataclass(eq=False, slots=True)
class SendPages:
    portal: Portal

    def routes(self) -> list[BaseRoute]:
        page = self.portal.page
        return [
            Route("/portal/send", page(self.send_form), methods=["GET"]),
            Route("/portal/send", page(self.send), methods=["POST"]),
            Route("/portal/send/quote", page(self.quote), methods=["POST"]),
            Route("/portal/send/csv", page(self.upload), methods=["POST"]),
            Route("/portal/batches/{batch_id}", page(self.batch), methods=["GET"]),
            Route("/portal/batches/{batch_id}/progress", page(self.progress), methods=["GET"]),
        ]

    async def send_form(self, request: Request) -> Response:
        visitor = await self.portal.signed_in(request)
        return self._form(visitor, Draft())

    async def quote(self, request: Request) -> Response:
        visitor = await self.portal.signed_in(request)
        draft = Draft.of(await self.portal.form(request, visitor.session))
        error, counter, quote = None, None, None
        try:
            counter = Counter.of(draft.text)
            if draft.recipients and draft.text:
                command = draft.command(draft.sender.strip() or QUOTE_SENDER)
                quote = await self.portal.ctx.submit.quote(visitor.user, command)
        except TextError as exc:
            error = str(exc)
        except SmsgateError as exc:
            error = exc.message
        return self.portal.render("quote.html", visitor, counter=counter, quote=quote, error=error)

    async def send(self, request: Request) -> Response:
        visitor = await self.portal.signed_in(request)
        draft = Draft.of(await self.portal.form(request, visitor.session))
        try:
            accepted = await self.portal.ctx.submit.submit(visitor.user, draft.command())
        except InsufficientCredit as exc:
            return self._form(visitor, draft, exc.message, 402)
        except SmsgateError as exc:
            return self._form(visitor, draft, exc.message, 400)
        return RedirectResponse(f"/portal/batches/{accepted.batch_id}", 303)

    async def upload(self, request: Request) -> Response:
        """The send form again, its recipients those of the uploaded CSV file (added to
        any typed), with the rows it refused listed; nothing is sent."""
        visitor = await self.portal.signed_in(request)
        fields, content = await self.portal.upload(request, visitor.session)
        draft = Draft.of(fields)
        if not content:
            return self._form(visitor, draft, "Choose a CSV file to read.", 400)
        try:
            found = read_recipients(content, visitor.user.default_country)
        except InvalidRequest as exc:
            return self._form(visitor, draft, exc.message, 400)
        numbers = dict.fromkeys([*draft.recipients, *found.numbers])
        draft = replace(draft, to="\n".join(numbers))
        return self._form(visitor, draft, uploaded=found)

    async def batch(self, request: Request) -> Response:
        visitor = await self.portal.signed_in(request)
        return await self._batch(visitor, request.path_params["batch_id"], "batch.html")

    async def progress(self, request: Request) -> Response:
        visitor = await self.portal.signed_in(request)
        return await self._batch(visitor, request.path_params["batch_id"], "progress.html")

    async def _batch(self, visitor: Visitor, batch_id: str, template: str) -> Response:
        found, _ = await self.portal.ctx.messages.page(
            visitor.user, batch_id=batch_id, limit=MAX_PAGE
        )
        if not found:
            raise NotFound(f"no batch {batch_id}")
        counts: dict[Status, int] = {}
        for message in found:
            counts[message.status] = counts.get(message.status, 0) + 1
        final = sum(1 for m in found if m.is_final)
        return self.portal.render(
            template,
            visitor,
            section="send",
            batch_id=batch_id,
            messages=sorted(found, key=lambda m: m.id),
            counts=sorted(counts.items()),
            final=final,
            cost=sum(m.cost for m in found),
            currency=found[0].currency,
        )

    def _form(
        self,
        visitor: Visitor,
        draft: Draft,
        error: str = "",
        status: int = 200,
        uploaded: CsvRecipients | None = None,
    ) -> Response:
        return self.portal.render(
            "send.html",
            visitor,
            status,
            section="send",
            draft=draft,
            error=error,
            uploaded=uploaded,
            max_bad=MAX_BAD_ROWS,
        )
