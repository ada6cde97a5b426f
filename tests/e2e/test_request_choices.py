"""The request form in Chromium, filled by choosing from lists: a host found
by name among those who agreed to be listed, a site, a time zone."""

from __future__ import annotations

import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from shared.db import connect
from tests.e2e.browsing import sign_in
from tests.e2e.test_browser_form import fill
from tests.integration.intake.helpers import future, host_body
from tests.support import ServiceProcess, wait_for


def test_a_requester_picks_a_listed_host_by_name_a_site_and_a_time_zone(
    browser, service_env, log_dir, database_url
):
    intake = ServiceProcess("intake", service_env, log_dir).start()
    try:
        base = intake.url
        for email, name, listed in (
            ("nathalie@example.com", "Nathalie Renard", True),
            ("hidden@example.com", "Hidden Host", False),
        ):
            requests.put(
                f"{base}/api/v1/hosts/me",
                json=host_body(name=name, listed=listed),
                headers={"X-Remote-User": email},
                timeout=10,
            ).raise_for_status()
        sign_in(browser, base, "camille.durand@example.com")
        browser.get(f"{base}/requests/new?lang=en")
        options = [
            o.text
            for o in Select(browser.find_element(By.ID, "preferred_host")).options
        ]
        assert any("Nathalie Renard" in o for o in options)
        assert not any("Hidden Host" in o for o in options)  # not listed
        browser.find_element(By.ID, "host-filter").send_keys("renard")
        picker = Select(browser.find_element(By.ID, "preferred_host"))
        visible = [o for o in picker.options if o.is_displayed()]
        assert [o.text.split(" — ")[0] for o in visible][-1] == "Nathalie Renard"
        picker.select_by_visible_text(visible[-1].text)
        Select(browser.find_element(By.ID, "format")).select_by_value("in_person")
        Select(browser.find_element(By.ID, "site")).select_by_visible_text(
            "Paris-La Défense"
        )
        Select(browser.find_element(By.ID, "timezone")).select_by_visible_text(
            "Europe/Paris"
        )
        browser.find_element(By.ID, "name").send_keys("Camille Durand")
        browser.find_element(By.ID, "goal").send_keys("Meet someone who does the job")
        fill(browser, "win-0-date", future(6).strftime("%Y-%m-%d"))
        fill(browser, "win-0-start", "14:00")
        fill(browser, "win-0-end", "17:00")
        browser.find_element(By.ID, "submit").click()
        wait_for(lambda: browser.current_url.endswith("/requests"), 30, message="sent")
        with connect(database_url) as conn:
            row = conn.execute(
                "SELECT r.site, r.timezone, h.name FROM requests r"
                " JOIN hosts h ON h.id = r.preferred_host"
            ).fetchone()
        assert (row["site"], row["timezone"], row["name"]) == (
            "Paris-La Défense",
            "Europe/Paris",
            "Nathalie Renard",
        )
    finally:
        intake.stop()


def test_the_host_forms_fields_filter_takes_the_fields_it_leaves_out_off_the_screen(
    browser, service_env, log_dir
):
    intake = ServiceProcess("intake", service_env, log_dir).start()
    try:
        base = intake.url
        sign_in(browser, base, "nathalie.renard@example.com")
        browser.get(f"{base}/host?lang=en")
        labels = browser.find_elements(By.CSS_SELECTOR, "#fields-list label")
        assert len(labels) > 5 and all(label.is_displayed() for label in labels)
        browser.find_element(By.ID, "fields-filter").send_keys("strategy")
        words = [label.get_attribute("data-search").lower() for label in labels]
        kept = ["strategy" in w for w in words]
        assert 0 < sum(kept) < len(labels)
        assert [label.is_displayed() for label in labels] == kept, words
    finally:
        intake.stop()


def test_the_form_suggests_the_field_the_goal_sounds_like_and_a_click_takes_it(
    browser, service_env, log_dir
):
    # the page calls the API: the browser names its origin, which must be ours
    here = f"http://127.0.0.1:{service_env['INTAKE_PORT']}"
    env = {**service_env, "PUBLIC_BASE_URL": here}
    intake = ServiceProcess("intake", env, log_dir).start()
    try:
        base = intake.url
        sign_in(browser, base, "camille.durand@example.com")
        browser.get(f"{base}/requests/new?lang=fr")
        shown = browser.find_element(By.ID, "field-suggestions")
        assert not shown.is_displayed()
        browser.find_element(By.ID, "goal").send_keys(
            "Je voudrais devenir ingénieur des données et construire des"
            " pipelines de données"
        )
        wait_for(shown.is_displayed, 30, message="fields suggested")
        assert shown.text.startswith("Cela ressemble à")
        choice = browser.find_element(
            By.CSS_SELECTOR, '#field-suggestions button[data-field="data-engineering"]'
        )
        assert choice.text == "Ingénierie des données"
        choice.click()
        field = Select(browser.find_element(By.ID, "field"))
        assert field.first_selected_option.get_attribute("value") == "data-engineering"
        assert choice.get_attribute("aria-pressed") == "true"
    finally:
        intake.stop()
