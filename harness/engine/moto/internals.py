"""The one place the harness reaches into moto's internals, and the check that they still fit.

moto has no public API for what the embedded engine changes (CloudFormation change sets and
resource models, how S3 invokes Lambda, the host its Lambda containers call). Every module
function, method and attribute the harness relies on is named in RELIED_ON, and `check()`
verifies, before the engine serves anything, that each exists and takes the parameters the
harness passes. After a moto upgrade that moves one of them, the engine refuses to start with
the moto version and the missing name, instead of failing deep inside a deploy; the unit
tests run the same check and exercise the instance-level helpers below against the pinned
moto in-process.

Other harness modules never import a private moto name: they use this module's functions.
"""

import importlib
import inspect
from dataclasses import dataclass
from importlib.metadata import version
from typing import Any

from harness.engine.base import EngineError

MOTO_VERSION = version("moto")


class MotoInternalsChanged(EngineError):
    """The installed moto lacks something the harness relies on (usually after an upgrade)."""


@dataclass(frozen=True)
class Internal:
    """`module`'s attribute at dotted `path`; a callable must accept `parameters` by name."""

    module: str
    path: str
    parameters: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return f"{self.module}.{self.path}"

    def resolve(self) -> Any:
        target: Any = importlib.import_module(self.module)
        for part in self.path.split("."):
            target = getattr(target, part)
        return target

    def problem(self) -> str | None:
        """What does not fit, or None."""
        try:
            target = self.resolve()
        except (ImportError, AttributeError):
            return f"{self.name} does not exist"
        if not self.parameters:
            return None
        try:
            accepted = inspect.signature(target).parameters
        except (TypeError, ValueError):
            return f"{self.name} is not callable"
        missing = [name for name in self.parameters if name not in accepted]
        if missing:
            return f"{self.name} no longer takes {', '.join(missing)}"
        return None


