"""Build today's routine: a cool-down for this run and this back, the warm-up, or strengthening.

How the cool-down is chosen, in the order a physiotherapist would think it:

1. Safety first. An urgent red flag: no routine, go and be seen. Another
   red flag or high discomfort: only the gentlest positions.
2. Not a run (a ride, a swim): no running cool-down; it still counts as load.
3. How much: an easy short run gets a short cool-down (never none), an
   ordinary run about 5-7 minutes, a long, hilly or hard one more.
4. What: the guide's four lower-back holds, plus the muscles around the
   back (hips, hamstrings, glutes), all of them and held longer after a
   demanding run, one a day in turn otherwise.
5. With discomfort: gentler versions, shorter holds, fewer positions,
   never more.

Every item carries its reasons; the routine carries the safety notes that
apply today. Variety (which surrounding stretch today) is seeded from the
run, never from the clock, so the same inputs always give the same routine.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from recovery.coach.catalogue import AREA_WORDS, Catalogue, Movement
from recovery.coach.demands import Demands, run_demands
from recovery.coach.discomfort import DiscomfortLog, Referral
from recovery.coach.feedback import NOTHING, Learned
from recovery.coach.load import RunClass
from recovery.coach.weights import Weights
from recovery.coach.words import distance, duration
from recovery.model import Run

#: Where the back is sore: the positions that ask least of it, by the direction that eases it.
GENTLEST = {"flexion": ("childs_pose", "lying_knee_hug", "supine_spinal_twist"),
            "extension": ("sphinx", "supine_spinal_twist", "prone_press_up")}  # fmt: skip
WARMUP = ("cat_cow", "standing_twist", "hip_circles", "knee_to_chest_march")
#: The muscles around the back the guide says not to neglect, for a run that asked nothing in particular.
AROUND = ("glutes", "hip_flexors", "hamstrings")
#: A movement whose main area is one of these is a back position; the rest work the legs and hips.
BACK_AREAS = ("lower_back", "spine")
SECONDS_PER_REP = 3
#: How many positions for the back, and how many for the areas around it, by the kind of cool-down.
BACK_POSITIONS = 4
AREAS_FOR = {"short": 1, "ordinary": 3, "extended": 5}

#: How each demand's figure leads into the area it loaded: the first area it names, then the others.
DEMAND_WORDS = {
    "climb": ("{said}, work that falls on your {area}.", "The climbing also works your {area}."),
    "descent": ("{said}, braking with your {area} all the way down.", "The descent also loads your {area}."),
    "speed": ("{said}: fast running lengthens the stride and asks most of your {area}.",
              "The fast running also asks a lot of your {area}."),
    "long": ("{said}: that many strides tire out your {area}.", "The length of the run also tires your {area}."),
    "trail": ("{said}, which asks more of your {area}.", "The uneven ground also asks more of your {area}."),
    "treadmill": ("{said}, which repeats the same load on your {area}.",
                  "The even belt also repeats the load on your {area}."),
    "track": ("{said}, which loads your {area} unevenly.", "The bends also load your {area}."),
}  # fmt: skip
#: Why an area matters to the back when the run asked nothing of it in particular.
AREA_WHY = {
    "hamstrings": "Tight hamstrings tug the pelvis under, and the lower back with it.",
    "hip_flexors": "Tight hip flexors tilt the pelvis forward and make the lower back arch.",
    "glutes": "Your glutes steady the pelvis at every landing; loose, they leave the lower back in peace.",
    "hips": "Stiff hips pass their stiffness on to the lower back.",
    "calves": "Your calf muscles push off at every stride.",
    "soleus": "The soleus carries much of each landing, deep under the calf.",
    "quadriceps": "Your quadriceps absorb each landing.",
    "outer_hip": "The outer hip keeps the pelvis level on one leg, as every stride asks.",
    "piriformis": "The piriformis turns the hip outwards and can feel tight deep in the buttock.",
    "adductors": "Your inner thighs steady each leg as it swings through.",
    "feet": "The soles of your feet spring you off at every stride.",
}

MISTAKES = (
    "Before your next run, warm up first: a few minutes of easy jogging or brisk walking, then the warm-up moves.",
    "Let a stretch come to you: forcing a position is how stretching causes strains.",
    "Sharp pain is a signal to stop, not something to stretch through.",
    "Tight hips, hamstrings and glutes pull on the lower back: they are part of the routine for a reason.",
)
EVIDENCE = (
    "Stretching after a run is for comfort and mobility: it does not prevent injury or next-day soreness. "
    "Strength work is what protects the back, so keep up the strength sessions too."
)


@dataclass(frozen=True)
class Item:
    id: str
    name: str
    kind: str
    hold_s: int | None
    reps: int | None
    sides: int
    variant: str  # standard | gentle
    reasons: tuple[str, ...]
    steps: tuple[str, ...] = ()
    cues: tuple[str, ...] = ()
    avoid: tuple[str, ...] = ()
    #: standing, floor or chair (catalogue POSITIONS); None where the catalogue does not say.
    position: str | None = None

    @property
    def dose(self) -> str:
        """How much, in the runner's words: "30 s", "3 x 30 s" (three holds) or "10 reps" (per side if two)."""
        if self.hold_s and self.reps:
            return f"{self.reps} x {self.hold_s} s"
        return f"{self.hold_s} s" if self.hold_s else f"{self.reps} reps"

    def seconds(self, between: int) -> int:
        if self.hold_s is not None:
            return self.hold_s * self.sides * (self.reps or 1) + between
        return (self.reps or 0) * SECONDS_PER_REP * self.sides + between


