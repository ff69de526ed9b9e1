"""The `recovery` command: one sub-command per capability of the library.

Every command that prints data takes `--json`, so scripts and checks can
read it. The CLI only parses arguments, calls the core and prints.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click

from recovery import __version__
from recovery.errors import FileProblem
from recovery.ingest import FileOutcome, ingest_inputs
from recovery.inputs import iter_inputs
from recovery.parsers import read_path
from recovery.store import Store, default_database_url, utcnow
from recovery.summary import human_summary, inspect_json, one_line, stored_json
from watchers.rules import DEFAULT_INTERVAL_S

SUMMARY_WORDS = {
    "imported": ("imported", "imported"),
    "duplicate": ("duplicate", "duplicates"),
    "not_a_run": ("not a run", "not runs"),
    "rejected": ("rejected", "rejected"),
}


def _print_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="recovery")
@click.option(
    "--db",
    "db_url",
    envvar="RECOVERY_DATABASE_URL",
    help="Database URL or SQLite file path (default: a SQLite file in your data folder).",
)
@click.pass_context
def cli(ctx: click.Context, db_url: str | None) -> None:
    """Post-run recovery coach: import runs from your watch and get a cool-down."""
    ctx.obj = {"db_url": db_url}


def _store(ctx: click.Context) -> Store:
    return Store(ctx.obj.get("db_url") or default_database_url())


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a summary.")
def inspect(file: Path, as_json: bool) -> None:
    """Show what FILE holds, without storing anything. Exit status 2 if it is not usable."""
    try:
        run = read_path(file)
    except FileProblem as problem:
        _fail(str(file), problem.sentence, as_json)
    except FileNotFoundError:
        _fail(str(file), f"{file.name} does not exist.", as_json)
    except OSError as exc:
        _fail(str(file), f"{file.name} could not be read ({exc.strerror or exc}).", as_json)
    if as_json:
        _print_json(inspect_json(run, str(file)))
    else:
        click.echo(human_summary(run, str(file)))


def _fail(file: str, sentence: str, as_json: bool) -> None:
    if as_json:
        _print_json({"file": file, "ok": False, "error": sentence})
    else:
        click.echo(sentence, err=True)
    sys.exit(2)


@cli.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--workers", type=int, default=0, help="Processes that parse in parallel (default: one per core).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per file, then the totals.")
@click.pass_context
def import_(ctx: click.Context, paths: tuple[Path, ...], workers: int, as_json: bool) -> None:
    """Import activity files, folders (recursively) and .zip/.gz exports."""
    # Count first without reading anything: archive members can only be read
    # while the walk that found them is open, so the import walks again.
    total = sum(1 for _ in iter_inputs(list(paths)))
    if workers <= 0:
        workers = 1 if total < 8 else (os.cpu_count() or 1)
    inputs = iter_inputs(list(paths))
    counts: Counter[str] = Counter()
    results = []
    with _store(ctx) as store, _progress(total, enabled=not as_json) as advance:
        for outcome in ingest_inputs(store, inputs, clock=utcnow, workers=workers):
            counts[outcome.outcome] += 1
            advance()
            if as_json:
                results.append(
                    {
                        "path": outcome.path,
                        "outcome": outcome.outcome,
                        "run_ids": list(outcome.run_ids),
                        "message": outcome.message,
                    }
                )
            else:
                click.echo(outcome.message)
    if as_json:
        _print_json({"files": results, "totals": {k: counts[k] for k in SUMMARY_WORDS}})
    else:
        click.echo(summary_line(counts))


@contextmanager
def _progress(total: int, *, enabled: bool) -> Iterator[Callable[[], None]]:
    """A progress bar on the terminal (stderr) for big imports; nothing when piped."""
    if not enabled or total < 20 or not sys.stderr.isatty():
        yield lambda: None
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("Importing", total=total)
        yield lambda: progress.advance(task)


def summary_line(counts: Counter[str]) -> str:
    """'12 imported, 3 duplicates, 2 not runs, 1 rejected'."""
    parts = []
    for key, (one, many) in SUMMARY_WORDS.items():
        n = counts.get(key, 0)
        parts.append(f"{n} {one if n == 1 else many}")
    return ", ".join(parts)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--runs-only", is_flag=True, help="Leave out walks, rides, swims and other activities.")
@click.option("--limit", type=int, default=None, help="Show at most this many.")
@click.pass_context
def runs(ctx: click.Context, as_json: bool, runs_only: bool, limit: int | None) -> None:
    """List stored activities, newest first."""
    with _store(ctx) as store:
        stored = store.runs(limit=limit, only_runs=runs_only)
    if as_json:
        _print_json([stored_json(s.id, s.run, s.sources) for s in stored])
        return
    if not stored:
        click.echo("No runs stored yet. Import some with: recovery import PATH")
        return
    for s in stored:
        click.echo(f"{s.id:>5}  {one_line(s.run)}")


def parse_since(text: str, now: datetime) -> datetime:
    """'2026-11-20', '2026-11-20T07:00', or a span back from now: '90m', '12h', '7d'."""
    match = re.fullmatch(r"\s*(\d+)\s*([mhdw])\s*", text)
    if match:
        unit = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}[match.group(2)]
        return now - timedelta(**{unit: int(match.group(1))})
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise click.BadParameter(f"{text!r} is neither a date (2026-11-20) nor a span (12h, 7d)") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--since", help="Only entries since a date (2026-11-20) or a span back from now (12h, 7d).")
@click.option("--limit", type=int, default=None, help="Show at most this many entries (default: 50, all with --since).")
@click.pass_context
def log(ctx: click.Context, as_json: bool, since: str | None, limit: int | None) -> None:
    """The import log: every file seen and what became of it, newest first."""
    start = parse_since(since, utcnow()) if since else None
    if limit is None and start is None:
        limit = 50
    with _store(ctx) as store:
        entries = store.import_log(since=start, limit=limit)
    if as_json:
        _print_json(
            [
                {
                    "path": e.path,
                    "outcome": e.outcome,
                    "run_id": e.run_id,
                    "message": e.message,
                    "at": e.at.isoformat().replace("+00:00", "Z"),
                }
                for e in entries
            ]
        )
        return
    for e in entries:
        click.echo(f"{e.at:%Y-%m-%d %H:%M:%S}  {e.outcome:<10} {e.message}")


@cli.command()
@click.argument("folders", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--interval", type=float, default=DEFAULT_INTERVAL_S, show_default=True, help="Seconds between looks at a folder."
)
@click.pass_context
def watch(ctx: click.Context, folders: tuple[Path, ...], interval: float) -> None:
    """Watch folders in the foreground and import each new run once (Ctrl-C to stop).

    With no FOLDERS, watches those added with `recovery folders add`.
    """
    from watchers.service import watch_forever

    with _store(ctx) as store:
        paths = [p.expanduser().resolve() for p in folders] or [Path(p) for p in store.folders()]
        if not paths:
            raise click.UsageError("no folders to watch: name some, or add them with `recovery folders add PATH`")
        for path in paths:
            click.echo(f"Watching {path} every {interval:g} s")

        def report(outcome: FileOutcome) -> None:
            click.echo(f"{utcnow():%H:%M:%S}  {outcome.message}")

        watch_forever(store, paths, clock=utcnow, interval_s=interval, report=report)


@cli.group()
def folders() -> None:
    """The folders `recovery watch` and `recovery serve` keep an eye on."""


@folders.command("add")
@click.argument("path", type=click.Path(file_okay=False, path_type=Path))
@click.pass_context
def folders_add(ctx: click.Context, path: Path) -> None:
    """Watch PATH (it need not be plugged in right now)."""
    resolved = str(path.expanduser().resolve())
    with _store(ctx) as store:
        added = store.add_folder(resolved, now=utcnow())
    click.echo(f"Now watching {resolved}" if added else f"Already watching {resolved}")
    if not Path(resolved).is_dir():
        click.echo("It is not there right now; it will be imported from whenever it appears.")


@folders.command("remove")
@click.argument("path", type=click.Path(path_type=Path))
@click.pass_context
def folders_remove(ctx: click.Context, path: Path) -> None:
    """Stop watching PATH (runs already imported stay)."""
    resolved = str(path.expanduser().resolve())
    with _store(ctx) as store:
        removed = store.remove_folder(resolved) or store.remove_folder(str(path))
    if not removed:
        raise click.UsageError(f"{resolved} is not a watched folder")
    click.echo(f"No longer watching {resolved}")


@folders.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def folders_list(ctx: click.Context, as_json: bool) -> None:
    """The watched folders, and whether each is there right now."""
    with _store(ctx) as store:
        paths = store.folders()
    if as_json:
        _print_json([{"path": p, "available": Path(p).is_dir()} for p in paths])
        return
    if not paths:
        click.echo("No folders watched yet. Add one with: recovery folders add PATH")
    for p in paths:
        click.echo(f"{p}{'' if Path(p).is_dir() else '  (not available now)'}")


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
