"""What storing a routed MO does in its transaction (services.inbound_plan.MoEffects), in
SQL: the rows that queue it for webhooks (`inbound_outbox`) and SMPP binds
(`smpp_outbox`), the charge of its number debited with a ledger entry, and its sender
put on or taken off the account's STOP list."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from smsgate.core.ledger import EntryKind
from smsgate.services.inbound import InboundMessage
from smsgate.services.inbound_plan import STOP_ADD, MoEffects, charge_payer, charge_reference
from smsgate.services.stoplist import SOURCE_INBOUND
from smsgate.store.schema_inbound import inbound_outbox
from smsgate.store.sql_accounts import chain
from smsgate.store.sql_money import Purse
from smsgate.store.sql_rows import insert_rows
from smsgate.store.sql_smpp import add_smpp_mo
from smsgate.store.sql_stoplist import add_stop, remove_stop

PENDING = "pending"


def apply_effects(
    conn: Connection, inbound_id: int, mo: InboundMessage, effects: MoEffects
) -> None:
    account_id = mo.account_id
    if account_id is None:
        return
    now = mo.received_at
    insert_rows(
        conn,
        inbound_outbox,
        [
            {
                "inbound_id": inbound_id,
                "account_id": account_id,
                "source": mo.source,
                "url": target.url,
                "shape": target.shape,
                "state": PENDING,
                "attempts": 0,
                "next_at": now,
                "created_at": now,
                "last_status": None,
                "last_error": None,
            }
            for target in effects.webhooks
        ],
    )
    if effects.smpp:
        add_smpp_mo(conn, [(account_id, inbound_id)], now)
    if effects.charge:
        _charge(conn, inbound_id, account_id, effects.charge, now)
    if effects.stop is not None:
        command, number = effects.stop
        if command == STOP_ADD:
            add_stop(conn, account_id, number, SOURCE_INBOUND, now)
        else:
            remove_stop(conn, account_id, number)


def _charge(conn: Connection, inbound_id: int, account_id: int, amount: int, now: float) -> None:
    """Debit `amount` from the account that pays for the MO; an MO is received even
    when that takes its balance below zero."""
    payer = charge_payer(chain(conn, account_id))
    if payer is None:
        return
    purse = Purse.open(conn, [payer])
    purse.move(payer, EntryKind.CHARGE, -amount, charge_reference(inbound_id), now, overdraw=True)
    purse.save(conn)
