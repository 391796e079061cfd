"""Unit-test fixtures: moto in-process, the harness's WSGI apps (the Batch stand-in, the
edges) served in-process on loopback; never a remote endpoint."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import botocore.loaders
import pytest
from moto import mock_aws

from harness.batch.backend import BatchBackend
from harness.batch.responses import BatchApp
from harness.engine.edge.serving import create_server
from harness.paths import REPO

BUCKET = "uploads"
TABLE = "products"


@pytest.fixture(autouse=True, scope="session")
def botocore_reads_each_file_once() -> Iterator[None]:
    """botocore reads its JSON data files (endpoints, service models) anew for every Session,
    and the unit tests make hundreds: moto's mock resets boto3's default Session each time it
    starts, and each run of the processor makes its own. Here each file is read once per
    process, as within one Session; botocore only reads what it loads."""
    read = botocore.loaders.Loader.load_data_with_path
    loaded: dict[tuple[tuple[str, ...], str], Any] = {}

    def load_data_with_path(loader: botocore.loaders.Loader, name: str) -> Any:
        key = (tuple(loader.search_paths), name)
        if key not in loaded:
            loaded[key] = read(loader, name)
        return loaded[key]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(botocore.loaders.Loader, "load_data_with_path", load_data_with_path)
        yield


@pytest.fixture(autouse=True)
def offline_aws_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials and no endpoint overrides, so nothing can reach a real account."""
    for name in (
        "AWS_PROFILE",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_S3",
        "AWS_ENDPOINT_URL_BATCH",
        "AWS_ENDPOINT_URL_DYNAMODB",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")


@pytest.fixture(scope="module")
def moto_services() -> Iterator[tuple[Any, dict[str, Any], str]]:
    """moto's S3 and DynamoDB for one module's tests, its DynamoDB also served over HTTP on
    loopback: started once per module, as their boto3 clients take a third of a second to
    make; `aws` empties them before each test."""
    from moto.moto_server.werkzeug_app import create_backend_app

    with mock_aws() as mock, serving(create_backend_app("dynamodb")) as dynamodb_url:
        clients = {
            service: boto3.client(service, region_name="us-east-1")
            for service in ("s3", "dynamodb")
        }
        yield mock, clients, dynamodb_url


@pytest.fixture
def aws(
    moto_services: tuple[Any, dict[str, Any], str], monkeypatch: pytest.MonkeyPatch
) -> dict[str, Any]:
    """moto's S3 and DynamoDB, emptied, with an upload bucket and a table keyed on ProductId.
    Its DynamoDB is also at AWS_ENDPOINT_URL_DYNAMODB: the processor's BatchWriteItem client
    sends requests itself, past moto's in-process mock."""
    mock, clients, dynamodb_url = moto_services
    mock.reset()
    clients["s3"].create_bucket(Bucket=BUCKET)
    clients["dynamodb"].create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "ProductId", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "ProductId", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", dynamodb_url)
    return clients


@pytest.fixture
def sample_csv() -> bytes:
    return (REPO / "samples" / "Sample.csv").read_bytes()


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """A WSGI app served in this process on a free loopback port by the engines' own server;
    yields its URL."""
    server = create_server(app, [("127.0.0.1", 0)])
    threading.Thread(target=server.run, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        server.close()


def local_client(service: str, endpoint: str) -> Any:
    """A boto3 client of `service` at `endpoint` (an app served by `serving`), with the
    local cloud's test credentials."""
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


@pytest.fixture
def batch_api() -> Iterator[Any]:
    """A boto3 Batch client of the stand-in's API, served in this process on loopback with a
    backend whose jobs never start (no Docker)."""
    backend = BatchBackend("000000000000", "us-east-1", start_job=lambda job: None)
    with serving(BatchApp(lambda region: backend)) as url:
        yield boto3.client("batch", endpoint_url=url)
