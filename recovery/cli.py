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
from recovery import settings as runner_settings
from recovery.access import (
    ENV_ALLOWED_HOSTS,
    clear_password,
    password_problem,
    set_password,
)
from recovery.clock import utcnow
from recovery.coach.catalogue import CatalogueError
from recovery.coach.discomfort import EASIER, WHEN, WHERE, DiscomfortLog, Referral, check_log
from recovery.coach.routine import Routine
from recovery.coaching import coach_data
from recovery.database import DatabaseTooOld, StoreUnavailable, default_database_url, store_problem
from recovery.errors import FileProblem
from recovery.ingest import FileOutcome, ingest_inputs
from recovery.inputs import iter_inputs
from recovery.parsers import read_path
from recovery.store import Store
from recovery.summary import SUMMARY_WORDS, human_summary, inspect_json, one_line, stored_json, summary_line
from recovery.upkeep import fill_heart_times
from recovery.watchers.folders import FolderRefused, resolve, unwatch_folder, watch_folder
from recovery.watchers.rules import DEFAULT_INTERVAL_S


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
    """The database, opened once the coach's data files are known to be sound (else: one sentence, exit 2)."""
    _check_coach_files()
    try:
        store = Store(ctx.obj.get("db_url") or default_database_url())
    except (DatabaseTooOld, StoreUnavailable) as problem:
        raise click.ClickException(str(problem)) from None
    fill_heart_times(store)
    return store


def _check_coach_files() -> None:
    try:
        coach_data()
    except CatalogueError as problem:
        raise Refused(f"the coach's data files have a mistake: {problem}") from None


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
@click.option("--workers", type=click.IntRange(0, 64), default=0,
              help="Processes that parse in parallel (default: one per core).")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per file, then the totals.")
@click.pass_context
def import_(ctx: click.Context, paths: tuple[Path, ...], workers: int, as_json: bool) -> None:
    """Import activity files, folders (recursively) and .zip/.gz exports."""
    from recovery.isolation import ParsePool

    counts: Counter[str] = Counter()
    results = []
    with (
        _store(ctx) as store,
        ParsePool(workers or os.cpu_count() or 1) as pool,
        _progress(enabled=not as_json) as advance,
    ):
        for outcome in ingest_inputs(store, iter_inputs(list(paths)), clock=utcnow, parser=pool):
            counts[outcome.outcome] += 1
            advance()
            if as_json:
                results.append(outcome.to_json())
            else:
                click.echo(outcome.message)
    if as_json:
        _print_json({"files": results, "totals": {k: counts[k] for k in SUMMARY_WORDS}})
    else:
        click.echo(summary_line(counts))


