"""The processor end to end against moto's S3 and DynamoDB, through its command line."""

import json
from typing import Any
from unittest.mock import patch

import pytest
from processor.cli import (
    EXIT_BAD_INPUT,
    EXIT_NOT_PERMITTED,
    EXIT_OK,
    EXIT_REJECTED_ROWS,
    EXIT_TRANSIENT,
    dynamodb_clients,
    main,
)
from processor.items import MAX_ITEM_BYTES, Source
from processor.job import DuplicateKeys, Summary, process
from processor.parallel import ParallelWriter
from processor.source import open_text
from processor.writer import BatchWriter

from tests.unit.conftest import BUCKET, TABLE, serving


@pytest.fixture(autouse=True)
def processor_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TABLE_NAME", TABLE)
    monkeypatch.delenv("KEY_COLUMN", raising=False)
    monkeypatch.delenv("CSV_DELIMITER", raising=False)


def upload(aws: dict[str, Any], key: str, body: bytes) -> str:
    return aws["s3"].put_object(Bucket=BUCKET, Key=key, Body=body)["ETag"].strip('"')


def run(aws: dict[str, Any], key: str, etag: str | None = None) -> int:
    argv = ["--bucket", BUCKET, "--key", key]
    if etag:
        argv += ["--etag", etag]
    return main(argv)


def items(aws: dict[str, Any]) -> dict[str, dict[str, Any]]:
    pages = aws["dynamodb"].get_paginator("scan").paginate(TableName=TABLE)
    found = [item for page in pages for item in page["Items"]]
    return {item["ProductId"]["S"]: item for item in found}


