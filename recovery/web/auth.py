"""The sign-in a non-local bind needs, signing out, and the limit on password guesses.

On 127.0.0.1 only the runner's own machine can reach the dashboard, so no
sign-in is asked. Anywhere else `recovery serve` refuses to start without a
password (the rule is `recovery.access`), and every page asks for it.

A sign-in is a random token: the signed session cookie carries it, the
database keeps only its sha256 (`login_sessions`). A request counts as signed
in while that row exists and is younger than SESSION_LIFETIME, so signing
out, `recovery password set` and `recovery password clear` end it for good,
whatever a copied cookie says.

Guesses are counted in the database before the password is checked, under
the writer lock (`Store.take_login_attempt`): at most MAX_ATTEMPTS per address
per WINDOW reach the check, however many arrive at once and however many
server processes share the database.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

from recovery.access import password_matches
from recovery.web import SESSION_LIFETIME, get_store, now, wants_json

#: At most this many password attempts per address in the window reach the check; a right one forgets them.
MAX_ATTEMPTS = 5
WINDOW = timedelta(minutes=15)
#: The session cookie's key for the sign-in token.
TOKEN = "sign_in"

#: What a stranger may see: the sign-in page, its stylesheet and icons, and the health check ({"status": "ok"}).
OPEN_ENDPOINTS = frozenset({"auth.login", "static", "today.health"})

bp = Blueprint("auth", __name__)


def _token_id(token: str) -> str:
    """What the database keeps of a sign-in: a stolen database holds no cookie that works."""
    return hashlib.sha256(token.encode()).hexdigest()


def signed_in() -> bool:
    """The session's sign-in is one the database still holds, begun less than SESSION_LIFETIME ago."""
    token = session.get(TOKEN)
    if not isinstance(token, str) or not token:
        return False
    started = get_store().login_session_started(_token_id(token))
    return started is not None and now() - started < SESSION_LIFETIME


def require_login() -> ResponseReturnValue | None:
    """None when the request may go on; else where to sign in (called by the app's guard, before CSRF)."""
    if not current_app.config["LOGIN_REQUIRED"] or request.endpoint in OPEN_ENDPOINTS:
        return None
    if signed_in():
        return None
    if wants_json():
        return {"error": "Please sign in again."}, 401
    return redirect(url_for("auth.login", next=request.full_path if request.method == "GET" else None))


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    if request.method == "GET":
        return render_template("login.html")
    store = get_store()
    who = request.remote_addr or "?"
    moment = now()
    oldest = store.take_login_attempt(who, now=moment, since=moment - WINDOW, limit=MAX_ATTEMPTS)
    if oldest is not None:
        minutes = max(1, round((oldest + WINDOW - moment).total_seconds() / 60))
        flash(f"Too many wrong passwords: try again in {minutes} minute{'s' if minutes != 1 else ''}.", "error")
        return render_template("login.html"), 429
    if not password_matches(store, request.form.get("password", "")):
        flash("That password is not right.", "error")
        return render_template("login.html"), 401
    store.forget_login_attempts(who)
    store.end_login_sessions(before=moment - SESSION_LIFETIME)  # tidy: sign-ins that have run out
    token = secrets.token_urlsafe(32)
    store.add_login_session(_token_id(token), now=moment)
    session.clear()
    session[TOKEN] = token
    session.permanent = True
    return redirect(local_path(request.args.get("next") or ""))


def local_path(target: str) -> str:
    """`next` when it is a path on this site, else Today: never send the runner elsewhere after signing in.

    Any control character (CR/LF could split the redirect's header; browsers drop tabs and newlines,
    so "/<tab>/evil.com" has a host) or anything but printable ASCII sends the runner to Today, as does
    a backslash after the first slash (browsers read it as a second slash).
    """
    if not target.isascii() or not target.isprintable():
        return url_for("today.index")
    parts = urlsplit(target)
    if not target.startswith("/") or parts.scheme or parts.netloc or target.startswith(("//", "/\\")):
        return url_for("today.index")
    return target


@bp.post("/logout")
def logout() -> Response:
    token = session.get(TOKEN)
    if isinstance(token, str) and token:
        get_store().end_login_session(_token_id(token))
    session.clear()
    return redirect(url_for("auth.login") if current_app.config["LOGIN_REQUIRED"] else url_for("today.index"))
