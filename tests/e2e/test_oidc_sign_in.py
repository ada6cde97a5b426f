"""AUTH_MODE=oidc in Chromium: intake as a process, the OpenID provider as
another; a person opens a page, signs in at the provider and comes back to
that page, then signs out of both."""

from __future__ import annotations

from selenium.webdriver.common.by import By

from devstack.oidc_provider import OidcProvider
from tests.oidc import oidc_env
from tests.support import ServiceProcess, wait_for


def test_a_person_signs_in_at_the_provider_and_comes_back_to_the_page(
    browser, service_env, log_dir, names
):
    with OidcProvider(log_dir / "provider.log") as provider:
        provider.set_user(
            "camille",
            {"email": "Camille.Durand@example.com", "email_verified": True,
             "groups": ["hr"]},
        )  # fmt: skip
        env = oidc_env(service_env, provider.issuer)
        env["PUBLIC_BASE_URL"] = f"http://127.0.0.1:{env['INTAKE_PORT']}"
        intake = ServiceProcess("intake", env, log_dir).start()
        try:
            base = intake.url
            browser.get(f"{base}/requests")
            wait_for(
                lambda: browser.find_elements(By.NAME, "sub"),
                30,
                message="the provider",
            )
            assert browser.current_url.startswith(provider.issuer)
            browser.find_element(By.NAME, "sub").send_keys("camille")
            browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
            wait_for(
                lambda: browser.current_url == f"{base}/requests", 30, message="back"
            )
            header = browser.find_element(By.TAG_NAME, "header").text
            assert "camille.durand@example.com" in header
            browser.get(f"{base}/ops/people")  # hr, from the groups claim
            assert browser.find_element(By.TAG_NAME, "h1").text

            browser.find_element(By.LINK_TEXT, "Sign out").click()
            wait_for(
                lambda: browser.current_url.startswith(provider.issuer),
                30,
                message="the provider's sign-out",
            )
            browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
            wait_for(
                lambda: browser.current_url.rstrip("/") == base, 30, message="home"
            )
            browser.get(f"{base}/requests")
            wait_for(
                lambda: browser.find_elements(By.NAME, "sub"),
                30,
                message="signed out: the provider asks again",
            )
        finally:
            intake.stop()
