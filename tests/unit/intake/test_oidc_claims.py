"""Who the provider's claims name, and the settings of AUTH_MODE=oidc."""

from types import SimpleNamespace

import pytest

from services.intake.web.identity import valid_email
from services.intake.web.oidc import person_of
from shared import config
from tests.unit.test_config import BASE

TRUSTED = SimpleNamespace(oidc_trust_email=True, oidc_groups_claim="groups")
CAREFUL = SimpleNamespace(oidc_trust_email=False, oidc_groups_claim="roles")


def test_an_address_counts_only_when_verified_unless_the_provider_is_trusted():
    claims = {"email": "Ana@Example.com", "email_verified": False}
    assert person_of(claims, CAREFUL, valid_email) is None
    assert person_of(claims, TRUSTED, valid_email).email == "ana@example.com"
    assert person_of({**claims, "email_verified": True}, CAREFUL, valid_email)
    assert person_of({"email_verified": True}, TRUSTED, valid_email) is None
    assert person_of({"email": "not an address"}, TRUSTED, valid_email) is None
    assert person_of({**claims, "email_verified": 1}, CAREFUL, valid_email) is None


def test_groups_come_from_the_claim_the_settings_name():
    claims = {"email": "a@example.com", "email_verified": True}
    assert person_of({**claims, "roles": ["hr", " ops ", 7]}, CAREFUL, valid_email).groups == (
        "hr", "ops",
    )  # fmt: skip
    assert person_of({**claims, "roles": "hr,dpo"}, CAREFUL, valid_email).groups == (
        "hr", "dpo",
    )  # fmt: skip
    assert person_of({**claims, "groups": ["hr"]}, CAREFUL, valid_email).groups == ()


OIDC = {**BASE, "AUTH_MODE": "oidc", "OIDC_ISSUER": "https://id.example.com/realms/corp",
        "OIDC_CLIENT_ID": "matchmaker", "OIDC_CLIENT_SECRET": "s",
        "PUBLIC_BASE_URL": "https://matchmaker.example.com"}  # fmt: skip


def test_oidc_settings_load_with_their_defaults():
    s = config.load(OIDC)
    assert (s.oidc_groups_claim, s.oidc_trust_email) == ("groups", False)
    assert s.proxy_user_header == "X-Remote-User"


@pytest.mark.parametrize(
    "missing", ["OIDC_ISSUER", "OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET"]
)
def test_oidc_names_its_provider_and_client(missing):
    with pytest.raises(config.ConfigError, match=missing):
        config.load({**OIDC, missing: ""})


@pytest.mark.parametrize(
    ("variable", "url"),
    [
        ("OIDC_ISSUER", "http://id.example.com"),
        ("PUBLIC_BASE_URL", "http://matchmaker.corp"),
    ],
)
def test_oidc_speaks_https_but_on_a_loopback_address(variable, url):
    with pytest.raises(config.ConfigError, match=variable):
        config.load({**OIDC, variable: url})
    local = {**OIDC, variable: "http://127.0.0.1:9400"}
    assert config.load(local).auth_mode == "oidc"
