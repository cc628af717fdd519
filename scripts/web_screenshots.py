"""Screenshots of the dashboard for the docs (docs/images/web_*.png).

    make demo && python scripts/web_screenshots.py [--db narrascope.duckdb] [--out docs/images]

Serves the store on a free loopback port and drives Debian's chromium through Playwright.
"""

from __future__ import annotations

import argparse
import shutil
import socket
import sys
import threading
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", default="narrascope.duckdb")
    ap.add_argument("--out", default=str(Path(__file__).resolve().parents[1] / "docs" / "images"))
    args = ap.parse_args()
    if not Path(args.db).exists():
        sys.exit(f"{args.db}: no store; run `make demo` first")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        sys.exit("chromium is not installed (make install-browser)")
    import uvicorn
    from playwright.sync_api import sync_playwright

    from narrascope.store import Store
    from narrascope.web.app import create_app

    with Store(args.db, read_only=True) as store:
        doc_id = store.query("SELECT doc_id FROM spans WHERE layer = 'technique' GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1")[0][0]
        outlets = [r[0] for r in store.query("SELECT outlet FROM documents WHERE outlet IS NOT NULL "
                                                 "AND id NOT IN (SELECT doc_id FROM duplicates) GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 3")]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(args.db), host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        page = browser.new_page(viewport={"width": 1360, "height": 860})
        page.goto(f"{base}/articles/{doc_id}")
        page.locator("#text .hl.tech").first.hover()
        page.locator("#tooltip").wait_for(state="visible")
        page.screenshot(path=str(out / "web_article.png"))
        page.goto(f"{base}/")
        page.screenshot(path=str(out / "web_overview.png"), full_page=False)
        page.goto(f"{base}/outlets?" + "&".join(f"o={o.replace(' ', '+')}" for o in outlets))
        page.screenshot(path=str(out / "web_outlets.png"), full_page=False)
        page.goto(f"{base}/search?q=gas")
        page.screenshot(path=str(out / "web_search.png"), full_page=False)
        browser.close()
    server.should_exit = True
    print(f"wrote web_article.png, web_overview.png, web_outlets.png, web_search.png to {out}")


if __name__ == "__main__":
    main()
