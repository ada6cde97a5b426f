"""The ops dashboard in headless Chromium: charts drawn, no console error."""

from __future__ import annotations

import io

import requests
from PIL import Image
from selenium.webdriver.common.by import By

from tests.e2e.browsing import sign_in
from tests.integration.intake.helpers import host_body, request_body
from tests.support import ServiceProcess, wait_for


def test_dashboard_draws_its_charts_without_console_errors(
    browser, service_env, log_dir, tmp_path
):
    intake = ServiceProcess("intake", service_env, log_dir).start()
    try:
        base = intake.url
        for i in range(3):
            requests.put(
                f"{base}/api/v1/hosts/me",
                json=host_body(monthly_capacity=i + 1),
                headers={"X-Remote-User": f"host{i}@example.com"},
                timeout=10,
            ).raise_for_status()
            requests.post(
                f"{base}/api/v1/requests",
                json=request_body(),
                headers={"X-Remote-User": f"req{i}@example.com"},
                timeout=10,
            ).raise_for_status()
        sign_in(browser, base, "ops.person@example.com", "ops,hr", lang="en")

        browser.get(f"{base}/ops")
        charts = wait_for(
            lambda: browser.find_elements(By.CSS_SELECTOR, "svg.chart"),
            30,
            message="charts",
        )
        assert len(charts) >= 5
        funnel = browser.find_element(By.ID, "chart-funnel")
        assert len(funnel.find_elements(By.TAG_NAME, "rect")) == 4
        assert "Funnel" in funnel.text or "Funnel" in browser.page_source
        assert (
            browser.find_element(By.CSS_SELECTOR, "[data-status=submitted]").text == "3"
        )
        assert browser.find_elements(
            By.CSS_SELECTOR, "#chart-lag svg.chart"
        )  # lag drawn, Kafka reachable

        errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
        assert errors == []
        png = browser.get_screenshot_as_png()
        (tmp_path / "dashboard.png").write_bytes(png)
        image = Image.open(io.BytesIO(png)).convert("RGB")
        colours = image.getcolors(maxcolors=1_000_000)
        assert colours is not None and len(colours) > 20  # not a blank page
        assert any(
            abs(r - 0x12) < 8 and abs(g - 0x3C) < 8 and abs(b - 0x69) < 8
            for _, (r, g, b) in colours
        )
    finally:
        intake.stop()
