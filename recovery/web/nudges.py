"""The settings page's Nudges section: its form, and "Send a test nudge" (the deciding is in `recovery.nudges`).

The push address is a secret (an ntfy topic, a token): the page never
shows it whole, only where it sends (`push_server`), and a blank address
field keeps the one stored; "Turn nudges off" clears it.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, request, url_for
from werkzeug.wrappers import Response

from recovery import nudges as nudging
from recovery import settings
from recovery.store import StoredNudge
from recovery.web import get_store

bp = Blueprint("nudges", __name__)


@bp.app_context_processor
def _nudge_globals() -> dict[str, Any]:
    # A function, so only the page that shows the Nudges section reads the outbox.
    return {"nudge_state": nudge_state, "push_server": settings.push_server}


def nudge_state() -> StoredNudge | None:
    """The nudge queued last: sent, held, dropped, or with its last problem."""
    return get_store().latest_nudge()


def _back() -> Response:
    return redirect(url_for("settings.index") + "#nudges")


@bp.post("/settings/nudges")
def save() -> Response:
    """Save the Nudges section's fields (blank address: keep the stored one), a sentence per mistake."""
    form = request.form
    changes: dict[str, str | None] = {
        name: form.get(name, "") for name in ("quiet_from", "quiet_until", "nudge_words", "public_url")
    }
    if form.get("action") == "off":
        changes["nudge_url"] = None
    elif (address := form.get("nudge_url", "").strip()) != "":
        changes["nudge_url"] = address
    rows, problems = settings.validate(changes)
    if not problems and (problem := nudging.quiet_hours_problem(rows.get("quiet_from"), rows.get("quiet_until"))):
        problems, rows = [problem], {}
    if problems:
        for problem in problems:
            flash(problem, "error")
        return _back()
    get_store().set_settings(rows)
    flash("Nudges turned off." if form.get("action") == "off" else "Nudge settings saved.", "ok")
    return _back()


@bp.post("/settings/nudges/test")
def test() -> Response:
    """Send a test nudge to the stored address now, quiet hours or not."""
    try:
        flash(nudging.send_test(get_store()), "ok")
    except nudging.NudgeProblem as problem:
        flash(str(problem), "error")
    return _back()
