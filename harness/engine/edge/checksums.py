"""S3 upload checksums checked at the edge, as S3 checks them (neither engine does).

An SDK sends a checksum of what it uploads (PutObject, UploadPart) either as a header
(`x-amz-checksum-crc32: ...`) or, with `Content-Encoding: aws-chunked`, as a trailer after the
last chunk (`x-amz-trailer: x-amz-checksum-crc32`). S3 refuses an upload whose bytes do not
match with 400 BadDigest; moto and LocalStack store it and answer 200, so a corrupted upload
would be processed as if it were whole. Here the body is checked first, and passed on
unchanged (each engine decodes aws-chunked itself) only when it matches.

CRC32, SHA-1 and SHA-256 are checked with the standard library; CRC32C and CRC64NVME only
where the `awscrt` package is installed, and otherwise passed on with a warning in the log.
"""

import base64
import hashlib
import io
import logging
import zlib
from collections.abc import Callable, Iterable
from typing import Any

from harness.engine.edge.sigv4 import signed_service
from harness.faults.aws_errors import error_response
from harness.faults.middleware import buffered_body

logger = logging.getLogger("harness.checksums")

PREFIX = "x-amz-checksum-"


def _crc32(data: bytes) -> bytes:
    return zlib.crc32(data).to_bytes(4, "big")


def _crt(name: str) -> Callable[[bytes], bytes] | None:
    """awscrt's CRC32C or CRC64NVME, when awscrt is installed."""
    try:
        from awscrt import checksums
    except ImportError:
        return None
    function = getattr(checksums, name)
    size = 8 if name == "crc64nvme" else 4
    return lambda data: function(data).to_bytes(size, "big")


ALGORITHMS: dict[str, Callable[[bytes], bytes] | None] = {
    "crc32": _crc32,
    "sha1": lambda data: hashlib.sha1(data).digest(),
    "sha256": lambda data: hashlib.sha256(data).digest(),
    "crc32c": _crt("crc32c"),
    "crc64nvme": _crt("crc64nvme"),
}


class MalformedChunks(ValueError):
    pass


def decode_aws_chunked(body: bytes) -> tuple[bytes, dict[str, str]]:
    """The payload and the trailers of an aws-chunked body (chunk signatures ignored)."""
    stream, payload = io.BytesIO(body), bytearray()
    while True:
        line = stream.readline()
        if not line.endswith(b"\r\n"):
            raise MalformedChunks("a chunk header does not end with CRLF")
        size_text = line[:-2].split(b";")[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            raise MalformedChunks(f"chunk size {size_text!r} is not hexadecimal") from None
        if size == 0:
            break
        chunk = stream.read(size)
        if len(chunk) != size or stream.read(2) != b"\r\n":
            raise MalformedChunks("a chunk is shorter than its size")
        payload += chunk
    trailers = {}
    for line in stream.read().split(b"\r\n"):
        name, colon, value = line.decode("latin-1").partition(":")
        if colon:
            trailers[name.strip().lower()] = value.strip()
    return bytes(payload), trailers


def expected_checksums(environ: dict[str, Any], trailers: dict[str, str]) -> dict[str, str]:
    """{algorithm: base64 value} the request claims, from its headers and trailers."""
    claimed = {
        key[5:].lower().replace("_", "-").removeprefix(PREFIX): value
        for key, value in environ.items()
        if key.startswith("HTTP_X_AMZ_CHECKSUM_") and key != "HTTP_X_AMZ_CHECKSUM_TYPE"
    }
    claimed.update(
        {
            name.removeprefix(PREFIX): value
            for name, value in trailers.items()
            if name.startswith(PREFIX)
        }
    )
    return {name: value for name, value in claimed.items() if name in ALGORITHMS}


def mismatch(environ: dict[str, Any], body: bytes) -> tuple[str, str] | None:
    """(error code, message) when the body does not match what the request claims."""
    trailers: dict[str, str] = {}
    payload = body
    if "aws-chunked" in environ.get("HTTP_CONTENT_ENCODING", ""):
        try:
            payload, trailers = decode_aws_chunked(body)
        except MalformedChunks as error:
            return "IncompleteBody", f"The aws-chunked request body is malformed: {error}"
    for name, value in expected_checksums(environ, trailers).items():
        algorithm = ALGORITHMS[name]
        if algorithm is None:
            logger.warning("%s of an upload not checked: install awscrt to check it", name)
            continue
        if base64.b64encode(algorithm(payload)).decode() != value:
            return (
                "BadDigest",
                f"The {name.upper()} you specified did not match the calculated checksum.",
            )
    return None


class ChecksumCheck:
    """WSGI middleware: S3 PUTs that carry a checksum are refused when it does not match."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "PUT" or signed_service(environ) != "s3":
            return self.app(environ, start_response)
        if not any(
            key.startswith("HTTP_X_AMZ_CHECKSUM_") or key == "HTTP_X_AMZ_TRAILER" for key in environ
        ):
            return self.app(environ, start_response)
        refused = mismatch(environ, buffered_body(environ))
        if refused is None:
            return self.app(environ, start_response)
        code, message = refused
        logger.warning("refused %s: %s", environ.get("PATH_INFO"), message)
        status, headers, error = error_response("s3", code, 400, message)
        start_response(
            f"{status} Bad Request", [*headers.items(), ("Content-Length", str(len(error)))]
        )
        return [error]
