"""The event-id index of an audit (``cppolicy.spill.EventIds``): an open-addressing table of
hashes with its records on disk, then SQLite past ``table_limit``. It decides duplicates and
conflicts, so it is checked against a dict on every path: growth, probing past the table's end,
hash collisions, records read back from the file, the SQLite tier."""

from __future__ import annotations

import random

import pytest

from cppolicy.audit.ids import OFFSET_BITS, TAG_BITS, EventIds, IdTable


class Hashed(str):
    """An id whose hash the test chooses (Python's ``hash`` of a str is salted per process). What
    ``__hash__`` returns is itself hashed as an int: kept within ±2**61, as it is here, it stays."""

    def __new__(cls, text: str, forced: int):
        made = super().__new__(cls, text)
        made.forced = forced
        return made

    def __hash__(self) -> int:
        return self.forced


def _ids(rng: random.Random, count: int) -> list[str]:
    alphabets = ["E-", "事件-", "\U0001f600"]  # (never a lone surrogate: orjson refuses those)
    out = {
        f"{rng.choice(alphabets)}{rng.randrange(10**9)}" + "x" * rng.choice([0, 0, 0, 300])
        for _ in range(count)
    }
    return sorted(out)


def _check_against_dict(index, ids: list[str], rng: random.Random) -> None:
    model: dict[str, tuple[bytes, int, int]] = {}
    stream = ids + rng.sample(ids, len(ids) // 3)  # a third come again
    rng.shuffle(stream)
    for line, event_id in enumerate(stream, start=1):
        digest = rng.randbytes(16)
        record = (digest, line % 5, line)
        assert index.seen(event_id, *record) == model.get(event_id), event_id
        model.setdefault(event_id, record)
    for event_id in ids:
        assert index.first(event_id) == model[event_id]
    for missing in ("E-missing", "", "事件"):
        assert index.first(missing) is None


@pytest.mark.parametrize("seed", range(6))
def test_the_table_answers_as_a_dict_through_growth_and_records_on_disk(tmp_path, seed):
    rng = random.Random(seed)
    index = EventIds(directory=tmp_path)
    ids = _ids(rng, 3_000)
    index._table._buffer = 512  # records go to the file after a few ids: read back from there
    _check_against_dict(index, ids, rng)
    assert index._table._bits > 12, "the table grew"
    assert index._table._file is not None and not index.on_disk
    index.close()
    assert index._table._file is None, "the records file is closed (on POSIX it never had a name)"
    assert not any(tmp_path.iterdir())
    assert index.first(ids[0]) is None and not index._table.open, "closed: keeps nothing"


@pytest.mark.parametrize("limit", [0, 1, 57])
def test_ids_past_the_table_go_to_sqlite_and_are_still_found(tmp_path, limit):
    rng = random.Random(limit)
    index = EventIds(table_limit=limit, directory=tmp_path, batch=9)
    _check_against_dict(index, _ids(rng, 400), rng)
    assert index.on_disk and len(index._table) == limit
    index.close()
    assert not any(tmp_path.iterdir())


def test_colliding_hashes_are_told_apart_by_the_id_itself(tmp_path):
    table = IdTable(tmp_path, limit=100, bits=4)
    same = 0x0EDC_BA98_7654_3210
    first, second = Hashed("E-1", same), Hashed("E-2", same)
    assert table.seen(first, b"a" * 16, 0, 1) is None
    assert table.seen(second, b"b" * 16, 0, 2) is None
    assert table.get(Hashed("E-1", same)) == (b"a" * 16, 0, 1)
    assert table.get(Hashed("E-2", same)) == (b"b" * 16, 0, 2)
    assert table.get(Hashed("E-3", same)) is None
    table.close()


def test_probing_wraps_past_the_end_of_the_table_also_after_growing(tmp_path):
    # Every id's first slot is the last one: each probe runs off the end and goes on at the start.
    ids = [Hashed(f"E-{n}", -3 - n) for n in range(40)]  # as 64 bits: all ones at the top
    table = IdTable(tmp_path, limit=1_000, bits=3)
    for n, event_id in enumerate(ids):
        assert table.get(event_id) is None
        assert table.seen(event_id, bytes([n]) * 16, 1, n) is None
    assert table._bits > 3
    last = len(table._slots) - 1
    assert table._slots[last] and table._slots[0], "the run of slots wraps around"
    for n, event_id in enumerate(ids):
        assert table.get(Hashed(str(event_id), event_id.forced)) == (bytes([n]) * 16, 1, n)
    table.close()


def _probing_finds_every_slot(table: IdTable) -> bool:
    """The invariant of linear probing: between a slot's first slot and where it is, no gap."""
    slots, size = table._slots, len(table._slots)
    for index, value in enumerate(slots):
        if value:
            at = (value >> OFFSET_BITS) >> (TAG_BITS - table._bits)
            while at != index:
                if not slots[at]:
                    return False
                at = (at + 1) % size
    return True


def test_every_slot_is_where_probing_finds_it_after_each_growth(tmp_path):
    rng = random.Random(7)
    table = IdTable(tmp_path, limit=10_000, bits=3)
    ids = [Hashed(f"E-{n}", rng.randrange(-(2**61) + 2, 2**61 - 1)) for n in range(3_000)]
    ids += [Hashed(f"F-{n}", -3 - n % 50) for n in range(200)]  # crowds at the table's end
    sizes = set()
    for n, event_id in enumerate(ids):
        table.seen(event_id, b"d" * 16, 0, n)
        if len(table._slots) not in sizes:
            sizes.add(len(table._slots))
            assert _probing_finds_every_slot(table)
    assert len(sizes) > 8 and _probing_finds_every_slot(table)
    assert all(table.get(Hashed(str(i), i.forced)) == (b"d" * 16, 0, n) for n, i in enumerate(ids))
    table.close()


def test_the_table_limit_is_checked():
    with pytest.raises(ValueError, match="ids, not"):
        IdTable(None, limit=(2 << TAG_BITS) // 3 + 1)


def test_where_hash_is_not_64_bits_sqlite_alone_keeps_the_ids(tmp_path, monkeypatch):
    import cppolicy.audit.ids

    monkeypatch.setattr(cppolicy.audit.ids, "_HASH_BITS", 32)
    rng = random.Random(32)
    index = EventIds(directory=tmp_path, batch=5)
    assert index.table_limit == 0
    _check_against_dict(index, _ids(rng, 60), rng)
    assert index.on_disk and len(index._table) == 0
    index.close()
