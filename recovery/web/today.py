"""Today: the latest run and its cool-down, the warm-up, the discomfort log, and the guided timer."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from recovery import dashboard
from recovery.coach.discomfort import check_log
from recovery.coach.routine import SECONDS_PER_REP, Routine
from recovery.coaching import coach_data, cooldown_for, latest_stored, referral, streak, strength_for, warmup_for
from recovery.history import RoutineSession
from recovery.web import NO_SUCH_RUN, gathered, get_store, now

bp = Blueprint("today", __name__)

GET_READY_S = 5
#: The longest a routine can take: a longer report is a mistake (or a tab left open), not a workout.
LONGEST_SESSION = timedelta(hours=2)
WHEN_WORDS = {"before": "Before a run", "after": "After a run", "next-morning": "The next morning"}
WHERE_WORDS = {"central": "In the middle", "one-side": "On one side", "into-leg": "Spreading into a leg"}


@bp.get("/")
def index() -> str:
    view = dashboard.today(get_store(), gathered(), now())
    return render_template(
        "today.html", view=view, red_flags=coach_data().red_flags, when_words=WHEN_WORDS, where_words=WHERE_WORDS
    )


@bp.post("/discomfort")
def discomfort() -> Response | tuple[str, int]:
    form = request.form
    moment = now()
    log, problems = check_log(
        moment, form.get("score", ""), form.get("when", "after"), form.get("where", "central"),
        form.getlist("red_flag"), form.get("note"), coach_data().red_flags,
    )  # fmt: skip
    if log is None:
        for problem in problems:
            flash(problem, "error")
        return redirect(url_for("today.index") + "#discomfort")
    store = get_store()
    store.add_discomfort(log)
    advice = referral(gathered(), moment)  # gathered after the write: it holds this log
    flash(f"Logged {log.score}/10, {WHEN_WORDS[log.when].lower()}, {WHERE_WORDS[log.where].lower()}.", "ok")
    return redirect(url_for("today.index") + ("#referral" if advice else "#discomfort"))


def _timer_page(routine: Routine | None, phase_title: str, done_url: str, back_url: str) -> str | tuple[str, int]:
    if routine is None:
        abort(404, description=NO_SUCH_RUN)
    speed = 1.0
    if current_app.config["TIMER_SPEED_ALLOWED"]:
        asked = request.args.get("speed", 1.0, type=float)
        speed = max(1.0, min(1000.0, asked)) if math.isfinite(asked) else 1.0
    plan: dict[str, Any] = routine.to_json()
    plan.update(get_ready_s=GET_READY_S, seconds_per_rep=SECONDS_PER_REP, speed=speed, done_url=done_url)
    for item in plan["items"]:
        item["figure"] = url_for("static", filename=f"figures/{item['id']}.svg")
    return render_template("timer.html", routine=routine, plan=plan, phase_title=phase_title, back_url=back_url)


@bp.get("/timer/<run_id:run_id>")
def timer(run_id: int) -> str | tuple[str, int]:
    store = get_store()
    routine = cooldown_for(store, gathered(), latest_stored(store, gathered(), run_id), now())
    url = url_for("today.timer_done", run_id=run_id)
    return _timer_page(routine, "Cool-down", url, url_for("runs.detail", run_id=run_id))


@bp.get("/timer/warmup")
def warmup_timer() -> str | tuple[str, int]:
    return _timer_page(warmup_for(gathered(), now()), "Warm-up", url_for("today.phase_done", phase="warmup"), "/")


@bp.get("/timer/strength")
def strength_timer() -> str | tuple[str, int]:
    routine = strength_for(gathered(), now())
    return _timer_page(routine, "Strength", url_for("today.phase_done", phase="strength"), "/")


def _record(run_id: int | None, phase: str) -> tuple[Response, int]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        data = {}
    try:
        planned = int(data["items_planned"])
        done = int(data["items_done"])
        seconds = int(data["seconds_done"])
        completed = bool(data.get("completed"))
    except (KeyError, TypeError, ValueError, OverflowError):  # OverflowError: int(1e999)
        return jsonify(error="The timer sent an incomplete record; nothing was saved."), 400
    if not (0 <= done <= planned <= 100 and 0 <= seconds <= LONGEST_SESSION.total_seconds()):
        return jsonify(error="The timer sent figures that do not add up; nothing was saved."), 400
    finished = now()
    session = RoutineSession(run_id, phase, finished - timedelta(seconds=seconds), finished, planned, done, seconds,
                             completed)  # fmt: skip
    dashboard.record_session(get_store(), session)
    done_streak = streak(gathered(), finished)  # gathered after the write
    if session.counts:
        message = f"Well done: {done} of {planned} stretches recorded."
    elif done:
        message = f"{done} of {planned} recorded. Do at least half for it to count toward your streak."
    else:
        message = "Nothing was done, so nothing counts yet."
    return jsonify(counts=session.counts, message=message, streak=done_streak.to_json()), 201


@bp.post("/timer/<run_id:run_id>/done")
def timer_done(run_id: int) -> tuple[Response, int]:
    if get_store().run(run_id) is None:
        abort(404, description=NO_SUCH_RUN)
    return _record(run_id, "cooldown")


@bp.post("/timer/<any(warmup, strength):phase>/done")
def phase_done(phase: str) -> tuple[Response, int]:
    return _record(None, phase)


@bp.get("/favicon.ico")
def favicon() -> Response:
    return redirect(url_for("static", filename="icon.svg"), code=301)


@bp.get("/healthz")
def health() -> dict[str, str]:
    return {"status": "ok"}
