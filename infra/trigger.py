"""The trigger Lambda and the bucket's own notification configuration that invokes it.

The subscription is the bucket's CloudFormation NotificationConfiguration plus an explicit
AWS::Lambda::Permission, not `Bucket.add_event_notification`: that one emits a
Custom::S3BucketNotifications resource backed by a second Lambda, which free emulators
skip or cannot run. S3 checks the permission when the configuration is saved, so the
permission names the bucket by its known name and the bucket is created after it.
"""

from pathlib import Path

from aws_cdk import Aws, Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from cdk_nag import NagPackSuppression, NagSuppressions, RegexAppliesTo
from constructs import Construct

from infra.config import PipelineConfig
from infra.processing import Processing

LAMBDA_DIR = Path(__file__).resolve().parents[1] / "lambda"
CSV_SUFFIX = ".csv"
# cdk-nag's finding for arn:<partition>:batch:<region>:<account>:job-definition/<name>:*
JOB_DEFINITION_REVISIONS_FINDING = (
    r"/^Resource::arn:<AWS::Partition>:batch:<AWS::Region>:<AWS::AccountId>:"
    r"job-definition\/[a-z0-9-]+-processor:\*$/"
)


class Trigger(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        config: PipelineConfig,
        bucket: s3.Bucket,
        bucket_name: str,
        processing: Processing,
    ) -> None:
        super().__init__(scope, construct_id)
        function_name = f"{config.prefix}-trigger"
        log_group = logs.LogGroup(
            self,
            "Logs",
            log_group_name=f"/aws/lambda/{function_name}",
            retention=logs.RetentionDays.ONE_MONTH,
            removal_policy=RemovalPolicy.RETAIN if config.is_prod else RemovalPolicy.DESTROY,
        )
        role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Submits one Batch job per uploaded CSV object",
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[log_group.log_group_arn],
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["batch:SubmitJob"],
                resources=[processing.job_queue_arn, processing.job_definition_revisions_arn],
            )
        )
        self.function = lambda_.Function(
            self,
            "Function",
            function_name=function_name,
            runtime=lambda_.Runtime.PYTHON_3_12,
            handler="trigger.handler.handler",
            code=lambda_.Code.from_asset(str(LAMBDA_DIR), exclude=["**/__pycache__", "**/*.pyc"]),
            role=role,
            log_group=log_group,
            timeout=Duration.seconds(30),
            memory_size=256,
            environment={
                "JOB_QUEUE": processing.job_queue_name,
                "JOB_DEFINITION": processing.job_definition_name,
                "KEY_PREFIX": config.upload_prefix,
                "KEY_SUFFIX": CSV_SUFFIX,
                "SHARD_BYTES": str(config.shard_mib * 1024 * 1024),
                "MAX_SHARDS": str(config.max_shards),
            },
        )
        permission = lambda_.CfnPermission(
            self,
            "InvokeFromUploads",
            action="lambda:InvokeFunction",
            function_name=self.function.function_arn,
            principal="s3.amazonaws.com",
            source_account=Aws.ACCOUNT_ID,
            source_arn=f"arn:{Aws.PARTITION}:s3:::{bucket_name}",
        )
        rules = [s3.CfnBucket.FilterRuleProperty(name="suffix", value=CSV_SUFFIX)]
        if config.upload_prefix:
            rules.insert(
                0, s3.CfnBucket.FilterRuleProperty(name="prefix", value=config.upload_prefix)
            )
        cfn_bucket: s3.CfnBucket = bucket.node.default_child  # type: ignore[assignment]
        cfn_bucket.notification_configuration = s3.CfnBucket.NotificationConfigurationProperty(
            lambda_configurations=[
                s3.CfnBucket.LambdaConfigurationProperty(
                    event="s3:ObjectCreated:*",
                    function=self.function.function_arn,
                    filter=s3.CfnBucket.NotificationFilterProperty(
                        s3_key=s3.CfnBucket.S3KeyFilterProperty(rules=rules)
                    ),
                )
            ]
        )
        cfn_bucket.node.add_dependency(permission)
        # Named, not referenced (see processing.py): uploads must wait for Batch all the same.
        self.function.node.add_dependency(processing.job_queue, processing.job_definition)
        NagSuppressions.add_resource_suppressions(
            role,
            [
                NagPackSuppression(
                    id="AwsSolutions-IAM5",
                    applies_to=[RegexAppliesTo(regex=JOB_DEFINITION_REVISIONS_FINDING)],
                    reason="Every deploy that changes the job definition adds a revision, and "
                    "the trigger submits the latest one by name; the wildcard covers only this "
                    "job definition's revisions.",
                )
            ],
            apply_to_children=True,
        )
        NagSuppressions.add_resource_suppressions(
            self.function,
            [
                NagPackSuppression(
                    id="AwsSolutions-L1",
                    reason="python3.12 is pinned on purpose, matching the processor image's "
                    "python:3.12-slim base; upgrade both together.",
                )
            ],
        )
