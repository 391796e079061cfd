"""The journal's file: records written and read back in order, a record cut short by a crash
ignored, and a journal that follows another saved state never replayed."""

from harness.engine.edge import journal
from harness.engine.edge.journal import Delivered, Journal, Request


def request(sequence: int, body: bytes = b"x", handed_off: int = 0) -> Request:
    return Request(sequence, {"REQUEST_METHOD": "PUT", "PATH_INFO": "/b/k"}, body, handed_off)


def test_records_come_back_in_order_with_their_deliveries(tmp_path):
    path = tmp_path / "engine.state.journal"
    written = Journal(path, follows="save-1")
    for n in (1, 2, 3):
        written.flush(written.append(request(n, handed_off=1 if n == 2 else 0)))
    written.flush(written.append(Delivered(2)))
    written.append(request(4, handed_off=1))
    written.flush(written.size)

    contents = journal.read(path, follows="save-1")

    assert [r.sequence for r in contents.requests] == [1, 2, 3, 4]
    assert [contents.pending_deliveries(r) for r in contents.requests] == [0, 0, 0, 1]
    assert contents.last_sequence == 4 and contents.dropped_bytes == 0


def test_a_record_cut_short_at_the_end_is_ignored(tmp_path):
    path = tmp_path / "engine.state.journal"
    written = Journal(path, follows="save-1")
    written.flush(written.append(request(1)))
    whole = path.stat().st_size
    written.flush(written.append(request(2, body=b"y" * 1000)))
    with path.open("r+b") as file:  # the crash came while the second was written
        file.truncate(whole + 100)

    contents = journal.read(path, follows="save-1")

    assert [r.sequence for r in contents.requests] == [1]
    assert contents.dropped_bytes == 100


def test_a_journal_of_another_save_is_not_read_and_is_replaced_when_opened(tmp_path):
    path = tmp_path / "engine.state.journal"
    old = Journal(path, follows="save-1")
    old.flush(old.append(request(1)))

    assert journal.read(path, follows="save-2").requests == []
    Journal(path, follows="save-2")
    assert journal.read(path, follows="save-1").requests == []
    assert journal.read_follows(path) == "save-2"


def test_reopened_it_goes_on_after_what_it_holds(tmp_path):
    path = tmp_path / "engine.state.journal"
    first = Journal(path, follows="save-1")
    first.flush(first.append(request(first.next_sequence())))
    first.close()

    second = Journal(path, follows="save-1", first_sequence=2)
    second.flush(second.append(request(second.next_sequence())))

    assert [r.sequence for r in journal.read(path, "save-1").requests] == [1, 2]


def test_restart_empties_it_for_the_next_save(tmp_path):
    path = tmp_path / "engine.state.journal"
    written = Journal(path, follows="save-1")
    written.flush(written.append(request(1)))

    written.restart("save-2")
    written.flush(written.append(request(2)))

    assert [r.sequence for r in journal.read(path, "save-2").requests] == [2]