@contextmanager
def _progress(*, enabled: bool) -> Iterator[Callable[[], None]]:
    """A count of files done on the terminal (stderr) for big imports; nothing when piped.

    No total: counting the files first would mean walking every archive twice.
    """
    if not enabled or not sys.stderr.isatty():
        yield lambda: None
        return
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    columns = (SpinnerColumn(), TextColumn("Importing: {task.completed} files"), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("Importing", total=None)
        yield lambda: progress.advance(task)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--runs-only", is_flag=True, help="Leave out walks, rides, swims and other activities.")
@click.option("--limit", type=int, default=None, help="Show at most this many.")
@click.pass_context
def runs(ctx: click.Context, as_json: bool, runs_only: bool, limit: int | None) -> None:
    """List stored activities, newest first."""
    with _store(ctx) as store:
        stored = store.runs(limit=limit, only_runs=runs_only)
        prefs = runner_settings.from_stored(store.settings(runner_settings.NAMES))
    if as_json:
        _print_json([stored_json(s.id, s.run, s.sources) for s in stored])
        return
    if not stored:
        click.echo("No runs stored yet. Import some with: recovery import PATH")
        return
    for s in stored:
        click.echo(f"{s.id:>5}  {one_line(s.run, prefs.units, prefs.tz)}")


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
@click.option("--json", "as_json", is_flag=True, help="Print JSON (every entry).")
@click.option("--since", help="Only entries since a date (2026-11-20) or a span back from now (12h, 7d).")
@click.option("--limit", type=int, default=None, help="Show at most this many lines (default: 50, all with --since).")
@click.option("--all", "every", is_flag=True, help="Every entry on a line of its own, repeated outcomes not counted.")
@click.pass_context
def log(ctx: click.Context, as_json: bool, since: str | None, limit: int | None, every: bool) -> None:
    """The import log: every file seen and what became of it, newest first.

    Files with the same outcome one after another (a rescan finding what is
    already imported) are counted in one line, as on the imports page; --all
    prints each entry.
    """
    from recovery.importlog import group_entries, log_lines, log_page, reader_of

    start = parse_since(since, utcnow()) if since else None
    if limit is None and start is None:
        limit = 50
    if limit is not None and limit < 1:
        raise click.BadParameter("show at least 1 line", param_hint="--limit")
    with _store(ctx) as store:
        if as_json or every:
            lines: list[Any] = store.import_log(since=start, limit=limit)
        elif start is None:
            lines = log_page(reader_of(store), lines=limit or 50).groups
        else:
            lines = group_entries(store.import_log(since=start))[:limit]
    if as_json:
        _print_json([e.to_json() for e in lines])
        return
    for line in log_lines(lines, lambda at: f"{at:%Y-%m-%d %H:%M:%S}"):
        click.echo(line)


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
    from recovery.watchers.service import watch_forever

    with _store(ctx) as store:
        try:
            paths = [Path(resolve(p)) for p in folders] or [Path(p) for p in store.folders()]
        except FolderRefused as problem:
            raise click.UsageError(str(problem)) from None
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
    with _store(ctx) as store:
        try:
            click.echo(watch_folder(store, path, now=utcnow()))
        except FolderRefused as problem:
            raise click.UsageError(str(problem)) from None


@folders.command("remove")
@click.argument("path", type=click.Path(path_type=Path))
@click.pass_context
def folders_remove(ctx: click.Context, path: Path) -> None:
    """Stop watching PATH (runs already imported stay)."""
    with _store(ctx) as store:
        removed = unwatch_folder(store, path)
    if removed is None:
        raise click.UsageError(f"{path} is not a watched folder")
    click.echo(removed)


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


def _when(text: str | None) -> datetime:
    """--at: an ISO date or time (local times are taken as UTC), default now."""
    if not text:
        return utcnow()
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise click.BadParameter(f"{text!r} is not a date or time such as 2026-11-24T07:30") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _print_routine(routine: Routine, as_json: bool) -> None:
    if as_json:
        _print_json(routine.to_json())
        return
    title = {"cooldown": "Cool-down", "warmup": "Warm-up", "strength": "Strength"}[routine.phase]
    click.echo(f"{title}: {routine.summary}" if routine.summary else title)
    for reason in routine.reasons:
        click.echo(f"  {reason}")
    for n, item in enumerate(routine.items, 1):
        sides = " each side" if item.sides == 2 else ""
        gentle = " (gentle)" if item.variant == "gentle" else ""
        click.echo(f"  {n}. {item.name}{gentle}: {item.dose}{sides}")
        for reason in item.reasons:
            click.echo(f"       why: {reason}")
    for note in routine.safety:
        click.echo(f"  ! {note}")
    if routine.referral is not None:
        click.echo(f"\n{routine.referral.text}")
        for reason in routine.referral.reasons:
            click.echo(f"  - {reason}")


@cli.command()
@click.argument("run_id", type=int, required=False)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def cooldown(ctx: click.Context, run_id: int | None, as_json: bool) -> None:
    """The cool-down for a run (default: the latest run), with the reasons for each stretch."""
    from recovery.coaching import cooldown_for, gather, latest_stored

    now = utcnow()
    with _store(ctx) as store:
        gathered = gather(store, now)
        routine = cooldown_for(store, gathered, latest_stored(store, gathered, run_id), now)
    if routine is None:
        raise click.UsageError(
            f"no run {run_id} is stored" if run_id is not None else "no runs yet: import one with `recovery import`"
        )
    _print_routine(routine, as_json)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def warmup(ctx: click.Context, as_json: bool) -> None:
    """The dynamic warm-up for your next run."""
    from recovery.coaching import gather, warmup_for

    now = utcnow()
    with _store(ctx) as store:
        _print_routine(warmup_for(gather(store, now), now), as_json)


@cli.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def strength(ctx: click.Context, as_json: bool) -> None:
    """This week's strengthening suggestion (`strength done` logs a session)."""
    if ctx.invoked_subcommand is not None:
        return
    from recovery.coaching import gather, strength_for

    now = utcnow()
    with _store(ctx) as store:
        _print_routine(strength_for(gather(store, now), now), as_json)


@strength.command("done")
@click.option("--at", "at", help="When (default: now), e.g. 2026-11-24T18:30.")
@click.pass_context
def strength_done(ctx: click.Context, at: str | None) -> None:
    """Log a strengthening session."""
    moment = _when(at)
    with _store(ctx) as store:
        store.add_strength_session(moment)
    click.echo(f"Strength session logged for {moment:%Y-%m-%d %H:%M} UTC.")


@cli.group()
def discomfort() -> None:
    """Your lower-back discomfort log (0 = none, 10 = worst imaginable)."""


@discomfort.command("add")
@click.argument("score", metavar="SCORE")
@click.option("--when", "when", type=click.Choice(WHEN), default="after", show_default=True)
@click.option("--where", "where", type=click.Choice(WHERE), default="central", show_default=True)
@click.option("--red-flag", "red_flags", multiple=True, help="A warning sign you have (see `discomfort red-flags`).")
@click.option("--note", help="Anything you want to remember about it.")
@click.option("--easier", type=click.Choice(EASIER), help="Which feels easier: bending forward, arching backward, "
              "or neither (leave it out if not sure, or unchanged since you last said).")  # fmt: skip
@click.option("--at", "at", help="When (default: now), e.g. 2026-11-24T07:30.")
@click.option("--json", "as_json", is_flag=True, help="Print the advice as JSON.")
@click.pass_context
def discomfort_add(
    ctx: click.Context, score: str, when: str, where: str, red_flags: tuple[str, ...], note: str | None,
    easier: str | None, at: str | None, as_json: bool,
) -> None:  # fmt: skip
    """Log a discomfort SCORE from 0 to 10, and see whether to get it looked at."""
    _check_coach_files()
    log, problems = check_log(_when(at), score, when, where, red_flags, note, coach_data().red_flags, easier)
    if log is None:
        raise click.UsageError(" ".join(problems))
    with _store(ctx) as store:
        log_id = store.add_discomfort(log)
        advice = _advice_now(store, log.at)
    if as_json:
        _print_json({"id": log_id, "log": {**log.to_json(), "id": log_id},
                     "referral": None if advice is None else advice.to_json()})  # fmt: skip
        return
    click.echo(f"Logged {log.score}/10 ({log.when}, {log.where}) as log {log_id}.")
    _echo_advice(advice)


def _advice_now(store: Store, at: datetime) -> Referral | None:
    """The referral (or None) once a log was added, corrected or deleted: the same as the pages show."""
    from recovery.coaching import gather, referral

    moment = max(utcnow(), at)
    return referral(gather(store, moment), moment)


def _echo_advice(advice: Referral | None) -> None:
    if advice is not None:
        click.echo(advice.text)
        for reason in advice.reasons:
            click.echo(f"  - {reason}")


def _log_line(log: DiscomfortLog) -> str:
    flags = f"  red flags: {', '.join(log.red_flags)}" if log.red_flags else ""
    easier = f"  easier: {log.easier}" if log.easier else ""
    line = f"{log.id:>5}  {log.at:%Y-%m-%d %H:%M}  {log.score:>2}/10  {log.when:<12} {log.where:<9}{flags}{easier}"
    if log.corrected_at is None:
        return line.rstrip()
    what = f"corrected by {log.replaced_by}" if log.replaced_by is not None else "deleted"
    return f"{line.rstrip()}  ({what} on {log.corrected_at:%Y-%m-%d})"


@discomfort.command("list")
@click.option("--all", "show_all", is_flag=True, help="Show the corrected and deleted logs too, marked.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def discomfort_list(ctx: click.Context, show_all: bool, as_json: bool) -> None:
    """Every discomfort log that counts, oldest first, with the id `correct` and `delete` take."""
    with _store(ctx) as store:
        logs = store.discomfort_logs(include_corrected=show_all)
    if as_json:
        _print_json([log.to_json() for log in logs])
        return
    if not logs:
        click.echo("No discomfort logged yet. Log with: recovery discomfort add SCORE")
    for log in logs:
        click.echo(_log_line(log))


@discomfort.command("correct")
@click.argument("log_id", metavar="ID", type=int)
@click.argument("score", metavar="SCORE")
@click.option("--when", "when", type=click.Choice(WHEN), help="Default: as logged.")
@click.option("--where", "where", type=click.Choice(WHERE), help="Default: as logged.")
@click.option("--red-flag", "red_flags", multiple=True, help="A warning sign you have (default: as logged).")
@click.option("--no-red-flags", is_flag=True, help="None of the warning signs (one was ticked by mistake).")
@click.option("--note", help="Default: as logged.")
@click.option("--easier", type=click.Choice(EASIER), help="Which feels easier (default: as logged).")
@click.option("--at", "at", help="When it was (default: as logged).")
@click.option("--json", "as_json", is_flag=True, help="Print the corrected log and the advice as JSON.")
@click.pass_context
def discomfort_correct(
    ctx: click.Context, log_id: int, score: str, when: str | None, where: str | None, red_flags: tuple[str, ...],
    no_red_flags: bool, note: str | None, easier: str | None, at: str | None, as_json: bool,
) -> None:  # fmt: skip
    """Correct log ID (see `discomfort list`) to SCORE: the old log is kept, marked corrected, and no longer
    counts. What you leave out stays as it was logged."""
    from recovery.store import LogNotCurrent

    _check_coach_files()
    if red_flags and no_red_flags:
        raise click.UsageError("Give either --red-flag or --no-red-flags, not both.")
    with _store(ctx) as store:
        old = store.discomfort_log(log_id)
        if old is None:
            raise click.UsageError(f"There is no discomfort log {log_id}: see the ids with `recovery discomfort list`.")
        flags = () if no_red_flags else (red_flags or old.red_flags)
        log, problems = check_log(
            _when(at) if at else old.at, score, when or old.when, where or old.where, flags,
            old.note if note is None else note, coach_data().red_flags, easier or old.easier,
        )  # fmt: skip
        if log is None:
            raise click.UsageError(" ".join(problems))
        try:
            new_id = store.correct_discomfort(log_id, log, now=utcnow())
        except LogNotCurrent as exc:
            raise click.UsageError(str(exc)) from None
        advice = _advice_now(store, log.at)
    if as_json:
        _print_json({"id": new_id, "corrected": log_id, "log": {**log.to_json(), "id": new_id},
                     "referral": None if advice is None else advice.to_json()})  # fmt: skip
        return
    click.echo(f"Corrected log {log_id}: now {log.score}/10 ({log.when}, {log.where}) as log {new_id}. "
               "The old one is kept, marked corrected.")  # fmt: skip
    _echo_advice(advice)


@discomfort.command("delete")
@click.argument("log_id", metavar="ID", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print the advice now as JSON.")
@click.pass_context
def discomfort_delete(ctx: click.Context, log_id: int, as_json: bool) -> None:
    """Delete log ID (see `discomfort list`): it is kept, marked deleted, and no longer counts."""
    from recovery.store import LogNotCurrent

    _check_coach_files()
    with _store(ctx) as store:
        try:
            store.delete_discomfort(log_id, now=utcnow())
        except LogNotCurrent as exc:
            raise click.UsageError(str(exc)) from None
        advice = _advice_now(store, utcnow())
    if as_json:
        _print_json({"deleted": log_id, "referral": None if advice is None else advice.to_json()})
        return
    click.echo(f"Deleted log {log_id}: it no longer counts (`discomfort list --all` still shows it).")
    _echo_advice(advice)


@discomfort.command("seen")
@click.option("--on", "seen_on", metavar="YYYY-MM-DD", help="The day you were seen (default: today, your time).")
@click.option("--note", help="Who saw you, or what they said.")
@click.option("--json", "as_json", is_flag=True, help="Print the record and the advice now as JSON.")
@click.pass_context
def discomfort_seen(ctx: click.Context, seen_on: str | None, note: str | None, as_json: bool) -> None:
    """Record that a professional saw you and it is not an emergency: warning signs logged up to then stop
    blocking the routines (a new one blocks again)."""
    from recovery.coach.discomfort import check_clearance
    from recovery.coaching import gather, referral

    with _store(ctx) as store:
        moment = utcnow()
        found = gather(store, moment)
        clearance, problems = check_clearance(
            seen_on, note, moment, found.settings.tz, found.discomfort, found.clearances,
            past_cancer=found.settings.past_cancer == "yes",
        )  # fmt: skip
        if clearance is None:
            raise click.UsageError(" ".join(problems))
        clearance_id = store.add_clearance(clearance)
        advice = referral(gather(store, moment), moment)
        day = clearance.seen_on.astimezone(found.settings.tz)
    if as_json:
        _print_json({"id": clearance_id, "clearance": {**clearance.to_json(), "id": clearance_id},
                     "referral": None if advice is None else advice.to_json()})  # fmt: skip
        return
    click.echo(f"Recorded: seen on {day:%Y-%m-%d}, not an emergency. A new warning sign after that brings the advice "
               "back.")  # fmt: skip
    if advice is not None:
        click.echo(advice.text)
        for reason in advice.reasons:
            click.echo(f"  - {reason}")


@discomfort.command("red-flags")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def discomfort_red_flags(as_json: bool) -> None:
    """The warning-sign questions, with the names `--red-flag` takes."""
    _check_coach_files()
    flags = {flag_id: flag for flag_id, flag in coach_data().red_flags.items() if flag.asked}
    if as_json:
        _print_json([flag.to_json() for flag in flags.values()])
        return
    for flag in flags.values():
        click.echo(f"{flag.id:<16} {flag.question}")


def _settings_options(command: Callable[..., None]) -> Callable[..., None]:
    """One option per declared setting (`recovery.settings.DECLARED`): --units, --time-zone, --max-hr, ..."""
    for d in reversed(runner_settings.DECLARED):
        allowed = "/".join(d.choices) if d.choices else f"{d.low}-{d.high}" if d.low is not None else d.shape
        allowed = allowed or "a zone name"
        clear = f"; '{runner_settings.UNSET}' clears it" if d.optional else ""
        flag = f"--{d.name.replace('_', '-')}"
        command = click.option(flag, d.name, metavar="VALUE", help=f"{d.help} ({allowed}{clear})")(command)
    return command


def _show_settings(ctx: click.Context, as_json: bool, given: dict[str, str | None]) -> None:
    changes = {name: value for name, value in given.items() if value is not None}
    rows, problems = runner_settings.validate(changes)
    if problems:
        raise click.UsageError(" ".join(problems))
    with _store(ctx) as store:
        if rows:
            store.set_settings(rows)
        current = runner_settings.from_stored(store.settings(runner_settings.NAMES))
    if as_json:
        _print_json(current.to_json())
        return
    for d in runner_settings.DECLARED:
        value = getattr(current, d.name)
        if value is None:
            shown = f"not set (this machine's: {current.zone})" if d.name == "time_zone" else "not set (estimated)"
            shown = shown if d.kind in ("number", "time zone") else "not set"
        else:
            shown = f"{runner_settings.shown_value(d, value)} {d.unit}".rstrip()
        click.echo(f"{d.label}: {shown}")


@cli.command("settings")
@_settings_options
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def settings_cmd(ctx: click.Context, as_json: bool, **given: str | None) -> None:
    """Show or change your settings: units, time zone, and the heart-rate figures the training load uses."""
    _show_settings(ctx, as_json, given)


@cli.command("profile", hidden=True)
@_settings_options
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def profile_cmd(ctx: click.Context, as_json: bool, **given: str | None) -> None:
    """The earlier name of `recovery settings`."""
    _show_settings(ctx, as_json, given)


class Refused(click.ClickException):
    """The service will not start as asked (exit status 2), with the reason and the fix."""

    exit_code = 2


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (others need a password).")
@click.option("--port", default=8765, type=click.IntRange(0, 65535), show_default=True)
@click.option("--watch/--no-watch", default=True, show_default=True, help="Import from the watched folders too.")
@click.option(
    "--interval", type=float, default=DEFAULT_INTERVAL_S, show_default=True, help="Seconds between looks at a folder."
)
@click.option(
    "--allow-host",
    "allow_hosts",
    multiple=True,
    metavar="NAME",
    help=f"Also answer to this host name (repeatable; or a comma-separated {ENV_ALLOWED_HOSTS}).",
)
@click.option(
    "--tls/--no-tls",
    default=None,
    help="Serve HTTPS with this machine's own certificate (default: on beyond 127.0.0.1, off on it).",
)
@click.option(
    "--behind-proxy",
    is_flag=True,
    help="Your own TLS proxy is in front: plain HTTP here, its X-Forwarded-Proto/Host/For believed, password needed.",
)
@click.pass_context
def serve(
    ctx: click.Context,
    host: str,
    port: int,
    watch: bool,
    interval: float,
    allow_hosts: tuple[str, ...],
    tls: bool | None,
    behind_proxy: bool,
) -> None:
    """Run the dashboard (and the folder watchers) until Ctrl-C.

    On 127.0.0.1 (the default) only this machine can reach it. Any other
    address, such as 0.0.0.0 to reach it from your phone, needs a password
    first (`recovery password set`, or RECOVERY_PASSWORD), and then asks for it.
    It answers only to this machine's names and addresses: name any other
    (a name your router gives it) with --allow-host.

    Beyond 127.0.0.1 it serves HTTPS with a certificate from this machine's
    own certificate authority (made once, kept in RECOVERY_TLS_DIR or the data
    folder): install that authority on your phone once, as the settings page
    shows, and the phone's browser allows the screen wake lock and installing.
    """
    from recovery.web import serving

    plan = serving.ServePlan(host, port, watch, interval, allow_hosts, tls, behind_proxy)
    with _store(ctx) as store:
        problem = serving.refusal(plan, store)
    if problem is not None:
        raise Refused(problem)
    try:
        serving.run(plan, ctx.obj.get("db_url") or default_database_url(), say=lambda line: click.echo(line, err=True))
    except serving.ServeRefused as exc:
        raise Refused(str(exc)) from None


@cli.group()
def password() -> None:
    """The password the dashboard asks for when it listens beyond this machine."""


@password.command("set")
@click.option("--stdin", "from_stdin", is_flag=True, help="Read the password from standard input (for scripts).")
@click.pass_context
def password_set(ctx: click.Context, from_stdin: bool) -> None:
    """Set the dashboard password (kept as a salted scrypt hash, never as typed); signs everyone out."""
    if from_stdin:
        secret = sys.stdin.readline().rstrip("\n")
    else:
        secret = click.prompt("New password", hide_input=True, confirmation_prompt=True)
    if problem := password_problem(secret):
        raise Refused(problem)
    with _store(ctx) as store:
        set_password(store, secret)
    click.echo("Password set, and every earlier sign-in ended. `recovery serve --host 0.0.0.0` will now ask for it.")


@password.command("clear")
@click.pass_context
def password_clear(ctx: click.Context) -> None:
    """Remove the password and end every sign-in (the dashboard then only listens on this machine)."""
    with _store(ctx) as store:
        clear_password(store)
    click.echo("Password removed, and every sign-in ended.")


@cli.group()
def nudge() -> None:
    """The notification when a run lands (set it up with `recovery settings --nudge-url URL`; see docs/nudges.md)."""


@nudge.command("test")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def nudge_test(ctx: click.Context, as_json: bool) -> None:
    """Send a test nudge now to the nudge address, quiet hours or not."""
    from recovery.nudges import NudgeProblem, send_test

    with _store(ctx) as store:
        try:
            sentence = send_test(store)
        except NudgeProblem as problem:
            raise click.ClickException(str(problem)) from None
    if as_json:
        _print_json({"sent": True, "message": sentence})
    else:
        click.echo(sentence)


def main() -> None:
    """The command, with a database that fails mid-way (a full disk, say) said in one sentence, not a traceback."""
    from sqlalchemy.exc import InterfaceError, OperationalError

    try:
        code = cli(standalone_mode=False)  # returns --help's and --version's exit status
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as problem:
        problem.show()
        sys.exit(problem.exit_code)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except StoreUnavailable as problem:
        click.echo(f"Error: {problem}", err=True)
        sys.exit(1)
    except (OperationalError, InterfaceError) as exc:
        click.echo(f"Error: {store_problem(exc)}", err=True)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
