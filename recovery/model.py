"""The plain data every parser returns and every other part reads.

No ORM, no I/O: a `Run` is what one activity file (or one leg of a multisport
file) says happened, already in SI units and UTC.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from recovery.streams import Streams

#: The sports we tell apart. Everything a file can say is mapped onto these.
SPORTS = (
    "run",
    "trail_run",
    "treadmill_run",
    "track_run",
    "walk",
    "hike",
    "ride",
    "swim",
    "strength",  # strength training on the watch: counts as a strength session, not as a run
    "other",
)
RUNNING_SPORTS = frozenset({"run", "trail_run", "treadmill_run", "track_run"})
#: Sports whose cadence is counted in steps (FIT stores half of it).
FOOT_SPORTS = RUNNING_SPORTS | {"walk", "hike"}


@dataclass(frozen=True)
class Lap:
    """One lap as the device split it."""

    start_time_utc: datetime | None
    elapsed_s: float | None
    moving_s: float | None
    distance_m: float | None
    avg_hr: int | None = None


@dataclass(frozen=True)
class Leg:
    """One session of a file: a multisport file has several (swim, bike, run...)."""

    sport: str
    sport_label: str
    start_time_utc: datetime | None
    elapsed_s: float | None
    moving_s: float | None
    distance_m: float | None
    ascent_m: float | None = None
    avg_hr: int | None = None
    max_hr: int | None = None
    avg_cadence_spm: int | None = None
    laps: int = 0
    is_transition: bool = False


@dataclass(frozen=True)
class ActivityHint:
    """What an export's index (Strava's activities.csv) says about one of its files."""

    name: str | None = None
    sport_label: str | None = None


@dataclass(frozen=True)
class Run:
    """One activity as read from one file: a run, or a walk, ride or swim.

    The name is the runner's word; `sport` says whether it really was a run.
    """

    content_id: str  # sha256 of the file's bytes, as given (compressed or not)
    source_format: str  # "fit", "gpx" or "tcx"
    sport: str  # one of SPORTS
    sport_label: str  # what the file itself called it, for display
    start_time_utc: datetime | None
    elapsed_s: float | None
    moving_s: float | None
    distance_m: float | None
    ascent_m: float | None = None
    descent_m: float | None = None
    avg_hr: int | None = None
    max_hr: int | None = None
    avg_cadence_spm: int | None = None
    device: str | None = None
    laps: tuple[Lap, ...] = ()
    legs: tuple[Leg, ...] = ()
    streams: Streams = field(default_factory=Streams)
    #: Offset of the runner's local clock from UTC, when the file says it.
    utc_offset_s: int | None = None
    #: Local wall-clock start, for old watches that record no UTC date.
    start_time_local: datetime | None = None
    #: Which leg of a multisport file this is (None: the whole file).
    leg_index: int | None = None
    #: True when the sport was inferred from pace because the file named none.
    sport_inferred: bool = False
    has_gps: bool = False
    #: Plain sentences about anything odd that did not stop the import.
    warnings: tuple[str, ...] = ()
    #: The activity's title, when an export gives one ("Sunday long run").
    name: str | None = None

    @property
    def is_run(self) -> bool:
        return self.sport in RUNNING_SPORTS

    @property
    def end_time_utc(self) -> datetime | None:
        """Start plus the elapsed (else moving) time; None when that is no reachable moment.

        The parsers bound every duration, but a Run can be built by hand:
        an infinite, NaN or absurd span must not raise here.
        """
        if self.start_time_utc is None:
            return None
        span = self.elapsed_s if self.elapsed_s is not None else self.moving_s
        try:
            return self.start_time_utc + timedelta(seconds=span or 0.0)
        except (OverflowError, ValueError, TypeError):
            return None

    def replace(self, **changes: object) -> Run:
        return dataclasses.replace(self, **changes)


def iso_utc(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat() + "Z"
