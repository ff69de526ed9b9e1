"""A secure origin on the home network: this machine's certificate authority, HTTPS from `serve`, the phone set-up.

First the certificate rules as plain functions (names, lifetimes, when a
new server certificate is issued, the files and their modes) and a TLS
handshake in this process verified against the authority; then the
dashboard app in-process (the settings page's "Your phone", the authority's
download); then real `recovery serve` processes over HTTPS, behind a proxy
and on localhost; last, Debian's Chromium at phone width over HTTPS at this
machine's LAN address, where the page is a secure context (and over plain
HTTP, where it is not).
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import http.cookiejar
import multiprocessing
import re
import socket
import ssl
import stat
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID
from flask import Flask
from flask.testing import FlaskClient
from playwright.sync_api import Playwright

from recovery import tls
from recovery.access import set_password
from recovery.cli import cli
from recovery.web import create_app
from tests.conftest import NOW
from tests.https import PASSWORD, HttpsServer, ca_context, chromium_args_trusting, lan_address, spki_sha256

MACHINE = "trailhead"
ADDRESSES = ["192.168.1.23", "fd12:3456::23"]


def names(*extra: str, addresses: list[str] = ADDRESSES) -> tuple[str, ...]:
    return tls.certificate_names(MACHINE, addresses, extra)


def server_certificate(made: tls.Certificates) -> x509.Certificate:
    return x509.load_pem_x509_certificate(made.server_pem.read_bytes())


def authority(made: tls.Certificates) -> x509.Certificate:
    return x509.load_pem_x509_certificate(made.ca_certificate.read_bytes())


# -- the certificate rules --------------------------------------------------------------------------------------------


def test_the_names_are_the_loopback_ones_the_machine_its_lan_addresses_and_the_allowed_hosts_each_once() -> None:
    wanted = tls.certificate_names(
        "Trailhead.", ["192.168.1.23", "127.0.1.1", "fe80::1%eth0", "169.254.3.4", "192.168.1.23", "fd12:3456::23"],
        ["Dash.LAN", "dash.lan", ""],
    )  # fmt: skip
    assert wanted == (
        "localhost", "127.0.0.1", "::1", "trailhead", "trailhead.local", "192.168.1.23", "fd12:3456::23", "dash.lan",
    )  # fmt: skip


def test_the_server_certificate_carries_every_name_as_dns_or_ip_and_is_for_servers_only(tmp_path: Path) -> None:
    made = tls.ensure_certificates(tmp_path, names("dash.lan"), NOW, machine=MACHINE)
    certificate = server_certificate(made)
    sans = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert set(sans.get_values_for_type(x509.DNSName)) == {"localhost", "trailhead", "trailhead.local", "dash.lan"}
    assert {str(a) for a in sans.get_values_for_type(x509.IPAddress)} == {
        "127.0.0.1", "::1", "192.168.1.23", "fd12:3456::23",
    }  # fmt: skip
    assert made.names == names("dash.lan")
    usage = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usage) == [ExtendedKeyUsageOID.SERVER_AUTH]
    assert certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    assert certificate.issuer == authority(made).subject


def test_the_authority_is_a_p256_ca_for_ten_years_that_signs_certificates_and_nothing_below(tmp_path: Path) -> None:
    made = tls.ensure_certificates(tmp_path, names(), NOW, machine=MACHINE)
    ca = authority(made)
    common = ca.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    assert [attribute.value for attribute in common] == ["Recovery coach local CA (trailhead)"]
    key = ca.public_key()
    assert isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name == "secp256r1"
    assert timedelta(days=3650) <= ca.not_valid_after_utc - ca.not_valid_before_utc <= timedelta(days=3653)
    constraints = ca.extensions.get_extension_for_class(x509.BasicConstraints)
    assert constraints.critical and constraints.value.ca and constraints.value.path_length == 0
    usage = ca.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.key_cert_sign and not usage.digital_signature


def test_the_server_certificate_lasts_no_more_than_apples_397_days(tmp_path: Path) -> None:
    certificate = server_certificate(tls.ensure_certificates(tmp_path, names(), NOW, machine=MACHINE))
    assert certificate.not_valid_before_utc <= NOW < certificate.not_valid_after_utc
    assert certificate.not_valid_after_utc - certificate.not_valid_before_utc <= timedelta(days=397)


def test_the_fingerprint_is_the_sha256_of_the_authority_in_colon_hex_as_phones_show_it(tmp_path: Path) -> None:
    made = tls.ensure_certificates(tmp_path, names(), NOW, machine=MACHINE)
    der = authority(made).public_bytes(serialization.Encoding.DER)
    digest = hashlib.sha256(der).hexdigest().upper()
    assert made.ca_fingerprint == ":".join(digest[i : i + 2] for i in range(0, 64, 2))
    assert re.fullmatch(r"([0-9A-F]{2}:){31}[0-9A-F]{2}", made.ca_fingerprint)


def test_a_certificate_is_kept_until_30_days_before_its_end_then_issued_again_by_the_same_authority(
    tmp_path: Path,
) -> None:
    first = tls.ensure_certificates(tmp_path, names(), NOW, machine=MACHINE)
    assert first.reissued_because == "there was none yet"
    kept_until = first.server_expires - timedelta(days=31)
    kept = tls.ensure_certificates(tmp_path, names(), kept_until, machine=MACHINE)
    assert kept.reissued_because is None
    assert server_certificate(kept).serial_number == server_certificate(first).serial_number
    renewed = tls.ensure_certificates(tmp_path, names(), first.server_expires - timedelta(days=29), machine=MACHINE)
    assert renewed.reissued_because == f"it ends on {first.server_expires:%Y-%m-%d}"
    assert renewed.server_expires > first.server_expires
    assert renewed.ca_fingerprint == first.ca_fingerprint
    server_certificate(renewed).verify_directly_issued_by(authority(first))


def test_a_new_address_or_allowed_name_issues_a_certificate_naming_it_with_the_same_authority(tmp_path: Path) -> None:
    first = tls.ensure_certificates(tmp_path, names(), NOW, machine=MACHINE)
    moved = names(addresses=["192.168.1.77"])
    renewed = tls.ensure_certificates(tmp_path, moved, NOW + timedelta(days=1), machine=MACHINE)
    assert renewed.reissued_because == "it does not name 192.168.1.77"
    assert "192.168.1.77" in tls.names_in(server_certificate(renewed))
    named = tls.ensure_certificates(tmp_path, (*moved, "coach.home.arpa"), NOW + timedelta(days=2), machine=MACHINE)
    assert named.reissued_because == "it does not name coach.home.arpa"
    assert named.ca_fingerprint == renewed.ca_fingerprint == first.ca_fingerprint
    assert tls.ensure_certificates(tmp_path, moved, NOW + timedelta(days=3), machine=MACHINE).reissued_because is None


def test_a_server_certificate_from_another_authority_or_unreadable_is_replaced(tmp_path: Path) -> None:
    tls.ensure_certificates(tmp_path / "other", names(), NOW, machine="other")
    made = tls.ensure_certificates(tmp_path / "ours", names(), NOW, machine=MACHINE)
    (tmp_path / "ours" / tls.SERVER_FILE).write_bytes((tmp_path / "other" / tls.SERVER_FILE).read_bytes())
    again = tls.ensure_certificates(tmp_path / "ours", names(), NOW, machine=MACHINE)
    assert again.reissued_because == "it was not signed by this machine's certificate authority"
    server_certificate(again).verify_directly_issued_by(authority(made))
    (tmp_path / "ours" / tls.SERVER_FILE).write_bytes(b"half a key")
    assert tls.ensure_certificates(tmp_path / "ours", names(), NOW, machine=MACHINE).reissued_because == (
        "the one there could not be read"
    )


def test_private_keys_are_readable_by_their_owner_alone_and_the_phones_file_holds_no_key(tmp_path: Path) -> None:
    made = tls.ensure_certificates(tmp_path / "tls", names(), NOW, machine=MACHINE)
    for secret in (tmp_path / "tls" / tls.CA_KEY_FILE, made.server_pem):
        assert stat.S_IMODE(secret.stat().st_mode) == 0o600, secret
        assert b"PRIVATE KEY" in secret.read_bytes()
    assert b"PRIVATE KEY" not in made.ca_certificate.read_bytes()
    assert stat.S_IMODE((tmp_path / "tls").stat().st_mode) == 0o700
    assert sorted(p.name for p in (tmp_path / "tls").iterdir()) == sorted(
        [tls.CA_FILE, tls.CA_KEY_FILE, tls.SERVER_FILE]
    ), "no temporary file is left behind"


def _start_once(folder: Path, barrier: Any, said: Any) -> None:
    barrier.wait()
    said.put(tls.ensure_certificates(folder, names(), NOW, machine=MACHINE).ca_fingerprint)


def test_eight_starts_at_once_on_a_fresh_folder_agree_on_one_authority_and_leave_whole_files(tmp_path: Path) -> None:
    context = multiprocessing.get_context("fork")
    barrier, said = context.Barrier(8), context.Queue()
    starts = [context.Process(target=_start_once, args=(tmp_path, barrier, said)) for _ in range(8)]
    for start in starts:
        start.start()
    fingerprints = [said.get(timeout=60) for _ in starts]
    for start in starts:
        start.join(timeout=60)
        assert start.exitcode == 0
    assert len(set(fingerprints)) == 1
    made = tls.ensure_certificates(tmp_path, names(), NOW, machine=MACHINE)
    assert made.ca_fingerprint == fingerprints[0] and made.reissued_because is None
    server_certificate(made).verify_directly_issued_by(authority(made))


def test_an_unreadable_authority_stops_with_one_sentence_naming_its_file(tmp_path: Path) -> None:
    tls.ensure_certificates(tmp_path, names(), NOW, machine=MACHINE)
    (tmp_path / tls.CA_KEY_FILE).write_bytes(b"not a key")
    with pytest.raises(tls.TlsProblem) as raised:
        tls.ensure_certificates(tmp_path, names(), NOW, machine=MACHINE)
    assert str(raised.value).startswith(f"The certificate authority in {tmp_path / tls.CA_KEY_FILE} cannot be read")
    assert "move that file away" in str(raised.value)


def test_a_phone_is_given_ipv4_addresses_first_then_local_names_and_ipv6_only_when_listening_on_it() -> None:
    wanted = names("dash.lan")
    assert tls.phone_addresses("0.0.0.0", 8765, wanted) == [
        "https://192.168.1.23:8765/", "https://trailhead.local:8765/", "https://trailhead:8765/",
        "https://dash.lan:8765/",
    ]  # fmt: skip
    assert tls.phone_addresses("::", 8765, wanted)[-1] == "https://[fd12:3456::23]:8765/"
    assert tls.phone_addresses("192.168.1.23", 9000, wanted, "http") == ["http://192.168.1.23:9000/"]
    assert tls.phone_addresses("127.0.0.1", 8765, wanted) == tls.phone_addresses("localhost", 8765, wanted) == []
    assert tls.phone_addresses("Dash.LAN", 8765, wanted) == ["https://dash.lan:8765/"]


def test_this_machines_addresses_leave_out_loopback_and_link_local() -> None:
    for address in tls.machine_addresses(socket.gethostname()):
        parsed = __import__("ipaddress").ip_address(address)
        assert not (parsed.is_loopback or parsed.is_link_local or parsed.is_unspecified), address


def _handshake_server(made: tls.Certificates) -> tuple[socket.socket, threading.Thread]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(made.server_pem)
    listener = socket.create_server(("127.0.0.1", 0))

    def answer() -> None:
        while True:
            try:
                raw, _ = listener.accept()
            except OSError:
                return
            try:
                with context.wrap_socket(raw, server_side=True) as conn:
                    conn.sendall(b"hello")
            except (ssl.SSLError, OSError):
                continue

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    return listener, thread


def test_a_tls_handshake_verifies_against_the_authority_for_the_machine_name_and_address_only(tmp_path: Path) -> None:
    made = tls.ensure_certificates(tmp_path, names(), datetime.now(UTC), machine=MACHINE)
    listener, _thread = _handshake_server(made)
    port = listener.getsockname()[1]
    try:
        for name in ("trailhead", "trailhead.local", "127.0.0.1", "localhost"):
            with (
                socket.create_connection(("127.0.0.1", port), timeout=5) as raw,
                ca_context(made.ca_certificate).wrap_socket(raw, server_hostname=name) as conn,
            ):
                assert conn.recv(5) == b"hello", name
        with (
            pytest.raises(ssl.SSLCertVerificationError, match="Hostname mismatch"),
            socket.create_connection(("127.0.0.1", port), timeout=5) as raw,
        ):
            ca_context(made.ca_certificate).wrap_socket(raw, server_hostname="elsewhere.example")
        stranger = tls.ensure_certificates(tmp_path / "stranger", names(), datetime.now(UTC), machine="stranger")
        with (
            pytest.raises(ssl.SSLCertVerificationError, match="unable to get local issuer"),
            socket.create_connection(("127.0.0.1", port), timeout=5) as raw,
        ):
            ca_context(stranger.ca_certificate).wrap_socket(raw, server_hostname="trailhead")
    finally:
        listener.close()


def test_chromium_is_told_the_servers_key_as_base64_sha256_of_its_public_key_info(tmp_path: Path) -> None:
    made = tls.ensure_certificates(tmp_path, names(), NOW, machine=MACHINE)
    pem = tls.certificate_pem(made.server_pem)
    key = server_certificate(made).public_key()
    spki = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert spki_sha256(pem) == base64.b64encode(hashlib.sha256(spki).digest()).decode()
    assert chromium_args_trusting(pem) == [f"--ignore-certificate-errors-spki-list={spki_sha256(pem)}"]
    assert b"PRIVATE KEY" not in pem


# -- the dashboard in-process -----------------------------------------------------------------------------------------


LAN_HTTPS = "https://192.168.1.23:8765"


def signed_in(app: Flask, base_url: str) -> FlaskClient:
    """A client signed in with the password, as a phone at `base_url` would be."""
    set_password(app.extensions["recovery.store"], PASSWORD)
    client = app.test_client()
    login = client.get("/login", base_url=base_url).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', login)
    assert token, login
    answer = client.post("/login", data={"csrf_token": token.group(1), "password": PASSWORD}, base_url=base_url)
    assert answer.status_code == 302, answer.get_data(as_text=True)
    return client


@pytest.fixture
def tls_app(db_url: str, tmp_path: Path) -> Iterator[Flask]:
    """The dashboard as `serve --host 0.0.0.0` makes it: HTTPS with this machine's certificates, sign-in needed."""
    made = tls.ensure_certificates(tmp_path / "tls", names(), NOW, machine=MACHINE)
    app = create_app(
        {
            "DATABASE_URL": db_url, "CLOCK": lambda: NOW, "TESTING": True, "TLS_CERTIFICATES": made,
            "LOGIN_REQUIRED": True, "ALLOW_IP_HOSTS": True,
            "ALLOWED_HOSTS": frozenset({"trailhead", "trailhead.local"}),
            "PHONE_ADDRESSES": ("https://192.168.1.23:8765/", "https://trailhead.local:8765/"),
        }
    )  # fmt: skip
    yield app
    app.extensions["recovery.store"].close()


