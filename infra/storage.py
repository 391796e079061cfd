"""The upload bucket and the table the rows land in."""

from aws_cdk import Aws, RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_s3 as s3
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import Construct

from infra.config import PipelineConfig

# The item attribute the processor (batch/processor/items.py) writes the s3://bucket/key of an
# item's upload into, and the index that finds the items of one upload without a scan.
SOURCE_OBJECT = "source_object"
BY_SOURCE_OBJECT = "BySourceObject"


class Storage(Construct):
    def __init__(self, scope: Construct, construct_id: str, config: PipelineConfig) -> None:
        super().__init__(scope, construct_id)
        removal = RemovalPolicy.RETAIN if config.is_prod else RemovalPolicy.DESTROY
        # A name known before the bucket exists lets the Lambda permission name the bucket
        # without referencing it, so the permission can be created first (see trigger.py).
        self.bucket_name = f"{config.prefix}-uploads-{Aws.ACCOUNT_ID}-{Aws.REGION}"
        self.bucket = s3.Bucket(
            self,
            "Uploads",
            bucket_name=self.bucket_name,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            removal_policy=removal,
            auto_delete_objects=not config.is_prod,
        )
        self.table = dynamodb.Table(
            self,
            "Items",
            table_name=f"{config.prefix}-items",
            partition_key=dynamodb.Attribute(
                name=config.key_column, type=dynamodb.AttributeType.STRING
            ),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=config.is_prod
            ),
            removal_policy=removal,
        )
        # Keys only: the index costs a small write per item, and a lookup reads the items
        # themselves by those keys (harness console, `make demo`'s count).
        self.table.add_global_secondary_index(
            index_name=BY_SOURCE_OBJECT,
            partition_key=dynamodb.Attribute(
                name=SOURCE_OBJECT, type=dynamodb.AttributeType.STRING
            ),
            projection_type=dynamodb.ProjectionType.KEYS_ONLY,
        )
        NagSuppressions.add_resource_suppressions(
            self.bucket,
            [
                NagPackSuppression(
                    id="AwsSolutions-S1",
                    reason="Uploads are inputs read once by a job; object access is audited "
                    "with CloudTrail data events where the account enables them, instead of a "
                    "second bucket for server access logs.",
                )
            ],
        )
        if not config.is_prod:
            NagSuppressions.add_resource_suppressions(
                self.table,
                [
                    NagPackSuppression(
                        id="AwsSolutions-DDB3",
                        reason="Development stage: the table is rebuilt from the uploaded files; "
                        "stage=prod enables point-in-time recovery.",
                    )
                ],
            )
