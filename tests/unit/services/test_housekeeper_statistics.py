"""The housekeeper asks the store for a young database's planner statistics, with
YOUNG_ROWS, on each of its rounds until the store says `messages` has them."""

from __future__ import annotations

from smsgate.services import delivery
from smsgate.services.counters import Counters
from smsgate.services.delivery import Housekeeper, ReceiptRecorder
from smsgate.store.memory import MemoryStore
from tests.unit.services.fixed import FixedClock


class YoungStore(MemoryStore):
    """Answers the first `young` asks that `messages` has no statistics yet."""

    def __init__(self, young: int) -> None:
        super().__init__()
        self.young = young
        self.asked: list[int] = []

    async def analyze_young_tables(self, rows: int) -> bool:
        self.asked.append(rows)
        return len(self.asked) > self.young


async def test_statistics_are_asked_for_until_there() -> None:
    store, clock, stats = YoungStore(young=2), FixedClock(), Counters()
    keeper = Housekeeper(store, ReceiptRecorder(store, clock, stats), clock, stats)
    asked = []
    for _ in range(5):
        await keeper.run_once()
        asked.append(len(store.asked))
    assert asked == [1, 2, 3, 3, 3]
    assert store.asked == [delivery.YOUNG_ROWS] * 3
