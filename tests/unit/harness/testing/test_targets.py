"""PIPELINE_TARGET: which targets exist, and the deployed stack's outputs on AWS."""

import json
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from harness.engine import choice
from harness.errors import HarnessError
from harness.project import CdkApp
from harness.testing.targets import VARIABLE, aws_outputs, selected

OUTPUTS = {
    "BucketName": "b",
    "TableName": "t",
    "JobQueueName": "q",
    "JobDefinitionName": "d",
    "TriggerFunctionName": "f",
    "UploadPrefix": "uploads/",
}


@pytest.mark.parametrize(
    ("target", "engine", "expected"),
    [
        (None, None, "moto"),
        ("moto", None, "moto"),
        ("localstack", None, "localstack"),
        ("aws", None, "aws"),
        (None, "localstack", "localstack"),
        ("aws", "localstack", "aws"),
    ],
)
def test_known_targets(monkeypatch, target, engine, expected):
    for name, value in ((VARIABLE, target), (choice.VARIABLE, engine)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)

    assert selected("http://127.0.0.1:1") == expected  # nothing answers there


def test_without_a_setting_the_engine_that_answers_is_the_target(monkeypatch):
    monkeypatch.delenv(VARIABLE, raising=False)
    monkeypatch.delenv(choice.VARIABLE, raising=False)
    monkeypatch.setattr(choice, "answering", lambda endpoint: "localstack")

    assert selected("http://127.0.0.1:4566") == "localstack"


@pytest.mark.parametrize(
    ("target", "engine", "message"),
    [
        ("gcp", None, "must be one of moto, localstack, aws, not 'gcp'"),
        ("moto", "localstack", "PIPELINE_TARGET=moto and HARNESS_ENGINE=localstack disagree"),
        (None, "docker", "HARNESS_ENGINE must be one of moto, localstack, not 'docker'"),
    ],
)
def test_unknown_or_contradicting_targets_are_refused_with_the_reason(
    monkeypatch, target, engine, message
):
    for name, value in ((VARIABLE, target), (choice.VARIABLE, engine)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)

    with pytest.raises(HarnessError, match=message):
        selected()


def test_the_aws_target_reads_the_deployed_stack_outputs_with_the_callers_credentials():
    template = {
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {name: {"Value": value} for name, value in OUTPUTS.items()},
    }
    with mock_aws():
        boto3.client("cloudformation").create_stack(
            StackName="team-stack", TemplateBody=json.dumps(template)
        )

        outputs = aws_outputs(CdkApp(Path("."), "team-stack"))

    assert (outputs.bucket, outputs.job_queue, outputs.upload_prefix) == ("b", "q", "uploads/")


def test_a_stack_that_is_not_deployed_says_to_deploy_it():
    with mock_aws(), pytest.raises(HarnessError, match="run `make deploy-aws` first"):
        aws_outputs(CdkApp(Path("."), "absent-stack"))
