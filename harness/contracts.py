"""What the app, the processor's containers and the harness agree on, each written once."""

from dataclasses import dataclass

# The local cloud's account and region (every engine, every client of it).
ACCOUNT_ID = "000000000000"
REGION = "us-east-1"

# The log group of Batch jobs' awslogs output, as AWS names it.
BATCH_LOG_GROUP = "/aws/batch/job"

# Labels on the containers the Batch stand-in starts: the job, and the engine that started it.
BATCH_JOB_LABEL = "csv-pipeline.batch-job-id"
ENGINE_LABEL = "csv-pipeline.engine"


@dataclass(frozen=True)
class StackOutputs:
    bucket: str
    table: str
    job_queue: str
    job_definition: str  # its name: SubmitJob takes the latest ACTIVE revision
    function: str
    upload_prefix: str

    @classmethod
    def from_outputs(cls, outputs: dict[str, str]) -> "StackOutputs":
        return cls(
            bucket=outputs["BucketName"],
            table=outputs["TableName"],
            job_queue=outputs["JobQueueName"],
            job_definition=outputs["JobDefinitionName"],
            function=outputs["TriggerFunctionName"],
            upload_prefix=outputs["UploadPrefix"],
        )
