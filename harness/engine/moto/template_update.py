"""Move a stack's resources from its template to a new one, as CloudFormation's update does.

New resources are created, existing ones updated when their properties differ once every Ref
and Fn::GetAtt is resolved, and removed ones deleted last (CloudFormation's cleanup phase).
Comparing resolved properties is what makes a change travel: a changed job definition gets a
new revision, so its ARN changes, so the function whose environment names that ARN, and the
policy that grants it, are updated too, although their own template text did not change.
moto's own update compares template text only and would leave them pointing at the old one.

Each step adds a stack event (the CDK CLI prints them); the first resource that fails raises
ResourceFailed with CloudFormation's event status, so the caller can roll back.
"""

import json
import logging
import re
from collections.abc import Iterator
from typing import Any

from harness.engine.moto import internals

logger = logging.getLogger("harness.engine")

_UNRESOLVED = object()
PROVIDES_UPDATE = "update_from_cloudformation_json"
STACK_TYPE = "AWS::CloudFormation::Stack"


class ResourceFailed(Exception):
    def __init__(self, logical_id: str, resource_type: str, status: str, reason: str) -> None:
        super().__init__(f"{logical_id} ({resource_type}) {status}: {reason}")
        self.logical_id = logical_id
        self.resource_type = resource_type
        self.reason = reason
        # The template entry each resource reflects after the failure (set by apply_template).
        self.applied: dict[str, Any] | None = None


def apply_template(
    stack: Any,
    template: dict[str, Any],
    parameters: dict[str, Any],
    applied: dict[str, Any] | None = None,
) -> None:
    """Create, update and delete `stack`'s resources so that they match `template`.

    `applied` is the template entry each resource was last applied from: by default the
    stack's template; a rollback passes what the failed apply left (ResourceFailed.applied),
    so that only what really changed is changed back."""
    resource_map = stack.resource_map
    applied = dict(internals.resource_templates(resource_map) if applied is None else applied)
    created = internals.created_resources(resource_map)
    before = {
        name: _resolved(resource_map, body)
        for name, body in applied.items()
        if created.get(name) is not None
    }
    try:
        try:
            internals.use_template(resource_map, template, parameters)
        except Exception as error:  # parameters, mappings or conditions moto cannot resolve
            raise _failed(stack, stack.name, STACK_TYPE, "UPDATE_FAILED", error) from error
        new_bodies = internals.resource_templates(resource_map)
        for name in _in_dependency_order(new_bodies):
            if name not in applied:
                _create(stack, name, new_bodies[name])
                applied[name] = new_bodies[name]
        _update_changed(stack, before, applied, new_bodies)
    except ResourceFailed as failure:
        failure.applied = applied
        raise
    _delete_removed(stack, {n: b for n, b in applied.items() if n not in new_bodies})


def delete_all(stack: Any) -> None:
    """Delete every resource of the stack (DeleteStack); failures are reported, not raised."""
    _delete_removed(stack, dict(internals.resource_templates(stack.resource_map)))


def _create(stack: Any, name: str, body: dict[str, Any]) -> None:
    resource_type = body["Type"]
    _event(stack, name, resource_type, "CREATE_IN_PROGRESS")
    try:
        resource = stack.resource_map[name]  # moto creates a resource on first access
    except Exception as error:
        raise _failed(stack, name, resource_type, "CREATE_FAILED", error) from error
    if resource is None:
        if "Condition" in body:
            reason = f"not created: condition {body['Condition']} is false"
        else:
            reason = f"not created: the local engine has no model for {resource_type}"
            logger.warning("stack %s: %s %s", stack.name, name, reason)
        _event(stack, name, resource_type, "CREATE_COMPLETE", reason)
        return
    _event(stack, name, resource_type, "CREATE_COMPLETE", physical_id=_physical_id(resource))


def _update_changed(
    stack: Any,
    before: dict[str, Any],
    applied: dict[str, Any],
    new_bodies: dict[str, Any],
) -> None:
    """Update each kept resource whose resolved properties changed, until none does."""
    resource_map = stack.resource_map
    pending = [name for name in _in_dependency_order(new_bodies) if name in before]
    for _ in range(len(pending) + 1):  # each pass settles at least one more level of Refs
        changed = [
            name
            for name in pending
            if _differs(
                before[name],
                _resolved(resource_map, new_bodies[name]),
                applied[name],
                new_bodies[name],
            )
        ]
        if not changed:
            return
        for name in changed:
            _update(stack, name, new_bodies[name])
            before[name] = _resolved(resource_map, new_bodies[name])
            applied[name] = new_bodies[name]
    raise ResourceFailed(
        stack.name,
        STACK_TYPE,
        "UPDATE_FAILED",
        "the local engine's updates did not settle (a resource's properties keep changing)",
    )