@dataclass(frozen=True)
class Routine:
    run_id: int | None
    phase: str  # cooldown | warmup | strength
    total_s: int
    items: tuple[Item, ...]
    safety: tuple[str, ...]
    referral: Referral | None
    summary: str = ""
    #: Why the routine as a whole is this way today (each said once, not on every item).
    reasons: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "phase": self.phase,
            "total_s": self.total_s,
            "summary": self.summary,
            "reasons": list(self.reasons),
            "items": [
                {
                    "id": i.id,
                    "name": i.name,
                    "kind": i.kind,
                    "hold_s": i.hold_s,
                    "reps": i.reps,
                    "dose": i.dose,
                    "sides": i.sides,
                    "variant": i.variant,
                    "reasons": list(i.reasons),
                    "steps": list(i.steps),
                    "cues": list(i.cues),
                    "avoid": list(i.avoid),
                    "position": i.position,
                }
                for i in self.items
            ],
            "safety": list(self.safety),
            "referral": None if self.referral is None else self.referral.to_json(),
        }


def todays_discomfort(logs: Sequence[DiscomfortLog], moment: datetime, weights: Weights) -> DiscomfortLog | None:
    """The latest log within `recent_hours` before `moment` (or up to 12 h after, for 'after the run')."""
    window_start = moment - timedelta(hours=weights.recent_hours)
    recent = [log for log in logs if window_start <= log.at <= moment + timedelta(hours=12)]
    return max(recent, key=lambda log: (log.at, log.score)) if recent else None


def _seed(run: Run) -> int:
    return int(hashlib.sha256(run.content_id.encode()).hexdigest()[:8], 16)


def _item(movement: Movement, *, gentle: bool, hold_s: int | None, reasons: list[str]) -> Item:
    variant = movement.gentle if gentle and movement.gentle else None
    reps = (variant.reps if variant else movement.reps) if movement.kind != "static" else None
    return Item(
        id=movement.id,
        name=variant.name if variant else movement.name,
        kind=movement.kind,
        hold_s=hold_s,
        reps=reps,
        sides=movement.sides,
        variant="gentle" if variant else "standard",
        reasons=tuple(reasons),
        steps=variant.steps if variant else movement.steps,
        cues=movement.cues,
        avoid=movement.avoid,
        position=(variant.position if variant else None) or movement.position,
    )


def area_words(area: str) -> str:
    return AREA_WORDS[area][0]


