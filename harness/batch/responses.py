"""The Batch REST API (POST /v1/<operation>, JSON in and out) as a WSGI application."""

import functools
import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

import botocore.session
from werkzeug.wrappers import Request, Response

from harness.batch.backend import BatchBackend
from harness.batch.errors import BatchError, ClientException, ServerException
from harness.batch.resources import ComputeEnvironment, present
from harness.batch.validation import (
    check_compute_environment,
    check_job_definition,
    check_job_queue,
    check_scheduling_policy,
    check_state_time_limit_actions,
    check_submit_job,
)
from harness.contracts import REGION
from harness.engine.edge.sigv4 import credential_scope, signed_service

logger = logging.getLogger("harness.batch")

Operation = Callable[[BatchBackend, dict[str, Any]], dict[str, Any]]
# (headers, method, path, body, action, resource ARNs): raises AccessDeniedException when the
# caller may not; the engine supplies it when it enforces IAM (harness/engine/moto/iam.py).
Authorizer = Callable[[Any, str, str, bytes, str, list[str]], None]


def submit_job(backend: BatchBackend, body: dict[str, Any]) -> dict[str, Any]:
    check_submit_job(body)
    job = backend.submit_job(
        job_name=body.get("jobName", ""),
        job_queue=body.get("jobQueue", ""),
        job_definition=body.get("jobDefinition", ""),
        parameters=body.get("parameters"),
        container_overrides=body.get("containerOverrides"),
        retry_strategy=body.get("retryStrategy"),
        timeout=body.get("timeout"),
        array_properties=body.get("arrayProperties"),
        depends_on=body.get("dependsOn"),
        tags=body.get("tags"),
        share_identifier=body.get("shareIdentifier"),
        scheduling_priority_override=body.get("schedulingPriorityOverride"),
        consumable_resource_properties_override=body.get("consumableResourcePropertiesOverride"),
        node_overrides=body.get("nodeOverrides"),
        eks_properties_override=body.get("eksPropertiesOverride"),
    )
    return {"jobArn": job.arn, "jobName": job.name, "jobId": job.id}


def describe_jobs(backend: BatchBackend, body: dict[str, Any]) -> dict[str, Any]:
    return {"jobs": [job.describe() for job in backend.describe_jobs(body.get("jobs", []))]}


def list_jobs(backend: BatchBackend, body: dict[str, Any]) -> dict[str, Any]:
    jobs = backend.list_jobs(
        body.get("jobQueue"),
        body.get("jobStatus"),
        body.get("arrayJobId"),
        body.get("multiNodeJobId"),
    )
    return {"jobSummaryList": [job.summary() for job in jobs]}


def describe_job_queues(backend: BatchBackend, body: dict[str, Any]) -> dict[str, Any]:
    queues = backend.describe_job_queues(body.get("jobQueues"))
    return {
        "jobQueues": [
            {**queue.describe(), "jobQueueType": backend.job_queue_type(queue)} for queue in queues
        ]
    }


def describe_compute_environments(backend: BatchBackend, body: dict[str, Any]) -> dict[str, Any]:
    environments = backend.describe_compute_environments(body.get("computeEnvironments"))
    return {"computeEnvironments": [e.describe() for e in environments]}


def describe_job_definitions(backend: BatchBackend, body: dict[str, Any]) -> dict[str, Any]:
    definitions = backend.describe_job_definitions(
        body.get("jobDefinitions"), body.get("jobDefinitionName"), body.get("status")
    )
    return {"jobDefinitions": [d.describe() for d in definitions]}


