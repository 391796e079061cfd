"""AWS Batch: the processor image, a compute environment, a job queue and a job definition."""

import re
from pathlib import Path
from typing import Any

from aws_cdk import ArnFormat, Aws, Duration, Size, Stack
from aws_cdk import aws_batch as batch
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from cdk_nag import NagPackSuppression, NagSuppressions, RegexAppliesTo
from constructs import Construct

from infra.config import PipelineConfig
from infra.network import Network

BATCH_DIR = Path(__file__).resolve().parents[1] / "batch"

# The processor's exit codes (batch/processor/cli.py) decide what Batch does next.
EXIT_TRANSIENT = "75"

# Job parameters become the processor's arguments (Batch substitutes Ref::name).
PROCESSOR_COMMAND = [
    *("--bucket", "Ref::bucket"),
    *("--key", "Ref::key"),
    *("--version-id", "Ref::versionId"),
    *("--etag", "Ref::etag"),
    *("--mode", "Ref::mode"),
    *("--shards", "Ref::shards"),
]

# Batch substitutes these into Ref:: placeholders when SubmitJob leaves them out.
ABSENT = "-"
DEFAULT_PARAMETERS = {"versionId": ABSENT, "etag": ABSENT, "mode": "whole", "shards": "1"}
# Where a big object's planning job writes the manifest of its ranges (batch/processor/
# shards.py), in the upload bucket but outside the upload prefix, so it triggers nothing.
MANIFEST_PREFIX = "manifests/"


def batch_arn(scope: Construct, resource: str, name: str) -> str:
    """arn:<partition>:batch:<region>:<account>:<resource>/<name>, from the stack's own naming."""
    return Stack.of(scope).format_arn(
        service="batch",
        resource=resource,
        resource_name=name,
        arn_format=ArnFormat.SLASH_RESOURCE_NAME,
    )


def bucket_objects_finding(upload_prefix: str) -> str:
    """cdk-nag's finding for `<Bucket.Arn>/<upload_prefix>*`, whatever the bucket's logical id."""
    return rf"/^Resource::<[A-Za-z0-9]+\.Arn>\/{re.escape(upload_prefix)}\*$/"


