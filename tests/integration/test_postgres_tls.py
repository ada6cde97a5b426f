"""TLS to PostgreSQL is a matter of `DATABASE_URL` alone: its libpq
parameters (`sslmode=verify-full&sslrootcert=...`) reach psycopg's libpq
untouched, in the pool, the migrations and readiness.

The embedded server is built without TLS, so a TLS end stands in front of
it here, as the company's server (or a proxy before it) would: it answers
PostgreSQL's SSLRequest, does the handshake with a certificate for
`db.internal` signed by a CA made here, then relays to the real server.
What is checked is the client side, ours: the handshake, the chain and
the name, refused when either is wrong.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import select
import shutil
import socket
import ssl
import struct
import tempfile
import threading
from pathlib import Path

import psycopg
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from devstack.ports import free_port
from devstack.postgres import Postgres
from shared import config, migrations
from shared.db import connect, make_pool
from shared.health import Readiness
from tests.unit.test_config import BASE

pytestmark = pytest.mark.slow


def _name(text: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])


def _key_pem(key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )


def make_ca(common_name: str):
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(_name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def server_certificate(ca_key, ca_cert, dns_name: str):
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(dns_name))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName(dns_name),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                ]
            ),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    return key, cert


SSL_REQUEST, GSSENC_REQUEST = 80877103, 80877104


class TlsFront:
    """A TLS end on a free port in front of a plain PostgreSQL server."""

    def __init__(self, backend_port: int, certfile: Path, keyfile: Path):
        self.backend_port = backend_port
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(certfile, keyfile)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.handshakes = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self.listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        try:
            while True:  # TLS or nothing: a plain start-up is hung up on
                length, code = struct.unpack("!ii", _read(client, 8))
                if code == GSSENC_REQUEST:
                    client.sendall(b"N")
                    continue
                if code != SSL_REQUEST:
                    return
                client.sendall(b"S")
                break
            tls = self.context.wrap_socket(client, server_side=True)
            self.handshakes += 1
            with socket.create_connection(("127.0.0.1", self.backend_port)) as backend:
                _relay(tls, backend)
        except (OSError, ssl.SSLError, struct.error):
            pass
        finally:
            client.close()


def _read(sock, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise OSError("closed")
        data += chunk
    return data


def _relay(tls: ssl.SSLSocket, backend: socket.socket) -> None:
    while True:
        ready = [tls] if tls.pending() else select.select([tls, backend], [], [])[0]
        for source, target in ((tls, backend), (backend, tls)):
            if source in ready:
                data = source.recv(65536)
                if not data:
                    return
                target.sendall(data)


def _pem(path: Path, body: bytes) -> Path:
    path.write_bytes(body)
    path.chmod(0o600)
    return path


@pytest.fixture(scope="module")
def tls_server():
    """A PostgreSQL server behind a TLS end whose certificate names
    `db.internal`; the CA that signed it, and another that did not."""
    workdir = Path(tempfile.mkdtemp(prefix="matchmaker-test-pg-tls-"))
    certs = workdir / "certs"
    certs.mkdir()
    server = Postgres(workdir / "pg", port=free_port(), fast=True).start()
    try:
        ca_key, ca_cert = make_ca("matchmaker test CA")
        key, cert = server_certificate(ca_key, ca_cert, "db.internal")
        front = TlsFront(
            server.port,
            _pem(certs / "server.crt", cert.public_bytes(serialization.Encoding.PEM)),
            _pem(certs / "server.key", _key_pem(key)),
        )
        _pem(certs / "ca.pem", ca_cert.public_bytes(serialization.Encoding.PEM))
        _, other = make_ca("some other CA")
        _pem(certs / "other-ca.pem", other.public_bytes(serialization.Encoding.PEM))
        yield front, server.database, certs
        front.close()
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def url(tls_server, host: str, root_cert: str, mode: str = "verify-full") -> str:
    """hostaddr: connect to 127.0.0.1, check the certificate against `host`."""
    front, database, certs = tls_server
    return (
        f"postgresql://postgres@{host}:{front.port}/{database}"
        f"?hostaddr=127.0.0.1&sslmode={mode}&sslrootcert={certs / root_cert}"
    )


def test_verify_full_in_the_database_url_connects_over_tls(tls_server):
    front = tls_server[0]
    database_url = url(tls_server, "db.internal", "ca.pem")
    settings = config.load({**BASE, "DATABASE_URL": database_url})
    assert settings.database_url == database_url
    with connect(settings.database_url) as conn:
        assert conn.execute("SELECT 1 AS one").fetchone() == {"one": 1}
        assert conn.pgconn.ssl_in_use
    assert migrations.migrate(settings.database_url)  # the migration Job's path
    pool = make_pool(settings.database_url, name="tls-test")
    pool.open(wait=True, timeout=10)
    try:
        with pool.connection() as conn:
            assert conn.pgconn.ssl_in_use
            assert migrations.is_current(conn)
    finally:
        pool.close()
    assert Readiness(settings.database_url, ["127.0.0.1:1"])._database() == "ok"
    assert front.handshakes >= 4


def test_a_server_certificate_from_another_ca_is_refused(tls_server):
    with pytest.raises(psycopg.OperationalError, match="certificate verify failed"):
        connect(url(tls_server, "db.internal", "other-ca.pem")).close()


def test_a_server_certificate_for_another_name_is_refused_by_verify_full(tls_server):
    wrong_name = url(tls_server, "elsewhere.internal", "ca.pem")
    with pytest.raises(psycopg.OperationalError, match="does not match host name"):
        connect(wrong_name).close()
    # verify-ca checks the chain only: the same name passes
    with connect(wrong_name.replace("verify-full", "verify-ca")) as conn:
        assert conn.pgconn.ssl_in_use


def test_without_tls_the_front_hangs_up(tls_server):
    with pytest.raises(psycopg.OperationalError):
        connect(url(tls_server, "db.internal", "ca.pem", mode="disable")).close()
