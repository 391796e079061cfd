"""The Batch stand-in's models, retry rules, executor and REST layer, without Docker."""

import json
import threading

import botocore.session
import pytest
from werkzeug.test import Client

from harness.batch.backend import BatchBackend
from harness.batch.cloudformation import camel_keys
from harness.batch.errors import ClientException
from harness.batch.executor import JobExecutor
from harness.batch.jobs import Attempt
from harness.batch.responses import OPERATIONS, BatchApp, action_name
from harness.batch.retry import should_retry
from harness.engine.moto.cloudformation import notification_configuration

CONTAINER = {
    "image": "processor:1",
    "command": ["--bucket", "Ref::bucket", "--key", "Ref::key", "--etag", "Ref::etag"],
    "environment": [{"name": "TABLE_NAME", "value": "items"}],
    "resourceRequirements": [{"type": "VCPU", "value": "1"}, {"type": "MEMORY", "value": "2048"}],
}


@pytest.fixture
def submitted() -> list:
    return []


@pytest.fixture
def backend(submitted) -> BatchBackend:
    backend = BatchBackend("000000000000", "us-east-1", submitted.append)
    backend.create_compute_environment("compute", {"type": "FARGATE", "maxvCpus": 4})
    backend.create_job_queue("queue", 1, [{"order": 1, "computeEnvironment": "compute"}])
    backend.register_job_definition("processor", CONTAINER, parameters={"etag": "-"})
    return backend


def test_parameters_fill_ref_placeholders_with_definition_defaults(backend, submitted):
    job = backend.submit_job(
        "job-1", "queue", "processor", parameters={"bucket": "b", "key": "k.csv"}
    )

    assert submitted == [job]
    assert job.status == "SUBMITTED"
    assert job.command == ["--bucket", "b", "--key", "k.csv", "--etag", "-"]


def test_overrides_and_batch_variables_reach_the_environment(backend):
    job = backend.submit_job(
        "job-1",
        "arn:aws:batch:us-east-1:000000000000:job-queue/queue",
        "processor",
        container_overrides={
            "command": ["--help"],
            "environment": [{"name": "TABLE_NAME", "value": "other"}],
        },
    )
    job.attempts.append(Attempt())

    assert job.command == ["--help"]
    assert job.environment == {
        "TABLE_NAME": "other",
        "AWS_BATCH_JOB_ID": job.id,
        "AWS_BATCH_JOB_ATTEMPT": "1",
        "AWS_BATCH_JQ_NAME": "queue",
        "AWS_BATCH_CE_NAME": "compute",
    }


def test_job_definitions_resolve_by_name_revision_and_arn(backend):
    second = backend.register_job_definition("processor", {**CONTAINER, "image": "processor:2"})

    assert backend.find_job_definition("processor") is second
    assert backend.find_job_definition("processor:1").revision == 1
    assert backend.find_job_definition(second.arn) is second
    backend.deregister_job_definition(second.arn)
    assert backend.find_job_definition("processor").revision == 1


@pytest.mark.parametrize(
    ("name", "queue", "definition", "message"),
    [
        ("bad name!", "queue", "processor", "Job name 'bad name!' is invalid"),
        ("ok", "missing", "processor", "job queue missing does not exist"),
        ("ok", "queue", "missing", "job definition missing does not exist"),
    ],
)
def test_invalid_submissions_are_client_errors(backend, name, queue, definition, message):
    with pytest.raises(ClientException, match=message):
        backend.submit_job(name, queue, definition)


def test_list_jobs_defaults_to_running_as_in_aws(backend):
    job = backend.submit_job("job-1", "queue", "processor")

    assert backend.list_jobs("queue") == []
    assert backend.list_jobs("queue", "SUBMITTED") == [job]
    with pytest.raises(ClientException, match="jobStatus must be one of"):
        backend.list_jobs("queue", "DONE")


STRATEGY = {
    "attempts": 3,
    "evaluateOnExit": [
        {"action": "RETRY", "onExitCode": "75"},
        {"action": "RETRY", "onReason": "CannotPullContainerError:*"},
        {"action": "EXIT", "onExitCode": "*"},
        {"action": "EXIT", "onReason": "*"},
    ],
}


@pytest.mark.parametrize(
    ("attempt", "made", "retry"),
    [
        (Attempt(exit_code=75), 1, True),
        (Attempt(exit_code=75), 3, False),
        (Attempt(exit_code=1), 1, False),
        (Attempt(reason="CannotPullContainerError: no such image"), 1, True),
        (Attempt(reason="OutOfMemoryError: killed", exit_code=137), 1, False),
        (Attempt(status_reason="Job attempt duration exceeded timeout"), 1, True),
    ],
)
def test_evaluate_on_exit_first_match_wins_and_unmatched_retries(attempt, made, retry):
    assert should_retry(STRATEGY, attempt, made) is retry


