"""Screenshot pages of a built site with Debian's chromium (for looking at the portal).

Usage: python scripts/screenshot.py SITE_DIR OUT_DIR PAGE [PAGE ...]   (PAGE like models/fraud-prevention.html)
A PAGE may end with @Y to capture one 1400x1000 screen scrolled to Y instead of the full page.
"""

from __future__ import annotations

import functools
import http.server
import sys
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright

ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


def main() -> None:
    site, out, pages = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3:]
    out.mkdir(parents=True, exist_ok=True)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.on("console", lambda m: print("console", m.type, m.text))
        for spec in pages:
            rel, _, scroll = spec.partition("@")
            page.goto(base + rel)
            page.wait_for_timeout(1500)
            name = (rel.strip("/").replace("/", "_") or "index") + (f"_{scroll}" if scroll else "")
            if scroll:
                page.evaluate(f"window.scrollTo(0, {int(scroll)})")
                page.wait_for_timeout(300)
            page.screenshot(path=str(out / f"{name}.png"), full_page=not scroll)
            print("saved", out / f"{name}.png")
        browser.close()
    server.shutdown()


if __name__ == "__main__":
    main()
