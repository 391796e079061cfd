"""One kept-alive HTTP/1.1 connection that POSTs a body and reads the answer, and nothing more.

http.client parses every response's headers with the email package's parser, about a tenth
of the processor's CPU per BatchWriteItem (py-spy against bench/null_dynamodb.py). This reads
the status line and headers itself: a body of Content-Length bytes or in chunks, and the
connection closed afterwards when the server says so (or answers with HTTP/1.0).
"""

import socket
import ssl
from dataclasses import dataclass

MAX_HEADER_LINE = 65536
MAX_HEADERS = 100


class ProtocolError(OSError):
    """The server's answer is not HTTP/1.x as this reader understands it, or it hung up."""


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]  # names in lower case
    body: bytes


class Connection:
    def __init__(self, host: str, port: int, https: bool, timeout: float) -> None:
        self._address = (host, port)
        self._https = https
        self._timeout = timeout
        self._socket: socket.socket | None = None
        self._reader: socket.SocketIO | None = None

    def post(self, path: str, headers: dict[str, str], body: bytes) -> Response:
        """Send one request and read its response; raises OSError (the connection is then
        closed, and the next request opens a new one)."""
        try:
            return self._exchange(path, headers, body)
        except ValueError as error:  # a length that is not a number
            self.close()
            raise ProtocolError(f"a malformed response: {error}") from error
        except OSError:
            self.close()
            raise

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
        self._socket = self._reader = None

    def _exchange(self, path: str, headers: dict[str, str], body: bytes) -> Response:
        if self._socket is None:
            self._connect()
        assert self._socket is not None and self._reader is not None
        lines = [f"POST {path} HTTP/1.1", *(f"{name}: {value}" for name, value in headers.items())]
        lines.append(f"Content-Length: {len(body)}")
        self._socket.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        version, status = self._status_line()
        received = self._headers()
        response = Response(status, received, self._body(received))
        if version == "HTTP/1.0" or received.get("connection", "").lower() == "close":
            self.close()
        return response

    def _connect(self) -> None:
        sock = socket.create_connection(self._address, timeout=self._timeout)
        # Headers and body go in one send, but a small request must not wait for the ACK
        # of the previous one either (Nagle's algorithm).
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self._https:
            context = ssl.create_default_context()
            sock = context.wrap_socket(sock, server_hostname=self._address[0])
        self._socket = sock
        self._reader = sock.makefile("rb")

    def _line(self) -> bytes:
        assert self._reader is not None
        line = self._reader.readline(MAX_HEADER_LINE + 1)
        if not line:
            raise ProtocolError("the server closed the connection")
        if len(line) > MAX_HEADER_LINE:
            raise ProtocolError("a response line is too long")
        return line

    def _status_line(self) -> tuple[str, int]:
        line = self._line().decode("latin-1")
        version, _, rest = line.partition(" ")
        code = rest[:3]
        if not version.startswith("HTTP/1.") or not code.isdigit():
            raise ProtocolError(f"not an HTTP/1.x status line: {line.strip()!r}")
        return version, int(code)

    def _headers(self) -> dict[str, str]:
        headers: dict[str, str] = {}
        for _ in range(MAX_HEADERS):
            line = self._line()
            if line in (b"\r\n", b"\n"):
                return headers
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        raise ProtocolError(f"more than {MAX_HEADERS} response headers")

    def _body(self, headers: dict[str, str]) -> bytes:
        if headers.get("transfer-encoding", "").lower() == "chunked":
            return self._chunked()
        length = headers.get("content-length")
        if length is None:  # the body ends when the server closes the connection
            assert self._reader is not None
            body = self._reader.read()
            self.close()
            return body
        return self._exactly(int(length))

    def _chunked(self) -> bytes:
        chunks = []
        while size := int(self._line().split(b";")[0].strip(), 16):
            chunks.append(self._exactly(size))
            self._line()  # the CRLF after each chunk
        while self._line() not in (b"\r\n", b"\n"):  # trailers
            pass
        return b"".join(chunks)

    def _exactly(self, size: int) -> bytes:
        assert self._reader is not None
        data = self._reader.read(size)
        if len(data) < size:
            raise ProtocolError(
                f"the server closed the connection after {len(data)} of {size} bytes"
            )
        return data