def test_no_strategy_means_one_attempt():
    assert should_retry(None, Attempt(exit_code=75), 1) is False


class ScriptedRunner:
    """Plays back exit codes instead of running containers."""

    def __init__(self, exit_codes: list[int]) -> None:
        self.exit_codes = exit_codes
        self.done = threading.Event()

    def run(self, job, attempt, on_running) -> bool:
        on_running()
        attempt.exit_code = self.exit_codes.pop(0)
        if attempt.exit_code:
            attempt.status_reason = "Essential container in task exited"
        if not self.exit_codes:
            self.done.set()
        return attempt.exit_code == 0


def run_to_end(backend, runner, retry_strategy=None):
    """The job submitted (the backend's start_job only records it), then run by `runner`."""
    job = backend.submit_job("job-1", "queue", "processor", retry_strategy=retry_strategy)
    JobExecutor(runner).start(job)
    assert runner.done.wait(5)
    for _ in range(100):
        if job.is_done:
            return job
        threading.Event().wait(0.01)
    raise AssertionError(f"job still {job.status}")


def test_a_job_walks_through_batch_states(backend):
    job = run_to_end(backend, ScriptedRunner([0]))

    assert [status for status, _ in job.history] == [
        "SUBMITTED",
        "PENDING",
        "RUNNABLE",
        "STARTING",
        "RUNNING",
        "SUCCEEDED",
    ]
    assert job.created_at <= job.started_at <= job.stopped_at


def test_a_transient_exit_is_retried_and_a_final_failure_keeps_its_reason(backend):
    job = run_to_end(backend, ScriptedRunner([75, 1]), STRATEGY)

    assert job.status == "FAILED"
    assert job.status_reason == "Essential container in task exited"
    assert [attempt.exit_code for attempt in job.attempts] == [75, 1]


def test_rest_layer_returns_batch_error_shapes(backend):
    client = Client(BatchApp(lambda region: backend))

    response = client.post(
        "/v1/submitjob", json={"jobName": "x", "jobQueue": "nope", "jobDefinition": "processor"}
    )
    unknown = client.post("/v1/createserviceenvironment", json={})

    assert response.status_code == 400
    assert response.headers["x-amzn-ErrorType"] == "ClientException"
    assert json.loads(response.data)["message"] == "job queue nope does not exist"
    assert unknown.status_code == 400
    assert json.loads(unknown.data) == {
        "__type": "ClientException",
        "message": "CreateServiceEnvironment is not implemented by the stand-in",
    }


def test_every_action_of_botocores_model_is_served_or_answers_not_implemented(backend):
    """Each action in botocore's Batch model, called as botocore calls it with an empty body:
    either the stand-in serves it (any answer but "not implemented") or it answers AWS's
    ClientException, HTTP 400, naming the action."""
    client = Client(BatchApp(lambda region: backend))
    model = botocore.session.get_session().get_service_model("batch")
    served, refused = [], []
    for name in model.operation_names:
        http = model.operation_model(name).http
        path = http["requestUri"].replace("{resourceArn}", "arn:aws:batch:us-east-1:1:job/x")
        answer = client.open(path, method=http["method"], json={})
        message = json.loads(answer.data).get("message", "")
        if message == f"{name} is not implemented by the stand-in":
            assert (answer.status_code, answer.headers["x-amzn-ErrorType"]) == (
                400,
                "ClientException",
            ), name
            refused.append(name)
        else:
            assert "not implemented" not in message, (name, message)
            served.append(name)

    assert {"SubmitJob", "TerminateJob", "TagResource", "ListTagsForResource"} <= set(served)
    assert set(served) == {action_name(operation) for operation in OPERATIONS.values()} | {
        "TagResource",
        "UntagResource",
        "ListTagsForResource",
    }
    assert "CreateServiceEnvironment" in refused


def test_a_fault_of_the_stand_in_is_a_server_exception_and_bad_json_a_client_one(backend):
    def broken(region: str) -> BatchBackend:
        raise KeyError("a bug")

    faulty = Client(BatchApp(broken)).post("/v1/describejobs", json={"jobs": []})
    not_json = Client(BatchApp(lambda region: backend)).post("/v1/describejobs", data=b"{jobs")

    assert (faulty.status_code, faulty.headers["x-amzn-ErrorType"]) == (500, "ServerException")
    assert json.loads(faulty.data)["message"] == "Local Batch stand-in error: KeyError('a bug')"
    assert (not_json.status_code, not_json.headers["x-amzn-ErrorType"]) == (400, "ClientException")


