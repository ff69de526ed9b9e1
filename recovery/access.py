"""Who may reach the dashboard: the password rule and the host names it answers to.

No Flask here: `recovery password`, `recovery serve` and the web's login all
call these, so a rule lives in one place.

The password: one set with `recovery password set` is kept as a salted
scrypt hash, never as typed; RECOVERY_PASSWORD in the server's environment
takes its place. Either must follow `password_problem`. Setting or clearing
the password ends every sign-in, so a cookie from before stops working.

The host names: a page on another site can make its own domain name point at
127.0.0.1 (DNS rebinding) and then read the dashboard as if it were its own
origin. The browser still sends that domain in the Host header, so the
dashboard answers only to names it knows it has.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
from collections.abc import Collection, Iterable

from werkzeug.security import check_password_hash, generate_password_hash

from recovery.store import Store

ENV_PASSWORD = "RECOVERY_PASSWORD"
ENV_ALLOWED_HOSTS = "RECOVERY_ALLOWED_HOSTS"
MIN_LENGTH = 8
#: Longer attempts are wrong without hashing them: scrypt over megabytes is work a guesser should not buy.
LONGEST_ATTEMPT = 1024
#: The names this machine always has, whatever address `serve` listens on.
LOCAL_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


# -- the password ----------------------------------------------------------------


def password_problem(text: str) -> str | None:
    """Why `text` cannot be the dashboard password, or None if it can."""
    if len(text) < MIN_LENGTH:
        return f"the password needs at least {MIN_LENGTH} characters"
    if len(text) > LONGEST_ATTEMPT:
        return f"the password can have at most {LONGEST_ATTEMPT} characters"
    return None


def set_password(store: Store, text: str) -> None:
    """Keep the password's scrypt hash and end every sign-in made with the old one."""
    problem = password_problem(text)
    if problem:
        raise ValueError(problem)
    store.set_setting("password_hash", generate_password_hash(text, method="scrypt"))
    store.end_login_sessions()


def clear_password(store: Store) -> None:
    """Forget the password, and every sign-in with it."""
    store.set_setting("password_hash", None)
    store.end_login_sessions()


def env_password() -> str | None:
    return os.environ.get(ENV_PASSWORD) or None


def has_password(store: Store) -> bool:
    return bool(env_password() or store.setting("password_hash"))


def password_matches(store: Store, attempt: str) -> bool:
    """RECOVERY_PASSWORD when set (and long enough), else the stored hash."""
    if len(attempt) > LONGEST_ATTEMPT:
        return False
    from_env = env_password()
    if from_env:
        return password_problem(from_env) is None and hmac.compare_digest(from_env.encode(), attempt.encode())
    stored = store.setting("password_hash")
    return bool(stored) and check_password_hash(stored, attempt)


# -- the host names ----------------------------------------------------------------


def host_name(header: str) -> str:
    """The name in a Host header, without its port, lower-cased: '[::1]:8765' -> '::1'."""
    text = header.strip().lower()
    if text.startswith("["):
        return text[1 : text.find("]")] if "]" in text else text
    name, colon, port = text.rpartition(":")
    if colon and port.isdigit() and ":" not in name:
        text = name
    return text.rstrip(".")


def is_ip_literal(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def host_allowed(header: str, names: Collection[str], *, ip_literals: bool) -> bool:
    """Whether a request with this Host header may be answered.

    `names` are those allowed beyond the local ones; `ip_literals` lets any
    address through (set when listening beyond loopback, where a phone uses
    the machine's address). An address is safe to allow: a DNS-rebinding
    page always arrives with its own domain name in Host, never an IP literal.
    """
    name = host_name(header)
    if name in LOCAL_NAMES or name in names:
        return True
    return ip_literals and is_ip_literal(name)


def allowed_names(configured: Iterable[str], *, beyond_loopback: bool, machine: str) -> frozenset[str]:
    """The names allowed besides the local ones: those configured, and beyond loopback this machine's own."""
    names = {host_name(name) for name in configured if name.strip()}
    if beyond_loopback and machine:
        names |= {host_name(machine), host_name(machine) + ".local"}
    return frozenset(names)


def names_from_env(text: str | None) -> list[str]:
    """RECOVERY_ALLOWED_HOSTS: names separated by commas."""
    return [name.strip() for name in (text or "").split(",") if name.strip()]
