"""The dashboard as an installable app: its manifest, its service worker, and the newest run for notifications.

The phone by the front door keeps the app shell (stylesheet, scripts, the
stretch drawings, the icons) and the last copy of Today and the timer pages,
so a routine started before the Wi-Fi drops still runs and is saved when it
returns (static/offline.js queues the timer's POSTs). The worker is served
from the site's root, so its scope is the whole dashboard; the file itself is
static/sw.js, with one line put before it here: the cache version (a hash of
the package version and every static file, so any change makes a new cache)
and the list of files to keep.

Nothing here is open to a stranger: like every page, beyond 127.0.0.1 these
answer only a signed-in browser (the page links the manifest with its
cookie). `/api/latest-run` says only that a run is in and how far it was,
never a heart rate or a discomfort score.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify, url_for

from recovery import __version__
from recovery.dashboard import is_fresh_run
from recovery.nudges import words
from recovery.web import filters, get_store, now

bp = Blueprint("pwa", __name__)

#: The light theme's --accent and --bg in static/app.css (a test checks they still agree).
THEME_COLOUR = "#0f766e"
BACKGROUND_COLOUR = "#f8fafc"
#: The dark theme's --bg, for the browser's bar in dark mode.
DARK_THEME_COLOUR = "#0b1120"
#: The pages the worker keeps the last copy of (network first): Today and the guided timers. Regular
#: expressions over the path, read by static/sw.js; every other page and all JSON always go to the server.
KEPT_PAGES = (r"^/$", r"^/timer/[0-9]+$", r"^/timer/(warmup|strength)$")
ICONS = (
    ("icons/icon-192.png", "192x192", "any"),
    ("icons/icon-512.png", "512x512", "any"),
    ("icons/maskable-192.png", "192x192", "maskable"),
    ("icons/maskable-512.png", "512x512", "maskable"),
)
APPLE_TOUCH_ICON = "icons/apple-touch-icon.png"
#: The worker's own source: served at /sw.js, never kept by itself.
WORKER_FILE = "sw.js"


@dataclass(frozen=True)
class Shell:
    """What the worker keeps: the cache version and the static files, as paths inside the static folder."""

    version: str
    files: tuple[str, ...]


def shell_files(static: Path) -> tuple[str, ...]:
    """Every static file the pages may ask for (drawings, icons, scripts, vendored assets), sorted; not sw.js."""
    found = []
    for path in static.rglob("*"):
        relative = path.relative_to(static)
        if path.is_file() and not any(part.startswith(".") for part in relative.parts) and str(relative) != WORKER_FILE:
            found.append(relative.as_posix())
    return tuple(sorted(found))


def shell_version(static: Path, package_version: str = __version__) -> str:
    """A hash of the package version and every static file's name and bytes (sw.js too): a change makes a new cache."""
    digest = hashlib.sha256(package_version.encode())
    for name in (*shell_files(static), WORKER_FILE):
        path = static / name
        if path.is_file():
            digest.update(b"\0" + name.encode() + b"\0" + path.read_bytes())
    return f"{package_version}-{digest.hexdigest()[:16]}"


def _shell(app: Flask) -> Shell:
    """Worked out once per process: the static files do not change under a running server."""
    if "recovery.pwa" not in app.extensions:
        static = Path(app.static_folder or "")
        app.extensions["recovery.pwa"] = Shell(shell_version(static), shell_files(static))
    return app.extensions["recovery.pwa"]  # type: ignore[no-any-return]


def manifest() -> dict[str, Any]:
    """The web app manifest: what a phone needs to install the dashboard on its home screen."""
    return {
        "id": "/",
        "name": "Recovery coach",
        "short_name": "Recovery",
        "description": "Your cool-down after each run, the warm-up and strengthening, on this device.",
        "lang": "en",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "theme_color": THEME_COLOUR,
        "background_color": BACKGROUND_COLOUR,
        "icons": [
            {"src": url_for("static", filename=name), "sizes": sizes, "type": "image/png", "purpose": purpose}
            for name, sizes, purpose in ICONS
        ],
    }


@bp.app_context_processor
def _page_values() -> dict[str, Any]:
    """What base.html's <head> needs: the bar colours and the home-screen icon."""
    return {"pwa": {"theme": THEME_COLOUR, "dark_theme": DARK_THEME_COLOUR, "apple_icon": APPLE_TOUCH_ICON}}


@bp.get("/manifest.webmanifest")
def web_manifest() -> Response:
    response = Response(json.dumps(manifest(), indent=1), mimetype="application/manifest+json")
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/sw.js")
def service_worker() -> Response:
    """static/sw.js with its build line before it; never taken from a cache, so an update is seen at once."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    shell = _shell(app)
    build = {
        "version": shell.version,
        "shell": [url_for("static", filename=name) for name in shell.files],
        "pages": list(KEPT_PAGES),
        "offline": url_for("static", filename="offline.js"),
        "today": url_for("today.index"),
    }
    source = (Path(app.static_folder or "") / WORKER_FILE).read_text(encoding="utf-8")
    body = f"var BUILD = {json.dumps(build)};\n{source}"
    response = Response(body, mimetype="text/javascript")
    response.headers["Service-Worker-Allowed"] = "/"
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/api/latest-run")
def latest_run() -> Response:
    """The newest stored run, for the page's notification: {id, ended_at, url, text, fresh}, or {"id": null}.

    Read from the runs table alone (no year of history gathered), because an open page asks every minute.
    """
    stored = get_store().latest(only_runs=True)
    if stored is None:
        return jsonify(id=None, ended_at=None, url=None, text=None, fresh=False)
    run = stored.run
    end = run.end_time_utc
    # The nudge's own words (`nudges.words`): "plain" chosen for a lock screen holds here too.
    said = words(run, filters.prefs(), run_id=stored.id, cooldown_minutes=None)
    return jsonify(
        id=stored.id,
        ended_at=end.isoformat() if end is not None else None,
        url=url_for("today.index"),
        text=said.body + ".",
        fresh=is_fresh_run(run, now()),
    )
