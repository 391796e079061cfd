"""The resources an engine's CloudFormation skipped, applied to the harness's stand-ins.

LocalStack's free edition deploys AWS::Batch::* and AWS::ECR::Repository "as fallback" (with
`unknown` for every Ref and GetAtt); the harness's edge serves both services itself. After
each deploy the stack's template is read back from the engine, those resources' properties
are resolved against the stack's deployed resources, and the stand-ins are brought to them
through their APIs, as CloudFormation would, with the requests of the one translation of
AWS::Batch::* (harness/batch/cloudformation.py) that the embedded engine uses in process:

- an ECR repository (the CDK bootstrap's, for image assets) is created when missing;
- compute environments and job queues are created, or updated when their state, priority,
  order, service role or compute resources changed;
- a job definition whose properties changed gets a new revision, and the previous one is
  deregistered (INACTIVE); jobs already submitted keep theirs;
- scheduling policies and consumable resources are created, or updated in place (a policy's
  fair-share policy, a resource's total); a change CloudFormation would replace them for is
  refused with what to do instead;
- a deleted stack's Batch resources are deleted from the stand-in as CloudFormation deletes
  them (the edge sees the DeleteStack: StackDeletion in edge.py); a Batch resource removed
  from the app by an update stays in the stand-in until `make local-down`
  (docs/localstack-and-compose.md says so).
"""

import logging
import re
from collections.abc import Callable, Iterator
from typing import Any

import yaml

from harness.batch import cloudformation as batch_cfn
from harness.batch.backend import BatchBackend
from harness.batch.errors import BatchError
from harness.client import aws
from harness.contracts import ACCOUNT_ID, REGION
from harness.errors import HarnessError

logger = logging.getLogger(__name__)

COMPUTE_ENVIRONMENT = "AWS::Batch::ComputeEnvironment"
JOB_QUEUE = "AWS::Batch::JobQueue"
JOB_DEFINITION = "AWS::Batch::JobDefinition"
SCHEDULING_POLICY = batch_cfn.SCHEDULING_POLICY
CONSUMABLE_RESOURCE = batch_cfn.CONSUMABLE_RESOURCE
REPOSITORY = "AWS::ECR::Repository"
ORDER = (
    REPOSITORY,
    SCHEDULING_POLICY,
    CONSUMABLE_RESOURCE,
    COMPUTE_ENVIRONMENT,
    JOB_QUEUE,
    JOB_DEFINITION,
)
NAME_PROPERTIES = {
    SCHEDULING_POLICY: "Name",
    CONSUMABLE_RESOURCE: "ConsumableResourceName",
    COMPUTE_ENVIRONMENT: "ComputeEnvironmentName",
    JOB_QUEUE: "JobQueueName",
    JOB_DEFINITION: "JobDefinitionName",
}
MAX_NAME = 128  # Batch's names
SKIPPED_TYPES = "the Batch and ECR resources the harness applies"
SUB_REFERENCE = re.compile(r"\$\{([^}!][^}]*)\}")


class TemplateError(HarnessError):
    pass


