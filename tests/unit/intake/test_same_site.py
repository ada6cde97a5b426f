"""Which writes may go on, by what the request says of where it comes from:
the public origin (however its port is written), a same-origin fetch, a
client that is no browser, or one of API_TOKENS — never a bearer token
merely present."""

from __future__ import annotations

import pytest

from services.intake.web.security import origin_of, same_site

PUBLIC = "https://mm.corp.example"
TOKENS = {"intranet-token-0123456789": ("form@corp.example", ())}


@pytest.mark.parametrize(
    "public",
    [
        "https://mm.corp.example",
        "https://mm.corp.example:443/",
        "HTTPS://MM.corp.example/x",
    ],
)
def test_the_public_origin_is_written_as_browsers_write_it(public):
    assert origin_of(public) == "https://mm.corp.example"
    assert same_site({"Origin": "https://mm.corp.example"}, public)


@pytest.mark.parametrize(
    "origin",
    ["https://evil.example", "null", "", "https://mm.corp.example.evil.example",
     "http://mm.corp.example", "https://mm.corp.example:8443"],
)  # fmt: skip
def test_another_origin_is_refused(origin):
    assert not same_site({"Origin": origin}, PUBLIC, TOKENS)


@pytest.mark.parametrize("scheme", ["Bearer", "bearer"])
def test_an_unknown_bearer_token_does_not_excuse_a_cross_site_write(scheme):
    headers = {"Origin": "https://evil.example", "Authorization": f"{scheme} anything"}
    assert not same_site(headers, PUBLIC, TOKENS)


def test_one_of_the_api_tokens_is_a_machine_client_whatever_its_origin():
    headers = {
        "Origin": "https://evil.example",
        "Authorization": "Bearer intranet-token-0123456789",
    }
    assert same_site(headers, PUBLIC, TOKENS)


def test_a_browser_that_sends_no_origin_is_judged_by_sec_fetch_site():
    assert same_site({"Sec-Fetch-Site": "same-origin"}, PUBLIC)
    assert not same_site({"Sec-Fetch-Site": "cross-site"}, PUBLIC)
    assert not same_site({"Sec-Fetch-Site": "same-site"}, PUBLIC)
    assert same_site({}, PUBLIC)  # not a browser: it holds no one's session
