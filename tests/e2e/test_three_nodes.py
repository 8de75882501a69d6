"""Three gateway nodes (real `smsgate run` processes) on one PostgreSQL database, two SMPP
operators with 2 and 3 binds, HTTP and SMPP customers sending through every node, and one
node killed (-9, all its processes) mid-load, then started again: every accepted message
ends once, money is exact, nothing goes out twice but what the killed node had in flight,
and the operators never see more binds than configured."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.e2e.three_nodes import (
    BINDS,
    CREDIT,
    FINAL,
    PRICE,
    Report,
    duplicates,
    run_three_nodes,
)

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.timeout(300)]
COUNT = 60  # messages per customer: 6 customers
BIND_MOVE_BOUND = 10.0  # seconds from kill -9 to every bind open again on live nodes


@pytest.fixture(scope="module")
def report(postgres_url: str, tmp_path_factory: pytest.TempPathFactory) -> Report:
    # One process a node: three nodes' connection pools fit beside the other tests'.
    found = run_three_nodes(postgres_url, tmp_path_factory.mktemp("nodes"), COUNT, http_workers=0)
    print(f"\n{summary(found)}")
    return found


def summary(report: Report) -> str:
    """One line of what the run counted, and how long each phase took."""
    counted = ", ".join(f"{name} {value}" for name, value in report.figures().items())
    phases = ", ".join(f"{name} {s:.1f}" for name, s in report.phases.items())
    return f"killed {report.victim}: {counted}; phases (s): {phases}"


def test_every_accepted_message_is_stored_once_and_ends_final(report: Report) -> None:
    outcomes = report.outcomes
    assert duplicates(Counter(m.text for m in report.messages)) == set()
    stored = {m.text: (m.id, m.status) for m in report.messages}
    for text, message_id in outcomes.accepted.items():
        assert stored[text][0] == message_id
    assert set(stored) <= set(outcomes.accepted) | outcomes.unknown
    assert set(stored) & outcomes.refused == set()
    assert {status for _, status in stored.values()} <= set(FINAL)
    # the load had refusals (invalid recipients) and each kind of outcome upstream
    assert outcomes.refused
    assert {"delivered", "undelivered", "rejected"} <= {s for _, s in stored.values()}


def test_money_is_exact_to_the_micro_unit(report: Report) -> None:
    for name in ("webco", "smppco"):
        account_id, balance = report.accounts[name]
        entries = [e for e in report.ledger if e[1] == account_id]
        assert sum(e[3] for e in entries) == balance
        assert [e[3] for e in entries if e[2] == "topup"] == [CREDIT]
        running = 0
        for _, _, _, amount, after, _ in entries:  # each balance_after follows the last
            running += amount
            assert after == running
        # charged by batch (one message each here), refunded by message
        paid: Counter[str] = Counter()
        for _, _, kind, amount, _, reference in entries:
            if kind != "topup":
                paid[reference] -= amount
        mine = [m for m in report.messages if m.account == name]
        assert duplicates(Counter(m.batch for m in mine)) == set()
        assert CREDIT - sum(m.cost for m in mine) == balance
        for m in mine:
            assert paid[m.batch] + paid[m.id] == m.cost
            assert m.cost == (0 if m.status in ("rejected", "failed") else PRICE)


def test_nothing_goes_out_twice_but_what_the_killed_node_had_in_flight(report: Report) -> None:
    ids = {m.text: m.id for m in report.messages}
    statuses = {m.id: m.status for m in report.messages}
    twice = report.twice()
    assert twice["sending"] <= report.held["sending"]
    for text, m_id in ids.items():  # what went out went out at least once
        assert report.acked[text] >= (statuses[m_id] in ("delivered", "undelivered"))
    http = {m_id for text, m_id in report.outcomes.accepted.items() if text.startswith("h")}
    assert twice["webhook"] <= report.held["webhook"], {
        m_id: report.attempts.get(m_id) for m_id in twice["webhook"] - report.held["webhook"]
    }
    assert http <= set(report.webhooks) <= set(statuses)  # each final status was POSTed
    assert duplicates(report.outbox_rows) == set()
    smpp = {m_id for text, m_id in report.outcomes.accepted.items() if text.startswith("s")}
    assert twice["receipt"] <= report.held["receipt"]
    assert set(report.outcomes.receipts) >= smpp - {
        m_id for m_id, status in statuses.items() if status == "failed"
    }


def test_each_operator_saw_at_most_its_binds_and_they_moved_within_the_bound(
    report: Report,
) -> None:
    assert report.most_binds == BINDS
    assert report.bind_move_s < BIND_MOVE_BOUND
