"""Take the README's screenshots from a running site: home and an article, phone and
desktop, and both at phone size in 关怀版 (`-care-390`).

python tools/screenshots.py http://127.0.0.1:8000 ARTICLE_PATH
"""

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

OUT = Path(__file__).resolve().parents[1] / "docs" / "screenshots"


def main(base: str, article_path: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        for width, height, care in [(390, 844, False), (1280, 900, False), (390, 844, True)]:
            page = browser.new_page(viewport={"width": width, "height": height})
            if care:  # as a reader who switched it on before: care.js reads it
                page.add_init_script("localStorage.setItem('care', '1')")
            for name, path in [("home", "/"), ("article", article_path)]:
                page.goto(base + path, wait_until="networkidle")
                # Walk down the page so that lazy images load before the full-page shot.
                page.evaluate(
                    "async () => { for (let y = 0; y < document.body.scrollHeight; y += 600)"
                    " { window.scrollTo(0, y); await new Promise(r => setTimeout(r, 50)); }"
                    " window.scrollTo(0, 0); }"
                )
                page.wait_for_load_state("networkidle")
                mode = "-care" if care else ""
                page.screenshot(path=OUT / f"{name}{mode}-{width}.png", full_page=True)
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
