from smsgate.services.clock import SystemClock, TimeOrderedIds


def test_ids_are_unique_and_sorted_in_creation_order() -> None:
    source = TimeOrderedIds()
    ids = [source.new_id() for _ in range(20_000)]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    assert {len(i) for i in ids} == {25}


def test_two_sources_do_not_collide() -> None:
    first, second = TimeOrderedIds(), TimeOrderedIds()
    ids = [source.new_id() for _ in range(5_000) for source in (first, second)]
    assert len(set(ids)) == len(ids)


def test_system_clock_reads_epoch_seconds() -> None:
    assert SystemClock().now() > 1.7e9
