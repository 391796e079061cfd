"""A big object split into record-aligned byte ranges, planned once and written by array
children: every row once, with its file line (moto in-process for the S3/DynamoDB parts)."""

import csv
import io
import json
import random
from typing import Any

import pytest
from processor.cli import EXIT_BAD_INPUT, EXIT_OK, EXIT_REJECTED_ROWS, main
from processor.shards import Manifest, ObjectVersion, RecordStarts, manifest_key, plan

from tests.unit.conftest import BUCKET, TABLE


def planned(data: bytes, shards: int, chunk: int = 4096) -> Manifest:
    chunks = [data[i : i + chunk] for i in range(0, len(data), chunk)]
    return plan(chunks, len(data), shards)


def records(manifest: Manifest, data: bytes) -> list[list[str]]:
    """What the children parse: the header, then each range after it."""
    parsed = []
    for part in manifest.ranges:
        text = manifest.header + data[part.start : part.end].decode("utf-8")
        parsed += list(csv.reader(io.StringIO(text, newline="")))[1:]
    return parsed


def whole(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))[1:]


def test_the_ranges_cover_the_body_in_order_and_start_on_records():
    data = b"id,name\n" + b"".join(b"k%d,row %d\n" % (i, i) for i in range(100))

    manifest = planned(data, 4)

    assert manifest.header == "id,name\n"
    assert manifest.ranges[0].start == len(b"id,name\n")
    assert all(a.end == b.start for a, b in zip(manifest.ranges, manifest.ranges[1:], strict=False))
    assert manifest.ranges[-1].end == len(data)
    assert all(data[p.start - 1 : p.start] == b"\n" for p in manifest.ranges)
    assert records(manifest, data) == whole(data)


def test_a_row_straddling_a_split_point_belongs_to_the_range_it_starts_in():
    data = b"id,name\n" + b"a,short\n" + b"b," + b"x" * 50 + b"\n" + b"c,end\n"
    split = len(data) // 2  # inside row b

    (first, second) = planned(data, 2).ranges

    assert first.start < split < first.end
    assert data[first.start : first.end].endswith(b"x\n")
    assert data[second.start : second.end] == b"c,end\n"
    assert second.first_line == 4


def test_a_quoted_newline_at_a_split_point_is_not_a_record_boundary():
    row = b'k1,"line one\nline two"\n'
    data = b"id,text\n" + row + b"k2,plain\n"
    after_quoted_newline = len(b"id,text\n") + row.index(b"\n") + 1
    finder = RecordStarts([after_quoted_newline])

    finder.feed(data)

    assert finder.finish() == [(len(b"id,text\n") + len(row), 4)]  # k2's record, on line 4


def test_a_byte_order_mark_stays_with_the_header_only():
    data = "\ufeffid,name\nk1,é\nk2,ü\n".encode()

    manifest = planned(data, 2, chunk=3)

    assert manifest.header == "id,name\n"
    assert all(not data[p.start : p.end].startswith(b"\xef\xbb\xbf") for p in manifest.ranges)
    assert records(manifest, data) == [["k1", "é"], ["k2", "ü"]]


def test_a_range_with_no_record_start_is_empty_and_every_row_still_comes_once():
    data = b"id,blob\n" + b"k1," + b"y" * 500 + b"\n" + b"k2,z\n"

    manifest = planned(data, 5, chunk=16)

    empty = [p for p in manifest.ranges if p.start == p.end]
    assert len(manifest.ranges) == 5 and len(empty) >= 2
    assert records(manifest, data) == whole(data)


def test_the_plan_does_not_depend_on_how_the_bytes_arrive():
    data = b'id,v\n1,"a\n""b"""\n2,c\r\n3,"d,e"\n' * 20

    plans = {planned(data, 6, chunk=size).to_json() for size in (1, 2, 7, 64, len(data))}

    assert len(plans) == 1


