"""The sign-in routes of AUTH_MODE=oidc: `/auth/login` starts the
authorization-code flow with PKCE (S256), `state` and `nonce` (Authlib keeps
them in the signed session); the provider sends them back to
`/auth/callback`, which checks all three and the ID token (issuer, audience,
signature, expiry, nonce), then keeps who they are in the session for
SESSION_LIFETIME; `/auth/logout` ends it here (every copy of the cookie) and
the provider's session where the provider offers an end-session endpoint."""

from __future__ import annotations

import logging
import time

import requests
from authlib.integrations.flask_client import OAuthError
from flask import Blueprint, current_app, redirect, request, session, url_for
from joserfc.errors import JoseError

from services.intake.web.oidc import Person, person_of, provider

log = logging.getLogger(__name__)
SESSION_KEY = "oidc"

bp = Blueprint("oidc", __name__)


def signed_in() -> Person | None:
    """Who the session says, until SESSION_LIFETIME after sign-in, unless
    they signed out since (anywhere: the cookie may have been copied)."""
    from services.intake import use_cases
    from services.intake.web.edge import unit_of_work

    kept = session.get(SESSION_KEY)
    if not isinstance(kept, dict) or kept.get("until", 0) < time.time():
        return None
    out = use_cases.signed_out_at(unit_of_work(), kept["email"])
    if out is not None and out.timestamp() >= kept.get("since", 0):
        return None
    return Person(kept["email"], tuple(kept["groups"]))


# -- the flow ---------------------------------------------------------------


def _local(target: str | None) -> str:
    from services.intake.web.pages import local_path

    return local_path(target) or "/"


@bp.get("/auth/login")
def login():
    from services.intake.web.app import error

    session["oidc_next"] = _local(request.args.get("next"))
    base = current_app.extensions["runtime"].settings.public_base_url.rstrip("/")
    try:
        return provider().client.authorize_redirect(base + url_for("oidc.callback"))
    except requests.RequestException as exc:
        log.warning("the identity provider cannot be reached: %s", type(exc).__name__)
        return error(503, "unavailable", _message("unavailable"))


@bp.get("/auth/callback")
def callback():
    from services.intake.web.app import error
    from services.intake.web.identity import valid_email

    try:
        token = provider().client.authorize_access_token()
    except (OAuthError, JoseError, ValueError, requests.RequestException) as exc:
        log.info("sign-in refused: %s", type(exc).__name__)
        return error(400, "sign_in_failed", _message())
    claims = token.get("userinfo") or {}
    person = person_of(claims, provider().settings, valid_email)
    if person is None:
        return error(403, "sign_in_failed", _message())
    target = _local(session.get("oidc_next"))
    session.clear()
    session.permanent = True
    lifetime = provider().settings.session_lifetime.total_seconds()
    now = time.time()
    session[SESSION_KEY] = {
        "email": person.email,
        "groups": list(person.groups),
        "since": now,
        "until": now + lifetime,
    }
    return redirect(target)


def _message(code: str = "sign_in_failed") -> str:
    from services.intake.web.app import message

    return message(code)


@bp.get("/auth/logout")
def logout():
    """Ends the session here (every copy of its cookie: `sign_outs`), then
    the provider's where it publishes an end-session endpoint."""
    from services.intake import use_cases
    from services.intake.web.edge import unit_of_work

    kept = session.get(SESSION_KEY)
    session.clear()
    if isinstance(kept, dict) and kept.get("email"):
        use_cases.sign_out(unit_of_work(), kept["email"])
    try:
        end = provider().metadata().get("end_session_endpoint")
    except requests.RequestException:
        end = None
    if not end:
        return redirect("/")
    base = current_app.extensions["runtime"].settings.public_base_url.rstrip("/")
    params = {
        "post_logout_redirect_uri": base + "/",
        "client_id": provider().settings.oidc_client_id,
    }
    return redirect(requests.Request("GET", end, params=params).prepare().url)
