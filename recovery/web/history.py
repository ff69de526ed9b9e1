"""Consistency and trends: the calendar, streaks, weekly distance and load against discomfort."""

from __future__ import annotations

from flask import Blueprint, render_template
from markupsafe import Markup

from recovery import charts, dashboard
from recovery.web import gathered, now

bp = Blueprint("history", __name__)


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
    )
