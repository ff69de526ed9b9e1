"""The stretch catalogue: complete, in our own words, and strict about mistakes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recovery.coach.catalogue import (
    AREA_WORDS,
    BIASES,
    DEFAULT_CATALOGUE,
    STATIC_HOLD_S,
    CatalogueError,
    load_catalogue,
    parse_catalogue,
)
from tests.conftest import ROOT

TEXT = DEFAULT_CATALOGUE.read_text()
GUIDE = ROOT.parent / "shared" / "domain" / "stretching-guide.txt"

#: Every movement the runners' guide names, and the surrounding muscles it says not to neglect.
FROM_THE_GUIDE = {
    "warmup": {"cat_cow", "standing_twist", "hip_circles", "knee_to_chest_march"},
    "cooldown": {"childs_pose", "seated_forward_fold", "supine_spinal_twist", "lying_knee_hug",
                 "kneeling_hip_flexor", "figure_four", "lying_hamstring"},
    "strength": {"plank", "side_plank", "glute_bridge", "bird_dog"},
}  # fmt: skip


def test_the_catalogue_holds_every_movement_of_the_guide() -> None:
    catalogue = load_catalogue()
    for phase, ids in FROM_THE_GUIDE.items():
        assert ids <= {m.id for m in catalogue.phase(phase)}, phase
    assert {"hamstrings", "glutes", "hip_flexors"} <= {t for m in catalogue.phase("cooldown") for t in m.targets}


def test_every_static_hold_is_20_to_30_seconds_and_every_movement_is_explained() -> None:
    for movement in load_catalogue().movements:
        if movement.kind == "static":
            assert STATIC_HOLD_S[0] <= movement.hold_s <= STATIC_HOLD_S[1], movement.id
            assert movement.gentle is not None and movement.gentle.hold_s <= movement.hold_s
        assert movement.steps and movement.cues and movement.avoid, movement.id


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z]+", text.lower().replace("’", "'"))


def test_the_wording_is_ours_not_the_guides() -> None:
    """Facts and figures may come from the guide; no run of 7 words may."""
    if not GUIDE.exists():
        pytest.skip(f"the stretching guide is not at {GUIDE}")
    guide = _words(GUIDE.read_text())
    shingles = {tuple(guide[i : i + 7]) for i in range(len(guide) - 6)}
    ours = _words(TEXT)
    copied = [" ".join(ours[i : i + 7]) for i in range(len(ours) - 6) if tuple(ours[i : i + 7]) in shingles]
    assert not copied


def _mutate(line_no: int, new_value: str) -> str:
    lines = TEXT.split("\n")
    key = lines[line_no - 1].split(":", 1)[0]
    lines[line_no - 1] = f"{key}: {new_value}"
    return "\n".join(lines)


def _line_of(pattern: str, nth: int = 0) -> int:
    matches = [i + 1 for i, line in enumerate(TEXT.split("\n")) if re.match(pattern, line)]
    return matches[nth]


@pytest.mark.parametrize(
    "pattern, value, words",
    [
        (r"\s+hold_s: 30$", "45", "between 20 and 30"),
        (r"\s+kind: static", "dynamic", "must be 'static'"),
        (r"\s+phase: warmup", "pre-run", "must be one of"),
        (r"\s+targets:", "[lower_back, ankles]", "'ankles' is not a known area"),
        (r"\s+per_side: true", "sometimes", "true or false"),
        (r"\s+reps: 10", "ten", "whole number"),
        (r"- id: plank", "Plank!", "lower-case"),
        (r"\s+bias: flexion", "forwards", "must be one of flexion, extension, neutral"),
        (r"\s+bias: extension", "[extension]", "must be one of flexion, extension, neutral"),
        (r"\s+nerve_tension: true", "sometimes", "true or false"),
        (r"\s+nerve_tension: false", "0", "true or false"),
    ],
)
def test_a_mistake_is_reported_with_its_line_and_field(pattern: str, value: str, words: str) -> None:
    line = _line_of(pattern)
    with pytest.raises(CatalogueError) as exc:
        parse_catalogue(_mutate(line, value), "catalogue.yaml")
    assert f"catalogue.yaml, line {line}" in str(exc.value)
    assert words in str(exc.value)


def test_an_unknown_field_a_duplicate_id_and_bad_yaml_are_reported(tmp_path: Path) -> None:
    line = _line_of(r"\s+per_side:", 3)
    with pytest.raises(CatalogueError, match=rf"line {line + 1}, field 'colour'"):
        lines = TEXT.split("\n")
        lines.insert(line, "  colour: blue")
        parse_catalogue("\n".join(lines))
    second = _line_of(r"- id: standing_twist")
    with pytest.raises(CatalogueError, match=rf"line {second}, field 'id': 'cat_cow' is already used"):
        parse_catalogue(_mutate(second, "cat_cow"))
    broken = tmp_path / "mine.yaml"
    broken.write_text("- id: x\n  name: [unclosed\n")
    with pytest.raises(CatalogueError, match=r"mine.yaml, line \d+: the file is not valid YAML"):
        load_catalogue(broken)


def test_a_gentle_version_may_not_be_harder_than_the_standard_one() -> None:
    lines = TEXT.split("\n")
    start = _line_of(r"- id: childs_pose")
    gentle_hold = next(i + 1 for i in range(start, len(lines)) if re.match(r"\s{4}hold_s:", lines[i]))
    with pytest.raises(CatalogueError, match=rf"line {gentle_hold}, field 'hold_s': must be between 10 and 30"):
        parse_catalogue(_mutate(gentle_hold, "40"))


FIELD_LINES = [
    (i + 1, m.group(1))
    for i, line in enumerate(TEXT.split("\n"))
    if (m := re.match(r"^\s*-?\s*(hold_s|reps|kind|phase|per_side|targets|id|bias|nerve_tension):", line))
]
INVALID = {
    "hold_s": st.one_of(st.integers(max_value=0), st.integers(min_value=1000), st.sampled_from(["long", "1.5x", "[]"])),
    "reps": st.one_of(st.integers(max_value=0), st.integers(min_value=1000), st.sampled_from(["many", "{}"])),
    "kind": st.sampled_from(["yoga", "bouncy", "3", "Static"]),
    "phase": st.sampled_from(["afterwards", "pre", "0", "Cooldown"]),
    "per_side": st.sampled_from(["both", "2", "left", "'yes'"]),
    "targets": st.sampled_from(["[]", "[toes]", "lower_back", "[lower_back, neck]"]),
    "id": st.sampled_from(["Bad Id", "9lives", "x", "dash-ed"]),
    "bias": st.sampled_from(["forward", "Flexion", "arched", "[flexion]", "0", "true"]),
    "nerve_tension": st.sampled_from(["sometimes", "1", "'true'", "[true]", "mild", "neutral"]),
}


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(FIELD_LINES), st.data())
def test_every_mutated_field_is_refused_with_its_line(target: tuple[int, str], data: st.DataObject) -> None:
    line, field = target
    value = data.draw(INVALID[field])
    with pytest.raises(CatalogueError) as exc:
        parse_catalogue(_mutate(line, str(value)), "catalogue.yaml")
    assert f"catalogue.yaml, line {line}, field '{field}'" in str(exc.value)


#: The back positions, which the routine chooses among as one group, whichever of the two is named first.
BACK_AREAS = ("lower_back", "spine")
#: Areas a run often loads, where a stretch that did not agree must always have another to give way to.
MUST_HAVE_TWO = {"calves", "quadriceps", "hip_flexors", "hamstrings", "lower_back"}
#: Main areas with one stretch on purpose, and why that is enough.
ONE_ON_PURPOSE = {
    "outer_hip": (
        "Only trail and track runs ask for it, and both load other areas too (feet and calves, or the inner thighs); "
        "if its one stretch does not agree, the routine fills the time with theirs."
    ),
    "adductors": "Only track runs ask for it, along with the outer hip; the routine has that to offer instead.",
    "feet": "Only trail runs ask for it, along with the calves and the outer hip, which have stretches of their own.",
    "piriformis": (
        "No run asks for it by name: its stretch comes in as a second one for the glutes, which have the figure-four "
        "besides."
    ),
}


def _stretches_for(area: str) -> set[str]:
    """The cool-down stretches one for this area could give way to: as the routine looks for another."""
    cooldown = load_catalogue().phase("cooldown")
    if area in BACK_AREAS:
        return {m.id for m in cooldown if m.area in BACK_AREAS}
    return {m.id for m in cooldown if area in m.targets and m.area not in BACK_AREAS}


def test_every_main_area_of_a_cooldown_stretch_has_a_second_stretch_or_a_reason_why_not() -> None:
    main_areas = {m.area for m in load_catalogue().phase("cooldown")}
    assert main_areas >= MUST_HAVE_TWO
    for area in sorted(main_areas):
        stretches = _stretches_for(area)
        if area in MUST_HAVE_TWO or area not in ONE_ON_PURPOSE:
            assert len(stretches) >= 2, f"'{area}' has only {sorted(stretches)}: add a second stretch or a reason"
    for area, reason in ONE_ON_PURPOSE.items():
        assert area in AREA_WORDS and area not in MUST_HAVE_TWO and reason.strip()
        assert len(_stretches_for(area)) < 2, f"'{area}' has two stretches now: its reason can go"


def test_a_back_that_eases_either_way_has_at_least_two_positions_that_take_it_that_way() -> None:
    back = [m for m in load_catalogue().phase("cooldown") if m.area in BACK_AREAS]
    for direction in set(BIASES) - {"neutral"}:
        suits = [m for m in back if m.bias in (direction, "neutral")]
        assert len(suits) >= 2 and any(m.bias == direction for m in suits), direction
    assert {"sphinx", "prone_press_up"} <= {m.id for m in back if m.bias == "extension"}
    assert {"childs_pose", "seated_forward_fold", "lying_knee_hug"} <= {m.id for m in back if m.bias == "flexion"}


def test_a_leg_that_tingles_still_gets_a_hamstring_stretch_that_spares_the_nerve_and_says_how() -> None:
    cooldown = load_catalogue().phase("cooldown")
    assert {"seated_forward_fold", "lying_hamstring"} <= {m.id for m in cooldown if m.nerve_tension}
    friendly = [m for m in cooldown if m.area == "hamstrings" and not m.nerve_tension]
    assert friendly, "no hamstring cool-down stretch spares the sciatic nerve"
    for movement in friendly:
        said = " ".join((*movement.steps, *movement.cues, *movement.avoid)).lower()
        assert "ankle" in said and ("loose" in said or "relax" in said), movement.id
        assert "tingl" in said and "knee" in said, movement.id


def test_every_cooldown_stretch_is_explained_in_full_with_a_gentler_version_of_its_own() -> None:
    for movement in load_catalogue().phase("cooldown"):
        assert 3 <= len(movement.steps) <= 4 and len(movement.cues) == 2 and 1 <= len(movement.avoid) <= 2, movement.id
        assert movement.gentle is not None and movement.gentle.name != movement.name, movement.id
        assert 15 <= movement.gentle.hold_s <= 20 and movement.gentle.steps != movement.steps, movement.id
