"""The synthesized template, checked with aws_cdk.assertions and cdk-nag's AwsSolutions pack."""

import functools
import json
import os
from typing import Any

import pytest
from aws_cdk import App, Aspects
from aws_cdk.assertions import Annotations, Match, Template
from cdk_nag import AwsSolutionsChecks

from infra.config import ConfigError, load_config
from infra.pipeline_stack import PipelineStack

# The tests that synthesize the app share one worker under `--dist loadgroup`: each worker
# that synthesizes starts a jsii runtime (about 5 s) and keeps its own synth cache.
pytestmark = pytest.mark.xdist_group("cdk")


def synthesize(**context: Any) -> tuple[PipelineStack, Template]:
    """The app synthesized with `context` (and the PIPELINE_* variables, settings too), once
    per set of settings in a session: tests only read it, and a synth costs about a second."""
    environment = (name for name in os.environ if name.startswith("PIPELINE_"))
    return _synthesized(
        tuple(sorted(context.items())), tuple((name, os.environ[name]) for name in environment)
    )


@functools.cache
def _synthesized(
    context: tuple[tuple[str, Any], ...], environment: tuple[tuple[str, str], ...]
) -> tuple[PipelineStack, Template]:
    app = App(context=dict(context))
    stack = PipelineStack(app, "test-stack", load_config(app.node))
    Aspects.of(stack).add(AwsSolutionsChecks())
    return stack, Template.from_stack(stack)


@pytest.fixture(scope="module")
def dev() -> tuple[PipelineStack, Template]:
    return synthesize()


@pytest.fixture(scope="module")
def template(dev) -> Template:
    return dev[1]


def only(template: Template, resource_type: str) -> tuple[str, dict[str, Any]]:
    ((logical_id, resource),) = template.find_resources(resource_type).items()
    return logical_id, resource


def statements(template: Template, role_logical_id: str) -> list[dict[str, Any]]:
    policies = template.find_resources(
        "AWS::IAM::Policy", {"Properties": {"Roles": [{"Ref": role_logical_id}]}}
    )
    return [
        s
        for policy in policies.values()
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def role_id(template: Template, logical_id_prefix: str) -> str:
    roles = template.find_resources("AWS::IAM::Role")
    (found,) = [rid for rid in roles if rid.startswith(logical_id_prefix)]
    return found


def test_one_of_each_pipeline_resource(template):
    for resource_type in (
        "AWS::S3::Bucket",
        "AWS::DynamoDB::Table",
        "AWS::Batch::ComputeEnvironment",
        "AWS::Batch::JobQueue",
        "AWS::Batch::JobDefinition",
        "AWS::Lambda::Permission",
        "AWS::EC2::VPC",
    ):
        template.resource_count_is(resource_type, 1)
    template.resource_count_is("AWS::EC2::NatGateway", 0)
    template.resource_count_is("AWS::EC2::VPCEndpoint", 2)
    template.resource_count_is("Custom::S3BucketNotifications", 0)


def test_names_carry_the_prefix():
    _, template = synthesize(prefix="team-a")
    template.has_resource_properties("AWS::DynamoDB::Table", {"TableName": "team-a-items"})
    template.has_resource_properties("AWS::Batch::JobQueue", {"JobQueueName": "team-a-queue"})
    template.has_resource_properties(
        "AWS::Batch::JobDefinition", {"JobDefinitionName": "team-a-processor"}
    )
    template.has_resource_properties("AWS::Lambda::Function", {"FunctionName": "team-a-trigger"})


def test_table_is_on_demand_and_keyed_by_the_key_column(template):
    template.has_resource_properties(
        "AWS::DynamoDB::Table",
        {
            "BillingMode": "PAY_PER_REQUEST",
            "KeySchema": [{"AttributeName": "ProductId", "KeyType": "HASH"}],
        },
    )


def test_an_index_finds_the_items_of_one_upload_by_their_keys(template):
    template.has_resource_properties(
        "AWS::DynamoDB::Table",
        {
            "GlobalSecondaryIndexes": [
                {
                    "IndexName": "BySourceObject",
                    "KeySchema": [{"AttributeName": "source_object", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "KEYS_ONLY"},
                }
            ],
        },
    )


def test_bucket_is_private_encrypted_and_tls_only(template):
    template.has_resource_properties(
        "AWS::S3::Bucket",
        {
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": True,
                "BlockPublicPolicy": True,
                "IgnorePublicAcls": True,
                "RestrictPublicBuckets": True,
            },
            "BucketEncryption": {
                "ServerSideEncryptionConfiguration": [
                    {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
                ]
            },
        },
    )
    template.has_resource_properties(
        "AWS::S3::BucketPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Effect": "Deny",
                                "Action": "s3:*",
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                            }
                        )
                    ]
                )
            }
        },
    )


