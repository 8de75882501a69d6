from smsgate.core.messages import Message, PartStatus, Status
from smsgate.services.dispatch import MAX_ATTEMPTS, outcome_for, retry_delay, unroutable
from smsgate.services.ports import UpstreamPart, UpstreamResult


def message(parts: int = 3, cost: int = 150_000, attempts: int = 1) -> Message:
    return Message(
        id="m1",
        batch_id="b1",
        account_id=1,
        payer_id=1,
        to="+393331234567",
        sender="x",
        text="t",
        encoding="gsm7",
        parts=parts,
        cost=cost,
        currency="EUR",
        status=Status.SENDING,
        error=None,
        reference=None,
        callback_url=None,
        created_at=0.0,
        scheduled_at=None,
        expires_at=100.0,
        sent_at=None,
        done_at=None,
        attempts=attempts,
    )


def test_accepted_parts_are_sent() -> None:
    result = UpstreamResult(
        True, False, tuple(UpstreamPart(i, f"u{i}", None) for i in (1, 2, 3)), None
    )
    outcome = outcome_for(message(), "sim", result, now=10.0)
    assert outcome.status is Status.SENT
    assert [p.upstream_id for p in outcome.parts] == ["u1", "u2", "u3"]
    assert outcome.refund == 0


def test_temporary_refusal_is_retried_later() -> None:
    outcome = outcome_for(
        message(attempts=2), "sim", UpstreamResult(False, True, (), "throttled"), 10.0
    )
    assert outcome.status is Status.QUEUED
    assert outcome.retry_at == 10.0 + retry_delay(2)
    assert outcome.refund == 0


def test_temporary_refusal_fails_after_the_last_attempt_and_refunds() -> None:
    outcome = outcome_for(
        message(attempts=MAX_ATTEMPTS), "sim", UpstreamResult(False, True, (), "down"), 10.0
    )
    assert outcome.status is Status.FAILED
    assert outcome.refund == 150_000


def test_permanent_refusal_refunds_only_the_parts_never_accepted() -> None:
    result = UpstreamResult(False, False, (UpstreamPart(1, "u1", None),), "ESME_RINVDSTADR")
    outcome = outcome_for(message(), "sim", result, 10.0)
    assert outcome.status is Status.REJECTED
    assert [(p.seq, p.status) for p in outcome.parts] == [
        (1, PartStatus.SENT),
        (2, PartStatus.REJECTED),
        (3, PartStatus.REJECTED),
    ]
    assert outcome.refund == 100_000


def test_unroutable_is_refunded_whole() -> None:
    outcome = unroutable(message())
    assert outcome.status is Status.FAILED
    assert outcome.refund == 150_000


def test_backoff_grows_and_is_capped() -> None:
    assert [retry_delay(n) for n in (1, 2, 3)] == [2.0, 4.0, 8.0]
    assert retry_delay(50) == 300.0
