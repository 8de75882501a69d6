"""Inbound numbers, keywords and accounts' inbound settings in SQL: `inbound_numbers`,
`inbound_keywords`, `inbound_settings`; `SqlNumbers` is SqlStore's part for them."""

from __future__ import annotations

from dataclasses import asdict

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from smsgate.core.errors import Conflict
from smsgate.services.inbound_numbers import NATIVE, InboundKeyword, InboundNumber, NumberToAdd
from smsgate.services.inbound_plan import InboundSettings
from smsgate.store.records import record_from_row
from smsgate.store.schema_inbound import inbound_keywords, inbound_numbers, inbound_settings
from smsgate.store.sql_base import SqlPart


def add_number(conn: Connection, number: NumberToAdd) -> InboundNumber:
    """Insert the row; Conflict when the number exists (SqlNumbers also maps a racing
    insert's IntegrityError to Conflict)."""
    taken = select(inbound_numbers.c.id).where(inbound_numbers.c.number == number.number)
    if conn.execute(taken).first() is not None:
        raise _number_exists(number.number)
    statement = insert(inbound_numbers).values(asdict(number)).returning(*inbound_numbers.c)
    return record_from_row(InboundNumber, conn.execute(statement).one()._mapping)


def _number_exists(number: str) -> Conflict:
    return Conflict(f"inbound number {number} exists already", field="number")


def _keyword_exists(keyword: str) -> Conflict:
    return Conflict(f"keyword {keyword} exists already on this number", field="keyword")


def all_numbers(conn: Connection) -> list[InboundNumber]:
    query = select(inbound_numbers).order_by(inbound_numbers.c.number)
    return [record_from_row(InboundNumber, row._mapping) for row in conn.execute(query)]


def set_number_accounts(
    conn: Connection, number_id: int, account_id: int | None, default_account_id: int | None
) -> bool:
    statement = (
        update(inbound_numbers)
        .where(inbound_numbers.c.id == number_id)
        .values(account_id=account_id, default_account_id=default_account_id)
    )
    return bool(conn.execute(statement).rowcount)


def set_number_delivery(
    conn: Connection,
    number_id: int,
    webhook_url: str | None,
    webhook_shape: str | None,
    price: int,
) -> bool:
    statement = (
        update(inbound_numbers)
        .where(inbound_numbers.c.id == number_id)
        .values(webhook_url=webhook_url, webhook_shape=webhook_shape, price=price)
    )
    return bool(conn.execute(statement).rowcount)


def remove_number(conn: Connection, number_id: int) -> bool:
    conn.execute(delete(inbound_keywords).where(inbound_keywords.c.number_id == number_id))
    result = conn.execute(delete(inbound_numbers).where(inbound_numbers.c.id == number_id))
    return bool(result.rowcount)


def add_keyword(
    conn: Connection, number_id: int, keyword: str, account_id: int, now: float
) -> InboundKeyword:
    k = inbound_keywords.c
    taken = select(k.id).where(k.number_id == number_id, k.keyword == keyword)
    if conn.execute(taken).first() is not None:
        raise _keyword_exists(keyword)
    values = {
        "number_id": number_id,
        "keyword": keyword,
        "account_id": account_id,
        "created_at": now,
    }
    statement = insert(inbound_keywords).values(values).returning(*inbound_keywords.c)
    return record_from_row(InboundKeyword, conn.execute(statement).one()._mapping)


def all_keywords(conn: Connection) -> list[InboundKeyword]:
    k = inbound_keywords.c
    query = select(inbound_keywords).order_by(k.number_id, k.keyword)
    return [record_from_row(InboundKeyword, row._mapping) for row in conn.execute(query)]


def remove_keyword(conn: Connection, number_id: int, keyword: str) -> bool:
    k = inbound_keywords.c
    result = conn.execute(
        delete(inbound_keywords).where(k.number_id == number_id, k.keyword == keyword)
    )
    return bool(result.rowcount)


def all_settings(conn: Connection) -> list[InboundSettings]:
    query = select(inbound_settings).order_by(inbound_settings.c.account_id)
    return [
        InboundSettings(
            account_id=int(row.account_id),
            webhook_url=row.webhook_url,
            webhook_shape=row.webhook_shape or NATIVE,
            smpp=bool(row.smpp),
            smpp_long=row.smpp_long,
            opt_out=tuple(row.opt_out.split()),
            stop_reply=row.stop_reply,
            start_reply=row.start_reply,
            updated_at=float(row.updated_at),
        )
        for row in conn.execute(query)
    ]


def set_settings(conn: Connection, settings: InboundSettings) -> None:
    values = asdict(settings)
    values["opt_out"] = " ".join(settings.opt_out)
    where = inbound_settings.c.account_id == settings.account_id
    conn.execute(delete(inbound_settings).where(where))
    conn.execute(insert(inbound_settings).values(values))


class SqlNumbers(SqlPart):
    async def add_number(self, number: NumberToAdd) -> InboundNumber:
        try:
            return await self.connections.write(add_number, number)
        except IntegrityError as exc:
            raise _number_exists(number.number) from exc

    async def inbound_numbers(self) -> list[InboundNumber]:
        return await self.connections.read(all_numbers)

    async def set_number_accounts(
        self, number_id: int, account_id: int | None, default_account_id: int | None
    ) -> bool:
        return await self.connections.write(
            set_number_accounts, number_id, account_id, default_account_id
        )

    async def set_number_delivery(
        self, number_id: int, webhook_url: str | None, webhook_shape: str | None, price: int
    ) -> bool:
        return await self.connections.write(
            set_number_delivery, number_id, webhook_url, webhook_shape, price
        )

    async def remove_number(self, number_id: int) -> bool:
        return await self.connections.write(remove_number, number_id)

    async def add_keyword(
        self, number_id: int, keyword: str, account_id: int, now: float
    ) -> InboundKeyword:
        try:
            return await self.connections.write(add_keyword, number_id, keyword, account_id, now)
        except IntegrityError as exc:
            raise _keyword_exists(keyword) from exc

    async def inbound_keywords(self) -> list[InboundKeyword]:
        return await self.connections.read(all_keywords)

    async def remove_keyword(self, number_id: int, keyword: str) -> bool:
        return await self.connections.write(remove_keyword, number_id, keyword)

    async def all_inbound_settings(self) -> list[InboundSettings]:
        return await self.connections.read(all_settings)

    async def set_inbound_settings(self, settings: InboundSettings) -> None:
        await self.connections.write(set_settings, settings)
