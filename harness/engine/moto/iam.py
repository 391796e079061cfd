"""IAM enforced at run time on the embedded engine: off unless HARNESS_ENFORCE_IAM=1 or
`PUT /_harness/iam {"enforce": true}` (the pytest fixture `enforced_iam` does that).

While it is on, the trigger function and every Batch job run with credentials for their own
role, issued here through the engine's STS AssumeRole, and requests signed with those
credentials are checked by moto's IAM authorization against the role's identity-based
policies (inline and attached), with the resource's ARN: S3 objects and buckets (moto's
own), DynamoDB tables (supplied here) and, for the Batch stand-in, the job queue and job
definition of SubmitJob. A denied call gets AccessDenied in the service's own error shape and
a line in the engine log. Requests signed with any other key — the developer's credentials,
which the CDK deploy and the harness use — are not checked, as an administrator's would pass.

Not enforced (docs/support.md's IAM row): resource-based policies (bucket and key policies),
Condition keys moto cannot evaluate, permission boundaries and SCPs, and resource ARNs of
other services (moto checks those against "*", so only statements with "Resource": "*" allow
them).
"""

import json
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http import HTTPStatus
from typing import Any

from harness.batch.errors import AccessDeniedException
from harness.client import aws
from harness.engine.edge.router import answer
from harness.engine.edge.sigv4 import access_key_id
from harness.engine.moto import internals

logger = logging.getLogger("harness.engine")

AUTHORIZER = "moto.core.authorization"
AUTHORIZE = "ActionAuthenticatorMixin._authenticate_and_authorize_action"


