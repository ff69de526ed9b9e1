"""Lower-back discomfort logs, the red-flag questions, and when to point to a professional.

The coach never diagnoses. It only decides how firmly to suggest help:

- urgent: a bladder, bowel or saddle-area symptom was reported. These can
  come from pressure on the nerves at the base of the spine, which needs an
  emergency department the same day, not a stretch.
- see-soon: another red flag (leg weakness, fever, unexplained weight loss,
  night pain, a past cancer, pain after a fall), or discomfort of 7/10 or
  more: a doctor, physiotherapist or sports doctor should look at it soon.
- consider: discomfort rising over the last three logs, not settled by the
  next morning more than once in two weeks, or present for two weeks or more.

"I have been seen and it is not an emergency" (a `Clearance`) covers the
warning signs of every log up to the day the runner was seen: a red flag
ticked by mistake, or already looked at, stops blocking the routines (the log
keeps it), and a new one blocks again. A high score still counts, seen or
not. A history of cancer is asked once (the `past_cancer` setting), not with
every log.

The thresholds are constants here, documented in docs/coach.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from pathlib import Path

from recovery.coach.catalogue import YamlEntry, compose_list
from recovery.model import iso_utc
from recovery.settings import whole_number

RED_FLAGS_FILE = Path(__file__).with_name("red_flags.yaml")
WHEN = ("before", "after", "next-morning")
WHERE = ("central", "one-side", "into-leg")
#: "Which feels easier: bending forward, or arching back?" (the direction that eases a back guides its stretches).
EASIER = ("forward", "backward", "neither")
#: The words for each answer, on the form and in the CLI's list.
EASIER_WORDS = {"forward": "Bending forward", "backward": "Arching back", "neither": "Neither"}
LEVELS = ("consider", "see-soon", "urgent")  # in rising order

HIGH_SCORE = 7  # this or more: see someone soon
SETTLED_SCORE = 2  # next-morning score at or below this counts as settled (0-2 "safe")
UNSETTLED_TIMES = 2  # "more than once"
LOOKBACK = timedelta(days=14)  # how far back red flags and the unsettled mornings count
PERSISTENT = timedelta(days=14)
#: Discomfort counts as ongoing only when logged this often: a longer gap between logs is unknown, not pain.
LONGEST_GAP = timedelta(days=4)


@dataclass(frozen=True)
class RedFlag:
    id: str
    question: str
    level: str
    #: Asked with every log. A flag no longer asked (past_cancer: now a setting) still counts in old logs.
    asked: bool = True

    def to_json(self) -> dict[str, str]:
        return {"name": self.id, "question": self.question, "level": self.level}


@dataclass(frozen=True)
class DiscomfortLog:
    """One entry of the runner's log: 0 (none) to 10 (worst imaginable)."""

    at: datetime
    score: int
    when: str = "after"
    where: str = "central"
    red_flags: tuple[str, ...] = ()
    note: str | None = None
    #: One of EASIER, when asked and answered; None otherwise.
    easier: str | None = None
    #: The store's id (None: not stored yet). Not part of what a log says, so two equal logs stay equal.
    id: int | None = field(default=None, compare=False)
    #: When it was corrected or deleted (None: it counts). The coach never counts a corrected log.
    corrected_at: datetime | None = field(default=None, compare=False)
    #: The log that corrected it (None with `corrected_at` set: deleted).
    replaced_by: int | None = field(default=None, compare=False)

    def to_json(self) -> dict[str, object]:
        found: dict[str, object] = {
            "id": self.id, "at": iso_utc(self.at), "score": self.score, "when": self.when,
            "where": self.where, "red_flags": list(self.red_flags), "note": self.note, "easier": self.easier,
        }  # fmt: skip
        if self.corrected_at is not None:
            found.update(corrected_at=iso_utc(self.corrected_at), replaced_by=self.replaced_by)
        return found


#: The longest note kept with a log.
NOTE_CHARS = 2000


