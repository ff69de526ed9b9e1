"""The stretch catalogue: complete, in our own words, and strict about mistakes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recovery.coach.catalogue import DEFAULT_CATALOGUE, STATIC_HOLD_S, CatalogueError, load_catalogue, parse_catalogue
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
    if (m := re.match(r"^\s*-?\s*(hold_s|reps|kind|phase|per_side|targets|id):", line))
]
INVALID = {
    "hold_s": st.one_of(st.integers(max_value=0), st.integers(min_value=1000), st.sampled_from(["long", "1.5x", "[]"])),
    "reps": st.one_of(st.integers(max_value=0), st.integers(min_value=1000), st.sampled_from(["many", "{}"])),
    "kind": st.sampled_from(["yoga", "bouncy", "3", "Static"]),
    "phase": st.sampled_from(["afterwards", "pre", "0", "Cooldown"]),
    "per_side": st.sampled_from(["both", "2", "left", "'yes'"]),
    "targets": st.sampled_from(["[]", "[toes]", "lower_back", "[lower_back, neck]"]),
    "id": st.sampled_from(["Bad Id", "9lives", "x", "dash-ed"]),
}


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(FIELD_LINES), st.data())
def test_every_mutated_field_is_refused_with_its_line(target: tuple[int, str], data: st.DataObject) -> None:
    line, field = target
    value = data.draw(INVALID[field])
    with pytest.raises(CatalogueError) as exc:
        parse_catalogue(_mutate(line, str(value)), "catalogue.yaml")
    assert f"catalogue.yaml, line {line}, field '{field}'" in str(exc.value)
