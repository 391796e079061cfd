"""The error shapes AWS Batch returns, so boto3 raises the same exceptions it would in AWS."""

from harness.errors import HarnessError


class BatchError(HarnessError):
    status = 400
    code = "ClientException"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ClientException(BatchError):
    """Bad request: unknown queue or definition, invalid name, wrong state."""


class ObjectAlreadyExists(ClientException):
    """A create that names a resource that exists: AWS answers it with HTTP 409 and these
    words (seen from CloudFormation replacing a job queue of a fixed name)."""

    status = 409

    def __init__(self) -> None:
        super().__init__("Object already exists")


class ServerException(BatchError):
    """A fault of the service itself (here: of the stand-in), as AWS reports its own."""

    status = 500
    code = "ServerException"


class AccessDeniedException(BatchError):
    """The caller's policies do not allow the action on the resource (IAM enforced)."""

    status = 403
    code = "AccessDeniedException"
