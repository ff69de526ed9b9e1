"""Turn a file's bytes into a Run: check size, unwrap gzip, sniff the format, parse.

Every entry point (CLI, watcher, upload) comes through `read_activity`, so
the limits and the safety checks below hold everywhere. A file on disk is
read by `read_file` alone, and every read (a file, an upload, an archive
member) is capped by `read_capped`: one cap, `MAX_FILE_BYTES`, refused
with one sentence, `check_size`'s.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import os
import zlib
from pathlib import Path
from typing import IO
from xml.parsers import expat

from recovery import bounds
from recovery.classify import display_name, settle_sport
from recovery.errors import FileRejected, refusing
from recovery.model import Run
from recovery.parsers import fit, gpx, tcx, xmlsafe
from recovery.parsers.xmlsafe import MAX_XML_DEPTH

#: Files above this size are refused before parsing. The largest real
#: activity we know of (a 14-hour triathlon at 1 Hz) is a few MB of FIT and
#: tens of MB of GPX/TCX; 200 MB leaves room for multi-day ultras.
MAX_FILE_BYTES = 200 * 1024 * 1024
#: A gzip file may not unpack to more than this, nor grow more than this ratio.
MAX_UNPACKED_BYTES = MAX_FILE_BYTES
MAX_GZIP_RATIO = 200

PARSERS = {"fit": fit.parse, "gpx": gpx.parse, "tcx": tcx.parse}
#: RECOVERY_PARSERS=reference, for the import benchmark's baseline only: every file read as before issue 15
#: (fitdecode alone, gpxpy, defusedxml's ElementTree). Read once, when this module is first imported, so a parse
#: worker takes it from the environment it was started in.
PARSER_SET = os.environ.get("RECOVERY_PARSERS", "current")
if PARSER_SET == "reference":
    from recovery.parsers import gpx_reference, tcx_reference

    PARSERS = {"fit": fit.parse_reference, "gpx": gpx_reference.parse, "tcx": tcx_reference.parse}
#: The readers that parse a document up to `xmlsafe.WHOLE_TREE_CHARS` whole and measure its nesting on the
#: tree themselves, so `check_xml` need not; they run it only on a document that gives cause (`xmlsafe.Walk`).
WHOLE_TREE_READERS = frozenset({gpx.parse, tcx.parse})


def content_id(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_activity(data: bytes, name: str, *, known_id: str | None = None) -> Run:
    """Parse one file's bytes; raise FileProblem with one sentence on failure.

    The one boundary: whatever a parser or a library under it raises
    (fitdecode's assertions, an overflow on an absurd value, memory running
    out) comes out as a FileRejected naming the file; and every run that
    comes out has passed `bounds.check_run`. `known_id` is the bytes' sha256
    when the caller has already computed it.
    """
    name = display_name(name)
    if not data:
        raise FileRejected(name, "is empty (0 bytes): nothing was recorded or the copy did not finish")
    check_size(name, len(data))
    with refusing(name, "the file is damaged"):
        cid = known_id or content_id(data)
        body = gunzip_if_needed(data, name)
        fmt = sniff_format(body, name)
    with refusing(name, f"the {fmt.upper()} data is damaged", _xml_place):
        document: bytes | str = gpx.as_text(body) if fmt == "gpx" else body  # decoded once, checked, then read
        reader = PARSERS[fmt]
        if fmt == "fit":
            run = reader(document, name, cid)  # type: ignore[arg-type]
        elif reader in WHOLE_TREE_READERS and xmlsafe.held_whole(document):
            check = functools.cache(lambda: check_xml(document, name, nesting=False))  # once, however often asked
            run = reader(document, name, cid, check=check)  # type: ignore[call-arg]
        else:
            check_xml(document, name)
            run = reader(document, name, cid)  # type: ignore[arg-type]
        return settle_sport(bounds.check_run(run, name))


def _xml_place(exc: Exception) -> str:
    """Where in the XML a parser stopped, when its error says (ElementTree's `position`)."""
    position = getattr(exc, "position", None)
    if isinstance(position, tuple) and len(position) == 2:
        return f"at line {position[0]}, column {position[1] + 1}"
    return ""


def check_size(name: str, size: int) -> None:
    """The one cap on one activity's file, wherever it comes from, and its one sentence."""
    if size > MAX_FILE_BYTES:
        raise FileRejected(
            display_name(name),
            f"is {size / 2**20:.0f} MB, above the {MAX_FILE_BYTES // 2**20} MB limit for one activity",
        )


def read_capped(handle: IO[bytes], name: str, size: int | None = None) -> bytes:
    """Read an open file, upload or archive member whole, never more than the cap.

    `size` is what it says it holds (a file's fstat, an upload's length, a
    zip's directory): above the cap, it is refused before a byte is read.
    One that holds more than it said is read on, to the cap and no further.
    """
    if size is not None:
        check_size(name, size)
    want = MAX_FILE_BYTES + 1 if size is None else size + 1
    data = handle.read(want)
    if size is not None and len(data) == want:  # longer than it said (still growing, or /proc): read on
        data += handle.read(MAX_FILE_BYTES + 1 - len(data))
    check_size(name, len(data))
    return data


class FileChanged(Exception):
    """A file was not the size it was seen to be, or changed while it was read."""


def read_file(path: str | Path, expected_size: int | None = None) -> bytes:
    """The one reader of a file on disk (the CLI, folder imports, the watchers): read-only, never modified.

    A file above the cap is refused before it is read. `expected_size` is
    the size a watcher saw: a file of another size, or one modified while
    it is read, raises FileChanged, so a half-old copy is never taken.
    """
    path = Path(path)
    with open(path, "rb") as handle:
        before = os.fstat(handle.fileno())
        data = read_capped(handle, path.name, before.st_size)
        after = os.fstat(handle.fileno())
    if expected_size is not None and (len(data) != expected_size or before.st_mtime_ns != after.st_mtime_ns):
        raise FileChanged(str(path))
    return data


def read_path(path: str | Path) -> Run:
    """Read a file from disk and parse it."""
    path = Path(path)
    return read_activity(read_file(path), path.name)


def gunzip_if_needed(data: bytes, name: str) -> bytes:
    """Unwrap gzip (Strava exports .fit.gz), refusing anything that balloons."""
    if data[:2] != b"\x1f\x8b":
        return data
    limit = min(MAX_UNPACKED_BYTES, max(len(data) * MAX_GZIP_RATIO, 1024 * 1024))
    try:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        body = inflater.decompress(data, limit + 1)
        if len(body) > limit:
            raise FileRejected(name, "unpacks to far more data than any activity holds; refused as a possible zip bomb")
        if not inflater.eof:
            raise FileRejected(name, "is a gzip file that is cut short (was it still being copied?)")
    except (zlib.error, gzip.BadGzipFile, EOFError) as exc:
        raise FileRejected(name, f"is a damaged gzip file ({exc})") from exc
    if not body:
        raise FileRejected(name, "is a gzip file with nothing inside")
    return body


def sniff_format(data: bytes, name: str) -> str:
    """Decide the format from the bytes: the extension may lie (.FIT, .txt, none)."""
    if len(data) >= 12 and data[8:12] == b".FIT":
        return "fit"
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"<") or head.startswith(b"\xff\xfe") or head.startswith(b"\xfe\xff"):
        text = data[:65536].lower()
        if b"<gpx" in text:
            return "gpx"
        if b"<trainingcenterdatabase" in text:
            return "tcx"
        raise FileRejected(name, "is an XML file but neither GPX nor TCX")
    if len(data) >= 12 and data[0] in (12, 14) and data[8:12] != b".FIT":
        raise FileRejected(name, "is not a readable FIT file: its header is damaged (no .FIT signature)")
    raise FileRejected(name, "is not an activity file: it is neither FIT, GPX nor TCX")