def test_dev_stage_deletes_data_with_the_stack_and_prod_keeps_it(template):
    _, bucket = only(template, "AWS::S3::Bucket")
    assert bucket["DeletionPolicy"] == "Delete"
    template.resource_count_is("Custom::S3AutoDeleteObjects", 1)

    _, prod = synthesize(stage="prod")
    _, prod_bucket = only(prod, "AWS::S3::Bucket")
    _, prod_table = only(prod, "AWS::DynamoDB::Table")
    assert prod_bucket["DeletionPolicy"] == prod_table["DeletionPolicy"] == "Retain"
    prod.resource_count_is("Custom::S3AutoDeleteObjects", 0)
    assert prod_table["Properties"]["PointInTimeRecoverySpecification"] == {
        "PointInTimeRecoveryEnabled": True
    }


def test_bucket_notifies_the_trigger_for_csv_under_the_prefix(template):
    function_id, _ = only_trigger(template)
    _, bucket = only(template, "AWS::S3::Bucket")

    assert bucket["Properties"]["NotificationConfiguration"] == {
        "LambdaConfigurations": [
            {
                "Event": "s3:ObjectCreated:*",
                "Filter": {
                    "S3Key": {
                        "Rules": [
                            {"Name": "prefix", "Value": "uploads/"},
                            {"Name": "suffix", "Value": ".csv"},
                        ]
                    }
                },
                "Function": {"Fn::GetAtt": [function_id, "Arn"]},
            }
        ]
    }


def test_empty_upload_prefix_filters_on_suffix_only():
    _, template = synthesize(uploadPrefix="")
    _, bucket = only(template, "AWS::S3::Bucket")
    (configuration,) = bucket["Properties"]["NotificationConfiguration"]["LambdaConfigurations"]
    assert configuration["Filter"]["S3Key"]["Rules"] == [{"Name": "suffix", "Value": ".csv"}]


def only_trigger(template: Template) -> tuple[str, dict[str, Any]]:
    functions = template.find_resources(
        "AWS::Lambda::Function", {"Properties": {"Handler": "trigger.handler.handler"}}
    )
    ((logical_id, function),) = functions.items()
    return logical_id, function


def test_s3_may_invoke_the_trigger_before_the_bucket_exists(template):
    function_id, _ = only_trigger(template)
    permission_id, permission = only(template, "AWS::Lambda::Permission")
    _, bucket = only(template, "AWS::S3::Bucket")

    properties = permission["Properties"]
    assert properties["Principal"] == "s3.amazonaws.com"
    assert properties["Action"] == "lambda:InvokeFunction"
    assert properties["FunctionName"] == {"Fn::GetAtt": [function_id, "Arn"]}
    assert properties["SourceAccount"] == {"Ref": "AWS::AccountId"}
    # The permission names the bucket by the name the bucket is given, not by a reference.
    assert properties["SourceArn"]["Fn::Join"][1] == [
        "arn:",
        {"Ref": "AWS::Partition"},
        ":s3:::csv-pipeline-uploads-",
        {"Ref": "AWS::AccountId"},
        "-",
        {"Ref": "AWS::Region"},
    ]
    assert bucket["Properties"]["BucketName"]["Fn::Join"][1] == [
        "csv-pipeline-uploads-",
        {"Ref": "AWS::AccountId"},
        "-",
        {"Ref": "AWS::Region"},
    ]
    assert permission_id in bucket["DependsOn"]


