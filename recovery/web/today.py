"""Today: the latest run and its cool-down, the warm-up, the discomfort log, and the guided timer."""

from __future__ import annotations

import dataclasses
import math
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from recovery import dashboard
from recovery.coach.discomfort import EASIER_WORDS, check_clearance, check_log, latest_easier
from recovery.coach.routine import Routine
from recovery.coach.timer import timer_plan
from recovery.coaching import (
    coach_data,
    cooldown_for,
    latest_stored,
    referral,
    streak,
    strength_for,
    strength_week,
    warmup_for,
)
from recovery.history import (
    ITEM_NOUNS,
    MOST_ITEMS,
    RoutineSession,
    SessionInputError,
    done_said,
    feedback_said,
    parse_feedback,
    parse_items,
)
from recovery.web import NO_SUCH_RUN, gathered, get_store, now

bp = Blueprint("today", __name__)

#: The longest a routine can take: a longer report is a mistake (or a tab left open), not a workout.
LONGEST_SESSION = timedelta(hours=2)
#: How late a routine's record may arrive (kept on a phone that was offline) and still be taken with its own time.
LATE_RECORD = timedelta(days=2)
WHEN_WORDS = {"before": "Before a run", "after": "After a run", "next-morning": "The next morning"}
WHERE_WORDS = {"central": "In the middle", "one-side": "On one side", "into-leg": "Spreading into a leg"}
NO_SUCH_SESSION = "There is no such routine session stored: it may have been removed, or the link is wrong."


def log_form_words() -> dict[str, Any]:
    """What the discomfort form's fields need (`_discomfort.html`): the questions and the words for each answer."""
    return {"red_flags": coach_data().red_flags, "when_words": WHEN_WORDS, "where_words": WHERE_WORDS,
            "easier_words": EASIER_WORDS}  # fmt: skip


def runner_today() -> str:
    """Today's date where the runner lives (YYYY-MM-DD): the "seen" form's default and latest day."""
    return now().astimezone(gathered().settings.tz).date().isoformat()


@bp.get("/")
def index() -> str:
    view = dashboard.today(get_store(), gathered(), now())
    return render_template("today.html", view=view, last_easier=latest_easier(gathered().discomfort),
                           today=runner_today(), **log_form_words())  # fmt: skip


