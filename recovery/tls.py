"""This machine's own certificate authority, so a phone on the home network gets a secure origin.

A page served over plain HTTP to a phone is not a secure context: the
browser then refuses the screen wake lock, service workers, notifications
and installing the dashboard. `recovery serve` beyond 127.0.0.1 therefore
serves HTTPS with a server certificate signed by a small certificate
authority it makes once and keeps. The runner installs that authority's
certificate on the phone once (the settings page shows how); every later
server certificate, re-issued when it nears its end or when the machine's
addresses change, is trusted without another step.

The files live in a `tls` folder beside the database's data folder
(RECOVERY_TLS_DIR overrides it): `ca.crt` (public: what a phone installs),
`ca-key.pem` (the authority's key and certificate, 0600) and `server.pem`
(the server's key and certificate, 0600, what the server loads). Each file
is written whole under a temporary name and then put in place, so two starts
at once never leave a half-written key, and the authority is made only once:
the second start finds the first one's.

The rules (which names a certificate must carry, when to re-issue) are plain
functions over certificates with `now` passed in; only `ensure_certificates`
and `machine_addresses` touch files and sockets.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import socket
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import platformdirs
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from recovery.database import APP_NAME

ENV_TLS_DIR = "RECOVERY_TLS_DIR"
CA_FILE = "ca.crt"
CA_KEY_FILE = "ca-key.pem"
SERVER_FILE = "server.pem"
#: The authority outlives many phones: ten years, so the runner installs it once.
CA_LIFETIME = timedelta(days=3652)
#: Apple's devices refuse a server certificate valid for more than 398 days; one day less, to be safe.
SERVER_LIFETIME = timedelta(days=397)
#: A server certificate this close to its end is replaced at the next start.
RENEW_WITHIN = timedelta(days=30)
#: Certificates start a little in the past, so a phone whose clock runs slow still accepts a new one.
BACKDATE = timedelta(hours=1)
#: Names every certificate carries, whatever the machine's addresses.
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


class TlsProblem(RuntimeError):
    """The certificate files cannot be read or written; the message is one sentence naming the file."""


@dataclass(frozen=True)
class Certificates:
    """What `serve` and the settings page need: the files, and how a runner recognises the authority."""

    folder: Path
    #: The authority's certificate alone (PEM): what a phone installs; never a key.
    ca_certificate: Path
    #: The server's private key and certificate in one PEM file (0600): what the server loads.
    server_pem: Path
    #: SHA-256 of the authority's certificate, as phones show it: 'AB:12:...'.
    ca_fingerprint: str
    #: The names and addresses the server certificate is valid for.
    names: tuple[str, ...]
    server_expires: datetime
    #: The server certificate's serial number: a running server compares it with the one it serves.
    server_serial: int
    #: Why a new server certificate was issued at this start ('there was none yet', ...), or None if kept.
    reissued_because: str | None = None


# -- where the files live ----------------------------------------------------------------


def default_folder() -> Path:
    """RECOVERY_TLS_DIR, or `tls` in the per-user data folder (where the SQLite database lives too)."""
    configured = os.environ.get(ENV_TLS_DIR)
    if configured:
        return Path(configured).expanduser()
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "tls"


# -- the names a certificate must carry (pure) -------------------------------------------


def _address(name: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(name.split("%", 1)[0])
    except ValueError:
        return None


def _reachable_from_lan(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """An address a phone could type: not loopback, link-local (needs an interface name), multicast or 0.0.0.0."""
    return not (address.is_loopback or address.is_link_local or address.is_multicast or address.is_unspecified)


def _normal_name(name: str) -> str | None:
    """A name as a certificate holds it: an address in its standard form, a DNS name lower-cased in ASCII."""
    text = name.strip().lower().rstrip(".")
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    if not text:
        return None
    address = _address(text)
    if address is not None:
        return str(address)
    try:
        ascii_name = text.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    return ascii_name if all(label for label in ascii_name.split(".")) else None


def certificate_names(machine: str, addresses: Iterable[str], extra: Iterable[str] = ()) -> tuple[str, ...]:
    """Every name the server certificate must carry, in a stable order, each once.

    The loopback names, this machine's host name and NAME.local, its LAN
    addresses, and the names given with --allow-host.
    """
    wanted = [*LOOPBACK_NAMES]
    machine_name = _normal_name(machine) if machine else None
    if machine_name and _address(machine_name) is None:
        wanted += [machine_name, machine_name.removesuffix(".local") + ".local"]
    for address in addresses:
        parsed = _address(address)
        if parsed is not None and _reachable_from_lan(parsed):
            wanted.append(str(parsed))
    wanted += [name for name in map(_normal_name, extra) if name]
    return tuple(dict.fromkeys(wanted))


def names_in(certificate: x509.Certificate) -> set[str]:
    """The DNS names and addresses a certificate's subjectAltName holds, in `_normal_name` form."""
    try:
        sans = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return set()
    found = {name.lower() for name in sans.get_values_for_type(x509.DNSName)}
    found |= {str(address) for address in sans.get_values_for_type(x509.IPAddress)}
    return found


