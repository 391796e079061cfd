"""`make deploy-aws` refuses to start without credentials or while pointed at a local engine."""

import pytest
from moto import mock_aws

from infra.preflight import PreflightError, check


@pytest.fixture
def no_credentials(monkeypatch, tmp_path):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", raising=False)
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", raising=False)


def test_missing_credentials_say_how_to_configure_them(no_credentials):
    with pytest.raises(PreflightError, match=r"No AWS credentials found\. Configure them"):
        check()


def test_missing_region_is_reported(no_credentials, monkeypatch):
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.delenv("AWS_REGION", raising=False)

    with pytest.raises(PreflightError, match="No AWS region configured"):
        check()


def test_a_local_endpoint_in_the_environment_blocks_a_real_deploy(monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://localhost:4566")

    with pytest.raises(PreflightError, match="unset AWS_ENDPOINT_URL"):
        check()


def test_valid_credentials_name_the_account_and_region():
    with mock_aws():
        assert check() == "123456789012/us-east-1"


def test_aws_region_counts_as_the_cdk_cli_reads_it(monkeypatch):
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")

    with mock_aws():
        assert check() == "123456789012/eu-west-1"
