"""Who is calling: the SSO proxy's headers, a bearer token, or (dev mode
only) the session of the dev sign-in page."""

from __future__ import annotations

import hmac
import ipaddress
from dataclasses import dataclass
from functools import wraps

from flask import current_app, g, request, session
from marshmallow import ValidationError, validate

_EMAIL = validate.Email()


def valid_email(text: str) -> bool:
    """What every part of the service can carry and mail: an ASCII address
    that marshmallow's check (the one on events) accepts."""
    if not text or len(text) > 254 or not text.isascii():
        return False
    try:
        _EMAIL(text)
    except ValidationError:
        return False
    return True


@dataclass(frozen=True)
class Identity:
    email: str
    groups: tuple[str, ...] = ()
    via: str = "proxy"

    @property
    def is_ops(self) -> bool:
        return "ops" in self.groups


class Unauthenticated(Exception):
    pass


class Forbidden(Exception):
    pass


def _from_proxy(settings) -> Identity | None:
    user = request.headers.get("X-Remote-User", "").strip()
    if not user:
        return None
    if settings.auth_mode == "proxy":
        try:
            remote = ipaddress.ip_address(request.remote_addr or "")
        except ValueError:
            return None
        if not any(remote in net for net in settings.trusted_proxies):
            return None
    if not valid_email(user):
        return None
    groups = tuple(
        g.strip()
        for g in request.headers.get("X-Remote-Groups", "").split(",")
        if g.strip()
    )
    return Identity(user.lower(), groups, "proxy")


def _from_token(settings) -> Identity | None:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    given = header[7:].strip()
    for token, (who, groups) in settings.api_tokens.items():
        if hmac.compare_digest(token.encode(), given.encode()):
            return Identity(who.lower(), groups, "token") if valid_email(who) else None
    raise Unauthenticated()  # a token, not ours: never fall back to headers


def _from_dev_session(settings) -> Identity | None:
    if settings.auth_mode != "dev" or not session.get("dev_user"):
        return None
    return Identity(
        session["dev_user"], tuple(session.get("dev_groups", ())), "dev-session"
    )


def current() -> Identity | None:
    if "identity" not in g:
        settings = current_app.extensions["runtime"].settings
        g.identity = (
            _from_token(settings)
            or _from_proxy(settings)
            or _from_dev_session(settings)
        )
    return g.identity


def shown() -> Identity | None:
    """Who the page's header names: nobody when the request's identity is
    refused (an unknown token), so that the page saying so can be drawn."""
    try:
        return current()
    except Unauthenticated:
        return None


def require() -> Identity:
    who = current()
    if who is None:
        raise Unauthenticated()
    return who


def require_ops() -> None:
    """Only members of the group `ops` (401 for nobody, 403 for the others)."""
    if not require().is_ops:
        raise Forbidden()


def login_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        require()
        return view(*args, **kwargs)

    return wrapper
