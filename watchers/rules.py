"""What a watcher looks at, and when a file is finished: pure rules over names and bytes.

Real folders are messy: sync tools write temporary names, browsers write
partial downloads, operating systems leave junk, and a watch's USB mount
also holds settings and health-monitoring files. These rules keep all that
out, and tell a file still being written from one that is finished.
"""

from __future__ import annotations

import zlib
from pathlib import Path

from recovery.inputs import is_archive, is_candidate
from recovery.parsers import MAX_FILE_BYTES

#: Temporary names of sync tools and browsers, matched on the lower-cased name.
TEMP_PREFIXES = (".syncthing.", "~syncthing~", ".~", "~$", ".dropbox", ".nfs")
TEMP_SUFFIXES = (".tmp", ".temp", ".crdownload", ".part", ".partial", ".download", ".opdownload", ".!sync", ".filepart")
#: Folders never worth walking into.
IGNORED_FOLDERS = {".stversions", ".stfolder", ".dropbox.cache", ".sync", ".trash", "$recycle.bin", "__macosx"}
#: Where a Garmin watch keeps its activities on its USB mount, relative to the mount.
GARMIN_ACTIVITY_FOLDERS = ("GARMIN/Activity", "Primary/GARMIN/Activity", "GARMIN/ACTIVITY")
#: Seconds between two looks at a folder.
DEFAULT_INTERVAL_S = 2.0
#: A file that stays cut short this long is treated as finished (and rejected plainly).
GIVE_UP_INCOMPLETE_S = 120.0


def is_ignored_name(name: str) -> bool:
    """Temp, partial, hidden and junk files: never read, never logged."""
    lowered = name.lower()
    return lowered.startswith(TEMP_PREFIXES) or lowered.endswith(TEMP_SUFFIXES) or lowered.startswith(".")


def is_watched_file(name: str) -> bool:
    return not is_ignored_name(name) and (is_candidate(name) or is_archive(name))


def is_ignored_folder(name: str) -> bool:
    return name.startswith(".") or name.lower() in IGNORED_FOLDERS


def activity_root(folder: Path) -> Path:
    """The folder to walk: a watch's mount root narrows to its activity folder.

    A Garmin mount also holds Monitor, Settings and Workouts FIT files, which
    are not activities; pointing at the mount means 'my runs'.
    """
    for relative in GARMIN_ACTIVITY_FOLDERS:
        candidate = folder / relative
        if candidate.is_dir():
            return candidate
    return folder


def looks_complete(data: bytes) -> bool:
    """Whether a file's bytes look fully written (a copy in progress does not).

    FIT: the header's data size plus header and CRC equals the length (for
    chained files, every header's). Gzip: the stream reaches its end marker.
    XML: the document's closing tag is there.
    """
    if not data:
        return False
    if data[:2] == b"\x1f\x8b":
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            inflater.decompress(data, MAX_FILE_BYTES)
        except zlib.error:
            return True  # damaged, not unfinished: the parser will say so
        return inflater.eof or bool(inflater.unconsumed_tail)  # a bomb is the parser's to refuse
    if len(data) >= 12 and data[8:12] == b".FIT":
        pos = 0
        while pos + 12 <= len(data):
            header_size = data[pos]
            if header_size not in (12, 14) or data[pos + 8 : pos + 12] != b".FIT":
                return True  # damaged: the parser will say so
            pos += header_size + int.from_bytes(data[pos + 4 : pos + 8], "little") + 2
        return pos == len(data)
    tail = data[-256:].rstrip().lower()
    if data.lstrip()[:1] == b"<" or data[:3] == b"\xef\xbb\xbf":
        return tail.endswith(b"</gpx>") or tail.endswith(b"</trainingcenterdatabase>")
    return True
