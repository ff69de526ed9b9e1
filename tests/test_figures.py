"""The movement figures: one accessible, self-contained SVG per catalogue movement, safe under the page's CSP."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from recovery.coach.catalogue import load_catalogue
from tests.conftest import ROOT

FIGURES = ROOT / "recovery" / "web" / "static" / "figures"
SVG = "{http://www.w3.org/2000/svg}"
MOVEMENT_IDS = [movement.id for movement in load_catalogue().movements]


def _local(name: str) -> str:
    """A tag or attribute name without its namespace."""
    return name.rsplit("}", 1)[-1]


def _figure(movement_id: str) -> Path:
    return FIGURES / f"{movement_id}.svg"


@pytest.mark.parametrize("movement_id", MOVEMENT_IDS)
def test_every_movement_has_a_figure(movement_id: str) -> None:
    path = _figure(movement_id)
    assert path.is_file(), f"no figure for '{movement_id}' at {path}"
    root = ET.parse(path).getroot()
    assert root.tag == f"{SVG}svg"
    assert root.get("viewBox") == "0 0 320 200"
    assert root.get("role") == "img"


@pytest.mark.parametrize("movement_id", MOVEMENT_IDS)
def test_the_figure_is_labelled_by_its_title(movement_id: str) -> None:
    root = ET.parse(_figure(movement_id)).getroot()
    labels = (root.get("aria-labelledby") or "").split()
    assert labels, "the figure needs aria-labelledby"
    titles = {element.get("id"): element for element in root.iter(f"{SVG}title")}
    assert titles, "the figure needs a <title>"
    for label in labels:
        assert label in titles, f"aria-labelledby points at '{label}', which is not a <title>"
        assert (titles[label].text or "").strip(), "the <title> is empty"


@pytest.mark.parametrize("movement_id", MOVEMENT_IDS)
def test_the_figure_is_safe_under_the_content_security_policy(movement_id: str) -> None:
    root = ET.parse(_figure(movement_id)).getroot()
    for element in root.iter():
        tag = _local(element.tag)
        assert tag not in ("style", "script", "foreignObject"), f"<{tag}> is not allowed in a figure"
        for name, value in element.attrib.items():
            attribute = _local(name).lower()
            assert attribute != "style", f"style= on <{tag}>: the page's CSP forbids inline styles"
            assert not attribute.startswith("on"), f"{attribute}= on <{tag}>: no scripts in a figure"
            if attribute == "href":
                assert value.startswith("#"), f"<{tag}> links outside the figure: {value}"
            if "url(" in value:
                assert value.replace(" ", "").startswith("url(#"), f"<{tag}> refers outside the figure: {value}"


def test_every_figure_belongs_to_a_movement() -> None:
    figures = {path.stem for path in FIGURES.glob("*.svg")}
    strays = figures - set(MOVEMENT_IDS)
    assert not strays, f"figures without a catalogue movement: {sorted(strays)}"
