"""Command line of the processor container: arguments from Batch job parameters.

Exit codes (the job definition's retry rules depend on them):
  0   every row written
  1   some rows rejected (the valid rows were written; the rejected lines are logged)
  2   the object cannot be processed (missing, changed, empty, bad header, malformed CSV)
  3   the job's role may not read the object or write the table (AccessDenied): a retry
      cannot help; the role's policy must change
  75  DynamoDB or S3 kept failing after retries; retrying the job may succeed
"""

import argparse
import os
import sys

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from processor.items import Source
from processor.job import Summary, process
from processor.logs import log
from processor.parallel import ParallelWriter
from processor.rows import InputError
from processor.source import open_text
from processor.writer import BatchWriter, WriteFailed

EXIT_OK = 0
EXIT_REJECTED_ROWS = 1
EXIT_BAD_INPUT = 2
EXIT_NOT_PERMITTED = 3
EXIT_TRANSIENT = 75

# Values Batch substitutes for parameters the event did not carry (see the job definition).
ABSENT = "-"

# Writers in parallel, each one BatchWriteItem in flight (see processor/parallel.py).
# `make bench-writers` (2 cores, local engine): with 10 ms added to each request, a model of
# the network to DynamoDB, 4 writers were 2.4x one writer and 1.7x two; without it, 2 were best
# and 4 only 13 % slower. Jobs run against DynamoDB: 4.
DEFAULT_WRITERS = 4
MAX_WRITERS = 32

DEFAULT_SDK_ATTEMPTS = 10  # botocore's standard retry mode, 10 tries per call before failing
PERMANENT_S3_ERRORS = {"NoSuchKey", "NoSuchBucket", "PreconditionFailed", "412"}
NOT_PERMITTED_ERRORS = {"AccessDenied", "AccessDeniedException"}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="processor", description=__doc__.splitlines()[0])
    parser.add_argument("--bucket", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--version-id", default=ABSENT)
    parser.add_argument("--etag", default=ABSENT)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    table = os.environ.get("TABLE_NAME")
    if not table:
        log("configuration_error", message="TABLE_NAME is not set", stream=sys.stderr)
        return EXIT_BAD_INPUT
    key_column = os.environ.get("KEY_COLUMN", "ProductId")
    delimiter = os.environ.get("CSV_DELIMITER", ",")
    version_id = None if args.version_id == ABSENT else args.version_id
    etag = None if args.etag == ABSENT else args.etag

    config = Config(retries={"mode": "standard", "max_attempts": sdk_attempts()})
    s3 = boto3.client("s3", config=config)
    dynamodb = boto3.client("dynamodb", config=config)
    try:
        writers = int(os.environ.get("WRITERS", DEFAULT_WRITERS))
        if not 1 <= writers <= MAX_WRITERS:
            raise ValueError
    except ValueError:
        message = f"WRITERS must be a number from 1 to {MAX_WRITERS}: {os.environ['WRITERS']!r}"
        log("configuration_error", message=message, stream=sys.stderr)
        return EXIT_BAD_INPUT
    source = Source(args.bucket, args.key, etag or "")
    writer = ParallelWriter(
        [BatchWriter(dynamodb, table, key_column) for _ in range(writers)], key_column
    )
    summary = Summary()
    log(
        "job_started",
        object=source.uri, version_id=version_id, etag=etag, table=table, writers=writers,
    )  # fmt: skip
    try:
        text = open_text(s3, args.bucket, args.key, version_id, etag)
        process(text, source, writer, key_column, delimiter, summary,
                bytes_read=lambda: text.buffer.bytes_read)  # fmt: skip
    except InputError as error:
        return finish(summary, EXIT_BAD_INPUT, str(error))
    except UnicodeDecodeError as error:
        offset, line = text.buffer.where(error)
        message = (
            f"the object is not UTF-8 text: line {line}, byte {offset} "
            f"(0x{error.object[error.start]:02x}): {error.reason}"
        )
        return finish(summary, EXIT_BAD_INPUT, message)
    except WriteFailed as error:
        return finish(summary, EXIT_TRANSIENT, str(error))
    except ClientError as error:
        return finish(summary, exit_code_of(error), f"{error.operation_name} failed: {error}")
    except BotoCoreError as error:
        return finish(summary, EXIT_TRANSIENT, str(error))
    if summary.rejected:
        return finish(summary, EXIT_REJECTED_ROWS, f"{summary.rejected} rows rejected")
    return finish(summary, EXIT_OK, "all rows written")


def sdk_attempts() -> int:
    """Tries per AWS call: the SDKs' own AWS_MAX_ATTEMPTS when set, else 10."""
    try:
        return max(1, int(os.environ.get("AWS_MAX_ATTEMPTS", DEFAULT_SDK_ATTEMPTS)))
    except ValueError:
        return DEFAULT_SDK_ATTEMPTS


def exit_code_of(error: ClientError) -> int:
    code = error.response.get("Error", {}).get("Code", "")
    if code in NOT_PERMITTED_ERRORS:
        return EXIT_NOT_PERMITTED
    return EXIT_BAD_INPUT if code in PERMANENT_S3_ERRORS else EXIT_TRANSIENT


def finish(summary: Summary, exit_code: int, message: str) -> int:
    """Log the summary line every run ends with and return the exit code."""
    log("summary", exit_code=exit_code, message=message, **summary.as_log_fields())
    return exit_code
