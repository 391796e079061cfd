"""What a request's AWS Signature Version 4 says of it: the region and service it was signed
for (Authorization: ... Credential=KEY/DATE/REGION/SERVICE/aws4_request, ...). One endpoint
serves every service; this is how its edges route a request."""

from typing import Any


def credential_scope(authorization: str) -> tuple[str, str] | None:
    """(region, service) of an Authorization header, or None when it is not SigV4."""
    _, _, credential = authorization.partition("Credential=")
    parts = credential.split(",")[0].split("/")
    if len(parts) < 5 or parts[4].strip() != "aws4_request":
        return None
    return parts[2], parts[3]


def access_key_id(authorization: str) -> str:
    """The access key id a SigV4 Authorization header was signed with; "" when unsigned."""
    _, _, credential = authorization.partition("Credential=")
    return credential.split("/")[0].strip() if "/" in credential else ""


def signed_service(environ: dict[str, Any]) -> str:
    """The service a WSGI request was signed for; "" when it is not signed."""
    scope = credential_scope(environ.get("HTTP_AUTHORIZATION", ""))
    return scope[1] if scope else ""
