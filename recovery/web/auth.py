"""The password a non-local bind needs, the login, and the limit on wrong guesses.

On 127.0.0.1 only the runner's own machine can reach the dashboard, so no
login is asked. Anywhere else `recovery serve` refuses to start without a
password: one set with `recovery password set` (kept as a salted scrypt
hash, never the password itself) or given in RECOVERY_PASSWORD. Wrong
guesses are limited per address, so a password cannot be guessed at speed.
"""

from __future__ import annotations

import hmac
import os
from collections import deque
from datetime import datetime, timedelta
from threading import Lock
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from werkzeug.security import check_password_hash, generate_password_hash
from werkzeug.wrappers import Response

from recovery.store import Store
from recovery.web import get_store, now

ENV_PASSWORD = "RECOVERY_PASSWORD"
MIN_LENGTH = 8
#: At most this many wrong passwords per address in the window, then a wait.
MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)

bp = Blueprint("auth", __name__)


def set_password(store: Store, password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise ValueError(f"the password needs at least {MIN_LENGTH} characters")
    store.set_setting("password_hash", generate_password_hash(password, method="scrypt"))


def has_password(store: Store) -> bool:
    return bool(os.environ.get(ENV_PASSWORD) or store.settings().get("password_hash"))


def password_matches(store: Store, attempt: str) -> bool:
    from_env = os.environ.get(ENV_PASSWORD)
    if from_env:
        return hmac.compare_digest(from_env.encode(), attempt.encode())
    stored = store.settings().get("password_hash")
    return bool(stored) and check_password_hash(stored, attempt)


class AttemptLimiter:
    """Wrong guesses per address in a sliding window (kept in memory: a restart forgives)."""

    def __init__(self, max_failures: int = MAX_FAILURES, window: timedelta = WINDOW) -> None:
        self.max_failures = max_failures
        self.window = window
        self._failures: dict[str, deque[datetime]] = {}
        self._lock = Lock()

    def _recent(self, who: str, at: datetime) -> deque[datetime]:
        failures = self._failures.setdefault(who, deque())
        while failures and at - failures[0] >= self.window:
            failures.popleft()
        return failures

    def wait(self, who: str, at: datetime) -> timedelta | None:
        """How long `who` must wait before trying again, or None if they may try now."""
        with self._lock:
            failures = self._recent(who, at)
            if len(failures) < self.max_failures:
                return None
            return failures[0] + self.window - at

    def failed(self, who: str, at: datetime) -> None:
        with self._lock:
            self._recent(who, at).append(at)

    def succeeded(self, who: str) -> None:
        with self._lock:
            self._failures.pop(who, None)


def _limiter() -> AttemptLimiter:
    return current_app.extensions.setdefault("recovery.login_limiter", AttemptLimiter())  # type: ignore[no-any-return]


@bp.before_app_request
def require_login() -> Response | tuple[dict[str, str], int] | None:
    if not current_app.config["LOGIN_REQUIRED"] or session.get("signed_in"):
        return None
    if request.endpoint in ("auth.login", "static"):
        return None
    if request.accept_mimetypes.best == "application/json" or request.is_json:
        return {"error": "Please sign in again."}, 401
    return redirect(url_for("auth.login", next=request.full_path if request.method == "GET" else None))


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response | tuple[str, int]:
    if request.method == "GET":
        return render_template("login.html")
    who = request.remote_addr or "?"
    moment = now()
    wait = _limiter().wait(who, moment)
    if wait is not None:
        minutes = max(1, round(wait.total_seconds() / 60))
        flash(f"Too many wrong passwords: try again in {minutes} minute{'s' if minutes != 1 else ''}.", "error")
        return render_template("login.html"), 429
    if not password_matches(get_store(), request.form.get("password", "")):
        _limiter().failed(who, moment)
        flash("That password is not right.", "error")
        return render_template("login.html"), 401
    _limiter().succeeded(who)
    session.clear()
    session["signed_in"] = True
    session.permanent = True
    return redirect(_local_path(request.args.get("next") or ""))


def _local_path(target: str) -> str:
    """`next` when it is a path on this site, else Today: never send the runner elsewhere after signing in.

    urlsplit drops tabs and newlines as browsers do (so "/<tab>/evil.com" has a host), and browsers
    read a backslash after the first slash as a second slash.
    """
    parts = urlsplit(target)
    if not target.startswith("/") or parts.scheme or parts.netloc or target.startswith("/\\"):
        return url_for("today.index")
    return target


@bp.post("/logout")
def logout() -> Response:
    session.clear()
    return redirect(url_for("auth.login") if current_app.config["LOGIN_REQUIRED"] else url_for("today.index"))
