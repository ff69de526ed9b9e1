"""The two ways a file can fail to become a run, each with one plain sentence."""

from __future__ import annotations


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
