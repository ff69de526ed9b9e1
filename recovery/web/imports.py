"""The import log, the watched folders, and uploading a file or an export zip from the browser."""

from __future__ import annotations

import dataclasses
import tempfile
from collections import Counter
from pathlib import Path

from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, request, url_for
from werkzeug.utils import secure_filename
from werkzeug.wrappers import Response

from recovery.ingest import FileOutcome, ingest_inputs
from recovery.inputs import iter_inputs
from recovery.summary import summary_line
from recovery.web import get_store, now
from watchers.folders import unwatch_folder, watch_folder

bp = Blueprint("imports", __name__)
LOG_ROWS = 100
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
    return render_template(
        "imports.html", log=store.import_log(limit=LOG_ROWS), folders=folders, outcome_words=OUTCOME_WORDS
    )


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


@bp.post("/imports/upload")
def upload() -> Response | tuple[Response, int]:
    """Import uploaded files through the same path as every other import.

    The upload is kept in a temporary folder only while it is read; the log
    names it "upload/<its name>".
    """
    files = [f for f in request.files.getlist("file") if f and f.filename]
    if not files:
        if _wants_json():
            return jsonify(error="Choose a file (.fit, .gpx, .tcx, .gz) or an export .zip to upload."), 400
        flash("Choose a file (.fit, .gpx, .tcx, .gz) or an export .zip to upload.", "error")
        return redirect(url_for("imports.index"))
    outcomes: list[FileOutcome] = []
    with tempfile.TemporaryDirectory(prefix="recovery-upload-") as folder:
        paths: list[str | Path] = []
        for index, upload in enumerate(files):
            name = secure_filename(upload.filename or "") or f"upload-{index}"
            target = Path(folder) / f"{index}" / name
            target.parent.mkdir()
            upload.save(target)
            paths.append(target)
        inputs = (dataclasses.replace(item, label=_upload_label(item.label, folder)) for item in iter_inputs(paths))
        # One process: parsing in a pool from inside a threaded server is not worth the risk.
        outcomes = list(ingest_inputs(get_store(), inputs, clock=current_app.config["CLOCK"], workers=1))
    counts = Counter(o.outcome for o in outcomes)
    summary = summary_line(counts)
    if _wants_json():
        rows = [{"file": o.path, "outcome": o.outcome, "message": o.message, "run_ids": list(o.run_ids)}
                for o in outcomes]  # fmt: skip
        return jsonify(summary=summary, files=rows), 200
    for o in outcomes:
        flash(o.message, "error" if o.outcome == "rejected" else "ok")
    flash(summary, "ok")
    return redirect(url_for("imports.index"))


def _upload_label(label: str, folder: str) -> str:
    """'upload/run.fit' (or 'upload/export.zip/activities/1.fit'), not the temporary path."""
    inside = Path(label).relative_to(folder).as_posix()
    return "upload/" + inside.split("/", 1)[1]


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
    flash(watch_folder(store, raw, now=now()), "ok")
    return redirect(target)
