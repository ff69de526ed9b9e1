"""The runner's settings, declared once: name, kind, bounds, default and help.

The CLI (`recovery settings`), the settings page and its JSON answer all
change them through `validate`, and everything reads them as one `Settings`
value, so a bound or a default lives here and nowhere else. The store keeps
them as text rows beside its own keys (the session secret, the password
hash), which never reach a `Settings` or a template.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import tzinfo
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from recovery.coach.load import Profile

#: Typed into the CLI (or sent blank by the form) to clear a setting.
UNSET = "unset"


@dataclass(frozen=True)
class Declared:
    """One setting: how it is named, shown, bounded and defaulted."""

    name: str
    label: str
    help: str
    choices: tuple[str, ...] = ()  # for a choice
    low: int | None = None  # for a whole number
    high: int | None = None
    unit: str = ""
    #: Cleared (None) is allowed: the coach then estimates or leaves it out, and says so.
    optional: bool = True
    #: A kind beyond choice, number and time zone: "push address", "web address" or "time of day".
    shape: str = ""
    #: Holds a token (a push address): shown as its scheme and host only, never whole.
    secret: bool = False

    @property
    def kind(self) -> str:
        if self.shape:
            return self.shape
        if self.choices:
            return "choice"
        if self.low is not None:
            return "number"
        return "time zone"


_ESTIMATED = "For the training load; blank: estimated from your runs."
DECLARED: tuple[Declared, ...] = (
    Declared("units", "Units", "Kilometres or miles, for distances and paces.", choices=("km", "mi"), optional=False),
    Declared("time_zone", "Time zone", "Where you live (such as Europe/Paris): days start at your midnight."),
    Declared("max_hr", "Maximum heart rate", _ESTIMATED, low=120, high=240, unit="bpm"),
    Declared("rest_hr", "Resting heart rate", _ESTIMATED, low=25, high=110, unit="bpm"),
    Declared("sex", "Sex", "Weights the training-load formula; blank: an average.", choices=("female", "male")),
    Declared(
        "past_cancer",
        "Have you ever been treated for cancer?",
        "Asked once, not with every back log: after cancer, new back pain is worth a doctor's look.",
        choices=("yes", "no"),
    ),
    # The nudge when a run lands (recovery/nudges.py, docs/nudges.md).
    Declared(
        "nudge_url",
        "Nudge address",
        "An Apprise URL such as ntfys://ntfy.sh/your-topic; blank: no nudges.",
        shape="push address",
        secret=True,
    ),
    Declared("quiet_from", "Quiet hours from", "No nudge from this time of day (such as 22:00).", shape="time of day"),
    Declared("quiet_until", "Quiet hours until", "Held nudges go out then (such as 07:00).", shape="time of day"),
    Declared(
        "nudge_words",
        "What a nudge says",
        "distance: the run's distance and the cool-down's minutes; plain: only that a run is in.",
        choices=("distance", "plain"),
        optional=False,
    ),
    Declared(
        "public_url",
        "Dashboard address",
        "How your phone reaches the dashboard (such as https://192.168.1.20:8000), for the nudge's link; blank: none.",
        shape="web address",
    ),
)
BY_NAME = {d.name: d for d in DECLARED}
NAMES = tuple(BY_NAME)
#: Set on their own form (the settings page's Nudges section): the main form leaves them as they are.
NUDGE_NAMES = ("nudge_url", "quiet_from", "quiet_until", "nudge_words", "public_url")


@cache
def time_zones() -> frozenset[str]:
    """Every zone name this machine knows (scanning for them is slow: once per process)."""
    return frozenset(available_timezones())


def system_time_zone() -> str:
    """The machine's own zone name (TZ, or what /etc/localtime points to), else UTC."""
    name = os.environ.get("TZ", "").lstrip(":")
    if name in time_zones():
        return name
    try:
        target = str(Path("/etc/localtime").resolve())
    except OSError:
        return "UTC"
    marker = "zoneinfo/"
    if marker in target:
        candidate = target.split(marker, 1)[1]
        if candidate in time_zones():
            return candidate
    return "UTC"


@dataclass(frozen=True)
class Settings:
    """The runner's settings as everything reads them; None where they set nothing."""

    units: str = "km"
    time_zone: str | None = None  # None: the machine's zone (`zone`)
    max_hr: int | None = None
    rest_hr: int | None = None
    sex: str | None = None
    past_cancer: str | None = None  # yes | no; None: not said
    nudge_url: str | None = None  # an Apprise URL; None: no nudges
    quiet_from: str | None = None  # "22:00", in `tz`; quiet hours need both ends
    quiet_until: str | None = None
    nudge_words: str = "distance"  # distance | plain
    public_url: str | None = None  # "https://192.168.1.20:8000", no trailing slash; None: nudges carry no link

    @property
    def zone(self) -> str:
        """The zone days are counted in: the one set, else this machine's."""
        return self.time_zone or system_time_zone()

    @property
    def tz(self) -> tzinfo:
        try:
            return ZoneInfo(self.zone)
        except (ZoneInfoNotFoundError, ValueError):
            return ZoneInfo("UTC")

    @property
    def profile(self) -> Profile:
        """What the runner told us about their heart, for the training load."""
        return Profile(max_hr=self.max_hr, rest_hr=self.rest_hr, sex=self.sex)

    def to_json(self) -> dict[str, Any]:
        return {d.name: shown_value(d, getattr(self, d.name)) for d in DECLARED} | {"zone_used": self.zone}


def shown_value(d: Declared, value: Any) -> Any:
    """A setting's value fit to show or print: a secret one as its scheme and host only."""
    return push_server(value) if d.secret and isinstance(value, str) else value