def _update(stack: Any, name: str, body: dict[str, Any]) -> None:
    resource_map = stack.resource_map
    resource_type = body["Type"]
    created = internals.created_resources(resource_map)
    _event(stack, name, resource_type, "UPDATE_IN_PROGRESS")
    model = type(created[name])
    if hasattr(getattr(model, PROVIDES_UPDATE), "__isabstractmethod__"):
        reason = f"kept as it was: the local engine cannot update {resource_type}"
        logger.warning("stack %s: %s %s", stack.name, name, reason)
        _event(stack, name, resource_type, "UPDATE_COMPLETE", reason)
        return
    update = internals.get("moto.cloudformation.parsing", "parse_and_update_resource")
    try:
        resource = update(name, body, resource_map, stack.account_id, stack.region_name)
    except Exception as error:
        raise _failed(stack, name, resource_type, "UPDATE_FAILED", error) from error
    created[name] = resource
    _event(stack, name, resource_type, "UPDATE_COMPLETE", physical_id=_physical_id(resource))


def _delete_removed(stack: Any, removed: dict[str, dict[str, Any]]) -> None:
    """CloudFormation's cleanup phase: dependents first, in passes (a resource that still has
    a dependent the template does not name fails until that is gone); what cannot be deleted
    is reported, not rolled back."""
    created = internals.created_resources(stack.resource_map)
    remaining = {name: body for name, body in removed.items() if created.get(name) is not None}
    while remaining:
        failures: dict[str, Exception] = {}
        before = len(remaining)
        for name in reversed(list(_in_dependency_order(remaining))):
            body = remaining[name]
            if body.get("DeletionPolicy") == "Retain":
                created.pop(name)
                _event(stack, name, body["Type"], "DELETE_SKIPPED")
                del remaining[name]
                continue
            try:
                internals.delete_resource(stack.resource_map, name, dict(body))
            except Exception as error:
                failures[name] = error
                continue
            _event(stack, name, body["Type"], "DELETE_COMPLETE")
            del remaining[name]
        if len(remaining) == before:  # a pass that deleted nothing: what is left stays
            for name, failure in failures.items():
                _failed(stack, name, remaining[name]["Type"], "DELETE_FAILED", failure)
            return


def _resolved(resource_map: Any, body: dict[str, Any]) -> Any:
    """The resource's properties with Refs, GetAtts and functions resolved (a JSON string)."""
    clean_json = internals.get("moto.cloudformation.parsing", "clean_json")
    try:
        return json.dumps(clean_json(body.get("Properties", {}), resource_map), sort_keys=True)
    except Exception:  # moto cannot resolve everything; then compare the template text
        return _UNRESOLVED


def _differs(before: Any, after: Any, old_body: Any, new_body: Any) -> bool:
    if before is _UNRESOLVED or after is _UNRESOLVED:
        return old_body != new_body
    return before != after or old_body.get("Type") != new_body.get("Type")


def _in_dependency_order(bodies: dict[str, Any]) -> Iterator[str]:
    """Logical ids, each after every resource it depends on: DependsOn, and the implicit
    dependencies of Ref, Fn::GetAtt and Fn::Sub (CloudFormation's creation order; deletion
    runs it backwards)."""
    done: set[str] = set()

    def visit(name: str) -> Iterator[str]:
        if name in done or name not in bodies:
            return
        done.add(name)
        depends = bodies[name].get("DependsOn", [])
        for dependency in [depends] if isinstance(depends, str) else depends:
            yield from visit(dependency)
        for dependency in _references(bodies[name].get("Properties", {})):
            yield from visit(dependency)
        yield name

    for name in list(bodies):
        yield from visit(name)


def _references(value: Any) -> Iterator[str]:
    """The logical ids (and parameters) that a template value names through Ref, Fn::GetAtt
    and Fn::Sub."""
    if isinstance(value, list):
        for item in value:
            yield from _references(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            if key == "Ref" and isinstance(item, str):
                yield item
            elif key == "Fn::GetAtt":
                yield item[0] if isinstance(item, list) else str(item).split(".")[0]
            elif key == "Fn::Sub":
                text, variables = (item[0], item[1]) if isinstance(item, list) else (item, {})
                for name in re.findall(r"\$\{([^}!][^}]*)\}", str(text)):
                    if name not in variables:
                        yield name.split(".")[0]
                yield from _references(variables)
            else:
                yield from _references(item)


def _physical_id(resource: Any) -> str:
    return str(getattr(resource, "physical_resource_id", "") or "")


def _event(
    stack: Any,
    name: str,
    resource_type: str,
    status: str,
    reason: str | None = None,
    physical_id: str = "",
) -> None:
    internals.add_stack_event(stack, status, reason, name, resource_type, physical_id)


def _failed(
    stack: Any, name: str, resource_type: str, status: str, error: Exception
) -> ResourceFailed:
    reason = str(error) or type(error).__name__
    logger.warning("stack %s: %s %s: %s", stack.name, name, status, reason)
    _event(stack, name, resource_type, status, reason)
    return ResourceFailed(name, resource_type, status, reason)
