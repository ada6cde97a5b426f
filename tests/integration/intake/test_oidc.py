"""AUTH_MODE=oidc against a real OpenID Connect provider (oidc-provider-mock,
its own process): a page without a session signs in through the provider
and comes back; the callback refuses a wrong `state` and an ID token with a
wrong nonce; the address is taken only when verified; groups give roles;
API clients present the provider's access tokens, opaque (asked of the
provider) or JWT (checked against its keys), and a token of another
audience, an expired one or one signed by an unknown key is refused."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from joserfc.jwk import RSAKey

from devstack.oidc_provider import OidcProvider
from services.intake.web.app import create_app
from shared import config
from shared.db import make_pool
from shared.health import Readiness
from shared.service import Runtime
from tests.oidc import (
    CLIENT_ID,
    CLIENT_SECRET,
    JwtIssuer,
    oidc_env,
    through_provider,
    with_query,
)


@pytest.fixture(scope="module")
def provider(tmp_path_factory):
    with OidcProvider(tmp_path_factory.mktemp("oidc") / "provider.log") as p:
        yield p


def _app(env: dict, names):
    settings = config.load(env)
    pool = make_pool(settings.database_url, name="intake-oidc", max_size=4)
    pool.open(wait=True)
    rt = Runtime("intake", settings, pool, names, Readiness(settings.database_url, ()))
    app = create_app(rt)
    app.config.update(TESTING=True)
    return app, pool


@pytest.fixture
def oidc_app(service_env, provider, names):
    app, pool = _app(oidc_env(service_env, provider.issuer), names)
    yield app
    app.extensions["calendars"].reader.close()
    pool.close()


def person(provider, sub: str, **claims) -> str:
    email = f"{sub}@example.com"
    provider.set_user(sub, {"email": email, "email_verified": True, **claims})
    return email


def test_a_page_without_a_session_signs_in_through_the_provider_and_comes_back(
    oidc_app, provider
):
    client = oidc_app.test_client()
    email = person(provider, "camille", groups=["staff", "hr"])
    back = through_provider(client, "/requests?page=1", "camille")
    assert back.status_code == 302 and back.location == "/requests?page=1"
    page = client.get("/requests")
    assert page.status_code == 200
    assert email in page.get_data(as_text=True)
    assert client.get("/ops/people").status_code == 200  # hr, from the groups claim
    assert client.get("/ops/api/audit").status_code == 403  # not dpo
    cookie = back.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    copied = client.get_cookie("session").value
    out = client.get("/auth/logout")
    assert out.status_code == 302 and "/oauth2/end_session" in out.location
    assert "client_id=matchmaker" in out.location and "id_token" not in out.location
    assert client.get("/requests").status_code == 302  # signed out
    replay = oidc_app.test_client()
    replay.set_cookie("session", copied)
    assert replay.get("/requests").status_code == 302  # every copy of it too


def test_the_api_answers_401_and_never_redirects(oidc_app):
    response = oidc_app.test_client().get("/api/v1/requests")
    assert response.status_code == 401


@pytest.mark.parametrize(
    "forged",
    [
        pytest.param({"state": "forged"}, id="a callback with a state not issued"),
        pytest.param({"nonce": "replayed"}, id="an ID token with another nonce"),
    ],
)
def test_a_forged_sign_in_is_refused(oidc_app, provider, forged):
    client = oidc_app.test_client()
    person(provider, "mallory")
    back = through_provider(
        client, "/requests", "mallory", tamper=lambda url: with_query(url, **forged)
    )
    assert back.status_code == 400
    assert client.get("/requests").status_code == 302  # no session


def test_an_address_not_verified_does_not_sign_in(oidc_app, provider):
    client = oidc_app.test_client()
    provider.set_user(
        "unverified", {"email": "boss@example.com", "email_verified": False}
    )
    back = through_provider(client, "/requests", "unverified")
    assert back.status_code == 403
    assert client.get("/requests").status_code == 302


def test_the_providers_opaque_access_token_calls_the_api(oidc_app, provider):
    """An API client's token from the provider's authorization-code flow:
    opaque, so intake asks the provider's userinfo who it is."""
    person(provider, "robot", groups=["ops"])
    callback = "http://127.0.0.1/cb"
    authorize = with_query(
        f"{provider.issuer}/oauth2/authorize",
        client_id=CLIENT_ID, response_type="code", scope="openid email",
        redirect_uri=callback, nonce="n1", state="s1",
    )  # fmt: skip
    given = requests.post(authorize, data={"sub": "robot"}, allow_redirects=False)
    code = dict(parse_qsl(urlsplit(given.headers["Location"]).query))["code"]
    access = requests.post(
        f"{provider.issuer}/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": callback,
        },
        auth=(CLIENT_ID, CLIENT_SECRET),
        timeout=10,
    ).json()["access_token"]
    assert access.count(".") != 2  # opaque
    api = oidc_app.test_client()
    bearer = {"Authorization": f"Bearer {access}"}
    assert api.get("/api/v1/requests", headers=bearer).status_code == 200
    assert api.get("/ops/api/outbox", headers=bearer).status_code == 200  # ops
    assert api.get("/ops/api/requests", headers=bearer).status_code == 403
    made_up = {"Authorization": "Bearer not-a-token-the-provider-issued"}
    assert api.get("/api/v1/requests", headers=made_up).status_code == 401


