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
import csv
import itertools
import os
import ssl
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from processor.dynamodb import BatchWriteClient
from processor.items import RESERVED_ATTRIBUTES, Source
from processor.job import Summary, process
from processor.logs import log
from processor.parallel import ParallelWriter
from processor.rows import InputError, check_header
from processor.shards import CHUNK_BYTES, Manifest, ObjectVersion, manifest_key, plan
from processor.source import get_object, open_range, open_text
from processor.writer import BatchWriter, WriteFailed

EXIT_OK = 0
EXIT_REJECTED_ROWS = 1
EXIT_BAD_INPUT = 2
EXIT_NOT_PERMITTED = 3
EXIT_TRANSIENT = 75

# Values Batch substitutes for parameters the event did not carry (see the job definition).
ABSENT = "-"

MODES = ("whole", "plan", "shard")

# Writers in parallel, each one BatchWriteItem in flight (see processor/parallel.py). Four,
# because with a network's latency to DynamoDB more writers stop paying off beyond that:
# `make bench-writers` measures 1 to 8 (docs/benchmarks.md).
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
    parser.add_argument(
        "--mode",
        choices=MODES,
        default="whole",
        help="whole: the object; plan: write the manifest of its ranges; "
        "shard: the range of AWS_BATCH_JOB_ARRAY_INDEX",
    )
    parser.add_argument("--shards", type=int, default=1)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    table = os.environ.get("TABLE_NAME")
    if not table:
        log("configuration_error", sys.stderr, "ERROR", message="TABLE_NAME is not set")
        return EXIT_BAD_INPUT
    key_column = os.environ.get("KEY_COLUMN", "ProductId")
    delimiter = os.environ.get("CSV_DELIMITER", ",")
    version_id = None if args.version_id == ABSENT else args.version_id
    etag = None if args.etag == ABSENT else args.etag

    config = Config(retries={"mode": "standard", "max_attempts": sdk_attempts()})
    s3 = boto3.client("s3", config=config)
    obj = ObjectVersion(args.bucket, args.key, version_id, etag)
    summary = Summary()
    if args.mode == "plan":
        log("plan_started", object=f"s3://{obj.bucket}/{obj.key}", etag=etag, shards=args.shards)
        return outcome(summary, lambda: plan_shards(s3, obj, args.shards, key_column, delimiter))
    try:
        writers = int(os.environ.get("WRITERS", DEFAULT_WRITERS))
        if not 1 <= writers <= MAX_WRITERS:
            raise ValueError
    except ValueError:
        message = f"WRITERS must be a number from 1 to {MAX_WRITERS}: {os.environ['WRITERS']!r}"
        log("configuration_error", sys.stderr, "ERROR", message=message)
        return EXIT_BAD_INPUT
    source = Source(args.bucket, args.key, etag or "")
    log(
        "job_started",
        object=source.uri,
        version_id=version_id,
        etag=etag,
        table=table,
        writers=writers,
        mode=args.mode,
    )

    def write_rows() -> str:
        clients = dynamodb_clients(writers)
        writer = ParallelWriter([BatchWriter(client, table, key_column) for client in clients])
        if args.mode == "shard":
            manifest = read_manifest(s3, obj)
            part = manifest.ranges[array_index(len(manifest.ranges))]
            text = open_range(s3, *obj, part.start, part.end, part.first_line)
            lines: Iterable[str] = itertools.chain([manifest.header], text)
        else:
            part = None
            text = open_text(s3, *obj)
            lines = text
        try:
            process(
                lines,
                source,
                writer,
                key_column,
                delimiter,
                summary,
                bytes_read=lambda: text.counted.bytes_read,
                first_line=part.first_line if part else None,
            )
        except UnicodeDecodeError as error:
            offset, line = text.counted.where(error)
            raise InputError(
                f"the object is not UTF-8 text: line {line}, byte {offset} "
                f"(0x{error.object[error.start]:02x}): {error.reason}"
            ) from error
        return "all rows written"

    return outcome(summary, write_rows)


