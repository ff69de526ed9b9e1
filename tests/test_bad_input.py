"""Hostile, broken and odd input: one plain sentence naming the file, nothing lost."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from recovery import parsers
from recovery.errors import FileRejected, NotAnActivity
from recovery.inputs import iter_inputs
from recovery.parsers import MAX_FILE_BYTES, read_activity, read_path
from recovery.synthetic import gzip_bytes, make_run, to_fit, to_gpx, to_tcx
from tests.conftest import zip_bytes

START = datetime(2026, 11, 20, 7, 0, tzinfo=UTC)
RUN = make_run(4, START, duration_s=600)

XML_BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<gpx version="1.1" creator="x"><trk><name>&lol3;</name></trk></gpx>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<TrainingCenterDatabase><Activities><Activity Sport="Running"><Id>&xxe;</Id></Activity></Activities>
</TrainingCenterDatabase>"""


def _sentence(exc: pytest.ExceptionInfo, name: str) -> str:
    text = str(exc.value)
    assert text.startswith(name), "the sentence names the file"
    assert text.endswith(".") and "\n" not in text
    return text


@pytest.mark.parametrize("data", [XML_BOMB, EXTERNAL_ENTITY], ids=["billion-laughs", "external-entity"])
def test_xml_entities_are_refused_before_anything_expands(data: bytes) -> None:
    with pytest.raises(FileRejected) as exc:
        read_activity(data, "evil.gpx")
    assert "refused for safety" in _sentence(exc, "evil.gpx")


@pytest.mark.parametrize("cut", [1, 13, 100, 2000])
def test_a_truncated_fit_file_is_rejected_not_half_read(cut: int) -> None:
    with pytest.raises(FileRejected) as exc:
        read_activity(to_fit(RUN)[:cut], "A8M01234.FIT")
    _sentence(exc, "A8M01234.FIT")


def test_an_empty_file_is_rejected() -> None:
    with pytest.raises(FileRejected) as exc:
        read_activity(b"", "empty.fit")
    assert "0 bytes" in _sentence(exc, "empty.fit")


def test_a_file_over_the_cap_is_refused_without_reading_it(tmp_path: Path) -> None:
    huge = tmp_path / "huge.fit"
    with open(huge, "wb") as handle:  # sparse: costs no disk
        handle.truncate(MAX_FILE_BYTES + 1)
    with pytest.raises(FileRejected) as exc:
        read_path(huge)
    assert "above the 200 MB limit" in _sentence(exc, "huge.fit")


def test_a_gzip_bomb_is_refused() -> None:
    bomb = gzip.compress(b"\0" * (50 * 1024 * 1024))
    with pytest.raises(FileRejected) as exc:
        read_activity(bomb, "bomb.fit.gz")
    assert "zip bomb" in _sentence(exc, "bomb.fit.gz")


@pytest.mark.parametrize("data", [b"hello world, not an activity", bytes(range(256)) * 4, b"%PDF-1.7\n"])
def test_junk_is_not_mistaken_for_an_activity(data: bytes) -> None:
    with pytest.raises(FileRejected) as exc:
        read_activity(data, "notes.txt")
    _sentence(exc, "notes.txt")


@pytest.mark.parametrize("writer", [to_fit, to_gpx, to_tcx], ids=["fit", "gpx", "tcx"])
def test_the_format_comes_from_the_bytes_and_gzip_is_unwrapped(writer) -> None:
    data = writer(RUN)
    plain = read_activity(data, "download")  # no extension at all
    zipped = read_activity(gzip_bytes(data), "activity.txt")  # a misleading one
    assert plain.source_format == zipped.source_format == writer.__name__.removeprefix("to_")
    assert plain.start_time_utc == zipped.start_time_utc == START
    assert plain.distance_m == pytest.approx(RUN.distance_m, rel=0.01)
    assert plain.content_id != zipped.content_id, "the id is the hash of the file's own bytes"


def test_a_gpx_without_times_is_not_an_activity() -> None:
    gpx = b'<gpx version="1.1" creator="t"><trk><trkseg><trkpt lat="1" lon="1"/><trkpt lat="1.1" lon="1"/>'
    gpx += b"</trkseg></trk></gpx>"
    with pytest.raises(NotAnActivity) as exc:
        read_activity(gpx, "route.gpx")
    assert "route drawn on a map" in _sentence(exc, "route.gpx")


def test_a_control_character_in_a_name_is_not_printed() -> None:
    with pytest.raises(FileRejected) as exc:
        read_activity(b"", "bad\x1b[31mname.fit")
    assert "\x1b" not in str(exc.value)


