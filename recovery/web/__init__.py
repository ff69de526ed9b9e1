"""The dashboard: a Flask app factory, one blueprint per page family, and the server that runs it.

Views read the request, take this request's gathering (`gathered()`, one
`coaching.gather` per request), call `recovery.dashboard` or the coach, and
render a template from `recovery.web.templates` (the checkout's top-level
`templates/`, installed inside the package). Nothing here decides anything
a test would want to check.

Security, because this is health data. Every request passes these checks in
this order, before any view runs (`_guard`):
1. the Host header names this machine (`recovery.access.host_allowed`): a
   page on another site cannot rebind its domain to 127.0.0.1 and read us;
2. a Content-Length above MAX_UPLOAD_BYTES is refused from the headers,
   before a byte of the body is read;
3. beyond 127.0.0.1, a sign-in that the database still holds (see `auth`);
4. the CSRF token (Flask-WTF) on every state-changing request, forms in a
   hidden field and scripts in the X-CSRFToken header.
A refused request's body is never read: `serve` closes the connection
instead (see `_Gateway`). Pages carry a Content-Security-Policy that allows
nothing but this server's own scripts, styles and images. Beyond 127.0.0.1
`serve` speaks HTTPS with a certificate from this machine's own authority
(`recovery.tls`, `recovery.web.phone`), so a phone's page is a secure context.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import signal
import socket
import ssl
import sys
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path
from types import FrameType
from typing import Any

from cheroot import errors as cheroot_errors
from cheroot import server as cheroot_server
from cheroot import wsgi as cheroot_wsgi
from cheroot.ssl.builtin import BuiltinSSLAdapter
from flask import Flask, Response, current_app, g, jsonify, request
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFProtect
from markupsafe import escape
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from recovery import access
from recovery.clock import utcnow
from recovery.coaching import Gathered, coach_data, gather
from recovery.database import StoreUnavailable, default_database_url, store_problem
from recovery.store import Store
from recovery.upkeep import fill_heart_times

#: The checkout's top-level templates/ folder, which every install (wheel or editable) maps to this package.
TEMPLATES = Path(str(resources.files("recovery.web.templates")))
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'; "
    # The timer's keep-awake fallback (NoSleep.js, where the Wake Lock API is missing) plays a silent video
    # that it carries inline as a data: URI.
    "media-src 'self' data:; "
    # The installable app: its service worker (static/sw.js, served at /sw.js) and manifest (recovery.web.pwa).
    "worker-src 'self'; manifest-src 'self'"
)
#: The largest request body the dashboard accepts (an upload: an export archive of many years can be large;
#: single files are checked again by the parser). Flask's MAX_CONTENT_LENGTH and cheroot's
#: max_request_body_size are both this, and the imports page is told it (`upload_cap`).
MAX_UPLOAD_BYTES = 1024**3
#: How long a sign-in lasts; the sign-in's row in the database is what makes it count (see `auth`).
SESSION_LIFETIME = timedelta(days=31)
#: The highest run id a URL may name: PostgreSQL's integer, so no database is asked about a bigger one.
MAX_RUN_ID = 2**31 - 1
SERVER_THREADS = 8
NO_SUCH_RUN = "There is no such run stored: it may have been removed, or the link is wrong."

csrf = CSRFProtect()


class RunIdConverter(IntegerConverter):
    """`<run_id:...>`: a run id from 1 to MAX_RUN_ID; anything else is no page (404), never a database error."""

    def __init__(self, url_map: Any) -> None:
        super().__init__(url_map, min=1, max=MAX_RUN_ID)


def upload_cap() -> str:
    """The cap in the runner's words: '1 GB'."""
    return f"{MAX_UPLOAD_BYTES / 1024**3:g} GB"


