"""The request form filled with the keyboard alone: Tab from field to field,
typing, Space on check boxes, Enter to send (a person who cannot use a
mouse must be able to ask for an interview)."""

from __future__ import annotations

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.e2e.browsing import sign_in
from tests.integration.intake.helpers import future
from tests.support import ServiceProcess, wait_for


def press(browser, *keys) -> None:
    ActionChains(browser).send_keys(*keys).perform()


def tab_to(browser, element_id: str, limit: int = 300) -> None:
    for _ in range(limit):
        if browser.switch_to.active_element.get_attribute("id") == element_id:
            return
        press(browser, Keys.TAB)
    raise AssertionError(f"Tab never reached #{element_id}")


def test_the_request_form_can_be_filled_and_sent_with_the_keyboard_alone(
    browser, service_env, log_dir
):
    intake = ServiceProcess("intake", service_env, log_dir).start()
    try:
        base = intake.url
        sign_in(browser, base, "camille.durand@example.com")
        browser.get(f"{base}/requests/new?lang=en")
        day = future(6)
        typed = {
            "name": "Camille Durand",
            "goal": "See what a data engineer does all day",
            "win-0-date": day.strftime("%m%d%Y"),
            "win-0-start": "0200P",
            "win-0-end": "0500P",
        }
        press(browser, Keys.TAB)
        for element_id, keys in typed.items():
            tab_to(browser, element_id)
            press(browser, keys)
        tab_to(browser, "submit")
        press(browser, Keys.ENTER)
        try:
            wait_for(
                lambda: browser.current_url.endswith("/requests"), 30, message="sent"
            )
        except AssertionError:
            raise AssertionError(
                browser.find_element(By.TAG_NAME, "main").text
            ) from None
        rows = browser.find_elements(By.CSS_SELECTOR, "main table tbody tr")
        assert len(rows) == 1
    finally:
        intake.stop()


def test_the_host_form_can_be_filled_and_saved_with_the_keyboard_alone(
    browser, service_env, log_dir
):
    intake = ServiceProcess("intake", service_env, log_dir).start()
    try:
        base = intake.url
        sign_in(browser, base, "nathalie.renard@example.com")
        browser.get(f"{base}/host?lang=en")
        press(browser, Keys.TAB)
        tab_to(browser, "name")
        press(browser, "Nathalie Renard")
        tab_to(browser, "fields-filter")
        press(browser, "strategy")  # the filter keeps the matching box in the tab order
        tab_to(browser, "field-strategy")
        press(browser, Keys.SPACE)
        for box in ("languages-fr", "formats-video", "durations-30"):
            tab_to(browser, box)
            press(browser, Keys.SPACE)
        tab_to(browser, "tue-0-start")
        press(browser, "0900A")
        tab_to(browser, "tue-0-end")
        press(browser, "1200P")
        tab_to(browser, "listed")
        press(browser, Keys.SPACE)
        submit = browser.find_element(By.CSS_SELECTOR, "form button[type=submit]")
        for _ in range(300):  # on to the button, then Enter
            if browser.switch_to.active_element == submit:
                break
            press(browser, Keys.TAB)
        press(browser, Keys.ENTER)
        wait_for(
            lambda: browser.find_elements(By.ID, "free-slots"),
            30,
            message="profile saved",
        )
        profile = browser.execute_script(
            "return fetch('/api/v1/hosts/me').then(r => r.json())"
        )
        assert profile["fields"] == ["strategy"] and profile["listed"] is True
        assert profile["weekly_availability"] == [
            {"day": "tue", "start": "09:00", "end": "12:00"}
        ]
    finally:
        intake.stop()