def test_trigger_function_configuration(template):
    _, function = only_trigger(template)
    properties = function["Properties"]
    assert properties["Runtime"] == "python3.12"
    variables = properties["Environment"]["Variables"]
    assert variables["KEY_PREFIX"] == "uploads/"
    assert variables["KEY_SUFFIX"] == ".csv"
    queue_id, queue = only(template, "AWS::Batch::JobQueue")
    definition_id, definition = only(template, "AWS::Batch::JobDefinition")
    assert variables["JOB_QUEUE"] == queue["Properties"]["JobQueueName"] == "csv-pipeline-queue"
    assert variables["JOB_DEFINITION"] == definition["Properties"]["JobDefinitionName"]
    assert {queue_id, definition_id} <= set(function["DependsOn"])


def batch_arn(resource: str) -> dict:
    return {
        "Fn::Join": [
            "",
            [
                "arn:",
                {"Ref": "AWS::Partition"},
                ":batch:",
                {"Ref": "AWS::Region"},
                ":",
                {"Ref": "AWS::AccountId"},
                f":{resource}",
            ],
        ]
    }


def test_nothing_outside_batch_refers_to_a_batch_resource(template):
    """An engine that leaves Batch to a stand-in resolves a Ref or GetAtt to a Batch resource
    as "unknown": only Batch resources (created together by the stand-in) and outputs (read
    by the harness) may use one."""
    resources = template.to_json()["Resources"]
    batch_ids = [name for name, r in resources.items() if r["Type"].startswith("AWS::Batch::")]
    others = json.dumps(
        {name: r for name, r in resources.items() if not r["Type"].startswith("AWS::Batch::")}
    )

    assert len(batch_ids) == 3
    for logical_id in batch_ids:
        assert f'{{"Ref": "{logical_id}"}}' not in others
        assert f'"Fn::GetAtt": ["{logical_id}"' not in others


def test_trigger_may_only_submit_to_this_queue_with_this_definition(template):
    log_group_id, _ = only(template, "AWS::Logs::LogGroup")

    assert statements(template, role_id(template, "TriggerRole")) == [
        {
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Effect": "Allow",
            "Resource": {"Fn::GetAtt": [log_group_id, "Arn"]},
        },
        {
            "Action": "batch:SubmitJob",
            "Effect": "Allow",
            "Resource": [
                batch_arn("job-queue/csv-pipeline-queue"),
                batch_arn("job-definition/csv-pipeline-processor:*"),
            ],
        },
    ]


def test_job_role_may_only_read_uploads_keep_manifests_and_write_the_table(template):
    bucket_id, _ = only(template, "AWS::S3::Bucket")
    table_id, _ = only(template, "AWS::DynamoDB::Table")

    assert statements(template, role_id(template, "ProcessingJobRole")) == [
        {
            "Action": ["s3:GetObject", "s3:GetObjectVersion"],
            "Effect": "Allow",
            "Resource": {"Fn::Join": ["", [{"Fn::GetAtt": [bucket_id, "Arn"]}, "/uploads/*"]]},
        },
        {
            "Action": ["s3:GetObject", "s3:PutObject"],
            "Effect": "Allow",
            "Resource": {"Fn::Join": ["", [{"Fn::GetAtt": [bucket_id, "Arn"]}, "/manifests/*"]]},
        },
        {
            "Action": "dynamodb:BatchWriteItem",
            "Effect": "Allow",
            "Resource": {"Fn::GetAtt": [table_id, "Arn"]},
        },
    ]


def test_execution_role_pulls_the_image_and_writes_batch_logs(template):
    actions = [
        s["Action"] for s in statements(template, role_id(template, "ProcessingExecutionRole"))
    ]
    assert actions == [
        ["logs:CreateLogStream", "logs:PutLogEvents"],
        ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"],
        "ecr:GetAuthorizationToken",
    ]


