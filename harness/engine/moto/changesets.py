"""CloudFormation change sets on the embedded engine, as the AWS API and the CDK CLI use them.

What moto does differently, and what this module does instead:
- moto looks a change set up by name across every stack of the region; here a name is looked
  up within the stack given (each stack the CDK deploys has a `cdk-deploy-change-set`);
- moto answers a missing change set with ValidationError "Stack with id ... does not exist";
  AWS answers ChangeSetNotFound (HTTP 404), which is what the CDK CLI waits for after deleting
  its previous change set before every update. That difference made every redeploy fail;
- executing applies the template with CloudFormation's update semantics (template_update),
  with an event per resource, and when a resource fails, rolls the stack back to its previous
  template: UPDATE_ROLLBACK_COMPLETE (ROLLBACK_COMPLETE for a first deploy), the failed
  resource and its reason in the stack's events, the previous deployment still in place;
- after an execution the stack's other change sets are removed, as in AWS;
- deleting a stack deletes its resources dependents first, as far as moto's models can
  (moto's own delete gives up on the first dependency it cannot resolve, and then loses the
  stack); what the engine cannot delete stays behind as an inert record, with a
  DELETE_FAILED event and a warning in the engine log;
- a parameter passed with UsePreviousValue keeps its previous input (moto substitutes the
  previous resolved value: for the CDK's SSM-typed BootstrapVersion, the parameter's value
  instead of its name, which then cannot be resolved, and which also made every unchanged
  redeploy look like a change).
"""

import copy
import logging
from typing import Any

from harness.engine.moto import internals
from harness.engine.moto.template_update import (
    STACK_TYPE,
    ResourceFailed,
    apply_template,
    delete_all,
)

logger = logging.getLogger("harness.engine")

CFN = "moto.cloudformation"
_CloudFormationError: type[Exception] = internals.get(f"{CFN}.exceptions", "CloudFormationError")


_create_change_set: Any = None  # moto's, kept by install() while the replacement is in place


class ChangeSetNotFound(_CloudFormationError):  # type: ignore[misc, valid-type]
    code = "ChangeSetNotFoundException"

    def __init__(self, name: str) -> None:
        super().__init__(f"ChangeSet [{name}] does not exist")


class InvalidChangeSetStatus(_CloudFormationError):  # type: ignore[misc, valid-type]
    code = "InvalidChangeSetStatusException"


def find(backend: Any, name_or_arn: str, stack_name_or_id: str | None) -> Any:
    """A change set by ARN, or by name within the stack named (by name or id)."""
    change_set = backend.change_sets.get(name_or_arn)
    if change_set is not None:
        return change_set
    for change_set in backend.change_sets.values():
        in_stack = stack_name_or_id in (None, change_set.stack_name, change_set.stack_id)
        if change_set.change_set_name == name_or_arn and in_stack:
            return change_set
    raise ChangeSetNotFound(name_or_arn)


def create_change_set(
    backend: Any, stack_name: str, parameters: dict[str, str], **kwargs: Any
) -> Any:
    """moto's create, with UsePreviousValue parameters given back their previous input."""
    if kwargs.get("change_set_type") == "UPDATE":
        stack = next((s for s in backend.stacks.values() if s.name == stack_name), None)
        if stack is not None:
            parameters = previous_inputs_restored(stack, parameters)
    return _create_change_set(backend, stack_name=stack_name, parameters=parameters, **kwargs)


def previous_inputs_restored(stack: Any, parameters: dict[str, str]) -> dict[str, str]:
    """A value equal to the previous resolved value but not to the previous input is what moto
    made of UsePreviousValue: use the previous input again (or the default, if there was none)."""
    resolved = stack.stack_parameters
    restored = {}
    for key, value in parameters.items():
        previous_input = stack.parameters.get(key)
        if key in resolved and resolved[key] == value and previous_input != value:
            if previous_input is not None:
                restored[key] = previous_input
        else:
            restored[key] = value
    return restored


def describe_change_set(response: Any) -> Any:
    change_set = find(
        response.cloudformation_backend,
        response._get_param("ChangeSetName"),
        response._get_param("StackName"),
    )
    return internals.get("moto.core.responses", "ActionResult")(change_set)