def test_with_tls_the_settings_page_shows_the_address_its_qr_code_the_fingerprint_and_the_steps(tls_app: Flask) -> None:
    page = signed_in(tls_app, LAN_HTTPS).get("/settings", base_url=LAN_HTTPS).get_data(as_text=True)
    section = page[page.index('id="phone"') :]
    made: tls.Certificates = tls_app.config["TLS_CERTIFICATES"]
    assert made.ca_fingerprint in section
    assert "<code>https://192.168.1.23:8765/</code>" in section
    assert "<code>https://trailhead.local:8765/</code>" in section
    svg = re.search(r"<svg [^>]*>.*?</svg>", section, re.S)
    assert svg and 'class="qr"' in svg.group(0)
    assert "<title>QR code of https://192.168.1.23:8765/</title>" in svg.group(0), "the first address, named"
    assert "style=" not in svg.group(0), "the page's CSP allows no inline style"
    assert 'href="/phone/ca.crt"' in section
    for step in ("Encryption &amp; credentials", "Install a certificate", "VPN &amp; Device Management",
                 "Certificate Trust Settings"):  # fmt: skip
        assert step in section, step


def test_the_authority_download_is_its_certificate_alone_as_a_ca_certificate(tls_app: Flask) -> None:
    assert tls_app.test_client().get("/phone/ca.crt", base_url=LAN_HTTPS).status_code == 302, "sign in first"
    response = signed_in(tls_app, LAN_HTTPS).get("/phone/ca.crt", base_url=LAN_HTTPS)
    assert response.status_code == 200
    assert response.mimetype == "application/x-x509-ca-cert"
    assert 'filename="recovery-coach-ca.crt"' in response.headers["Content-Disposition"]
    made: tls.Certificates = tls_app.config["TLS_CERTIFICATES"]
    assert x509.load_pem_x509_certificate(response.data) == authority(made)
    assert b"PRIVATE" not in response.data


