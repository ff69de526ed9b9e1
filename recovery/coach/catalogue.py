"""The stretch catalogue: a YAML file a coach edits, checked thoroughly on load.

A mistake in the file is reported as one sentence naming the file, the line
and the field at fault, so a physiotherapist can fix it without reading code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

DEFAULT_CATALOGUE = Path(__file__).with_name("catalogue.yaml")

PHASES = ("warmup", "cooldown", "strength")
#: Which kind of movement each phase uses.
KIND_OF_PHASE = {"warmup": "dynamic", "cooldown": "static", "strength": "strength"}
#: The body areas a movement can work, with the runner's words for each and whether they take a plural verb.
AREA_WORDS: dict[str, tuple[str, bool]] = {
    "lower_back": ("lower back", False),
    "spine": ("spine", False),
    "hips": ("hips", True),
    "hip_flexors": ("hip flexors", True),
    "hamstrings": ("hamstrings", True),
    "glutes": ("glutes", True),
    "outer_hip": ("outer hip (glute medius and the IT band area)", False),
    "piriformis": ("piriformis (deep in the buttock)", False),
    "adductors": ("inner thighs (adductors)", True),
    "quadriceps": ("quadriceps (front of the thigh)", True),
    "calves": ("calf muscles", True),
    "soleus": ("soleus (the deep calf muscle)", False),
    "feet": ("feet", True),
    "core": ("core", False),
    "obliques": ("side muscles of the trunk (obliques)", True),
}
AREAS = tuple(AREA_WORDS)
#: Which way a back position takes the spine: a back that prefers one direction is given that one.
BIASES = ("flexion", "extension", "neutral")
#: Where the body is for a movement: the guided timer gives more time to get ready between floor and standing.
POSITIONS = ("standing", "floor", "chair")
#: Static holds after a run: the guide's 20 to 30 seconds.
STATIC_HOLD_S = (20, 30)
#: Reasonable bounds for the rest, to catch typos (300 reps, 3000 s).
DYNAMIC_REPS = (4, 20)
STRENGTH_HOLD_S = (10, 90)
STRENGTH_REPS = (1, 20)
GENTLE_MIN_HOLD_S = 10

_ID = re.compile(r"^[a-z][a-z0-9_]{1,40}$")
_FIELDS = {
    "id", "name", "phase", "kind", "targets", "hold_s", "reps", "per_side", "steps", "cues", "avoid", "gentle",
    "bias", "nerve_tension", "why", "harder", "position",
}  # fmt: skip
_REQUIRED = ("id", "name", "phase", "kind", "targets", "per_side", "steps", "cues", "avoid")
_GENTLE_FIELDS = {"name", "hold_s", "reps", "steps", "position"}
_HARDER_FIELDS = {*_GENTLE_FIELDS, "per_side"}


class CatalogueError(ValueError):
    """The catalogue file is wrong; the message names the file, line and field."""


@dataclass(frozen=True)
class Variant:
    """Another way to do a movement: the gentler one for a sore back, or the harder one a strength exercise
    progresses to."""

    name: str
    steps: tuple[str, ...]
    hold_s: int | None
    reps: int | None
    #: A harder version done one side at a time (a single-leg bridge); None: as the movement.
    per_side: bool | None = None
    #: Where the body is, when not where the standard movement has it (a standing version of a kneeling stretch).
    position: str | None = None


@dataclass(frozen=True)
class Movement:
    """One stretch or exercise of the catalogue."""

    id: str
    name: str
    phase: str
    kind: str
    targets: tuple[str, ...]
    hold_s: int | None
    reps: int | None
    per_side: bool
    steps: tuple[str, ...]
    cues: tuple[str, ...]
    avoid: tuple[str, ...]
    gentle: Variant | None
    #: flexion (bending forward), extension (arching back) or neutral: how it takes the spine.
    bias: str = "neutral"
    #: True when it stretches the sciatic nerve along with the muscle (a long-sitting fold, a straight-leg raise).
    nerve_tension: bool = False
    #: What it does for a runner, in one sentence of its own: the reason a routine gives for it.
    why: str | None = None
    #: For a strength exercise: the harder version it moves on to once its own reps or hold reach the top.
    harder: Variant | None = None
    #: standing, floor or chair (POSITIONS); None where the catalogue does not say.
    position: str | None = None

    @property
    def sides(self) -> int:
        return 2 if self.per_side else 1

    @property
    def area(self) -> str:
        """The main area it works: the first of its targets."""
        return self.targets[0]


@dataclass(frozen=True)
class Catalogue:
    movements: tuple[Movement, ...]

    def by_id(self, movement_id: str) -> Movement:
        for movement in self.movements:
            if movement.id == movement_id:
                return movement
        raise KeyError(movement_id)

    def phase(self, phase: str) -> tuple[Movement, ...]:
        return tuple(m for m in self.movements if m.phase == phase)


def load_catalogue(path: Path | str = DEFAULT_CATALOGUE) -> Catalogue:
    """Read and check the catalogue; raise CatalogueError naming the line at fault."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    return parse_catalogue(text, str(path))