def test_random_files_split_anywhere_give_back_every_row_once_with_its_line():
    chooser = random.Random(7)
    for _ in range(400):
        rows = [["id", "name"]] + [
            [f"k{i}", chooser.choice(["a", "b,c", 'q"t', "two\nlines", "x" * 30, "", "\n\n"])]
            for i in range(chooser.randint(0, 25))
        ]
        text = io.StringIO()
        csv.writer(text, lineterminator=chooser.choice(["\n", "\r\n"])).writerows(rows)
        data = chooser.choice([b"", b"\xef\xbb\xbf"]) + text.getvalue().encode()

        manifest = planned(data, chooser.randint(1, 8), chooser.randint(1, 40))

        assert records(manifest, data) == whole(data)
        for part in manifest.ranges:
            if part.end > part.start:
                assert part.first_line == data[: part.start].count(b"\n") + 1


@pytest.fixture
def processor_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TABLE_NAME", TABLE)
    monkeypatch.delenv("KEY_COLUMN", raising=False)
    monkeypatch.delenv("AWS_BATCH_JOB_ARRAY_INDEX", raising=False)


def run_shards(aws: dict[str, Any], key: str, shards: int, monkeypatch) -> list[int]:
    """The planning job, then each array child; their exit codes."""
    arguments = ["--bucket", BUCKET, "--key", key, "--shards", str(shards)]
    codes = [main([*arguments, "--mode", "plan"])]
    for index in range(shards):
        monkeypatch.setenv("AWS_BATCH_JOB_ARRAY_INDEX", str(index))
        codes.append(main([*arguments, "--mode", "shard"]))
    return codes


def table_items(aws: dict[str, Any]) -> dict[str, dict[str, Any]]:
    items = aws["dynamodb"].scan(TableName=TABLE)["Items"]
    return {item["ProductId"]["S"]: item for item in items}


def test_planned_children_write_every_row_once_with_file_lines(
    aws, processor_environment, monkeypatch, capsys
):
    rows = [f'P-{i},"Name {i}","a, quoted\nnewline {i}"' for i in range(40)]
    body = ("ProductId,ProductName,Notes\n" + "\n".join(rows) + "\n").encode()
    aws["s3"].put_object(Bucket=BUCKET, Key="big.csv", Body=body)

    codes = run_shards(aws, "big.csv", 4, monkeypatch)

    assert codes == [EXIT_OK] * 5
    items = table_items(aws)
    assert sorted(items) == sorted(f"P-{i}" for i in range(40))
    assert items["P-7"]["Notes"]["S"] == "a, quoted\nnewline 7"
    assert items["P-7"]["source_line"]["N"] == str(2 + 7 * 2), "each row spans two lines"
    summaries = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    written = [s["written"] for s in summaries if s["event"] == "summary"]
    assert sum(written) == 40 and written[0] == 0, "the plan writes nothing"
    manifest_object = manifest_key(ObjectVersion(BUCKET, "big.csv", None, None))
    assert aws["s3"].get_object(Bucket=BUCKET, Key=manifest_object)["ContentLength"] > 0


def test_a_rejected_row_in_a_shard_is_reported_with_its_file_line(
    aws, processor_environment, monkeypatch, capsys
):
    lines = ["ProductId,ProductName"] + [f"P-{i},n{i}" for i in range(30)]
    lines[25] = "P-bad,too,many"
    aws["s3"].put_object(Bucket=BUCKET, Key="bad.csv", Body=("\n".join(lines) + "\n").encode())

    codes = run_shards(aws, "bad.csv", 3, monkeypatch)

    said = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert codes.count(EXIT_REJECTED_ROWS) == 1 and codes.count(EXIT_OK) == 3
    assert [e["line"] for e in said if e["event"] == "row_rejected"] == [26]
    assert len(table_items(aws)) == 29


def test_a_plan_of_an_object_without_the_key_column_fails_before_any_child(
    aws, processor_environment, capsys
):
    aws["s3"].put_object(Bucket=BUCKET, Key="nokey.csv", Body=b"Name\nx\n")

    code = main(["--bucket", BUCKET, "--key", "nokey.csv", "--mode", "plan", "--shards", "2"])

    assert code == EXIT_BAD_INPUT
    assert "header has no key column" in capsys.readouterr().out