class Processing(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        config: PipelineConfig,
        network: Network,
        bucket: s3.IBucket,
        table: dynamodb.ITable,
    ) -> None:
        super().__init__(scope, construct_id)
        self.image = ecr_assets.DockerImageAsset(
            self,
            "ProcessorImage",
            directory=str(BATCH_DIR),
            build_args={"BASE_IMAGE": config.base_image},
            platform=ecr_assets.Platform.LINUX_AMD64,
            exclude=["**/__pycache__", "**/*.pyc"],
        )
        self.job_role = self._job_role(config, bucket, table)
        self.execution_role = iam.Role(
            self,
            "ExecutionRole",
            assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"),
            description="Pulls the processor image and writes its logs",
        )
        self.execution_role.add_to_policy(
            iam.PolicyStatement(
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[
                    f"arn:{Aws.PARTITION}:logs:{Aws.REGION}:{Aws.ACCOUNT_ID}"
                    ":log-group:/aws/batch/job:*"
                ],
            )
        )
        NagSuppressions.add_resource_suppressions(
            self.execution_role,
            [
                NagPackSuppression(
                    id="AwsSolutions-IAM5",
                    applies_to=["Resource::*"],
                    reason="ecr:GetAuthorizationToken has no resource-level permissions; the "
                    "image pull itself is limited to the asset repository.",
                ),
                NagPackSuppression(
                    id="AwsSolutions-IAM5",
                    applies_to=[
                        "Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>"
                        ":log-group:/aws/batch/job:*"
                    ],
                    reason="Batch names each job's log stream at run time inside the "
                    "/aws/batch/job group; the wildcard covers only that group's streams.",
                ),
            ],
            apply_to_children=True,
        )
        self.compute_environment = self._compute_environment(config, network)
        # Names, and ARNs built from them, for whatever must name these resources: every
        # target resolves them, while a Ref or GetAtt to a Batch resource is the literal
        # "unknown" on an engine that leaves Batch to a stand-in (LocalStack's free edition).
        self.job_queue_name = f"{config.prefix}-queue"
        self.job_definition_name = f"{config.prefix}-processor"
        self.job_queue_arn = batch_arn(self, "job-queue", self.job_queue_name)
        # SubmitJob by name runs the latest ACTIVE revision, which is what IAM then checks.
        self.job_definition_revisions_arn = batch_arn(
            self, "job-definition", f"{self.job_definition_name}:*"
        )
        self.job_queue = batch.JobQueue(
            self,
            "JobQueue",
            job_queue_name=self.job_queue_name,
            compute_environments=[
                batch.OrderedComputeEnvironment(
                    compute_environment=self.compute_environment, order=1
                )
            ],
        )
        self.job_definition = batch.EcsJobDefinition(
            self,
            "JobDefinition",
            job_definition_name=self.job_definition_name,
            container=self._container(config, network, table),
            parameters=DEFAULT_PARAMETERS,
            retry_attempts=config.job_attempts,
            retry_strategies=[
                # Throttling or an outage outlasted the processor's own retries.
                batch.RetryStrategy.of(
                    batch.Action.RETRY, batch.Reason.custom(on_exit_code=EXIT_TRANSIENT)
                ),
                batch.RetryStrategy.of(batch.Action.RETRY, batch.Reason.CANNOT_PULL_CONTAINER),
                batch.RetryStrategy.of(batch.Action.RETRY, batch.Reason.SPOT_INSTANCE_RECLAIMED),
                # Rejected rows or unusable input: another attempt would give the same answer.
                # A container that exits has an exit code but usually no reason, so both
                # rules are needed; Batch retries whatever no rule matches.
                batch.RetryStrategy.of(batch.Action.EXIT, batch.Reason.custom(on_exit_code="*")),
                batch.RetryStrategy.of(batch.Action.EXIT, batch.Reason.custom(on_reason="*")),
            ],
            timeout=Duration.minutes(config.job_timeout_minutes),
        )

    def _job_role(
        self, config: PipelineConfig, bucket: s3.IBucket, table: dynamodb.ITable
    ) -> iam.Role:
        role = iam.Role(
            self,
            "JobRole",
            assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"),
            description="Reads uploaded CSV objects and writes their rows",
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["s3:GetObject", "s3:GetObjectVersion"],
                resources=[bucket.arn_for_objects(f"{config.upload_prefix}*")],
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["s3:GetObject", "s3:PutObject"],
                resources=[bucket.arn_for_objects(f"{MANIFEST_PREFIX}*")],
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(actions=["dynamodb:BatchWriteItem"], resources=[table.table_arn])
        )
        NagSuppressions.add_resource_suppressions(
            role,
            [
                NagPackSuppression(
                    id="AwsSolutions-IAM5",
                    applies_to=[RegexAppliesTo(regex=bucket_objects_finding(config.upload_prefix))],
                    reason="A job reads whichever uploaded object triggered it; the wildcard "
                    "is limited to the upload prefix of this one bucket, read-only.",
                ),
                NagPackSuppression(
                    id="AwsSolutions-IAM5",
                    applies_to=[RegexAppliesTo(regex=bucket_objects_finding(MANIFEST_PREFIX))],
                    reason="A big object's planning job writes the manifest of its ranges and "
                    "the array children read it; named per object, under this one prefix.",
                ),
            ],
            apply_to_children=True,
        )
        return role

    def _compute_environment(
        self, config: PipelineConfig, network: Network
    ) -> batch.FargateComputeEnvironment | batch.ManagedEc2EcsComputeEnvironment:
        settings: dict[str, Any] = {
            "compute_environment_name": f"{config.prefix}-compute",
            "vpc": network.vpc,
            "vpc_subnets": network.job_subnets,
            "maxv_cpus": config.max_vcpus,
        }
        if config.compute == "fargate":
            return batch.FargateComputeEnvironment(self, "ComputeEnvironment", **settings)
        environment = batch.ManagedEc2EcsComputeEnvironment(
            self,
            "ComputeEnvironment",
            **settings,
            minv_cpus=0,
            instance_types=[ec2.InstanceType(t) for t in config.instance_types],
            use_optimal_instance_classes=False,
        )
        NagSuppressions.add_resource_suppressions(
            environment,
            [
                NagPackSuppression(
                    id="AwsSolutions-IAM4",
                    applies_to=[
                        "Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                        "AmazonEC2ContainerServiceforEC2Role"
                    ],
                    reason="The ECS agent on Batch's EC2 instances needs this AWS-maintained "
                    "policy to register with the cluster; jobs get only the job role.",
                )
            ],
            apply_to_children=True,
        )
        return environment

    def _container(
        self, config: PipelineConfig, network: Network, table: dynamodb.ITable
    ) -> batch.IEcsContainerDefinition:
        settings: dict[str, Any] = {
            "image": ecs.ContainerImage.from_docker_image_asset(self.image),
            "cpu": config.job_vcpus,
            "memory": Size.mebibytes(config.job_memory_mib),
            "command": PROCESSOR_COMMAND,
            "environment": {
                "TABLE_NAME": table.table_name,
                "KEY_COLUMN": config.key_column,
                "CSV_DELIMITER": config.csv_delimiter,
                "MANIFEST_PREFIX": MANIFEST_PREFIX,
            },
            "job_role": self.job_role,
            "execution_role": self.execution_role,
            "readonly_root_filesystem": True,
        }
        if config.compute == "fargate":
            return batch.EcsFargateContainerDefinition(
                self,
                "Container",
                assign_public_ip=network.jobs_need_public_ip,
                fargate_cpu_architecture=ecs.CpuArchitecture.X86_64,
                **settings,
            )
        return batch.EcsEc2ContainerDefinition(self, "Container", **settings)