def too_large() -> str:
    return f"That is more than the {upload_cap()} this server accepts in one request."


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Make the dashboard app.

    Config keys beyond Flask's own: DATABASE_URL, LOGIN_REQUIRED (set by
    `serve` for a non-local bind), ALLOWED_HOSTS (names answered besides
    localhost, 127.0.0.1 and ::1), ALLOW_IP_HOSTS (any IP address in Host
    too: `serve` sets it beyond loopback), CLOCK (a callable giving an aware
    UTC datetime; tests pin it), TIMER_SPEED_ALLOWED (tests only, or the
    RECOVERY_TIMER_SPEED_ALLOWED=1 environment: lets `?speed=N` run the
    guided timer N times faster), TLS_CERTIFICATES (`recovery.tls.Certificates`
    when `serve` speaks HTTPS itself; the session cookie is then Secure),
    PHONE_ADDRESSES (what a phone can open, set by `serve`) and BEHIND_PROXY
    (the runner's own TLS proxy in front: X-Forwarded-Proto/Host/For are
    believed, from one proxy).
    """
    app = Flask(__name__, template_folder=str(TEMPLATES), static_folder="static")
    app.config.update(
        DATABASE_URL=None,
        LOGIN_REQUIRED=False,
        ALLOWED_HOSTS=frozenset(),
        ALLOW_IP_HOSTS=False,
        CLOCK=utcnow,
        # Tests only: the browser tests start `recovery serve` with this set to run the timer fast.
        TIMER_SPEED_ALLOWED=os.environ.get("RECOVERY_TIMER_SPEED_ALLOWED") == "1",
        MAX_CONTENT_LENGTH=MAX_UPLOAD_BYTES,
        PERMANENT_SESSION_LIFETIME=SESSION_LIFETIME,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session: a timer left open for an hour still saves
        WTF_CSRF_CHECK_DEFAULT=False,  # checked in `_guard`, after the sign-in: a stranger's body is never parsed
        SEND_FILE_MAX_AGE_DEFAULT=3600,
        TLS_CERTIFICATES=None,
        PHONE_ADDRESSES=(),
        BEHIND_PROXY=False,
        # Flask-WTF's HTTPS-only Referer check would refuse every form: our pages send no Referer
        # (Referrer-Policy: no-referrer). The token and the SameSite cookie still guard every change.
        WTF_CSRF_SSL_STRICT=False,
    )
    app.config.update(config or {})
    if app.config["TLS_CERTIFICATES"] is not None:
        # No HSTS header, though: the certificate comes from this machine's own authority, and a browser
        # pinned to HTTPS for this address would lock the runner out the day they serve without it.
        app.config["SESSION_COOKIE_SECURE"] = True
    if app.config["BEHIND_PROXY"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]
    coach_data()  # the coach's files are checked now: a mistake in one stops start-up, naming its file and line
    store = Store(app.config["DATABASE_URL"] or default_database_url())
    fill_heart_times(store)
    app.extensions["recovery.store"] = store
    if not app.config.get("SECRET_KEY"):
        # Kept in the database so sign-ins survive a restart; created under the writer lock, so two
        # servers starting at once on a fresh database agree on one key.
        app.config["SECRET_KEY"] = store.setting_or_create("secret_key", secrets.token_hex(32))
    app.url_map.converters["run_id"] = RunIdConverter
    app.url_map.converters["row_id"] = RunIdConverter  # any stored row's id (a routine session's): the same bounds
    csrf.init_app(app)

    from recovery.web import auth, filters, history, imports, nudges, phone, pwa, runs, settings, today

    filters.register(app)
    app.before_request(_guard)
    for module in (auth, today, history, runs, imports, settings, pwa, phone, nudges):
        app.register_blueprint(module.bp)
    app.register_error_handler(HTTPException, _error)
    app.after_request(_security_headers)
    app.register_error_handler(StoreUnavailable, _database_unavailable)
    app.register_error_handler(OperationalError, _database_unavailable)
    return app


def _database_unavailable(exc: Exception) -> tuple[str, int]:
    """A full disk or a database that is down: one sentence and 503, not a traceback page."""
    problem = exc if isinstance(exc, StoreUnavailable) else store_problem(exc, get_store().url)
    return f"{escape(str(problem))}\n", 503


def get_store() -> Store:
    """The app's store (one engine, pooled connections, per app)."""
    return current_app.extensions["recovery.store"]  # type: ignore[no-any-return]


def now() -> datetime:
    """The request's clock: one reading per request, so a page agrees with itself."""
    if "now" not in g:
        clock: Callable[[], datetime] = current_app.config["CLOCK"]
        g.now = clock()
    return g.now  # type: ignore[no-any-return]


def gathered() -> Gathered:
    """What this request's page needs from the store for the coach: gathered once per request (`coaching.gather`)."""
    if "gathered" not in g:
        g.gathered = gather(get_store(), now())
    return g.gathered  # type: ignore[no-any-return]


def wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json" or request.is_json


