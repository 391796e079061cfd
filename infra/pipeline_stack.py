"""The one stack: storage, network, Batch processing and the trigger, wired together."""

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from infra.config import PipelineConfig
from infra.network import Network
from infra.processing import Processing
from infra.storage import Storage
from infra.trigger import Trigger


class PipelineStack(Stack):
    def __init__(
        self, scope: Construct, construct_id: str, config: PipelineConfig, **kwargs
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        storage = Storage(self, "Storage", config)
        network = Network(self, "Network", config)
        processing = Processing(self, "Processing", config, network, storage.bucket, storage.table)
        trigger = Trigger(
            self,
            "Trigger",
            config,
            storage.bucket,
            storage.bucket_name,
            processing,
        )
        outputs = {
            "BucketName": storage.bucket.bucket_name,
            "TableName": storage.table.table_name,
            "JobQueueName": processing.job_queue_name,
            "JobQueueArn": processing.job_queue_arn,
            "JobDefinitionName": processing.job_definition_name,
            "JobDefinitionArn": processing.job_definition.job_definition_arn,
            "ComputeEnvironmentArn": processing.compute_environment.compute_environment_arn,
            "TriggerFunctionName": trigger.function.function_name,
            "UploadPrefix": config.upload_prefix,
        }
        for name, value in outputs.items():
            CfnOutput(self, name, value=value)
