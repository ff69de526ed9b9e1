"""Units, time zone, heart-rate figures and watched folders."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from recovery import settings
from recovery.access import has_password
from recovery.web import gathered, get_store, wants_json
from recovery.web.phone import phone_setup

bp = Blueprint("settings", __name__)


@bp.get("/settings")
def index() -> ResponseReturnValue:
    current = gathered().settings
    if wants_json():
        return jsonify(current.to_json())
    store = get_store()
    return render_template(
        "settings.html",
        current=current,
        declared=settings.BY_NAME,
        zones=sorted(settings.time_zones()),
        folders=[(path, Path(path).is_dir()) for path in store.folders()],
        has_password=has_password(store),
        phone=phone_setup(),
    )


@bp.post("/settings")
def save() -> ResponseReturnValue:
    """The form (every setting at once: a blank field clears it) or JSON (only the settings it names)."""
    if request.is_json:
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not all(isinstance(v, str | int | None) for v in body.values()):
            return jsonify(error="Send the settings as a JSON object of names and values."), 400
        changes = {str(k): None if v is None else str(v) for k, v in body.items()}
    else:
        changes = {name: request.form.get(name, "") for name in settings.NAMES if name not in settings.NUDGE_NAMES}
    rows, problems = settings.validate(changes)
    if problems:
        if request.is_json:
            return jsonify(error=" ".join(problems), problems=problems), 400
        for problem in problems:
            flash(problem, "error")
        return redirect(url_for("settings.index"))
    get_store().set_settings(rows)
    if request.is_json:
        return jsonify(settings.from_stored(get_store().settings(settings.NAMES)).to_json())
    flash("Settings saved.", "ok")
    return redirect(url_for("settings.index"))
