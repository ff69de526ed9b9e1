"""Draw the installable app's PNG icons from recovery/web/static/icon.svg, once; the PNGs are committed.

Phones want PNG icons of fixed sizes in the manifest (recovery/web/pwa.py), and a
"maskable" one drawn to the edges with the mark inside the middle 80 % circle, which
the phone crops to its own shape. The dashboard never needs this script, nor Pillow:
Debian's Chromium renders the SVG here, through Playwright, as the browser tests do.

    .venv/bin/python docs/make-icons.py
"""

from __future__ import annotations

import base64
import re
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
STATIC = ROOT / "recovery" / "web" / "static"
CHROMIUM = "/usr/bin/chromium"


def maskable(svg: str, scale: float) -> str:
    """The same mark on a square filled to the edges, shrunk about the centre into the safe zone."""
    background = re.search(r'<rect[^>]*fill="([^"]+)"[^>]*/>', svg)
    assert background, "icon.svg should start with its background <rect>"
    inner = svg[background.end() : svg.rindex("</svg>")]
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">'
        f'<rect width="32" height="32" fill="{background.group(1)}"/>'
        f'<g transform="translate(16 16) scale({scale}) translate(-16 -16)">{inner}</g></svg>'
    )


def main() -> None:
    svg = (STATIC / "icon.svg").read_text(encoding="utf-8")
    wanted = {
        "icon-192.png": (svg, 192),
        "icon-512.png": (svg, 512),
        "maskable-192.png": (maskable(svg, 0.7), 192),
        "maskable-512.png": (maskable(svg, 0.7), 512),
        # iOS rounds the corners itself and fills transparency with black: full bleed, a little larger.
        "apple-touch-icon.png": (maskable(svg, 0.8), 180),
    }
    out = STATIC / "icons"
    out.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--headless=new", "--no-sandbox"])
        for name, (source, size) in wanted.items():
            page = browser.new_page(viewport={"width": size, "height": size}, device_scale_factor=1)
            data = base64.b64encode(source.encode()).decode()
            page.set_content(
                '<html><body style="margin:0;background:transparent">'
                f'<img src="data:image/svg+xml;base64,{data}" width="{size}" height="{size}" style="display:block">'
                "</body></html>"
            )
            page.wait_for_function("document.images[0].complete")
            page.screenshot(path=str(out / name), omit_background=True)
            page.close()
            print(f"wrote {out / name} ({size}x{size})")
        browser.close()


if __name__ == "__main__":
    main()