def delete_change_set(response: Any) -> Any:
    """Deleting a change set that is not there is not an error (the CDK CLI relies on it)."""
    backend = response.cloudformation_backend
    try:
        change_set = find(
            backend, response._get_param("ChangeSetName"), response._get_param("StackName")
        )
    except ChangeSetNotFound:
        pass
    else:
        del backend.change_sets[change_set.change_set_id]
    return internals.get("moto.core.responses", "EmptyResult")()


def execute_change_set(backend: Any, change_set_name: str, stack_name: str | None = None) -> None:
    change_set = find(backend, change_set_name, stack_name)
    if change_set.execution_status != "AVAILABLE":
        raise InvalidChangeSetStatus(
            f"ChangeSet [{change_set.change_set_id}] cannot be executed in its current status "
            f"of [{change_set.status}]"
        )
    stack = backend.stacks[change_set.stack_id]
    creating = change_set.change_set_type == "CREATE"
    verb = "CREATE" if creating else "UPDATE"
    previous_template = {"Resources": {}} if creating else copy.deepcopy(stack.template_dict)
    previous_parameters = dict(stack.parameters)
    change_set.execution_status = "EXECUTE_IN_PROGRESS"
    _set_status(stack, f"{verb}_IN_PROGRESS", "User Initiated")
    try:
        apply_template(stack, copy.deepcopy(change_set.template_dict), change_set.parameters)
    except Exception as error:
        if not isinstance(error, ResourceFailed):  # a fault of the engine, not of the template
            logger.exception("stack %s: executing %s failed", stack.name, change_set_name)
            error = ResourceFailed(stack.name, STACK_TYPE, f"{verb}_FAILED", repr(error))
        change_set.execution_status = "EXECUTE_FAILED"
        _roll_back(stack, previous_template, previous_parameters, error, creating)
        return
    internals.set_stack_template(stack, change_set.template, change_set.parameters)
    _set_status(stack, f"{verb}_COMPLETE")
    change_set.execution_status = "EXECUTE_COMPLETE"
    for other in [cs for cs in backend.change_sets.values() if cs.stack_id == stack.stack_id]:
        if other is not change_set:
            del backend.change_sets[other.change_set_id]


def delete_stack(stack: Any) -> None:
    _set_status(stack, "DELETE_IN_PROGRESS", "User Initiated")
    delete_all(stack)
    _set_status(stack, "DELETE_COMPLETE")


def _roll_back(
    stack: Any,
    template: dict[str, Any],
    parameters: dict[str, Any],
    failure: ResourceFailed,
    creating: bool,
) -> None:
    """Back to the previous template (to no resources after a failed first deploy)."""
    prefix = "" if creating else "UPDATE_"
    verb = "create" if creating else "update"
    _set_status(
        stack,
        f"{prefix}ROLLBACK_IN_PROGRESS",
        f"The following resource(s) failed to {verb}: [{failure.logical_id}]. "
        f"{failure.resource_type}: {failure.reason}",
    )
    try:
        apply_template(stack, template, parameters, failure.applied)
    except ResourceFailed as second:
        logger.error("stack %s: rollback failed: %s", stack.name, second)
        _set_status(stack, f"{prefix}ROLLBACK_FAILED", str(second))
        return
    _set_status(stack, f"{prefix}ROLLBACK_COMPLETE")


def _set_status(stack: Any, status: str, reason: str | None = None) -> None:
    stack.status = status
    internals.add_stack_event(stack, status, reason)


def install(replacements: internals.Replacements) -> None:
    global _create_change_set
    _create_change_set = replacements.replace(
        f"{CFN}.models", "CloudFormationBackend.create_change_set", create_change_set
    )
    replacements.replace(
        f"{CFN}.responses", "CloudFormationResponse.describe_change_set", describe_change_set
    )
    replacements.replace(
        f"{CFN}.responses", "CloudFormationResponse.delete_change_set", delete_change_set
    )
    replacements.replace(
        f"{CFN}.models", "CloudFormationBackend.execute_change_set", execute_change_set
    )
    replacements.replace(f"{CFN}.models", "Stack.delete", delete_stack)