def check_log(
    at: datetime,
    score: str,
    when: str,
    where: str,
    red_flags: Sequence[str],
    note: str | None,
    known: dict[str, RedFlag],
    easier: str | None = None,
) -> tuple[DiscomfortLog | None, list[str]]:
    """A log as the runner gave it (CLI or form), or a sentence per mistake: the one check both call.

    `easier` is the answer to "which feels easier: bending forward, or
    arching back?" (one of EASIER); blank or None: not asked, or not sure.
    The warning signs are accepted whatever the score: the form shows them
    only above 0, but a runner without pain can still have one.
    """
    problems = []
    number = whole_number(score, 0, 10)
    if number is None:
        problems.append("Choose how much discomfort you feel, from 0 (none) to 10 (the worst imaginable).")
    if when not in WHEN:
        problems.append("Choose when you feel it: before a run, after a run or the next morning.")
    if where not in WHERE:
        problems.append("Choose where you feel it: in the middle, on one side, or spreading into a leg.")
    asked = [flag_id for flag_id, flag in known.items() if flag.asked]
    unknown = [flag for flag in red_flags if flag not in known]
    if unknown:
        shown = "".join(c for c in unknown[0] if c.isprintable())[:40]
        problems.append(f"'{shown}' is not one of the warning signs asked about ({', '.join(asked)}).")
    elif not_asked := [flag for flag in red_flags if not known[flag].asked]:
        problems.append(f"'{not_asked[0]}' is no longer asked with each log: {NOT_ASKED.get(not_asked[0], '')}".strip())
    easier = (easier or "").strip() or None
    if easier is not None and easier not in EASIER:
        problems.append("Choose which feels easier: bending forward, arching back, neither, or leave it if not sure.")
    if problems:
        return None, problems
    kept = (note or "").strip()[:NOTE_CHARS] or None
    assert number is not None
    return DiscomfortLog(at, number, when, where, tuple(dict.fromkeys(red_flags)), kept, easier), []


#: Where a warning sign no longer asked with each log is told instead.
NOT_ASKED = {
    "past_cancer": "say it once in your settings (recovery settings --past-cancer yes, or the settings page).",
}


def latest_easier(logs: Sequence[DiscomfortLog]) -> str | None:
    """The latest answer to "which feels easier?" in these logs (None: never answered)."""
    answered = [log for log in logs if log.easier is not None and log.corrected_at is None]
    return max(answered, key=lambda log: log.at).easier if answered else None


# -- "I have been seen and it is not an emergency" ---------------------------------


@dataclass(frozen=True)
class Clearance:
    """A professional saw the runner and it is not an emergency: every log up to `seen_on` is covered.

    `seen_on` is a moment: the end of the day they were seen (in their time
    zone), or when this was recorded if that is sooner (seen today). A log
    after it, a new red flag above all, counts as ever.
    """

    seen_on: datetime
    recorded_at: datetime
    note: str | None = None
    id: int | None = field(default=None, compare=False)

    def covers(self, log: DiscomfortLog) -> bool:
        return log.at <= self.seen_on

    def to_json(self) -> dict[str, object]:
        return {"id": self.id, "seen_on": iso_utc(self.seen_on), "recorded_at": iso_utc(self.recorded_at),
                "note": self.note}  # fmt: skip


def covered_until(clearances: Sequence[Clearance], now: datetime) -> datetime | None:
    """Up to when the logs are covered by a clearance recorded by `now` (None: none is)."""
    return max((c.seen_on for c in clearances if c.recorded_at <= now), default=None)