def register_job_definition(backend: BatchBackend, body: dict[str, Any]) -> dict[str, Any]:
    check_job_definition(body)
    definition = backend.register_job_definition(
        name=body.get("jobDefinitionName", ""),
        type=body.get("type", "container"),
        container_properties=body.get("containerProperties", {}),
        parameters=body.get("parameters"),
        retry_strategy=body.get("retryStrategy"),
        timeout=body.get("timeout"),
        platform_capabilities=body.get("platformCapabilities"),
        tags=body.get("tags"),
        scheduling_priority=body.get("schedulingPriority"),
        consumable_resource_properties=body.get("consumableResourceProperties"),
        node_properties=body.get("nodeProperties"),
        eks_properties=body.get("eksProperties"),
    )
    return {
        "jobDefinitionName": definition.name,
        "jobDefinitionArn": definition.arn,
        "revision": definition.revision,
    }


def cancel_job(backend: BatchBackend, body: dict[str, Any]) -> dict[str, Any]:
    backend.stop_job(body.get("jobId", ""), body.get("reason", ""), terminate=False)
    return {}


def terminate_job(backend: BatchBackend, body: dict[str, Any]) -> dict[str, Any]:
    backend.stop_job(body.get("jobId", ""), body.get("reason", ""), terminate=True)
    return {}


def deregister_job_definition(backend: BatchBackend, body: dict[str, Any]) -> dict[str, Any]:
    backend.deregister_job_definition(body.get("jobDefinition", ""))
    return {}


def environment_names(environment: ComputeEnvironment) -> dict[str, Any]:
    return {
        "computeEnvironmentName": environment.name,
        "computeEnvironmentArn": environment.arn,
    }


def create_compute_environment(backend: BatchBackend, body: dict[str, Any]) -> dict[str, Any]:
    check_compute_environment(body)
    environment = backend.create_compute_environment(
        name=body.get("computeEnvironmentName", ""),
        compute_resources=body.get("computeResources") or {},
        type=body.get("type", "MANAGED"),
        state=body.get("state", "ENABLED"),
        service_role=body.get("serviceRole"),
        tags=body.get("tags"),
        eks_configuration=body.get("eksConfiguration"),
    )
    return environment_names(environment)


def update_compute_environment(backend: BatchBackend, body: dict[str, Any]) -> dict[str, Any]:
    check_compute_environment(body)
    if body.get("eksConfiguration"):
        raise ClientException(
            "UpdateComputeEnvironment: eksConfiguration not supported by the local Batch "
            "stand-in (an environment keeps the cluster it was created with)"
        )
    environment = backend.update_compute_environment(
        body.get("computeEnvironment", ""),
        body.get("state"),
        body.get("computeResources"),
        body.get("serviceRole"),
    )
    return environment_names(environment)


def delete_compute_environment(backend: BatchBackend, body: dict[str, Any]) -> dict[str, Any]:
    backend.delete_compute_environment(body.get("computeEnvironment", ""))
    return {}


def create_job_queue(backend: BatchBackend, body: dict[str, Any]) -> dict[str, Any]:
    check_job_queue(body)
    queue = backend.create_job_queue(
        name=body.get("jobQueueName", ""),
        priority=int(body.get("priority", 1)),
        compute_environment_order=body.get("computeEnvironmentOrder") or [],
        state=body.get("state", "ENABLED"),
        tags=body.get("tags"),
        state_time_limit_actions=check_state_time_limit_actions(
            body.get("jobStateTimeLimitActions") or []
        ),
        scheduling_policy_arn=body.get("schedulingPolicyArn"),
    )
    return {"jobQueueName": queue.name, "jobQueueArn": queue.arn}


def update_job_queue(backend: BatchBackend, body: dict[str, Any]) -> dict[str, Any]:
    check_job_queue(body)
    queue = backend.update_job_queue(
        body.get("jobQueue", ""),
        state=body.get("state"),
        priority=body.get("priority"),
        compute_environment_order=body.get("computeEnvironmentOrder"),
        state_time_limit_actions=(
            check_state_time_limit_actions(body["jobStateTimeLimitActions"])
            if "jobStateTimeLimitActions" in body
            else None
        ),
        scheduling_policy_arn=body.get("schedulingPolicyArn"),
    )
    return {"jobQueueName": queue.name, "jobQueueArn": queue.arn}