CFN = "moto.cloudformation"
RELIED_ON: tuple[Internal, ...] = (
    # Replaced: template URLs on 127.0.0.1 (moto reads only 'localhost' ones). The function
    # is bound into two more modules by `from .utils import`.
    Internal(f"{CFN}.utils", "get_stack_from_s3_url", ("template_url", "account_id", "partition")),
    Internal(f"{CFN}.responses", "get_stack_from_s3_url"),
    Internal(f"{CFN}.models", "get_stack_from_s3_url"),
    # Replaced: S3 invokes Lambda asynchronously, with retries.
    Internal(
        "moto.s3.notifications",
        "_invoke_awslambda",
        ("account_id", "event_body", "fn_arn", "region_name"),
    ),
    Internal("moto.awslambda.utils", "get_backend", ("account_id", "region")),
    Internal(
        "moto.awslambda.models",
        "LambdaFunction.invoke",
        ("body", "request_headers", "response_headers"),
    ),
    # Replaced by a subclass that names each engine's code volumes apart (code_volumes.py);
    # the volume's name is the function's `code_digest`, which the unit test checks.
    Internal("moto.awslambda.models", "_DockerDataVolumeContext", ("lambda_func",)),
    # Replaced: the address moto gives Lambda containers for the engine.
    Internal("moto.settings", "moto_server_host"),
    # moto's WSGI apps, served by the edges (apps.py).
    Internal("moto.moto_server.werkzeug_app", "DomainDispatcherApplication", ("create_app",)),
    Internal("moto.moto_server.werkzeug_app", "create_backend_app", ("service",)),
    # Resource models: looked up by type at parse time.
    Internal(f"{CFN}.parsing", "resource_class_from_type", ("resource_type",)),
    Internal(f"{CFN}.parsing", "get_model_map"),
    Internal(f"{CFN}.parsing", "clean_json", ("resource_json", "resources_map")),
    Internal(
        f"{CFN}.parsing",
        "parse_and_update_resource",
        ("logical_id", "resource_json", "resources_map", "account_id", "region_name"),
    ),
    Internal(f"{CFN}.parsing", "ResourceMap.load_mapping"),
    Internal(f"{CFN}.parsing", "ResourceMap.load_parameters"),
    Internal(f"{CFN}.parsing", "ResourceMap.load_conditions"),
    Internal(
        f"{CFN}.parsing", "ResourceMap._delete_resource", ("parsed_resource", "resource_json")
    ),
    # Change sets: replaced lookups (per stack, ChangeSetNotFound) and execution.
    Internal(
        f"{CFN}.models",
        "CloudFormationBackend.create_change_set",
        ("stack_name", "change_set_name", "template", "parameters", "change_set_type"),
    ),
    Internal(f"{CFN}.models", "Stack.stack_parameters"),
    Internal(
        f"{CFN}.models",
        "CloudFormationBackend.execute_change_set",
        ("change_set_name", "stack_name"),
    ),
    Internal(f"{CFN}.responses", "CloudFormationResponse.describe_change_set"),
    Internal(f"{CFN}.responses", "CloudFormationResponse.delete_change_set"),
    Internal(f"{CFN}.responses", "CloudFormationResponse._get_param", ("param_name",)),
    Internal(f"{CFN}.models", "Stack.delete"),
    Internal(f"{CFN}.models", "Stack._parse_template"),
    Internal(f"{CFN}.models", "Stack._create_output_map"),
    Internal(
        f"{CFN}.models",
        "Event",
        (
            "stack_id",
            "stack_name",
            "logical_resource_id",
            "physical_resource_id",
            "resource_type",
            "resource_status",
            "resource_status_reason",
            "resource_properties",
        ),
    ),
    Internal(f"{CFN}.exceptions", "CloudFormationError"),
    Internal("moto.core.responses", "ActionResult"),
    Internal("moto.core.responses", "EmptyResult"),
    Internal("moto.utilities.utils", "get_partition", ("region",)),
    # S3 buckets created by CloudFormation, with the notification configuration moto skips.
    Internal("moto.s3.models", "s3_backends"),
    Internal("moto.s3.models", "FakeBucket"),
    Internal(
        "moto.s3.models",
        "FakeBucket.create_from_cloudformation_json",
        ("resource_name", "cloudformation_json", "account_id", "region_name"),
    ),
    Internal(
        "moto.s3.models",
        "FakeBucket.update_from_cloudformation_json",
        (
            "original_resource",
            "new_resource_name",
            "cloudformation_json",
            "account_id",
            "region_name",
        ),
    ),
    Internal(
        "moto.s3.models", "FakeBucket.set_notification_configuration", ("notification_config",)
    ),
    Internal("moto.core.common_models", "CloudFormationModel"),
    # Network resources moto's CloudFormation creates but does not delete with their stack.
    Internal("moto.ec2.models", "ec2_backends"),
    Internal("moto.ec2.models.route_tables", "RouteTable"),
    Internal(
        "moto.ec2.models.route_tables", "RouteBackend.delete_route_table", ("route_table_id",)
    ),
    Internal("moto.ec2.models.vpcs", "VPCEndPoint"),
    Internal("moto.ec2.models.vpcs", "VPCBackend.delete_vpc_endpoints", ("vpce_ids",)),
    Internal("moto.ec2.models.internet_gateways", "InternetGateway"),
    Internal(
        "moto.ec2.models.internet_gateways",
        "InternetGatewayBackend.delete_internet_gateway",
        ("internet_gateway_id",),
    ),
    Internal(
        "moto.ec2.models.internet_gateways",
        "InternetGatewayBackend.detach_internet_gateway",
        ("internet_gateway_id", "vpc_id"),
    ),
    Internal(
        "moto.ec2.models.internet_gateways",
        "InternetGatewayBackend.describe_internet_gateways",
        ("filters",),
    ),
    Internal("moto.ec2.models.vpn_gateway", "VPCGatewayAttachment"),
    # IAM enforcement (iam.py): moto's authorization, switched on and routed through the
    # harness; its policy check for the Batch stand-in; its error shapes.
    Internal("moto.settings", "INITIAL_NO_AUTH_ACTION_COUNT"),
    Internal(
        "moto.core.authorization",
        "ActionAuthenticatorMixin._authenticate_and_authorize_action",
        ("iam_request_cls", "resource"),
    ),
    Internal(
        "moto.iam.access_control",
        "IAMRequest",
        ("account_id", "method", "path", "data", "body", "headers", "action"),
    ),
    Internal("moto.iam.access_control", "IAMRequest.check_action_permitted", ("resource",)),
    Internal("moto.core.exceptions", "AccessDeniedError"),
    Internal("moto.core.exceptions", "JsonRESTError", ("error_type", "message")),
    # Replaced: DynamoDB's value conversion and sorts, same order at less cost
    # (dynamodb_order.py), which also reads each Table's `items`, `range_key_attr` and each
    # Item's `hash_key`, `range_key` and `attrs`.
    Internal("moto.dynamodb.models.dynamo_type", "DynamoType.cast_value"),
    Internal("moto.dynamodb.models.table", "Table.all_items"),
    Internal(
        "moto.dynamodb.models.table",
        "Table.sorted_items",
        ("hash_key_attrs", "range_key_attrs", "items"),
    ),
    Internal(
        "moto.dynamodb.models.table",
        "Table._generate_attr_to_sort_by",
        ("hash_key_attrs", "range_key_attrs"),
    ),
    # Persistence (snapshot.py): every service's backends live in one BackendDict per
    # service (account -> region -> backend), each a dict moto fills on first use and then
    # lists in _instances; each has its `backend` class and `service_name`.
    Internal("moto.core.base_backend", "BackendDict"),
    Internal("moto.core.base_backend", "BackendDict._instances"),
    # A Lambda function is a DockerModel, whose pickled state leaves its Docker client out.
    Internal("moto.utilities.docker_utilities", "DockerModel"),
)