def test_with_tls_the_session_cookie_is_secure_and_no_page_pins_browsers_to_https(tls_app: Flask) -> None:
    response = tls_app.test_client().get("/login", base_url=LAN_HTTPS)
    assert "Secure" in response.headers["Set-Cookie"]
    assert "Strict-Transport-Security" not in response.headers


def test_on_localhost_the_phone_section_says_how_to_start_it_for_the_phone_and_there_is_no_authority(
    client: FlaskClient,
) -> None:
    settings = client.get("/settings")
    cookie = settings.headers.get("Set-Cookie")
    assert cookie and "session=" in cookie and "Secure" not in cookie
    page = settings.get_data(as_text=True)
    section = page[page.index('id="phone"') :]
    assert "<code>recovery serve --host 0.0.0.0</code>" in section and "<code>recovery password set</code>" in section
    assert "<svg" not in section
    response = client.get("/phone/ca.crt")
    assert response.status_code == 404
    assert "not serving its own certificate" in response.get_data(as_text=True)


def test_beyond_localhost_without_tls_the_phone_section_says_the_phone_will_not_allow_the_screen_to_stay_awake(
    db_url: str,
) -> None:
    app = create_app(
        {
            "DATABASE_URL": db_url, "CLOCK": lambda: NOW, "LOGIN_REQUIRED": True, "ALLOW_IP_HOSTS": True,
            "PHONE_ADDRESSES": ("http://192.168.1.23:8765/",),
        }
    )  # fmt: skip
    try:
        page = signed_in(app, "http://192.168.1.23:8765").get("/settings", base_url="http://192.168.1.23:8765")
        page = page.get_data(as_text=True)
        section = page[page.index('id="phone"') :]
        assert "<code>http://192.168.1.23:8765/</code>" in section
        assert "will not keep the screen awake" in section and "ca.crt" not in section
    finally:
        app.extensions["recovery.store"].close()


