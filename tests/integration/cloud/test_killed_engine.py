"""The engine process killed while a job runs: the next `make local-up` says what was lost
and removes the container the dead engine left running. On an engine of its own (its own
port and state), so the session's local cloud is untouched."""

import json
import logging
import os
import signal

import docker

from harness.client import aws
from harness.cloud.lifecycle import LocalCloud
from harness.cloud.network import HOST
from harness.contracts import BATCH_JOB_LABEL
from harness.engine.moto.engine import MotoEngine
from harness.images.prepare import base_image
from harness.waiting import wait_until
from tests.integration.helpers import free_port, queue_template


def test_a_killed_engine_is_reported_and_its_job_containers_removed(
    moto_cloud, tmp_path, unique, caplog
):
    client = docker.from_env()
    engine = MotoEngine(tmp_path, port=free_port())
    engine.start(HOST)
    batch = aws.client("batch", engine.endpoint)
    aws.client("cloudformation", engine.endpoint).create_stack(
        StackName="faults", TemplateBody=json.dumps(queue_template("faults"))
    )
    definition = batch.register_job_definition(
        jobDefinitionName=f"sleeper-{unique}",
        type="container",
        containerProperties={
            "image": base_image(client),
            "command": ["sleep", "120"],
        },
    )["jobDefinitionArn"]
    job_id = batch.submit_job(jobName="sleeper", jobQueue="faults", jobDefinition=definition)[
        "jobId"
    ]
    running = wait_until(
        lambda: batch.describe_jobs(jobs=[job_id])["jobs"][0]["status"] == "RUNNING" or None,
        timeout=30,
        interval=0.2,
    )
    assert running, "the job never reached RUNNING"

    os.kill(int(engine.pid_file.read_text()), signal.SIGKILL)
    assert wait_until(lambda: not engine.healthy() or None, timeout=10, interval=0.2)
    left = client.containers.list(filters={"label": f"{BATCH_JOB_LABEL}={job_id}"})
    with caplog.at_level(logging.INFO, logger="harness"):
        LocalCloud(engine=MotoEngine(tmp_path, port=engine.port), state_dir=tmp_path).recover()
    said = [
        record.getMessage() for record in caplog.records if record.name == "harness.cloud.lifecycle"
    ]

    assert [container.status for container in left] == ["running"]
    (report,) = said
    assert "ended without `make local-down`" in report
    assert "job history it held in memory are gone" in report
    assert "1 containers of jobs it was running removed" in report
    assert engine.log_file.read_text().splitlines()[-1] in report  # the end of its log
    assert client.containers.list(all=True, filters={"label": f"{BATCH_JOB_LABEL}={job_id}"}) == []