@dataclass(frozen=True)
class Back:
    """How this back is today, from the logs: what the cool-down adapts to."""

    score: int  # today's discomfort, 0 with no recent log
    easier: str | None  # forward | backward | neither: the latest answer, however old
    into_leg: bool  # the latest log of the last two weeks spreads into a leg

    @property
    def bias(self) -> str:
        return "extension" if self.easier == "backward" else "flexion"


def back_today(logs: Sequence[DiscomfortLog], moment: datetime, weights: Weights) -> tuple[Back, DiscomfortLog | None]:
    today = todays_discomfort(logs, moment, weights)
    answered = [log for log in logs if log.easier is not None and log.at <= moment + timedelta(hours=12)]
    easier = max(answered, key=lambda log: log.at).easier if answered else None
    recent = [log for log in logs if moment - timedelta(days=14) <= log.at <= moment + timedelta(hours=12)]
    latest = max(recent, key=lambda log: (log.at, log.score)) if recent else None
    into_leg = latest is not None and latest.where == "into-leg" and latest.score > 0
    return Back(today.score if today else 0, easier, into_leg), today


class _Picker:
    """Chooses movements one at a time, honouring exclusions and what earlier routines taught."""

    def __init__(self, catalogue: Catalogue, back: Back, learned: Learned, gentle: bool) -> None:
        self.cooldown = catalogue.phase("cooldown")
        self.back, self.learned, self.gentle = back, learned, gentle
        self.chosen: set[str] = set()

    def allowed(self, movement: Movement) -> bool:
        return self.suits(movement) and not self.ruled_out(movement)

    def ruled_out(self, movement: Movement) -> bool:
        """Feedback rules it out: its gentle version did not agree either, or it has none."""
        marked = self.learned.disagreed.get(movement.id)
        return marked == "gentle" or (marked == "standard" and movement.gentle is None)

    def suits(self, movement: Movement) -> bool:
        """Not chosen yet, and right for this back (the nerve, the direction that eases it)."""
        if movement.id in self.chosen:
            return False
        if self.back.into_leg and movement.nerve_tension:
            return False
        if self.back.bias == "extension" and movement.bias == "flexion":
            return False
        return not (self.back.easier == "forward" and movement.bias == "extension")

    def back_positions(self) -> list[Movement]:
        wanted = (self.back.bias, "neutral")
        return sorted((m for m in self.cooldown if m.area in BACK_AREAS and m.bias in wanted),
                      key=lambda m: wanted.index(m.bias) if self.back.bias == "extension" else 0)  # fmt: skip

    def _for(self, area: str) -> list[Movement]:
        main = [m for m in self.cooldown if m.area == area and m.area not in BACK_AREAS]
        also = [m for m in self.cooldown if area in m.targets[1:] and m.area not in BACK_AREAS]
        return [m for m in (*main, *also) if self.suits(m)]

    def for_area(self, area: str) -> tuple[Movement | None, str | None]:
        """The first allowed movement for the area (one the last settled routine had, else catalogue order),
        and the reason when feedback ruled out the one that would have come first."""
        suited = self._for(area)
        candidates = [m for m in suited if not self.ruled_out(m)]
        kept = [m for m in candidates if m.id in self.learned.kept_ids]
        chosen = (kept or candidates or [None])[0]
        passed = next((m for m in suited if self.ruled_out(m)), None)
        if chosen is None or passed is None or suited.index(passed) > suited.index(chosen):
            return chosen, None
        return chosen, (f"Last time the {passed.name.lower()} didn't agree with you, so today it is the "
                        f"{chosen.name.lower()} instead.")  # fmt: skip

    def replaced(self, wanted: Movement) -> tuple[Movement, str | None] | None:
        """The movement to offer in place of `wanted`, and a reason when feedback changed it."""
        if self.allowed(wanted):
            return wanted, None
        if self.suits(wanted) and self.ruled_out(wanted):
            other = self.for_area(wanted.area)[0] if wanted.area not in BACK_AREAS else next(
                (m for m in self.back_positions() if self.allowed(m)), None)  # fmt: skip
            if other is not None:
                return other, (
                    f"Last time the {wanted.name.lower()} didn't agree with you, so today it is the "
                    f"{other.name.lower()} instead."
                )
        return None

    def take(self, movement: Movement) -> tuple[Movement, bool, str | None]:
        """(movement, gentle?, feedback reason) for a movement that is allowed."""
        self.chosen.add(movement.id)
        if self.learned.disagreed.get(movement.id) == "standard" and movement.gentle is not None:
            return movement, True, (
                f"Last time the {movement.name.lower()} didn't agree with you, so today it is the "
                f"{movement.gentle.name.lower()}."
            )
        return movement, self.gentle, None