# -- real servers ----------------------------------------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def _opener(context: ssl.SSLContext | None) -> tuple[urllib.request.OpenerDirector, http.cookiejar.CookieJar]:
    jar = http.cookiejar.CookieJar()
    handlers: list[urllib.request.BaseHandler] = [urllib.request.HTTPCookieProcessor(jar), _NoRedirect()]
    if context is not None:
        handlers.append(urllib.request.HTTPSHandler(context=context))
    return urllib.request.build_opener(*handlers), jar


def _sign_in(opener: urllib.request.OpenerDirector, base: str, headers: dict[str, str] | None = None) -> None:
    page = opener.open(urllib.request.Request(base + "/login", headers=headers or {}), timeout=10).read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token, page
    body = urllib.parse.urlencode({"csrf_token": token.group(1), "password": PASSWORD}).encode()
    try:
        opener.open(urllib.request.Request(base + "/login", data=body, headers=headers or {}), timeout=10)
    except urllib.error.HTTPError as redirect:
        assert redirect.code == 302, redirect.read().decode()
    else:
        pytest.fail("signing in did not redirect")


@pytest.fixture
def started() -> Iterator[list[HttpsServer]]:
    servers: list[HttpsServer] = []
    yield servers
    for server in servers:
        server.stop()


@pytest.mark.slow
def test_serve_on_the_network_speaks_https_verified_against_its_own_authority(
    tmp_path: Path, started: list[HttpsServer]
) -> None:
    server = HttpsServer(tmp_path)
    started.append(server.start())
    said = server.log.read_text()
    made_fingerprint = tls.fingerprint(x509.load_pem_x509_certificate(server.ca_certificate.read_bytes()))
    assert "Recovery coach on https://0.0.0.0:" in said and made_fingerprint in said

    opener, jar = _opener(server.context())
    _sign_in(opener, server.url)  # the sign-in form's CSRF check passes over HTTPS, with no Referer sent
    assert [cookie.secure for cookie in jar if cookie.name == "session"] == [True]
    with opener.open(server.url + "/settings", timeout=10) as response:
        assert "Strict-Transport-Security" not in response.headers
        page = response.read().decode()
    section = page[page.index('id="phone"') :]
    assert made_fingerprint in section and '<svg role="img"' in section
    assert f"<code>{server.url}/</code>" in section
    with opener.open(server.url + "/phone/ca.crt", timeout=10) as response:
        assert response.headers.get_content_type() == "application/x-x509-ca-cert"
        assert tls.fingerprint(x509.load_pem_x509_certificate(response.read())) == made_fingerprint