def _guard() -> ResponseReturnValue | None:
    """The checks every request passes, in order, each before anything later reads more of the request."""
    from recovery.web import auth

    config = current_app.config
    host = request.headers.get("Host", "")
    if host and not access.host_allowed(host, config["ALLOWED_HOSTS"], ip_literals=config["ALLOW_IP_HOSTS"]):
        return _foreign_host(host)
    if (request.content_length or 0) > MAX_UPLOAD_BYTES:
        return _refuse(too_large(), 413)
    refused = auth.require_login()
    if refused is not None:
        return refused
    if request.method in config["WTF_CSRF_METHODS"]:
        csrf.protect()
    return None


def _foreign_host(host: str) -> Response:
    name = "".join(c for c in access.host_name(host) if c.isprintable())[:100]
    sentence = (
        f"This dashboard does not answer to the name {name}: if that name is this machine, start it with "
        f"`recovery serve --allow-host {name}` (or add it to {access.ENV_ALLOWED_HOSTS}).\n"
    )
    return Response(sentence, 400, mimetype="text/plain")


def _refuse(sentence: str, status: int) -> ResponseReturnValue:
    if wants_json():
        return jsonify(error=sentence), status
    return Response(sentence + "\n", status, mimetype="text/plain")


def _error(error: HTTPException) -> ResponseReturnValue:
    """An error in one sentence: JSON for the page's scripts, werkzeug's small page for a browser."""
    if wants_json():
        return jsonify(error=error.description), error.code or 500
    return error


def _security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Permissions-Policy", "geolocation=(), camera=(), microphone=()")
    if response.mimetype == "text/html":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


# -- the server -------------------------------------------------------------------


def serve(
    app: Flask,
    host: str,
    port: int,
    *,
    started: Callable[[str, int], None],
    tls_pem: Path | None = None,
    renew_tls: Callable[[], Path | None] | None = None,
) -> None:
    """Serve `app` with cheroot until Ctrl-C or SIGTERM; `started(host, port)` once it listens.

    With `tls_pem` (a key and its certificate in one PEM file, `recovery.tls`)
    it speaks HTTPS only; a plain-HTTP request is sent on to the https://
    address. `renew_tls` is then asked every TLS_RECHECK_S for a new PEM file
    (None: keep the one served), so a certificate nearing its end, or one that
    no longer names a new address, is replaced without a restart.

    cheroot hands the request body to the app as a stream (waitress buffered
    every body in full, to temporary files, before the app could refuse it),
    and refuses a Content-Length above MAX_UPLOAD_BYTES from the headers.
    """
    server = cheroot_wsgi.Server((host, port), app, numthreads=SERVER_THREADS, server_name="recovery")
    server.max_request_body_size = MAX_UPLOAD_BYTES
    server.gateway = _Gateway
    server.ConnectionClass = _Connection
    renewer = None
    if tls_pem is not None:
        adapter = _TlsAdapter(str(tls_pem), str(tls_pem))
        server.ssl_adapter = adapter
        if renew_tls is not None:
            recheck_s = float(os.environ.get("RECOVERY_TLS_RECHECK_S") or TLS_RECHECK_S)  # tests shorten it
            renewer = _Renewer(adapter, renew_tls, recheck_s)

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        server.prepare()
        bound_host, bound_port = server.bind_addr[:2]
        started(bound_host, bound_port)
        if renewer is not None:
            renewer.start()
        server.serve()
    except KeyboardInterrupt:
        pass
    finally:
        if renewer is not None:
            renewer.stopping.set()
        server.stop()
        signal.signal(signal.SIGTERM, previous)


def _body_unread(req: cheroot_server.HTTPRequest) -> bool:
    rfile = req.rfile
    if req.chunked_read:
        return not getattr(rfile, "closed", True)
    return bool(getattr(rfile, "remaining", 0))


