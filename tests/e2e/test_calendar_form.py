"""The calendar part of the host form in a real headless Chromium: connect
a feed, check it, see why it fails, disconnect."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import requests
from selenium.webdriver.common.by import By

from tests import ics
from tests.e2e.browsing import sign_in
from tests.feeds import FeedServer
from tests.integration.intake.helpers import host_body
from tests.support import ServiceProcess, wait_for

HOST = "nathalie.renard@example.com"


def flash(browser) -> str:
    wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, ".flash"), 30)
    return browser.find_element(By.CSS_SELECTOR, ".flash").text


def open_host_page(browser, base: str) -> None:
    """The host's own page, signed in as a host with a profile."""
    requests.put(
        f"{base}/api/v1/hosts/me",
        json=host_body(),
        headers={"X-Remote-User": HOST},
        timeout=10,
    ).raise_for_status()
    sign_in(browser, base, HOST, lang="en")
    browser.get(f"{base}/host")


def test_a_host_connects_checks_and_disconnects_a_calendar(
    browser, service_env, log_dir
):
    start = datetime.now(UTC) + timedelta(days=3)
    with FeedServer() as feeds:
        feeds.feeds["/me.ics"] = ics.calendar(
            ics.busy_event("a", start, start + timedelta(hours=1))
        )
        intake = ServiceProcess("intake", service_env, log_dir).start()
        try:
            base = intake.url
            open_host_page(browser, base)
            browser.find_element(By.ID, "calendar-url").send_keys(feeds.url("/me.ics"))
            browser.find_element(By.ID, "calendar-connect").click()
            assert flash(browser) == (
                "Your calendar is connected. 1 busy period found in the next four weeks."
            )
            status = browser.find_element(By.ID, "calendar-status").text
            assert "http://127.0.0.1/…" in status and "me.ics" not in status

            del feeds.feeds["/me.ics"]
            browser.find_element(By.ID, "calendar-check").click()
            wait_for(lambda: browser.find_elements(By.ID, "calendar-error"), 30)
            assert (
                "there is no calendar at this address"
                in browser.find_element(By.ID, "calendar-error").text
            )

            browser.get(f"{base}/host")
            browser.find_element(By.ID, "calendar-disconnect").click()
            assert "disconnected" in flash(browser)
            assert not browser.find_elements(By.ID, "calendar-status")
        finally:
            intake.stop()


def test_a_calendar_that_cannot_be_read_brings_the_reader_to_why_and_to_the_help(
    browser, service_env, log_dir
):
    with FeedServer() as feeds:
        intake = ServiceProcess("intake", service_env, log_dir).start()
        try:
            base = intake.url
            open_host_page(browser, base)
            browser.find_element(By.ID, "calendar-url").send_keys(
                feeds.url("/nothing-here.ics")
            )
            browser.find_element(By.ID, "calendar-connect").click()
            wait_for(lambda: browser.find_elements(By.ID, "calendar-error"), 30)
            error = browser.find_element(By.ID, "calendar-error")
            wait_for(
                lambda: (
                    browser.switch_to.active_element.get_attribute("id")
                    == "calendar-error"
                ),
                10,
                message="focus on the calendar's error",
            )
            assert error.text.startswith(
                "The calendar could not be read: there is no calendar at this address."
            )
            top = browser.execute_script(
                "return arguments[0].getBoundingClientRect().top", error
            )
            height = browser.execute_script("return window.innerHeight")
            assert 0 <= top < height  # on screen, not 2,500 px below
            help_link = error.find_element(By.CSS_SELECTOR, 'a[href="#calendar-help"]')
            help_link.click()
            section = browser.find_element(By.ID, "calendar-help")
            assert "Google Calendar" in section.text and "Nextcloud" in section.text
        finally:
            intake.stop()
