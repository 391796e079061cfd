"""The job's contract, written once on each side and checked here to agree: the job definition
(infra/processing.py) passes the trigger's parameters (lambda/trigger/) to the processor's
command line (batch/processor/cli.py) and retries on the processor's exit codes."""

import re

import pytest
from processor import cli, items, shards
from trigger.events import ObjectCreated
from trigger.jobs import job_parameters

from harness.batch.backend import BatchBackend
from infra import processing, storage

REFERENCE = re.compile(r"^Ref::(\w+)$")


@pytest.fixture
def command_for():
    """The processor's arguments for a job with `parameters`, as the Batch stand-in builds
    them from the job definition's command and default parameters (Ref::name substitution,
    as AWS Batch documents it)."""
    backend = BatchBackend("000000000000", "us-east-1", start_job=lambda job: None)
    backend.create_compute_environment("env", {"maxvCpus": 4})
    backend.create_job_queue("queue", 1, [{"order": 1, "computeEnvironment": "env"}])
    container = {"image": "processor", "command": processing.PROCESSOR_COMMAND}
    backend.register_job_definition("processor", container, processing.DEFAULT_PARAMETERS)

    def command(parameters: dict[str, str]) -> list[str]:
        return backend.submit_job("job", "queue", "processor", parameters).command

    return command


def test_every_parameter_the_command_names_comes_from_the_trigger_or_a_default():
    names = {m.group(1) for part in processing.PROCESSOR_COMMAND if (m := REFERENCE.match(part))}
    obj = ObjectCreated("ObjectCreated:Put", "bucket", "uploads/a.csv", 10, "e", "v", "s")
    sent = set(job_parameters(obj)) | {"mode", "shards"}  # handler.py adds these for big files

    assert names <= sent | set(processing.DEFAULT_PARAMETERS)
    assert names - set(processing.DEFAULT_PARAMETERS) <= set(job_parameters(obj))


def test_the_command_with_only_the_required_parameters_parses_as_the_processor_expects(
    command_for,
):
    arguments = cli.parse_args(command_for({"bucket": "b", "key": "uploads/a.csv"}))

    assert (arguments.bucket, arguments.key, arguments.mode, arguments.shards) == (
        "b",
        "uploads/a.csv",
        "whole",
        1,
    )
    assert arguments.version_id == arguments.etag == cli.ABSENT  # "not sent", to the processor


def test_each_mode_the_trigger_submits_is_one_the_processor_has(command_for):
    for mode in ("whole", "plan", "shard"):
        arguments = cli.parse_args(command_for({"bucket": "b", "key": "k", "mode": mode}))
        assert arguments.mode == mode
    assert processing.DEFAULT_PARAMETERS["mode"] in cli.MODES


def test_the_retried_exit_code_sentinel_and_manifest_prefix_agree():
    assert str(cli.EXIT_TRANSIENT) == processing.EXIT_TRANSIENT
    assert processing.ABSENT == cli.ABSENT
    assert processing.MANIFEST_PREFIX == shards.MANIFEST_PREFIX


def test_the_table_indexes_the_attribute_the_processor_names_an_items_upload_in():
    assert storage.SOURCE_OBJECT == items.SOURCE_OBJECT