def dynamodb_clients(count: int) -> list[BatchWriteClient]:
    """One BatchWriteItem client per writer, at botocore's endpoint with its credentials (the
    botocore client only finds the endpoint and region: it sends nothing)."""
    session = boto3.session.Session()
    client = session.client("dynamodb")
    credentials = session.get_credentials()
    if credentials is None:
        raise NoCredentialsError()
    endpoint, region = client.meta.endpoint_url, client.meta.region_name
    # the certificates botocore trusts: the system's, or AWS_CA_BUNDLE's
    tls = ssl.create_default_context(cafile=os.environ.get("AWS_CA_BUNDLE") or None)
    return [
        BatchWriteClient(endpoint, region, credentials, sdk_attempts(), tls) for _ in range(count)
    ]


def outcome(summary: Summary, run: Callable[[], str]) -> int:
    """Run one job's work and end with its summary line and exit code."""
    try:
        message = run()
    except InputError as error:
        return finish(summary, EXIT_BAD_INPUT, str(error))
    except WriteFailed as error:
        return finish(summary, EXIT_TRANSIENT, str(error))
    except ClientError as error:
        return finish(summary, exit_code_of(error), f"{error.operation_name} failed: {error}")
    except BotoCoreError as error:
        return finish(summary, EXIT_TRANSIENT, str(error))
    if summary.rejected:
        return finish(summary, EXIT_REJECTED_ROWS, f"{summary.rejected} rows rejected")
    return finish(summary, EXIT_OK, message)


def plan_shards(s3: Any, obj: ObjectVersion, shards: int, key_column: str, delimiter: str) -> str:
    """Read the object once, write the manifest of its `shards` ranges (shards.py)."""
    response = get_object(s3, *obj)
    body = response["Body"]
    manifest = plan(iter(lambda: body.read(CHUNK_BYTES), b""), response["ContentLength"], shards)
    header = next(csv.reader([manifest.header], delimiter=delimiter), None)
    if header is None:
        raise InputError("the object is empty: expected a header row")
    check_header(header, key_column, RESERVED_ATTRIBUTES)
    key = manifest_key(obj)
    s3.put_object(
        Bucket=obj.bucket, Key=key, Body=manifest.to_json().encode(), ContentType="application/json"
    )
    sizes = [part.end - part.start for part in manifest.ranges]
    log("planned", manifest=f"s3://{obj.bucket}/{key}", range_bytes=sizes)
    return f"planned {shards} ranges in s3://{obj.bucket}/{key}"


def array_index(size: int) -> int:
    """This array child's index (AWS_BATCH_JOB_ARRAY_INDEX), one of the manifest's ranges."""
    index = os.environ.get("AWS_BATCH_JOB_ARRAY_INDEX", "")
    if not index.isdigit() or int(index) >= size:
        raise InputError(
            f"--mode shard runs as a child of an array job of {size} (the manifest's ranges): "
            f"AWS_BATCH_JOB_ARRAY_INDEX is {index or 'not set'}"
        )
    return int(index)


def read_manifest(s3: Any, obj: ObjectVersion) -> Manifest:
    body = s3.get_object(Bucket=obj.bucket, Key=manifest_key(obj))["Body"].read()
    return Manifest.from_json(body)


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
    level = {EXIT_OK: "INFO", EXIT_REJECTED_ROWS: "WARNING"}.get(exit_code, "ERROR")
    log(
        "summary",
        level=level,
        exit_code=exit_code,
        message=message,
        peak_rss_mb=peak_rss_mb(),
        **summary.as_log_fields(),
    )
    return exit_code


def peak_rss_mb() -> float | None:
    """This process's peak resident memory (Linux's VmHWM, which starts afresh at exec,
    unlike getrusage's maxrss); None where /proc does not say."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return None
