"""The gathering a page is built from, and the one referral every routine on a page shares."""

from __future__ import annotations

from datetime import timedelta

from recovery.coach.discomfort import DiscomfortLog
from recovery.coaching import cooldown_for, gather, latest_stored, referral, strength_for, warmup_for
from recovery.ingest import ingest_bytes
from recovery.store import Store
from recovery.synthetic import make_run, to_fit
from tests.conftest import NOW


def test_a_cool_down_for_a_run_of_any_age_carries_the_same_referral_as_the_page(store: Store) -> None:
    """One window (the last 60 days from now) decides, so two boxes on one page can never disagree."""
    old = ingest_bytes(store, to_fit(make_run(1, NOW - timedelta(days=500), duration_s=1800)), "old.fit", now=NOW)
    recent = ingest_bytes(store, to_fit(make_run(2, NOW - timedelta(days=3), duration_s=1800)), "new.fit", now=NOW)
    store.add_discomfort(DiscomfortLog(NOW - timedelta(days=520), 9))  # long ago: no longer counts
    gathered = gather(store, NOW)
    assert referral(gathered, NOW) is None
    for outcome in (old, recent):
        routine = cooldown_for(store, gathered, latest_stored(store, gathered, outcome.run_ids[0]), NOW)
        assert routine is not None and routine.referral is None
    store.add_discomfort(DiscomfortLog(NOW - timedelta(days=1), 8))
    gathered = gather(store, NOW)
    page = referral(gathered, NOW)
    assert page is not None and page.level == "see-soon"
    for outcome in (old, recent):
        routine = cooldown_for(store, gathered, latest_stored(store, gathered, outcome.run_ids[0]), NOW)
        assert routine is not None and routine.referral == page
    assert warmup_for(gathered, NOW).referral == strength_for(gathered, NOW).referral == page


def test_a_gathering_is_kept_while_nothing_changes_and_read_again_after_a_write(store: Store) -> None:
    first = gather(store, NOW)
    assert gather(store, NOW + timedelta(minutes=1)) is first
    store.set_setting("units", "mi")
    again = gather(store, NOW + timedelta(minutes=1))
    assert again is not first and again.settings.units == "mi"
    assert gather(store, NOW + timedelta(hours=1)) is not again, "a long-kept gathering is read again"


def test_the_strength_routine_steps_up_from_the_timer_sessions_the_store_keeps(store: Store) -> None:
    from recovery.dashboard import record_session
    from recovery.history import RoutineSession

    assert {i.id: i.dose for i in strength_for(gather(store, NOW), NOW).items}["glute_bridge"] == "12 reps"
    for days in (10, 8):  # before this week, so a session is still suggested
        start = NOW - timedelta(days=days)
        items = tuple((m, "standard") for m in ("glute_bridge", "bird_dog", "plank", "side_plank"))
        record_session(store, RoutineSession(None, "strength", start, start + timedelta(minutes=12), 4, 4, 700, True,
                                             items, "same"))  # fmt: skip
    routine = strength_for(gather(store, NOW), NOW)
    assert {i.id: i.dose for i in routine.items}["glute_bridge"] == "14 reps"