@bp.post("/discomfort")
def discomfort() -> Response | tuple[str, int]:
    form = request.form
    moment = now()
    log, problems = check_log(
        moment, form.get("score", ""), form.get("when", "after"), form.get("where", "central"),
        form.getlist("red_flag"), form.get("note"), coach_data().red_flags, form.get("easier"),
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


#: Where the "seen" form sends the runner back to.
SEEN_BACK = {"today": ("today.index", ""), "history": ("history.index", "#back-log")}


@bp.post("/discomfort/seen")
def seen() -> Response:
    """Record "I have been seen and it is not an emergency" (`check_clearance`, as `recovery discomfort seen`)."""
    form = request.form
    endpoint, anchor = SEEN_BACK.get(form.get("back", ""), SEEN_BACK["today"])
    moment = now()
    found = gathered()
    clearance, problems = check_clearance(
        form.get("seen_on"), form.get("note"), moment, found.settings.tz, found.discomfort, found.clearances,
        past_cancer=found.settings.past_cancer == "yes",
    )  # fmt: skip
    if clearance is None:
        for problem in problems:
            flash(problem, "error")
        return redirect(url_for(endpoint) + anchor)
    get_store().add_clearance(clearance)
    day = clearance.seen_on.astimezone(found.settings.tz)
    flash(f"Recorded: seen on {day:%-d %b}, not an emergency. A new warning sign after that brings the advice back.",
          "ok")  # fmt: skip
    return redirect(url_for(endpoint) + anchor)


def _timer_page(routine: Routine | None, phase_title: str, done_url: str, back_url: str) -> str | tuple[str, int]:
    if routine is None:
        abort(404, description=NO_SUCH_RUN)
    speed = 1.0
    if current_app.config["TIMER_SPEED_ALLOWED"]:
        asked = request.args.get("speed", 1.0, type=float)
        speed = max(1.0, min(1000.0, asked)) if math.isfinite(asked) else 1.0
    plan = timer_plan(routine)
    plan.update(speed=speed, done_url=done_url)
    for item in plan["items"]:
        item["figure"] = url_for("static", filename=f"figures/{item['id']}.svg")
    word = ITEM_NOUNS[routine.phase][0]  # "Did any move not agree with you?" after a warm-up
    return render_template("timer.html", routine=routine, plan=plan, phase_title=phase_title, back_url=back_url,
                           word=word)  # fmt: skip


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
    """Save what the timer did, the moment it stops; the end screen's feedback comes later (`session_feedback`).

    The timer sends {"items_planned", "items_done", "seconds_done", "completed",
    "items": [{"id", "variant"}] as offered, and "finished_at" (ISO 8601, optional:
    a record kept while the phone was offline arrives late, and says when it
    ended)}; the answer is {"counts", "message", "follow" (the phase's streak or
    week), "streak", "session" (`RoutineSession.to_json`), "feedback_url"}.
    """
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
    if not (0 <= done <= planned <= MOST_ITEMS and 0 <= seconds <= LONGEST_SESSION.total_seconds()):
        return jsonify(error="The timer sent figures that do not add up; nothing was saved."), 400
    try:
        items = parse_items(data.get("items"), catalogue_ids())
    except SessionInputError as exc:
        return jsonify(error=str(exc)), 400
    if items and len(items) != planned:
        return jsonify(error="The timer sent figures that do not add up; nothing was saved."), 400
    finished = _finished_at(data.get("finished_at"))
    if finished is None:
        return jsonify(error="The timer sent a time the routine could not have ended at; nothing was saved."), 400
    session = RoutineSession(run_id, phase, finished - timedelta(seconds=seconds), finished, planned, done, seconds,
                             completed, items)  # fmt: skip
    session = dataclasses.replace(session, id=dashboard.record_session(get_store(), session))
    done_streak = streak(gathered(), finished)  # gathered after the write
    message, follow = done_said(
        session,
        streak=done_streak if phase == "cooldown" else None,
        strength_week=strength_week(gathered(), finished) if phase == "strength" else None,
    )
    feedback_url = url_for("today.session_feedback", session_id=session.id)
    return jsonify(counts=session.counts, message=message, follow=follow, streak=done_streak.to_json(),
                   session=session.to_json(), feedback_url=feedback_url), 201  # fmt: skip


def _finished_at(sent: Any) -> datetime | None:
    """When the routine ended: now, or the time a late (offline) record gives, if it is in the last two days
    (None: older, or not a time); a time ahead of this server's clock is taken as now."""
    moment = now()
    if sent is None:
        return moment
    if not isinstance(sent, str) or len(sent) > 40:
        return None
    try:
        finished = datetime.fromisoformat(sent.replace("Z", "+00:00"))
    except ValueError:
        return None
    if finished.tzinfo is None:
        return None
    finished = finished.astimezone(UTC)
    if finished < moment - LATE_RECORD:
        return None
    # A phone whose clock runs ahead: the routine ended now, not in the future (and is not lost for it).
    return min(finished, moment)


@bp.post("/timer/<run_id:run_id>/done")
def timer_done(run_id: int) -> tuple[Response, int]:
    if get_store().run(run_id) is None:
        abort(404, description=NO_SUCH_RUN)
    return _record(run_id, "cooldown")


@bp.post("/timer/<any(warmup, strength):phase>/done")
def phase_done(phase: str) -> tuple[Response, int]:
    return _record(None, phase)


@bp.post("/timer/sessions/<row_id:session_id>/feedback")
def session_feedback(session_id: int) -> tuple[Response, int]:
    """The end screen's answers, each tap sent as it is made: {"back_after": ..., "disagreed": [...]}.

    The session itself was saved when the timer stopped; this only adds to it,
    so a runner who walks away loses at most the tap not yet made. A key left
    out keeps what is stored. Answers with the session as saved (`RoutineSession.to_json`).
    """
    store = get_store()
    stored = store.routine_session(session_id)
    if stored is None:
        abort(404, description=NO_SUCH_SESSION)
    try:
        back, disagreed = parse_feedback(request.get_json(silent=True), stored, catalogue_ids())
    except SessionInputError as exc:
        return jsonify(error=str(exc)), 400
    saved = store.set_routine_feedback(session_id, back_after=back, disagreed=disagreed)
    if saved is None:  # removed in between
        abort(404, description=NO_SUCH_SESSION)
    return jsonify(session=saved.to_json(), message=feedback_said(saved)), 200


def catalogue_ids() -> set[str]:
    return {m.id for m in coach_data().catalogue.movements}


@bp.get("/favicon.ico")
def favicon() -> Response:
    return redirect(url_for("static", filename="icon.svg"), code=301)


@bp.get("/healthz")
def health() -> dict[str, str]:
    return {"status": "ok"}
