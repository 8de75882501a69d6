import pytest

from smsgate.core.accounts import (
    Account,
    AccountStatus,
    check_account_name,
    check_active,
    funding_account,
)
from smsgate.core.errors import Forbidden, InsufficientCredit, InvalidRequest, InvalidSender
from smsgate.core.ledger import credit, debit
from smsgate.core.senders import check_sender


def make(
    id: int, parent: int | None, own: bool, status: AccountStatus = AccountStatus.ACTIVE
) -> Account:
    return Account(id, f"a{id}", parent, own, 100 if own else 0, "EUR", status, "IT", 10, 0.0)


def test_shared_balance_is_paid_by_the_nearest_ancestor_with_one() -> None:
    chain = [make(3, 2, False), make(2, 1, False), make(1, None, True)]
    assert funding_account(chain).id == 1
    chain = [make(3, 2, False), make(2, 1, True), make(1, None, True)]
    assert funding_account(chain).id == 2


def test_a_suspended_ancestor_stops_the_subaccount() -> None:
    chain = [make(2, 1, True), make(1, None, True, AccountStatus.SUSPENDED)]
    with pytest.raises(Forbidden, match="parent"):
        check_active(chain)
    check_active([make(1, None, True)])


def test_debit_never_goes_below_zero() -> None:
    assert debit(100, 100) == 0
    with pytest.raises(InsufficientCredit):
        debit(99, 100)
    with pytest.raises(InvalidRequest):
        debit(100, -1)
    assert credit(0, 5) == 5


@pytest.mark.parametrize("name", ["demo", "acme-1", "a.b_c"])
def test_account_names(name: str) -> None:
    assert check_account_name(name) == name


@pytest.mark.parametrize("name", ["", "x" * 17, "with space", "é"])
def test_bad_account_names(name: str) -> None:
    with pytest.raises(InvalidRequest):
        check_account_name(name)


@pytest.mark.parametrize(
    "sender", ["smsgate", "ACME Ltd", "393331234567", "+393331234567", "1" * 16]
)
def test_senders(sender: str) -> None:
    assert check_sender(sender) == sender


@pytest.mark.parametrize("sender", ["", " padded", "twelve chars", "1" * 17, "ümlaut", "a\nb"])
def test_bad_senders(sender: str) -> None:
    with pytest.raises(InvalidSender):
        check_sender(sender)