def compose_list(text: str, filename: str, what: str) -> list[yaml.Node]:
    """The entries of a YAML list, as nodes that remember their lines, for the coach's data files."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc)
        raise CatalogueError(f"{filename}, line {line}: the file is not valid YAML ({problem})") from exc
    if not isinstance(root, yaml.SequenceNode) or not root.value:
        line = root.start_mark.line + 1 if root is not None else 1
        raise CatalogueError(f"{filename}, line {line}: the file must be a list of {what}, each starting with '- id:'")
    return list(root.value)


def parse_catalogue(text: str, filename: str = "catalogue.yaml") -> Catalogue:
    movements = []
    seen: dict[str, int] = {}
    for entry in compose_list(text, filename, "movements"):
        movement = _movement(entry, filename)
        line = entry.start_mark.line + 1
        if movement.id in seen:
            raise CatalogueError(
                f"{filename}, line {line}, field 'id': '{movement.id}' is already used on line {seen[movement.id]}"
            )
        seen[movement.id] = line
        movements.append(movement)
    for phase in PHASES:
        if not any(m.phase == phase for m in movements):
            raise CatalogueError(f"{filename}, line 1: no movement has phase '{phase}'; the coach needs at least one")
    return Catalogue(tuple(movements))


class YamlEntry:
    """One mapping of the file, with the line of each key, for error messages."""

    def __init__(self, node: yaml.Node, filename: str, what: str) -> None:
        self.filename = filename
        self.line = node.start_mark.line + 1
        if not isinstance(node, yaml.MappingNode):
            raise CatalogueError(f"{filename}, line {self.line}: {what} must be a set of 'field: value' lines")
        self.values: dict[str, Any] = {}
        self.lines: dict[str, int] = {}
        self.nodes: dict[str, yaml.Node] = {}
        constructor = yaml.SafeLoader("")
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in self.values:
                raise CatalogueError(f"{filename}, line {key_node.start_mark.line + 1}, field '{key}': given twice")
            self.lines[key] = key_node.start_mark.line + 1
            self.nodes[key] = value_node
            self.values[key] = constructor.construct_object(value_node, deep=True)

    def fail(self, field: str, problem: str) -> CatalogueError:
        line = self.lines.get(field, self.line)
        return CatalogueError(f"{self.filename}, line {line}, field '{field}': {problem}")

    def text(self, field: str) -> str:
        value = self.values.get(field)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(field, "must be some text")
        return value.strip()

    def texts(self, field: str, *, required: bool = True) -> tuple[str, ...]:
        value = self.values.get(field)
        if value is None and not required:
            return ()
        if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
            raise self.fail(field, "must be a list of one or more lines of text, each starting with '- '")
        return tuple(v.strip() for v in value)

    def number(self, field: str, bounds: tuple[int, int]) -> int | None:
        value = self.values.get(field)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(field, f"must be a whole number, not {value!r}")
        low, high = bounds
        if not low <= value <= high:
            raise self.fail(field, f"must be between {low} and {high}, not {value}")
        return value


def _movement(node: yaml.Node, filename: str) -> Movement:
    e = YamlEntry(node, filename, "each movement")
    for key in e.values:
        if key not in _FIELDS:
            raise e.fail(key, f"is not a field the coach knows (known: {', '.join(sorted(_FIELDS))})")
    for key in _REQUIRED:
        if key not in e.values:
            raise CatalogueError(f"{filename}, line {e.line}, field '{key}': missing from this movement")
    movement_id = e.text("id")
    if not _ID.match(movement_id):
        raise e.fail("id", f"'{movement_id}' must be lower-case letters, digits and underscores")
    phase = e.text("phase")
    if phase not in PHASES:
        raise e.fail("phase", f"must be one of {', '.join(PHASES)}, not '{phase}'")
    kind = e.text("kind")
    if kind != KIND_OF_PHASE[phase]:
        raise e.fail("kind", f"a {phase} movement must be '{KIND_OF_PHASE[phase]}', not '{kind}'")
    targets = e.values["targets"]
    if not isinstance(targets, list) or not targets:
        raise e.fail("targets", f"must be a list such as [lower_back, hips]; known areas: {', '.join(AREAS)}")
    for area in targets:
        if area not in AREAS:
            raise e.fail("targets", f"'{area}' is not a known area ({', '.join(AREAS)})")
    if not isinstance(e.values["per_side"], bool):
        raise e.fail("per_side", "must be true or false")
    hold_s, reps = _dose(e, kind)
    gentle = _gentle(e, kind, hold_s, reps) if "gentle" in e.values else None
    harder = _harder(e, kind, hold_s, reps) if "harder" in e.values else None
    bias = e.values.get("bias", "neutral")
    if bias not in BIASES:
        raise e.fail("bias", f"must be one of {', '.join(BIASES)}, not {bias!r}")
    nerve_tension = e.values.get("nerve_tension", False)
    if not isinstance(nerve_tension, bool):
        raise e.fail("nerve_tension", "must be true or false")
    return Movement(
        position=_position(e),
        id=movement_id,
        name=e.text("name"),
        phase=phase,
        kind=kind,
        targets=tuple(targets),
        hold_s=hold_s,
        reps=reps,
        per_side=e.values["per_side"],
        steps=e.texts("steps"),
        cues=e.texts("cues"),
        avoid=e.texts("avoid"),
        gentle=gentle,
        bias=bias,
        nerve_tension=nerve_tension,
        why=e.text("why") if "why" in e.values else None,
        harder=harder,
    )


def _position(e: YamlEntry) -> str | None:
    position = e.values.get("position")
    if position is not None and position not in POSITIONS:
        raise e.fail("position", f"must be one of {', '.join(POSITIONS)}, not {position!r}")
    return position


def _dose(e: YamlEntry, kind: str) -> tuple[int | None, int | None]:
    """How long or how many, by kind: holds for static, reps for dynamic, either for strength."""
    if kind == "static":
        if "reps" in e.values:
            raise e.fail("reps", "a static stretch is held, not repeated: give hold_s only")
        if "hold_s" not in e.values:
            raise CatalogueError(f"{e.filename}, line {e.line}, field 'hold_s': missing (a hold of 20 to 30 s)")
        return e.number("hold_s", STATIC_HOLD_S), None
    if kind == "dynamic":
        if "hold_s" in e.values:
            raise e.fail("hold_s", "a dynamic warm-up move keeps moving: give reps only")
        if "reps" not in e.values:
            raise CatalogueError(f"{e.filename}, line {e.line}, field 'reps': missing")
        return None, e.number("reps", DYNAMIC_REPS)
    hold_s, reps = e.number("hold_s", STRENGTH_HOLD_S), e.number("reps", STRENGTH_REPS)
    if hold_s is None and reps is None:
        raise CatalogueError(f"{e.filename}, line {e.line}, field 'reps': a strength exercise needs reps or hold_s")
    return hold_s, reps


def _gentle(e: YamlEntry, kind: str, hold_s: int | None, reps: int | None) -> Variant:
    g = YamlEntry(e.nodes["gentle"], e.filename, "'gentle'")
    for key in g.values:
        if key not in _GENTLE_FIELDS:
            raise g.fail(key, f"is not a field of a gentle version (known: {', '.join(sorted(_GENTLE_FIELDS))})")
    g_hold = g.number("hold_s", (GENTLE_MIN_HOLD_S, hold_s)) if hold_s is not None else None
    if hold_s is None and "hold_s" in g.values:
        raise g.fail("hold_s", "the standard movement has no hold, so the gentle one cannot have one")
    g_reps = g.number("reps", (1, reps)) if reps is not None else None
    if reps is None and "reps" in g.values:
        raise g.fail("reps", "the standard movement has no reps, so the gentle one cannot have any")
    if kind == "static" and g_hold is None:
        raise CatalogueError(f"{e.filename}, line {g.line}, field 'hold_s': the gentle hold is missing")
    if kind != "static" and g_reps is None and g_hold is None:
        raise CatalogueError(f"{e.filename}, line {g.line}, field 'reps': the gentle version needs reps or hold_s")
    return Variant(name=g.text("name"), steps=g.texts("steps"), hold_s=g_hold, reps=g_reps, position=_position(g))


def _harder(e: YamlEntry, kind: str, hold_s: int | None, reps: int | None) -> Variant:
    """The harder version of a strength exercise: its own name and steps, started at the bottom of its range.

    It progresses the same quantity as the standard one (a hold stays a hold, reps stay reps), so it gives a
    hold_s when the standard has one (and may give how many holds), and reps otherwise.
    """
    if kind != "strength":
        raise e.fail("harder", "only a strength exercise progresses to a harder version")
    h = YamlEntry(e.nodes["harder"], e.filename, "'harder'")
    for key in h.values:
        if key not in _HARDER_FIELDS:
            raise h.fail(key, f"is not a field of a harder version (known: {', '.join(sorted(_HARDER_FIELDS))})")
    if hold_s is not None:
        if "hold_s" not in h.values:
            raise CatalogueError(f"{e.filename}, line {h.line}, field 'hold_s': the standard exercise is a hold, "
                                 "so its harder version needs one (where it starts)")  # fmt: skip
        if reps is None and "reps" in h.values:
            raise h.fail("reps", "the standard exercise is a single hold, so the harder one cannot have reps")
        h_hold, h_reps = h.number("hold_s", STRENGTH_HOLD_S), h.number("reps", STRENGTH_REPS)
        h_reps = reps if h_reps is None else h_reps
    else:
        if "hold_s" in h.values:
            raise h.fail("hold_s", "the standard exercise is counted in reps, so its harder version is too")
        if "reps" not in h.values:
            raise CatalogueError(f"{e.filename}, line {h.line}, field 'reps': the harder version needs reps "
                                 "(where it starts)")  # fmt: skip
        h_hold, h_reps = None, h.number("reps", STRENGTH_REPS)
    name = h.text("name")
    if name == e.values.get("name"):
        raise h.fail("name", "the harder version needs a name of its own")
    per_side = h.values.get("per_side")
    if per_side is not None and not isinstance(per_side, bool):
        raise h.fail("per_side", "must be true or false")
    return Variant(name=name, steps=h.texts("steps"), hold_s=h_hold, reps=h_reps, per_side=per_side,
                   position=_position(h))