def delete_job_queue(backend: BatchBackend, body: dict[str, Any]) -> dict[str, Any]:
    backend.delete_job_queue(body.get("jobQueue", ""))
    return {}


def create_scheduling_policy(backend: BatchBackend, body: dict[str, Any]) -> dict[str, Any]:
    check_scheduling_policy(body)
    policy = backend.create_scheduling_policy(
        body.get("name", ""), body.get("fairsharePolicy"), body.get("tags")
    )
    return {"name": policy.name, "arn": policy.arn}


def describe_scheduling_policies(backend: BatchBackend, body: dict[str, Any]) -> dict[str, Any]:
    policies = backend.describe_scheduling_policies(body.get("arns") or [])
    return {"schedulingPolicies": [policy.describe() for policy in policies]}


def list_scheduling_policies(backend: BatchBackend, body: dict[str, Any]) -> dict[str, Any]:
    arns = [{"arn": policy.arn} for policy in backend.list_scheduling_policies()]
    return paged("schedulingPolicies", arns, body)


def update_scheduling_policy(backend: BatchBackend, body: dict[str, Any]) -> dict[str, Any]:
    check_scheduling_policy(body)
    backend.update_scheduling_policy(body.get("arn", ""), body.get("fairsharePolicy") or {})
    return {}


def delete_scheduling_policy(backend: BatchBackend, body: dict[str, Any]) -> dict[str, Any]:
    backend.delete_scheduling_policy(body.get("arn", ""))
    return {}


def create_consumable_resource(backend: BatchBackend, body: dict[str, Any]) -> dict[str, Any]:
    resource = backend.create_consumable_resource(
        body.get("consumableResourceName", ""),
        int(body.get("totalQuantity") or 0),
        body.get("resourceType") or "REPLENISHABLE",
        body.get("tags"),
    )
    return {"consumableResourceName": resource.name, "consumableResourceArn": resource.arn}


def describe_consumable_resource(backend: BatchBackend, body: dict[str, Any]) -> dict[str, Any]:
    return backend.find_consumable_resource(body.get("consumableResource", "")).describe()


def list_consumable_resources(backend: BatchBackend, body: dict[str, Any]) -> dict[str, Any]:
    names = filtered(body.get("filters"), "CONSUMABLE_RESOURCE_NAME")
    resources = [
        r.summary()
        for r in backend.list_consumable_resources(names.get("CONSUMABLE_RESOURCE_NAME"))
    ]
    return paged("consumableResources", resources, body)


def update_consumable_resource(backend: BatchBackend, body: dict[str, Any]) -> dict[str, Any]:
    resource = backend.update_consumable_resource(
        body.get("consumableResource", ""),
        body.get("operation") or "SET",
        int(body.get("quantity") or 0),
    )
    return {
        "consumableResourceName": resource.name,
        "consumableResourceArn": resource.arn,
        "totalQuantity": resource.total,
    }


def delete_consumable_resource(backend: BatchBackend, body: dict[str, Any]) -> dict[str, Any]:
    backend.delete_consumable_resource(body.get("consumableResource", ""))
    return {}


def list_jobs_by_consumable_resource(backend: BatchBackend, body: dict[str, Any]) -> dict[str, Any]:
    """The jobs that name the resource, with what each asks of it; filtered by JOB_STATUS or
    JOB_NAME as AWS filters them."""
    resource = backend.find_consumable_resource(body.get("consumableResource", ""))
    wanted = filtered(body.get("filters"), "JOB_STATUS", "JOB_NAME")
    jobs = []
    for job in backend.jobs_using(resource):
        if "JOB_STATUS" in wanted and job.status not in wanted["JOB_STATUS"]:
            continue
        if "JOB_NAME" in wanted and job.name not in wanted["JOB_NAME"]:
            continue
        quantity = sum(q for used, q in job.consumables if used is resource)
        jobs.append(
            present(
                jobArn=job.arn,
                jobQueueArn=job.queue.arn,
                jobName=job.name,
                jobDefinitionArn=job.definition.arn,
                shareIdentifier=job.share_identifier,
                jobStatus=job.status,
                quantity=quantity,
                statusReason=job.status_reason,
                startedAt=job.started_at,
                createdAt=job.created_at,
                consumableResourceProperties=job.consumable_resource_properties(),
            )
        )
    return paged("jobs", jobs, body)