def summary_line(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines[-1]["event"] == "summary", "the last line of every run is the summary"
    return lines[-1]


def logged(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_sample_file_writes_every_row_with_its_source(aws, sample_csv, capsys):
    etag = upload(aws, "uploads/Sample.csv", sample_csv)

    assert run(aws, "uploads/Sample.csv", etag) == EXIT_OK

    table = items(aws)
    assert len(table) == 12
    grinder = table["P-1003"]
    assert grinder["ProductName"] == {"S": "Burr Grinder"}
    assert grinder["ProductDescription"] == {"S": "Conical steel burrs, 40 grind settings"}
    assert grinder["source_object"] == {"S": f"s3://{BUCKET}/uploads/Sample.csv"}
    assert grinder["source_etag"] == {"S": etag}
    assert grinder["source_line"] == {"N": "4"}
    summary = summary_line(capsys)
    assert (summary["rows_read"], summary["written"], summary["rejected"]) == (12, 12, 0)
    assert isinstance(summary["seconds"], float)


def test_utf8_bom_is_not_part_of_the_first_column_name(aws):
    upload(aws, "bom.csv", "\ufeffProductId,ProductName\nP-1,Caf\u00e9 cr\u00e8me\n".encode())

    assert run(aws, "bom.csv") == EXIT_OK

    assert items(aws)["P-1"]["ProductName"] == {"S": "Caf\u00e9 cr\u00e8me"}


def test_quoted_fields_keep_newlines_and_line_numbers_follow_the_file(aws):
    body = b'ProductId,ProductDescription\nP-1,"first line\nsecond line"\nP-2,plain\n'
    upload(aws, "multiline.csv", body)

    assert run(aws, "multiline.csv") == EXIT_OK

    table = items(aws)
    assert table["P-1"]["ProductDescription"] == {"S": "first line\nsecond line"}
    assert table["P-1"]["source_line"] == {"N": "2"}
    assert table["P-2"]["source_line"] == {"N": "4"}


def test_configured_delimiter_and_key_column(aws, monkeypatch):
    monkeypatch.setenv("CSV_DELIMITER", ";")
    monkeypatch.setenv("KEY_COLUMN", "Sku")
    aws["dynamodb"].create_table(
        TableName="skus",
        KeySchema=[{"AttributeName": "Sku", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "Sku", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    monkeypatch.setenv("TABLE_NAME", "skus")
    upload(aws, "semicolon.csv", b"Sku;Name\nA-1;one, with comma\n")

    assert run(aws, "semicolon.csv") == EXIT_OK

    item = aws["dynamodb"].get_item(TableName="skus", Key={"Sku": {"S": "A-1"}})["Item"]
    assert item["Name"] == {"S": "one, with comma"}


def test_bad_rows_are_rejected_with_line_numbers_and_valid_rows_still_written(aws, capsys):
    oversized = "x" * (MAX_ITEM_BYTES + 1)
    body = (
        "ProductId,ProductName\n"
        "P-1,good\n"
        "P-2,too,many\n"
        ",no key\n"
        f"P-3,{oversized}\n"
        "P-4\n"
        "P-5,also good\n"
    ).encode()
    upload(aws, "bad.csv", body)

    assert run(aws, "bad.csv") == EXIT_REJECTED_ROWS

    assert sorted(items(aws)) == ["P-1", "P-5"]
    lines = logged(capsys)
    rejections = {line["line"]: line["reason"] for line in lines if line["event"] == "row_rejected"}
    assert rejections == {
        3: "expected 2 columns, found 3",
        4: "empty key column 'ProductId'",
        # names and values: ProductId P-3 ProductName <value> source_object s3://uploads/bad.csv
        # source_etag (empty: no --etag) source_line 5
        5: f"item is {MAX_ITEM_BYTES + 81} bytes, over DynamoDB's {MAX_ITEM_BYTES}",
        6: "expected 2 columns, found 1",
    }
    summary = lines[-1]
    assert (summary["rows_read"], summary["written"], summary["rejected"]) == (6, 2, 4)
    assert summary["rejected_lines"] == [3, 4, 5, 6]


def test_a_rejected_row_never_borrows_the_previous_rows_values(aws):
    upload(aws, "gap.csv", b"ProductId,ProductName,Price\nP-1,Kettle,30\nP-2,broken\nP-3,Jug,12\n")

    assert run(aws, "gap.csv") == EXIT_REJECTED_ROWS

    table = items(aws)
    assert "P-2" not in table
    assert table["P-3"]["ProductName"] == {"S": "Jug"}
    assert table["P-3"]["Price"] == {"S": "12"}


def test_empty_object_is_an_input_error_and_writes_nothing(aws, capsys):
    upload(aws, "empty.csv", b"")

    assert run(aws, "empty.csv") == EXIT_BAD_INPUT

    assert items(aws) == {}
    assert "expected a header row" in summary_line(capsys)["message"]


def test_header_only_object_succeeds_with_nothing_written(aws, capsys):
    upload(aws, "header.csv", b"ProductId,ProductName\n")

    assert run(aws, "header.csv") == EXIT_OK

    assert items(aws) == {}
    summary = summary_line(capsys)
    assert (summary["rows_read"], summary["written"], summary["rejected"]) == (0, 0, 0)


def test_missing_key_column_names_the_columns_found(aws, capsys):
    upload(aws, "nokey.csv", b"Id,Name\n1,x\n")

    assert run(aws, "nokey.csv") == EXIT_BAD_INPUT

    assert items(aws) == {}
    message = summary_line(capsys)["message"]
    assert "no key column 'ProductId'" in message and "Id, Name" in message


def test_invalid_utf8_is_an_input_error_naming_its_line_and_byte(aws, capsys):
    upload(aws, "latin1.csv", "ProductId,ProductName\nP-1,Caf\u00e9\n".encode("latin-1"))

    assert run(aws, "latin1.csv") == EXIT_BAD_INPUT

    message = summary_line(capsys)["message"]
    assert message.startswith("the object is not UTF-8 text: line 2, byte 29 (0xe9)")


def test_a_bad_byte_deep_in_a_large_object_is_placed_exactly(aws, capsys):
    # ten times the text layer's read size (8 KiB) before the bad byte
    good = "".join(f"P-{n:05},Row {n} with text\n" for n in range(3_000)).encode()
    body = b"ProductId,ProductName\n" + good + b"P-bad,Caf\xe9\n"
    upload(aws, "deep.csv", body)

    assert run(aws, "deep.csv") == EXIT_BAD_INPUT

    offset = body.index(b"\xe9")
    assert summary_line(capsys)["message"].startswith(
        f"the object is not UTF-8 text: line 3002, byte {offset} (0xe9)"
    )


def test_progress_lines_say_rows_written_rate_and_bytes(aws):
    upload(
        aws,
        "progress.csv",
        b"ProductId,ProductName\n" + b"".join(f"P-{n},x\n".encode() for n in range(30)),
    )
    text = open_text(aws["s3"], BUCKET, "progress.csv")
    said: list[dict] = []
    writer = ParallelWriter([BatchWriter(dynamodb_clients(1)[0], TABLE, "ProductId")])

    with patch("processor.job.log", lambda event, **fields: said.append({event: fields})):
        process(
            text,
            Source(BUCKET, "progress.csv", ""),
            writer,
            "ProductId",
            ",",
            Summary(),
            bytes_read=lambda: text.buffer.bytes_read,
            progress_every=0,
        )

    progress = [line["progress"] for line in said if "progress" in line]
    assert len(progress) == 30
    assert [p["rows_read"] for p in progress] == list(range(30))
    assert progress[-1]["bytes_read"] > 0 and progress[-1]["rows_per_second"] >= 0


def test_processing_the_same_object_twice_leaves_the_same_items(aws, sample_csv):
    etag = upload(aws, "again.csv", sample_csv)
    assert run(aws, "again.csv", etag) == EXIT_OK
    first = items(aws)

    assert run(aws, "again.csv", etag) == EXIT_OK

    assert items(aws) == first
    assert len(first) == 12


def test_repeated_keys_in_one_file_resolve_to_the_later_row(aws, capsys):
    body = b"ProductId,ProductName\nP-1,old\nP-2,other\nP-1,new\n"
    upload(aws, "dupes.csv", body)

    assert run(aws, "dupes.csv") == EXIT_OK

    table = items(aws)
    assert table["P-1"]["ProductName"] == {"S": "new"}
    assert table["P-1"]["source_line"] == {"N": "4"}
    summary = summary_line(capsys)
    assert (summary["duplicate_keys"], summary["duplicate_keys_exact"]) == (1, True)
    assert summary["rows_read"] == summary["written"] == 3


def test_duplicate_keys_are_exact_up_to_the_bound_then_a_labelled_lower_bound():
    counter = DuplicateKeys(limit=3)
    for key in ["a", "b", "a", "c"]:
        counter.add(key)
    assert (counter.count, counter.exact) == (1, True)

    for key in ["d", "b", "d", "e"]:  # d and e are beyond the bound: not remembered
        counter.add(key)

    assert (counter.count, counter.exact) == (2, False)
    assert len(counter.keys) == 3, "memory stays at the bound"


def test_changed_object_is_not_processed(aws, sample_csv, capsys):
    stale_etag = upload(aws, "changing.csv", sample_csv)
    upload(aws, "changing.csv", b"ProductId\nP-9\n")

    assert run(aws, "changing.csv", stale_etag) == EXIT_BAD_INPUT

    assert items(aws) == {}


def test_failure_to_write_exits_non_zero_instead_of_reporting_success(aws, monkeypatch, capsys):
    monkeypatch.setenv("TABLE_NAME", "no-such-table")
    upload(aws, "orphan.csv", b"ProductId\nP-1\n")

    exit_code = run(aws, "orphan.csv")

    assert exit_code == EXIT_TRANSIENT
    summary = summary_line(capsys)
    assert summary["written"] == 0
    assert "ResourceNotFoundException" in summary["message"]


def test_missing_table_name_is_a_configuration_error(aws, monkeypatch):
    monkeypatch.delenv("TABLE_NAME")

    assert run(aws, "whatever.csv") == EXIT_BAD_INPUT


def test_a_role_without_permission_to_write_exits_3_saying_access_denied(aws, monkeypatch, capsys):
    upload(aws, "denied.csv", b"ProductId\nP-1\n")
    message = "User: arn:aws:sts::1:assumed-role/job/s is not authorized to perform: "
    message += "dynamodb:BatchWriteItem on resource: arn:aws:dynamodb:us-east-1:1:table/products"

    def denying(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        """DynamoDB's answer to a role without the permission."""
        start_response("400 Bad Request", [("Content-Type", "application/x-amz-json-1.0")])
        error = {"__type": "com.amazon.coral.service#AccessDeniedException", "message": message}
        return [json.dumps(error).encode()]

    with serving(denying) as url:
        monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", url)
        exit_code = run(aws, "denied.csv")

    assert exit_code == EXIT_NOT_PERMITTED
    summary = summary_line(capsys)
    assert summary["written"] == 0
    assert "AccessDeniedException" in summary["message"]
    assert "dynamodb:BatchWriteItem" in summary["message"]
