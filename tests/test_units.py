"""Miles and feet, and the runner's time zone, everywhere a figure is shown: pages, reasons and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from recovery.cli import cli
from recovery.web import create_app
from tests.conftest import NOW

HILLY = "sports-lib/6916728382.fit"  # 21.5 km with 539 m of climbing, from a COROS watch


def invoke(db: str, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--db", db, *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_in_miles_mode_the_cli_lists_runs_in_miles_and_local_time_and_the_cooldown_says_feet(
    db_url: str, shared_runs: Path
) -> None:
    invoke(db_url, "import", str(shared_runs / HILLY))
    invoke(db_url, "settings", "--units", "mi", "--time-zone", "America/New_York")
    listed = invoke(db_url, "runs")
    assert "2020-02-15 05:16" in listed, "10:16 UTC, in New York"
    assert "13.37 mi" in listed and "/mi" in listed and " km" not in listed
    cooldown = json.loads(invoke(db_url, "cooldown", "--json"))
    said = " ".join([*cooldown["reasons"], *(r for item in cooldown["items"] for r in item["reasons"])])
    assert "1,768 ft" in said and "13.4 mi" in said
    assert " km" not in said and " m " not in said


def test_in_miles_mode_the_run_page_gives_the_climb_in_feet(db_url: str, shared_runs: Path) -> None:
    invoke(db_url, "import", str(shared_runs / HILLY))
    invoke(db_url, "settings", "--units", "mi")
    app = create_app({"DATABASE_URL": db_url, "CLOCK": lambda: NOW, "TESTING": True})
    try:
        page = app.test_client().get("/runs/1").get_data(as_text=True)
    finally:
        app.extensions["recovery.store"].close()
    assert "1,768 ft" in page and "1,729 ft" in page
