"""Nothing a file or a kill does can stop the service or lose a run: real processes, files made here.

Each poison file below once ended in a traceback, a dead process or a
retry loop. Now each is one line in the import log (a refusal, or a run
with the impossible values left out), the files after it are imported,
and the server keeps answering.
"""

from __future__ import annotations

import contextlib
import http.cookiejar
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
import zipfile
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from recovery.coach.discomfort import DiscomfortLog
from recovery.store import Store
from recovery.synthetic import make_run, to_fit, to_gpx, to_tcx
from tests.conftest import free_port, living_processes, stop_process

START = datetime(2026, 10, 1, 6, 30, tzinfo=UTC)
RECOVERY = [sys.executable, "-m", "recovery"]


def _fit(day: int, minutes: int = 15) -> bytes:
    return to_fit(make_run(day, START + timedelta(days=day), duration_s=minutes * 60))


def deep_gpx() -> bytes:
    """<extensions> nested 150,000 deep (2.8 MB): it overflowed the C stack in gpxpy's deep copy."""
    depth = 150_000
    return (
        b'<?xml version="1.0"?><gpx version="1.1" creator="x"><trk><trkseg>'
        b'<trkpt lat="1" lon="1"><time>2026-10-01T06:30:00Z</time><extensions>'
        + b"<e>" * depth
        + b"</e>" * depth
        + b"</extensions></trkpt></trkseg></trk></gpx>"
    )


def repeated_time_tcx() -> bytes:
    """A trackpoint repeated at the same second without its heart rate: sorting the points crashed."""
    tcx = to_tcx(make_run(5, START + timedelta(days=5), duration_s=600)).decode()
    points = re.findall(r"<Trackpoint>.*?</Trackpoint>", tcx, flags=re.S)
    twin = re.sub(r"<HeartRateBpm>.*?</HeartRateBpm>", "", points[10], flags=re.S)
    return tcx.replace(points[10], points[10] + twin, 1).encode()


def impossible_gpx() -> bytes:
    """An infinite latitude, an infinite heart rate and a point in the year 9999: they crashed when stored."""
    gpx = to_gpx(make_run(6, START + timedelta(days=6), duration_s=600)).decode()
    points = re.findall(r"<trkpt .*?</trkpt>", gpx, flags=re.S)
    bad = [
        re.sub(r'lat="[^"]+"', 'lat="inf"', points[3]),
        re.sub(r"<gpxtpx:hr>\d+<", "<gpxtpx:hr>inf<", points[4]),
        re.sub(r"<time>\d{4}-", "<time>9999-", points[5]),
    ]
    for old, new in zip(points[3:6], bad, strict=True):
        gpx = gpx.replace(old, new, 1)
    return gpx.encode()


def poisoned_folder(root: Path) -> dict[str, str]:
    """Good runs with poison between them; returns file name -> 'good' or 'poison'."""
    root.mkdir(parents=True, exist_ok=True)
    files = {
        "a-good.fit": _fit(1),
        "b-deep.gpx": deep_gpx(),
        "c-good.fit": _fit(2),
        "d-repeated-time.tcx": repeated_time_tcx(),
        "e-impossible.gpx": impossible_gpx(),
        "f-cut-short.fit": _fit(3)[:-700],
        "g-good.fit": _fit(4),
    }
    for name, data in files.items():
        (root / name).write_bytes(data)
    return {name: "good" if "good" in name else "poison" for name in files}


def _log(db: str) -> list[dict]:
    out = subprocess.run([*RECOVERY, "--db", db, "log", "--json", "--limit", "1000"],
                         capture_output=True, text=True, check=True)  # fmt: skip
    return json.loads(out.stdout)