def build_cooldown(
    run: Run,
    run_class: RunClass,
    logs: Sequence[DiscomfortLog],
    referral: Referral | None,
    catalogue: Catalogue,
    weights: Weights,
    *,
    run_id: int | None = None,
    notes: Sequence[str] = (),
    demands: Demands | None = None,
    learned: Learned = NOTHING,
    units: str = "km",
) -> Routine:
    """The cool-down for one run: items with their own reasons, the routine's reasons, safety notes, any referral.

    `demands` is what the run asked of the body (`run_demands`, worked out
    here from the run alone when not given); `learned` what earlier routines
    taught (`feedback.learn`); `notes` facts about the load worth telling
    today (a sudden jump in the week's load, estimated heart limits).
    """
    moment = run.end_time_utc or run.start_time_utc or datetime.min.replace(tzinfo=UTC)
    back, today = back_today(logs, moment, weights)
    safety = ["Hold each stretch still, with no bouncing: a mild, even pull, never pain.",
              "Breathe slowly; let each breath out soften the stretch a little."]  # fmt: skip
    if referral is not None and referral.level == "urgent":
        safety = ["Do not stretch or run until you have been seen."]
        return Routine(run_id, "cooldown", 0, (), tuple(safety), referral, "No routine today: please get seen first.")
    if not run.is_run:
        kind = run.sport.replace("_", " ")
        if run.sport == "strength":
            note = "A strength session, not a run: it counts toward this week's strength work, not a cool-down."
        else:
            note = f"This was a {kind}, not a run: it counts toward your load, but gets no running cool-down."
        return Routine(run_id, "cooldown", 0, (), (note,), referral, note)
    if demands is None:
        demands = run_demands(run, run_class, units=units, hilly_m_per_km=weights.hilly_m_per_km)

    red_flag = referral is not None and referral.level == "see-soon"
    gentle = back.score >= weights.gentle_from or red_flag or learned.softer is not None
    fewer = back.score >= weights.fewer_from or red_flag
    short_easy = not demands.demanding and demands.session == "easy" and demands.minutes < weights.short_run_minutes
    why: list[str] = [_run_sentence(run, demands, short_easy, units)]

    picker = _Picker(catalogue, back, learned, gentle)
    planned: list[tuple[Item, int]] = []  # each item with its priority: the higher, the sooner it goes
    between = weights.seconds_between

    def add(movement: Movement, hold: int, reasons: list[str], priority: int) -> None:
        swap = picker.replaced(movement)
        if swap is None:
            return
        chosen, feedback_reason = swap
        chosen, soft, gentler_reason = picker.take(chosen)
        reasons = [*reasons, *(r for r in (feedback_reason, gentler_reason) if r)]
        if soft:
            hold = min(hold, weights.gentle_hold_s, chosen.gentle.hold_s if chosen.gentle else hold)
        planned.append((_item(chosen, gentle=soft, hold_s=hold, reasons=reasons), priority))

    def planned_s() -> int:
        return sum(item.seconds(between) for item, _ in planned)

    if gentle:
        low, high = weights.eased_minutes
        ids = GENTLEST[back.bias]
        pool = [m for m in picker.back_positions() if m.id in ids] or picker.back_positions()
        pool.sort(key=lambda m: ids.index(m.id) if m.id in ids else len(ids))
        if not fewer:
            pool += [m for m in picker.back_positions() if m not in pool]
        for movement in pool[: 3 if fewer else BACK_POSITIONS]:
            add(movement, weights.gentle_hold_s, [_back_why(movement, back)], 0)
        why.append(_gentle_sentence(back, red_flag, learned, weights))
        if fewer:
            why.append("With your back like this, the routine keeps to the positions that ask least of it.")
    else:
        kind = "short" if short_easy else "extended" if demands.demanding else "ordinary"
        low, high = {"short": weights.short_minutes, "extended": weights.extended_minutes,
                     "ordinary": weights.ordinary_minutes}[kind]  # fmt: skip
        for movement in picker.back_positions()[:BACK_POSITIONS]:
            hold = max(weights.hold_s, movement.hold_s or 0) if movement.id == "childs_pose" else weights.hold_s
            add(movement, hold, [_back_why(movement, back)], 2)
        areas = demands.ranked_areas() if demands.items else []
        areas = [a for a in areas if a not in BACK_AREAS]
        if short_easy and not areas:
            areas = [AROUND[_seed(run) % len(AROUND)]]
        for area in AROUND:
            if area not in areas:
                areas.append(area)
        used: set[str] = set()
        for rank, area in enumerate(areas):
            if rank >= AREAS_FOR[kind] and (kind == "short" or planned_s() >= low * 60):
                break
            movement, swapped = picker.for_area(area)
            if movement is None:
                continue
            demand = demands.first_for(area)
            if demand is not None:
                first, later = DEMAND_WORDS[demand.kind]
                text = (later if demand.kind in used else first).format(said=demand.said, area=area_words(area))
                used.add(demand.kind)
                reasons = [text[:1].upper() + text[1:]]
                hold = weights.emphasis_hold_s if demand.weight >= 1 else weights.hold_s
            else:
                turn = "Today's turn for the muscles around your back. " if short_easy else ""
                reasons, hold = [turn + AREA_WHY.get(area, f"It stretches your {area_words(area)}.")], weights.hold_s
            add(movement, hold, [*reasons, *([swapped] if swapped else [])], 1 if demand is not None else 3 + rank)
        # Still short of the least for this kind of run: a second stretch for the areas it loaded most.
        for area in [a for a in demands.ranked_areas() if a not in BACK_AREAS]:
            if planned_s() >= low * 60 or kind == "short":
                break
            second, _ = picker.for_area(area)
            if second is not None and planned_s() + second.hold_s * second.sides + between <= high * 60:
                hold = weights.emphasis_hold_s
                add(second, hold, [f"A second stretch for your {area_words(area)}, which this run loaded most."], 1)
        if any(item.hold_s == weights.emphasis_hold_s and p == 1 for item, p in planned):
            why.append(f"The areas this run worked hardest are held {weights.emphasis_hold_s} s, the rest "
                       f"{weights.hold_s} s.")  # fmt: skip
    if back.bias == "extension":
        why.append("Arching back eases your back, so its positions today arch it gently rather than round it.")
    elif back.easier == "forward":
        why.append("Bending forward eases your back, so its positions today round it gently.")
    if back.into_leg:
        why.append(
            "Your discomfort spreads into a leg, so today leaves out stretches that pull on the sciatic nerve "
            "(long-sitting folds, straight-leg raises); keep every stretch short of any tingling."
        )
    if learned.kept and not gentle:
        why.append(learned.kept)

    items = [item for item, _ in planned]
    priority = {id(item): p for item, p in planned}
    total = sum(i.seconds(between) for i in items)
    # Too long: the least needed go first (the muscles around the back before the back, the back down to two).
    while total > high * 60 and len(items) > 1:
        droppable = [i for i in items if priority[id(i)] != 0 or len(items) > 2]
        worst = max(droppable, key=lambda i: (priority[id(i)], items.index(i)))
        items.remove(worst)
        total -= worst.seconds(between)
    if short_easy and not gentle:
        safety.append("A short, easy run needs only a short cool-down, but not none.")
    if today is not None and today.score > 0:
        safety.append(
            "Discomfort up to 5/10 during the stretches or your next runs is acceptable if it has settled by the "
            "next morning; sharp pain, or pain that rises from one day to the next, means stop. (This rule of thumb "
            "comes from tendon rehabilitation; using it for the back is a cautious borrowing.)"
        )
    safety.append(MISTAKES[_seed(run) % len(MISTAKES)])
    safety.extend(notes)
    why.append(EVIDENCE)
    summary = f"{len(items)} stretches, about {max(1, round(total / 60))} minutes"
    return Routine(run_id, "cooldown", total, tuple(items), tuple(safety), referral, summary, tuple(why))