@pytest.mark.slow
def test_plain_http_to_the_https_port_is_sent_to_https_at_once(tmp_path: Path, started: list[HttpsServer]) -> None:
    server = HttpsServer(tmp_path)
    started.append(server.start())
    plain = http.client.HTTPConnection(urllib.parse.urlsplit(server.url).netloc, timeout=5)
    try:
        plain.request("GET", "/settings?units=km")
        response = plain.getresponse()
        assert response.status == 307
        assert response.getheader("Location") == server.url + "/settings?units=km"
        assert "speaks HTTPS only" in response.read().decode()
    finally:
        plain.close()
    with server.open("/healthz") as response:  # and the server goes on answering HTTPS
        assert response.status == 200


@pytest.mark.slow
def test_behind_a_proxy_the_forwarded_scheme_and_host_are_believed_and_a_password_is_asked(
    tmp_path: Path, started: list[HttpsServer]
) -> None:
    proxied = HttpsServer(tmp_path / "proxied", ["--behind-proxy", "--allow-host", "coach.example"], "127.0.0.1")
    started.append(proxied.start())
    assert not proxied.tls_folder.exists(), "behind a proxy the server makes no certificates of its own"
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "coach.example", "X-Forwarded-For": "192.168.1.50"}
    opener, _jar = _opener(None)
    with pytest.raises(urllib.error.HTTPError) as refused:
        opener.open(urllib.request.Request(proxied.url + "/", headers=forwarded), timeout=10)
    assert refused.value.code == 302 and refused.value.headers["Location"].startswith("/login")
    _sign_in(opener, proxied.url, forwarded)
    page = opener.open(urllib.request.Request(proxied.url + "/settings", headers=forwarded), timeout=10).read()
    assert b"<code>https://coach.example/</code>" in page
    stranger = {**forwarded, "X-Forwarded-Host": "elsewhere.example"}
    with pytest.raises(urllib.error.HTTPError) as foreign:
        opener.open(urllib.request.Request(proxied.url + "/", headers=stranger), timeout=10)
    assert foreign.value.code == 400 and b"does not answer to the name elsewhere.example" in foreign.value.read()


