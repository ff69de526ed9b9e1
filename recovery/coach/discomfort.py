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

The thresholds are constants here, documented in docs/coach.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from recovery.coach.catalogue import YamlEntry, compose_list
from recovery.model import iso_utc
from recovery.settings import whole_number

RED_FLAGS_FILE = Path(__file__).with_name("red_flags.yaml")
WHEN = ("before", "after", "next-morning")
WHERE = ("central", "one-side", "into-leg")
#: "Which feels easier: bending forward, or arching back?" (the direction that eases a back guides its stretches).
EASIER = ("forward", "backward", "neither")
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

    def to_json(self) -> dict[str, object]:
        return {
            "at": iso_utc(self.at), "score": self.score, "when": self.when,
            "where": self.where, "red_flags": list(self.red_flags), "note": self.note,
        }  # fmt: skip


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
) -> tuple[DiscomfortLog | None, list[str]]:
    """A log as the runner gave it (CLI or form), or a sentence per mistake: the one check both call."""
    problems = []
    number = whole_number(score, 0, 10)
    if number is None:
        problems.append("Choose how much discomfort you feel, from 0 (none) to 10 (the worst imaginable).")
    if when not in WHEN:
        problems.append("Choose when you feel it: before a run, after a run or the next morning.")
    if where not in WHERE:
        problems.append("Choose where you feel it: in the middle, on one side, or spreading into a leg.")
    unknown = [flag for flag in red_flags if flag not in known]
    if unknown:
        shown = "".join(c for c in unknown[0] if c.isprintable())[:40]
        problems.append(f"'{shown}' is not one of the warning signs asked about ({', '.join(known)}).")
    if problems:
        return None, problems
    kept = (note or "").strip()[:NOTE_CHARS] or None
    assert number is not None
    return DiscomfortLog(at, number, when, where, tuple(dict.fromkeys(red_flags)), kept), []




@dataclass(frozen=True)
class Referral:
    level: str  # consider | see-soon | urgent
    text: str
    reasons: tuple[str, ...]

    def to_json(self) -> dict[str, object]:
        return {"level": self.level, "text": self.text, "reasons": list(self.reasons)}


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
            if key not in ("id", "question", "level"):
                raise e.fail(key, "is not a field of a red flag (known: id, level, question)")
        flag_id = e.text("id")
        level = e.text("level")
        if level not in ("urgent", "see-soon"):
            raise e.fail("level", f"must be urgent or see-soon, not '{level}'")
        if flag_id in flags:
            raise e.fail("id", f"'{flag_id}' is given twice")
        flags[flag_id] = RedFlag(flag_id, e.text("question"), level)
    return flags


def assess(logs: Sequence[DiscomfortLog], now: datetime, red_flags: dict[str, RedFlag]) -> Referral | None:
    """Whether, and how firmly, to point the runner to a professional. Never a diagnosis."""
    # A total order, so logs given in any order (even two at the same minute) give the same advice.
    history = sorted(
        (log for log in logs if log.at <= now),
        key=lambda log: (log.at, log.score, log.when, log.where, log.red_flags, log.note or ""),
    )
    if not history:
        return None
    found: dict[str, list[str]] = {level: [] for level in LEVELS}
    recent = [log for log in history if log.at >= now - LOOKBACK]

    for log in recent:
        for flag_id in log.red_flags:
            flag = red_flags.get(flag_id)
            level = flag.level if flag else "see-soon"
            reason = f"You answered yes to: {flag.question}" if flag else f"You reported '{flag_id}'."
            if reason not in found[level]:
                found[level].append(reason)

    latest = history[-1]
    if latest.score >= HIGH_SCORE:
        found["see-soon"].append(f"Your latest discomfort was {latest.score}/10, which is high.")

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
            return Referral(level, TEXTS[level], reasons)
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