def test_a_zip_with_escaping_paths_and_a_bomb_is_refused_member_by_member(tmp_path: Path) -> None:
    archive = tmp_path / "export.zip"
    archive.write_bytes(
        zip_bytes(
            {
                "activities/ok.fit.gz": gzip_bytes(to_fit(RUN)),
                "../../etc/evil.fit": to_fit(RUN),
                "activities/bomb.gpx": b"<gpx>" + b" " * (30 * 1024 * 1024),
            }
        )
    )
    results = {}
    for item in iter_inputs([archive]):
        try:
            results[item.label.rsplit("!", 1)[1]] = read_activity(item.read(), item.label).sport
        except FileRejected as exc:
            results[item.label.rsplit("!", 1)[1]] = str(exc)
    assert results["activities/ok.fit.gz"] == "run"
    assert "outside the archive" in results["../../etc/evil.fit"]
    assert "zip bomb" in results["activities/bomb.gpx"]


def test_nested_garmin_export_zips_are_read(tmp_path: Path) -> None:
    inner = zip_bytes(
        {f"run-{i}.fit": to_fit(make_run(i, START - timedelta(days=i), duration_s=300)) for i in range(3)}
    )
    outer = tmp_path / "garmin-export.zip"
    outer.write_bytes(zip_bytes({"DI_CONNECT/DI-Connect-Uploaded-Files/UploadedFiles_0-_Part1.zip": inner}))
    runs = [read_activity(item.read(), item.label) for item in iter_inputs([outer])]
    assert len(runs) == 3 and all(r.is_run for r in runs)


def _parser_raising(exc: BaseException):
    def parse(data: bytes, name: str, content_id: str):
        raise exc

    return parse


@pytest.mark.parametrize(
    "exc, words",
    [
        (
            ZeroDivisionError("float division by zero"),
            "could not be read: the GPX data is damaged (ZeroDivisionError).",
        ),
        (OverflowError("date value out of range"), "could not be read: the GPX data is damaged (OverflowError)."),
        (RecursionError("maximum recursion depth exceeded"), "(RecursionError)."),
        (MemoryError(), "needs more memory to read than this machine allows."),
    ],
    ids=["any error", "overflow", "recursion", "memory"],
)
def test_whatever_a_parser_raises_becomes_one_sentence_naming_the_file(monkeypatch, exc, words) -> None:
    """read_activity is the one boundary: no parser failure escapes it as a traceback."""
    monkeypatch.setitem(parsers.PARSERS, "gpx", _parser_raising(exc))
    with pytest.raises(FileRejected) as refused:
        read_activity(to_gpx(RUN), "morning.gpx")
    assert _sentence(refused, "morning.gpx").endswith(words)
    assert refused.value.__cause__ is exc


@pytest.mark.parametrize("exc", [KeyboardInterrupt(), SystemExit(3)], ids=["ctrl-c", "exit"])
def test_ctrl_c_during_a_parse_is_not_mistaken_for_a_bad_file(monkeypatch, exc) -> None:
    monkeypatch.setitem(parsers.PARSERS, "gpx", _parser_raising(exc))
    with pytest.raises(type(exc)):
        read_activity(to_gpx(RUN), "morning.gpx")


def test_a_parser_error_with_a_position_says_the_line_and_column(monkeypatch) -> None:
    from xml.etree.ElementTree import ParseError

    error = ParseError("junk")
    error.position = (12, 4)
    monkeypatch.setitem(parsers.PARSERS, "tcx", _parser_raising(error))
    with pytest.raises(FileRejected) as refused:
        read_activity(to_tcx(RUN), "morning.tcx")
    assert _sentence(refused, "morning.tcx").endswith("the TCX data is damaged at line 12, column 5 (ParseError).")


def test_a_doctype_without_entities_is_refused_too() -> None:
    data = to_tcx(RUN).replace(
        b"<TrainingCenterDatabase", b"<!DOCTYPE TrainingCenterDatabase>\n<TrainingCenterDatabase", 1
    )
    with pytest.raises(FileRejected) as refused:
        read_activity(data, "doctype.tcx")
    assert "refused for safety" in _sentence(refused, "doctype.tcx")


def test_a_control_character_in_a_name_is_not_printed_by_the_boundary_either(monkeypatch) -> None:
    monkeypatch.setitem(parsers.PARSERS, "gpx", _parser_raising(ValueError("x")))
    with pytest.raises(FileRejected) as refused:
        read_activity(to_gpx(RUN), "bad\nname.gpx")
    assert "\n" not in str(refused.value) and str(refused.value).startswith("bad?name.gpx")