def check_xml(document: bytes | str, name: str, *, nesting: bool = True) -> None:
    """One pass of expat over the whole document before any XML library builds a tree.

    Refuses a DOCTYPE or entity declaration (real GPX/TCX never use them,
    attacks always do), nesting deeper than MAX_XML_DEPTH (the gpxpy
    reference copies extensions recursively and would overflow the C stack),
    and anything not well-formed, with its line and column. expat is
    iterative, so no depth can overflow it. GPX is checked as the text the
    reader (lxml, `recovery.parsers.gpx`) will be given.

    `nesting=False` leaves the depth to a reader that measures it on the whole tree
    (`xmlsafe.too_deep`), so expat runs without a Python call per element. A document it
    refuses is read once more with the depth measured, so the refusal is the first problem
    in it, as ever. Such a reader is handed this check rather than preceded by it, and runs it
    only on a document that gives cause (`xmlsafe.Walk`): most are spared expat's pass.
    """
    parser = expat.ParserCreate()
    depth = 0

    def start(_tag: str, _attributes: dict[str, str]) -> None:
        nonlocal depth
        depth += 1
        if depth > MAX_XML_DEPTH:
            raise xmlsafe.nesting_refusal(name)

    def end(_tag: str) -> None:
        nonlocal depth
        depth -= 1

    def declaration(*_args: object) -> None:
        raise FileRejected(name, "declares a DTD or XML entities, which activity files never need; refused for safety")

    if nesting:
        parser.StartElementHandler = start
        parser.EndElementHandler = end
    parser.StartDoctypeDeclHandler = declaration
    parser.EntityDeclHandler = declaration
    try:
        try:
            parser.Parse(document, True)
        except expat.ExpatError:
            if not nesting:  # a nesting too deep may come before the error: find the first problem, as ever
                check_xml(document, name, nesting=True)
            raise
    except expat.ExpatError as exc:
        reason = expat.errors.messages.get(exc.code, "not well-formed")
        raise FileRejected(
            name, f"is not well-formed XML ({reason} at line {exc.lineno}, column {exc.offset + 1})"
        ) from exc
