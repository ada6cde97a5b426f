"""python -m devstack.screenshots [BASE_URL [EMAIL]]: the request form, the host page
and the ops dashboard, in French and English, as PNG files in docs/screenshots
(for the README). Needs `make run` (and best `make demo`) going, and Debian's
chromium and chromedriver."""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
PAGES = {"request-form": "/requests/new", "host-page": "/host", "dashboard": "/ops"}


def browser() -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--hide-scrollbars",
                 f"--user-data-dir={tempfile.mkdtemp(prefix='chromium-')}"):  # fmt: skip
        options.add_argument(flag)
    driver = webdriver.Chrome(
        service=Service(shutil.which("chromedriver")), options=options
    )
    driver.set_window_size(1100, 1400)
    return driver


def main(base: str, who: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    driver = browser()
    try:
        driver.get(f"{base}/dev/login")
        driver.find_element(By.ID, "email").send_keys(who)
        driver.find_element(By.ID, "groups").send_keys("ops,hr")
        driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        for name, path in PAGES.items():
            for lang in ("fr", "en"):
                driver.get(f"{base}{path}?lang={lang}")
                target = OUT / f"{name}-{lang}.png"
                driver.save_screenshot(str(target))
                print(target)
    finally:
        driver.quit()


if __name__ == "__main__":
    # BASE_URL, then the email of a host of the demo to show their page
    main(
        *(
            sys.argv[1:3]
            + ["http://127.0.0.1:8000", "ops@example.com"][len(sys.argv[1:3]) :]
        )
    )
