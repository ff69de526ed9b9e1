#!/usr/bin/env bash
# Refresh the screenshots the README shows.
#
# The browser tests take screenshots of the main pages at phone (390 px) and
# desktop (1280 px) widths into test-output/screenshots/ (not committed). This
# runs only that test, against Debian's Chromium (/usr/bin/chromium; nothing is
# downloaded), then copies the chosen few to docs/images/ under stable names.
#
# Usage, from anywhere:  bash docs/refresh-screenshots.sh
set -euo pipefail
cd "$(dirname "$0")/.."

# A missing Chromium must be an error here, not a quiet skip that leaves old pictures.
export RECOVERY_REQUIRE_BROWSER=1
.venv/bin/python -m pytest -q -p no:xdist tests/test_browser.py -k screenshot

shots=test-output/screenshots
mkdir -p docs/images
# source in test-output/screenshots -> name under docs/images
while read -r source target; do
    if [ ! -s "$shots/$source" ]; then
        echo "refresh-screenshots: $shots/$source was not written by the test" >&2
        exit 1
    fi
    cp "$shots/$source" "docs/images/$target"
    echo "docs/images/$target"
done <<'LIST'
today-390.png today-phone.png
timer-390.png timer-phone.png
history-390.png history-phone.png
run-390.png run-phone.png
history-1280.png history-desktop.png
run-1280.png run-desktop.png
LIST
