"""When the coach points to a professional: a physio's cases, and rules for every log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from recovery.coach.discomfort import LEVELS, WHEN, WHERE, DiscomfortLog, assess, load_red_flags

NOW = datetime(2026, 11, 24, 18, 0, tzinfo=UTC)
FLAGS = load_red_flags()
URGENT = [f for f, flag in FLAGS.items() if flag.level == "urgent"]


def log(days_ago: float, score: int, **kw) -> DiscomfortLog:
    return DiscomfortLog(at=NOW - timedelta(days=days_ago), score=score, **kw)


def test_no_logs_or_mild_settling_discomfort_needs_no_referral() -> None:
    assert assess([], NOW, FLAGS) is None
    logs = [log(3, 3), log(2.5, 1, when="next-morning"), log(1, 2), log(0.5, 0, when="next-morning")]
    assert assess(logs, NOW, FLAGS) is None


def test_saddle_numbness_means_the_emergency_department_now() -> None:
    referral = assess([log(0, 2, red_flags=("saddle_numbness",))], NOW, FLAGS)
    assert referral is not None and referral.level == "urgent"
    assert "emergency department now" in referral.text
    assert any("saddle" in r for r in referral.reasons)


def test_other_red_flags_mean_a_doctor_soon() -> None:
    referral = assess([log(0, 1, red_flags=("night_pain",))], NOW, FLAGS)
    assert referral is not None and referral.level == "see-soon"


def test_discomfort_of_8_means_see_someone_soon() -> None:
    referral = assess([log(0, 8)], NOW, FLAGS)
    assert referral is not None and referral.level == "see-soon"
    assert "8/10" in referral.reasons[0]


def test_three_rising_logs_suggest_a_physio() -> None:
    referral = assess([log(4, 2), log(2, 4), log(0, 6)], NOW, FLAGS)
    assert referral is not None and referral.level == "consider"
    assert "(2, 4, 6)" in referral.reasons[0]


def test_mornings_that_do_not_settle_and_two_weeks_of_discomfort_suggest_a_physio() -> None:
    mornings = [log(9, 4, when="next-morning"), log(3, 3, when="next-morning"), log(1, 2)]
    assert assess(mornings, NOW, FLAGS).level == "consider"
    fortnight = [log(days, 2) for days in (16, 12, 8, 4, 0)]
    referral = assess(fortnight, NOW, FLAGS)
    assert referral.level == "consider" and "16 days" in referral.reasons[0]


def test_logs_in_the_future_do_not_count() -> None:
    assert assess([log(-1, 9)], NOW, FLAGS) is None


def test_the_red_flag_questions_are_all_there() -> None:
    assert set(FLAGS) == {"saddle_numbness", "bladder_bowel", "leg_weakness", "fever_unwell", "weight_loss",
                          "night_pain", "past_cancer", "after_fall"}  # fmt: skip
    assert set(URGENT) == {"saddle_numbness", "bladder_bowel"}


logs_strategy = st.lists(
    st.builds(
        DiscomfortLog,
        at=st.floats(0, 30).map(lambda d: NOW - timedelta(days=d)),
        score=st.integers(0, 10),
        when=st.sampled_from(WHEN),
        where=st.sampled_from(WHERE),
        red_flags=st.lists(st.sampled_from(sorted(FLAGS)), max_size=2).map(tuple),
    ),
    max_size=12,
)


def _rank(referral) -> int:
    return -1 if referral is None else LEVELS.index(referral.level)


@given(logs_strategy, st.sampled_from(URGENT))
def test_an_urgent_red_flag_always_gives_the_urgent_message(logs, flag) -> None:
    referral = assess([*logs, log(0, 0, red_flags=(flag,))], NOW, FLAGS)
    assert referral is not None and referral.level == "urgent"


@given(logs_strategy, st.integers(0, 10), st.integers(0, 10))
def test_more_discomfort_today_never_softens_the_advice(logs, low, extra) -> None:
    high = min(10, low + extra)
    softer = assess([*logs, log(0, low)], NOW, FLAGS)
    harder = assess([*logs, log(0, high)], NOW, FLAGS)
    if _rank(softer) >= LEVELS.index("see-soon"):
        assert _rank(harder) >= LEVELS.index("see-soon")
    if high >= 7:
        assert _rank(harder) >= LEVELS.index("see-soon")


@given(logs_strategy)
def test_the_same_logs_give_the_same_advice_and_every_referral_has_reasons(logs) -> None:
    first, second = assess(logs, NOW, FLAGS), assess(list(reversed(logs)), NOW, FLAGS)
    assert first == second
    if first is not None:
        assert first.reasons and first.text
        assert not any(word in first.text.lower() for word in ("hernia", "disc", "diagnos", "you have a"))


def test_eight_mild_logs_in_eleven_weeks_are_not_called_ongoing_discomfort() -> None:
    """A reported false alarm: days without a log were counted as days with pain ("51 days without a day free")."""
    scores = [1, 3, 2, 5, 2, 1, 4, 2]
    logs = [log(77 - i * 10, score) for i, score in enumerate(scores)]
    referral = assess(logs, NOW, FLAGS)
    assert referral is None or not any("free of it" in reason for reason in referral.reasons)


def test_discomfort_logged_every_day_or_two_for_two_weeks_is_ongoing_and_said_with_the_logged_count() -> None:
    logs = [log(days, 2) for days in range(16, -1, -2)]  # every other day for 16 days, never 0
    referral = assess(logs, NOW, FLAGS)
    assert referral is not None and referral.level == "consider"
    assert "Every one of your 9 logs over the last 16 days recorded discomfort, none of them free of it." in (
        referral.reasons
    )
    with_a_gap = [entry for entry in logs if not 6 <= (NOW - entry.at).days <= 10]  # eight days unlogged
    gapped = assess(with_a_gap, NOW, FLAGS)
    assert gapped is None or not any("free of it" in reason for reason in gapped.reasons)
