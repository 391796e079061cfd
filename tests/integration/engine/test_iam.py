"""IAM enforced at run time (harness/engine/moto/iam.py): the deployed app's own roles are
enough for the whole flow, and a role without a permission fails the job with AccessDenied.
The embedded engine only: it is the one that enforces IAM."""

import json

from harness.client import aws
from harness.waiting import wait_until
from tests.integration.helpers import (
    csv_bytes,
    items_with_prefix,
    products,
    summary_of,
    wait_for_job,
)

ECS_TASKS_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": "sts:AssumeRole",
            "Principal": {"Service": "ecs-tasks.amazonaws.com"},
        }
    ],
}


def test_the_deployed_app_passes_the_flow_with_iam_enforced(enforced_iam, pipeline, unique):
    rows = products(unique, 200)

    upload = pipeline.upload_bytes(f"uploads/{unique}/enforced.csv", csv_bytes(rows))
    (job,) = pipeline.wait_for_jobs(upload, timeout=240)

    assert job["status"] == "SUCCEEDED", job.get("statusReason")
    items = items_with_prefix(pipeline, unique)
    assert sorted(item["ProductId"] for item in items) == sorted(row[0] for row in rows)
    assert summary_of(pipeline, job["jobId"])["written"] == 200


def test_a_job_role_without_batch_write_item_fails_with_access_denied(
    enforced_iam, pipeline, unique
):
    iam = aws.client("iam", pipeline.endpoint)
    bucket = pipeline.outputs.bucket
    trust = json.dumps(ECS_TASKS_TRUST)
    role_arn = iam.create_role(RoleName=f"read-only-{unique}", AssumeRolePolicyDocument=trust)[
        "Role"
    ]["Arn"]
    iam.put_role_policy(
        RoleName=f"read-only-{unique}",
        PolicyName="read-uploads",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": "s3:GetObject",
                        "Resource": f"arn:aws:s3:::{bucket}/uploads/*",
                    }
                ],
            }
        ),
    )
    (app,) = pipeline.batch.describe_job_definitions(
        jobDefinitionName=pipeline.outputs.job_definition, status="ACTIVE"
    )["jobDefinitions"][-1:]
    definition = pipeline.batch.register_job_definition(
        jobDefinitionName=f"read-only-{unique}",
        type="container",
        parameters=app["parameters"],
        retryStrategy=app["retryStrategy"],
        containerProperties={**app["containerProperties"], "jobRoleArn": role_arn},
    )["jobDefinitionArn"]
    key = f"uploads/{unique}/denied.data"  # not .csv: the trigger leaves it to this test
    pipeline.upload_bytes(key, csv_bytes(products(unique, 30)))

    job_id = pipeline.batch.submit_job(
        jobName=f"denied-{unique}",
        jobQueue=pipeline.outputs.job_queue,
        jobDefinition=definition,
        parameters={"bucket": bucket, "key": key},
    )["jobId"]
    job = wait_for_job(pipeline.batch, job_id, timeout=120)

    assert job["status"] == "FAILED"
    assert [a["container"]["exitCode"] for a in job["attempts"]] == [3], "not retried"
    summary = summary_of(pipeline, job_id)
    assert "AccessDeniedException" in summary["message"]
    assert "dynamodb:BatchWriteItem on resource: arn:aws:dynamodb:" in summary["message"]
    assert summary["written"] == 0 and items_with_prefix(pipeline, unique) == []


def test_the_triggers_submit_job_is_checked_against_its_own_role(enforced_iam, pipeline, unique):
    iam = aws.client("iam", pipeline.endpoint)
    (role,) = [r["RoleName"] for r in iam.list_roles()["Roles"] if "TriggerRole" in r["RoleName"]]
    (name,) = iam.list_role_policies(RoleName=role)["PolicyNames"]
    policy = iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
    iam.delete_role_policy(RoleName=role, PolicyName=name)
    try:
        upload = pipeline.upload_bytes(
            f"uploads/{unique}/unsent.csv", csv_bytes(products(unique, 5))
        )

        def denials() -> list[str] | None:
            lines = [
                line
                for line in pipeline.trigger_log_lines()
                if "submit_failed" in line and unique in line
            ]
            return lines if len(lines) == 3 else None

        denied = wait_until(denials, timeout=60, interval=1)
    finally:
        iam.put_role_policy(RoleName=role, PolicyName=name, PolicyDocument=json.dumps(policy))

    assert denied, "the first invocation and Lambda's two retries were each denied"
    assert all("AccessDeniedException" in line and "batch:SubmitJob" in line for line in denied)
    assert pipeline.jobs_for(upload) == []


def test_the_cdk_deploy_keeps_working_with_iam_enforced(enforced_iam, moto_cloud, pipeline):
    """cdklocal signs with the harness's own credentials, which are not checked."""
    outputs = moto_cloud.deploy(moto_cloud.app)

    assert outputs == pipeline.outputs