def _run_sentence(run: Run, demands: Demands, short_easy: bool, units: str) -> str:
    what = distance(run.distance_m, units) if run.distance_m else duration((demands.minutes or 0) * 60)
    if short_easy:
        return f"An easy {what} run: a short cool-down for your back and one set of muscles around it."
    if not demands.items:
        return f"Your {what} run asked nothing in particular of any area: the cool-down is for your back."
    kinds = [d.kind for d in demands.items]
    words = {"intervals": "fast repeats", "tempo": "a hard, sustained effort", "race": "a race effort",
             "long": "long"}  # fmt: skip
    parts = [words[demands.session]] if demands.session in words else []
    if "long" in kinds and "long" not in parts:
        parts.append("long")
    if "climb" in kinds:
        parts.append("hilly")
    elif "descent" in kinds:
        parts.append("mostly downhill")
    if "trail" in kinds:
        parts.append("on trails")
    if not parts:
        parts = ["demanding"]
    named = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return f"Your {what} run: {named}. The stretches follow what it asked of your legs."


def _back_why(movement: Movement, back: Back) -> str:
    """The movement's own reason from the catalogue, else one from the way it takes the spine."""
    if movement.why:
        return movement.why
    name = movement.name
    if movement.bias == "extension":
        return f"{name} arches your lower back gently, taking it the other way from the forward lean of running."
    if movement.bias == "flexion":
        return f"{name} lets your lower back round gently forward and rest after the run."
    return f"{name} turns your spine gently each way, easing the stiffness running leaves in it."