def renewal_reason(
    certificate: x509.Certificate, authority: x509.Certificate, names: Iterable[str], now: datetime
) -> str | None:
    """Why this server certificate must be replaced now, in words, or None while it still serves."""
    try:
        certificate.verify_directly_issued_by(authority)
    except (ValueError, TypeError, InvalidSignature):
        return "it was not signed by this machine's certificate authority"
    if certificate.not_valid_before_utc > now:
        return "it starts in the future (the clock was changed)"
    if certificate.not_valid_after_utc - now <= RENEW_WITHIN:
        return f"it ends on {certificate.not_valid_after_utc:%Y-%m-%d}"
    missing = [name for name in names if _normal_name(name) not in names_in(certificate)]
    if missing:
        return "it does not name " + ", ".join(missing)
    return None


def fingerprint(certificate: x509.Certificate) -> str:
    """SHA-256 of the certificate in the colon-separated upper-case hex that Android and iOS show."""
    return certificate.fingerprint(hashes.SHA256()).hex(":").upper()


def phone_addresses(bound_host: str, port: int, names: Iterable[str], scheme: str = "https") -> list[str]:
    """The addresses to open on a phone, best first: IPv4 addresses, NAME.local, other names, IPv6 addresses.

    Listening on one address, only that one works; on 0.0.0.0, every IPv4
    address and name; on ::, IPv6 addresses too. Loopback names never reach
    this machine from a phone, so they are left out.
    """
    bound = _address(bound_host.strip("[]")) if bound_host else ipaddress.ip_address("0.0.0.0")
    if bound is None:  # a name given to --host: that name is what reaches it
        hosts = [] if bound_host.lower() in LOOPBACK_NAMES else [bound_host.lower()]
    elif not bound.is_unspecified:
        hosts = [] if bound.is_loopback else [str(bound)]
    else:

        def rank(name: str) -> int:
            address = _address(name)
            if address is None:
                return 1 if name.endswith(".local") else 2
            return 0 if address.version == 4 else 3

        ipv6 = bound.version == 6
        candidates = [name for name in names if name not in LOOPBACK_NAMES and (ipv6 or rank(name) != 3)]
        hosts = sorted(candidates, key=rank)  # sorted is stable: within a rank, the order given
    return [f"{scheme}://{f'[{host}]' if ':' in host else host}:{port}/" for host in hosts]


# -- making certificates (pure but for the random keys) ---------------------------------


def _name_for(text: str) -> x509.GeneralName:
    address = _address(text)
    return x509.IPAddress(address) if address is not None else x509.DNSName(text)


def _key_usage(*, signs_certificates: bool) -> x509.KeyUsage:
    """An authority signs certificates (and revocation lists) only; a server signs its TLS handshakes only."""
    return x509.KeyUsage(
        digital_signature=not signs_certificates,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=signs_certificates,
        crl_sign=signs_certificates,
        encipher_only=False,
        decipher_only=False,
    )


_SIGNS_CERTIFICATES = _key_usage(signs_certificates=True)
_SIGNS_HANDSHAKES = _key_usage(signs_certificates=False)


