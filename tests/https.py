"""Helpers for tests over HTTPS: `recovery serve --host 0.0.0.0` with its own certificate, and a Chromium trusting it.

The server makes its certificate authority in the test's own folder
(RECOVERY_TLS_DIR), and the tests trust exactly that: urllib through an
`ssl` context loading the authority, Chromium through
`--ignore-certificate-errors-spki-list` naming the server certificate's key
(nothing is installed or downloaded). A phone reaches the machine by its LAN
address, so that is the address these servers are opened at.
"""

from __future__ import annotations

import base64
import hashlib
import os
import ssl
import subprocess
import urllib.error
import urllib.request
import urllib.response
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from recovery import tls
from tests.browser import RECOVERY, start_serving
from tests.conftest import free_port, stop_process

PASSWORD = "a long enough password"


def lan_address() -> str | None:
    """This machine's first LAN IPv4 address (what a phone would open), or None when it has none."""
    import socket

    found = [a for a in tls.machine_addresses(socket.gethostname()) if ":" not in a]
    return found[0] if found else None


def spki_sha256(certificate_pem: bytes) -> str:
    """Base64 of the SHA-256 of a certificate's SubjectPublicKeyInfo: how Chromium names a key to trust."""
    certificate = x509.load_pem_x509_certificate(certificate_pem)
    spki = certificate.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(hashlib.sha256(spki).digest()).decode("ascii")


def chromium_args_trusting(certificate_pem: bytes) -> list[str]:
    """Chromium flags that accept this one server certificate (by its key) as if a trusted authority had signed it."""
    return [f"--ignore-certificate-errors-spki-list={spki_sha256(certificate_pem)}"]


def ca_context(ca_certificate: Path) -> ssl.SSLContext:
    """A client context that trusts this authority alone, checking the host name as a browser does."""
    return ssl.create_default_context(cafile=str(ca_certificate))  # with a cafile, the system's are not loaded


@dataclass
class HttpsServer:
    """`recovery serve --host 0.0.0.0` over its own HTTPS, on its own port, database and certificate folder."""

    folder: Path
    #: Extra arguments for `serve` (such as ["--no-tls"] for the plain-HTTP comparison).
    args: list[str] = field(default_factory=list)
    #: The address the test opens: this machine's LAN address by default, as a phone would.
    address: str = ""
    #: What `serve --host` listens on.
    host: str = "0.0.0.0"
    #: More environment for `serve` (RECOVERY_TLS_RECHECK_S, to see a renewal in seconds).
    env: dict[str, str] = field(default_factory=dict)
    db_url: str = ""
    url: str = ""
    process: subprocess.Popen[bytes] | None = None
    log: Path = field(init=False)

    def __post_init__(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.db_url = self.db_url or f"sqlite:///{self.folder / 'recovery.sqlite3'}"
        self.log = self.folder / "serve.log"
        self.address = self.address or lan_address() or "127.0.0.1"

    @property
    def tls_folder(self) -> Path:
        return self.folder / "tls"

    @property
    def ca_certificate(self) -> Path:
        return self.tls_folder / tls.CA_FILE

    @property
    def uses_tls(self) -> bool:
        """Whether `serve` will speak HTTPS, by its own rule: asked to, or beyond loopback unless told not to."""
        if "--tls" in self.args:
            return True
        if "--no-tls" in self.args or "--behind-proxy" in self.args:
            return False
        return not self.host.startswith("127.")

    def server_certificate_pem(self) -> bytes:
        """The server certificate alone (the file also holds its key)."""
        return tls.certificate_pem(self.tls_folder / tls.SERVER_FILE)

    def context(self) -> ssl.SSLContext:
        return ca_context(self.ca_certificate)

    def open(self, path: str, timeout: float = 10) -> urllib.response.addinfourl:
        """GET `path` over this server's scheme, trusting its authority alone."""
        context = self.context() if self.uses_tls else None
        return urllib.request.urlopen(self.url + path, timeout=timeout, context=context)

    def start(self) -> HttpsServer:
        port = free_port()
        shown = f"[{self.address}]" if ":" in self.address else self.address
        self.url = f"{'https' if self.uses_tls else 'http'}://{shown}:{port}"
        env = {**os.environ, "RECOVERY_PASSWORD": PASSWORD, "RECOVERY_TLS_DIR": str(self.tls_folder), **self.env}
        command = [str(RECOVERY), "--db", self.db_url, "serve", "--host", self.host, "--port", str(port), "--no-watch"]
        self.process = start_serving([*command, *self.args], env, self.folder, self.log,
                                     lambda: self.open("/healthz", timeout=1))  # fmt: skip
        return self

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)
