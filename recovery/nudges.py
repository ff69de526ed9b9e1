"""One push notification when a run lands: "Your 12.4 km run is in: 7-minute cool-down ready".

The runner opts in with a nudge address (any Apprise URL; a self-hosted ntfy
server is `ntfy://host/topic`, see docs/nudges.md). Two halves:

- Deciding (pure: plain values in, no database, no clock, no network): which
  run of an import gets the nudge (`chosen_run`: the newest fresh one, one
  per batch), what it says (`words`: the distance or nothing at all, never a
  health figure), and whether it goes now, waits for the end of the quiet
  hours, or is dropped (`decide`).
- The edge (`after_import`, `send_due`, `send_test`): reads the store, asks
  the deciding half, sends with Apprise (short timeouts) and records what
  happened in the nudges' outbox, one row per run, so a run is nudged once.

The watcher calls `after_import` after each scan and `send_due` on its
periodic tick; the upload calls `after_import_soon` once its answer is made.
Nothing here raises into an import: a push server that fails is said once
in the log, kept on the outbox row for the settings page, and tried again a
few times at later ticks.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo

from recovery.coach.words import distance
from recovery.dashboard import is_fresh_run
from recovery.ingest import FileOutcome
from recovery.model import Run
from recovery.settings import NAMES, Settings, apprise_service, from_stored, push_server
from recovery.store import Store, StoredNudge, StoredRun

log = logging.getLogger(__name__)

#: Tries at sending one nudge before it is given up (a push server down for the evening).
MAX_ATTEMPTS = 5
#: The wait after the first failure; doubled after each one (1, 2, 4, 8 minutes).
FIRST_RETRY = timedelta(minutes=1)
#: Seconds to reach the push server and to hear back: a server that is down never holds up an import for long.
CONNECT_S = 3.0
READ_S = 5.0
TITLE = "Cool-down ready"


# -- deciding (pure) -------------------------------------------------------------


@dataclass(frozen=True)
class Message:
    """What a nudge says: never a health detail (no discomfort, no heart rate), at most the distance."""

    title: str
    body: str
    link: str | None = None

    @property
    def text(self) -> str:
        """The body with the link under it: every service shows text, only some a tap-through link."""
        return f"{self.body}\n{self.link}" if self.link else self.body


@dataclass(frozen=True)
class Send:
    message: Message


@dataclass(frozen=True)
class Hold:
    """Quiet hours: due again at `until`, their end."""

    until: datetime


@dataclass(frozen=True)
class Drop:
    """Never to be sent; `reason` finishes "The nudge for the run of 3 December was not sent: ..."."""

    reason: str


Decision = Send | Hold | Drop


def chosen_run(landed: Iterable[StoredRun], now: datetime) -> int | None:
    """The one run of a batch (a scan, an upload of 300 old runs) worth a nudge: the newest fresh running one."""
    fresh = [s for s in landed if s.run.is_run and is_fresh_run(s.run, now)]
    newest = max(fresh, key=lambda s: (s.run.end_time_utc, s.id), default=None)
    return None if newest is None else newest.id


def quiet_hours(settings: Settings) -> tuple[time, time] | None:
    """(from, until) when both ends are set and differ; None: no quiet hours."""
    if not settings.quiet_from or not settings.quiet_until or settings.quiet_from == settings.quiet_until:
        return None
    return time.fromisoformat(settings.quiet_from), time.fromisoformat(settings.quiet_until)


def quiet_hours_problem(quiet_from: str | None, quiet_until: str | None) -> str | None:
    """One sentence when the quiet hours cannot work as given (one end only, or both the same), else None."""
    if bool(quiet_from) != bool(quiet_until):
        return "Give both ends of the quiet hours (from and until, such as 22:00 and 07:00), or neither."
    if quiet_from and quiet_from == quiet_until:
        return f"The quiet hours start and end at the same time ({quiet_from}): give two different times, or neither."
    return None


def is_quiet(settings: Settings, moment: datetime) -> bool:
    """Within the quiet hours, in the runner's time zone; they may wrap midnight (22:00 to 07:00)."""
    hours = quiet_hours(settings)
    if hours is None:
        return False
    start, end = hours
    clock = moment.astimezone(settings.tz).time().replace(tzinfo=None)
    if start < end:
        return start <= clock < end
    return clock >= start or clock < end


def quiet_ends(settings: Settings, moment: datetime) -> datetime:
    """The first end of the quiet hours after `moment` (an aware time; `moment` itself without quiet hours)."""
    hours = quiet_hours(settings)
    if hours is None:
        return moment
    tz = settings.tz
    local = moment.astimezone(tz)
    for days in range(3):  # today's end, else tomorrow's (a day of a clock change: the one after)
        end = datetime.combine(local.date() + timedelta(days=days), hours[1], tzinfo=tz)
        if end > moment:
            return end
    return moment + timedelta(days=1)