def test_cloudformation_properties_become_api_shapes():
    assert camel_keys({"ComputeResources": {"MaxvCpus": 16, "Type": "FARGATE"}}) == {
        "computeResources": {"maxvCpus": 16, "type": "FARGATE"}
    }
    properties = {
        "NotificationConfiguration": {
            "LambdaConfigurations": [
                {
                    "Event": "s3:ObjectCreated:*",
                    "Function": "arn:fn",
                    "Filter": {"S3Key": {"Rules": [{"Name": "suffix", "Value": ".csv"}]}},
                }
            ]
        }
    }
    assert notification_configuration(properties) == {
        "CloudFunctionConfiguration": [
            {
                "CloudFunction": "arn:fn",
                "Event": ["s3:ObjectCreated:*"],
                "Filter": {"S3Key": {"FilterRule": [{"Name": "suffix", "Value": ".csv"}]}},
            }
        ]
    }


def test_documented_fields_the_stand_in_lacks_are_refused_not_dropped(backend, caplog):
    client = Client(BatchApp(lambda region: backend))
    job = {"jobName": "x", "jobQueue": "queue", "jobDefinition": "processor"}

    ecs = client.post(
        "/v1/submitjob", json={**job, "ecsPropertiesOverride": {"taskProperties": [{}]}}
    )
    ecs_definition = client.post(
        "/v1/registerjobdefinition",
        json={"jobDefinitionName": "ecs", "ecsProperties": {"taskProperties": [{}]}},
    )
    gpu = client.post(
        "/v1/registerjobdefinition",
        json={
            "jobDefinitionName": "gpu",
            "type": "container",
            "containerProperties": {
                "image": "i",
                "resourceRequirements": [{"type": "GPU", "value": "1"}],
            },
        },
    )
    no_effect = client.post("/v1/submitjob", json={**job, "propagateTags": True})

    for refused, field in (
        (ecs, "ecsPropertiesOverride"),
        (ecs_definition, "ecsProperties"),
        (gpu, "GPU"),
    ):
        assert refused.status_code == 400
        assert field in json.loads(refused.data)["message"]
        assert "not supported by the local Batch stand-in" in json.loads(refused.data)["message"]
    assert no_effect.status_code == 200
    assert "SubmitJob: propagateTags accepted without effect locally" in caplog.text


def test_the_aws_batch_variable_prefix_is_reserved_in_definitions_and_overrides(backend):
    client = Client(BatchApp(lambda region: backend))
    own = [{"name": "AWS_BATCH_JOB_ID", "value": "mine"}, {"name": "TABLE", "value": "t"}]

    definition = client.post(
        "/v1/registerjobdefinition",
        json={
            "jobDefinitionName": "own",
            "type": "container",
            "containerProperties": {"image": "i", "environment": own},
        },
    )
    override = client.post(
        "/v1/submitjob",
        json={
            "jobName": "x",
            "jobQueue": "queue",
            "jobDefinition": "processor",
            "containerOverrides": {"environment": own},
        },
    )

    for refused, where in ((definition, "containerProperties"), (override, "containerOverrides")):
        assert refused.status_code == 400
        message = json.loads(refused.data)["message"]
        assert f"{where}.environment: AWS_BATCH_JOB_ID" in message and "reserved" in message
    assert not backend.jobs


def test_an_attempt_timeout_under_60_seconds_is_refused_as_in_aws(backend):
    with pytest.raises(ClientException, match="attemptDurationSeconds must be at least 60: 59"):
        backend.register_job_definition("quick", CONTAINER, timeout={"attemptDurationSeconds": 59})
    with pytest.raises(ClientException, match="at least 60: 2"):
        backend.submit_job("job", "queue", "processor", timeout={"attemptDurationSeconds": 2})


def test_creating_a_resource_that_exists_is_a_conflict_in_aws_words(backend):
    client = Client(BatchApp(lambda region: backend))
    creates = {
        "/v1/createcomputeenvironment": {
            "computeEnvironmentName": "again",
            "type": "MANAGED",
            "computeResources": {"type": "EC2", "maxvCpus": 2},
        },
        "/v1/createjobqueue": {
            "jobQueueName": "again",
            "priority": 1,
            "computeEnvironmentOrder": [{"order": 1, "computeEnvironment": "again"}],
        },
        "/v1/createschedulingpolicy": {"name": "again"},
        "/v1/createconsumableresource": {"consumableResourceName": "again", "totalQuantity": 1},
    }
    for path, body in creates.items():
        assert client.post(path, json=body).status_code == 200, path
        again = client.post(path, json=body)

        assert again.status_code == 409, path
        assert again.headers["x-amzn-ErrorType"] == "ClientException"
        assert json.loads(again.data)["message"] == "Object already exists"