def check_clearance(
    seen_on: str | None,
    note: str | None,
    now: datetime,
    tz: tzinfo,
    logs: Sequence[DiscomfortLog],
    clearances: Sequence[Clearance] = (),
    *,
    past_cancer: bool = False,
) -> tuple[Clearance | None, list[str]]:
    """A "seen, not an emergency" record as the runner gave it (form or CLI), or the sentences saying what is wrong.

    `seen_on` is the day they were seen, as YYYY-MM-DD in their own time zone
    `tz` (blank: today). It may not be in the future, and it must cover
    something: a warning sign (or, with a history of cancer, discomfort)
    logged in the last two weeks, on or before that day, that no earlier
    clearance covers. `logs` are the logs that count (not corrected ones).
    """
    today = now.astimezone(tz).date()
    text = (seen_on or "").strip()
    try:
        day = date.fromisoformat(text) if text else today
    except ValueError:
        shown = "".join(c for c in text if c.isprintable())[:20]
        return None, [f"'{shown}' is not a date: give the day you were seen as YYYY-MM-DD (such as {today})."]
    if day > today:
        return None, [
            f"{day:%-d %b %Y} is still to come: give the day you were seen, today ({today:%-d %b}) or before."
        ]
    end_of_day = datetime.combine(day + timedelta(days=1), time.min, tz) - timedelta(microseconds=1)
    until = min(now, end_of_day.astimezone(now.tzinfo))
    before = covered_until(clearances, now)
    waiting = [
        log for log in logs
        if log.corrected_at is None and now - LOOKBACK <= log.at <= now and (before is None or log.at > before)
        and (log.red_flags or (past_cancer and log.score > 0))
    ]  # fmt: skip
    if not waiting:
        return None, ["There is nothing to clear: no warning sign is in effect from your logs of the last two weeks."]
    if not any(log.at <= until for log in waiting):
        first = min(log.at for log in waiting).astimezone(tz)
        return None, [
            f"You logged the warning sign on {first:%-d %b}: being seen on {day:%-d %b}, before it, does not cover "
            "it. Give the day you were seen about it."
        ]
    kept = (note or "").strip()[:NOTE_CHARS] or None
    return Clearance(until, now, kept), []


@dataclass(frozen=True)
class Referral:
    level: str  # consider | see-soon | urgent
    text: str
    reasons: tuple[str, ...]
    #: A warning sign (or past cancer with discomfort) is behind it: "I have been seen" can clear it.
    clearable: bool = False

    def to_json(self) -> dict[str, object]:
        return {"level": self.level, "text": self.text, "reasons": list(self.reasons), "clearable": self.clearable}


TEXTS = {
    "urgent": (
        "Go to an emergency department now (or call an ambulance). The symptom you reported needs a doctor "
        "today: do not wait to see if it settles, and do not stretch or run until you have been seen."
    ),
    "see-soon": (
        "Please book an appointment with your doctor, a physiotherapist or a sports doctor in the next few days. "
        "Until then, keep to the gentle movements and stop anything that sharpens the pain."
    ),
    "consider": (
        "It would be worth having a physiotherapist or sports doctor look at your back. "
        "The pattern of your logs suggests it is not settling the way everyday post-run stiffness does."
    ),
}


def load_red_flags(path: Path | str = RED_FLAGS_FILE) -> dict[str, RedFlag]:
    """Read the red-flag questions, checked like the catalogue (file, line and field on error)."""
    path = Path(path)
    filename = str(path)
    nodes = compose_list(path.read_text(encoding="utf-8"), filename, "questions")
    flags: dict[str, RedFlag] = {}
    for node in nodes:
        e = YamlEntry(node, filename, "each red flag")
        for key in e.values:
            if key not in ("id", "question", "level", "asked"):
                raise e.fail(key, "is not a field of a red flag (known: asked, id, level, question)")
        flag_id = e.text("id")
        level = e.text("level")
        if level not in ("urgent", "see-soon"):
            raise e.fail("level", f"must be urgent or see-soon, not '{level}'")
        if flag_id in flags:
            raise e.fail("id", f"'{flag_id}' is given twice")
        asked = e.values.get("asked", True)
        if not isinstance(asked, bool):
            raise e.fail("asked", "must be true or false")
        flags[flag_id] = RedFlag(flag_id, e.text("question"), level, asked)
    return flags


