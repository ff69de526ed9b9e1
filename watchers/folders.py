"""Adding and removing watched folders: one wording for the settings page and the CLI.

The folder need not exist when it is added: a watch's USB mount or a sync
folder comes and goes, and the watcher reads it whenever it is there.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from recovery.store import Store


class FolderRefused(ValueError):
    """A folder path that cannot be watched; `str()` is the sentence to show."""


def resolve(path: str | Path) -> str:
    """The folder as it is stored: '~' expanded, absolute, symbolic links followed."""
    text = str(path)
    if "\x00" in text or any(ord(c) < 32 for c in text):
        raise FolderRefused("A folder path cannot contain control characters; type the path as it is.")
    try:
        return str(Path(text).expanduser().resolve())
    except RuntimeError as exc:  # '~someone' for a user this machine does not have
        user = text.split("/", 1)[0]
        raise FolderRefused(f"{user} is not a user on this machine, so {text} cannot be found.") from exc
    except (OSError, ValueError) as exc:
        raise FolderRefused(f"{text} is not a usable folder path ({exc}).") from exc


def watch_folder(store: Store, path: str | Path, *, now: datetime) -> str:
    """Watch a folder; the sentence that tells the runner what happened (FolderRefused if it cannot be)."""
    folder = resolve(path)
    added = store.add_folder(folder, now=now)
    sentence = f"Now watching {folder}." if added else f"Already watching {folder}."
    if not Path(folder).is_dir():
        sentence += " It is not there right now; it will be read whenever it appears."
    return sentence


def unwatch_folder(store: Store, path: str | Path) -> str | None:
    """Stop watching a folder, given as stored or as typed; the sentence, or None if it was not watched."""
    if store.remove_folder(str(path)):
        return f"No longer watching {path}. The runs already imported stay."
    try:
        folder = resolve(path)
    except FolderRefused:
        return None
    if store.remove_folder(folder):
        return f"No longer watching {path}. The runs already imported stay."
    return None
