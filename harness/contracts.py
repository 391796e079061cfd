"""What the app, the processor's containers and the harness agree on, each written once."""

from dataclasses import dataclass, fields

from harness.errors import HarnessError

# The local cloud's account and region (every engine, every client of it).
ACCOUNT_ID = "000000000000"
REGION = "us-east-1"

# The log group of Batch jobs' awslogs output, as AWS names it.
BATCH_LOG_GROUP = "/aws/batch/job"

# Labels on the containers the Batch stand-in starts: the job, and the engine that started it.
BATCH_JOB_LABEL = "csv-pipeline.batch-job-id"
ENGINE_LABEL = "csv-pipeline.engine"


@dataclass(frozen=True)
class OutputKeys:
    """The stack's output keys that name the flow's resources ([tool.harness.outputs]). An
    empty upload_prefix key: the app uploads anywhere in the bucket."""

    bucket: str = "BucketName"
    table: str = "TableName"
    job_queue: str = "JobQueueName"
    job_definition: str = "JobDefinitionName"
    function: str = "TriggerFunctionName"
    upload_prefix: str = "UploadPrefix"


@dataclass(frozen=True)
class StackOutputs:
    """The flow's resources in a deployed stack, by role."""

    bucket: str
    table: str
    job_queue: str
    job_definition: str  # its name: SubmitJob takes the latest ACTIVE revision
    function: str
    upload_prefix: str

    @classmethod
    def from_outputs(
        cls, outputs: dict[str, str], keys: OutputKeys, stack: str = "the stack"
    ) -> "StackOutputs":
        values = {}
        for role in fields(OutputKeys):
            key = getattr(keys, role.name)
            if not key and role.name == "upload_prefix":
                values[role.name] = ""
            elif key in outputs:
                values[role.name] = outputs[key]
            else:
                raise HarnessError(
                    f"{stack} has no output {key!r} (the {role.name.replace('_', '-')} role): "
                    f"it has {', '.join(sorted(outputs)) or 'none'}; name the right one under "
                    "[tool.harness.outputs] in pyproject.toml"
                )
        return cls(**values)
