"""Where files come from: paths, folders (recursively), zip archives and uploads.

Files are only ever opened for reading; nothing here moves, renames or
deletes a runner's originals. Archive members are streamed from the zip,
never unpacked to disk under their own names, so a hostile name like
`../../x` has nowhere to go; it is refused all the same, as is any member
that inflates like a bomb.

Memory stays bounded whatever an archive claims about itself: a member is
read with its real size capped (the sizes in a zip's directory are the
archive's word, not a fact) by `recovery.parsers.read_capped`, the cap on
a file on disk and an upload too, and a nested archive (Garmin's
`UploadedFiles_*.zip`) is inflated into an anonymous temporary file, which
the system removes even if the process is killed, never into memory.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO

from recovery.errors import FileRejected
from recovery.model import ActivityHint
from recovery.parsers import read_capped, read_file

#: Extensions looked at when walking folders and archives (case-insensitive).
#: A file named on the command line is always tried, whatever its name.
ACTIVITY_SUFFIXES = (".fit", ".gpx", ".tcx", ".fit.gz", ".gpx.gz", ".tcx.gz")
ARCHIVE_SUFFIXES = (".zip",)
#: Names that operating systems and sync tools leave behind.
JUNK_NAMES = {".ds_store", "thumbs.db", "desktop.ini"}
MAX_ARCHIVE_DEPTH = 2  # a Garmin export nests zips one level deep
#: All the members of one export together, as actually inflated (not as its directory claims).
MAX_ARCHIVE_TOTAL_BYTES = 20 * 1024**3
#: A nested archive, inflated to a temporary file (Garmin's parts are a few hundred MB each).
MAX_NESTED_ARCHIVE_BYTES = 8 * 1024**3
MAX_MEMBER_RATIO = 200


@dataclass(frozen=True)
class InputFile:
    """One candidate file: a label to show and log, and a way to read its bytes.

    An archive member can be read only while `iter_inputs` has not moved past
    its archive: consume the iterator and the reads together, never as a list.
    """

    label: str
    read: Callable[[], bytes]
    hint: ActivityHint | None = None


def is_candidate(name: str) -> bool:
    lowered = name.lower().rsplit("/", 1)[-1]
    if lowered in JUNK_NAMES or lowered.startswith("._") or lowered.startswith("."):
        return False
    return lowered.endswith(ACTIVITY_SUFFIXES)


def is_archive(name: str) -> bool:
    return name.lower().endswith(ARCHIVE_SUFFIXES)


def iter_inputs(paths: list[str | Path]) -> Iterator[InputFile]:
    """Expand files, folders and zips into the activity files they hold, in a stable order."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            yield from _walk(path)
        elif is_archive(path.name) and zipfile.is_zipfile(path):
            yield from _archive(str(path), lambda p=path: zipfile.ZipFile(p), depth=1)
        else:
            yield InputFile(str(path), lambda p=path: read_file(p))


def iter_upload(label: str, stream: IO[bytes]) -> Iterator[InputFile]:
    """The activity files in one uploaded file: itself, or the members of an export zip.

    `stream` is the upload as the web server spooled it (seekable); it is
    read where it is, never copied to a folder of its own.
    """
    if zipfile.is_zipfile(stream):
        stream.seek(0)
        yield from _archive(label, lambda: zipfile.ZipFile(stream), depth=1)
        return
    stream.seek(0, os.SEEK_END)
    size = stream.tell()
    stream.seek(0)
    name = label.rsplit("/", 1)[-1]
    yield InputFile(label, lambda: read_capped(stream, name, size))


def _walk(folder: Path) -> Iterator[InputFile]:
    seen: set[tuple[int, int]] = set()  # (device, inode): symlink loops end here
    for root, dirs, files in os.walk(folder, followlinks=True):
        try:
            st = os.stat(root)
        except OSError:
            continue
        if (st.st_dev, st.st_ino) in seen:
            dirs[:] = []
            continue
        seen.add((st.st_dev, st.st_ino))
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != ".stversions")
        for name in sorted(files):
            path = Path(root) / name
            if is_candidate(name):
                yield InputFile(str(path), lambda p=path: read_file(p))
            elif is_archive(name) and not name.startswith("."):
                yield from iter_inputs([path])


