"""The import log as a runner reads it: repeated outcomes in a row told once, and a page of lines at a time.

A rescan of a folder already imported writes one "already imported" entry
per file; read one per line, that is a page thousands of lines long saying
the same thing. Here consecutive entries with the same repetitive outcome
(close together in time, so two separate rescans stay two lines) become one
`LogGroup`: "61 files already imported". An imported run or a refused file
always keeps a line of its own: each has its own link or its own reason.

Pure: plain functions over `LogEntry` values, newest first as the store
gives them. The web page and `recovery log` both group through here, and
`log_page` reads the store through the function it is handed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only its fields are read here: no database behind this module
    from recovery.store import LogEntry, Store

#: Outcomes that say the same thing file after file, so a run of them is told in one line.
REPETITIVE = frozenset({"duplicate", "not_a_run", "incomplete", "unavailable"})
#: Two entries further apart than this are two imports (two rescans), never one line.
SAME_BATCH = timedelta(minutes=5)
#: How many of a group's files a line names before "and N more".
NAMED_FILES = 5
#: One line of a group, by outcome: (one file, several files).
GROUP_WORDS = {
    "duplicate": ("file already imported", "files already imported"),
    "not_a_run": ("file that is not a run (stored, no cool-down)", "files that are not runs (stored, no cool-down)"),
    "incomplete": ("file still being written", "files still being written"),
    "unavailable": ("file not available", "files not available"),
}
#: The most entries one page reads, so a page stays quick however long one group is; a group longer
#: than this goes on over the next page.
MAX_ENTRIES_PER_PAGE = 20_000
_FIRST_READ = 200


@dataclass(frozen=True)
class LogGroup:
    """One line of the log: a single entry, or a run of entries with the same repetitive outcome, newest first."""

    entries: tuple[LogEntry, ...]

    @property
    def outcome(self) -> str:
        return self.entries[0].outcome

    @property
    def newest(self) -> LogEntry:
        return self.entries[0]

    @property
    def oldest(self) -> LogEntry:
        return self.entries[-1]

    @property
    def size(self) -> int:
        return len(self.entries)

    @property
    def is_single(self) -> bool:
        return len(self.entries) == 1

    @property
    def sentence(self) -> str:
        """'61 files already imported', or the entry's own sentence when it stands alone."""
        if self.is_single:
            return self.newest.message
        one, many = GROUP_WORDS.get(self.outcome, ("file", "files"))
        return f"{self.size:,} {one if self.size == 1 else many}"

    def named(self, limit: int = NAMED_FILES) -> tuple[list[str], int]:
        """The first `limit` paths of the group, oldest first as they were read, and how many more there are."""
        paths = [e.path for e in reversed(self.entries)]
        return paths[:limit], max(0, len(paths) - limit)


def _joins(newer: LogEntry, older: LogEntry) -> bool:
    """Whether `older` continues the line `newer` is on: the same repetitive outcome, in the same import."""
    return newer.outcome == older.outcome and newer.outcome in REPETITIVE and abs(newer.at - older.at) <= SAME_BATCH


def group_entries(entries: Iterable[LogEntry]) -> list[LogGroup]:
    """The lines a runner reads: `entries` (newest first) with each run of repetitive outcomes told once.

    Flattening the groups gives back `entries` exactly, in the same order.
    """
    groups: list[list[LogEntry]] = []
    for entry in entries:
        if groups and _joins(groups[-1][-1], entry):
            groups[-1].append(entry)
        else:
            groups.append([entry])
    return [LogGroup(tuple(group)) for group in groups]


#: Reads the log: (before id, after id, at most this many) -> entries newest first. `Store.import_log` is one.
LogReader = Callable[[int | None, int | None, int], Sequence["LogEntry"]]


def reader_of(store: Store) -> LogReader:
    """The store's import log as a LogReader, for `log_page`."""
    return lambda before, after, limit: store.import_log(before=before, after=after, limit=limit)