class Resolver:
    """Resolves a template's intrinsic functions against a deployed stack."""

    def __init__(
        self,
        template: dict[str, Any],
        physical_ids: dict[str, str],
        pseudo: dict[str, str],
        role_arn: Any,
    ) -> None:
        self.template = template
        self.physical_ids = physical_ids
        self.pseudo = pseudo
        self.role_arn = role_arn
        self.batch_arns: dict[str, str] = {}  # logical id -> the stand-in's ARN

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((function, argument),) = value.items()
            if function == "Ref":
                return self.ref(argument)
            if function == "Fn::GetAtt":
                logical, attribute = (
                    argument if isinstance(argument, list) else argument.split(".", 1)
                )
                return self.get_att(logical, attribute)
            if function == "Fn::Sub":
                return self.sub(argument)
            if function == "Fn::Join":
                separator, items = argument
                return separator.join(str(item) for item in self.resolve(items))
            if function == "Fn::If":
                name, if_true, if_false = argument
                return self.resolve(if_true if self.condition(name) else if_false)
            if function == "Fn::Select":
                index, items = argument
                return self.resolve(items)[int(self.resolve(index))]
            if function.startswith("Fn::"):
                raise TemplateError(f"{function} is not supported in {SKIPPED_TYPES}")
        return {key: self.resolve(item) for key, item in value.items()}

    def condition(self, name: str) -> bool:
        return self.evaluate(self.template.get("Conditions", {})[name])

    def evaluate(self, expression: Any) -> bool:
        """A condition: Fn::Equals, Fn::Not, Fn::And, Fn::Or, or {"Condition": name}."""
        ((function, argument),) = expression.items()
        if function == "Condition":
            return self.condition(argument)
        if function == "Fn::Equals":
            left, right = self.resolve(argument)
            return str(left) == str(right)
        if function == "Fn::Not":
            return not self.evaluate(argument[0])
        if function == "Fn::And":
            return all(self.evaluate(item) for item in argument)
        if function == "Fn::Or":
            return any(self.evaluate(item) for item in argument)
        raise TemplateError(f"condition {function} is not supported in {SKIPPED_TYPES}")

    def ref(self, name: str) -> str:
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.batch_arns:
            return self.batch_arns[name]
        if name in self.physical_ids:
            return self.physical_ids[name]
        raise TemplateError(f"Ref {name}: no such parameter or deployed resource")

    def get_att(self, logical: str, attribute: str) -> str:
        resource_type = self.template["Resources"].get(logical, {}).get("Type")
        if logical in self.batch_arns and attribute.endswith("Arn"):
            return self.batch_arns[logical]
        if resource_type == "AWS::IAM::Role" and attribute == "Arn":
            return str(self.role_arn(self.physical_ids[logical]))
        if resource_type == "AWS::EC2::SecurityGroup" and attribute == "GroupId":
            return self.physical_ids[logical]
        raise TemplateError(f"Fn::GetAtt {logical}.{attribute} ({resource_type}) is not supported")

    def sub(self, argument: Any) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else argument
        variables = {name: self.resolve(value) for name, value in variables.items()}

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in variables:
                return str(variables[name])
            if "." in name:
                return self.get_att(*name.split(".", 1))
            return self.ref(name)

        return SUB_REFERENCE.sub(replace, text)


class TemplateLoader(yaml.SafeLoader):
    """YAML templates with CloudFormation's short forms (!Ref, !Sub, !GetAtt a.b, ...)."""