def _archive(label: str, opener: Callable[[], zipfile.ZipFile], depth: int) -> Iterator[InputFile]:
    try:
        archive = opener()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        name = label.rsplit("/", 1)[-1]
        yield InputFile(label, _raiser(FileRejected(name, f"is not a readable zip archive ({exc})")))
        return
    with archive:
        budget = _Budget()
        hints = strava_hints(archive)
        for info in archive.infolist():
            if info.is_dir():
                continue
            member_label = f"{label}!{info.filename}"
            short = info.filename.rsplit("/", 1)[-1] or info.filename
            pure = PurePosixPath(info.filename.replace("\\", "/"))
            if pure.is_absolute() or ".." in pure.parts:
                yield InputFile(
                    member_label,
                    _raiser(FileRejected(short, "has a path that points outside the archive; refused for safety")),
                )
                continue
            nested = is_archive(info.filename) and depth < MAX_ARCHIVE_DEPTH
            if not (is_candidate(info.filename) or nested):
                continue
            if (
                budget.spent > MAX_ARCHIVE_TOTAL_BYTES
                or (nested and info.file_size > MAX_NESTED_ARCHIVE_BYTES)
                or (info.compress_size and info.file_size / info.compress_size > MAX_MEMBER_RATIO)
            ):
                yield InputFile(member_label, _raiser(_bomb(short)))
                continue
            if nested:
                try:
                    spooled = _spool_member(archive, info, short, budget)
                except FileRejected as problem:
                    yield InputFile(member_label, _raiser(problem))
                    continue
                with spooled:
                    yield from _archive(member_label, lambda f=spooled: zipfile.ZipFile(f), depth + 1)
                continue
            yield InputFile(
                member_label,
                lambda a=archive, i=info, s=short: _read_member(a, i, s, budget),
                hints.get(_index_key(info.filename)),
            )


class _Budget:
    """The bytes an archive's members really inflated to, so far."""

    def __init__(self) -> None:
        self.spent = 0

    def take(self, size: int, short: str) -> None:
        self.spent += size
        if self.spent > MAX_ARCHIVE_TOTAL_BYTES:
            raise _bomb(short)


def _bomb(short: str) -> FileRejected:
    return FileRejected(short, "unpacks to far more data than any activity holds; refused as a possible zip bomb")


MAX_INDEX_BYTES = 64 * 1024 * 1024


def strava_hints(archive: zipfile.ZipFile) -> dict[str, ActivityHint]:
    """Names and types from a Strava bulk export's activities.csv, by file name.

    The index is optional: an archive without one (or with one we cannot
    read) is imported from the files alone.
    """
    index = next((i for i in archive.infolist() if i.filename.rsplit("/", 1)[-1] == "activities.csv"), None)
    if index is None or index.file_size > MAX_INDEX_BYTES:
        return {}
    try:
        with archive.open(index) as handle:
            text = handle.read(MAX_INDEX_BYTES).decode("utf-8-sig", errors="replace")
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError):
        return {}
    hints: dict[str, ActivityHint] = {}
    for row in csv.DictReader(io.StringIO(text)):
        filename = (row.get("Filename") or "").strip()
        if filename:
            hints[_index_key(filename)] = ActivityHint(
                name=(row.get("Activity Name") or "").strip() or None,
                sport_label=(row.get("Activity Type") or "").strip() or None,
            )
    return hints


def _index_key(filename: str) -> str:
    """activities/123.fit.gz and export/activities/123.fit.gz name the same file."""
    parts = filename.replace("\\", "/").split("/")
    return "/".join(parts[-2:]).lower()


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, short: str, budget: _Budget) -> bytes:
    """Read one member, trusting nothing the zip's directory claims about its size.

    One the directory says is above the cap is refused, as a file on disk
    that big is, before anything is inflated.
    """
    try:
        with archive.open(info) as handle:
            data = read_capped(handle, short, info.file_size)
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, ValueError, RuntimeError) as exc:
        raise FileRejected(short, f"could not be read from the archive ({exc})") from exc
    budget.take(len(data), short)
    return data


def _spool_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, short: str, budget: _Budget) -> IO[bytes]:
    """Inflate a nested archive into an anonymous temporary file (gone when closed, or if we are killed)."""
    spooled = tempfile.TemporaryFile(prefix="recovery-nested-")  # noqa: SIM115 (closed by the caller, or here)
    try:
        with archive.open(info) as handle:
            copied = _copy_capped(handle, spooled, MAX_NESTED_ARCHIVE_BYTES)
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, ValueError, RuntimeError) as exc:
        spooled.close()
        raise FileRejected(short, f"could not be read from the archive ({exc})") from exc
    if copied > MAX_NESTED_ARCHIVE_BYTES:
        spooled.close()
        raise _bomb(short)
    try:
        budget.take(copied, short)
    except FileRejected:
        spooled.close()
        raise
    spooled.seek(0)
    return spooled


def _copy_capped(source: IO[bytes], target: IO[bytes], limit: int) -> int:
    """Copy up to limit + 1 bytes; the count tells whether the source was bigger."""
    copied = 0
    while copied <= limit:
        chunk = source.read(min(1024 * 1024, limit + 1 - copied))
        if not chunk:
            break
        target.write(chunk)
        copied += len(chunk)
    return copied


def _raiser(problem: Exception) -> Callable[[], bytes]:
    def read() -> bytes:
        raise problem

    return read
