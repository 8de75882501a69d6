import pytest

from smsgate.core.errors import Conflict
from smsgate.core.messages import (
    FINAL,
    TRANSITIONS,
    PartStatus,
    Status,
    advance,
    status_from_parts,
)
from smsgate.core.receipts import part_status_for_stat


def test_every_status_has_a_row() -> None:
    assert set(TRANSITIONS) == set(Status)


def test_final_statuses_end_except_expired() -> None:
    for status in FINAL - {Status.EXPIRED}:
        assert TRANSITIONS[status] == frozenset()


@pytest.mark.parametrize(
    ("current", "new"),
    [
        (Status.QUEUED, Status.SENDING),
        (Status.SENDING, Status.SENT),
        (Status.SENDING, Status.QUEUED),
        (Status.SENT, Status.DELIVERED),
        (Status.SCHEDULED, Status.CANCELLED),
        (Status.EXPIRED, Status.DELIVERED),
    ],
)
def test_allowed(current: Status, new: Status) -> None:
    assert advance(current, new) is new


@pytest.mark.parametrize(
    ("current", "new"),
    [
        (Status.DELIVERED, Status.UNDELIVERED),
        (Status.QUEUED, Status.CANCELLED),
        (Status.SENT, Status.QUEUED),
        (Status.CANCELLED, Status.QUEUED),
    ],
)
def test_refused(current: Status, new: Status) -> None:
    with pytest.raises(Conflict):
        advance(current, new)


def test_message_is_open_while_a_part_is() -> None:
    assert status_from_parts([PartStatus.DELIVERED, PartStatus.SENT]) is None
    assert status_from_parts([]) is None


@pytest.mark.parametrize(
    ("parts", "status"),
    [
        ([PartStatus.DELIVERED, PartStatus.DELIVERED], Status.DELIVERED),
        ([PartStatus.DELIVERED, PartStatus.UNDELIVERED], Status.UNDELIVERED),
        ([PartStatus.EXPIRED, PartStatus.DELIVERED], Status.EXPIRED),
        ([PartStatus.EXPIRED, PartStatus.UNDELIVERED], Status.UNDELIVERED),
        ([PartStatus.SENT.REJECTED, PartStatus.DELIVERED], Status.REJECTED),
    ],
)
def test_worst_part_decides(parts: list[PartStatus], status: Status) -> None:
    assert status_from_parts(parts) is status


@pytest.mark.parametrize(
    ("stat", "status"),
    [
        ("DELIVRD", PartStatus.DELIVERED),
        ("delivrd", PartStatus.DELIVERED),
        ("UNDELIV", PartStatus.UNDELIVERED),
        ("REJECTD", PartStatus.UNDELIVERED),
        ("EXPIRED", PartStatus.EXPIRED),
        ("ENROUTE", None),
        ("ACCEPTD", None),
        ("WHATEVER", PartStatus.UNDELIVERED),
    ],
)
def test_receipt_stat(stat: str, status: PartStatus | None) -> None:
    assert part_status_for_stat(stat) is status
