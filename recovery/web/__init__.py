"""The dashboard: a Flask app factory, one blueprint per page family.

Views read the request, call `recovery.dashboard` (or the coach through it)
and render a template from the project's `templates/` folder. Nothing here
decides anything a test would want to check.

Security, because this is health data:
- bound to 127.0.0.1 by default; any other address needs a password and a
  login (see `auth`), which `recovery serve` enforces before it starts;
- every state-changing request carries a CSRF token (Flask-WTF), forms in a
  hidden field and scripts in the X-CSRFToken header;
- a Content-Security-Policy that allows nothing but this server's own
  scripts, styles and images: no inline scripts, no CDN, no outside requests.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import Flask, Response, current_app, g
from flask_wtf.csrf import CSRFProtect

from recovery.store import Store, default_database_url, utcnow

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
#: Uploads: an export archive of many years can be large; single files are checked again by the parser.
MAX_UPLOAD_BYTES = 2 * 1024**3

csrf = CSRFProtect()


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Make the dashboard app.

    Config keys beyond Flask's own: DATABASE_URL, LOGIN_REQUIRED (set by
    `serve` for a non-local bind), CLOCK (a callable giving an aware UTC
    datetime; tests pin it), TIMER_SPEED_ALLOWED (tests only, or the
    RECOVERY_TIMER_SPEED_ALLOWED=1 environment: lets `?speed=N` run the
    guided timer N times faster).
    """
    app = Flask(__name__, template_folder=str(TEMPLATES), static_folder="static")
    app.config.update(
        DATABASE_URL=None,
        LOGIN_REQUIRED=False,
        CLOCK=utcnow,
        # Tests only: the browser tests start `recovery serve` with this set to run the timer fast.
        TIMER_SPEED_ALLOWED=os.environ.get("RECOVERY_TIMER_SPEED_ALLOWED") == "1",
        MAX_CONTENT_LENGTH=MAX_UPLOAD_BYTES,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session: a timer left open for an hour still saves
        SEND_FILE_MAX_AGE_DEFAULT=3600,
    )
    app.config.update(config or {})
    store = Store(app.config["DATABASE_URL"] or default_database_url())
    app.extensions["recovery.store"] = store
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(store)
    csrf.init_app(app)

    from recovery.web import auth, filters, history, imports, runs, settings, today

    filters.register(app)
    for module in (auth, today, history, runs, imports, settings):
        app.register_blueprint(module.bp)
    app.after_request(_security_headers)
    return app


def get_store() -> Store:
    """The app's store (one engine, pooled connections, per app)."""
    return current_app.extensions["recovery.store"]  # type: ignore[no-any-return]


def now() -> datetime:
    """The request's clock: one reading per request, so a page agrees with itself."""
    if "now" not in g:
        clock: Callable[[], datetime] = current_app.config["CLOCK"]
        g.now = clock()
    return g.now  # type: ignore[no-any-return]


def _secret_key(store: Store) -> str:
    """Kept in the database so sessions (and logins) survive a restart."""
    key = store.settings().get("secret_key")
    if not key:
        key = secrets.token_hex(32)
        store.set_setting("secret_key", key)
    return key


def _security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Permissions-Policy", "geolocation=(), camera=(), microphone=()")
    if response.mimetype == "text/html":
        response.headers.setdefault("Cache-Control", "no-store")
    return response
