"""A host pauses their invitations from their page, in Chromium; while the
pause lasts, no invitation reaches them, and the request waits."""

from __future__ import annotations

from datetime import date, timedelta

import requests
from selenium.webdriver.common.by import By

from shared.statuses import DAYS
from tests.e2e.browsing import sign_in
from tests.e2e.test_browser_form import fill
from tests.integration.intake.helpers import host_body, request_body
from tests.support import ServiceProcess, wait_for

WEEK = [{"day": d, "start": "08:00", "end": "20:00"} for d in DAYS]


def test_a_paused_host_receives_no_invitation_while_the_request_waits(
    browser, service_env, log_dir
):
    env = {**service_env, "MATCH_ROUND_WINDOW": "0"}
    intake = ServiceProcess("intake", env, log_dir).start()
    matcher = ServiceProcess("matcher", env, log_dir).start()
    try:
        base, host = intake.url, {"X-Remote-User": "nathalie.renard@example.com"}
        requests.put(
            f"{base}/api/v1/hosts/me",
            json=host_body(weekly_availability=WEEK),
            headers=host,
            timeout=10,
        ).raise_for_status()
        sign_in(browser, base, "nathalie.renard@example.com")
        browser.get(f"{base}/host?lang=en")
        fill(browser, "paused_until", (date.today() + timedelta(days=30)).isoformat())
        browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
        wait_for(
            lambda: requests.get(
                f"{base}/api/v1/hosts/me", headers=host, timeout=5
            ).json()["paused_until"],
            30,
            message="the pause saved",
        )
        rid = requests.post(
            f"{base}/api/v1/requests",
            json=request_body(),
            headers={"X-Remote-User": "camille.durand@example.com"},
            timeout=10,
        ).json()["id"]
        wait_for(
            lambda: (
                requests.get(
                    f"{base}/api/v1/requests/{rid}",
                    headers={"X-Remote-User": "camille.durand@example.com"},
                    timeout=5,
                ).json()["status"]
                == "waitlisted"
            ),
            60,
            message="the request waiting, the only host paused",
        )
        browser.get(f"{base}/invitations?lang=en")
        assert browser.find_elements(By.CSS_SELECTOR, "section.invitation") == []
    finally:
        matcher.stop()
        intake.stop()
