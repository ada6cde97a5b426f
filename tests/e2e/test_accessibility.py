"""Every page, in both languages, passes axe-core in headless Chromium with no
serious or critical violation (RGAA / WCAG 2.1 AA), the forms with their
errors shown included. axe-core comes packaged (axe-playwright-python ships
axe.min.js; only that file is used, injected through Selenium)."""

from __future__ import annotations

import pathlib

import axe_playwright_python
import pytest
import requests
from selenium.webdriver.common.by import By

from shared import links
from tests.e2e.browsing import sign_in
from tests.feeds import shared_server
from tests.integration.intake.helpers import host_body, insert_match, request_body
from tests.support import ServiceProcess, wait_for

AXE = (pathlib.Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text()
PAGES = [
    "/", "/requests/new", "/requests", "/host", "/invitations", "/ops",
    "/api/v1/docs", "/dev/login", "/no-such-page", "/l/not-a-token",
]  # fmt: skip
SERIOUS = ("serious", "critical")


def violations(browser) -> list[str]:
    browser.execute_script(AXE)
    result = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run().then(done).catch(e => done({error: String(e)}));"
    )
    assert "error" not in result, result
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in SERIOUS
    ]


MAIL = "20261126T090000-abc.eml"


@pytest.fixture
def intake(service_env, log_dir, tmp_path):
    sink = tmp_path / "mail"  # the pages of `make run`'s mail sink, one message in it
    sink.mkdir()
    (sink / MAIL).write_bytes(
        b"From: a@example.com\r\nTo: b@example.com\r\nSubject: Bonjour\r\n"
        b"X-Matchmaker-Kind: invitation\r\nContent-Type: text/plain; charset=utf-8\r\n"
        b"\r\nHello there\r\n"
    )
    env = {**service_env, "MAIL_SINK_DIR": str(sink)}
    process = ServiceProcess("intake", env, log_dir).start()
    yield process
    process.stop()


def test_every_page_in_both_languages_has_no_serious_accessibility_violation(
    browser, intake, database_url, service_env
):
    base = intake.url
    host = {"X-Remote-User": "ops.person@example.com"}
    host_id = requests.put(
        f"{base}/api/v1/hosts/me", json=host_body(), headers=host
    ).json()["id"]
    calendar = requests.put(
        f"{base}/api/v1/hosts/me/calendar",
        json={"kind": "ics", "url": shared_server().url("/cal.ics")},
        headers=host,
    )
    assert calendar.status_code == 200
    rid = requests.post(
        f"{base}/api/v1/requests",
        json=request_body(),
        headers={"X-Remote-User": "camille.durand@example.com"},
    ).json()["id"]
    mid = insert_match(database_url, rid, host_id)
    token = links.make_token(service_env["SECRET_KEY"], "accept", mid)
    sign_in(browser, base, "ops.person@example.com", "ops,hr")
    found = {}
    for path in [*PAGES, f"/l/{token}", "/ops/mail", f"/ops/mail/{MAIL}"]:
        for lang in ("fr", "en"):
            browser.get(f"{base}{path}?lang={lang}")
            if path == "/api/v1/docs":  # the interactive reference, once drawn
                wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, ".opblock"), 30)
            found[f"{path} [{lang}]"] = violations(browser)
    # the page after following an email link (the host accepts)
    browser.get(f"{base}/l/{token}?lang=fr")
    browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    wait_for(
        lambda: (
            "/l/" in browser.current_url and browser.find_elements(By.TAG_NAME, "h1")
        ),
        30,
    )
    found["/l/<token> answered [fr]"] = violations(browser)
    # the forms, their errors shown
    for lang in ("fr", "en"):
        for form in ("/requests/new", "/host"):
            browser.get(f"{base}{form}?lang={lang}")
            browser.find_element(By.ID, "name").clear()  # a required field left empty
            browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
            wait_for(lambda: browser.find_elements(By.ID, "form-errors"), 30)
            found[f"{form} with errors [{lang}]"] = violations(browser)
    assert {page: v for page, v in found.items() if v} == {}


def test_the_api_reference_is_interactive_and_served_from_here(browser, intake):
    browser.get(f"{intake.url}/api/v1/docs")
    wait_for(
        lambda: browser.find_elements(By.CSS_SELECTOR, "#swagger-ui .opblock"),
        30,
        message="Swagger UI drawn",
    )
    paths = {
        e.text for e in browser.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")
    }
    assert "/api/v1/requests" in paths
    sources = browser.execute_script(
        "return Array.from(document.querySelectorAll('script[src], link[href]'))"
        ".map(e => e.src || e.href)"
    )
    assert all(s.startswith(intake.url) for s in sources), sources  # nothing from a CDN
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []
