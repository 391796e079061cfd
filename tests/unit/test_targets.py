"""PIPELINE_TARGET: which targets exist, and the deployed stack's outputs on AWS."""

import json

import boto3
import pytest
from moto import mock_aws

from harness.deploy import CdkApp
from harness.errors import HarnessError
from harness.targets import VARIABLE, aws_outputs, selected

OUTPUTS = {
    "BucketName": "b",
    "TableName": "t",
    "JobQueueName": "q",
    "JobDefinitionArn": "arn:aws:batch:us-east-1:123456789012:job-definition/d:1",
    "TriggerFunctionName": "f",
    "UploadPrefix": "uploads/",
}


@pytest.mark.parametrize(("value", "expected"), [(None, "moto"), ("moto", "moto"), ("aws", "aws")])
def test_known_targets(monkeypatch, value, expected):
    if value is None:
        monkeypatch.delenv(VARIABLE, raising=False)
    else:
        monkeypatch.setenv(VARIABLE, value)

    assert selected() == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [("localstack", "LocalStack engine is not part of the harness yet"),
     ("gcp", "must be one of moto, aws, not 'gcp'")],
)  # fmt: skip
def test_unknown_or_unbuilt_targets_are_refused_with_the_reason(monkeypatch, value, message):
    monkeypatch.setenv(VARIABLE, value)

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

        outputs = aws_outputs(CdkApp(prefix="team"))

    assert (outputs.bucket, outputs.job_queue, outputs.upload_prefix) == ("b", "q", "uploads/")


def test_a_stack_that_is_not_deployed_says_to_deploy_it():
    with mock_aws(), pytest.raises(HarnessError, match="run `make deploy-aws` first"):
        aws_outputs(CdkApp(prefix="absent"))
