"""Adding and removing watched folders: one wording for the settings page and the CLI.

The folder need not exist when it is added: a watch's USB mount or a sync
folder comes and goes, and the watcher reads it whenever it is there.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from recovery.store import Store


def resolve(path: str | Path) -> str:
    """The folder as it is stored: '~' expanded, absolute, symbolic links followed."""
    return str(Path(path).expanduser().resolve())


def watch_folder(store: Store, path: str | Path, *, now: datetime) -> str:
    """Watch a folder; the sentence that tells the runner what happened."""
    folder = resolve(path)
    added = store.add_folder(folder, now=now)
    sentence = f"Now watching {folder}." if added else f"Already watching {folder}."
    if not Path(folder).is_dir():
        sentence += " It is not there right now; it will be read whenever it appears."
    return sentence


def unwatch_folder(store: Store, path: str | Path) -> str | None:
    """Stop watching a folder, given as stored or as typed; the sentence, or None if it was not watched."""
    if store.remove_folder(str(path)) or store.remove_folder(resolve(path)):
        return f"No longer watching {path}. The runs already imported stay."
    return None