def words(run: Run, settings: Settings, *, run_id: int, cooldown_minutes: int | None) -> Message:
    """The nudge in the runner's units ("distance" words) or with no figure at all ("plain")."""
    link = f"{settings.public_url}/timer/{run_id}" if settings.public_url else None
    if settings.nudge_words == "plain":
        return Message(TITLE, "A new run is in: your cool-down is ready", link)
    what = f"Your {distance(run.distance_m, settings.units)} run" if run.distance_m else "Your run"
    ready = f"{cooldown_minutes}-minute cool-down ready" if cooldown_minutes else "your cool-down is ready"
    return Message(TITLE, f"{what} is in: {ready}", link)


def decide(
    nudge: StoredNudge, run: Run | None, settings: Settings, now: datetime, *, cooldown_minutes: int | None = None
) -> Decision:
    """Send a due nudge now, hold it to the end of the quiet hours, or drop it (and why)."""
    if not settings.nudge_url:
        return Drop("nudges were turned off")
    if run is None:
        return Drop("its run is no longer stored")
    if nudge.attempts >= MAX_ATTEMPTS:
        return Drop(f"it could not be sent in {MAX_ATTEMPTS} tries")
    if not is_fresh_run(run, now):
        return Drop("its run is no longer fresh, so its cool-down no longer leads the dashboard")
    if is_quiet(settings, now):
        return Hold(quiet_ends(settings, now))
    return Send(words(run, settings, run_id=nudge.run_id, cooldown_minutes=cooldown_minutes))


def retry_at(attempts: int, now: datetime) -> datetime:
    """When a nudge that failed `attempts` times is tried again: the wait doubles each time."""
    return now + FIRST_RETRY * 2 ** max(0, attempts - 1)


def run_day(run: Run, tz: tzinfo) -> str:
    """'3 December': the day of the run, as the runner's sentences name it."""
    when = run.start_time_utc
    local = when.astimezone(tz) if when is not None else run.start_time_local
    return f"{local.day} {local:%B}" if local is not None else "an unknown day"


def failure_sentence(day: str, cause: str) -> str:
    return f"The nudge for the run of {day} could not be sent: {cause}."


def cause_of(server: str, heard: Sequence[str]) -> str:
    """Why Apprise could not send, from what it logged: 'the push server at ntfy.example did not answer'."""
    for line in heard:
        if code := re.search(r"error=(\d{3})\b", line):
            return f"the push server at {server} answered with error {code.group(1)}"
    if any("connection" in line.lower() or "timed out" in line.lower() for line in heard):
        return f"the push server at {server} did not answer"
    return f"the push server at {server} refused it"


# -- the edge: the store, Apprise, the log ----------------------------------------


class NudgeProblem(Exception):
    """A test nudge that could not go, in one sentence."""


def after_import(store: Store, outcomes: Sequence[FileOutcome], *, now: datetime) -> None:
    """After a batch (a folder scan): queue the nudge for its newest fresh run, then send what is due.

    Called outside the import's transactions; never raises, so nothing here
    can stop a watcher.
    """
    try:
        queue(store, outcomes, now=now)
        send_due(store, now=now)
    except Exception:
        log.exception("the nudges could not be looked at; the import itself is stored")


def after_import_soon(store: Store, outcomes: Sequence[FileOutcome], *, now: datetime) -> None:
    """After an upload: queue now (in the outbox, so a crash loses nothing), send in the background.

    The upload's answer never waits for a push server; should the thread
    die, the watcher's tick sends what it left.
    """
    try:
        if not queue(store, outcomes, now=now):
            return
    except Exception:
        log.exception("the nudge for this upload could not be queued; the import itself is stored")
        return
    threading.Thread(target=_send_quietly, args=(store, now), name="nudge", daemon=True).start()


def _send_quietly(store: Store, now: datetime) -> None:
    try:
        send_due(store, now=now)
    except Exception:
        log.exception("the nudges could not be sent; they are tried again at the next tick")


def queue(store: Store, outcomes: Sequence[FileOutcome], *, now: datetime) -> bool:
    """Put the batch's one nudge in the outbox (nudges on, a fresh run among what was imported); True if queued."""
    landed_ids = [run_id for o in outcomes if o.outcome == "imported" for run_id in o.run_ids]
    if not landed_ids or not _settings(store).nudge_url:
        return False
    run_id = chosen_run(store.runs_by_id(landed_ids), now)
    return run_id is not None and store.queue_nudge(run_id, due_at=now, now=now)


