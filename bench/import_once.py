"""One import into a fresh SQLite database, in a process of its own: what `bench.import_speed` runs the parser
sets side by side with.

    RECOVERY_PARSERS=reference .venv/bin/python -m bench.import_once --workers 2 export.zip

The parse workers take the parser set from the environment they start in (see
`recovery.parsers.PARSER_SET`), so comparing the current readers with the ones before
issue 15 in one benchmark means one process per set. Prints one JSON line: the seconds
the import took (opening the database included, the interpreter's start not), the
outcomes and the runs stored.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from bench.common import utc_now
from recovery.ingest import ingest_inputs
from recovery.inputs import iter_inputs
from recovery.isolation import ParsePool
from recovery.parsers import PARSER_SET
from recovery.store import Store


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("paths", nargs="+", type=Path)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-import-once-") as tmp:
        url = f"sqlite:///{tmp}/bench.sqlite3"
        started = time.perf_counter()
        with Store(url) as store, ParsePool(args.workers) as pool:
            outcomes = Counter(o.outcome for o in ingest_inputs(store, iter_inputs(args.paths), clock=utc_now,
                                                                parser=pool))  # fmt: skip
        seconds = time.perf_counter() - started
        with Store(url) as check:
            stored = check.count_runs(only_runs=False)
    print(json.dumps({"parsers": PARSER_SET, "workers": args.workers, "seconds": seconds,
                      "outcomes": dict(sorted(outcomes.items())), "runs_stored": stored}))  # fmt: skip


if __name__ == "__main__":
    main()
