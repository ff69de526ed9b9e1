"""Figures that runs stored by an older version lack, worked out by the core and handed to the store at start-up.

Runs stored before migration 0005 have no heart-rate time (`HeartTime`),
which the training load of every page needs. `serve` and the CLI fill them
in when they start (a few at most, once), so no page read ever writes.
"""

from __future__ import annotations

from recovery.coach.load import heart_time
from recovery.store import Store

#: Runs read (with their samples) per transaction.
BATCH = 200


def fill_heart_times(store: Store) -> int:
    """Work out and store the heart-rate time of every run stored without one; how many were filled."""
    filled = 0
    while batch := store.runs_without_heart_time(BATCH):
        store.set_heart_times({stored.id: heart_time(stored.run) for stored in batch})
        filled += len(batch)
    return filled