def _gentle_sentence(back: Back, red_flag: bool, learned: Learned, weights: Weights) -> str:
    if back.score >= weights.gentle_from:
        because = f"you logged {back.score}/10 discomfort today"
    elif red_flag:
        because = "you reported a warning sign"
    else:
        return learned.softer or ""
    hold = weights.gentle_hold_s
    return f"Because {because}, every stretch is the gentler version, held {hold} s or less."


def build_warmup(
    logs: Sequence[DiscomfortLog], referral: Referral | None, catalogue: Catalogue, weights: Weights, now: datetime
) -> Routine:
    """The dynamic warm-up before the next run, eased when the back is sore."""
    today = todays_discomfort(logs, now, weights)
    score = today.score if today else 0
    if referral is not None and referral.level == "urgent":
        return Routine(None, "warmup", 0, (), ("Do not run until you have been seen.",), referral, "No run today.")
    gentle = score >= weights.gentle_from or (referral is not None and referral.level == "see-soon")
    items = []
    for movement_id in WARMUP:
        movement = catalogue.by_id(movement_id)
        area, plural = AREA_WORDS[movement.area]
        they = "them" if plural else "it"
        reasons = [movement.why or f"{movement.name} moves your {area} through {'their' if plural else 'its'} "
                   f"range, waking {they} up without tiring {they}."]  # fmt: skip
        items.append(_item(movement, gentle=gentle, hold_s=None, reasons=reasons))
    why = ["Moving the spine and hips through their range before a run readies them for it."]
    if gentle:
        why.append(f"With {score}/10 discomfort logged, every move is the smaller-range version.")
    safety = (
        "Start with five to ten minutes of easy jogging or brisk walking; these moves come after that.",
        "Keep every move slow and controlled: the warm-up is not the workout.",
    )
    total = sum(i.seconds(weights.seconds_between) for i in items)
    return Routine(None, "warmup", total, tuple(items), safety, referral, f"{len(items)} moves, about 5 minutes",
                   tuple(why))  # fmt: skip