@pytest.mark.slow
def test_on_localhost_it_stays_plain_http_and_ignores_forwarded_headers(
    tmp_path: Path, started: list[HttpsServer]
) -> None:
    local = HttpsServer(tmp_path, address="127.0.0.1", host="127.0.0.1")
    started.append(local.start())
    assert local.url.startswith("http://127.0.0.1:")
    assert "Recovery coach on http://127.0.0.1:" in local.log.read_text()
    assert not local.tls_folder.exists(), "on localhost no certificate is made"
    with urllib.request.urlopen(local.url + "/settings", timeout=10) as response:
        assert "<code>recovery serve --host 0.0.0.0</code>" in response.read().decode()
    request = urllib.request.Request(local.url + "/healthz", headers={"X-Forwarded-Host": "elsewhere.example"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200, "without --behind-proxy a forwarded name is not believed"


def _served_certificate(server: HttpsServer) -> x509.Certificate:
    """The certificate the server shows in a handshake now, verified against its authority for the LAN address."""
    split = urllib.parse.urlsplit(server.url)
    with (
        socket.create_connection((split.hostname, split.port), timeout=5) as raw,
        server.context().wrap_socket(raw, server_hostname=split.hostname) as conn,
    ):
        der = conn.getpeercert(binary_form=True)
    assert der is not None
    return x509.load_der_x509_certificate(der)


@pytest.mark.slow
def test_a_running_server_replaces_a_certificate_that_needs_it_without_a_restart(
    tmp_path: Path, started: list[HttpsServer]
) -> None:
    server = HttpsServer(tmp_path / "ours", env={"RECOVERY_TLS_RECHECK_S": "0.3"})
    started.append(server.start())
    first = _served_certificate(server)
    # The kept file goes bad (signed by another authority): the next check issues a new one, served at once.
    other = tls.ensure_certificates(tmp_path / "other", names(), datetime.now(UTC), machine="other")
    (server.tls_folder / tls.SERVER_FILE).write_bytes(other.server_pem.read_bytes())
    deadline = time.monotonic() + 15
    while (served := _served_certificate(server)).serial_number == first.serial_number:
        assert time.monotonic() < deadline, "the server kept serving its first certificate"
        time.sleep(0.1)
    assert served.serial_number == server_certificate_on_disk(server).serial_number
    assert "A new server certificate, because it was not signed by this machine's certificate authority." in (
        server.log.read_text()
    )


def server_certificate_on_disk(server: HttpsServer) -> x509.Certificate:
    return x509.load_pem_x509_certificate(server.server_certificate_pem())


def test_tls_and_behind_proxy_together_are_refused_in_one_sentence(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'r.sqlite3'}"
    result = CliRunner().invoke(cli, ["--db", database, "serve", "--behind-proxy", "--tls"])
    assert result.exit_code == 2
    assert "refusing --tls with --behind-proxy" in result.output


def test_behind_a_proxy_without_a_password_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RECOVERY_PASSWORD", raising=False)
    result = CliRunner().invoke(cli, ["--db", f"sqlite:///{tmp_path / 'r.sqlite3'}", "serve", "--behind-proxy"])
    assert result.exit_code == 2
    assert "refusing to serve behind a proxy without a password" in result.output


# -- the browser -----------------------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.browser
def test_over_https_at_the_lan_address_a_phone_page_is_a_secure_context_and_over_http_it_is_not(
    tmp_path: Path, started: list[HttpsServer], playwright: Playwright
) -> None:
    from tests.browser import CHROMIUM, CHROMIUM_ARGS, PHONE, PageProblems

    address = lan_address()
    if address is None:
        pytest.skip("this machine has no LAN IPv4 address to open the dashboard at, as a phone would")
    secure = HttpsServer(tmp_path / "https", address=address)
    plain = HttpsServer(tmp_path / "http", ["--no-tls"], address=address)
    started += [secure.start(), plain.start()]
    problems = PageProblems()
    probe = "() => [window.isSecureContext, 'wakeLock' in navigator, 'serviceWorker' in navigator]"
    trusting = chromium_args_trusting(secure.server_certificate_pem())
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=[*CHROMIUM_ARGS, *trusting])
    try:
        context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
        page = problems.watch(context.new_page())
        page.goto(secure.url + "/settings")
        assert page.url.startswith(secure.url + "/login"), page.url
        assert page.evaluate(probe) == [True, True, True]
        page.fill("input[name=password]", PASSWORD)
        page.keyboard.press("Enter")
        page.wait_for_url(secure.url + "/settings")
        phone = page.locator("#phone")
        phone.scroll_into_view_if_needed()
        assert phone.locator("svg.qr").is_visible()
        fingerprint = tls.fingerprint(x509.load_pem_x509_certificate(secure.ca_certificate.read_bytes()))
        assert phone.locator(".fingerprint").inner_text() == fingerprint
        sideways = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert sideways <= 0, f"the settings page scrolls {sideways} px sideways at phone width"
        page.goto(plain.url + "/")
        assert page.url.startswith(f"http://{address}:"), page.url
        assert page.evaluate("() => window.isSecureContext") is False
        context.close()
    finally:
        browser.close()
    problems.assert_none()


@pytest.mark.slow
@pytest.mark.browser
def test_over_https_a_phone_keeps_the_screen_awake_runs_the_worker_and_finishes_a_routine_offline(
    tmp_path: Path, started: list[HttpsServer], playwright: Playwright
) -> None:
    """The whole front-door case on the service's own certificate: signed in on the phone, the app's worker
    installed, the Wi-Fi gone after the timer page loaded; the screen is held awake through the routine and let
    go at its end, and what was done is stored once when the network returns."""
    from playwright.sync_api import expect

    from recovery.store import Store
    from tests.browser import CHROMIUM, CHROMIUM_ARGS, PHONE, PageProblems

    address = lan_address()
    if address is None:
        pytest.skip("this machine has no LAN IPv4 address to open the dashboard at, as a phone would")
    secure = HttpsServer(tmp_path / "https", address=address, env={"RECOVERY_TIMER_SPEED_ALLOWED": "1"})
    started.append(secure.start())
    problems = PageProblems()
    trusting = chromium_args_trusting(secure.server_certificate_pem())
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=[*CHROMIUM_ARGS, *trusting])
    timer = secure.url + "/timer/warmup?speed=20"
    try:
        context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
        page = problems.watch(context.new_page())
        page.goto(secure.url + "/")
        page.fill("input[name=password]", PASSWORD)
        page.keyboard.press("Enter")
        page.wait_for_url(secure.url + "/")
        page.goto(timer)
        page.evaluate("navigator.serviceWorker.ready.then(function () { return true; })")
        reloaded = page.reload()
        assert reloaded is not None
        page.wait_for_function("() => navigator.serviceWorker.controller !== null")

        context.set_offline(True)
        body = page.locator("body")
        page.locator("#start").tap()
        expect(body).to_have_attribute("data-awake", "wake-lock")
        expect(body).to_have_attribute("data-timer-state", "done", timeout=60_000)
        expect(body).to_have_attribute("data-awake", "released")
        expect(page.get_by_test_id("done-message")).to_have_text(
            "Kept on this phone: it is saved as soon as the connection returns.")
        with Store(secure.db_url) as store:
            assert store.routine_sessions() == []

        context.set_offline(False)
        expect(page.get_by_test_id("done-message")).to_have_text(re.compile(r"^Well done: 4 of 4 moves recorded\.$"))
        with Store(secure.db_url) as store:
            stored = store.routine_sessions()
        assert [(s.phase, s.items_done, s.completed) for s in stored] == [("warmup", 4, True)]
        context.close()
    finally:
        browser.close()
    problems.seen = [p for p in problems.seen if "ERR_INTERNET_DISCONNECTED" not in p]
    problems.assert_none()
