"""Units, time zone, heart-rate figures and watched folders."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from recovery.access import has_password
from recovery.dashboard import UNITS, time_zones
from recovery.web import get_store, whole_number

bp = Blueprint("settings", __name__)
HEART_LIMITS = {"max_hr": (120, 240), "rest_hr": (25, 110)}
SEXES = ("male", "female")


@bp.get("/settings")
def index() -> str:
    store = get_store()
    return render_template(
        "settings.html",
        values=store.settings(),
        zones=sorted(time_zones()),
        folders=[(path, Path(path).is_dir()) for path in store.folders()],
        has_password=has_password(store),
    )


@bp.post("/settings")
def save() -> Response:
    store = get_store()
    form = request.form
    problems = []
    changes: dict[str, str | None] = {}
    if form.get("units") in UNITS:
        changes["units"] = form["units"]
    zone = form.get("time_zone", "")
    if zone in time_zones():
        changes["time_zone"] = zone
    elif zone:
        shown = "".join(c for c in zone if c.isprintable())[:60]  # the sentence travels in the session cookie
        problems.append(f"'{shown}' is not a time zone this machine knows (for example Europe/Paris).")
    for key, (low, high) in HEART_LIMITS.items():
        text = (form.get(key) or "").strip()
        if not text:
            changes[key] = None  # blank: estimated from the runs, and said so
        elif (number := whole_number(text, low, high)) is not None:
            changes[key] = str(number)
        else:
            label = "Maximum" if key == "max_hr" else "Resting"
            problems.append(f"{label} heart rate must be a whole number from {low} to {high} beats per minute.")
    sex = form.get("sex", "")
    changes["sex"] = sex if sex in SEXES else None
    if problems:
        for problem in problems:
            flash(problem, "error")
        return redirect(url_for("settings.index"))
    for key, value in changes.items():
        store.set_setting(key, value)
    flash("Settings saved.", "ok")
    return redirect(url_for("settings.index"))
