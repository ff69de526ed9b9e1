"""The two ways a file can fail to become a run, each with one plain sentence."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager


class FileProblem(Exception):
    """Base: a file we did not store as a run. `str(exc)` is the whole sentence."""

    outcome = "rejected"

    def __init__(self, name: str, reason: str) -> None:
        self.name = name
        self.reason = reason
        sentence = f"{name} {reason}"
        super().__init__(sentence if sentence.endswith(".") else sentence + ".")

    @property
    def sentence(self) -> str:
        return str(self)


class FileRejected(FileProblem):
    """Broken, empty, too large, hostile or unreadable: nothing could be used."""

    outcome = "rejected"


class NotAnActivity(FileProblem):
    """A readable file that records no activity (settings, a planned route...)."""

    outcome = "not_a_run"


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def unexpected(name: str, what: str, exc: BaseException, where: str = "") -> FileRejected:
    """The one sentence for a failure nobody foresaw: "NAME could not be read: WHAT WHERE (Cause)."

    Only the exception's type is named, never its message: a library's
    message can run to many lines and means nothing to a runner.
    """
    name = _CONTROL.sub("?", name)
    if isinstance(exc, MemoryError):
        return FileRejected(name, "needs more memory to read than this machine allows")
    at = f" {_CONTROL.sub(' ', where)}" if where else ""
    return FileRejected(name, f"could not be read: {what}{at} ({type(exc).__name__})")


@contextmanager
def refusing(name: str, what: str, where: Callable[[Exception], str] | None = None) -> Iterator[None]:
    """Turn any unexpected exception in the block into a FileRejected naming the file.

    `what` says what went wrong, in the runner's words ("the FIT data is
    damaged"); `where`, given the exception, says how far reading got ("at
    byte 1542"), or "". A FileProblem (already one sentence) passes through,
    and so do KeyboardInterrupt and SystemExit, which are not Exceptions:
    Ctrl-C still stops an import. MemoryError and RecursionError are caught.
    """
    try:
        yield
    except FileProblem:
        raise
    except Exception as exc:
        try:
            place = where(exc) if where is not None else ""
        except Exception:  # the place is a nicety; never let it hide the refusal
            place = ""
        raise unexpected(name, what, exc, place) from exc