def test_job_definition_runs_the_asset_image_with_parameters_retries_and_timeout(dev):
    stack, template = dev
    _, definition = only(template, "AWS::Batch::JobDefinition")
    properties = definition["Properties"]
    container = properties["ContainerProperties"]
    image = stack.node.find_child("Processing").image

    assert container["Image"]["Fn::Sub"].endswith(f":{image.asset_hash}")
    assert "container-assets" in container["Image"]["Fn::Sub"]
    assert container["Command"] == [
        "--bucket",
        "Ref::bucket",
        "--key",
        "Ref::key",
        "--version-id",
        "Ref::versionId",
        "--etag",
        "Ref::etag",
        "--mode",
        "Ref::mode",
        "--shards",
        "Ref::shards",
    ]
    assert properties["Parameters"] == {
        "versionId": "-",
        "etag": "-",
        "mode": "whole",
        "shards": "1",
    }
    assert {e["Name"] for e in container["Environment"]} == {
        "TABLE_NAME",
        "KEY_COLUMN",
        "CSV_DELIMITER",
        "MANIFEST_PREFIX",
    }
    assert sorted(r["Type"] for r in container["ResourceRequirements"]) == ["MEMORY", "VCPU"]
    assert properties["RetryStrategy"]["Attempts"] == 3
    assert properties["RetryStrategy"]["EvaluateOnExit"][0] == {
        "Action": "RETRY",
        "OnExitCode": "75",
    }
    assert properties["RetryStrategy"]["EvaluateOnExit"][-2:] == [
        {"Action": "EXIT", "OnExitCode": "*"},
        {"Action": "EXIT", "OnReason": "*"},
    ]
    assert len(properties["RetryStrategy"]["EvaluateOnExit"]) <= 5  # AWS Batch's limit
    assert properties["Timeout"] == {"AttemptDurationSeconds": 3600}
    assert properties["PlatformCapabilities"] == ["FARGATE"]
    assert container["NetworkConfiguration"] == {"AssignPublicIp": "ENABLED"}
    assert "JobRoleArn" in container and "ExecutionRoleArn" in container


def test_base_image_is_a_build_argument_of_the_asset():
    stack, _ = synthesize(baseImage="local/python:3.11")
    image = stack.node.find_child("Processing").image
    default_stack, _ = synthesize()
    default_image = default_stack.node.find_child("Processing").image

    assert image.asset_hash != default_image.asset_hash


def test_ec2_compute_uses_the_configured_instance_types():
    _, template = synthesize(compute="ec2", instanceTypes="c6i.xlarge,m6i.xlarge")
    template.has_resource_properties(
        "AWS::Batch::ComputeEnvironment",
        {
            "Type": "managed",
            "ComputeResources": Match.object_like(
                {"Type": "EC2", "InstanceTypes": ["c6i.xlarge", "m6i.xlarge"]}
            ),
        },
    )
    _, definition = only(template, "AWS::Batch::JobDefinition")
    assert definition["Properties"].get("PlatformCapabilities", ["EC2"]) == ["EC2"]


def test_fargate_is_the_default_compute(template):
    template.has_resource_properties(
        "AWS::Batch::ComputeEnvironment",
        {"ComputeResources": Match.object_like({"Type": "FARGATE", "MaxvCpus": 16})},
    )


def test_outputs_name_every_resource_a_user_needs(template):
    assert set(template.find_outputs("*")) >= {
        "BucketName",
        "TableName",
        "JobQueueName",
        "JobDefinitionArn",
        "TriggerFunctionName",
    }


@pytest.mark.parametrize(
    ("stage", "compute"), [("dev", "fargate"), ("prod", "fargate"), ("dev", "ec2")]
)
def test_cdk_nag_aws_solutions_pack_passes(stage, compute):
    stack, _ = synthesize(stage=stage, compute=compute)
    pattern = Match.string_like_regexp("AwsSolutions-.*")
    errors = Annotations.from_stack(stack).find_error("*", pattern)
    warnings = Annotations.from_stack(stack).find_warning("*", pattern)
    assert errors == [] and warnings == [], [e.entry.data for e in errors + warnings]


def test_invalid_settings_are_refused_with_a_reason():
    with pytest.raises(ConfigError, match="lowercase letters"):
        synthesize(prefix="Bad_Prefix")
    with pytest.raises(ConfigError, match="compute must be"):
        synthesize(compute="lambda")


def test_settings_also_come_from_pipeline_environment_variables(monkeypatch):
    monkeypatch.setenv("PIPELINE_PREFIX", "from-env")
    monkeypatch.setenv("PIPELINE_JOB_MEMORY_MIB", "4096")

    _, template = synthesize()

    template.has_resource_properties("AWS::DynamoDB::Table", {"TableName": "from-env-items"})
    _, definition = only(template, "AWS::Batch::JobDefinition")
    requirements = definition["Properties"]["ContainerProperties"]["ResourceRequirements"]
    assert {"Type": "MEMORY", "Value": "4096"} in requirements
