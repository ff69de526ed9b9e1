"""One reader of a file on disk, one cap on a file's size, one sentence for a file above it."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from recovery import parsers
from recovery.errors import FileRejected
from recovery.ingest import ingest_inputs
from recovery.inputs import iter_inputs, iter_upload
from recovery.parsers import MAX_FILE_BYTES, read_file, read_path
from recovery.store import Store
from recovery.watchers.scanner import FolderScanner


def _clock() -> datetime:
    return datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def _sparse(path: Path, size: int) -> Path:
    with open(path, "wb") as handle:
        handle.truncate(size)  # no blocks written: a "huge" file costs nothing
    return path


@pytest.mark.parametrize(("size", "megabytes"), [(MAX_FILE_BYTES + 1, 200), (3 * MAX_FILE_BYTES, 600)])
def test_a_file_above_the_cap_is_refused_with_the_same_sentence_by_the_cli_a_folder_import_and_the_watcher(
    sqlite_store: Store, tmp_path: Path, size: int, megabytes: int
) -> None:
    folder = tmp_path / "watched"
    folder.mkdir()
    huge = _sparse(folder / "huge.fit", size)
    sentence = f"huge.fit is {megabytes} MB, above the 200 MB limit for one activity."

    with pytest.raises(FileRejected) as refused:
        read_path(huge)  # `recovery show`
    assert str(refused.value) == sentence

    (imported,) = ingest_inputs(sqlite_store, iter_inputs([folder]), clock=_clock)  # `recovery import FOLDER`
    assert (imported.outcome, imported.message) == ("rejected", sentence)

    scanner = FolderScanner(sqlite_store, folder, _clock, settle_s=0.01)
    (watched,) = scanner.scan()
    assert (watched.outcome, watched.message) == ("rejected", sentence)
    assert scanner.scan() == [], "a refused file is marked seen with its refusal, not read again"
    assert FolderScanner(sqlite_store, folder, _clock, settle_s=0.01).scan() == []
    assert sqlite_store.count_runs(only_runs=False) == 0
    assert [e.message for e in sqlite_store.import_log()] == [sentence, sentence]


def test_lowering_the_one_cap_lowers_it_for_files_folders_the_watcher_uploads_and_archive_members(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parsers, "MAX_FILE_BYTES", 1024 * 1024)
    data = b"\0" * (2 * 1024 * 1024)
    path = tmp_path / "big.fit"
    path.write_bytes(data)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("activities/big.fit", data)
    (tmp_path / "export.zip").write_bytes(buffer.getvalue())
    readers = {
        "a file named": lambda: read_file(path),
        "the watcher's read": lambda: read_file(path, expected_size=len(data)),
        "a folder's file": next(i for i in iter_inputs([tmp_path]) if i.label == str(path)).read,
        "an upload": next(iter_upload("upload/big.fit", io.BytesIO(data))).read,
    }
    sentences = {}
    for what, read in readers.items():
        with pytest.raises(FileRejected) as refused:
            read()
        sentences[what] = str(refused.value)
    for member in iter_inputs([tmp_path / "export.zip"]):  # read while the archive is open
        with pytest.raises(FileRejected) as refused:
            member.read()
        sentences["an archive member"] = str(refused.value)
    assert set(sentences.values()) == {"big.fit is 2 MB, above the 1 MB limit for one activity."}, sentences
    assert len(sentences) == 5


def test_a_file_whose_size_the_system_does_not_give_is_still_read_whole() -> None:
    proc = Path("/proc/self/cmdline")  # st_size 0, like a file on a mount that does not know its sizes
    if not proc.exists() or proc.stat().st_size != 0:
        pytest.skip("needs Linux's /proc")
    data = read_file(proc)
    assert len(data) > 1 and data == proc.read_bytes()