class _Gateway(cheroot_wsgi.Gateway_10):
    """cheroot's WSGI gateway, except that a body the app did not read closes the connection.

    Left alone, cheroot 11 reads whatever the app left of the body (in one
    read, into memory) to keep the connection open, even when the app's
    answer was a refusal; a `Connection: close` header from the app does not
    stop it. Closing instead means a stranger's 600 MB is never read; cheroot
    then sends `Connection: close` itself.
    """

    def start_response(self, status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        write = super().start_response(status, headers, exc_info)
        if _body_unread(self.req):
            self.req.close_connection = True
        return write


class _Request(cheroot_server.HTTPRequest):
    """cheroot's request, with its refusal of a too-large body in the same sentence as the app's."""

    def simple_response(self, status: Any, msg: str = "") -> None:
        if str(status).startswith("413"):
            msg = too_large()
        super().simple_response(status, msg)


class _Connection(cheroot_server.HTTPConnection):
    RequestHandlerClass = _Request


#: cheroot does the TLS handshake in its one accepting thread: a client that connects and then says
#: nothing holds every other client back this long, at most (a handshake on a home network takes milliseconds).
TLS_HANDSHAKE_TIMEOUT_S = 3.0


#: How often a running server asks whether its certificate needs replacing (its end, a new address).
TLS_RECHECK_S = 6 * 3600


class _Renewer(threading.Thread):
    """Asks `renew` every `every_s` for a new certificate file, and serves it from the next handshake."""

    def __init__(self, adapter: _TlsAdapter, renew: Callable[[], Path | None], every_s: float) -> None:
        super().__init__(name="recovery-tls-renewer", daemon=True)
        self.adapter, self.renew, self.every_s = adapter, renew, every_s
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.wait(self.every_s):
            renewed = self.renew()  # the caller says what went wrong in a sentence and returns None
            if renewed is None:
                continue
            try:
                self.adapter.serve_certificate(renewed)
            except (OSError, ssl.SSLError) as exc:
                print(f"The new certificate {renewed} cannot be loaded ({exc}): the previous one is still served.",
                      file=sys.stderr, flush=True)  # fmt: skip


#: The first byte of every TLS connection (a handshake record); anything else on the HTTPS port is plain HTTP.
_TLS_HANDSHAKE_RECORD = b"\x16"
_PLAIN_HEAD_LIMIT = 8192
_SAFE_HOST = re.compile(r"[A-Za-z0-9.\-]+(:[0-9]{1,5})?|\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?")
_SAFE_TARGET = re.compile(r"/[\x21-\x7e]*")


class _TlsAdapter(BuiltinSSLAdapter):
    """cheroot's TLS from the standard `ssl` module, with a short wait for a client's handshake.

    Someone typing the address without https:// is sent to the https://
    one: cheroot tries to answer such a request, but the `ssl` module has
    already taken the socket over, so the browser saw only a reset connection.
    """

    def wrap(self, sock: Any) -> Any:
        sock.settimeout(TLS_HANDSHAKE_TIMEOUT_S)
        try:
            first = sock.recv(1, socket.MSG_PEEK)
        except OSError as exc:
            raise cheroot_errors.FatalSSLAlert(f"no TLS handshake within {TLS_HANDSHAKE_TIMEOUT_S:g} s") from exc
        if first and first != _TLS_HANDSHAKE_RECORD:
            _send_to_https(sock)
            raise cheroot_errors.FatalSSLAlert("a plain-HTTP request on the HTTPS port, sent to https://")
        return super().wrap(sock)  # cheroot puts its own timeout back on the wrapped socket

    def serve_certificate(self, pem: Path) -> None:
        """Serve this key and certificate from the next handshake on (a new context, swapped in whole)."""
        context = ssl.create_default_context(purpose=ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(str(pem), str(pem))
        self.context = context


def _send_to_https(sock: socket.socket) -> None:
    """Answer a plain-HTTP request with a redirect to the same address over https://, then close."""
    head = b""
    with contextlib.suppress(OSError):
        while b"\r\n\r\n" not in head and len(head) < _PLAIN_HEAD_LIMIT:
            chunk = sock.recv(_PLAIN_HEAD_LIMIT - len(head))
            if not chunk:
                break
            head += chunk
    lines = head.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    target = parts[1] if len(parts) == 3 and _SAFE_TARGET.fullmatch(parts[1]) else "/"
    host = next((line.split(":", 1)[1].strip() for line in lines[1:] if line.lower().startswith("host:")), "")
    if _SAFE_HOST.fullmatch(host):
        location = f"https://{host}{target}"
        sentence = f"This dashboard speaks HTTPS only: open {location}\n"
        answer = f"HTTP/1.1 307 Temporary Redirect\r\nLocation: {location}\r\n"
    else:
        sentence = "This dashboard speaks HTTPS only: open its address with https:// in front.\n"
        answer = "HTTP/1.1 400 Bad Request\r\n"
    answer += f"Content-Type: text/plain; charset=utf-8\r\nContent-Length: {len(sentence)}\r\n"
    answer += f"Connection: close\r\n\r\n{sentence}"
    with contextlib.suppress(OSError):
        sock.sendall(answer.encode("latin-1"))
        sock.shutdown(socket.SHUT_WR)
    sock.close()