@dataclass(frozen=True)
class LogPage:
    """One page of the log's lines, and where the pages either side of it start."""

    groups: list[LogGroup]
    #: Give this as `before` to read the next older page (None: this page reaches the oldest entry).
    older_before: int | None
    #: Give this as `after` to read the next newer page (None: this is the newest page).
    newer_after: int | None

    @property
    def entries(self) -> int:
        return sum(group.size for group in self.groups)

    @property
    def hint(self) -> str:
        """What the page shows, said truthfully ('' when the log is empty: the page says nothing was imported)."""
        if not self.groups:
            return ""
        lines, entries = len(self.groups), self.entries
        noun = "entry" if entries == 1 else "entries"
        shown = f"The latest {entries:,} {noun}" if self.newer_after is None else f"{entries:,} older {noun}"
        if lines == entries:
            return f"{shown}."
        return (
            f"{shown}, in {lines:,} line{'' if lines == 1 else 's'}: "
            "files with the same outcome one after another are counted in one line."
        )


def log_page(read: LogReader, *, lines: int, before: int | None = None, after: int | None = None) -> LogPage:
    """`lines` lines of the log: the newest, those just older than entry `before`, or those just newer than `after`.

    Reads more of the log only while the last line could still go on (so a
    group is never cut short at the page's end), up to MAX_ENTRIES_PER_PAGE.
    """
    if lines < 1:
        raise ValueError("a page shows at least one line")
    if after is not None and before is None:
        return _newer_page(read, lines=lines, after=after)
    entries: list[LogEntry] = []
    size = _FIRST_READ
    exhausted = False
    while True:
        start = entries[-1].id if entries else before
        chunk = list(read(start, None, size))
        entries += chunk
        exhausted = len(chunk) < size
        groups = group_entries(entries)
        if exhausted or len(groups) > lines or len(entries) >= MAX_ENTRIES_PER_PAGE:
            break
        size = min(size * 4, MAX_ENTRIES_PER_PAGE - len(entries))
    shown = groups[:lines]
    more = len(groups) > lines or not exhausted
    older = shown[-1].oldest.id if shown and more else None
    newer = shown[0].newest.id if shown and before is not None and _has_newer(read, shown[0].newest.id) else None
    return LogPage(shown, older, newer)


def _has_newer(read: LogReader, entry_id: int) -> bool:
    return bool(read(None, entry_id, 1))


def _newer_page(read: LogReader, *, lines: int, after: int) -> LogPage:
    """The `lines` lines just newer than entry `after`; within reach of the newest end, the newest page itself."""
    entries: list[LogEntry] = []  # oldest first while reading upward
    size = _FIRST_READ
    while True:
        start = entries[-1].id if entries else after
        chunk = list(reversed(read(None, start, size)))
        entries += chunk
        groups = group_entries(reversed(entries))
        exhausted = len(chunk) < size
        if exhausted and len(groups) <= lines:
            return log_page(read, lines=lines)
        if exhausted or len(groups) > lines or len(entries) >= MAX_ENTRIES_PER_PAGE:
            break
        size = min(size * 4, MAX_ENTRIES_PER_PAGE - len(entries))
    # The newest line read may go on beyond what was read: it belongs to the page above this one.
    shown = groups[-lines:]
    return LogPage(shown, shown[-1].oldest.id, shown[0].newest.id)


def log_lines(entries: Sequence[LogEntry] | Sequence[LogGroup], when: Callable[[datetime], str]) -> list[str]:
    """`recovery log`'s lines: each group in one line (its files named in brief), or each entry as it is."""
    groups = [g if isinstance(g, LogGroup) else LogGroup((g,)) for g in entries]
    out = []
    for group in groups:
        text = group.sentence
        if not group.is_single:
            names, more = group.named()
            text += ": " + ", ".join(names) + (f" and {more:,} more" if more else "")
            text += f" (until {when(group.newest.at)})"
        out.append(f"{when(group.oldest.at)}  {group.outcome:<10} {text}")
    return out
