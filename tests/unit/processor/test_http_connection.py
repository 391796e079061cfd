"""The processor's HTTP/1.1 connection against a loopback server that answers each request with
the next canned response, as bytes, and records what it received and how many connections."""

import datetime
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from processor.http_connection import Connection, ProtocolError, Response


class CannedServer:
    def __init__(self, answers: list[bytes], tls: ssl.SSLContext | None = None) -> None:
        self.answers = list(answers)
        self.tls = tls
        self.requests: list[bytes] = []
        self.connections = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self) -> None:
        while self.answers:
            try:
                conn, _ = self.listener.accept()
            except OSError:  # the test is over: its listener closed
                return
            self.connections += 1
            if self.tls:
                try:
                    conn = self.tls.wrap_socket(conn, server_side=True)
                except (ssl.SSLError, OSError):  # the client refused the certificate
                    conn.close()
                    continue
            with conn:
                while self.answers:
                    request = self.read_request(conn)
                    if request is None:
                        break
                    self.requests.append(request)
                    answer = self.answers.pop(0)
                    conn.sendall(answer)
                    if b"Connection: close" in answer or answer.startswith(b"HTTP/1.0"):
                        break

    @staticmethod
    def read_request(conn: socket.socket) -> bytes | None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return None
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
        while len(body) < length:
            body += conn.recv(65536)
        return data


@contextmanager
def server(*answers: bytes, tls: ssl.SSLContext | None = None) -> Iterator[CannedServer]:
    canned = CannedServer(list(answers), tls)
    try:
        yield canned
    finally:
        canned.listener.close()


def connection(canned: CannedServer) -> Connection:
    return Connection("127.0.0.1", canned.port, tls=None, timeout=5)


def post(client: Connection, path: str, headers: dict[str, str], body: bytes) -> Response:
    """One request and its answer, as BatchWriteClient sends them."""
    client.send(path, headers, body)
    return client.receive()


def test_requests_share_one_connection_and_bodies_come_by_length_or_in_chunks():
    by_length = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Amzn-RequestId: r1\r\n\r\nhello"
    chunked = (
        b"HTTP/1.1 400 Bad Request\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"3;ext=1\r\nwor\r\n2\r\nld\r\n0\r\nTrailer: t\r\n\r\n"
    )
    with server(by_length, chunked) as canned:
        client = connection(canned)
        first = post(client, "/", {"Host": "h", "X-Amz-Target": "T"}, b'{"a":1}')
        second = post(client, "/", {"Host": "h"}, b"{}")

    assert (first.status, first.body, first.headers["x-amzn-requestid"]) == (200, b"hello", "r1")
    assert (second.status, second.body) == (400, b"world")
    assert canned.connections == 1
    assert canned.requests[0] == (
        b'POST / HTTP/1.1\r\nHost: h\r\nX-Amz-Target: T\r\nContent-Length: 7\r\n\r\n{"a":1}'
    )


@pytest.mark.parametrize(
    "closing",
    [
        b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok",
        b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok",
        b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nok",  # no length: up to the close
    ],
)
def test_a_connection_the_server_closes_is_opened_again_for_the_next_request(closing):
    after = b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nnext"
    with server(closing, after) as canned:
        client = connection(canned)
        first = post(client, "/", {}, b"")
        second = post(client, "/", {}, b"")

    assert (first.body, second.body) == (b"ok", b"next")
    assert canned.connections == 2


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (b"SSH-2.0-OpenSSH\r\n\r\n", "not an HTTP/1.x status line"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\nConnection: close\r\n\r\nshort", "5 of 10"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: ten\r\n\r\n", "malformed response"),
        (b"HTTP/1.1 200 OK\r\nConnection: close\r\n", "closed the connection"),
    ],
)
def test_an_answer_that_is_not_http_is_an_os_error_and_the_connection_is_dropped(answer, message):
    with server(answer, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n") as canned:
        client = connection(canned)
        with pytest.raises(ProtocolError, match=message):
            post(client, "/", {}, b"")
        assert post(client, "/", {}, b"").status == 200

    assert canned.connections == 2


def test_a_server_that_never_answers_times_out_as_an_os_error():
    listener = socket.create_server(("127.0.0.1", 0))  # accepts (backlog), never answers
    with listener:
        client = Connection("127.0.0.1", listener.getsockname()[1], tls=None, timeout=0.3)
        started = time.monotonic()
        with pytest.raises(OSError):
            post(client, "/", {}, b"")
        assert 0.25 <= time.monotonic() - started < 3


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A certificate for localhost and its key, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def test_https_verifies_the_server_with_the_given_context_and_keeps_the_connection(tmp_path):
    cert_file, key_file = self_signed_certificate(tmp_path)
    server_side = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_side.load_cert_chain(cert_file, key_file)
    ok = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

    with server(ok, ok, tls=server_side) as canned:
        trusting = ssl.create_default_context(cafile=str(cert_file))
        client = Connection("localhost", canned.port, tls=trusting, timeout=5)
        bodies = [post(client, "/", {"Host": "localhost"}, b"{}").body for _ in range(2)]
    assert bodies == [b"ok", b"ok"]
    assert canned.connections == 1

    with server(ok, tls=server_side) as canned:
        untrusting = ssl.create_default_context(cafile=None)  # the system's CAs only
        client = Connection("localhost", canned.port, tls=untrusting, timeout=5)
        with pytest.raises(ssl.SSLCertVerificationError):
            post(client, "/", {"Host": "localhost"}, b"{}")
