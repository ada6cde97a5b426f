"""What the sign-in tests share: a real OpenID provider process, an issuer
of signed JWT access tokens, and the steps of a sign-in without a browser."""

from __future__ import annotations

import json
import threading
import time
import uuid
from base64 import urlsafe_b64encode
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests
from flask import Flask, jsonify
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from werkzeug.serving import make_server

from devstack.ports import free_port

CLIENT_ID = "matchmaker"
CLIENT_SECRET = "a-client-secret-of-the-provider-4f1c9a"


def oidc_env(env: dict, issuer: str, **more) -> dict:
    return {
        **env,
        "AUTH_MODE": "oidc",
        "OIDC_ISSUER": issuer,
        "OIDC_CLIENT_ID": CLIENT_ID,
        "OIDC_CLIENT_SECRET": CLIENT_SECRET,
        **more,
    }


def with_query(url: str, **changes) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query.update(changes)
    return urlunsplit(parts._replace(query=urlencode(query)))


def through_provider(client, start: str, sub: str, tamper=None):
    """Follow a sign-in from page `start` to the provider's form (as `sub`)
    and back to intake's callback; the callback's answer. `tamper` may
    rewrite the authorization address before the provider sees it."""
    page = client.get(start)
    assert page.status_code == 302 and "/auth/login" in page.location, page.status_code
    login = client.get(page.location)
    assert login.status_code == 302, login.status_code
    authorize = tamper(login.location) if tamper else login.location
    form = requests.post(
        authorize, data={"sub": sub}, allow_redirects=False, timeout=10
    )
    assert form.status_code == 302, form.text[:300]
    back = urlsplit(form.headers["Location"])
    return client.get(f"{back.path}?{back.query}")


class JwtIssuer:
    """An issuer of signed access tokens (RS256) with its discovery and keys,
    served on 127.0.0.1: what a provider issuing JWT access tokens
    publishes. `jwks_reads` counts the reads of its keys."""

    def __init__(self):
        self.port = free_port()
        self.key = RSAKey.generate_key(2048, parameters={"kid": "k1", "use": "sig"})
        self.published = [self.key]
        self.algorithms = ["RS256"]
        self.jwks_reads = 0
        app = Flask("issuer")

        @app.get("/.well-known/openid-configuration")
        def discovery():
            return jsonify(
                issuer=self.issuer, jwks_uri=f"{self.issuer}/jwks",
                authorization_endpoint=f"{self.issuer}/authorize",
                token_endpoint=f"{self.issuer}/token",
                id_token_signing_alg_values_supported=self.algorithms,
            )  # fmt: skip

        @app.get("/jwks")
        def jwks():
            self.jwks_reads += 1
            return jsonify(KeySet(self.published).as_dict(private=False))

        self.server = make_server("127.0.0.1", self.port, app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def token(self, email: str, *, key=None, aud=CLIENT_ID, expires_in=300, **claims):
        key = key or self.key
        now = int(time.time())
        body = {
            "iss": self.issuer, "aud": aud, "sub": str(uuid.uuid4()),
            "iat": now, "exp": now + expires_in, "email": email,
            "email_verified": True, **claims,
        }  # fmt: skip
        return jwt.encode({"alg": "RS256", "kid": key.kid}, body, key)

    def unsigned(self, email: str, **claims) -> str:
        """A token that says `alg: none`, with no signature."""

        def part(value):
            return urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

        now = int(time.time())
        body = {"iss": self.issuer, "aud": CLIENT_ID, "exp": now + 300,
                "email": email, "email_verified": True, **claims}  # fmt: skip
        return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(body)}."

    def __enter__(self) -> JwtIssuer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
