"""Consistency and trends: the calendar, streaks, weekly distance and load against discomfort; the back log,
where a discomfort log is corrected or deleted."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from markupsafe import Markup
from werkzeug.wrappers import Response

from recovery import charts, dashboard
from recovery.coach.discomfort import DiscomfortLog, check_log
from recovery.store import LogNotCurrent
from recovery.web import gathered, get_store, now
from recovery.web.today import WHEN_WORDS, WHERE_WORDS, log_form_words, runner_today

bp = Blueprint("history", __name__)

NO_SUCH_LOG = "There is no such discomfort log stored: it may have been removed, or the link is wrong."
ALREADY_CORRECTED = "That log was already corrected or deleted: only the logs that still count can be changed."


@bp.get("/history")
def index() -> str:
    view = dashboard.history(gathered(), now())
    days = [charts.Day(d.day, d.distance_km, d.cooldown_done, d.discomfort) for d in view.days]
    weeks = [charts.Week(w.start, w.distance_km, w.load, w.discomfort_max) for w in view.weeks]
    return render_template(
        "history.html",
        view=view,
        heatmap=Markup(charts.heatmap(days, end=view.end, weeks=dashboard.HEATMAP_WEEKS, units=view.units)),
        weekly=Markup(charts.weekly_chart(weeks, units=view.units)),
        load_bars=Markup(charts.load_bars(view.trend.last_7_days, view.trend.weekly_average_28)),
        share_weeks=view.weeks[-dashboard.SHARE_WEEKS :],
        back=dashboard.back_log(gathered(), now()),
        today=runner_today(),
        when_words=WHEN_WORDS,
        where_words=WHERE_WORDS,
    )


def _current_log(log_id: int) -> DiscomfortLog:
    log = get_store().discomfort_log(log_id)
    if log is None:
        abort(404, description=NO_SUCH_LOG)
    return log


@bp.get("/discomfort/<row_id:log_id>/correct")
def correct_form(log_id: int) -> str | Response:
    log = _current_log(log_id)
    if log.corrected_at is not None:
        flash(ALREADY_CORRECTED, "error")
        return redirect(url_for("history.index") + "#back-log")
    return render_template("correct_log.html", log=log, **log_form_words())


@bp.post("/discomfort/<row_id:log_id>/correct")
def correct(log_id: int) -> Response:
    """The log as it should have been (the same fields and `check_log` as Today's form); kept at its own time."""
    old = _current_log(log_id)
    form = request.form
    log, problems = check_log(
        old.at, form.get("score", ""), form.get("when", "after"), form.get("where", "central"),
        form.getlist("red_flag"), form.get("note"), log_form_words()["red_flags"], form.get("easier"),
    )  # fmt: skip
    if log is None:
        for problem in problems:
            flash(problem, "error")
        return redirect(url_for("history.correct_form", log_id=log_id))
    try:
        get_store().correct_discomfort(log_id, log, now=now())
    except LogNotCurrent:  # corrected or deleted meanwhile (another tab, the CLI)
        flash(ALREADY_CORRECTED, "error")
    else:
        flash(f"Corrected: {log.score}/10, {WHEN_WORDS[log.when].lower()}, {WHERE_WORDS[log.where].lower()}. "
              "The old entry is kept, marked corrected.", "ok")  # fmt: skip
    return redirect(url_for("history.index") + "#back-log")


@bp.post("/discomfort/<row_id:log_id>/delete")
def delete(log_id: int) -> Response:
    _current_log(log_id)
    try:
        get_store().delete_discomfort(log_id, now=now())
    except LogNotCurrent:
        flash(ALREADY_CORRECTED, "error")
    else:
        flash("Deleted: that log no longer counts. It stays in the list, struck through.", "ok")
    return redirect(url_for("history.index") + "#back-log")