class IamEnforcement:
    """Whether IAM is enforced, the role credentials issued while it is, and the checks."""

    def __init__(self, account_id: str, engine_endpoint: str, enforce: bool = False) -> None:
        self.account_id = account_id
        self.enforce = enforce
        self._engine_endpoint = engine_endpoint
        self._issued: set[str] = set()  # access key ids handed to functions and jobs
        self._lock = threading.Lock()
        self._function_locks: dict[str, threading.Lock] = {}

    def install(self, replacements: internals.Replacements) -> None:
        """Switch moto's authorization on, with every request going through this object's
        check first."""
        original = internals.get(AUTHORIZER, AUTHORIZE)
        replacements.replace("moto.settings", "INITIAL_NO_AUTH_ACTION_COUNT", 0)
        replacements.replace(AUTHORIZER, AUTHORIZE, self._authorizing(original))

    # -- credentials -------------------------------------------------------------------------

    def role_credentials(self, role_arn: str, session: str, region: str) -> dict[str, str]:
        """Environment variables with temporary credentials for `role_arn` (which must exist),
        from the engine's STS, recorded so that requests signed with them are checked."""
        role_name = role_arn.rsplit("/", 1)[-1]
        aws.client("iam", self._engine_endpoint, region).get_role(RoleName=role_name)
        issued = aws.client("sts", self._engine_endpoint, region).assume_role(
            RoleArn=role_arn, RoleSessionName=session[:64]
        )["Credentials"]
        with self._lock:
            self._issued.add(issued["AccessKeyId"])
        return {
            "AWS_ACCESS_KEY_ID": issued["AccessKeyId"],
            "AWS_SECRET_ACCESS_KEY": issued["SecretAccessKey"],
            "AWS_SESSION_TOKEN": issued["SessionToken"],
        }

    def job_credentials(self, role_arn: str | None, job_id: str, region: str) -> dict[str, str]:
        """What a Batch job's container gets: the engine's test credentials while IAM is not
        enforced; else its job role's, or none at all when the definition names no role (as
        a Fargate task without a task role has none)."""
        if not self.enforce:
            return dict(aws.CREDENTIALS)
        if not role_arn:
            logger.warning("job %s has no jobRoleArn: it runs without AWS credentials", job_id)
            return {}
        return self.role_credentials(role_arn, f"batch-{job_id.replace(':', '-')}", region)

    @contextmanager
    def function_credentials(self, function: Any) -> Iterator[None]:
        """While IAM is enforced, one invocation of a moto Lambda function runs with its
        execution role's credentials (moto gives every function the same placeholders; its
        environment variables override them). Invocations of one function take turns."""
        if not self.enforce:
            yield
            return
        with self._lock:
            turn = self._function_locks.setdefault(function.function_arn, threading.Lock())
        with turn:
            original = function.environment_vars
            credentials = self.role_credentials(
                function.role, function.function_name, function.region
            )
            function.environment_vars = {**original, **credentials}
            try:
                yield
            finally:
                function.environment_vars = original

    def issued(self, headers: Any) -> bool:
        """True when a request is signed with credentials issued here."""
        key = access_key_id(headers.get("Authorization", ""))
        with self._lock:
            return key in self._issued

    # -- checks ------------------------------------------------------------------------------

    def _authorizing(self, original: Callable[..., None]) -> Callable[..., None]:
        enforcement = self

        def authenticate_and_authorize(handler: Any, iam_request_cls: type, resource: str = "*"):
            if not enforcement.enforce or not enforcement.issued(handler.headers):
                return None
            if resource == "*" and getattr(handler, "service_name", "") == "dynamodb":
                resource = table_arn(handler.body, handler.region, handler.current_account)
            try:
                return original(handler, iam_request_cls, resource)
            except internals.get("moto.core.exceptions", "AccessDeniedError") as denied:
                message = logged_denial(denied, resource)
                if "X-Amz-Target" in handler.headers:  # a JSON service: its error shape
                    json_error = internals.get("moto.core.exceptions", "JsonRESTError")
                    raise json_error("AccessDeniedException", message) from denied
                raise

        return authenticate_and_authorize

    def authorize_batch(
        self, headers: Any, method: str, path: str, body: bytes, action: str, resources: list[str]
    ) -> None:
        """Raise AccessDeniedException when a request signed with issued credentials is not
        allowed `batch:<action>` on every one of `resources`."""
        if not self.enforce or not self.issued(headers):
            return
        request_cls = internals.get("moto.iam.access_control", "IAMRequest")
        denied_cls = internals.get("moto.core.exceptions", "AccessDeniedError")
        request = request_cls(
            account_id=self.account_id,
            method=method,
            path=path,
            data={},
            body=body,
            headers=dict(headers),
            action=action,
        )
        for resource in resources:
            try:
                request.check_action_permitted(resource)
            except denied_cls as denied:
                raise AccessDeniedException(logged_denial(denied, resource)) from denied


def logged_denial(denied: Any, resource: str) -> str:
    """moto's AccessDenied message with the resource it was about, logged as the engine's."""
    message = f"{denied.message} on resource: {resource}"
    logger.warning("IAM denied: %s", message)
    return message


def table_arn(body: Any, region: str, account_id: str) -> str:
    """The table a DynamoDB request names (the first one of a batch request), as an ARN."""
    request = body if isinstance(body, dict) else json.loads(body or "{}")
    tables = request.get("RequestItems") or {}
    name = request.get("TableName") or next(iter(tables), "*")
    return f"arn:aws:dynamodb:{region}:{account_id}:table/{name}"


def manage(
    enforcement: IamEnforcement, environ: dict[str, Any], start_response: Any
) -> list[bytes]:
    """`/_harness/iam`: GET says whether IAM is enforced, PUT {"enforce": bool} switches it."""
    if environ.get("REQUEST_METHOD") == "PUT":
        length = int(environ.get("CONTENT_LENGTH") or 0)
        request = json.loads(environ["wsgi.input"].read(length) or b"{}")
        if not isinstance(request.get("enforce"), bool):
            message = 'send {"enforce": true} or {"enforce": false}'
            return answer(start_response, {"message": message}, HTTPStatus.BAD_REQUEST)
        enforcement.enforce = request["enforce"]
        logger.warning("IAM enforcement is now %s", "on" if enforcement.enforce else "off")
    return answer(start_response, {"enforce": enforcement.enforce})