def from_stored(values: Mapping[str, str]) -> Settings:
    """Settings from the store's rows; a row no longer valid (a zone this machine lacks) reads as unset."""
    found: dict[str, Any] = {}
    for d in DECLARED:
        text = values.get(d.name)
        if text is not None and (value := _parse(d, text)) is not None:
            found[d.name] = value
    return Settings(**found)


def validate(changes: Mapping[str, str | None]) -> tuple[dict[str, str | None], list[str]]:
    """Check changes as typed (None, blank or "unset": clear it); the rows to store, and a sentence per mistake.

    Nothing is to be stored unless every change is valid, so the caller
    stores all of the first part or none of it.
    """
    rows: dict[str, str | None] = {}
    problems: list[str] = []
    for name, raw in changes.items():
        d = BY_NAME.get(name)
        if d is None:
            problems.append(f"'{_shown(name)}' is not a setting (there are: {', '.join(NAMES)}).")
            continue
        text = (raw or "").strip()
        if text in ("", UNSET):
            if d.optional:
                rows[name] = None
            else:
                problems.append(f"{d.label} cannot be cleared: choose {_either(d.choices)}.")
            continue
        value = _parse(d, text)
        if value is None:
            problems.append(_problem(d, text))
        else:
            rows[name] = str(value)
    return ({} if problems else rows), problems


def _parse(d: Declared, text: str) -> str | int | None:
    if d.shape == "time of day":
        return time_of_day(text)
    if d.shape == "web address":
        return web_address(text)
    if d.shape == "push address":
        return text if apprise_service(text) is not None else None
    if d.choices:
        return text if text in d.choices else None
    if d.low is not None and d.high is not None:
        return whole_number(text, d.low, d.high)
    return text if text in time_zones() else None


def _problem(d: Declared, text: str) -> str:
    if d.shape == "time of day":
        return f"{d.label} must be a time of day such as 22:00 or 07:30, not '{_shown(text)}'."
    if d.shape == "web address":
        return (f"{d.label} must start with http:// or https:// and name the machine, such as "
                f"https://192.168.1.20:8000, not '{_shown(text)}'.")  # fmt: skip
    if d.shape == "push address":  # never repeated whole: it may hold a token
        scheme = text.split("://", 1)[0] if "://" in text else ""
        what = f"a {_shown(scheme)}:// address" if scheme else "that"
        return f"{d.label} must be an Apprise URL such as ntfys://ntfy.sh/your-topic; {what} is not one Apprise knows."
    if d.choices:
        return f"{d.label} must be {_either(d.choices)}, not '{_shown(text)}'."
    if d.low is not None:
        return f"{d.label} must be a whole number from {d.low} to {d.high} {d.unit}".rstrip() + "."
    return f"'{_shown(text)}' is not a time zone this machine knows (for example Europe/Paris)."


def _either(choices: tuple[str, ...]) -> str:
    return " or ".join(choices)


def _shown(text: str) -> str:
    """Typed text fit to repeat in a sentence (it may travel in a session cookie): printable and short."""
    return "".join(c for c in text if c.isprintable())[:60]


def whole_number(text: str, low: int, high: int) -> int | None:
    """A whole number from `low` to `high` as typed, or None: ASCII digits only ("²".isdigit() is True,
    but int() refuses it), and never more digits than `high` has (int() refuses 4,301)."""
    text = text.strip()
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(high)):
        return None
    number = int(text)
    return number if low <= number <= high else None


def time_of_day(text: str) -> str | None:
    """'7:00' or '07:00' as '07:00' (24-hour), or None."""
    hours, sep, minutes = text.strip().partition(":")
    if not sep or not (hours.isascii() and hours.isdigit() and minutes.isascii() and minutes.isdigit()):
        return None
    if len(hours) > 2 or len(minutes) != 2 or int(hours) > 23 or int(minutes) > 59:
        return None
    return f"{int(hours):02d}:{minutes}"


def web_address(text: str) -> str | None:
    """An http(s) address naming a host, without a trailing slash (a link is added to it), or None."""
    from urllib.parse import urlsplit

    text = text.strip().rstrip("/")
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - a port out of range raises here
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname or "@" in parts.netloc or parts.query:
        return None
    if any(c.isspace() or not c.isprintable() for c in text):
        return None
    return text


def apprise_service(url: str) -> Any | None:
    """The Apprise service this URL names (not contacted), or None if Apprise knows no such URL."""
    import logging

    import apprise  # imported on first use: most commands never nudge

    # Its own log lines repeat whole URLs (an ntfy.sh topic is the secret): they stay out of ours.
    logging.getLogger("apprise").propagate = False
    try:
        return apprise.Apprise.instantiate(url.strip())
    except Exception:  # a plugin refusing its arguments in a way Apprise does not catch
        return None


def push_server(url: str) -> str:
    """Where a push address sends, as far as it is safe to say: its scheme and host ('ntfys://ntfy.sh').

    The rest (a topic, a token, a password) is never shown. A host that is
    not a machine's name (Telegram's is the bot token) is left out too.
    """
    scheme = url.split("://", 1)[0] if "://" in url else ""
    service = apprise_service(url) if scheme else None
    host = getattr(service, "host", None)
    if isinstance(host, str) and _looks_like_a_machine(host):
        port = getattr(service, "port", None)
        return f"{scheme}://{host}" + (f":{port}" if isinstance(port, int) else "")
    return f"{scheme}://…" if scheme else "an address Apprise does not know"


def _looks_like_a_machine(host: str) -> bool:
    import ipaddress

    if host == "localhost":
        return True
    try:
        ipaddress.ip_address(host.strip("[]"))
        return True
    except ValueError:
        return "." in host and all(part and (part.isalnum() or "-" in part) for part in host.split("."))
