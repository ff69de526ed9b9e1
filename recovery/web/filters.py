"""How figures read on the page: in the runner's units and time zone."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Flask, g

from recovery.classify import format_pace
from recovery.coach.words import climb
from recovery.history import format_distance
from recovery.settings import NAMES, Settings, from_stored
from recovery.summary import duration
from recovery.web import MAX_UPLOAD_BYTES, get_store, too_large


def prefs() -> Settings:
    """The runner's settings, read once per request: from the page's gathering when it has one.

    A page without one (the sign-in page, imports) reads only the settings,
    so no request, a stranger's least of all, makes the server gather a year.
    """
    if "gathered" in g:
        return g.gathered.settings  # type: ignore[no-any-return]
    if "settings" not in g:
        g.settings = from_stored(get_store().settings(NAMES))
    return g.settings  # type: ignore[no-any-return]


def local(moment: datetime | None, pattern: str = "%a %-d %b %Y, %H:%M") -> str:
    if moment is None:
        return "no date"
    if moment.tzinfo is None:  # a local wall-clock time from an old watch: shown as it is
        return moment.strftime(pattern)
    return moment.astimezone(prefs().tz).strftime(pattern)


def distance(metres: float | None, digits: int = 2) -> str:
    return format_distance(metres, prefs().units, digits)


def height(metres: float | None) -> str:
    """A climb or descent: metres, or feet in miles mode."""
    return "?" if metres is None else climb(metres, prefs().units)


def pace(run: Any) -> str:
    return format_pace(run.distance_m, run.moving_s or run.elapsed_s, prefs().units)


def register(app: Flask) -> None:
    app.jinja_env.filters.update(local=local, distance=distance, pace=pace, duration=duration, height=height)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.context_processor
    def _globals() -> dict[str, Any]:
        # The upload cap, for the imports page's data-max-bytes and data-too-large (read by upload.js).
        return {
            "prefs": prefs(),
            "login_required": app.config["LOGIN_REQUIRED"],
            "upload_max_bytes": MAX_UPLOAD_BYTES,
            "upload_too_large": too_large(),
        }