def _runs(db: str) -> list[dict]:
    out = subprocess.run([*RECOVERY, "--db", db, "runs", "--json"], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def _by_file(log: list[dict]) -> dict[str, list[str]]:
    outcomes: dict[str, list[str]] = {}
    for entry in log:
        outcomes.setdefault(entry["path"].replace("!", "/").rsplit("/", 1)[-1], []).append(entry["outcome"])
    return outcomes


def _assert_each_file_once(log: list[dict], kinds: dict[str, str]) -> None:
    outcomes = _by_file(log)
    for name, kind in kinds.items():
        assert name in outcomes, f"{name} never reached the import log"
        assert len(outcomes[name]) == 1, f"{name} was logged {len(outcomes[name])} times: {outcomes[name]}"
        if kind == "good":
            assert outcomes[name] == ["imported"], f"{name}: {outcomes[name]}"
    assert not any(e["message"].count("Traceback") for e in log)


# -- the command line ------------------------------------------------------------


@pytest.mark.slow
def test_a_poisoned_folder_imports_every_good_file_and_logs_each_bad_one_once(tmp_path: Path) -> None:
    kinds = poisoned_folder(tmp_path / "runs")
    db = str(tmp_path / "db.sqlite3")
    done = subprocess.run([*RECOVERY, "--db", db, "import", "--workers", "2", str(tmp_path / "runs")],
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout.strip().splitlines()[-1].startswith("4 imported") or "imported" in done.stdout
    _assert_each_file_once(_log(db), kinds)
    assert len(_runs(db)) >= 3
    refusal = next(e for e in _log(db) if e["path"].endswith("b-deep.gpx"))
    assert refusal["outcome"] == "rejected" and refusal["message"].startswith("b-deep.gpx ")


# -- the server: upload and watcher ----------------------------------------------



class Serve:
    """`recovery serve` on its own port, watching `folder`."""

    def __init__(self, db: str, folder: Path | None = None, env: dict[str, str] | None = None) -> None:
        self.db = db
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        if folder is not None:
            with Store(db) as store:
                store.add_folder(str(folder), now=START)
        args = [*RECOVERY, "--db", db, "serve", "--port", str(self.port), "--interval", "0.3"]
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                        env={**os.environ, **(env or {})})  # fmt: skip
        jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        deadline = time.monotonic() + 30
        while not self.answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise AssertionError(f"serve did not start: {self.stderr()}")
            time.sleep(0.2)

    def answers(self) -> bool:
        try:
            with self.opener.open(self.url + "/healthz", timeout=5) as reply:
                return json.load(reply) == {"status": "ok"}
        except OSError:
            return False

    def upload(self, files: dict[str, bytes]) -> dict:
        with self.opener.open(self.url + "/imports", timeout=10) as reply:
            token = re.search(r'name="csrf-token" content="([^"]+)"', reply.read().decode()).group(1)
        boundary = uuid.uuid4().hex
        body = b"".join(
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            f"Content-Type: application/octet-stream\r\n\r\n".encode()
            + data
            + b"\r\n"
            for name, data in files.items()
        ) + f"--{boundary}--\r\n".encode()
        request = urllib.request.Request(
            self.url + "/imports/upload",
            data=body,
            headers={
                "Content-Type": f"multipart/form-data; boundary={boundary}",
                "X-CSRFToken": token,
                "Accept": "application/json",
            },
        )
        with self.opener.open(request, timeout=120) as reply:
            return json.load(reply)

    def stderr(self) -> str:
        return self.process.stderr.read().decode() if self.process.stderr and self.process.poll() is not None else ""

    def stop(self) -> None:
        stop_process(self.process)


@pytest.fixture
def serve_folder(tmp_path: Path) -> Iterator[tuple[Serve, Path]]:
    folder = tmp_path / "watch"
    folder.mkdir()
    server = Serve(str(tmp_path / "db.sqlite3"), folder)
    yield server, folder
    server.stop()


@pytest.mark.slow
def test_an_upload_with_poison_between_good_files_imports_every_good_one(serve_folder: tuple[Serve, Path],
                                                                          tmp_path: Path) -> None:  # fmt: skip
    server, _ = serve_folder
    kinds = poisoned_folder(tmp_path / "upload")
    reply = server.upload({name: (tmp_path / "upload" / name).read_bytes() for name in kinds})
    outcomes = {row["path"].rsplit("/", 1)[-1]: row["outcome"] for row in reply["files"]}
    assert set(outcomes) == set(kinds)
    assert all(outcomes[name] == "imported" for name, kind in kinds.items() if kind == "good")
    assert outcomes["b-deep.gpx"] == "rejected"
    assert server.answers() and server.process.poll() is None
    _assert_each_file_once(_log(server.db), kinds)


@pytest.mark.slow
def test_poison_in_a_watched_folder_is_logged_once_while_serve_keeps_answering(
    serve_folder: tuple[Serve, Path],
) -> None:
    server, folder = serve_folder
    kinds = poisoned_folder(folder)
    deadline = time.monotonic() + 60
    while len(_by_file(_log(server.db))) < len(kinds):
        assert server.answers(), "serve stopped answering"
        assert time.monotonic() < deadline, f"only {_by_file(_log(server.db))} were handled"
        time.sleep(0.3)
    time.sleep(2.0)  # several more scans: nothing is tried again
    assert server.answers() and server.process.poll() is None
    _assert_each_file_once(_log(server.db), kinds)


@pytest.mark.slow
def test_a_server_killed_mid_upload_leaves_no_upload_behind(tmp_path: Path) -> None:
    """Uploads are read where the server spooled them (anonymous files), never copied into folders of their own."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    server = Serve(str(tmp_path / "db.sqlite3"), env={"TMPDIR": str(temp)})
    slow = to_gpx(make_run(1, START, duration_s=24 * 3600))  # 20 MB, 4 s to parse: the kill lands mid-import
    sent = threading.Event()

    def upload() -> None:
        sent.set()
        with contextlib.suppress(OSError):  # the server dies before it answers
            server.upload({"long.gpx": slow})

    worker = threading.Thread(target=upload)
    try:
        worker.start()
        assert sent.wait(5)
        time.sleep(1.5)
        server.process.send_signal(signal.SIGKILL)
        server.process.wait()
    finally:
        server.stop()
        worker.join(timeout=30)
    left = sorted(p.name for p in temp.iterdir() if not p.name.startswith("pymp-"))  # multiprocessing's own socket
    assert left == [], f"left behind after the kill: {left}"


@pytest.mark.slow
def test_three_watchers_on_one_folder_import_and_log_each_file_once(tmp_path: Path) -> None:
    db = str(tmp_path / "db.sqlite3")
    folder = tmp_path / "watch"
    folder.mkdir()
    Store(db).close()  # migrated once, before three processes open it
    command = [*RECOVERY, "--db", db, "watch", str(folder), "--interval", "0.2"]
    watchers = [subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(3)]
    try:
        time.sleep(2.0)
        names = [f"run-{day}.fit" for day in range(8)]
        for day, name in enumerate(names):
            (folder / name).write_bytes(_fit(day))
        deadline = time.monotonic() + 60
        while len(_runs(db)) < len(names):
            assert time.monotonic() < deadline, "the watchers did not import every run"
            time.sleep(0.3)
        time.sleep(1.5)
    finally:
        for watcher in watchers:
            watcher.terminate()
            watcher.wait(timeout=10)
    log = _log(db)
    assert Counter(_by_file(log)) and all(len(v) == 1 for v in _by_file(log).values()), _by_file(log)
    assert len(log) == len(names)


# -- a killed import on PostgreSQL -------------------------------------------------


def _process_group(pgid: int) -> list[int]:
    return [pid for pid, (_parent, group) in living_processes().items() if group == pgid]


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc (Linux)")
@pytest.mark.parametrize("kill_after_lines", [2, 12, 25])
def test_sigkill_of_a_two_worker_import_on_postgresql_leaves_no_orphan_and_no_lock(
    tmp_path: Path, postgres_url: str, kill_after_lines: int
) -> None:
    folder = tmp_path / "runs"
    folder.mkdir()
    for day in range(40):
        (folder / f"run-{day:02d}.fit").write_bytes(_fit(day, minutes=40))
    Store(postgres_url).close()
    proc = subprocess.Popen(
        [*RECOVERY, "--db", postgres_url, "import", "--workers", "2", str(folder)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        start_new_session=True,  # its own process group: every process it started can be found
    )
    assert proc.stdout is not None
    for _ in range(kill_after_lines):
        if not proc.stdout.readline():
            break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()

    with Store(postgres_url) as store:
        began = time.monotonic()
        store.add_discomfort(DiscomfortLog(START, 2, "after", "central", (), None))
        assert time.monotonic() - began < 1.0, "a writer waited on the killed import's lock"
    deadline = time.monotonic() + 5
    while _process_group(proc.pid):
        assert time.monotonic() < deadline, f"processes outlived the killed import: {_process_group(proc.pid)}"
        time.sleep(0.1)

    again = subprocess.run([*RECOVERY, "--db", postgres_url, "import", str(folder)], capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    assert len(_runs(postgres_url)) == 40, "every run once after the kill and a second import"


# -- memory and disk -----------------------------------------------------------------


def _compressible(size: int) -> bytes:
    """Junk that deflates about 70:1: far under the bomb ratio, yet tiny once compressed."""
    block = bytearray(4 * 1024 * 1024)
    for offset in range(0, len(block), 4096):
        block[offset : offset + 40] = os.urandom(40)
    whole, rest = divmod(size, len(block))
    return bytes(block) * whole + bytes(block[:rest])


@pytest.mark.slow
def test_a_nested_export_far_bigger_than_memory_allows_is_imported_within_a_memory_ceiling(tmp_path: Path) -> None:
    """Garmin's nested UploadedFiles zip, inflating to 600 MB, costs the importer a fraction of that."""
    inner = tmp_path / "UploadedFiles_0-_Part1.zip"
    junk = _compressible(150 * 1024 * 1024)
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("a-run.fit", _fit(1))
        for n in range(4):
            archive.writestr(f"junk-{n}.fit", junk)  # each refused: not an activity file
        archive.writestr("z-run.fit", _fit(2))
    del junk
    outer = tmp_path / "garmin-export.zip"
    with zipfile.ZipFile(outer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.write(inner, "DI_CONNECT/DI-Connect-Uploaded-Files/UploadedFiles_0-_Part1.zip")
    inner.unlink()
    assert outer.stat().st_size < 30 * 1024**2

    db = tmp_path / "db.sqlite3"
    proc = subprocess.Popen([*RECOVERY, "--db", str(db), "import", "--workers", "1", str(outer)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    _pid, status, usage = os.wait4(proc.pid, 0)
    out = proc.stdout.read().decode() if proc.stdout else ""
    assert os.waitstatus_to_exitcode(status) == 0, proc.stderr.read().decode() if proc.stderr else ""
    assert out.strip().splitlines()[-1] == "2 imported, 0 duplicates, 0 not runs, 4 rejected"
    peak_mb = usage.ru_maxrss / 1024
    assert peak_mb < 700, f"the import peaked at {peak_mb:.0f} MB for a 600 MB nested archive"


def _in_a_small_filesystem(script: str, size: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Run `script` (sh) with $DISK a fresh tmpfs of `size`, in a mount namespace of its own."""
    if shutil.which("unshare") is None:
        pytest.skip("needs unshare (util-linux) to mount a small filesystem")
    disk = tmp_path / "disk"
    disk.mkdir()
    probe = subprocess.run(["unshare", "-rm", "sh", "-c", f"mount -t tmpfs -o size=64k tmpfs {disk}"],
                           capture_output=True, text=True)  # fmt: skip
    if probe.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs in a user namespace here: {probe.stderr.strip()}")
    body = f"set -u; mount -t tmpfs -o size={size} tmpfs {disk}; DISK={disk}; RECOVERY='{' '.join(RECOVERY)}'\n"
    return subprocess.run(["unshare", "-rm", "sh", "-c", body + script], capture_output=True, text=True,
                          timeout=300, env={**os.environ, "HOME": str(tmp_path)})  # fmt: skip


@pytest.mark.slow
def test_a_full_disk_stops_an_import_with_one_sentence_and_keeps_what_was_stored(tmp_path: Path) -> None:
    folder = tmp_path / "runs"
    folder.mkdir()
    for day in range(120):
        (folder / f"run-{day:03d}.fit").write_bytes(_fit(day, minutes=60))
    script = f"""
$RECOVERY --db $DISK/db.sqlite3 import --workers 1 {folder} > {tmp_path}/out.txt 2> {tmp_path}/err.txt
echo "status=$?"
$RECOVERY --db $DISK/db.sqlite3 runs --json > {tmp_path}/runs.json
echo "runs=$?"
"""
    done = _in_a_small_filesystem(script, "1m", tmp_path)
    assert "status=1" in done.stdout, done.stdout + done.stderr
    err = (tmp_path / "err.txt").read_text()
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("Error: The database (") and "db.sqlite3) could not be written: the disk is full." in err
    imported = [line for line in (tmp_path / "out.txt").read_text().splitlines() if ": imported" in line]
    assert 0 < len(imported) < 120
    if "runs=0" in done.stdout:
        assert len(json.loads((tmp_path / "runs.json").read_text())) == len(imported), "no half-stored run"


@pytest.mark.slow
def test_a_read_only_data_folder_gives_one_sentence_not_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "run.fit").write_bytes(_fit(1))
    script = f"""
$RECOVERY --db $DISK/db.sqlite3 import {tmp_path}/run.fit > /dev/null 2>&1 || echo "first import failed"
mount -o remount,ro $DISK
$RECOVERY --db $DISK/db.sqlite3 import {tmp_path}/run.fit
echo "status=$?"
$RECOVERY --db $DISK/new/db.sqlite3 runs
echo "status=$?"
"""
    done = _in_a_small_filesystem(script, "8m", tmp_path)
    assert "first import failed" not in done.stdout
    assert "Traceback" not in done.stderr, done.stderr
    assert done.stdout.count("status=1") == 2, done.stdout + done.stderr
    lines = [line for line in done.stderr.splitlines() if line.startswith("Error:")]
    assert len(lines) == 2 and all("read-only" in line for line in lines), done.stderr