def new_authority(machine: str, now: datetime) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """A certificate authority for this machine alone: ECDSA P-256, ten years, signing servers and nothing below."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, f"Recovery coach local CA ({machine or 'this machine'})"[:64]),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Recovery coach"),
        ]
    )
    public = key.public_key()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now - BACKDATE + CA_LIFETIME)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_SIGNS_CERTIFICATES, critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, certificate


def new_server_certificate(
    authority_key: ec.EllipticCurvePrivateKey, authority: x509.Certificate, names: Iterable[str], now: datetime
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """A server certificate for these names, signed by the authority, valid for SERVER_LIFETIME."""
    normal = [name for name in dict.fromkeys(map(_normal_name, names)) if name]
    if not normal:
        raise ValueError("a server certificate needs at least one name")
    key = ec.generate_private_key(ec.SECP256R1())
    common = next((name for name in normal if _address(name) is None and name != "localhost"), normal[0])
    not_before = now - BACKDATE
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common[:64])]))
        .issuer_name(authority.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(min(not_before + SERVER_LIFETIME, authority.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_SIGNS_HANDSHAKES, critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName([_name_for(name) for name in normal]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(authority.public_key()),  # type: ignore[arg-type]
            critical=False,
        )
        .sign(authority_key, hashes.SHA256())
    )
    return key, certificate


def _pem(key: ec.EllipticCurvePrivateKey, certificate: x509.Certificate) -> bytes:
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return private + certificate.public_bytes(serialization.Encoding.PEM)


def _read_pair(data: bytes) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """A key and the certificate for it from one PEM file; ValueError when they do not belong together."""
    key = serialization.load_pem_private_key(data, password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError("its key is not an elliptic-curve key")
    certificate = x509.load_pem_x509_certificate(data)
    if certificate.public_key() != key.public_key():
        raise ValueError("its key and certificate do not belong together")
    return key, certificate


def certificate_pem(path: Path) -> bytes:
    """The first certificate in a PEM file, and only it (never a key): what a phone is given."""
    return x509.load_pem_x509_certificate(path.read_bytes()).public_bytes(serialization.Encoding.PEM)


# -- the files ----------------------------------------------------------------------------


def _temporary(folder: Path, name: str, data: bytes, mode: int) -> Path:
    """`data` in a new file beside `name`, already flushed to disk, with `mode` from its first byte."""
    handle, temp = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".tmp")  # mkstemp makes it 0600
    try:
        if mode != 0o600:
            os.chmod(temp, mode)
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    return Path(temp)


def _replace(path: Path, data: bytes, mode: int) -> None:
    """Write `path` whole: a reader sees the old file or the new one, never half of one."""
    os.replace(_temporary(path.parent, path.name, data, mode), path)


def _create_once(path: Path, data: bytes, mode: int) -> bool:
    """Put `data` at `path` unless something is there already (then False): of two starts at once, one wins."""
    temp = _temporary(path.parent, path.name, data, mode)
    try:
        os.link(temp, path)
    except FileExistsError:
        return False
    except OSError:  # a file system without hard links: the same, with a moment's gap between look and write
        if path.exists():
            return False
        os.replace(temp, path)
        return True
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temp)
    return True


def _authority(folder: Path, machine: str, now: datetime) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    path = folder / CA_KEY_FILE
    if not path.exists():
        key, certificate = new_authority(machine, now)
        _create_once(path, _pem(key, certificate), 0o600)
    try:
        key, certificate = _read_pair(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise TlsProblem(
            f"The certificate authority in {path} cannot be read ({exc}): move that file away and start again to make "
            "a new one, then install the new one on your phone."
        ) from exc
    public = folder / CA_FILE
    wanted = certificate.public_bytes(serialization.Encoding.PEM)
    try:
        current = public.read_bytes()
    except OSError:
        current = b""
    if current != wanted:
        _replace(public, wanted, 0o644)
    return key, certificate


def ensure_certificates(folder: Path, names: Iterable[str], now: datetime, *, machine: str = "") -> Certificates:
    """The authority (made once) and a server certificate for `names`, issued again when `renewal_reason` says.

    `machine` names the authority when it is first made ("Recovery coach
    local CA (machine)"). Raises TlsProblem, one sentence naming the file,
    when the folder or the authority cannot be used.
    """
    wanted = tuple(dict.fromkeys(name for name in map(_normal_name, names) if name))
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        authority_key, authority = _authority(folder, machine, now)
        server_path = folder / SERVER_FILE
        reason: str | None
        try:
            _key, certificate = _read_pair(server_path.read_bytes())
        except FileNotFoundError:
            reason = "there was none yet"
        except (OSError, ValueError):
            reason = "the one there could not be read"
        else:
            reason = renewal_reason(certificate, authority, wanted, now)
        if reason is not None:
            key, certificate = new_server_certificate(authority_key, authority, wanted, now)
            _replace(server_path, _pem(key, certificate), 0o600)
    except OSError as exc:
        raise TlsProblem(
            f"The certificate folder {folder} cannot be used ({exc.strerror or exc}): make it writable, or name "
            f"another with {ENV_TLS_DIR}."
        ) from exc
    return Certificates(
        folder=folder,
        ca_certificate=folder / CA_FILE,
        server_pem=server_path,
        ca_fingerprint=fingerprint(authority),
        names=_in_order(names_in(certificate), wanted),
        server_expires=certificate.not_valid_after_utc,
        server_serial=certificate.serial_number,
        reissued_because=reason,
    )


def _in_order(names: set[str], wanted: tuple[str, ...]) -> tuple[str, ...]:
    """The names a certificate holds, those asked for first in the order asked."""
    return tuple(n for n in wanted if n in names) + tuple(sorted(names - set(wanted)))


# -- this machine's addresses --------------------------------------------------------------


#: Any address beyond the LAN: a UDP socket "connected" to it sends nothing, but the system picks the
#: source address it would use, which is this machine's address on the network with the default route.
_ROUTE_PROBES = ((socket.AF_INET, "192.0.2.1"), (socket.AF_INET6, "2001:db8::1"))


def machine_addresses(machine: str) -> list[str]:
    """This machine's LAN addresses (IPv4 and IPv6), found without sending a packet; none when offline.

    What the host name resolves to, plus the source address of the default
    route in each family; loopback and link-local addresses are left out.
    """
    found: list[str] = []
    with contextlib.suppress(OSError, UnicodeError):
        for *_, sockaddr in socket.getaddrinfo(machine, None, type=socket.SOCK_STREAM):
            found.append(str(sockaddr[0]))
    for family, probe in _ROUTE_PROBES:
        with contextlib.suppress(OSError), socket.socket(family, socket.SOCK_DGRAM) as sock:
            sock.connect((probe, 9))
            found.append(str(sock.getsockname()[0]))
    usable = []
    for text in found:
        address = _address(text)
        if address is not None and _reachable_from_lan(address):
            usable.append(str(address))
    return sorted(dict.fromkeys(usable), key=lambda a: (":" in a, usable.index(a)))