def short_form(loader: TemplateLoader, tag: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if tag == "Ref":
        return {"Ref": value}
    if tag == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{tag}": value}


TemplateLoader.add_multi_constructor("!", short_form)


def parse_template(body: Any) -> dict[str, Any]:
    """A template as GetTemplate returns it: parsed JSON (boto3 does that), or YAML text."""
    return body if isinstance(body, dict) else yaml.load(body, Loader=TemplateLoader)


def apply(endpoint: str, stack: str) -> None:
    """Bring the stand-ins to the skipped resources of `stack` as deployed on the engine."""
    template, resolver = read_stack(endpoint, stack)
    clients = {service: aws.client(service, endpoint) for service in ("batch", "ecr")}
    for logical, resource_type, action in apply_resources(template, resolver, clients, stack):
        logger.info(f"  {resource_type} {logical}: {action}")


def read_stack(endpoint: str, stack: str) -> tuple[dict[str, Any], Resolver]:
    """The stack's template as deployed, and a resolver of its references."""
    cloudformation = aws.client("cloudformation", endpoint)
    template = parse_template(cloudformation.get_template(StackName=stack)["TemplateBody"])
    pages = cloudformation.get_paginator("list_stack_resources").paginate(StackName=stack)
    physical_ids = {
        summary["LogicalResourceId"]: summary.get("PhysicalResourceId", "")
        for page in pages
        for summary in page["StackResourceSummaries"]
    }
    (description,) = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    parameters = {
        p["ParameterKey"]: p.get("ResolvedValue", p.get("ParameterValue", ""))
        for p in description.get("Parameters", [])
    }
    iam = aws.client("iam", endpoint)
    resolver = Resolver(
        template,
        physical_ids,
        {
            **parameters,
            "AWS::AccountId": ACCOUNT_ID,
            "AWS::Region": REGION,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": description["StackName"],  # `stack` may be its id
            "AWS::StackId": description["StackId"],
        },
        lambda role: iam.get_role(RoleName=role)["Role"]["Arn"],
    )
    return template, resolver


def physical_name(stack: str | None, logical: str) -> str:
    """The name of a resource the template does not name: like CloudFormation's, the stack's
    and the logical id (without its random part, so that every deploy finds it again)."""
    return f"{stack}-{logical}"[:MAX_NAME] if stack else logical


def apply_resources(
    template: dict[str, Any],
    resolver: Resolver,
    clients: dict[str, Any],
    stack: str | None = None,
) -> Iterator[tuple[str, str, str]]:
    """Apply the template's skipped resources in dependency order; yields (logical id,
    type, what was done) for each."""
    for resource_type in ORDER:
        service, applier = APPLIERS[resource_type]
        for logical, resource in template["Resources"].items():
            if resource["Type"] == resource_type:
                properties = resolved_properties(resolver, resource)
                name = logical if resource_type == REPOSITORY else physical_name(stack, logical)
                arn, action = applier(clients[service], name, properties)
                resolver.batch_arns[logical] = arn
                yield logical, resource_type, action


def batch_resources(
    template: dict[str, Any], resolver: Resolver, stack: str
) -> list[tuple[str, str]]:
    """(type, name) of the template's Batch resources, in the order they are created."""
    return [
        (resource_type, name_of(resource_type, resolver, resource, physical_name(stack, logical)))
        for resource_type in ORDER
        if resource_type != REPOSITORY
        for logical, resource in template["Resources"].items()
        if resource["Type"] == resource_type
    ]


def name_of(resource_type: str, resolver: Resolver, resource: dict[str, Any], default: str) -> str:
    given = resource.get("Properties", {}).get(NAME_PROPERTIES[resource_type])
    return str(resolver.resolve(given)) if given else default


def delete_batch_resources(backend: BatchBackend, resources: list[tuple[str, str]]) -> None:
    """As CloudFormation deletes a stack's Batch resources, in the reverse of their order: a
    job definition's revisions deregistered, a queue and then an environment disabled and
    deleted. What cannot go (a resource another stack uses) is logged and left."""
    for resource_type, name in reversed(resources):
        if resource_type == JOB_DEFINITION:
            active = backend.describe_job_definitions(name=name, status="ACTIVE")
            requests = [batch_cfn.deregister_job_definition(d.arn) for d in active]
        elif resource_type == JOB_QUEUE:
            requests = batch_cfn.delete_job_queue(name)
        elif resource_type == SCHEDULING_POLICY:
            policy = existing_scheduling_policy(backend.list_scheduling_policies(), name)
            requests = [batch_cfn.delete_scheduling_policy(policy.arn)] if policy else []
        elif resource_type == CONSUMABLE_RESOURCE:
            requests = [batch_cfn.delete_consumable_resource(name)]
        else:
            requests = batch_cfn.delete_compute_environment(name)
        try:
            for request in requests:
                batch_cfn.call(backend, request)
        except BatchError as error:
            logger.warning(f"  {resource_type} {name}: not deleted: {error.message}")
            continue
        logger.info(f"  {resource_type} {name}: deleted")


def resolved_properties(resolver: Resolver, resource: dict[str, Any]) -> dict[str, Any]:
    properties = resource.get("Properties", {})
    if resource["Type"] == REPOSITORY:  # only its name matters to the stand-in
        return {"RepositoryName": resolver.resolve(properties.get("RepositoryName"))}
    return resolver.resolve(properties)


def apply_repository(ecr: Any, logical: str, properties: dict[str, Any]) -> tuple[str, str]:
    name = properties.get("RepositoryName", logical.lower())
    try:
        (existing,) = ecr.describe_repositories(repositoryNames=[name])["repositories"]
        return existing["repositoryArn"], "unchanged"
    except ecr.exceptions.RepositoryNotFoundException:
        created = ecr.create_repository(repositoryName=name)["repository"]
        return created["repositoryArn"], "created"


def send(client: Any, request: batch_cfn.Request) -> dict[str, Any]:
    """A request of the translation (CreateJobQueue, {...}) made with boto3's client."""
    operation, body = request
    method = "".join(f"_{c.lower()}" if c.isupper() else c for c in operation).lstrip("_")
    return dict(getattr(client, method)(**body))


def apply_compute_environment(
    batch: Any, logical: str, properties: dict[str, Any]
) -> tuple[str, str]:
    create = batch_cfn.create_compute_environment(logical, properties)
    name = create[1]["computeEnvironmentName"]
    found = batch.describe_compute_environments(computeEnvironments=[name])
    return created_or_updated(
        batch,
        create,
        found["computeEnvironments"],
        lambda: batch_cfn.update_compute_environment(name, properties),
        "computeEnvironmentArn",
        ("state", "computeResources", "serviceRole"),
    )


def apply_job_queue(batch: Any, logical: str, properties: dict[str, Any]) -> tuple[str, str]:
    create = batch_cfn.create_job_queue(logical, properties)
    name = create[1]["jobQueueName"]
    return created_or_updated(
        batch,
        create,
        batch.describe_job_queues(jobQueues=[name])["jobQueues"],
        lambda: batch_cfn.update_job_queue(name, properties),
        "jobQueueArn",
        ("state", "priority", "computeEnvironmentOrder"),
    )


def created_or_updated(
    batch: Any,
    create: batch_cfn.Request,
    found: list[dict[str, Any]],
    update_request: Callable[[], batch_cfn.Request],
    arn_key: str,
    compared: tuple[str, ...],
) -> tuple[str, str]:
    """`create` when nothing was found; else the update, made only then (translating the
    properties again would repeat its warnings), when a `compared` field differs."""
    if not found:
        return send(batch, create)[arn_key], "created"
    (existing,) = found
    update = update_request()
    if contains(existing, {key: update[1][key] for key in compared if key in update[1]}):
        return existing[arn_key], "unchanged"
    send(batch, update)
    return existing[arn_key], "updated"


def apply_job_definition(batch: Any, logical: str, properties: dict[str, Any]) -> tuple[str, str]:
    register = batch_cfn.register_job_definition(logical, properties)
    name = register[1]["jobDefinitionName"]
    wanted = {key: value for key, value in register[1].items() if key != "jobDefinitionName"}
    active = batch.describe_job_definitions(jobDefinitionName=name, status="ACTIVE")[
        "jobDefinitions"
    ]
    latest = max(active, key=lambda definition: definition["revision"], default=None)
    if latest is not None and contains(latest, wanted):
        return latest["jobDefinitionArn"], "unchanged"
    registered = send(batch, register)
    for previous in active:
        send(batch, batch_cfn.deregister_job_definition(previous["jobDefinitionArn"]))
    revision = registered["revision"]
    return registered["jobDefinitionArn"], f"revision {revision} registered"


def apply_scheduling_policy(
    batch: Any, logical: str, properties: dict[str, Any]
) -> tuple[str, str]:
    pages = batch.get_paginator("list_scheduling_policies").paginate()
    arns = [entry["arn"] for page in pages for entry in page["schedulingPolicies"]]
    described = batch.describe_scheduling_policies(arns=arns)["schedulingPolicies"] if arns else []

    def found(name: str) -> dict[str, Any] | None:
        return next((policy for policy in described if policy["name"] == name), None)

    return applied_in_place(batch, batch_cfn.SCHEDULING_POLICIES, found, logical, properties)


def existing_scheduling_policy(policies: list[Any], name: str) -> Any | None:
    return next((policy for policy in policies if policy.name == name), None)


def apply_consumable_resource(
    batch: Any, logical: str, properties: dict[str, Any]
) -> tuple[str, str]:
    def found(name: str) -> dict[str, Any] | None:
        try:
            return dict(batch.describe_consumable_resource(consumableResource=name))
        except batch.exceptions.ClientException:
            return None

    return applied_in_place(batch, batch_cfn.CONSUMABLE_RESOURCES, found, logical, properties)


def applied_in_place(
    batch: Any,
    translation: batch_cfn.UpdatedInPlace,
    found: Callable[[str], dict[str, Any] | None],
    logical: str,
    properties: dict[str, Any],
) -> tuple[str, str]:
    """Create the resource, or update it when the template's body differs from it as
    described; a change CloudFormation would replace it for is refused (TemplateError)."""
    create = translation.create(logical, properties)
    name = create[1][translation.name_key]
    existing = found(name)
    if existing is None:
        return send(batch, create)[translation.arn_key], "created"
    arn = existing[translation.arn_key]
    if contains(existing, create[1]):
        return arn, "unchanged"
    try:
        update, _ = translation.changed(arn, existing, name, properties)
    except batch_cfn.ReplacementRefused as refused:
        raise TemplateError(f"{translation.resource_type} {name}: {refused.message}") from refused
    send(batch, update)
    return arn, "updated"


def contains(actual: Any, wanted: Any) -> bool:
    """True when `actual` holds everything `wanted` says (extra keys in `actual` are the
    service's defaults, not differences)."""
    if isinstance(wanted, dict):
        return isinstance(actual, dict) and all(
            contains(actual.get(key), value) for key, value in wanted.items()
        )
    if isinstance(wanted, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(wanted)
            and all(contains(a, w) for a, w in zip(actual, wanted, strict=True))
        )
    return actual == wanted or str(actual) == str(wanted)


# type -> (the client it needs, how it is applied)
APPLIERS: dict[str, tuple[str, Callable[[Any, str, dict[str, Any]], tuple[str, str]]]] = {
    REPOSITORY: ("ecr", apply_repository),
    SCHEDULING_POLICY: ("batch", apply_scheduling_policy),
    CONSUMABLE_RESOURCE: ("batch", apply_consumable_resource),
    COMPUTE_ENVIRONMENT: ("batch", apply_compute_environment),
    JOB_QUEUE: ("batch", apply_job_queue),
    JOB_DEFINITION: ("batch", apply_job_definition),
}