def assess(
    logs: Sequence[DiscomfortLog],
    now: datetime,
    red_flags: dict[str, RedFlag],
    clearances: Sequence[Clearance] = (),
    *,
    past_cancer: bool = False,
    tz: tzinfo = UTC,
) -> Referral | None:
    """Whether, and how firmly, to point the runner to a professional. Never a diagnosis.

    A clearance ("seen, not an emergency") covers the warning signs of every
    log up to its `seen_on`: what the professional saw. Those no longer drive
    the advice (a reason line says so while they are within LOOKBACK); a new
    one logged after it does. Everything else stays conservative: a high
    score, or a pattern across the logs, counts whether or not it was seen.
    `past_cancer` is the runner's answer in their settings: with it, any
    discomfort logged in the last two weeks since being seen is worth a
    doctor's look. Corrected or deleted logs never count. `tz` only words
    the day they were seen.
    """
    covered = covered_until(clearances, now)
    # A total order, so logs given in any order (even two at the same minute) give the same advice.
    history = sorted(
        (log for log in logs if log.at <= now and log.corrected_at is None),
        key=lambda log: (log.at, log.score, log.when, log.where, log.red_flags, log.note or "", log.easier or ""),
    )
    if not history:
        return None
    seen = covered is not None
    found: dict[str, list[str]] = {level: [] for level in LEVELS}
    recent = [log for log in history if log.at >= now - LOOKBACK]
    since_seen = [log for log in recent if covered is None or log.at > covered]

    for log in since_seen:
        for flag_id in log.red_flags:
            flag = red_flags.get(flag_id)
            level = flag.level if flag else "see-soon"
            reason = f"You answered yes to: {flag.question}" if flag else f"You reported '{flag_id}'."
            if seen:
                reason += " (logged after you were last seen)"
            if reason not in found[level]:
                found[level].append(reason)
    if past_cancer and any(log.score > 0 for log in since_seen):
        found["see-soon"].append("With a past cancer, new back pain is worth a doctor's look soon.")
    clearable = bool(found["urgent"] or found["see-soon"])

    latest = history[-1]
    if latest.score >= HIGH_SCORE:
        found["see-soon"].append(
            f"Your latest discomfort was {latest.score}/10, which is high"
            + (": still worth showing someone soon, even though you have been seen." if seen else ".")
        )

    last_three = [log.score for log in history[-3:]]
    if len(last_three) == 3 and last_three[0] < last_three[1] < last_three[2]:
        found["consider"].append(
            f"Your last three logs went up each time ({last_three[0]}, {last_three[1]}, {last_three[2]})."
        )
    unsettled = [log for log in recent if log.when == "next-morning" and log.score > SETTLED_SCORE]
    if len(unsettled) >= UNSETTLED_TIMES:
        found["consider"].append(
            f"On {len(unsettled)} mornings in the last two weeks your back had not settled after the day before."
        )
    ongoing = _ongoing(history, now)
    if ongoing is not None:
        days, logged = ongoing
        found["consider"].append(
            f"Every one of your {logged} logs over the last {days} days recorded discomfort, none of them free of it."
        )
    if latest.where == "into-leg" and latest.score > 0:
        found["consider"].append("The discomfort spreads into your leg.")

    for level in reversed(LEVELS):
        if found[level]:
            reasons = tuple(r for lvl in reversed(LEVELS) for r in found[lvl])
            if covered is not None and any(log.red_flags for log in recent if log.at <= covered):
                day = covered.astimezone(tz)
                reasons += (
                    f"You recorded being seen on {day:%-d %b %Y}: the warning signs logged before then no longer "
                    "block your routines.",
                )
            return Referral(level, TEXTS[level], reasons, clearable)
    return None


def _ongoing(history: Sequence[DiscomfortLog], now: datetime) -> tuple[int, int] | None:
    """(days, logs) of discomfort logged without a break for PERSISTENT or more, up to now; else None.

    Only what was logged counts: the chain of non-zero logs ends at a 0/10
    log, and also at any gap longer than LONGEST_GAP (days without a log are
    unknown, not days with pain), including the gap from the latest log to now.
    """
    if not history or history[-1].score == 0 or now - history[-1].at > LONGEST_GAP:
        return None
    start = history[-1].at
    logged = 0
    later = history[-1].at
    for log in reversed(history):
        if log.score == 0 or later - log.at > LONGEST_GAP:
            break
        start, later = log.at, log.at
        logged += 1
    if now - start < PERSISTENT:
        return None
    return (now - start).days, logged
