"""The import log, the watched folders, and uploading a file or an export zip from the browser."""

from __future__ import annotations

import atexit
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, request, url_for
from werkzeug.datastructures import FileStorage
from werkzeug.utils import secure_filename
from werkzeug.wrappers import Response

from recovery import nudges
from recovery.importlog import LogPage, log_page, reader_of
from recovery.ingest import FileOutcome, ingest_inputs
from recovery.inputs import InputFile, iter_upload
from recovery.isolation import ParsePool
from recovery.summary import summary_line
from recovery.watchers.folders import FolderRefused, unwatch_folder, watch_folder
from recovery.web import MAX_RUN_ID, get_store, now
from recovery.web.filters import distance

bp = Blueprint("imports", __name__)
#: Lines of the import log per page (a line is one entry, or a run of the same repetitive outcome).
LOG_LINES = 50
#: New runs an upload's answer links to; a whole export's others are in the runs list.
LINKED_RUNS = 10
OUTCOME_WORDS = {
    "imported": "Imported",
    "duplicate": "Already stored",
    "not_a_run": "Not a run",
    "rejected": "Refused",
    "incomplete": "Still being written",
    "unavailable": "Not available",
}


@bp.get("/imports")
def index() -> str:
    store = get_store()
    folders = [(path, Path(path).is_dir()) for path in store.folders()]
    return render_template("imports.html", log=_log_page(), folders=folders, outcome_words=OUTCOME_WORDS)


@bp.get("/imports/log")
def log_section() -> str:
    """The import log's section alone (`_import_log.html`), for the upload script to refresh without a reload."""
    return render_template("_import_log.html", log=_log_page(), outcome_words=OUTCOME_WORDS)


def _entry_id(name: str) -> int | None:
    """?before= or ?after= as an entry id; anything else (a typo, a huge number) is the newest page."""
    value = request.args.get(name, type=int)
    return value if value is not None and 0 < value <= MAX_RUN_ID else None


def _log_page() -> LogPage:
    return log_page(reader_of(get_store()), lines=LOG_LINES, before=_entry_id("before"), after=_entry_id("after"))


def _run_links(outcomes: list[FileOutcome]) -> list[dict[str, str | int]]:
    """Where to go next for each new run an upload stored: its page, and its cool-down when it is a run."""
    links: list[dict[str, str | int]] = []
    store = get_store()
    for run_id in [i for o in outcomes if o.outcome == "imported" for i in o.run_ids][:LINKED_RUNS]:
        stored = store.run(run_id)
        if stored is None:
            continue
        run = stored.run
        what = "run" if run.is_run else run.sport.replace("_", " ")
        link: dict[str, str | int] = {
            "run_id": run_id,
            "href": url_for("runs.detail", run_id=run_id),
            "text": f"View your {distance(run.distance_m, 1)} {what}" if run.distance_m else f"View your {what}",
        }
        if run.is_run:
            link["cooldown_href"] = url_for("today.timer", run_id=run_id)
            link["cooldown_text"] = "Open the cool-down"
        links.append(link)
    return links


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def parse_pool() -> ParsePool:
    """The app's worker processes for parsing: shared by uploads and `serve`'s watchers, started on first use."""
    extensions = current_app.extensions
    if "recovery.parse_pool" not in extensions:
        pool = extensions.setdefault("recovery.parse_pool", ParsePool(1))
        atexit.register(pool.close)
    return extensions["recovery.parse_pool"]  # type: ignore[no-any-return]


@bp.post("/imports/upload")
def upload() -> Response | tuple[Response, int]:
    """Import uploaded files through the same path as every other import.

    Each upload is read where the server spooled it (an anonymous temporary
    file, gone even if the server is killed), never copied to a folder; the
    log names it "upload/<its name>". Parsing happens in the worker pool, so
    no file can take the server down.
    """
    files = [f for f in request.files.getlist("file") if f and f.filename]
    if not files:
        if _wants_json():
            return jsonify(error="Choose a file (.fit, .gpx, .tcx, .gz) or an export .zip to upload."), 400
        flash("Choose a file (.fit, .gpx, .tcx, .gz) or an export .zip to upload.", "error")
        return redirect(url_for("imports.index"))
    outcomes: list[FileOutcome] = list(
        ingest_inputs(get_store(), _uploaded(files), clock=current_app.config["CLOCK"], parser=parse_pool())
    )
    counts = Counter(o.outcome for o in outcomes)
    summary = summary_line(counts)
    nudges.after_import_soon(get_store(), outcomes, now=now())  # queued now, sent in the background
    if _wants_json():
        return jsonify(summary=summary, files=[o.to_json() for o in outcomes], runs=_run_links(outcomes)), 200
    for o in outcomes:
        flash(o.message, "error" if o.outcome == "rejected" else "ok")
    flash(summary, "ok")
    return redirect(url_for("imports.index"))


def _uploaded(files: list[FileStorage]) -> Iterator[InputFile]:
    for index, upload in enumerate(files):
        name = secure_filename(upload.filename or "") or f"upload-{index}"
        yield from iter_upload(f"upload/{name}", upload.stream)


@bp.post("/folders")
def folders() -> Response:
    """Add or remove a watched folder; `serve` picks the change up within a minute."""
    store = get_store()
    action = request.form.get("action")
    raw = (request.form.get("path") or "").strip()
    back = request.form.get("back") if request.form.get("back") in ("settings", "imports") else "imports"
    target = url_for(f"{back}.index")
    if not raw:
        flash("Give the folder's full path, for example /media/you/GARMIN or ~/Sync/watch.", "error")
        return redirect(target)
    if action == "remove":
        removed = unwatch_folder(store, raw)
        flash(removed or f"{raw} was not being watched.", "ok" if removed else "error")
        return redirect(target)
    # The server's working folder means nothing to the runner: only full paths.
    if not raw.startswith(("/", "~")):
        flash("Give the folder's full path, starting with / or ~.", "error")
        return redirect(target)
    try:
        flash(watch_folder(store, raw, now=now()), "ok")
    except FolderRefused as problem:
        flash(str(problem), "error")
    return redirect(target)
