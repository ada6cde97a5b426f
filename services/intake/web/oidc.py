"""Sign-in with the company's OpenID Connect provider (AUTH_MODE=oidc).

`Provider` is the provider as intake speaks to it: the sign-in client
(Authlib; its routes are `sign_in.py`), its keys and its answers about
tokens.

API clients present the provider's access tokens (`Provider.identity_of`):
a JWT is checked against the provider's published keys (issuer, audience,
expiry, signature; the keys fetched again on an unknown `kid`, at most every
KEYS_REFRESH_S, cached otherwise); an opaque token is shown to the
provider's userinfo endpoint, the answer cached OPAQUE_CACHE_S.

Who someone is: the `email` claim, only when `email_verified` is true (or
OIDC_TRUST_EMAIL=on); their groups from the claim OIDC_GROUPS_CLAIM.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from base64 import urlsafe_b64decode
from dataclasses import dataclass

import requests
from authlib.integrations.flask_client import OAuth
from flask import current_app
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet

log = logging.getLogger(__name__)

NETWORK_TIMEOUT_S = 5
MAX_ANSWER_BYTES = 256 * 1024  # keys and userinfo answers
KEYS_REFRESH_S = 30  # an unknown `kid` fetches the keys again at most this often
OPAQUE_CACHE_S = 60
OPAQUE_CACHE_SIZE = 10_000
MAX_GROUPS = 5000
# what an access token may be signed with: public-key algorithms only, never
# `none` nor a shared secret, whatever the provider's discovery lists
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
              "ES256", "ES384", "ES512", "EdDSA")  # fmt: skip
# claims only an ID token carries: one is never taken as an access token
ID_TOKEN_CLAIMS = ("nonce", "at_hash", "c_hash")
OPAQUE_REFUSED_SIZE = 1_000  # refused opaque tokens remembered apart
MAX_TOKEN_CHARS = 8192


@dataclass(frozen=True)
class Person:
    """Who the provider says someone is."""

    email: str
    groups: tuple[str, ...]


def person_of(claims: dict, settings, valid_email) -> Person | None:
    """The person the claims name, or None: no address, one not verified
    (unless the provider is trusted for it), or not an address."""
    email = claims.get("email")
    verified = (
        claims.get("email_verified") is True or claims.get("email_verified") == "true"
    )
    if not isinstance(email, str) or not (verified or settings.oidc_trust_email):
        return None
    email = email.strip().lower()
    if not valid_email(email):
        return None
    raw = claims.get(settings.oidc_groups_claim) or ()
    if isinstance(raw, str):
        raw = raw.split(",")
    if not isinstance(raw, list | tuple):
        raw = ()
    groups = tuple(g.strip() for g in raw if isinstance(g, str) and g.strip())
    return Person(email, groups[:MAX_GROUPS])


def _looks_like_jwt(token: str) -> bool:
    parts = token.split(".")
    if len(parts) != 3:
        return False
    try:
        header = json.loads(urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    except ValueError:
        return False
    return isinstance(header, dict) and "alg" in header


def _fetch_json(url: str, token: str | None = None) -> dict | None:
    """A small JSON answer from the provider, or None."""
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    with requests.get(
        url, headers=headers, timeout=NETWORK_TIMEOUT_S, stream=True
    ) as r:
        if r.status_code != 200:
            return None
        body = r.raw.read(MAX_ANSWER_BYTES + 1, decode_content=True)
    if len(body) > MAX_ANSWER_BYTES:
        return None
    found = json.loads(body)
    return found if isinstance(found, dict) else None


class Provider:
    """The provider as intake speaks to it: the sign-in client, its keys,
    and the answers about opaque tokens. One per app."""

    def __init__(self, settings):
        self.settings = settings
        self.oauth = OAuth()
        self.client = None
        self._lock = threading.Lock()
        self._keys: KeySet | None = None
        self._refreshed_at = -KEYS_REFRESH_S
        self._opaque: dict[str, tuple[float, Person | None]] = {}
        self._refused: dict[str, float] = {}  # apart: they never push out people

    def install(self, app) -> None:
        s = self.settings
        self.oauth.init_app(app)
        self.client = self.oauth.register(
            "provider",
            client_id=s.oidc_client_id,
            client_secret=s.oidc_client_secret,
            server_metadata_url=s.oidc_issuer.rstrip("/")
            + "/.well-known/openid-configuration",
            client_kwargs={
                "scope": s.oidc_scopes,
                "code_challenge_method": "S256",
                "timeout": NETWORK_TIMEOUT_S,
            },
        )

    def metadata(self) -> dict:
        return self.client.load_server_metadata()

    @property
    def audience(self) -> str:
        return self.settings.oidc_audience or self.settings.oidc_client_id

    # -- access tokens ----------------------------------------------------

    def identity_of(self, token: str, valid_email) -> Person | None:
        """The person an access token of the provider names, or None."""
        if len(token) > MAX_TOKEN_CHARS:
            return None
        try:
            if _looks_like_jwt(token):
                claims = self._jwt_claims(token)
            else:
                return self._opaque_person(token, valid_email)
        except (JoseError, ValueError, requests.RequestException) as exc:
            log.info("access token refused: %s", type(exc).__name__)
            return None
        return person_of(claims, self.settings, valid_email) if claims else None

    def _key_set(self, unknown_kid: bool = False) -> KeySet:
        """The provider's keys: fetched once, and again for a key id they
        lack (a rotation), at most every KEYS_REFRESH_S."""
        with self._lock:
            now = time.monotonic()
            again = unknown_kid and now - self._refreshed_at >= KEYS_REFRESH_S
            if self._keys is None or again:
                found = _fetch_json(self.metadata()["jwks_uri"])
                if found is None:
                    raise ValueError("the provider's keys could not be read")
                self._keys = KeySet.import_key_set(found)
                if unknown_kid:
                    self._refreshed_at = now
            return self._keys

    def _jwt_claims(self, token: str) -> dict | None:
        listed = self.metadata().get("id_token_signing_alg_values_supported") or ()
        algorithms = [a for a in ALGORITHMS if a in listed] or list(ALGORITHMS)
        try:
            decoded = jwt.decode(token, self._key_set(), algorithms=algorithms)
        except InvalidKeyIdError:
            decoded = jwt.decode(
                token, self._key_set(unknown_kid=True), algorithms=algorithms
            )
        jwt.JWTClaimsRegistry(
            iss={"essential": True, "value": self.metadata()["issuer"]},
            aud={"essential": True, "value": self.audience},
            exp={"essential": True},
        ).validate(decoded.claims)
        if any(c in decoded.claims for c in ID_TOKEN_CLAIMS) or decoded.claims.get(
            "typ"
        ) in ("ID", "id_token"):
            return None  # an ID token, not an access token
        return decoded.claims

    def _opaque_person(self, token: str, valid_email) -> Person | None:
        key = hashlib.sha256(token.encode()).hexdigest()
        now = time.monotonic()
        with self._lock:
            cached = self._opaque.get(key)
            if cached and cached[0] > now:
                return cached[1]
            if self._refused.get(key, 0) > now:
                return None
        endpoint = self.metadata().get("userinfo_endpoint")
        claims = _fetch_json(endpoint, token) if endpoint else None
        person = person_of(claims, self.settings, valid_email) if claims else None
        with self._lock:
            if person is None:
                _bounded(self._refused, OPAQUE_REFUSED_SIZE, now, lambda v: v)
                self._refused[key] = now + OPAQUE_CACHE_S
            else:
                _bounded(self._opaque, OPAQUE_CACHE_SIZE, now, lambda v: v[0])
                self._opaque[key] = (now + OPAQUE_CACHE_S, person)
        return person


def _bounded(cache: dict, most: int, now: float, until) -> None:
    """Room for one more entry: the expired go first, then the oldest."""
    if len(cache) < most:
        return
    for old in [k for k, v in cache.items() if until(v) <= now]:
        del cache[old]
    while len(cache) >= most:
        del cache[next(iter(cache))]


def provider() -> Provider:
    return current_app.extensions["oidc"]