def filtered(filters: Any, *names: str) -> dict[str, list[str]]:
    """A List* request's filters, by name; a filter the stand-in does not know is refused."""
    chosen: dict[str, list[str]] = {}
    for entry in filters or []:
        name = entry.get("name") if isinstance(entry, dict) else None
        if name not in names:
            raise ClientException(
                f"filter {name!r} is not supported by the local Batch stand-in here "
                f"(it takes {', '.join(names)})"
            )
        chosen[name] = list(entry.get("values") or [])
    return chosen


def paged(key: str, items: list[dict[str, Any]], body: dict[str, Any]) -> dict[str, Any]:
    """`items` a page at a time: maxResults (default 100) from nextToken."""
    start = int(body.get("nextToken") or 0)
    size = int(body.get("maxResults") or 100)
    more = start + size < len(items)
    return {key: items[start : start + size], **({"nextToken": str(start + size)} if more else {})}


def list_tags_for_resource(backend: BatchBackend, body: dict[str, Any]) -> dict[str, Any]:
    return {"tags": dict(backend.tagged(body["resourceArn"]).tags)}


def tag_resource(backend: BatchBackend, body: dict[str, Any]) -> dict[str, Any]:
    backend.tag_resource(body["resourceArn"], body.get("tags") or {})
    return {}


def untag_resource(backend: BatchBackend, body: dict[str, Any]) -> dict[str, Any]:
    backend.untag_resource(body["resourceArn"], body.get("tagKeys") or [])
    return {}


# /v1/tags/{resourceArn}, by HTTP method
TAG_OPERATIONS: dict[str, Operation] = {
    "GET": list_tags_for_resource,
    "POST": tag_resource,
    "DELETE": untag_resource,
}
OPERATIONS: dict[str, Operation] = {
    "submitjob": submit_job,
    "describejobs": describe_jobs,
    "listjobs": list_jobs,
    "describejobqueues": describe_job_queues,
    "describecomputeenvironments": describe_compute_environments,
    "describejobdefinitions": describe_job_definitions,
    "registerjobdefinition": register_job_definition,
    "deregisterjobdefinition": deregister_job_definition,
    "canceljob": cancel_job,
    "terminatejob": terminate_job,
    "createcomputeenvironment": create_compute_environment,
    "updatecomputeenvironment": update_compute_environment,
    "deletecomputeenvironment": delete_compute_environment,
    "createjobqueue": create_job_queue,
    "updatejobqueue": update_job_queue,
    "deletejobqueue": delete_job_queue,
    "createschedulingpolicy": create_scheduling_policy,
    "describeschedulingpolicies": describe_scheduling_policies,
    "listschedulingpolicies": list_scheduling_policies,
    "updateschedulingpolicy": update_scheduling_policy,
    "deleteschedulingpolicy": delete_scheduling_policy,
    "createconsumableresource": create_consumable_resource,
    "describeconsumableresource": describe_consumable_resource,
    "listconsumableresources": list_consumable_resources,
    "updateconsumableresource": update_consumable_resource,
    "deleteconsumableresource": delete_consumable_resource,
    "listjobsbyconsumableresource": list_jobs_by_consumable_resource,
}


@functools.cache
def model_actions() -> dict[str, str]:
    """Every action of the Batch API, by the path it is POSTed to (/v1/submitjob: SubmitJob),
    from botocore's model of the API."""
    model = botocore.session.get_session().get_service_model("batch")
    operations = (model.operation_model(name) for name in model.operation_names)
    return {
        operation.http["requestUri"].lower(): operation.name
        for operation in operations
        if operation.http["method"] == "POST" and "{" not in operation.http["requestUri"]
    }