@pytest.fixture
def jwt_app(service_env, names):
    with JwtIssuer() as issuer:
        app, pool = _app(oidc_env(service_env, issuer.issuer), names)
        yield app, issuer
        app.extensions["calendars"].reader.close()
        pool.close()


def test_jwt_access_tokens_are_checked_against_the_providers_keys(jwt_app):
    app, issuer = jwt_app
    client = app.test_client()

    def status(token):
        return client.get(
            "/api/v1/requests", headers={"Authorization": f"Bearer {token}"}
        ).status_code

    assert status(issuer.token("ana@example.com")) == 200
    assert status(issuer.token("ana@example.com", aud="another-client")) == 401
    assert status(issuer.token("ana@example.com", expires_in=-120)) == 401
    assert status(issuer.token("ana@example.com", email_verified=False)) == 401
    stranger = RSAKey.generate_key(2048, parameters={"kid": "k9"})
    assert status(issuer.token("ana@example.com", key=stranger)) == 401
    reads = issuer.jwks_reads
    assert status(issuer.token("ana@example.com", key=stranger)) == 401
    assert issuer.jwks_reads == reads  # an unknown key fetches the keys once a while
    impostor = RSAKey.generate_key(
        2048, parameters={"kid": "k1"}
    )  # our kid, not our key
    assert status(issuer.token("ana@example.com", key=impostor)) == 401
    assert status(issuer.token("ana@example.com", nonce="n")) == 401  # an ID token


def test_an_unsigned_token_is_refused_even_when_the_provider_lists_none(jwt_app):
    app, issuer = jwt_app
    issuer.algorithms = ["RS256", "none"]  # read at the first token below
    unsigned = issuer.unsigned("boss@example.com", groups=["ops", "hr"])
    response = app.test_client().get(
        "/ops/api/outbox", headers={"Authorization": f"Bearer {unsigned}"}
    )
    assert response.status_code == 401


def test_a_rotated_key_is_fetched_on_its_first_token(jwt_app):
    app, issuer = jwt_app
    client = app.test_client()
    first = issuer.token("ana@example.com")
    ok = client.get("/api/v1/requests", headers={"Authorization": f"Bearer {first}"})
    assert ok.status_code == 200
    rotated = RSAKey.generate_key(2048, parameters={"kid": "k2", "use": "sig"})
    issuer.published = [issuer.key, rotated]
    token = issuer.token("ana@example.com", key=rotated)
    again = client.get("/api/v1/requests", headers={"Authorization": f"Bearer {token}"})
    assert again.status_code == 200


def test_an_error_page_renders_whatever_credentials_the_request_carried(client):
    """In any mode: a page not found, asked with a token that is no one's,
    is a 404 page, not a failure of the page's own header."""
    response = client.get(
        "/nothing-here",
        headers={
            "Authorization": "Bearer not-a-token-0123456789",
            "Accept": "text/html",
        },
    )
    assert response.status_code == 404
