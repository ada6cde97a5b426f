"""Steps the browser tests share."""

from __future__ import annotations

from selenium.webdriver.common.by import By

from tests.support import wait_for


def sign_in(
    browser, base: str, email: str, groups: str = "", lang: str | None = None
) -> None:
    """Through the dev login page; `lang` is remembered for the pages after it."""
    browser.get(f"{base}/dev/login" + (f"?lang={lang}" if lang else ""))
    browser.find_element(By.ID, "email").send_keys(email)
    if groups:
        browser.find_element(By.ID, "groups").send_keys(groups)
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for(lambda: browser.current_url.rstrip("/") == base, 30, message="signed in")
