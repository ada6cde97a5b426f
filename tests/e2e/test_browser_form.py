"""The request form in a real headless Chromium against intake as a real process."""

from __future__ import annotations

import json
import uuid

from selenium.webdriver.common.by import By

from shared import kafka as kafka_clients
from shared import topics
from shared.db import connect
from tests.e2e.browsing import sign_in
from tests.integration.intake.helpers import future
from tests.support import ServiceProcess, wait_for


def fill(driver, element_id: str, value: str) -> None:
    element = driver.find_element(By.ID, element_id)
    driver.execute_script("arguments[0].value = arguments[1];", element, value)


def test_request_form_in_chromium_shows_a_french_error_then_submits(
    browser, service_env, log_dir, names
):
    intake = ServiceProcess("intake", service_env, log_dir).start()
    try:
        base = intake.url
        sign_in(browser, base, "camille.durand@example.com", lang="fr")

        browser.get(f"{base}/requests/new")
        assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "fr"
        browser.find_element(By.ID, "name").send_keys("Camille Durand")
        browser.find_element(By.ID, "goal").send_keys(
            "Découvrir le métier avant de postuler"
        )
        day = future(6).strftime("%Y-%m-%d")
        fill(browser, "win-0-date", day)
        fill(browser, "win-0-start", "14:00")
        fill(browser, "win-0-end", "14:15")  # shorter than the 30 minutes asked
        browser.find_element(By.ID, "submit").click()
        wait_for(
            lambda: browser.find_elements(By.ID, "form-errors"),
            30,
            message="the error summary",
        )
        page = browser.find_element(By.TAG_NAME, "main").text
        assert "Veuillez corriger les champs signalés" in page
        assert "Plus court que la durée demandée." in page
        assert (
            browser.find_element(By.ID, "name").get_attribute("value")
            == "Camille Durand"
        )  # kept

        fill(browser, "win-0-end", "17:00")
        browser.find_element(By.ID, "submit").click()
        wait_for(
            lambda: browser.current_url.endswith("/requests"),
            30,
            message="the list of requests",
        )
        assert "Envoyée" in browser.find_element(By.TAG_NAME, "main").text
        check_stored_and_published(service_env, names)
    finally:
        intake.stop()


def check_stored_and_published(service_env, names) -> None:
    with connect(service_env["DATABASE_URL"]) as conn:
        row = conn.execute("SELECT * FROM requests").fetchone()
    assert (
        row["requester_email"] == "camille.durand@example.com" and row["locale"] == "fr"
    )
    reader = kafka_clients.consumer(
        service_env["KAFKA_BOOTSTRAP_SERVERS"].split(","),
        f"r-{uuid.uuid4()}",
        [names(topics.INTRO_REQUESTS)],
    )
    try:
        got = []
        wait_for(
            lambda: (
                got.extend(r for rs in reader.poll(300).values() for r in rs) or got
            ),
            90,  # a fresh broker makes its offsets topic on the first group's join
            message="IntroRequested on the topic",
        )
        assert json.loads(got[0].value)["payload"]["request_id"] == str(row["id"])
    finally:
        reader.close()
