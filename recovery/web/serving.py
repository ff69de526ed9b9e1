"""`recovery serve` as one library call: the checks before it listens, then the dashboard, the folder watchers
and, beyond this machine, HTTPS with a certificate kept fresh.

How it listens follows from the address (`ServePlan`): on 127.0.0.1 plain
HTTP and no password; beyond it a password and HTTPS from this machine's own
certificate authority (`recovery.tls`), unless told `--no-tls`; behind the
runner's own TLS proxy (`--behind-proxy`) plain HTTP to the proxy, its
forwarded headers believed, and a password even on 127.0.0.1.
"""

from __future__ import annotations

import gc
import ipaddress
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from recovery import tls
from recovery.access import (
    ENV_ALLOWED_HOSTS,
    ENV_PASSWORD,
    allowed_names,
    env_password,
    has_password,
    names_from_env,
    password_problem,
)
from recovery.clock import utcnow
from recovery.store import Store
from recovery.watchers.rules import DEFAULT_INTERVAL_S


class ServeRefused(Exception):
    """The service will not start as asked; the message says why and what to do, in one sentence."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class ServePlan:
    """How the dashboard is to listen, as `recovery serve` was asked."""

    host: str = "127.0.0.1"
    port: int = 8765
    watch: bool = True
    interval_s: float = DEFAULT_INTERVAL_S
    allow_hosts: tuple[str, ...] = ()
    tls: bool | None = None  # None: HTTPS exactly when beyond this machine
    behind_proxy: bool = False

    @property
    def local(self) -> bool:
        return is_loopback(self.host)

    @property
    def uses_tls(self) -> bool:
        return (not self.local if self.tls is None else self.tls) and not self.behind_proxy

    @property
    def needs_password(self) -> bool:
        # Behind a proxy every request comes from the proxy's machine, often this one: a password all the same.
        return not self.local or self.behind_proxy

    def named_hosts(self) -> list[str]:
        """The host names given with --allow-host and in RECOVERY_ALLOWED_HOSTS."""
        return [*self.allow_hosts, *names_from_env(os.environ.get(ENV_ALLOWED_HOSTS))]


def refusal(plan: ServePlan, store: Store) -> str | None:
    """Why the service must not start as planned, in one sentence; None when it may."""
    if plan.behind_proxy and plan.tls:
        return ("refusing --tls with --behind-proxy: your proxy speaks HTTPS to the browser, and this server plain "
                "HTTP to your proxy.")  # fmt: skip
    from_env = env_password()
    if from_env is not None and (problem := password_problem(from_env)):
        return f"refusing to start: {ENV_PASSWORD} is not usable, because {problem}."
    if plan.needs_password and not has_password(store):
        if plan.behind_proxy:
            return ("refusing to serve behind a proxy without a password: everyone your proxy lets in could read "
                    "your health data. Set one with `recovery password set` (or RECOVERY_PASSWORD).")  # fmt: skip
        return (f"refusing to listen on {plan.host} without a password: anyone on your network could read your "
                "health data. Set one with `recovery password set` (or RECOVERY_PASSWORD), or keep the default "
                "127.0.0.1.")  # fmt: skip
    return None


def run(plan: ServePlan, database_url: str, *, say: Callable[[str], None]) -> None:
    """Serve until Ctrl-C or SIGTERM, saying what a runner needs to know (the addresses, the fingerprint) through
    `say`. Raises ServeRefused when HTTPS cannot be set up; check `refusal` first."""
    from recovery.watchers.service import FolderSync
    from recovery.web import create_app
    from recovery.web import serve as serve_app
    from recovery.web.imports import parse_pool

    machine = socket.gethostname()
    named = plan.named_hosts()

    def certificates_now() -> tls.Certificates:
        """The certificates for this machine's names and addresses as they are now (they change with the network)."""
        wanted = tls.certificate_names(machine, tls.machine_addresses(machine), named)
        return tls.ensure_certificates(tls.default_folder(), wanted, utcnow(), machine=machine)

    made = None
    if plan.uses_tls:
        try:
            made = certificates_now()
        except tls.TlsProblem as exc:
            raise ServeRefused(f"refusing to start with HTTPS: {exc}") from exc
    app = create_app(
        {
            "DATABASE_URL": database_url,
            "LOGIN_REQUIRED": plan.needs_password,
            "ALLOWED_HOSTS": allowed_names(named, beyond_loopback=not plan.local, machine=machine),
            "ALLOW_IP_HOSTS": not plan.local,
            "TLS_CERTIFICATES": made,
            "BEHIND_PROXY": plan.behind_proxy,
        }
    )
    sync = None
    if plan.watch:
        with app.app_context():  # one pool of parsing workers for the uploads and the watchers
            pool = parse_pool()
        sync = FolderSync(app.extensions["recovery.store"], clock=utcnow, interval_s=plan.interval_s, parser=pool)
        sync.start()
    # Everything loaded so far (the app, the coach's data, the libraries) lives as long as the server:
    # leaving it out of the garbage collector's full passes keeps them from stalling requests.
    gc.collect()
    gc.freeze()

    scheme = "https" if made is not None else "http"
    listening = {"port": plan.port, "serial": made.server_serial if made is not None else 0}

    def renew_tls() -> Path | None:
        """The server certificate file when it is not the one served (renewed here, or by another start); else None."""
        try:
            fresh = certificates_now()
        except tls.TlsProblem as exc:
            say(f"{exc} The current certificate is still served.")
            return None
        if fresh.server_serial == listening["serial"]:
            return None
        listening["serial"] = fresh.server_serial
        app.config["TLS_CERTIFICATES"] = fresh
        if not plan.local:
            addresses = tls.phone_addresses(plan.host, listening["port"], fresh.names, scheme)
            app.config["PHONE_ADDRESSES"] = tuple(addresses)
        if fresh.reissued_because:
            say(f"A new server certificate, because {fresh.reissued_because}.")
        return fresh.server_pem

    def started(bound: str, bound_port: int) -> None:
        listening["port"] = bound_port
        shown = f"[{plan.host}]" if ":" in plan.host else plan.host
        say(f"Recovery coach on {scheme}://{shown}:{bound_port}/  (Ctrl-C to stop)")
        if plan.behind_proxy:
            say("Behind your proxy: open the address it serves (its name given with --allow-host).")
        if plan.local or plan.behind_proxy:
            return
        reachable = made.names if made is not None else tls.certificate_names(
            machine, tls.machine_addresses(machine), named
        )  # fmt: skip
        phone = tls.phone_addresses(plan.host, bound_port, reachable, scheme)
        app.config["PHONE_ADDRESSES"] = tuple(phone)
        for address in phone[:3]:
            say(f"On your phone: {address}")
        if made is not None:
            if made.reissued_because:
                say(f"A new server certificate, because {made.reissued_because}.")
            say(f"Certificate authority {made.ca_certificate}, fingerprint (SHA-256):")
            say(f"  {made.ca_fingerprint}")
            say("Install it on your phone once: the settings page shows how.")
        else:
            say("Plain HTTP: a phone's browser will not keep the screen awake or install the app.")

    try:
        serve_app(
            app,
            plan.host,
            plan.port,
            started=started,
            tls_pem=made.server_pem if made is not None else None,
            renew_tls=renew_tls if made is not None else None,
        )
    finally:
        if sync is not None:
            sync.stop()
