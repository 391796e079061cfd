"""One kept-alive HTTP/1.1 connection that POSTs a body and reads the answer, and nothing more.

http.client parses every response's headers with the email package's parser, about a tenth
of the processor's CPU per BatchWriteItem (py-spy against bench/null_dynamodb.py). This reads
the response from its own buffer (a DynamoDB answer usually arrives in one recv): the status
line and headers split at once, a body of Content-Length bytes, in chunks or up to the close,
and the connection closed afterwards when the server says so (or answers with HTTP/1.0). The
host's address is looked up once and again only after a failure (when the server closes the
connection after an answer, the next request connects anew).
"""

import socket
import ssl
import struct
from dataclasses import dataclass
from typing import Any

MAX_HEAD_BYTES = 65536


class ProtocolError(OSError):
    """The server's answer is not HTTP/1.x as this reader understands it, or it hung up."""


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]  # names in lower case
    body: bytes


class Connection:
    """To `host`:`port`, over TLS with `tls` (one context for every connection of a job: making
    one loads the CA certificates) or in plain HTTP when it is None."""

    def __init__(self, host: str, port: int, tls: ssl.SSLContext | None, timeout: float) -> None:
        self._host = host
        self._port = port
        self._tls = tls
        self._timeout = timeout
        self._address: tuple[socket.AddressFamily, tuple[Any, ...]] | None = None
        self._socket: socket.socket | None = None
        self._buffer = bytearray()  # received, not yet read

    def send(self, path: str, headers: dict[str, str], body: bytes) -> None:
        """Send one request, connecting first when no connection is open; receive() reads its
        response. Raises OSError (the connection is then closed, and the next request opens a
        new one)."""
        try:
            sock = self._socket or self._connect()
            lines = [f"POST {path} HTTP/1.1", *(f"{k}: {v}" for k, v in headers.items())]
            lines.append(f"Content-Length: {len(body)}")
            sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        except OSError:
            self._drop()
            raise

    def receive(self) -> Response:
        """The response to the request sent last. Raises OSError as send() does."""
        try:
            version, status, received = self._head()
            response = Response(status, received, self._body(received))
        except OSError:  # first: a refused TLS certificate is also a ValueError
            self._drop()
            raise
        except ValueError as error:  # a length that is not a number
            self.close()
            raise ProtocolError(f"a malformed response: {error}") from error
        if version == "HTTP/1.0" or received.get("connection", "").lower() == "close":
            self.close()
        return response

    def fileno(self) -> int:
        """The open socket's descriptor (for select), -1 when none is open."""
        return self._socket.fileno() if self._socket is not None else -1

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None
        self._buffer.clear()

    def _drop(self) -> None:
        """Close after a failure, and look the address up again for the next connection."""
        self.close()
        self._address = None

    def _connect(self) -> socket.socket:
        if self._address is None:
            found = socket.getaddrinfo(self._host, self._port, type=socket.SOCK_STREAM)[0]
            self._address = (found[0], found[4])
        family, sockaddr = self._address
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.settimeout(self._timeout)
            sock.connect(sockaddr)
            # Headers and body go in one send, but a small request must not wait for the
            # ACK of the previous one either (Nagle's algorithm).
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self._tls:
                sock = self._tls.wrap_socket(sock, server_hostname=self._host)
            else:
                kernel_timeouts(sock, self._timeout)
        except OSError:
            sock.close()
            raise
        self._socket = sock
        return sock

    def _receive(self, what: str) -> None:
        assert self._socket is not None
        data = self._socket.recv(65536)
        if not data:
            raise ProtocolError(f"the server closed the connection {what}")
        self._buffer += data

    def _head(self) -> tuple[str, int, dict[str, str]]:
        """The status line's version and code, and the headers (names in lower case)."""
        while (end := self._buffer.find(b"\r\n\r\n")) < 0:
            if len(self._buffer) > MAX_HEAD_BYTES:
                raise ProtocolError(f"no end of the response's headers in {MAX_HEAD_BYTES} bytes")
            self._receive("before the end of the response's headers")
        status_line, *lines = self._buffer[:end].decode("latin-1").split("\r\n")
        del self._buffer[: end + 4]
        version, _, rest = status_line.partition(" ")
        code = rest[:3]
        if not version.startswith("HTTP/1.") or not code.isdigit():
            raise ProtocolError(f"not an HTTP/1.x status line: {status_line!r}")
        headers = {}
        for line in lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        return version, int(code), headers

    def _body(self, headers: dict[str, str]) -> bytes:
        if headers.get("transfer-encoding", "").lower() == "chunked":
            return self._chunked()
        length = headers.get("content-length")
        if length is not None:
            return self._exactly(int(length))
        assert self._socket is not None
        while data := self._socket.recv(65536):  # the body ends when the server closes
            self._buffer += data
        body = bytes(self._buffer)
        self.close()
        return body

    def _chunked(self) -> bytes:
        chunks = []
        while size := int(self._line().split(b";")[0].strip(), 16):
            chunks.append(self._exactly(size))
            self._line()  # the CRLF after each chunk
        while self._line():  # trailers, up to an empty line
            pass
        return b"".join(chunks)

    def _line(self) -> bytes:
        while (end := self._buffer.find(b"\r\n")) < 0:
            self._receive("inside a chunked body")
        line = bytes(self._buffer[:end])
        del self._buffer[: end + 2]
        return line

    def _exactly(self, size: int) -> bytes:
        while len(self._buffer) < size:
            self._receive(f"after {len(self._buffer)} of {size} bytes")
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data


def kernel_timeouts(sock: socket.socket, seconds: float) -> None:
    """Make `sock` blocking with its send and receive timeouts kept by the kernel.

    With a Python-level timeout every send and recv first polls the socket, and gives up and
    takes back the GIL twice per call instead of once (strace, when the processor wrote from
    threads: two thirds of its system calls were those polls and futexes). A call that times
    out raises OSError (EAGAIN).
    """
    whole = int(seconds)
    timeval = struct.pack("ll", whole, int((seconds - whole) * 1_000_000))
    sock.settimeout(None)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, timeval)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, timeval)