_BY_NAME = {internal.name: internal for internal in RELIED_ON}


def check(internals: tuple[Internal, ...] = RELIED_ON) -> None:
    """Raise MotoInternalsChanged naming every internal that is missing or changed shape."""
    problems = [problem for internal in internals if (problem := internal.problem())]
    if problems:
        listed = "\n  - ".join(problems)
        raise MotoInternalsChanged(
            f"moto {MOTO_VERSION} does not have what the local engine relies on:\n  - {listed}\n"
            "Install the moto version pinned in constraints.txt (`make setup`), or adapt "
            "harness/engine/moto/internals.py to this one."
        )


def get(module: str, path: str) -> Any:
    """A relied-on internal; raises KeyError for one not listed in RELIED_ON."""
    return _BY_NAME[f"{module}.{path}"].resolve()


def replace(module: str, path: str, replacement: Any) -> Any:
    """Set a relied-on module function or class attribute to `replacement`; return the original."""
    internal = _BY_NAME[f"{module}.{path}"]
    original = internal.resolve()
    owner_path, _, attribute = internal.path.rpartition(".")
    owner: Any = importlib.import_module(module)
    for part in filter(None, owner_path.split(".")):
        owner = getattr(owner, part)
    setattr(owner, attribute, replacement)
    return original


# -- instance state the harness reads and writes (tests/unit/harness/engine/moto/test_engine.py)


class Replacements:
    """Relied-on internals replaced through one object, which records each original so that
    `undo()` puts every one back (the engine keeps them for its life; tests undo them)."""

    def __init__(self) -> None:
        self._originals: list[tuple[str, str, Any]] = []
        self._mappings: list[tuple[dict[Any, Any], dict[Any, Any]]] = []

    def replace(self, module: str, path: str, replacement: Any) -> Any:
        """As `replace`, recorded; returns the original."""
        original = replace(module, path, replacement)
        self._originals.append((module, path, original))
        return original

    def update(self, mapping: dict[Any, Any], entries: dict[Any, Any]) -> None:
        """`mapping.update(entries)`, recorded (a dict moto caches and consults)."""
        self._mappings.append((mapping, {key: mapping.get(key, _ABSENT) for key in entries}))
        mapping.update(entries)

    def undo(self) -> None:
        for module, path, original in reversed(self._originals):
            replace(module, path, original)
        for mapping, before in reversed(self._mappings):
            for key, value in before.items():
                if value is _ABSENT:
                    mapping.pop(key, None)
                else:
                    mapping[key] = value
        self._originals.clear()
        self._mappings.clear()


_ABSENT = object()


def resource_templates(resource_map: Any) -> dict[str, Any]:
    """Logical id -> the resource's template entry, for the template the map was built from."""
    return resource_map._resource_json_map


def created_resources(resource_map: Any) -> dict[str, Any]:
    """Logical id -> the model moto created (also holds parameters and pseudo parameters)."""
    return resource_map._parsed_resources


def use_template(resource_map: Any, template: dict[str, Any], parameters: dict[str, Any]) -> None:
    """Point the map at a new template: its mappings, parameters and conditions; no resources."""
    resource_map._template = template
    resource_map._resource_json_map = template.get("Resources", {})
    resource_map.input_parameters = parameters
    resource_map.load_mapping()
    resource_map.load_parameters()
    resource_map.load_conditions()


def delete_resource(resource_map: Any, logical_id: str, body: dict[str, Any]) -> None:
    resource_map._delete_resource(resource_map._parsed_resources[logical_id], body)
    del resource_map._parsed_resources[logical_id]


def set_stack_template(stack: Any, template_body: str, parameters: dict[str, Any]) -> None:
    """The stack's template, parameters and outputs after a successful change."""
    stack.template = template_body
    stack._parse_template()
    stack.parameters = parameters
    stack.description = stack.template_dict.get("Description")
    stack.output_map = stack._create_output_map()


def add_stack_event(
    stack: Any,
    status: str,
    reason: str | None = None,
    logical_id: str | None = None,
    resource_type: str = "AWS::CloudFormation::Stack",
    physical_id: str | None = None,
) -> None:
    """A stack event; without `logical_id`, one about the stack itself."""
    event = get(f"{CFN}.models", "Event")(
        stack_id=stack.stack_id,
        stack_name=stack.name,
        logical_resource_id=logical_id or stack.name,
        physical_resource_id=physical_id or (stack.stack_id if logical_id is None else ""),
        resource_type=resource_type,
        resource_status=status,
        resource_status_reason=reason,
        resource_properties=None,
    )
    stack.events.append(event)
