"""Every stored activity, and one run in detail: charts, route, laps, and its cool-downs."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from markupsafe import Markup

from recovery import charts, dashboard
from recovery.summary import duration
from recovery.web import NO_SUCH_RUN, gathered, get_store
from recovery.web.filters import local

bp = Blueprint("runs", __name__)
#: No list has more pages: a bigger ?page= is a typo, and must not reach the database as an OFFSET it cannot hold.
MAX_PAGE = 1_000_000
#: A run's charts are drawn this wide (and 200 high) so the whole run fits a phone's width with labels still
#: readable; on a wide screen they sit two to a row.
RUN_CHART_WIDTH = 360


@bp.get("/runs")
def index() -> str:
    only_runs = request.args.get("only") == "runs"
    asked = request.args.get("page", 1, type=int)
    asked = min(max(1, asked), MAX_PAGE)  # clamped again there
    page = dashboard.run_list(get_store(), gathered(), asked, only_runs=only_runs)
    return render_template("runs.html", page=page, only_runs=only_runs)


@bp.get("/runs/<run_id:run_id>")
def detail(run_id: int) -> str:
    store = get_store()
    stored = store.run(run_id)
    if stored is None:
        abort(404, description=NO_SUCH_RUN)
    run = stored.run
    units = gathered().settings.units
    series = dashboard.run_series(run, units)
    feet = units == "mi"
    wanted = (
        ("pace", f"Pace (min/{units})", duration, True),
        ("hr", "Heart rate (bpm)", lambda v: f"{v:.0f}", False),
        ("elevation", f"Elevation ({'ft' if feet else 'm'})", lambda v: f"{v * (3.28084 if feet else 1):.0f}", False),
    )
    figures = {
        title: Markup(charts.line_chart(series[kind].t, series[kind].values, title=title, x_format=duration,
                                        y_format=y_format, invert_y=invert, kind=kind, width=RUN_CHART_WIDTH))
        for kind, title, y_format, invert in wanted
        if series[kind]
    }  # fmt: skip
    route = None
    if run.has_gps:
        title = f"Route of the run on {local(run.start_time_utc)}"
        route = Markup(charts.route_svg(run.streams.lat, run.streams.lon, title=title))
    sessions = [s for s in gathered().sessions if s.run_id == run_id]
    return render_template("run.html", stored=stored, run=run, figures=figures, route=route, sessions=sessions)
