"""Strengthening on the days between runs: what protects the back, where stretching only soothes it.

Kept apart from the cool-down and warm-up (routine.py): it has its own
history (sessions done, by the timer, the CLI or the watch) and its own
progression.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from recovery.coach.catalogue import Catalogue
from recovery.coach.discomfort import DiscomfortLog, Referral
from recovery.coach.routine import Routine, _item, todays_discomfort
from recovery.coach.weights import Weights

STRENGTH = ("glute_bridge", "bird_dog", "plank", "side_plank")


def build_strength(
    sessions: Sequence[datetime],
    logs: Sequence[DiscomfortLog],
    referral: Referral | None,
    catalogue: Catalogue,
    weights: Weights,
    now: datetime,
) -> Routine:
    """This week's strengthening: suggested when fewer than the target sessions were logged in 7 days."""
    done = [s for s in sessions if now - timedelta(days=7) < s <= now]
    if referral is not None and referral.level == "urgent":
        return Routine(None, "strength", 0, (), ("Do not exercise until you have been seen.",), referral, "")
    if len(done) >= weights.sessions_per_week:
        note = f"You have done {len(done)} strength sessions in the last 7 days: that is enough for this week."
        return Routine(None, "strength", 0, (), (note,), referral, note)
    today = todays_discomfort(logs, now, weights)
    score = today.score if today else 0
    gentle = score >= weights.gentle_from or (referral is not None and referral.level == "see-soon")
    items = []
    for movement_id in STRENGTH:
        movement = catalogue.by_id(movement_id)
        reasons = [
            f"You have logged {len(done)} of the {weights.sessions_per_week} strength sessions a week that keep "
            "the spine steady on the run."
        ]
        if gentle:
            reasons.append(f"With {score}/10 discomfort logged, the easier version.")
        hold = (movement.gentle.hold_s if gentle and movement.gentle else movement.hold_s) if movement.hold_s else None
        items.append(_item(movement, gentle=gentle, hold_s=hold, reasons=reasons))
    safety = ("Stop any exercise that brings on sharp pain.", "Rest a day between strength sessions.")
    total = sum(i.seconds(weights.seconds_between * 3) for i in items)
    return Routine(None, "strength", total, tuple(items), safety, referral, f"{len(items)} exercises")
