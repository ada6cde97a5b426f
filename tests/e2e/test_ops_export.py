"""The dashboard's CSV export, followed from its link in headless Chromium."""

from __future__ import annotations

import csv
import io

import requests
from selenium.webdriver.common.by import By

from tests.e2e.browsing import sign_in
from tests.integration.intake.helpers import host_body, request_body
from tests.support import ServiceProcess, wait_for


def test_requests_csv_from_the_dashboard_link_holds_the_rows_and_names_only_when_asked(
    browser, service_env, log_dir
):
    intake = ServiceProcess("intake", service_env, log_dir).start()
    try:
        base = intake.url
        requests.put(
            f"{base}/api/v1/hosts/me",
            json=host_body(),
            headers={"X-Remote-User": "host0@example.com"},
            timeout=10,
        ).raise_for_status()
        created = set()
        for i, field in enumerate(("management", "management", "strategy")):
            response = requests.post(
                f"{base}/api/v1/requests",
                json=request_body(field=field),
                headers={"X-Remote-User": f"req{i}@example.com"},
                timeout=10,
            )
            response.raise_for_status()
            created.add(response.json()["id"])

        sign_in(browser, base, "ops.person@example.com", "ops,hr", lang="en")
        browser.get(f"{base}/ops")
        link = wait_for(
            lambda: browser.find_elements(By.ID, "export-requests"),
            30,
            message="the export link",
        )[0]
        href = link.get_attribute("href")
        assert href.startswith(f"{base}/ops/export/requests.csv")
        assert browser.find_elements(By.CSS_SELECTOR, "#chart-trend svg.chart")

        session = requests.Session()
        for cookie in browser.get_cookies():
            session.cookies.set(cookie["name"], cookie["value"])
        response = session.get(href, timeout=10)
        assert response.status_code == 200
        assert response.headers["Content-Disposition"].startswith("attachment;")
        rows = list(csv.DictReader(io.StringIO(response.text)))
        assert {r["id"] for r in rows} == created
        assert sorted(r["field"] for r in rows) == [
            "management",
            "management",
            "strategy",
        ]
        assert "@" not in response.text
        named = session.get(
            f"{href}&personal=1" if "?" in href else f"{href}?personal=1", timeout=10
        )
        assert named.status_code == 200 and "req0@example.com" in named.text  # HR's
    finally:
        intake.stop()
