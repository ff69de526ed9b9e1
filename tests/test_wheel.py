"""The package as a runner installs it: a wheel built from the checkout, in a fresh virtual environment elsewhere.

An editable install reads templates and data files straight from the
checkout, so it cannot show what a normal install lacks; this test can.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import urllib.request
import zipfile
from pathlib import Path

import pytest

from tests.browser import Server, run_id_from
from tests.conftest import ROOT

pytestmark = pytest.mark.slow
DEMO = ROOT / "sample_runs" / "demo-easy-run.fit"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    # From a clean copy: a build folder left in the checkout could ship files the source no longer has.
    source = tmp_path_factory.mktemp("source") / "recovery-coach"
    leftovers = shutil.ignore_patterns(".git", ".venv", "build", "*.egg-info", "__pycache__", "test-output", "out")
    shutil.copytree(ROOT, source, ignore=leftovers)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(out), str(source)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    (built,) = out.glob("recovery_coach-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment outside the checkout with the wheel (and its dependencies) installed."""
    venv = tmp_path_factory.mktemp("venv") / "env"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel)],
        check=True, capture_output=True, timeout=600,
    )  # fmt: skip
    return venv


def test_the_wheel_holds_the_pages_and_installs_nothing_outside_the_recovery_package(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    top = {name.split("/", 1)[0] for name in names}
    assert top == {"recovery", wheel.name.split("-")[0] + "-" + wheel.name.split("-")[1] + ".dist-info"}
    for page in ("base.html", "today.html", "timer.html", "settings.html"):
        assert f"recovery/web/templates/{page}" in names
    assert "recovery/web/static/timer.js" in names
    assert "recovery/watchers/scanner.py" in names
    assert {"recovery/coach/catalogue.yaml", "recovery/coach/rules.yaml", "recovery/coach/red_flags.yaml"} <= set(names)
    assert "recovery/migrations/versions/0001_runs_sources_import_log.py" in names


def test_a_normal_install_elsewhere_imports_a_run_and_serves_every_page(installed: Path, tmp_path: Path) -> None:
    python = installed / "bin" / "python"
    where = subprocess.run(
        [str(python), "-c", "import recovery, recovery.web; print(recovery.__file__); print(recovery.web.TEMPLATES)"],
        capture_output=True, text=True, check=True, cwd=tmp_path,
    ).stdout.split()  # fmt: skip
    assert all(str(ROOT) not in line and "site-packages" in line for line in where), where
    no_watchers = subprocess.run([str(python), "-c", "import watchers"], capture_output=True, cwd=tmp_path)
    assert no_watchers.returncode != 0, "the wheel must not install a top-level package named watchers"

    server = Server(tmp_path / "site", command=installed / "bin" / "recovery")
    # Run from inside the checkout on purpose: its recovery/ folder must not shadow the installed package
    # in the parsing workers (a forkserver started with `python -c` puts the current folder on its path).
    imported = subprocess.run(
        [str(server.command), "--db", server.db_url, "import", str(DEMO)],
        capture_output=True, text=True, timeout=120, cwd=ROOT, check=False,
    )  # fmt: skip
    assert imported.returncode == 0, imported.stderr
    run_id = run_id_from(imported.stdout)
    server.start()
    try:
        for path in ("/", "/history", "/runs", f"/runs/{run_id}", f"/timer/{run_id}", "/imports", "/settings"):
            with urllib.request.urlopen(server.url + path, timeout=30) as response:
                assert response.status == 200, path
                assert "<h1" in response.read().decode(), path
        with urllib.request.urlopen(server.url + "/static/timer.js", timeout=30) as response:
            assert response.status == 200 and b"function" in response.read()
    finally:
        server.stop()