def send_due(store: Store, *, now: datetime) -> list[str]:
    """Send, hold or drop every nudge whose time has come; a sentence for each, as also logged."""
    said: list[str] = []
    due = store.nudges_due(now)
    if not due:
        return said
    settings = _settings(store)
    for nudge in due:
        found = store.runs_by_id([nudge.run_id])
        stored = found[0] if found else None
        minutes = None
        if stored is not None and settings.nudge_words == "distance" and settings.nudge_url:
            minutes = _cooldown_minutes(store, stored, now)
        decision = decide(nudge, stored.run if stored else None, settings, now, cooldown_minutes=minutes)
        day = run_day(stored.run, settings.tz) if stored else f"run {nudge.run_id}"
        if isinstance(decision, Drop):
            sentence = f"The nudge for the run of {day} was not sent: {decision.reason}."
            store.drop_nudge(nudge.run_id, now=now, problem=sentence)
            log.info("%s", sentence)
        elif isinstance(decision, Hold):
            store.hold_nudge(nudge.run_id, due_at=decision.until)
            until = decision.until.astimezone(settings.tz)
            sentence = f"The nudge for the run of {day} waits for the end of the quiet hours ({until:%H:%M})."
            log.info("%s", sentence)
        else:
            sentence = _send(store, nudge, decision.message, settings, day=day, now=now)
        if sentence:
            said.append(sentence)
    return said


def _send(store: Store, nudge: StoredNudge, message: Message, settings: Settings, *, day: str, now: datetime) -> str:
    tries = nudge.attempts + 1
    if not store.claim_nudge(nudge, retry_at=retry_at(tries, now)):
        return ""  # another process is sending it
    assert settings.nudge_url is not None
    cause = push(settings.nudge_url, message)
    if cause is None:
        store.nudge_sent(nudge.run_id, now=now)
        sentence = f"The nudge for the run of {day} was sent to {push_server(settings.nudge_url)}."
        log.info("%s", sentence)
        return sentence
    sentence = failure_sentence(day, cause)
    if tries == 1:  # said once; the tries after it only update the settings page
        log.warning("%s It will be tried again at the next few ticks.", sentence)
    if tries >= MAX_ATTEMPTS:
        store.drop_nudge(nudge.run_id, now=now, problem=f"{sentence} It was given up after {tries} tries.")
        log.warning("The nudge for the run of %s was given up after %d tries.", day, tries)
    else:
        store.hold_nudge(nudge.run_id, due_at=retry_at(tries, now), problem=sentence)
    return sentence


def send_test(store: Store) -> str:
    """Send a test nudge now (quiet hours or not): the sentence saying where it went; NudgeProblem if it did not."""
    settings = _settings(store)
    if not settings.nudge_url:
        raise NudgeProblem("Set a nudge address first (an Apprise URL such as ntfys://ntfy.sh/your-topic).")
    link = f"{settings.public_url}/" if settings.public_url else None
    message = Message("Test nudge", "A test from your recovery coach: this is how a nudge reaches you.", link)
    cause = push(settings.nudge_url, message)
    if cause is not None:
        raise NudgeProblem(f"The test nudge could not be sent: {cause}.")
    return f"A test nudge was sent to {push_server(settings.nudge_url)}."


def push(url: str, message: Message) -> str | None:
    """Send one message through Apprise: None when it went, else why not (never naming a token or a topic)."""
    server = push_server(url)
    service = apprise_service(url)
    if service is None:
        return f"{server} is not an address Apprise knows"
    service.socket_connect_timeout = CONNECT_S
    service.socket_read_timeout = READ_S
    service.include_image = False  # else the phone fetches Apprise's icon from GitHub
    if message.link and hasattr(service, "click"):
        service.click = message.link  # ntfy: tapping the nudge opens the timer
    with _heard() as heard:
        try:
            sent = bool(service.notify(body=message.text, title=message.title))
        except Exception as exc:  # a plugin failing in a way it does not catch itself
            heard.append(f"connection failed: {type(exc).__name__}")
            sent = False
    return None if sent else cause_of(server, heard)


class _Ears(logging.Handler):
    """Collects Apprise's log lines in one thread (a send), for `cause_of`."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.thread = threading.get_ident()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            self.lines.append(record.getMessage())


@contextmanager
def _heard() -> Iterator[list[str]]:
    logger = logging.getLogger("apprise")
    # Apprise's own lines name the topic (on ntfy.sh, the secret): they stay here, and we say our own sentence.
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    ears = _Ears()
    logger.addHandler(ears)
    try:
        yield ears.lines
    finally:
        logger.removeHandler(ears)


def _settings(store: Store) -> Settings:
    return from_stored(store.settings(NAMES))


def _cooldown_minutes(store: Store, stored: StoredRun, now: datetime) -> int | None:
    """The run's cool-down length in whole minutes (as its summary says it), or None if the coach cannot tell."""
    from recovery.coaching import cooldown_for, gather

    try:
        routine = cooldown_for(store, gather(store, now), stored, now)
    except Exception:
        log.warning("the cool-down for run %s could not be worked out; its nudge says no minutes", stored.id,
                    exc_info=True)  # fmt: skip
        return None
    return None if routine is None else max(1, round(routine.total_s / 60))