def not_implemented(request: Request) -> ClientException:
    """AWS's answer shape for an action the stand-in does not serve, named as AWS names it."""
    action = model_actions().get(request.path.lower()) if request.method == "POST" else None
    if action:
        return ClientException(f"{action} is not implemented by the stand-in")
    return ClientException(
        f"{request.method} {request.path} is not an action of the Batch API the stand-in knows"
    )


def error_response(error: BatchError) -> Response:
    body = json.dumps({"__type": error.code, "message": error.message})
    return Response(
        body,
        status=error.status,
        content_type="application/json",
        headers={"x-amzn-ErrorType": error.code},
    )


def action_name(operation: Operation) -> str:
    """The IAM action of an operation: submit_job -> SubmitJob."""
    return "".join(part.title() for part in operation.__name__.split("_"))


def resources_of(backend: BatchBackend, operation: Operation, body: dict[str, Any]) -> list[str]:
    """The ARNs IAM checks an operation against: SubmitJob's job queue and job definition
    (with its revision), a tag operation's resource, "*" for the others."""
    if operation is submit_job:
        queue = backend.find_job_queue(body.get("jobQueue", ""))
        return [queue.arn, backend.find_job_definition(body.get("jobDefinition", "")).arn]
    return [body.get("resourceArn") or "*"]


class BatchApp:
    """WSGI app; `backend_for(region)` picks the backend of the region the caller signed for,
    and `authorize`, when given, decides whether the caller may do what it asks."""

    def __init__(
        self,
        backend_for: Callable[[str], BatchBackend],
        authorize: Authorizer | None = None,
        changed: Callable[[], None] = lambda: None,
    ) -> None:
        """`changed`: called after an operation that changed something, before its answer
        (the engine writes the stand-in's state to disk then)."""
        self._backend_for = backend_for
        self._authorize = authorize
        self._changed = changed

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        response = self.handle(request)
        return response(environ, start_response)

    def handle(self, request: Request) -> Response:
        path = request.path.strip("/").removeprefix("v1/")
        if path.startswith("tags/"):
            operation = TAG_OPERATIONS.get(request.method)
        else:
            operation = OPERATIONS.get(path.lower()) if request.method == "POST" else None
        if operation is None:
            return error_response(not_implemented(request))
        try:
            body = json.loads(request.get_data() or b"{}")
        except ValueError as error:
            return error_response(ClientException(f"the request body is not JSON: {error}"))
        if path.startswith("tags/"):
            body |= {
                "resourceArn": path.removeprefix("tags/"),
                "tagKeys": request.args.getlist("tagKeys"),
            }
        try:
            backend = self._backend_for(region_of(request))
            if self._authorize:
                self._authorize(
                    request.headers,
                    request.method,
                    request.path,
                    request.get_data(),
                    action_name(operation),
                    resources_of(backend, operation, body),
                )
            answer = json.dumps(operation(backend, body))
            if not action_name(operation).startswith(("Describe", "List")):
                self._changed()
            return Response(answer, content_type="application/json")
        except BatchError as error:
            return error_response(error)
        except Exception as error:  # a bug of the stand-in: AWS's shape for its own faults
            logger.exception("Batch stand-in: %s failed", request.path)
            return error_response(ServerException(f"Local Batch stand-in error: {error!r}"))


def region_of(request: Request) -> str:
    """The region the request was signed for (us-east-1 when it is not signed)."""
    scope = credential_scope(request.headers.get("Authorization", ""))
    return scope[0] if scope else REGION


def is_batch_request(environ: dict[str, Any]) -> bool:
    """True when a request is signed for the batch service (one edge endpoint for all)."""
    return signed_service(environ) == "batch"
